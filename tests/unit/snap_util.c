// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <string.h>

#include "snap_util.h"

const u32 snap_util_pgrants[5] = { 8, 9, 10, 0xfffffff0, 12 };

void snap_util_vbd(struct ncmig_snap *s, u32 nr_rings, u32 order)
{
	struct ncmig_vbd_state *d = &s->vbd;
	u32 i, j;

	memset(s, 0, sizeof(*s));
	s->kind = XEN_NCMIG_KIND_VBD;
	s->domid = 5;
	s->devid = 51712;
	d->sectors = 0x123456789aULL;
	d->sector_size = 512;
	d->physical_sector_size = 4096;
	d->info = 0;
	d->features = XEN_NCMIG_VBD_F_PERSISTENT | XEN_NCMIG_VBD_F_FLUSH;
	d->max_indirect_segs = 32;
	d->discard_granularity = 4096;
	d->discard_alignment = 0;
	d->protocol = 3;
	d->nr_rings = nr_rings;
	d->ring_page_order = order;
	for (i = 0; i < nr_rings; i++) {
		struct ncmig_vbd_ring *r = &d->rings[i];

		r->evtchn = 10 + i;
		r->req_cons = 1000 + i;
		r->rsp_prod = 1000 + i;
		r->req_prod = 1001 + i;
		r->nr_refs = 1U << order;
		for (j = 0; j < r->nr_refs; j++)
			r->refs[j] = 0x100 * (i + 1) + j;
	}
	d->rings[0].nr_pgrants = 5;
	d->rings[0].pgrants = snap_util_pgrants;
	d->has_stats = true;
	d->drain_ns = 123456789;
	d->inflight_at_quiesce = 3;
}

void snap_util_vif(struct ncmig_snap *s, u32 nr_queues)
{
	struct ncmig_vif_state *f = &s->vif;
	u32 i;

	memset(s, 0, sizeof(*s));
	s->kind = XEN_NCMIG_KIND_VIF;
	s->domid = 7;
	s->devid = 0;
	memcpy(f->mac, "\x00\x16\x3e\x01\x02\x03", 6);
	f->mtu = 1500;
	f->features = XEN_NCMIG_VIF_F_ALL;
	f->nr_queues = nr_queues;
	f->ctrl_ref = 77;
	f->ctrl_evtchn = 5;
	f->ctrl_req_cons = 2;
	f->ctrl_rsp_prod = 2;
	for (i = 0; i < nr_queues; i++) {
		struct ncmig_vif_queue *q = &f->queues[i];

		q->tx_ref = 200 + i;
		q->rx_ref = 300 + i;
		q->tx_evtchn = 20 + i;
		q->rx_evtchn = 40 + i;
		q->tx_req_cons = 0xfffffff0;
		q->tx_rsp_prod = 0xfffffff0;
		q->rx_req_cons = 17;
		q->rx_rsp_prod = 17;
	}
	f->has_hash = true;
	f->hash_alg = 1;
	f->hash_flags = 0xf;
	f->hash_key_len = 40;
	for (i = 0; i < 40; i++)
		f->hash_key[i] = (u8)(0xa0 + i);
	f->hash_map_size = 8;
	for (i = 0; i < 8; i++)
		f->hash_map[i] = i % nr_queues;
	f->has_mcast = true;
	f->mcast_count = 2;
	memcpy(f->mcast[0], "\x01\x00\x5e\x00\x00\x01", 6);
	memcpy(f->mcast[1], "\x33\x33\x00\x00\x00\x01", 6);
	f->has_rate = true;
	f->credit_bytes = ~0ULL;
	f->credit_usec = 0;
	f->has_stats = true;
	f->drain_ns = 42;
	f->rx_dropped = 1;
	f->tx_copied = 2;
}

u32 snap_util_ld32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 |
	       (u32)p[3] << 24;
}

void snap_util_st32(u8 *p, u32 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
	p[2] = (u8)(v >> 16);
	p[3] = (u8)(v >> 24);
}

void snap_util_st16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

void snap_util_recrc(u8 *rec, size_t len)
{
	snap_util_st32(rec + 12, 0);
	snap_util_st32(rec + 12, ncmig_crc32c(0, rec, len));
}

/* Offset just past the last item (where end padding starts). */
static size_t items_end(const u8 *rec, size_t len)
{
	size_t pos = XEN_NCMIG_SNAP_HDR_LEN;

	while (pos + 4 <= len) {
		u16 type = (u16)(rec[pos] | rec[pos + 1] << 8);
		u16 vlen = (u16)(rec[pos + 2] | rec[pos + 3] << 8);

		if (!type)
			break;
		pos += (4 + vlen + 3) & ~3U;
	}
	return pos;
}

u8 *snap_util_item(u8 *rec, size_t len, u16 type, unsigned int nth)
{
	size_t pos = XEN_NCMIG_SNAP_HDR_LEN, end = items_end(rec, len);

	while (pos < end) {
		u16 t = (u16)(rec[pos] | rec[pos + 1] << 8);
		u16 vlen = (u16)(rec[pos + 2] | rec[pos + 3] << 8);

		if (t == type && nth-- == 0)
			return rec + pos + 4;
		pos += (4 + vlen + 3) & ~3U;
	}
	return NULL;
}

size_t snap_util_append(u8 *rec, size_t len, u16 type, const void *val,
			u16 vlen)
{
	size_t pos = items_end(rec, len), n;

	snap_util_st16(rec + pos, type);
	snap_util_st16(rec + pos + 2, vlen);
	memcpy(rec + pos + 4, val, vlen);
	n = pos + ((4 + vlen + 3) & ~3U);
	memset(rec + pos + 4 + vlen, 0, n - (pos + 4 + vlen));
	len = (n + 7) & ~(size_t)7;
	memset(rec + n, 0, len - n);
	snap_util_st32(rec + 8, (u32)len);
	snap_util_recrc(rec, len);
	return len;
}
