/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Codec for snapshot records (include/uapi/linux/xen_ncmig_snap.h).
 * Plain C shared by the kernel modules and ncmigd, so the userspace unit
 * tests and fuzzers exercise the very code the kernel runs.
 *
 * Decoding never trusts the buffer: ncmig_snap_decode() checks the
 * header, the checksum, every item's bounds and every invariant before it
 * fills the state, and names what it rejected and where.
 */
#ifndef NCMIG_SNAP_H
#define NCMIG_SNAP_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
/* Userspace: the kernel's short names over the uapi fixed-width types. */
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
#endif

#include "../include/uapi/linux/xen_ncmig.h"
#include "../include/uapi/linux/xen_ncmig_snap.h"

struct ncmig_snap_err {
	const char *what;	/* static text naming the problem */
	u32 offset;		/* octet offset in the record */
	u16 item;		/* item type, 0 for the header */
};

struct ncmig_vbd_ring {
	u32 evtchn;
	u32 req_cons;
	u32 rsp_prod;
	u32 req_prod;
	u32 nr_refs;
	u32 refs[1 << XEN_NCMIG_MAX_RING_ORDER];
	u32 nr_pgrants;
	/* Decode: points into the record (little-endian, maybe unaligned).
	 * Encode: native u32 array supplied by the caller.
	 */
	const void *pgrants;
};

struct ncmig_vbd_state {
	u64 sectors;
	u32 sector_size;
	u32 physical_sector_size;
	u32 info;
	u32 features;		/* XEN_NCMIG_VBD_F_* */
	u32 max_indirect_segs;
	u32 discard_granularity;
	u32 discard_alignment;
	u32 protocol;
	u32 nr_rings;
	u32 ring_page_order;
	bool has_stats;
	u64 drain_ns;
	u32 inflight_at_quiesce;
	struct ncmig_vbd_ring rings[XEN_NCMIG_MAX_RINGS];
};

struct ncmig_vif_queue {
	u32 tx_ref;
	u32 rx_ref;
	u32 tx_evtchn;
	u32 rx_evtchn;
	u32 tx_req_cons;
	u32 tx_rsp_prod;
	u32 rx_req_cons;
	u32 rx_rsp_prod;
};

struct ncmig_vif_state {
	u8 mac[6];
	u32 mtu;
	u32 features;		/* XEN_NCMIG_VIF_F_* */
	u32 nr_queues;
	u32 ctrl_ref;
	u32 ctrl_evtchn;
	u32 ctrl_req_cons;
	u32 ctrl_rsp_prod;
	struct ncmig_vif_queue queues[XEN_NCMIG_MAX_RINGS];
	bool has_hash;
	u32 hash_alg;
	u32 hash_flags;
	u32 hash_key_len;
	u8 hash_key[XEN_NCMIG_HASH_KEY_MAX];
	u32 hash_map_size;
	u32 hash_map[XEN_NCMIG_HASH_MAP_MAX];
	bool has_mcast;
	u32 mcast_count;
	u8 mcast[XEN_NCMIG_MAX_MCAST][6];
	bool has_rate;
	u64 credit_bytes;
	u64 credit_usec;
	bool has_stats;
	u64 drain_ns;
	u32 rx_dropped;
	u32 tx_copied;
};

struct ncmig_snap {
	u16 kind;		/* enum xen_ncmig_dev_kind */
	u16 domid;
	u32 devid;
	union {
		struct ncmig_vbd_state vbd;
		struct ncmig_vif_state vif;
	};
};

/*
 * CRC-32C (Castagnoli, reflected 0x82f63b78), as used for the record and
 * stream checksums.  Start with @crc 0; calls chain: crc32c(crc32c(0, a),
 * b) is the CRC of a followed by b.  "123456789" gives 0xe3069283.
 * The kernel's crc32c() behind it in the kernel; in userspace SSE 4.2's
 * crc32 instruction where the CPU has it, else a table
 * (user/lib/crc32c.c).
 */
u32 ncmig_crc32c(u32 crc, const void *buf, size_t len);
#ifndef __KERNEL__
/* Userspace's table walk alone, whatever the CPU: for the unit tests. */
u32 ncmig_crc32c_table(u32 crc, const void *buf, size_t len);
#endif

/*
 * 0 if ncmig_crc32c() gives RFC 3720 B.4's five example CRCs, else the
 * number (1-5) of the first example it gets wrong.
 */
int ncmig_crc32c_selftest(void);

/*
 * Octets ncmig_snap_encode() needs for @s (a multiple of 8), or 0 if @s
 * breaks a bound.
 */
size_t ncmig_snap_encoded_len(const struct ncmig_snap *s);

/*
 * Encode @s into @buf; returns the record length or 0 if @cap is too
 * small or @s breaks a bound (the encoder refuses what the decoder would).
 */
size_t ncmig_snap_encode(const struct ncmig_snap *s, void *buf, size_t cap);

/*
 * Validate and decode one record of exactly @len octets into @s.
 * Returns 0, or a negative errno (-EINVAL, -EBADMSG for a checksum,
 * -EPROTO for an unknown version or mandatory item, -E2BIG) with @err set.
 */
int ncmig_snap_decode(const void *buf, size_t len, struct ncmig_snap *s,
		      struct ncmig_snap_err *err);

/* Persistent grant @i of a decoded ring. */
u32 ncmig_snap_pgrant(const struct ncmig_vbd_ring *r, u32 i);

/* Peek the header fields without validating the body (for listings). */
int ncmig_snap_peek(const void *buf, size_t len, u16 *kind, u16 *domid,
		    u32 *devid, u32 *rec_len);

#endif /* NCMIG_SNAP_H */
