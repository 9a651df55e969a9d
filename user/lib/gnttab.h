/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * GNTTAB: a record of a guest's grant table as dom0 maps it (Xen's
 * XENMEM_resource_grant_table through libxenforeignmemory), evidence for
 * doc/cross-host.md section 3.  Nothing applies it anywhere.
 *
 * Body (little endian), 32 octets then nr_entries entries of 16:
 *     u32 version        1 (only v1 tables are decoded)
 *     u32 nr_frames      shared frames in use (GNTTABOP_query_size)
 *     u32 max_frames     the domain's limit
 *     u32 nr_slots       nr_frames * 512 (v1 entries per 4 KiB frame)
 *     u32 nr_entries     entries in use listed below
 *     u32 flags          bit 0: the list was cut at NCMIG_GNTTAB_MAX
 *     u32 reserved[2]    0
 * entry:
 *     u32 ref            ascending, below nr_slots
 *     u16 flags          GTF_* as the guest wrote them; type 1..3
 *     u16 domid          the domain it grants to
 *     u32 frame          the granted frame (gfn)
 *     u32 reserved       0
 */
#ifndef NCMIGD_GNTTAB_H
#define NCMIGD_GNTTAB_H

#include <stddef.h>
#include <stdint.h>

#define NCMIG_GNTTAB_FIXED	32
#define NCMIG_GNTTAB_ENTRY	16
#define NCMIG_GNTTAB_V1_PER_FRAME 512
#define NCMIG_GNTTAB_F_CUT	1U
/* What fits one record body (NCMIG_REC_BODY_MAX, 256 KiB). */
#define NCMIG_GNTTAB_MAX	((256U * 1024 - NCMIG_GNTTAB_FIXED) / NCMIG_GNTTAB_ENTRY)
#define NCMIG_GNTTAB_FRAMES_MAX	4096	/* far above Xen's default 64 */

struct ncmig_gnttab_entry {
	uint32_t ref;
	uint16_t flags;
	uint16_t domid;
	uint32_t frame;
};

struct ncmig_gnttab {
	uint32_t version, nr_frames, max_frames, nr_slots, nr_entries, flags;
	const unsigned char *entries;	/* into the body */
};

/* Validate a body of exactly @len octets.  0 or -EINVAL with *why. */
int ncmig_gnttab_decode(const unsigned char *body, size_t len,
			struct ncmig_gnttab *g, const char **why);
void ncmig_gnttab_entry(const struct ncmig_gnttab *g, uint32_t i,
			struct ncmig_gnttab_entry *e);

/*
 * A body from the raw v1 shared frames @raw (@nr_frames of 4096
 * octets): every entry whose type is not GTF_invalid.  malloc()ed.
 */
int ncmig_gnttab_encode_v1(const void *raw, uint32_t nr_frames,
			   uint32_t max_frames, unsigned char **body,
			   size_t *len);

/* Per granted-to domain: how many entries (for reports), into @out. */
struct ncmig_gnttab_peer {
	uint16_t domid;
	uint32_t entries;
};
size_t ncmig_gnttab_peers(const struct ncmig_gnttab *g,
			  struct ncmig_gnttab_peer *out, size_t max);

/*
 * Map domain @domid's shared grant frames read-only from dom0 and build
 * the body.  0; -EOPNOTSUPP (v2 table, or no resource mapping) with
 * *why; another -errno.
 */
int ncmig_gnttab_capture(uint16_t domid, unsigned char **body, size_t *len,
			 const char **why);

#endif /* NCMIGD_GNTTAB_H */
