// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Snapshot record codec (include/uapi/linux/xen_ncmig_snap.h).
 *
 * Built both into the kernel modules and into ncmigd, its tests and
 * fuzzers, so it uses nothing beyond memcpy/memset and a CRC-32C: the
 * kernel's crc32c() in the kernel, user/lib/crc32c.c in userspace.  Every multi-octet
 * field is loaded and stored byte by byte: records are little-endian and
 * may sit at any alignment.  doc/snapshot-record.md describes the format.
 */
#ifdef __KERNEL__
#include <linux/crc32c.h>
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "ncmig_snap.h"

/* Fixed value sizes, in octets. */
#define VBD_DISK_LEN		56
#define VBD_RING_FIXED		24
#define VBD_PGRANTS_FIXED	8
#define VBD_STATS_LEN		16
#define VIF_VIF_LEN		40
#define VIF_QUEUE_LEN		40
#define VIF_HASH_FIXED		(16 + XEN_NCMIG_HASH_KEY_MAX)
#define VIF_MCAST_FIXED		4
#define VIF_MCAST_ENTRY		8
#define VIF_RATE_LEN		16
#define VIF_STATS_LEN		16

#define VBD_PROTOCOL_MAX	3

#ifdef __KERNEL__
/*
 * The kernel's crc32c() (libcrc32c on 6.1 and 6.12, lib/crc32 from 6.14
 * on) neither inverts on entry nor on exit; ours does, as RFC 3720 does.
 * Userspace has its own, user/lib/crc32c.c.
 */
u32 ncmig_crc32c(u32 crc, const void *buf, size_t len)
{
	return ~crc32c(~crc, buf, len);
}
#endif

/* RFC 3720 B.4's examples (their CRCs as stored, little-endian). */
int ncmig_crc32c_selftest(void)
{
	static const u8 pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
		0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	/* 32 zeros, 32 0xff, 0x00..0x1f, 0x1f..0x00, the read PDU */
	static const u32 want[5] = {
		0x8a9136aa, 0x62a8ab43, 0x46dd794e, 0x113fdb5c, 0xd9963a56,
	};
	u8 buf[32];
	int v, i;

	for (v = 0; v < 4; v++) {
		for (i = 0; i < 32; i++)
			buf[i] = v == 0 ? 0 : v == 1 ? 0xff : v == 2 ? i : 31 - i;
		if (ncmig_crc32c(0, buf, sizeof(buf)) != want[v])
			return v + 1;
	}
	return ncmig_crc32c(0, pdu, sizeof(pdu)) != want[4] ? 5 : 0;
}

static u16 ld16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static u32 ld32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 |
	       (u32)p[3] << 24;
}

static u64 ld64(const u8 *p)
{
	return (u64)ld32(p) | (u64)ld32(p + 4) << 32;
}

static void st16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static void st32(u8 *p, u32 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
	p[2] = (u8)(v >> 16);
	p[3] = (u8)(v >> 24);
}

static void st64(u8 *p, u64 v)
{
	st32(p, (u32)v);
	st32(p + 4, (u32)(v >> 32));
}

static bool all_zero(const u8 *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

static int fail(struct ncmig_snap_err *err, int rc, const char *what,
		u32 offset, u16 item)
{
	if (err) {
		err->what = what;
		err->offset = offset;
		err->item = item;
	}
	return rc;
}

/* One item as found in a record: value at p[0..len), header at @off. */
struct snap_item {
	u16 type;
	u16 len;
	u32 off;
	const u8 *v;
};

static bool item_known(u16 kind, u16 type)
{
	if (kind == XEN_NCMIG_KIND_VBD)
		return type == XEN_NCMIG_VBD_DISK ||
		       type == XEN_NCMIG_VBD_RING ||
		       type == XEN_NCMIG_VBD_PGRANTS ||
		       type == XEN_NCMIG_VBD_STATS;
	return type == XEN_NCMIG_VIF_VIF || type == XEN_NCMIG_VIF_QUEUE ||
	       type == XEN_NCMIG_VIF_HASH || type == XEN_NCMIG_VIF_MCAST ||
	       type == XEN_NCMIG_VIF_RATE || type == XEN_NCMIG_VIF_STATS;
}

/*
 * Step to the next item at *pos.  Returns 1 with @it filled, 0 at the end
 * of the record, or a negative errno.  Checks framing only: bounds, zero
 * padding, and that an unknown type is optional.
 */
static int next_item(const u8 *rec, u32 len, u32 *pos, u16 kind,
		     struct snap_item *it, struct ncmig_snap_err *err)
{
	u32 off, vlen, end;

	for (;;) {
		off = *pos;
		if (off == len)
			return 0;
		/* off is 4-aligned and len a multiple of 8: a header fits. */
		it->type = ld16(rec + off);
		it->len = ld16(rec + off + 2);
		it->off = off;
		it->v = rec + off + XEN_NCMIG_ITEM_HDR_LEN;
		if (it->type == 0) {
			if (!all_zero(rec + off, len - off))
				return fail(err, -EINVAL,
					    "nonzero octets after end padding",
					    off, 0);
			*pos = len;
			return 0;
		}
		vlen = it->len;
		if (vlen > len - off - XEN_NCMIG_ITEM_HDR_LEN)
			return fail(err, -EINVAL, "item overruns the record",
				    off, it->type);
		end = off + XEN_NCMIG_ITEM_HDR_LEN + vlen;
		*pos = (end + 3) & ~3U;
		if (!all_zero(rec + end, *pos - end))
			return fail(err, -EINVAL, "nonzero item padding", end,
				    it->type);
		if (item_known(kind, it->type))
			return 1;
		if (!(it->type & XEN_NCMIG_ITEM_OPTIONAL))
			return fail(err, -EPROTO, "unknown mandatory item",
				    off, it->type);
		/* Unknown optional item: skip it. */
	}
}

static int bad_len(struct ncmig_snap_err *err, const struct snap_item *it)
{
	return fail(err, -EINVAL, "wrong item length", it->off, it->type);
}

static int bad_value(struct ncmig_snap_err *err, const struct snap_item *it,
		     const char *what)
{
	return fail(err, -EINVAL, what, it->off, it->type);
}

/* ---- vbd ---- */

static int vbd_disk(struct ncmig_vbd_state *d, const struct snap_item *it,
		    struct ncmig_snap_err *err)
{
	const u8 *v = it->v;

	if (it->len != VBD_DISK_LEN)
		return bad_len(err, it);
	d->sectors = ld64(v);
	d->sector_size = ld32(v + 8);
	d->physical_sector_size = ld32(v + 12);
	d->info = ld32(v + 16);
	d->features = ld32(v + 20);
	d->max_indirect_segs = ld32(v + 24);
	d->discard_granularity = ld32(v + 28);
	d->discard_alignment = ld32(v + 32);
	d->protocol = ld32(v + 36);
	d->nr_rings = ld32(v + 40);
	d->ring_page_order = ld32(v + 44);
	if (!all_zero(v + 48, 8))
		return bad_value(err, it, "reserved field not zero");
	if (d->features & ~XEN_NCMIG_VBD_F_ALL)
		return bad_value(err, it, "unknown vbd feature bit");
	if (d->protocol < 1 || d->protocol > VBD_PROTOCOL_MAX)
		return bad_value(err, it, "unknown ring protocol");
	if (d->nr_rings < 1 || d->nr_rings > XEN_NCMIG_MAX_RINGS)
		return bad_value(err, it, "nr_rings out of range");
	if (d->ring_page_order > XEN_NCMIG_MAX_RING_ORDER)
		return bad_value(err, it, "ring_page_order out of range");
	return 0;
}

static int vbd_ring(struct ncmig_vbd_state *d, const struct snap_item *it,
		    u64 *seen, struct ncmig_snap_err *err)
{
	const u8 *v = it->v;
	struct ncmig_vbd_ring *r;
	u32 idx, nr, i;

	if (it->len < VBD_RING_FIXED)
		return bad_len(err, it);
	idx = ld32(v);
	nr = ld32(v + 20);
	if (idx >= d->nr_rings)
		return bad_value(err, it, "ring index >= nr_rings");
	if (*seen & (1ULL << idx))
		return bad_value(err, it, "duplicate ring index");
	if (nr != 1U << d->ring_page_order)
		return bad_value(err, it, "nr_refs != 1 << ring_page_order");
	if (it->len != VBD_RING_FIXED + 4 * nr)
		return bad_len(err, it);
	*seen |= 1ULL << idx;
	r = &d->rings[idx];
	r->evtchn = ld32(v + 4);
	r->req_cons = ld32(v + 8);
	r->rsp_prod = ld32(v + 12);
	r->req_prod = ld32(v + 16);
	r->nr_refs = nr;
	for (i = 0; i < nr; i++)
		r->refs[i] = ld32(v + VBD_RING_FIXED + 4 * i);
	return 0;
}

static int vbd_pgrants(struct ncmig_vbd_state *d, const struct snap_item *it,
		       u64 *seen, struct ncmig_snap_err *err)
{
	const u8 *v = it->v;
	u32 idx, count;

	if (it->len < VBD_PGRANTS_FIXED)
		return bad_len(err, it);
	idx = ld32(v);
	count = ld32(v + 4);
	if (idx >= d->nr_rings)
		return bad_value(err, it, "pgrants ring >= nr_rings");
	if (*seen & (1ULL << idx))
		return bad_value(err, it, "duplicate pgrants for a ring");
	if (count > XEN_NCMIG_MAX_PGRANTS)
		return bad_value(err, it, "too many persistent grants");
	if (it->len != VBD_PGRANTS_FIXED + 4 * count)
		return bad_len(err, it);
	*seen |= 1ULL << idx;
	d->rings[idx].nr_pgrants = count;
	d->rings[idx].pgrants = v + VBD_PGRANTS_FIXED;
	return 0;
}

static int vbd_stats(struct ncmig_vbd_state *d, const struct snap_item *it,
		     struct ncmig_snap_err *err)
{
	if (it->len != VBD_STATS_LEN)
		return bad_len(err, it);
	if (d->has_stats)
		return bad_value(err, it, "duplicate stats item");
	if (!all_zero(it->v + 12, 4))
		return bad_value(err, it, "reserved field not zero");
	d->has_stats = true;
	d->drain_ns = ld64(it->v);
	d->inflight_at_quiesce = ld32(it->v + 8);
	return 0;
}

static int vbd_item(struct ncmig_vbd_state *d, const struct snap_item *it,
		    u64 *rings, u64 *pgrants, struct ncmig_snap_err *err)
{
	switch (it->type) {
	case XEN_NCMIG_VBD_RING:
		return vbd_ring(d, it, rings, err);
	case XEN_NCMIG_VBD_PGRANTS:
		return vbd_pgrants(d, it, pgrants, err);
	case XEN_NCMIG_VBD_STATS:
		return vbd_stats(d, it, err);
	}
	return 0;	/* DISK: decoded first */
}

/* ---- vif ---- */

/* Nonzero if any field that only a ctrl ring may set is set. */
static u32 vif_ctrl_fields(const struct ncmig_vif_state *f)
{
	return f->ctrl_ref | f->ctrl_evtchn | f->ctrl_req_cons |
	       f->ctrl_rsp_prod;
}

static int vif_vif(struct ncmig_vif_state *f, const struct snap_item *it,
		   struct ncmig_snap_err *err)
{
	const u8 *v = it->v;

	if (it->len != VIF_VIF_LEN)
		return bad_len(err, it);
	memcpy(f->mac, v, 6);
	f->mtu = ld32(v + 8);
	f->features = ld32(v + 12);
	f->nr_queues = ld32(v + 16);
	f->ctrl_ref = ld32(v + 20);
	f->ctrl_evtchn = ld32(v + 24);
	f->ctrl_req_cons = ld32(v + 28);
	f->ctrl_rsp_prod = ld32(v + 32);
	if (!all_zero(v + 6, 2))
		return bad_value(err, it, "mac padding not zero");
	if (!all_zero(v + 36, 4))
		return bad_value(err, it, "reserved field not zero");
	if (f->features & ~XEN_NCMIG_VIF_F_ALL)
		return bad_value(err, it, "unknown vif feature bit");
	if (f->nr_queues < 1 || f->nr_queues > XEN_NCMIG_MAX_RINGS)
		return bad_value(err, it, "nr_queues out of range");
	if (!(f->features & XEN_NCMIG_VIF_F_CTRL_RING) &&
	    vif_ctrl_fields(f))
		return bad_value(err, it, "ctrl ring fields without ctrl ring");
	return 0;
}

static int vif_queue(struct ncmig_vif_state *f, const struct snap_item *it,
		     u64 *seen, struct ncmig_snap_err *err)
{
	const u8 *v = it->v;
	struct ncmig_vif_queue *q;
	u32 idx;

	if (it->len != VIF_QUEUE_LEN)
		return bad_len(err, it);
	idx = ld32(v);
	if (idx >= f->nr_queues)
		return bad_value(err, it, "queue index >= nr_queues");
	if (*seen & (1ULL << idx))
		return bad_value(err, it, "duplicate queue index");
	if (!all_zero(v + 36, 4))
		return bad_value(err, it, "reserved field not zero");
	q = &f->queues[idx];
	q->tx_ref = ld32(v + 4);
	q->rx_ref = ld32(v + 8);
	q->tx_evtchn = ld32(v + 12);
	q->rx_evtchn = ld32(v + 16);
	q->tx_req_cons = ld32(v + 20);
	q->tx_rsp_prod = ld32(v + 24);
	q->rx_req_cons = ld32(v + 28);
	q->rx_rsp_prod = ld32(v + 32);
	if (!(f->features & XEN_NCMIG_VIF_F_SPLIT_EVTCHN) &&
	    q->rx_evtchn != q->tx_evtchn)
		return bad_value(err, it, "rx_evtchn != tx_evtchn unsplit");
	*seen |= 1ULL << idx;
	return 0;
}

static int vif_hash(struct ncmig_vif_state *f, const struct snap_item *it,
		    struct ncmig_snap_err *err)
{
	const u8 *v = it->v;
	u32 i, key_len, map_size;

	if (it->len < VIF_HASH_FIXED)
		return bad_len(err, it);
	if (f->has_hash)
		return bad_value(err, it, "duplicate hash item");
	key_len = ld32(v + 8);
	map_size = ld32(v + 12);
	if (key_len > XEN_NCMIG_HASH_KEY_MAX)
		return bad_value(err, it, "hash key_len > 40");
	if (map_size > XEN_NCMIG_HASH_MAP_MAX)
		return bad_value(err, it, "hash map_size > 128");
	if (it->len != VIF_HASH_FIXED + 4 * map_size)
		return bad_len(err, it);
	if (!all_zero(v + 16 + key_len, XEN_NCMIG_HASH_KEY_MAX - key_len))
		return bad_value(err, it, "hash key padding not zero");
	for (i = 0; i < map_size; i++) {
		f->hash_map[i] = ld32(v + VIF_HASH_FIXED + 4 * i);
		if (f->hash_map[i] >= f->nr_queues)
			return bad_value(err, it, "hash map entry >= nr_queues");
	}
	f->has_hash = true;
	f->hash_alg = ld32(v);
	f->hash_flags = ld32(v + 4);
	f->hash_key_len = key_len;
	memcpy(f->hash_key, v + 16, key_len);
	f->hash_map_size = map_size;
	return 0;
}

static int vif_mcast(struct ncmig_vif_state *f, const struct snap_item *it,
		     struct ncmig_snap_err *err)
{
	const u8 *v = it->v;
	u32 i, count;

	if (it->len < VIF_MCAST_FIXED)
		return bad_len(err, it);
	if (f->has_mcast)
		return bad_value(err, it, "duplicate mcast item");
	count = ld32(v);
	if (count > XEN_NCMIG_MAX_MCAST)
		return bad_value(err, it, "too many multicast addresses");
	if (it->len != VIF_MCAST_FIXED + VIF_MCAST_ENTRY * count)
		return bad_len(err, it);
	for (i = 0; i < count; i++) {
		const u8 *e = v + VIF_MCAST_FIXED + VIF_MCAST_ENTRY * i;

		if (!all_zero(e + 6, 2))
			return bad_value(err, it, "mcast padding not zero");
		memcpy(f->mcast[i], e, 6);
	}
	f->has_mcast = true;
	f->mcast_count = count;
	return 0;
}

static int vif_rate(struct ncmig_vif_state *f, const struct snap_item *it,
		    struct ncmig_snap_err *err)
{
	if (it->len != VIF_RATE_LEN)
		return bad_len(err, it);
	if (f->has_rate)
		return bad_value(err, it, "duplicate rate item");
	f->has_rate = true;
	f->credit_bytes = ld64(it->v);
	f->credit_usec = ld64(it->v + 8);
	return 0;
}

static int vif_stats(struct ncmig_vif_state *f, const struct snap_item *it,
		     struct ncmig_snap_err *err)
{
	if (it->len != VIF_STATS_LEN)
		return bad_len(err, it);
	if (f->has_stats)
		return bad_value(err, it, "duplicate stats item");
	f->has_stats = true;
	f->drain_ns = ld64(it->v);
	f->rx_dropped = ld32(it->v + 8);
	f->tx_copied = ld32(it->v + 12);
	return 0;
}

static int vif_item(struct ncmig_vif_state *f, const struct snap_item *it,
		    u64 *queues, struct ncmig_snap_err *err)
{
	switch (it->type) {
	case XEN_NCMIG_VIF_QUEUE:
		return vif_queue(f, it, queues, err);
	case XEN_NCMIG_VIF_HASH:
		return vif_hash(f, it, err);
	case XEN_NCMIG_VIF_MCAST:
		return vif_mcast(f, it, err);
	case XEN_NCMIG_VIF_RATE:
		return vif_rate(f, it, err);
	case XEN_NCMIG_VIF_STATS:
		return vif_stats(f, it, err);
	}
	return 0;	/* VIF: decoded first */
}

/* ---- record ---- */

static u64 mask_of(u32 n)
{
	return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

static int decode_header(const u8 *p, size_t len, struct ncmig_snap *s,
			 struct ncmig_snap_err *err)
{
	u32 rec_len, crc;
	u8 zero[4] = { 0 };

	if (len < XEN_NCMIG_SNAP_HDR_LEN)
		return fail(err, -EINVAL, "shorter than the header", 0, 0);
	if (ld32(p) != XEN_NCMIG_SNAP_MAGIC)
		return fail(err, -EINVAL, "bad magic", 0, 0);
	if (ld16(p + 4) != XEN_NCMIG_SNAP_VERSION)
		return fail(err, -EPROTO, "unknown version", 4, 0);
	rec_len = ld32(p + 8);
	if (rec_len > XEN_NCMIG_RECORD_MAX || len > XEN_NCMIG_RECORD_MAX)
		return fail(err, -E2BIG, "longer than XEN_NCMIG_RECORD_MAX",
			    8, 0);
	if (rec_len < XEN_NCMIG_SNAP_HDR_LEN)
		return fail(err, -EINVAL, "length shorter than the header",
			    8, 0);
	if (rec_len % 8)
		return fail(err, -EINVAL, "length not a multiple of 8", 8, 0);
	if (rec_len != len)
		return fail(err, -EINVAL, "length does not match the buffer",
			    8, 0);
	crc = ncmig_crc32c(0, p, 12);
	crc = ncmig_crc32c(crc, zero, 4);
	crc = ncmig_crc32c(crc, p + 16, len - 16);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	if (crc != ld32(p + 12))
		return fail(err, -EBADMSG, "checksum mismatch", 12, 0);
#else
	/* Fuzz builds (userspace only): mutations get past the checksum. */
	(void)crc;
#endif
	s->kind = ld16(p + 6);
	s->domid = ld16(p + 16);
	s->devid = ld32(p + 20);
	if (s->kind != XEN_NCMIG_KIND_VBD && s->kind != XEN_NCMIG_KIND_VIF)
		return fail(err, -EINVAL, "unknown device kind", 6, 0);
	if (ld16(p + 18))
		return fail(err, -EINVAL, "flags not zero", 18, 0);
	return 0;
}

int ncmig_snap_decode(const void *buf, size_t len, struct ncmig_snap *s,
		      struct ncmig_snap_err *err)
{
	const u8 *p = buf;
	u16 primary;
	u64 seen_a = 0, seen_b = 0, want;
	struct snap_item it, first = { 0 };
	u32 pos, nprimary = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = decode_header(p, len, s, err);
	if (rc)
		return rc;
	primary = s->kind == XEN_NCMIG_KIND_VBD ? XEN_NCMIG_VBD_DISK :
						 XEN_NCMIG_VIF_VIF;

	/* Pass 1: framing of every item, and the one primary item. */
	pos = XEN_NCMIG_SNAP_HDR_LEN;
	while ((rc = next_item(p, len, &pos, s->kind, &it, err)) > 0) {
		if (it.type != primary)
			continue;
		if (nprimary++)
			return fail(err, -EINVAL, "duplicate device item",
				    it.off, it.type);
		first = it;
	}
	if (rc < 0)
		return rc;
	if (!nprimary)
		return fail(err, -EINVAL, "missing device item", len, primary);
	if (s->kind == XEN_NCMIG_KIND_VBD)
		rc = vbd_disk(&s->vbd, &first, err);
	else
		rc = vif_vif(&s->vif, &first, err);
	if (rc)
		return rc;

	/* Pass 2: everything else, checked against the device item. */
	pos = XEN_NCMIG_SNAP_HDR_LEN;
	while (next_item(p, len, &pos, s->kind, &it, err) > 0) {
		if (s->kind == XEN_NCMIG_KIND_VBD)
			rc = vbd_item(&s->vbd, &it, &seen_a, &seen_b, err);
		else
			rc = vif_item(&s->vif, &it, &seen_a, err);
		if (rc)
			return rc;
	}

	want = mask_of(s->kind == XEN_NCMIG_KIND_VBD ? s->vbd.nr_rings :
						      s->vif.nr_queues);
	if (seen_a != want)
		return fail(err, -EINVAL,
			    s->kind == XEN_NCMIG_KIND_VBD ? "missing ring item" :
							    "missing queue item",
			    len, s->kind == XEN_NCMIG_KIND_VBD ?
				 XEN_NCMIG_VBD_RING : XEN_NCMIG_VIF_QUEUE);
	return 0;
}

u32 ncmig_snap_pgrant(const struct ncmig_vbd_ring *r, u32 i)
{
	return ld32((const u8 *)r->pgrants + 4 * i);
}

int ncmig_snap_peek(const void *buf, size_t len, u16 *kind, u16 *domid,
		    u32 *devid, u32 *rec_len)
{
	const u8 *p = buf;

	if (len < XEN_NCMIG_SNAP_HDR_LEN)
		return -EINVAL;
	if (ld32(p) != XEN_NCMIG_SNAP_MAGIC)
		return -EINVAL;
	if (kind)
		*kind = ld16(p + 6);
	if (domid)
		*domid = ld16(p + 16);
	if (devid)
		*devid = ld32(p + 20);
	if (rec_len)
		*rec_len = ld32(p + 8);
	return 0;
}

/* ---- encoder ---- */

static size_t item_size(size_t vlen)
{
	return (XEN_NCMIG_ITEM_HDR_LEN + vlen + 3) & ~(size_t)3;
}

/* The decoder's rules, applied to a state before encoding it. */
static bool vbd_valid(const struct ncmig_vbd_state *d)
{
	u32 i;

	if (d->features & ~XEN_NCMIG_VBD_F_ALL ||
	    d->protocol < 1 || d->protocol > VBD_PROTOCOL_MAX ||
	    d->nr_rings < 1 || d->nr_rings > XEN_NCMIG_MAX_RINGS ||
	    d->ring_page_order > XEN_NCMIG_MAX_RING_ORDER)
		return false;
	for (i = 0; i < d->nr_rings; i++) {
		const struct ncmig_vbd_ring *r = &d->rings[i];

		if (r->nr_refs != 1U << d->ring_page_order ||
		    r->nr_pgrants > XEN_NCMIG_MAX_PGRANTS ||
		    (r->nr_pgrants && !r->pgrants))
			return false;
	}
	return true;
}

static bool vif_valid(const struct ncmig_vif_state *f)
{
	u32 i;

	if (f->features & ~XEN_NCMIG_VIF_F_ALL ||
	    f->nr_queues < 1 || f->nr_queues > XEN_NCMIG_MAX_RINGS)
		return false;
	if (!(f->features & XEN_NCMIG_VIF_F_CTRL_RING) &&
	    vif_ctrl_fields(f))
		return false;
	for (i = 0; i < f->nr_queues; i++)
		if (!(f->features & XEN_NCMIG_VIF_F_SPLIT_EVTCHN) &&
		    f->queues[i].rx_evtchn != f->queues[i].tx_evtchn)
			return false;
	if (f->has_hash) {
		if (f->hash_key_len > XEN_NCMIG_HASH_KEY_MAX ||
		    f->hash_map_size > XEN_NCMIG_HASH_MAP_MAX)
			return false;
		for (i = 0; i < f->hash_map_size; i++)
			if (f->hash_map[i] >= f->nr_queues)
				return false;
	}
	if (f->has_mcast && f->mcast_count > XEN_NCMIG_MAX_MCAST)
		return false;
	return true;
}

static size_t vbd_len(const struct ncmig_vbd_state *d)
{
	size_t n = item_size(VBD_DISK_LEN);
	u32 i;

	for (i = 0; i < d->nr_rings; i++) {
		n += item_size(VBD_RING_FIXED + 4 * d->rings[i].nr_refs);
		if (d->rings[i].nr_pgrants)
			n += item_size(VBD_PGRANTS_FIXED +
				       4 * d->rings[i].nr_pgrants);
	}
	if (d->has_stats)
		n += item_size(VBD_STATS_LEN);
	return n;
}

static size_t vif_len(const struct ncmig_vif_state *f)
{
	size_t n = item_size(VIF_VIF_LEN);

	n += f->nr_queues * item_size(VIF_QUEUE_LEN);

	if (f->has_hash)
		n += item_size(VIF_HASH_FIXED + 4 * f->hash_map_size);
	if (f->has_mcast)
		n += item_size(VIF_MCAST_FIXED +
			       VIF_MCAST_ENTRY * f->mcast_count);
	if (f->has_rate)
		n += item_size(VIF_RATE_LEN);
	if (f->has_stats)
		n += item_size(VIF_STATS_LEN);
	return n;
}

size_t ncmig_snap_encoded_len(const struct ncmig_snap *s)
{
	size_t n = XEN_NCMIG_SNAP_HDR_LEN;

	if (s->kind == XEN_NCMIG_KIND_VBD && vbd_valid(&s->vbd))
		n += vbd_len(&s->vbd);
	else if (s->kind == XEN_NCMIG_KIND_VIF && vif_valid(&s->vif))
		n += vif_len(&s->vif);
	else
		return 0;
	n = (n + 7) & ~(size_t)7;
	return n > XEN_NCMIG_RECORD_MAX ? 0 : n;
}

/* Write an item header at *pos; returns the value's address. */
static u8 *put_item(u8 *rec, size_t *pos, u16 type, size_t vlen)
{
	u8 *hdr = rec + *pos;

	st16(hdr, type);
	st16(hdr + 2, (u16)vlen);
	*pos += item_size(vlen);
	return hdr + XEN_NCMIG_ITEM_HDR_LEN;
}

static void encode_vbd(const struct ncmig_vbd_state *d, u8 *rec,
		       size_t *pos)
{
	const u32 *pg;
	u8 *v;
	u32 i, j;

	v = put_item(rec, pos, XEN_NCMIG_VBD_DISK, VBD_DISK_LEN);
	st64(v, d->sectors);
	st32(v + 8, d->sector_size);
	st32(v + 12, d->physical_sector_size);
	st32(v + 16, d->info);
	st32(v + 20, d->features);
	st32(v + 24, d->max_indirect_segs);
	st32(v + 28, d->discard_granularity);
	st32(v + 32, d->discard_alignment);
	st32(v + 36, d->protocol);
	st32(v + 40, d->nr_rings);
	st32(v + 44, d->ring_page_order);
	for (i = 0; i < d->nr_rings; i++) {
		const struct ncmig_vbd_ring *r = &d->rings[i];

		v = put_item(rec, pos, XEN_NCMIG_VBD_RING,
			     VBD_RING_FIXED + 4 * r->nr_refs);
		st32(v, i);
		st32(v + 4, r->evtchn);
		st32(v + 8, r->req_cons);
		st32(v + 12, r->rsp_prod);
		st32(v + 16, r->req_prod);
		st32(v + 20, r->nr_refs);
		for (j = 0; j < r->nr_refs; j++)
			st32(v + VBD_RING_FIXED + 4 * j, r->refs[j]);
		if (!r->nr_pgrants)
			continue;
		v = put_item(rec, pos, XEN_NCMIG_VBD_PGRANTS,
			     VBD_PGRANTS_FIXED + 4 * r->nr_pgrants);
		st32(v, i);
		st32(v + 4, r->nr_pgrants);
		pg = r->pgrants;
		for (j = 0; j < r->nr_pgrants; j++)
			st32(v + VBD_PGRANTS_FIXED + 4 * j, pg[j]);
	}
	if (d->has_stats) {
		v = put_item(rec, pos, XEN_NCMIG_VBD_STATS, VBD_STATS_LEN);
		st64(v, d->drain_ns);
		st32(v + 8, d->inflight_at_quiesce);
	}
}

static void encode_vif(const struct ncmig_vif_state *f, u8 *rec,
		       size_t *pos)
{
	u8 *v;
	u32 i;

	v = put_item(rec, pos, XEN_NCMIG_VIF_VIF, VIF_VIF_LEN);
	memcpy(v, f->mac, 6);
	st32(v + 8, f->mtu);
	st32(v + 12, f->features);
	st32(v + 16, f->nr_queues);
	st32(v + 20, f->ctrl_ref);
	st32(v + 24, f->ctrl_evtchn);
	st32(v + 28, f->ctrl_req_cons);
	st32(v + 32, f->ctrl_rsp_prod);
	for (i = 0; i < f->nr_queues; i++) {
		const struct ncmig_vif_queue *q = &f->queues[i];

		v = put_item(rec, pos, XEN_NCMIG_VIF_QUEUE, VIF_QUEUE_LEN);
		st32(v, i);
		st32(v + 4, q->tx_ref);
		st32(v + 8, q->rx_ref);
		st32(v + 12, q->tx_evtchn);
		st32(v + 16, q->rx_evtchn);
		st32(v + 20, q->tx_req_cons);
		st32(v + 24, q->tx_rsp_prod);
		st32(v + 28, q->rx_req_cons);
		st32(v + 32, q->rx_rsp_prod);
	}
	if (f->has_hash) {
		v = put_item(rec, pos, XEN_NCMIG_VIF_HASH,
			     VIF_HASH_FIXED + 4 * f->hash_map_size);
		st32(v, f->hash_alg);
		st32(v + 4, f->hash_flags);
		st32(v + 8, f->hash_key_len);
		st32(v + 12, f->hash_map_size);
		memcpy(v + 16, f->hash_key, f->hash_key_len);
		for (i = 0; i < f->hash_map_size; i++)
			st32(v + VIF_HASH_FIXED + 4 * i, f->hash_map[i]);
	}
	if (f->has_mcast) {
		v = put_item(rec, pos, XEN_NCMIG_VIF_MCAST,
			     VIF_MCAST_FIXED + VIF_MCAST_ENTRY * f->mcast_count);
		st32(v, f->mcast_count);
		for (i = 0; i < f->mcast_count; i++)
			memcpy(v + VIF_MCAST_FIXED + VIF_MCAST_ENTRY * i,
			       f->mcast[i], 6);
	}
	if (f->has_rate) {
		v = put_item(rec, pos, XEN_NCMIG_VIF_RATE, VIF_RATE_LEN);
		st64(v, f->credit_bytes);
		st64(v + 8, f->credit_usec);
	}
	if (f->has_stats) {
		v = put_item(rec, pos, XEN_NCMIG_VIF_STATS, VIF_STATS_LEN);
		st64(v, f->drain_ns);
		st32(v + 8, f->rx_dropped);
		st32(v + 12, f->tx_copied);
	}
}

size_t ncmig_snap_encode(const struct ncmig_snap *s, void *buf, size_t cap)
{
	size_t len = ncmig_snap_encoded_len(s), pos = XEN_NCMIG_SNAP_HDR_LEN;
	u8 *rec = buf;

	if (!len || len > cap)
		return 0;
	/* Zero first: reserved fields, item and end padding stay zero. */
	memset(rec, 0, len);
	st32(rec, XEN_NCMIG_SNAP_MAGIC);
	st16(rec + 4, XEN_NCMIG_SNAP_VERSION);
	st16(rec + 6, s->kind);
	st32(rec + 8, (u32)len);
	st16(rec + 16, s->domid);
	st32(rec + 20, s->devid);
	if (s->kind == XEN_NCMIG_KIND_VBD)
		encode_vbd(&s->vbd, rec, &pos);
	else
		encode_vif(&s->vif, rec, &pos);
	st32(rec + 12, ncmig_crc32c(0, rec, len));
	return len;
}
