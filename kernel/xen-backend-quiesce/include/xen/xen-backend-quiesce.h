/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen-backend-quiesce: the interface between the core, which stays loaded
 * across a live update of the backends, and each backend driver that can
 * hand its devices over (xen-blkback, xen-netback).
 *
 * A backend registers one table of operations in its module init and
 * unregisters it in its module exit; it exports nothing. The core calls
 * the operations with a reference on the backend's module held, so a
 * table is never used after its module's exit has begun.
 *
 * XBQ_BACKEND_VERSION names this whole header: the operations' signatures
 * and the layout of every structure below, which the core carries from
 * one instance of a backend to the next (the persistent grants blkback
 * keeps mapped across its release are held by the core in the layout of
 * struct xen_blkbk_ho_kept). Any change to them bumps it, and the core
 * refuses a table of a version other than its own.
 */
#ifndef __XEN_BACKEND_QUIESCE_H__
#define __XEN_BACKEND_QUIESCE_H__

#include <linux/bits.h>
#include <linux/if_ether.h>
#include <linux/types.h>
#include <xen/grant_table.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/io/ring.h>
#include <xen/xenbus.h>

#define XBQ_BACKEND_VERSION	1

/* The device kinds, as the xen-ncmig uapi numbers them. */
#define XBQ_KIND_VBD		1
#define XBQ_KIND_VIF		2

/* ---- vbd (xen-blkback) ---- */

/* What the backend advertised and the frontend negotiated. */
#define XEN_BLKBK_HO_PERSISTENT		BIT(0)
#define XEN_BLKBK_HO_FLUSH		BIT(1)
#define XEN_BLKBK_HO_BARRIER		BIT(2)
#define XEN_BLKBK_HO_DISCARD		BIT(3)
#define XEN_BLKBK_HO_SECURE_DISCARD	BIT(4)

/* A persistent grant handed from one instance to the next still mapped. */
struct xen_blkbk_ho_gnt {
	grant_ref_t gref;
	grant_handle_t handle;
	struct page *page;		/* NULL once adopted */
};

/* A ring's grants kept mapped, in an array of @max the caller owns. */
struct xen_blkbk_ho_kept {
	struct xen_blkbk_ho_gnt *gnts;
	unsigned int max;
	unsigned int nr;
};

struct xen_blkbk_ho_ring {
	evtchn_port_t evtchn;		/* the frontend's port */
	RING_IDX req_cons;
	RING_IDX rsp_prod;
	RING_IDX req_prod;		/* as seen when saved */
	grant_ref_t ring_ref[XENBUS_MAX_RING_GRANTS];
	/* Persistent grants, in an array of @max_pgrants the caller owns. */
	grant_ref_t *pgrants;
	unsigned int max_pgrants;
	unsigned int nr_pgrants;
	/*
	 * Grants the previous instance kept mapped (its release), adopted
	 * before @pgrants, which should not list them again.
	 */
	struct xen_blkbk_ho_kept kept;
};

struct xen_blkbk_handover {
	u64 sectors;
	unsigned int sector_size;
	unsigned int physical_sector_size;
	unsigned int info;			/* VDISK_* */
	unsigned int features;			/* XEN_BLKBK_HO_* */
	unsigned int max_indirect_segs;
	unsigned int discard_granularity;
	unsigned int discard_alignment;
	unsigned int protocol;			/* BLKIF_PROTOCOL_* */
	unsigned int ring_page_order;
	unsigned int nr_rings;
	unsigned int max_rings;			/* entries in @rings */
	struct xen_blkbk_ho_ring *rings;
};

struct xen_blkbk_ho_info {
	bool bound;		/* to this driver */
	bool parked;
	bool quiesced;
	unsigned int state;	/* XenbusState the driver is in */
	unsigned int nr_rings;
	unsigned int inflight;
	unsigned int pgrants;
	unsigned int inflight_at_quiesce;
	unsigned int pgrants_attached;	/* re-mapped by the attach */
	unsigned int pgrants_failed;	/* no longer granted by then */
	unsigned int pgrants_kept;	/* adopted still mapped */
	u64 drain_ns;		/* of the last quiesce */
};

/* Each call sleeps; see xen-blkback's handover.h for what each does. */
struct xbq_vbd_ops {
	int (*quiesce)(struct xenbus_device *dev, unsigned int timeout_ms);
	int (*resume)(struct xenbus_device *dev);
	int (*save)(struct xenbus_device *dev, struct xen_blkbk_handover *ho);
	int (*release)(struct xenbus_device *dev,
		       struct xen_blkbk_ho_kept *kept, unsigned int max_rings);
	int (*attach)(struct xenbus_device *dev,
		      const struct xen_blkbk_handover *ho,
		      char *why, size_t why_len);
	void (*info)(struct xenbus_device *dev, struct xen_blkbk_ho_info *info);
};

/* ---- vif (xen-netback) ---- */

#define XENVIF_HO_MAX_QUEUES		64
#define XENVIF_HO_MAX_MCAST		64
#define XENVIF_HO_HASH_KEY_SIZE		40
#define XENVIF_HO_HASH_MAPPING_SIZE	128

/* What the frontend negotiated. */
#define XENVIF_HO_F_SG			BIT(0)
#define XENVIF_HO_F_GSO_TCPV4		BIT(1)
#define XENVIF_HO_F_GSO_TCPV6		BIT(2)
#define XENVIF_HO_F_IP_CSUM		BIT(3)
#define XENVIF_HO_F_IPV6_CSUM		BIT(4)
#define XENVIF_HO_F_MCAST_CTRL		BIT(5)
#define XENVIF_HO_F_SPLIT_EVTCHN	BIT(6)
#define XENVIF_HO_F_CTRL_RING		BIT(7)

struct xenvif_ho_queue {
	u32 tx_ring_ref;
	u32 rx_ring_ref;
	u32 tx_evtchn;
	u32 rx_evtchn;		/* == tx_evtchn unless split */
	u32 tx_req_cons;
	u32 tx_rsp_prod;
	u32 rx_req_cons;
	u32 rx_rsp_prod;
};

/*
 * A quiesced vif: its rings (where every consumed request is answered),
 * what the frontend negotiated, and the state only netback holds.
 */
struct xenvif_ho_state {
	u8 mac[ETH_ALEN];
	u32 mtu;
	u32 features;		/* XENVIF_HO_F_* */
	u32 num_queues;
	u32 ctrl_ring_ref;
	u32 ctrl_evtchn;
	u32 ctrl_req_cons;
	u32 ctrl_rsp_prod;
	u32 hash_alg;		/* XEN_NETIF_CTRL_HASH_ALGORITHM_* */
	u32 hash_flags;
	u8 hash_key[XENVIF_HO_HASH_KEY_SIZE];
	u32 hash_mapping_size;
	u32 hash_mapping[XENVIF_HO_HASH_MAPPING_SIZE];
	u32 mcast_count;
	u8 mcast[XENVIF_HO_MAX_MCAST][ETH_ALEN];
	u64 credit_bytes;	/* ~0 and 0: unlimited */
	u64 credit_usec;
	struct xenvif_ho_queue queues[XENVIF_HO_MAX_QUEUES];
};

struct xenvif_ho_stats {
	u64 drain_ns;		/* time the last quiesce took */
	u32 rx_dropped;		/* packets for the guest it dropped */
	u32 tx_pending;		/* guest packets still mapped */
	u32 tx_copied;		/* copied at the bound, to answer them */
	u32 num_queues;
	int ifindex;		/* the vif's netdev in init_net, 0: none */
	bool quiesced;
	bool parked;		/* bound, waiting for an attach */
};

struct xenvif_ho_msg {
	char text[128];
};

/* Each call sleeps; see xen-netback's handover.h for what each does. */
struct xbq_vif_ops {
	int (*quiesce)(struct xenbus_device *dev, unsigned int timeout_ms,
		       struct xenvif_ho_stats *stats,
		       struct xenvif_ho_msg *msg);
	int (*resume)(struct xenbus_device *dev, struct xenvif_ho_msg *msg);
	int (*save)(struct xenbus_device *dev, struct xenvif_ho_state *st,
		    struct xenvif_ho_msg *msg);
	int (*release)(struct xenbus_device *dev, struct xenvif_ho_msg *msg);
	int (*attach)(struct xenbus_device *dev,
		      const struct xenvif_ho_state *st,
		      struct xenvif_ho_msg *msg);
	int (*info)(struct xenbus_device *dev, struct xenvif_ho_stats *stats);
};

/* ---- registration ---- */

struct xbq_backend_ops {
	unsigned int version;	/* XBQ_BACKEND_VERSION built against */
	unsigned int kind;	/* XBQ_KIND_*: which member of the union */
	struct module *owner;	/* THIS_MODULE */
	union {
		struct xbq_vbd_ops vbd;
		struct xbq_vif_ops vif;
	};
};

/*
 * Offer @ops, which must stay valid until xbq_unregister_backend(), for
 * every device of its kind bound to the driver of @ops->owner. Two
 * modules (two slots of one backend, with driver names of their own) may
 * register a table of one kind at once; the one registered last is
 * preferred (xbq_backend_may_probe()). -EPROTONOSUPPORT: the core speaks
 * another version (it says which in the kernel log); -EBUSY: two other
 * modules serve that kind, or @ops->owner registered one already;
 * -EINVAL: a malformed table.
 */
int xbq_register_backend(const struct xbq_backend_ops *ops);
/* Withdraw @ops; the core makes no new call through it. */
void xbq_unregister_backend(const struct xbq_backend_ops *ops);

/*
 * Whether the driver that registered @ops should take a new device, from
 * its probe: false while another module's table of the same kind was
 * registered after @ops (a newer slot of the backend, loaded beside it
 * for a rolling update), which then serves every device bound from now
 * on; true otherwise, and for a table the core refused. A driver that
 * declines returns -ENODEV from its probe, so that the driver core tries
 * the next driver of that device type. The core binds the devices it
 * moves to the preferred driver itself. Does not sleep.
 */
bool xbq_backend_may_probe(const struct xbq_backend_ops *ops);

#endif /* __XEN_BACKEND_QUIESCE_H__ */
