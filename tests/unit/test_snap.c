// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Snapshot record codec: round trips, one rejection per decoder rule, and
 * the encoder refusing what the decoder would refuse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ncmig_snap.h"
#include "snap_util.h"

#define REC_CAP (XEN_NCMIG_RECORD_MAX + 64)

static u8 rec[REC_CAP];
static struct ncmig_snap in, out;

static size_t encode(const struct ncmig_snap *s)
{
	size_t len = ncmig_snap_encode(s, rec, sizeof(rec));

	assert_true(len > 0);
	assert_int_equal(len, ncmig_snap_encoded_len(s));
	assert_int_equal(len % 8, 0);
	return len;
}

/* CRC-32C one bit at a time, from its definition. */
static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1u));
	}
	return ~crc;
}

/*
 * The kernel's crc32c() convention (linux/crc32c.h: no inversion on entry
 * or exit), and the wrapper common/ncmig_snap.c puts around it there.
 */
static uint32_t kernel_crc32c(uint32_t crc, const uint8_t *p, size_t len)
{
	return ~crc32c_bitwise(~crc, p, len);
}

static uint32_t kernel_wrapped(uint32_t crc, const uint8_t *p, size_t len)
{
	return ~kernel_crc32c(~crc, p, len);
}

static void test_crc32c_vectors(void **st)
{
	/* RFC 3720 B.4: the CRCs as stored little-endian, so aa 36 91 8a. */
	static const uint8_t pdu[48] = {
		0x01, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x14, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0x14, 0, 0, 0, 0x18,
		0x28, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0,
	};
	static const uint32_t want[5] = {
		0x8a9136aa, 0x62a8ab43, 0x46dd794e, 0x113fdb5c, 0xd9963a56,
	};
	uint8_t v[4][32];

	(void)st;
	for (int i = 0; i < 32; i++) {
		v[0][i] = 0;
		v[1][i] = 0xff;
		v[2][i] = (uint8_t)i;
		v[3][i] = (uint8_t)(31 - i);
	}
	for (int n = 0; n < 5; n++) {
		const uint8_t *p = n < 4 ? v[n] : pdu;
		size_t len = n < 4 ? 32 : sizeof(pdu);

		/* the userspace table, the definition, the kernel's wrapped */
		assert_int_equal(ncmig_crc32c(0, p, len), want[n]);
		assert_int_equal(crc32c_bitwise(0, p, len), want[n]);
		assert_int_equal(kernel_wrapped(0, p, len), want[n]);
	}
	/* The one the kernel modules run at load time. */
	assert_int_equal(ncmig_crc32c_selftest(), 0);
	assert_int_equal(ncmig_crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(ncmig_crc32c(0, "", 0), 0);
	/* Chaining equals one pass. */
	assert_int_equal(ncmig_crc32c(ncmig_crc32c(0, "1234", 4), "56789", 5),
			 0xe3069283);
}

/* The table against the definition, every length and offset up to 300. */
static void test_crc32c_table(void **st)
{
	uint8_t buf[300];
	uint32_t seed = 1;

	(void)st;
	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; off + len <= sizeof(buf); len += 7)
			for (int t = 0; t < 2; t++)	/* the CPU's and the table */
				assert_int_equal(t ? ncmig_crc32c_table(0x1234, buf + off, len) :
						 ncmig_crc32c(0x1234, buf + off, len),
						 crc32c_bitwise(0x1234, buf + off, len));
}

static void test_vbd_roundtrip(void **st)
{
	struct ncmig_snap_err err = { 0 };
	size_t len;
	u32 i, j;

	(void)st;
	snap_util_vbd(&in, 2, 2);
	len = encode(&in);
	assert_int_equal(ncmig_snap_decode(rec, len, &out, &err), 0);
	assert_int_equal(out.kind, XEN_NCMIG_KIND_VBD);
	assert_int_equal(out.domid, 5);
	assert_int_equal(out.devid, 51712);
	assert_true(out.vbd.sectors == in.vbd.sectors);
	assert_int_equal(out.vbd.sector_size, 512);
	assert_int_equal(out.vbd.physical_sector_size, 4096);
	assert_int_equal(out.vbd.features, in.vbd.features);
	assert_int_equal(out.vbd.max_indirect_segs, 32);
	assert_int_equal(out.vbd.discard_granularity, 4096);
	assert_int_equal(out.vbd.protocol, 3);
	assert_int_equal(out.vbd.nr_rings, 2);
	assert_int_equal(out.vbd.ring_page_order, 2);
	for (i = 0; i < 2; i++) {
		const struct ncmig_vbd_ring *a = &in.vbd.rings[i];
		const struct ncmig_vbd_ring *b = &out.vbd.rings[i];

		assert_int_equal(b->evtchn, a->evtchn);
		assert_int_equal(b->req_cons, a->req_cons);
		assert_int_equal(b->rsp_prod, a->rsp_prod);
		assert_int_equal(b->req_prod, a->req_prod);
		assert_int_equal(b->nr_refs, 4);
		for (j = 0; j < 4; j++)
			assert_int_equal(b->refs[j], a->refs[j]);
	}
	assert_int_equal(out.vbd.rings[0].nr_pgrants, 5);
	for (j = 0; j < 5; j++)
		assert_int_equal(ncmig_snap_pgrant(&out.vbd.rings[0], j),
				 snap_util_pgrants[j]);
	assert_int_equal(out.vbd.rings[1].nr_pgrants, 0);
	assert_true(out.vbd.has_stats);
	assert_true(out.vbd.drain_ns == 123456789);
	assert_int_equal(out.vbd.inflight_at_quiesce, 3);
}

static void test_vbd_max_roundtrip(void **st)
{
	struct ncmig_snap_err err = { 0 };
	size_t len;

	(void)st;
	snap_util_vbd(&in, XEN_NCMIG_MAX_RINGS, XEN_NCMIG_MAX_RING_ORDER);
	in.vbd.has_stats = false;
	len = encode(&in);
	assert_int_equal(ncmig_snap_decode(rec, len, &out, &err), 0);
	assert_int_equal(out.vbd.nr_rings, XEN_NCMIG_MAX_RINGS);
	assert_int_equal(out.vbd.rings[63].refs[15],
			 in.vbd.rings[63].refs[15]);
	assert_false(out.vbd.has_stats);
}

static void test_vif_roundtrip(void **st)
{
	struct ncmig_snap_err err = { 0 };
	size_t len;

	(void)st;
	snap_util_vif(&in, 2);
	len = encode(&in);
	assert_int_equal(ncmig_snap_decode(rec, len, &out, &err), 0);
	assert_int_equal(out.kind, XEN_NCMIG_KIND_VIF);
	assert_memory_equal(out.vif.mac, in.vif.mac, 6);
	assert_int_equal(out.vif.mtu, 1500);
	assert_int_equal(out.vif.features, XEN_NCMIG_VIF_F_ALL);
	assert_int_equal(out.vif.nr_queues, 2);
	assert_int_equal(out.vif.ctrl_ref, 77);
	assert_int_equal(out.vif.ctrl_evtchn, 5);
	assert_int_equal(out.vif.ctrl_req_cons, 2);
	assert_int_equal(out.vif.ctrl_rsp_prod, 2);
	assert_memory_equal(out.vif.queues, in.vif.queues,
			    2 * sizeof(in.vif.queues[0]));
	assert_true(out.vif.has_hash);
	assert_int_equal(out.vif.hash_alg, 1);
	assert_int_equal(out.vif.hash_flags, 0xf);
	assert_int_equal(out.vif.hash_key_len, 40);
	assert_memory_equal(out.vif.hash_key, in.vif.hash_key, 40);
	assert_int_equal(out.vif.hash_map_size, 8);
	assert_memory_equal(out.vif.hash_map, in.vif.hash_map, 8 * 4);
	assert_true(out.vif.has_mcast);
	assert_int_equal(out.vif.mcast_count, 2);
	assert_memory_equal(out.vif.mcast, in.vif.mcast, 12);
	assert_true(out.vif.has_rate);
	assert_true(out.vif.credit_bytes == ~0ULL);
	assert_true(out.vif.has_stats);
	assert_int_equal(out.vif.tx_copied, 2);
	/* Decoding and re-encoding gives the same octets. */
	{
		static u8 again[REC_CAP];

		assert_int_equal(ncmig_snap_encode(&out, again, sizeof(again)),
				 len);
		assert_memory_equal(again, rec, len);
	}
}

static void test_vif_minimal_roundtrip(void **st)
{
	struct ncmig_snap_err err = { 0 };
	static u8 again[REC_CAP];
	size_t len;

	(void)st;
	memset(&in, 0, sizeof(in));
	in.kind = XEN_NCMIG_KIND_VIF;
	in.vif.nr_queues = 1;
	in.vif.queues[0].tx_evtchn = 9;
	in.vif.queues[0].rx_evtchn = 9;
	len = encode(&in);
	assert_int_equal(len, 24 + 44 + 44);
	assert_int_equal(ncmig_snap_decode(rec, len, &out, &err), 0);
	assert_false(out.vif.has_hash || out.vif.has_mcast ||
		     out.vif.has_rate || out.vif.has_stats);
	assert_int_equal(ncmig_snap_encode(&out, again, sizeof(again)), len);
	assert_memory_equal(again, rec, len);
}

static void test_unknown_optional_skipped(void **st)
{
	struct ncmig_snap_err err = { 0 };
	u8 blob[5] = { 1, 2, 3, 4, 5 };
	size_t len;

	(void)st;
	snap_util_vbd(&in, 1, 0);
	len = encode(&in);
	len = snap_util_append(rec, len, XEN_NCMIG_ITEM_OPTIONAL | 0x7777,
			       blob, sizeof(blob));
	assert_int_equal(ncmig_snap_decode(rec, len, &out, &err), 0);
	assert_int_equal(out.vbd.nr_rings, 1);
}

static void test_peek(void **st)
{
	u16 kind = 0, domid = 0;
	u32 devid = 0, rlen = 0;
	size_t len;

	(void)st;
	snap_util_vif(&in, 1);
	len = encode(&in);
	assert_int_equal(ncmig_snap_peek(rec, len, &kind, &domid, &devid,
					 &rlen), 0);
	assert_int_equal(kind, XEN_NCMIG_KIND_VIF);
	assert_int_equal(domid, 7);
	assert_int_equal(devid, 0);
	assert_int_equal(rlen, len);
	assert_int_equal(ncmig_snap_peek(rec, 23, NULL, NULL, NULL, NULL),
			 -EINVAL);
	rec[0] ^= 1;
	assert_int_equal(ncmig_snap_peek(rec, len, NULL, NULL, NULL, NULL),
			 -EINVAL);
}

/* ---- rejections: each case breaks exactly one rule of a valid record ---- */

struct reject_case {
	const char *name;
	u16 kind;
	/* Edit the record; returns the length to decode.  Checksum is
	 * recomputed afterwards unless keep_crc.
	 */
	size_t (*edit)(u8 *r, size_t len);
	bool keep_crc;
	int rc;
	const char *what;
};

#define ITEM(t, n) snap_util_item(r, len, (t), (n))
#define ST32(t, n, off, v) snap_util_st32(ITEM(t, n) + (off), (v))

static size_t e_short(u8 *r, size_t len) { (void)r; (void)len; return 16; }
static size_t e_magic(u8 *r, size_t len) { r[0] ^= 0xff; return len; }
static size_t e_version(u8 *r, size_t len) { r[4] = 2; return len; }
static size_t e_kind(u8 *r, size_t len) { r[6] = 9; return len; }
static size_t e_flags(u8 *r, size_t len) { r[18] = 1; return len; }
static size_t e_len_big(u8 *r, size_t len)
{
	snap_util_st32(r + 8, XEN_NCMIG_RECORD_MAX + 8);
	return len;
}

static size_t e_buf_big(u8 *r, size_t len)
{
	(void)len;
	snap_util_st32(r + 8, XEN_NCMIG_RECORD_MAX + 8);
	return XEN_NCMIG_RECORD_MAX + 8;
}

static size_t e_len_small(u8 *r, size_t len)
{
	snap_util_st32(r + 8, 16);
	return len;
}

static size_t e_len_odd(u8 *r, size_t len)
{
	snap_util_st32(r + 8, (u32)len - 4);
	return len - 4;
}

static size_t e_len_mismatch(u8 *r, size_t len)
{
	snap_util_st32(r + 8, (u32)len - 8);
	return len;
}

static size_t e_crc(u8 *r, size_t len) { r[len - 1] ^= 0x40; return len; }

static size_t e_overrun(u8 *r, size_t len)
{
	u8 *v = ITEM(XEN_NCMIG_VBD_STATS, 0);

	snap_util_st16(v - 2, 0x4000);
	return len;
}

static size_t e_item_pad(u8 *r, size_t len)
{
	u8 blob[3] = { 1, 2, 3 };

	len = snap_util_append(r, len, XEN_NCMIG_ITEM_OPTIONAL | 0x55, blob,
			       3);
	ITEM(XEN_NCMIG_ITEM_OPTIONAL | 0x55, 0)[3] = 1;
	return len;
}

static size_t e_end_pad(u8 *r, size_t len)
{
	/* An empty optional item leaves 4 octets of end padding. */
	len = snap_util_append(r, len, XEN_NCMIG_ITEM_OPTIONAL | 0x55, "", 0);
	r[len - 1] = 1;
	return len;
}

static size_t e_unknown_mandatory(u8 *r, size_t len)
{
	u32 v = 0;

	return snap_util_append(r, len, 0x0777, &v, 4);
}

static size_t e_other_kind_item(u8 *r, size_t len)
{
	u8 v[16] = { 0 };

	return snap_util_append(r, len, XEN_NCMIG_VIF_RATE, v, 16);
}

static size_t e_no_disk(u8 *r, size_t len)
{
	snap_util_st16(ITEM(XEN_NCMIG_VBD_DISK, 0) - 4,
		       XEN_NCMIG_ITEM_OPTIONAL | 0x0777);
	return len;
}

static size_t e_dup_disk(u8 *r, size_t len)
{
	u8 v[56];

	memcpy(v, ITEM(XEN_NCMIG_VBD_DISK, 0), 56);
	return snap_util_append(r, len, XEN_NCMIG_VBD_DISK, v, 56);
}

static size_t e_disk_len(u8 *r, size_t len)
{
	/* Shrink DISK to 52; its freed last word becomes an empty item. */
	u8 *v = ITEM(XEN_NCMIG_VBD_DISK, 0);

	snap_util_st16(v - 2, 52);
	snap_util_st16(v + 52, XEN_NCMIG_ITEM_OPTIONAL | 0x0101);
	snap_util_st16(v + 54, 0);
	return len;
}

static size_t e_disk_reserved(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_DISK, 0, 52, 1);
	return len;
}

static size_t e_disk_feature(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_DISK, 0, 20, XEN_NCMIG_VBD_F_ALL + 1);
	return len;
}

static size_t e_disk_protocol(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_DISK, 0, 36, 4);
	return len;
}

static size_t e_disk_protocol0(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_DISK, 0, 36, 0);
	return len;
}

static size_t e_nr_rings0(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_DISK, 0, 40, 0);
	return len;
}

static size_t e_nr_rings_big(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_DISK, 0, 40, XEN_NCMIG_MAX_RINGS + 1);
	return len;
}

static size_t e_order_big(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_DISK, 0, 44, XEN_NCMIG_MAX_RING_ORDER + 1);
	return len;
}

static size_t e_ring_index(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_RING, 1, 0, 2);
	return len;
}

static size_t e_ring_dup(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_RING, 1, 0, 0);
	return len;
}

static size_t e_ring_missing(u8 *r, size_t len)
{
	snap_util_st16(ITEM(XEN_NCMIG_VBD_RING, 1) - 4,
		       XEN_NCMIG_ITEM_OPTIONAL | 0x0777);
	return len;
}

static size_t e_ring_nr_refs(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_RING, 0, 20, 2);	/* order 2: must be 4 */
	return len;
}

static size_t e_ring_len(u8 *r, size_t len)
{
	u8 v[24 + 4 * 5] = { 0 };

	/* Ring 1 replaced by one with 5 refs where nr_refs says 4. */
	snap_util_st16(ITEM(XEN_NCMIG_VBD_RING, 1) - 4,
		       XEN_NCMIG_ITEM_OPTIONAL | 0x0777);
	snap_util_st32(v, 1);
	snap_util_st32(v + 20, 4);
	return snap_util_append(r, len, XEN_NCMIG_VBD_RING, v, sizeof(v));
}

static size_t e_ring_short(u8 *r, size_t len)
{
	u8 v[20] = { 0 };

	return snap_util_append(r, len, XEN_NCMIG_VBD_RING, v, sizeof(v));
}

static size_t e_pg_ring(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_PGRANTS, 0, 0, 2);
	return len;
}

static size_t e_pg_dup(u8 *r, size_t len)
{
	u8 v[8] = { 0 };

	return snap_util_append(r, len, XEN_NCMIG_VBD_PGRANTS, v, 8);
}

static size_t e_pg_count(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_PGRANTS, 0, 4, XEN_NCMIG_MAX_PGRANTS + 1);
	return len;
}

static size_t e_pg_len(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_PGRANTS, 0, 4, 4);	/* 5 grefs follow */
	return len;
}

static size_t e_pg_short(u8 *r, size_t len)
{
	u8 v[4] = { 1 };

	return snap_util_append(r, len, XEN_NCMIG_VBD_PGRANTS, v, 4);
}

static size_t e_vbd_stats_len(u8 *r, size_t len)
{
	u8 v[8] = { 0 };

	snap_util_st16(ITEM(XEN_NCMIG_VBD_STATS, 0) - 4,
		       XEN_NCMIG_ITEM_OPTIONAL | 0x0777);
	return snap_util_append(r, len, XEN_NCMIG_VBD_STATS, v, 8);
}

static size_t e_vbd_stats_dup(u8 *r, size_t len)
{
	u8 v[16] = { 0 };

	return snap_util_append(r, len, XEN_NCMIG_VBD_STATS, v, 16);
}

static size_t e_vbd_stats_reserved(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VBD_STATS, 0, 12, 1);
	return len;
}

/* vif */
static size_t e_no_vif(u8 *r, size_t len)
{
	snap_util_st16(ITEM(XEN_NCMIG_VIF_VIF, 0) - 4,
		       XEN_NCMIG_ITEM_OPTIONAL | 0x0777);
	return len;
}

static size_t e_vif_len(u8 *r, size_t len)
{
	u8 v[44] = { 0 };

	memcpy(v, ITEM(XEN_NCMIG_VIF_VIF, 0), 40);
	snap_util_st16(ITEM(XEN_NCMIG_VIF_VIF, 0) - 4,
		       XEN_NCMIG_ITEM_OPTIONAL | 0x0777);
	return snap_util_append(r, len, XEN_NCMIG_VIF_VIF, v, 44);
}

static size_t e_vif_mac_pad(u8 *r, size_t len)
{
	ITEM(XEN_NCMIG_VIF_VIF, 0)[7] = 1;
	return len;
}

static size_t e_vif_reserved(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_VIF, 0, 36, 1);
	return len;
}

static size_t e_vif_feature(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_VIF, 0, 12, 0x100);
	return len;
}

static size_t e_nr_queues0(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_VIF, 0, 16, 0);
	return len;
}

static size_t e_nr_queues_big(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_VIF, 0, 16, XEN_NCMIG_MAX_RINGS + 1);
	return len;
}

static size_t e_ctrl_without_ring(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_VIF, 0, 12,
	     XEN_NCMIG_VIF_F_ALL & ~XEN_NCMIG_VIF_F_CTRL_RING);
	return len;
}

static size_t e_queue_index(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_QUEUE, 1, 0, 2);
	return len;
}

static size_t e_queue_dup(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_QUEUE, 1, 0, 0);
	return len;
}

static size_t e_queue_missing(u8 *r, size_t len)
{
	snap_util_st16(ITEM(XEN_NCMIG_VIF_QUEUE, 0) - 4,
		       XEN_NCMIG_ITEM_OPTIONAL | 0x0777);
	return len;
}

static size_t e_queue_reserved(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_QUEUE, 0, 36, 1);
	return len;
}

static size_t e_queue_len(u8 *r, size_t len)
{
	u8 v[36] = { 0 };

	snap_util_st16(ITEM(XEN_NCMIG_VIF_QUEUE, 1) - 4,
		       XEN_NCMIG_ITEM_OPTIONAL | 0x0777);
	snap_util_st32(v, 1);
	return snap_util_append(r, len, XEN_NCMIG_VIF_QUEUE, v, 36);
}

static size_t e_queue_unsplit(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_VIF, 0, 12,
	     XEN_NCMIG_VIF_F_ALL & ~XEN_NCMIG_VIF_F_SPLIT_EVTCHN);
	return len;
}

static size_t e_hash_key_len(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_HASH, 0, 8, 41);
	return len;
}

static size_t e_hash_map_size(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_HASH, 0, 12, 129);
	return len;
}

static size_t e_hash_len(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_HASH, 0, 12, 7);	/* 8 entries follow */
	return len;
}

static size_t e_hash_short(u8 *r, size_t len)
{
	snap_util_st16(ITEM(XEN_NCMIG_VIF_HASH, 0) - 2, 52);
	/* The freed word of the old value becomes an empty optional item. */
	snap_util_st16(ITEM(XEN_NCMIG_VIF_HASH, 0) + 52,
		       XEN_NCMIG_ITEM_OPTIONAL | 0x0777);
	snap_util_st16(ITEM(XEN_NCMIG_VIF_HASH, 0) + 54, 88 - 56);
	return len;
}

static size_t e_hash_key_pad(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_HASH, 0, 8, 39);	/* key[39] is nonzero */
	return len;
}

static size_t e_hash_map_entry(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_HASH, 0, 56 + 4 * 3, 2);	/* 2 queues */
	return len;
}

static size_t e_hash_dup(u8 *r, size_t len)
{
	u8 v[56] = { 0 };

	return snap_util_append(r, len, XEN_NCMIG_VIF_HASH, v, 56);
}

static size_t e_mcast_count(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_MCAST, 0, 0, XEN_NCMIG_MAX_MCAST + 1);
	return len;
}

static size_t e_mcast_len(u8 *r, size_t len)
{
	ST32(XEN_NCMIG_VIF_MCAST, 0, 0, 1);
	return len;
}

static size_t e_mcast_pad(u8 *r, size_t len)
{
	ITEM(XEN_NCMIG_VIF_MCAST, 0)[4 + 8 + 6] = 1;
	return len;
}

static size_t e_mcast_dup(u8 *r, size_t len)
{
	u8 v[4] = { 0 };

	return snap_util_append(r, len, XEN_NCMIG_VIF_MCAST, v, 4);
}

static size_t e_rate_len(u8 *r, size_t len)
{
	u8 v[8] = { 0 };

	snap_util_st16(ITEM(XEN_NCMIG_VIF_RATE, 0) - 4,
		       XEN_NCMIG_ITEM_OPTIONAL | 0x0777);
	return snap_util_append(r, len, XEN_NCMIG_VIF_RATE, v, 8);
}

static size_t e_rate_dup(u8 *r, size_t len)
{
	u8 v[16] = { 0 };

	return snap_util_append(r, len, XEN_NCMIG_VIF_RATE, v, 16);
}

static size_t e_vif_stats_dup(u8 *r, size_t len)
{
	u8 v[16] = { 0 };

	return snap_util_append(r, len, XEN_NCMIG_VIF_STATS, v, 16);
}

static size_t e_vif_stats_len(u8 *r, size_t len)
{
	u8 v[12] = { 0 };

	snap_util_st16(ITEM(XEN_NCMIG_VIF_STATS, 0) - 4,
		       XEN_NCMIG_ITEM_OPTIONAL | 0x0777);
	return snap_util_append(r, len, XEN_NCMIG_VIF_STATS, v, 12);
}

#define VBD XEN_NCMIG_KIND_VBD
#define VIF XEN_NCMIG_KIND_VIF
static const struct reject_case rejects[] = {
	{ "short buffer", VBD, e_short, true, -EINVAL, "shorter than the header" },
	{ "bad magic", VBD, e_magic, true, -EINVAL, "bad magic" },
	{ "bad version", VBD, e_version, true, -EPROTO, "unknown version" },
	{ "length > max", VBD, e_len_big, true, -E2BIG, "RECORD_MAX" },
	{ "buffer > max", VBD, e_buf_big, true, -E2BIG, "RECORD_MAX" },
	{ "length < header", VBD, e_len_small, true, -EINVAL, "shorter than the header" },
	{ "length % 8", VBD, e_len_odd, false, -EINVAL, "multiple of 8" },
	{ "length != buffer", VBD, e_len_mismatch, false, -EINVAL, "does not match" },
	{ "bad crc", VBD, e_crc, true, -EBADMSG, "checksum" },
	{ "unknown kind", VBD, e_kind, false, -EINVAL, "kind" },
	{ "flags set", VBD, e_flags, false, -EINVAL, "flags" },
	{ "item overruns", VBD, e_overrun, false, -EINVAL, "overruns" },
	{ "item padding", VBD, e_item_pad, false, -EINVAL, "item padding" },
	{ "end padding", VBD, e_end_pad, false, -EINVAL, "after end padding" },
	{ "unknown mandatory", VBD, e_unknown_mandatory, false, -EPROTO, "unknown mandatory" },
	{ "vif item in vbd", VBD, e_other_kind_item, false, -EPROTO, "unknown mandatory" },
	{ "no disk", VBD, e_no_disk, false, -EINVAL, "missing device item" },
	{ "dup disk", VBD, e_dup_disk, false, -EINVAL, "duplicate device item" },
	{ "disk length", VBD, e_disk_len, false, -EINVAL, "wrong item length" },
	{ "disk reserved", VBD, e_disk_reserved, false, -EINVAL, "reserved" },
	{ "disk feature", VBD, e_disk_feature, false, -EINVAL, "feature" },
	{ "protocol 4", VBD, e_disk_protocol, false, -EINVAL, "protocol" },
	{ "protocol 0", VBD, e_disk_protocol0, false, -EINVAL, "protocol" },
	{ "nr_rings 0", VBD, e_nr_rings0, false, -EINVAL, "nr_rings" },
	{ "nr_rings 65", VBD, e_nr_rings_big, false, -EINVAL, "nr_rings" },
	{ "order 5", VBD, e_order_big, false, -EINVAL, "ring_page_order" },
	{ "ring index", VBD, e_ring_index, false, -EINVAL, "ring index >= nr_rings" },
	{ "ring dup", VBD, e_ring_dup, false, -EINVAL, "duplicate ring" },
	{ "ring missing", VBD, e_ring_missing, false, -EINVAL, "missing ring" },
	{ "ring nr_refs", VBD, e_ring_nr_refs, false, -EINVAL, "nr_refs" },
	{ "ring length", VBD, e_ring_len, false, -EINVAL, "wrong item length" },
	{ "ring short", VBD, e_ring_short, false, -EINVAL, "wrong item length" },
	{ "pgrants ring", VBD, e_pg_ring, false, -EINVAL, "pgrants ring" },
	{ "pgrants dup", VBD, e_pg_dup, false, -EINVAL, "duplicate pgrants" },
	{ "pgrants count", VBD, e_pg_count, false, -EINVAL, "too many persistent" },
	{ "pgrants length", VBD, e_pg_len, false, -EINVAL, "wrong item length" },
	{ "pgrants short", VBD, e_pg_short, false, -EINVAL, "wrong item length" },
	{ "vbd stats length", VBD, e_vbd_stats_len, false, -EINVAL, "wrong item length" },
	{ "vbd stats dup", VBD, e_vbd_stats_dup, false, -EINVAL, "duplicate stats" },
	{ "vbd stats reserved", VBD, e_vbd_stats_reserved, false, -EINVAL, "reserved" },
	{ "no vif", VIF, e_no_vif, false, -EINVAL, "missing device item" },
	{ "vif length", VIF, e_vif_len, false, -EINVAL, "wrong item length" },
	{ "vif mac padding", VIF, e_vif_mac_pad, false, -EINVAL, "mac padding" },
	{ "vif reserved", VIF, e_vif_reserved, false, -EINVAL, "reserved" },
	{ "vif feature", VIF, e_vif_feature, false, -EINVAL, "feature" },
	{ "nr_queues 0", VIF, e_nr_queues0, false, -EINVAL, "nr_queues" },
	{ "nr_queues 65", VIF, e_nr_queues_big, false, -EINVAL, "nr_queues" },
	{ "ctrl without ring", VIF, e_ctrl_without_ring, false, -EINVAL, "ctrl ring" },
	{ "queue index", VIF, e_queue_index, false, -EINVAL, "queue index" },
	{ "queue dup", VIF, e_queue_dup, false, -EINVAL, "duplicate queue" },
	{ "queue missing", VIF, e_queue_missing, false, -EINVAL, "missing queue" },
	{ "queue reserved", VIF, e_queue_reserved, false, -EINVAL, "reserved" },
	{ "queue length", VIF, e_queue_len, false, -EINVAL, "wrong item length" },
	{ "queue unsplit evtchn", VIF, e_queue_unsplit, false, -EINVAL, "rx_evtchn" },
	{ "hash key_len", VIF, e_hash_key_len, false, -EINVAL, "key_len" },
	{ "hash map_size", VIF, e_hash_map_size, false, -EINVAL, "map_size" },
	{ "hash length", VIF, e_hash_len, false, -EINVAL, "wrong item length" },
	{ "hash short", VIF, e_hash_short, false, -EINVAL, "wrong item length" },
	{ "hash key padding", VIF, e_hash_key_pad, false, -EINVAL, "key padding" },
	{ "hash map entry", VIF, e_hash_map_entry, false, -EINVAL, "map entry" },
	{ "hash dup", VIF, e_hash_dup, false, -EINVAL, "duplicate hash" },
	{ "mcast count", VIF, e_mcast_count, false, -EINVAL, "too many multicast" },
	{ "mcast length", VIF, e_mcast_len, false, -EINVAL, "wrong item length" },
	{ "mcast padding", VIF, e_mcast_pad, false, -EINVAL, "mcast padding" },
	{ "mcast dup", VIF, e_mcast_dup, false, -EINVAL, "duplicate mcast" },
	{ "rate length", VIF, e_rate_len, false, -EINVAL, "wrong item length" },
	{ "rate dup", VIF, e_rate_dup, false, -EINVAL, "duplicate rate" },
	{ "vif stats length", VIF, e_vif_stats_len, false, -EINVAL, "wrong item length" },
	{ "vif stats dup", VIF, e_vif_stats_dup, false, -EINVAL, "duplicate stats" },
};

static void run_reject(void **st)
{
	const struct reject_case *c = *st;
	struct ncmig_snap_err err = { 0 };
	size_t len;

	if (c->kind == VBD)
		snap_util_vbd(&in, 2, 2);
	else
		snap_util_vif(&in, 2);
	len = encode(&in);
	assert_int_equal(ncmig_snap_decode(rec, len, &out, &err), 0);
	len = c->edit(rec, len);
	if (!c->keep_crc)
		snap_util_recrc(rec, len);
	assert_int_equal(ncmig_snap_decode(rec, len, &out, &err), c->rc);
	assert_non_null(err.what);
	if (!strstr(err.what, c->what))
		fail_msg("%s: got \"%s\", want \"%s\"", c->name, err.what,
			 c->what);
}

/* ---- the encoder refuses what the decoder would refuse ---- */

static void assert_refused(const struct ncmig_snap *s)
{
	assert_int_equal(ncmig_snap_encoded_len(s), 0);
	assert_int_equal(ncmig_snap_encode(s, rec, sizeof(rec)), 0);
}

static void test_encoder_refuses(void **st)
{
	(void)st;
	snap_util_vbd(&in, 2, 2);
	in.kind = 3;
	assert_refused(&in);
	snap_util_vbd(&in, 2, 2);
	in.vbd.features = 0x20;
	assert_refused(&in);
	snap_util_vbd(&in, 2, 2);
	in.vbd.protocol = 0;
	assert_refused(&in);
	snap_util_vbd(&in, 2, 2);
	in.vbd.nr_rings = 0;
	assert_refused(&in);
	snap_util_vbd(&in, 2, 2);
	in.vbd.nr_rings = XEN_NCMIG_MAX_RINGS + 1;
	assert_refused(&in);
	snap_util_vbd(&in, 1, 2);
	in.vbd.ring_page_order = 5;
	assert_refused(&in);
	snap_util_vbd(&in, 2, 2);
	in.vbd.rings[1].nr_refs = 2;
	assert_refused(&in);
	snap_util_vbd(&in, 2, 2);
	in.vbd.rings[1].nr_pgrants = XEN_NCMIG_MAX_PGRANTS + 1;
	assert_refused(&in);
	snap_util_vbd(&in, 2, 2);
	in.vbd.rings[1].nr_pgrants = 1;		/* no array */
	assert_refused(&in);

	snap_util_vif(&in, 2);
	in.vif.features = 0x100;
	assert_refused(&in);
	snap_util_vif(&in, 2);
	in.vif.nr_queues = 0;
	assert_refused(&in);
	snap_util_vif(&in, 2);
	in.vif.nr_queues = XEN_NCMIG_MAX_RINGS + 1;
	assert_refused(&in);
	snap_util_vif(&in, 2);
	in.vif.features &= ~XEN_NCMIG_VIF_F_CTRL_RING;
	assert_refused(&in);
	snap_util_vif(&in, 2);
	in.vif.features &= ~XEN_NCMIG_VIF_F_SPLIT_EVTCHN;
	assert_refused(&in);
	snap_util_vif(&in, 2);
	in.vif.hash_key_len = 41;
	assert_refused(&in);
	snap_util_vif(&in, 2);
	in.vif.hash_map_size = 129;
	assert_refused(&in);
	snap_util_vif(&in, 2);
	in.vif.hash_map[3] = 2;
	assert_refused(&in);
	snap_util_vif(&in, 2);
	in.vif.mcast_count = XEN_NCMIG_MAX_MCAST + 1;
	assert_refused(&in);
}

static void test_encoder_too_big(void **st)
{
	static u32 many[XEN_NCMIG_MAX_PGRANTS];
	u32 i;

	(void)st;
	/* 64 rings, each with 4096 persistent grants: far over 65000. */
	snap_util_vbd(&in, XEN_NCMIG_MAX_RINGS, 0);
	for (i = 0; i < XEN_NCMIG_MAX_RINGS; i++) {
		in.vbd.rings[i].nr_pgrants = XEN_NCMIG_MAX_PGRANTS;
		in.vbd.rings[i].pgrants = many;
	}
	assert_refused(&in);
}

static void test_encoder_cap(void **st)
{
	size_t len;

	(void)st;
	snap_util_vbd(&in, 1, 0);
	len = ncmig_snap_encoded_len(&in);
	assert_true(len > 0);
	assert_int_equal(ncmig_snap_encode(&in, rec, len - 1), 0);
	assert_int_equal(ncmig_snap_encode(&in, rec, len), len);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_crc32c_vectors),
		cmocka_unit_test(test_crc32c_table),
		cmocka_unit_test(test_vbd_roundtrip),
		cmocka_unit_test(test_vbd_max_roundtrip),
		cmocka_unit_test(test_vif_roundtrip),
		cmocka_unit_test(test_vif_minimal_roundtrip),
		cmocka_unit_test(test_unknown_optional_skipped),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_encoder_refuses),
		cmocka_unit_test(test_encoder_too_big),
		cmocka_unit_test(test_encoder_cap),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	size_t nrej = sizeof(rejects) / sizeof(rejects[0]);
	struct CMUnitTest *t = calloc(nfixed + nrej, sizeof(*t));
	size_t i;
	int rc;

	if (!t)
		return 1;
	memcpy(t, fixed, sizeof(fixed));
	for (i = 0; i < nrej; i++) {
		t[nfixed + i].name = rejects[i].name;
		t[nfixed + i].test_func = run_reject;
		t[nfixed + i].initial_state = (void *)&rejects[i];
	}
	rc = _cmocka_run_group_tests("snapshot codec", t, nfixed + nrej,
				     NULL, NULL);
	free(t);
	return rc;
}
