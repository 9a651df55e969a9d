/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Private to libncmig: the messages (ncmig_err() and friends) of the
 * handover engine's worker threads are kept, not handed to the caller's
 * callback from another thread, and replayed by the caller's thread in
 * the order of the domains once the workers are done (handover.c).
 */
#ifndef NCMIG_MSG_DEFER_H
#define NCMIG_MSG_DEFER_H

#include <stddef.h>
#include <stdint.h>

struct ncmig_msg_rec {
	int domid;
	char *kind;		/* NULL: no device */
	uint32_t devid;
	char *text;
};

struct ncmig_msg_defer {
	struct ncmig_msg_rec *v;
	size_t n, cap;
};

/* From now on this thread's messages go to @d (zeroed), until _stop(). */
void ncmig_msg_defer_start(struct ncmig_msg_defer *d);
void ncmig_msg_defer_stop(void);
/* Hand @d's messages to the callback, in order, and free them. */
void ncmig_msg_defer_flush(struct ncmig_msg_defer *d);

#endif /* NCMIG_MSG_DEFER_H */
