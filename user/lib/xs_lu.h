/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* A domain's watches through C xenstored's live update (xs_lu.c). */
#ifndef NCMIGD_XS_LU_H
#define NCMIGD_XS_LU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ncmig.h"
#include "xs_lustate.h"

/* What the last ncmig_lu_run() did, for reports. */
struct ncmig_lu_result {
	unsigned int runs;
	bool ok;
	double ms;			/* "live-update -s" to its "OK" */
	size_t state_len;
	struct ncmig_lu_summary sum;	/* of the state as xenstored wrote it */
	unsigned int added, dropped;
	char log[512];			/* the window helper's lines */
	char detail[640];		/* one line for people */
};

/*
 * One live update of the dom0 xenstored into its own binary.  @mode 0:
 * only list @domid's watches (*got, as the state had them); or
 * NCMIG_LU_EDIT_ADD / _DROP with @w, @nr: change them in the state the
 * new process reads (*got: the watches before the change).  @timeout_s
 * is xenstored's own wait for open transactions to end (then it gives
 * up and nothing happens).  0; -EOPNOTSUPP (no C xenstored daemon found,
 * or it refused live-update); -EBUSY (it did not run); another -errno.
 */
int ncmig_lu_run(struct ncmig_xs *x, uint16_t domid, int mode,
		 const struct ncmig_xs_watch_pair *w, unsigned int nr,
		 unsigned int timeout_s, struct ncmig_xs_watch_pair **got,
		 unsigned int *nr_got);
const struct ncmig_lu_result *ncmig_lu_last(void);

/* ncmigd __lu-window DIR STATE, run by the wrapper in the window. */
int ncmig_lu_window(const char *dir, const char *state);

#endif /* NCMIGD_XS_LU_H */
