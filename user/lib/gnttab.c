// SPDX-License-Identifier: GPL-2.0 OR MIT
/* GNTTAB record: a guest's grant table as dom0 maps it (gnttab.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gnttab.h"
#include "le.h"

#define GTF_TYPE_MASK	3U	/* Xen's GTF_type_mask */
#define DOMID_FIRST_RESERVED 0x7ff0U

static int bad(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -EINVAL;
}

int ncmig_gnttab_decode(const unsigned char *b, size_t len,
			struct ncmig_gnttab *g, const char **why)
{
	uint32_t i, prev = 0;

	if (len < NCMIG_GNTTAB_FIXED)
		return bad(why, "GNTTAB shorter than its fixed part");
	g->version = le32_ld(b);
	g->nr_frames = le32_ld(b + 4);
	g->max_frames = le32_ld(b + 8);
	g->nr_slots = le32_ld(b + 12);
	g->nr_entries = le32_ld(b + 16);
	g->flags = le32_ld(b + 20);
	if (g->version != 1)
		return bad(why, "GNTTAB of a table that is not version 1");
	if (le32_ld(b + 24) || le32_ld(b + 28) || (g->flags & ~NCMIG_GNTTAB_F_CUT))
		return bad(why, "GNTTAB reserved fields or flags not zero");
	if (!g->nr_frames || g->nr_frames > g->max_frames ||
	    g->max_frames > NCMIG_GNTTAB_FRAMES_MAX)
		return bad(why, "GNTTAB frame counts out of range");
	if (g->nr_slots != g->nr_frames * NCMIG_GNTTAB_V1_PER_FRAME)
		return bad(why, "GNTTAB slot count is not 512 per frame");
	if (g->nr_entries > g->nr_slots || g->nr_entries > NCMIG_GNTTAB_MAX)
		return bad(why, "GNTTAB lists more entries than it has slots");
	if (len != NCMIG_GNTTAB_FIXED + (size_t)g->nr_entries * NCMIG_GNTTAB_ENTRY)
		return bad(why, "GNTTAB length does not match its entry count");
	g->entries = b + NCMIG_GNTTAB_FIXED;
	for (i = 0; i < g->nr_entries; i++) {
		const unsigned char *e = g->entries + (size_t)i * NCMIG_GNTTAB_ENTRY;
		uint32_t ref = le32_ld(e);
		uint16_t fl = le16_ld(e + 4), dom = le16_ld(e + 6);

		if (ref >= g->nr_slots || (i && ref <= prev))
			return bad(why, "GNTTAB entry refs not ascending within the table");
		if (!(fl & GTF_TYPE_MASK))
			return bad(why, "GNTTAB lists an entry not in use");
		if (dom >= DOMID_FIRST_RESERVED)
			return bad(why, "GNTTAB entry grants to a reserved domid");
		if (le32_ld(e + 12))
			return bad(why, "GNTTAB entry reserved field not zero");
		prev = ref;
	}
	return 0;
}

void ncmig_gnttab_entry(const struct ncmig_gnttab *g, uint32_t i,
			struct ncmig_gnttab_entry *e)
{
	const unsigned char *p = g->entries + (size_t)i * NCMIG_GNTTAB_ENTRY;

	e->ref = le32_ld(p);
	e->flags = le16_ld(p + 4);
	e->domid = le16_ld(p + 6);
	e->frame = le32_ld(p + 8);
}

int ncmig_gnttab_encode_v1(const void *raw, uint32_t nr_frames,
			   uint32_t max_frames, unsigned char **body,
			   size_t *len)
{
	const unsigned char *r = raw;
	uint32_t slots, i, n = 0, cut = 0;
	unsigned char *b, *e;

	if (!nr_frames || nr_frames > max_frames ||
	    max_frames > NCMIG_GNTTAB_FRAMES_MAX)
		return -EINVAL;
	slots = nr_frames * NCMIG_GNTTAB_V1_PER_FRAME;
	for (i = 0; i < slots; i++) {
		const unsigned char *s = r + (size_t)i * 8;

		if (!(le16_ld(s) & GTF_TYPE_MASK) ||
		    le16_ld(s + 2) >= DOMID_FIRST_RESERVED)
			continue;
		if (n == NCMIG_GNTTAB_MAX) {
			cut = NCMIG_GNTTAB_F_CUT;
			break;
		}
		n++;
	}
	b = calloc(1, NCMIG_GNTTAB_FIXED + (size_t)n * NCMIG_GNTTAB_ENTRY);
	if (!b)
		return -ENOMEM;
	le32_st(b, 1);
	le32_st(b + 4, nr_frames);
	le32_st(b + 8, max_frames);
	le32_st(b + 12, slots);
	le32_st(b + 16, n);
	le32_st(b + 20, cut);
	e = b + NCMIG_GNTTAB_FIXED;
	for (i = 0; i < slots && e < b + NCMIG_GNTTAB_FIXED + (size_t)n * NCMIG_GNTTAB_ENTRY; i++) {
		const unsigned char *s = r + (size_t)i * 8;

		if (!(le16_ld(s) & GTF_TYPE_MASK) ||
		    le16_ld(s + 2) >= DOMID_FIRST_RESERVED)
			continue;
		le32_st(e, i);
		le16_st(e + 4, le16_ld(s));
		le16_st(e + 6, le16_ld(s + 2));
		le32_st(e + 8, le32_ld(s + 4));
		e += NCMIG_GNTTAB_ENTRY;
	}
	*body = b;
	*len = NCMIG_GNTTAB_FIXED + (size_t)n * NCMIG_GNTTAB_ENTRY;
	return 0;
}

size_t ncmig_gnttab_peers(const struct ncmig_gnttab *g,
			  struct ncmig_gnttab_peer *out, size_t max)
{
	size_t n = 0, k;
	uint32_t i;

	for (i = 0; i < g->nr_entries; i++) {
		struct ncmig_gnttab_entry e;

		ncmig_gnttab_entry(g, i, &e);
		for (k = 0; k < n && out[k].domid != e.domid; k++)
			;
		if (k == n) {
			if (n == max)
				continue;
			out[n].domid = e.domid;
			out[n].entries = 0;
			n++;
		}
		out[k].entries++;
	}
	return n;
}
