/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A domain's whole ncmig stream: header, DOMAIN (with its identity when
 * it can be read), its xenstore records, its backend records only when
 * @backends is asked for (that quiesces the domain's backends for a
 * moment: QUIESCE, SNAPSHOT, RESUME), END.
 * Shared by `ncmigd save` and `ncmigd splice send`.
 */
#ifndef NCMIGD_SAVE_STREAM_H
#define NCMIGD_SAVE_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "stream.h"
#include "xs_domain.h"

struct ncmigd_save_report {
	struct ncmig_xs_capture cap;	/* freed by ncmigd_save_report_free */
	int backends;			/* records written, -1 if none taken */
};

/*
 * Capture first (nothing is written if that fails), then write the whole
 * stream to @w.  Returns 0 or a negative errno, with a message printed.
 */
int ncmigd_save_stream(struct ncmig_xs *x, uint16_t domid, bool backends,
		       struct ncmig_writer *w, struct ncmigd_save_report *r);
void ncmigd_save_report_free(struct ncmigd_save_report *r);

#endif /* NCMIGD_SAVE_STREAM_H */
