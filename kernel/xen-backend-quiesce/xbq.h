/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen-backend-quiesce: the contract between the core (device lookup,
 * per-device serialisation, the API xen-ncmig calls) and the per-kind
 * adapters (blk.c for blkback, net.c for netback).
 *
 * The adapters reach the patched backend drivers through the operations
 * tables those register (backend_ops.c), so no module dependency pins
 * xen-blkback or xen-netback: they depend on this module, not it on them.
 * Once a device is released the backend module can be unloaded and loaded
 * again while this one, and what it keeps for the attach, stays.
 */
#ifndef XBQ_H
#define XBQ_H

#include <linux/types.h>
#include <xen/xenbus.h>

#include "../../common/ncmig_snap.h"

/* A message naming the domain and device, returned to userspace. */
struct xbq_msg {
	char text[256];	/* ncmigd reads up to 256 (NL_TEXT_MAX) */
};

__printf(2, 3) void xbq_msg(struct xbq_msg *msg, const char *fmt, ...);

struct xbq_dev_info {
	u32 state;		/* backend XenbusState as the driver sees it */
	bool bound;
	/* The driver answered: it registered handover operations. */
	bool answered;
	bool quiesced;
	/* Bound, waiting for an attach from a record (no xenstore write yet). */
	bool parked;
	u32 nr_rings;
	u32 inflight;
	u32 pgrants;
	u64 drain_ns;		/* last quiesce */
	u32 dropped;		/* packets dropped by the last quiesce */
};

/*
 * Per-kind operations. The core calls them with the device's lock held,
 * never concurrently for one device. Each returns 0 or a negative errno
 * and, on failure, fills @msg ("d%u vbd %u: ...").
 */
struct xbq_kind_ops {
	const char *type;	/* xenbus device type: "vbd", "vif" */
	u16 kind;		/* XEN_NCMIG_KIND_* */
	/* Stop consuming, drain in-flight work, push every response. */
	int (*quiesce)(struct xenbus_device *dev, unsigned int timeout_ms,
		       u64 *drain_ns, struct xbq_msg *msg);
	/* Undo quiesce: consume again, kick the frontend. */
	int (*resume)(struct xenbus_device *dev, struct xbq_msg *msg);
	/*
	 * Encode the quiesced device's state as one snapshot record,
	 * kvmalloc()ed into *@rec; the caller kvfree()s it.
	 */
	int (*snapshot)(struct xenbus_device *dev, void **rec, size_t *len,
			struct xbq_msg *msg);
	/* Unbind the quiesced driver; write nothing to xenstore. */
	int (*release)(struct xenbus_device *dev, struct xbq_msg *msg);
	/*
	 * Bind a backend to @dev (no driver bound, frontend Connected) from
	 * @snap, which ncmig_snap_decode() already validated; check it
	 * against what the frontend negotiated before touching the ring.
	 */
	int (*attach)(struct xenbus_device *dev, const struct ncmig_snap *snap,
		      struct xbq_msg *msg);
	void (*info)(struct xenbus_device *dev, struct xbq_dev_info *info);
};

extern const struct xbq_kind_ops xbq_blk_ops;
extern const struct xbq_kind_ops xbq_net_ops;

#endif /* XBQ_H */
