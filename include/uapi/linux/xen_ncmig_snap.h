/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * The snapshot record: one backend device's state, as the kernel emits it
 * (XEN_NCMIG_A_RECORD) and accepts it back. Little-endian throughout.
 * doc/snapshot-record.md has the octet diagrams.
 *
 * Header (24 octets):
 *   0  magic    u32  XEN_NCMIG_SNAP_MAGIC
 *   4  version  u16  XEN_NCMIG_SNAP_VERSION
 *   6  kind     u16  enum xen_ncmig_dev_kind
 *   8  length   u32  whole record, header included; multiple of 8
 *  12  crc32c   u32  over the whole record with this field zero
 *  16  domid    u16
 *  18  flags    u16  must be 0
 *  20  devid    u32  vbd handle (virtual-device) or vif index
 * Items follow from offset 24 until length (zero padding may end it):
 *   type u16 (XEN_NCMIG_ITEM_OPTIONAL set: skip if unknown),
 *   len u16 (value octets), value, zero padding to 4 octets.
 * A record whose item of type 0 appears is padding: the rest must be 0.
 */
#ifndef _UAPI_LINUX_XEN_NCMIG_SNAP_H
#define _UAPI_LINUX_XEN_NCMIG_SNAP_H

#define XEN_NCMIG_SNAP_MAGIC		0x4e53434eU	/* "NCSN" */
#define XEN_NCMIG_SNAP_VERSION		1
#define XEN_NCMIG_SNAP_HDR_LEN		24
#define XEN_NCMIG_ITEM_HDR_LEN		4
#define XEN_NCMIG_ITEM_OPTIONAL		0x8000

/* Bounds every reader enforces before use. */
#define XEN_NCMIG_MAX_RINGS		64	/* blk rings or vif queues */
#define XEN_NCMIG_MAX_RING_ORDER	4	/* XENBUS_MAX_RING_GRANT_ORDER */
#define XEN_NCMIG_MAX_PGRANTS		4096	/* per ring */
#define XEN_NCMIG_MAX_MCAST		64	/* netback's XEN_NETBK_MCAST_MAX */
#define XEN_NCMIG_HASH_KEY_MAX		40
#define XEN_NCMIG_HASH_MAP_MAX		128

/*
 * vbd items.
 * DISK (exactly one), 56 octets:
 *   sectors u64, sector_size u32, physical_sector_size u32, info u32,
 *   features u32 (XEN_NCMIG_VBD_F_*), max_indirect_segs u32,
 *   discard_granularity u32, discard_alignment u32, protocol u32
 *   (1 native, 2 x86_32, 3 x86_64), nr_rings u32, ring_page_order u32,
 *   reserved u32 (0), reserved u32 (0)
 * RING (exactly nr_rings, indices 0..nr_rings-1 once each):
 *   index u32, evtchn u32 (frontend port), req_cons u32, rsp_prod u32,
 *   req_prod u32 (seen at snapshot), nr_refs u32 (== 1 << ring_page_order),
 *   refs[nr_refs] u32
 * PGRANTS (at most one per ring): ring u32, count u32, grefs[count] u32
 * STATS (optional): drain_ns u64, inflight_at_quiesce u32, reserved u32
 */
enum {
	XEN_NCMIG_VBD_DISK = 0x0001,
	XEN_NCMIG_VBD_RING = 0x0002,
	XEN_NCMIG_VBD_PGRANTS = 0x0003,
	XEN_NCMIG_VBD_STATS = XEN_NCMIG_ITEM_OPTIONAL | 0x0004,
};

#define XEN_NCMIG_VBD_F_PERSISTENT	(1U << 0)
#define XEN_NCMIG_VBD_F_FLUSH		(1U << 1)
#define XEN_NCMIG_VBD_F_BARRIER		(1U << 2)
#define XEN_NCMIG_VBD_F_DISCARD		(1U << 3)
#define XEN_NCMIG_VBD_F_SECURE_DISCARD	(1U << 4)
#define XEN_NCMIG_VBD_F_ALL		0x1fU

/*
 * vif items.
 * VIF (exactly one), 40 octets:
 *   mac[6], pad[2] (0), mtu u32, features u32 (XEN_NCMIG_VIF_F_*),
 *   nr_queues u32, ctrl_ref u32 (0 if no ctrl ring), ctrl_evtchn u32,
 *   ctrl_req_cons u32, ctrl_rsp_prod u32, reserved u32 (0)
 * QUEUE (exactly nr_queues, indices once each), 40 octets:
 *   index u32, tx_ref u32, rx_ref u32, tx_evtchn u32,
 *   rx_evtchn u32 (== tx_evtchn when shared), tx_req_cons u32,
 *   tx_rsp_prod u32, rx_req_cons u32, rx_rsp_prod u32, reserved u32 (0)
 * HASH (at most one): alg u32, flags u32, key_len u32, map_size u32,
 *   key[XEN_NCMIG_HASH_KEY_MAX], map[map_size] u32 (each < nr_queues)
 * MCAST (at most one): count u32, addrs[count] (8 octets: mac[6], pad[2])
 * RATE (at most one): credit_bytes u64, credit_usec u64
 * STATS (optional): drain_ns u64, rx_dropped u32, tx_copied u32
 */
enum {
	XEN_NCMIG_VIF_VIF = 0x0101,
	XEN_NCMIG_VIF_QUEUE = 0x0102,
	XEN_NCMIG_VIF_HASH = 0x0103,
	XEN_NCMIG_VIF_MCAST = 0x0104,
	XEN_NCMIG_VIF_RATE = 0x0105,
	XEN_NCMIG_VIF_STATS = XEN_NCMIG_ITEM_OPTIONAL | 0x0106,
};

#define XEN_NCMIG_VIF_F_SG		(1U << 0)
#define XEN_NCMIG_VIF_F_GSO_TCPV4	(1U << 1)
#define XEN_NCMIG_VIF_F_GSO_TCPV6	(1U << 2)
#define XEN_NCMIG_VIF_F_IP_CSUM		(1U << 3)
#define XEN_NCMIG_VIF_F_IPV6_CSUM	(1U << 4)
#define XEN_NCMIG_VIF_F_MCAST_CTRL	(1U << 5)
#define XEN_NCMIG_VIF_F_SPLIT_EVTCHN	(1U << 6)
#define XEN_NCMIG_VIF_F_CTRL_RING	(1U << 7)
#define XEN_NCMIG_VIF_F_ALL		0xffU

#endif /* _UAPI_LINUX_XEN_NCMIG_SNAP_H */
