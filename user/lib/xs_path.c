// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Helpers of the xenstore interface that do not talk to xenstored. */
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
