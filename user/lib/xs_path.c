// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Helpers of the xenstore interface, above its operations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "ncmig.h"

int ncmig_xs_abs_path(char *buf, size_t cap, uint16_t domid, const char *rel)
{
	int n = snprintf(buf, cap, "/local/domain/%u%s%s", domid,
			 *rel ? "/" : "", rel);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

void ncmig_xs_free_watches(struct ncmig_xs_watch_pair *w, unsigned int num)
{
	unsigned int i;

	for (i = 0; i < num; i++) {
		free(w[i].path);
		free(w[i].token);
	}
	free(w);
}

int ncmig_xs_transaction(struct ncmig_xs *x, int (*body)(struct ncmig_xs *x,
							 void *arg),
			 void (*again)(void *arg), void *arg)
{
	int rc = 0, tries;

	for (tries = 0; tries < NCMIG_XS_TX_TRIES; tries++) {
		rc = x->ops->tx_start(x);
		if (rc)
			return rc;
		rc = body(x, arg);
		if (rc) {
			x->ops->tx_end(x, true);
			return rc;
		}
		/* Commit, not abort: only a commit tells us of a race. */
		rc = x->ops->tx_end(x, false);
		if (rc != -EAGAIN)
			break;
		if (again)
			again(arg);
	}
	return rc;
}
