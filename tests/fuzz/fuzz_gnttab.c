// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * GNTTAB record bodies (gnttab.c): a body that decodes is turned back
 * into the raw v1 table it describes and encoded again; unless the list
 * was cut, that must give the same octets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gnttab.h"
#include "le.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ncmig_gnttab g;
	struct ncmig_gnttab_peer peers[8];
	const char *why = NULL;
	unsigned char *raw, *out;
	size_t len, np, k, sum = 0;
	uint32_t i;

	if (ncmig_gnttab_decode(data, size, &g, &why)) {
		if (!why)
			abort();
		return 0;
	}
	np = ncmig_gnttab_peers(&g, peers, 8);
	for (k = 0; k < np; k++)
		sum += peers[k].entries;
	if (np > 8 || sum > g.nr_entries || (np < 8 && sum != g.nr_entries))
		abort();
	raw = calloc(g.nr_frames, 4096);
	if (!raw)
		return 0;
	for (i = 0; i < g.nr_entries; i++) {
		struct ncmig_gnttab_entry e;

		ncmig_gnttab_entry(&g, i, &e);
		le16_st(raw + (size_t)e.ref * 8, e.flags);
		le16_st(raw + (size_t)e.ref * 8 + 2, e.domid);
		le32_st(raw + (size_t)e.ref * 8 + 4, e.frame);
	}
	if (ncmig_gnttab_encode_v1(raw, g.nr_frames, g.max_frames, &out, &len))
		abort();
	if (!(g.flags & NCMIG_GNTTAB_F_CUT) &&
	    (len != size || memcmp(out, data, size)))
		abort();
	free(out);
	free(raw);
	return 0;
}
