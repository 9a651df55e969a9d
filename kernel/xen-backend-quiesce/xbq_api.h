/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The API xen-backend-quiesce exports to xen-ncmig: per-device steps of a
 * handover, addressed by (kind, domid, devid) rather than by pointer, so a
 * caller can hold on to a device across the unbind, and even the unload
 * and reload, of its backend driver.
 *
 * Every call looks the device up on the xen-backend bus, dispatches to the
 * kind's adapter (xbq.h) and holds the device's lock for the duration;
 * calls for one device never run concurrently. On failure @msg names the
 * domain and device.
 */
#ifndef XBQ_API_H
#define XBQ_API_H

#include <linux/types.h>

#include "xbq.h"

struct xbq_dev_id {
	u16 kind;		/* XEN_NCMIG_KIND_* */
	u16 domid;
	u32 devid;		/* vbd handle or vif index */
};

/* Pass to xbq_list() for every domain's devices. */
#define XBQ_ALL_DOMAINS		(-1)

/* Long enough for "backend/vbd/32767/4294967295". */
#define XBQ_NODENAME_MAX	64

/*
 * Store up to @max ids of the backend devices of @domid (or of every
 * domain) that have an adapter, bound to a driver or not, sorted by
 * domain, kind and devid. Returns how many there are, which may exceed
 * @max, or a negative errno.
 */
int xbq_list(int domid, struct xbq_dev_id *ids, unsigned int max);

/* The xenbus device type of @kind ("vbd", "vif"), or "?". */
const char *xbq_kind_name(u16 kind);

int xbq_quiesce(const struct xbq_dev_id *id, unsigned int timeout_ms,
		u64 *drain_ns, struct xbq_msg *msg);
int xbq_resume(const struct xbq_dev_id *id, struct xbq_msg *msg);

/*
 * The quiesced device's record, kvmalloc()ed into *@rec; the caller
 * kvfree()s it. The record has passed ncmig_snap_decode(): the kernel
 * never hands out a record it would refuse back.
 */
int xbq_snapshot(const struct xbq_dev_id *id, void **rec, size_t *len,
		 struct xbq_msg *msg);
int xbq_release(const struct xbq_dev_id *id, struct xbq_msg *msg);

/*
 * Validate one record for domain @domid before anything is applied. On
 * success *@snap holds the decoded state (free it with xbq_snap_free())
 * and @id the device it names.
 */
int xbq_snap_load(u16 domid, const void *rec, size_t len,
		  struct ncmig_snap **snap, struct xbq_dev_id *id,
		  struct xbq_msg *msg);
void xbq_snap_free(struct ncmig_snap *snap);

/* Bind a backend to the device named by @snap, from @snap. */
int xbq_attach(const struct ncmig_snap *snap, struct xbq_msg *msg);

/* Whether the device is still on the bus (its domain may be gone). */
bool xbq_exists(const struct xbq_dev_id *id);

/*
 * What became of a device whose resume or attach failed, so that a
 * session never waits for one that cannot come back:
 *  GONE     not on the bus, or its backend node is gone (its domain is
 *           being destroyed, the toolstack removed it);
 *  CLOSED   its frontend left the connection (Closing, Closed, or
 *           Initialising again), or its backend closed it (an attach
 *           refused the rings): nothing is left to hand over. An unbound
 *           (released) device the toolstack is closing is then answered
 *           Closed, as its driver would, so that the toolstack need not
 *           wait for it;
 *  RUNNING  a driver is bound and serves it on its own, neither parked
 *           nor quiesced (the park timeout fell back to a reconnect);
 *  WAITING  none of these: a retry (another attach, a backend module
 *           loaded) can still bring it back.
 */
enum xbq_fate {
	XBQ_FATE_WAITING,
	XBQ_FATE_GONE,
	XBQ_FATE_CLOSED,
	XBQ_FATE_RUNNING,
};

enum xbq_fate xbq_fate(const struct xbq_dev_id *id);

/*
 * The device has nothing to hand over: its driver never connected it to
 * a frontend (backend state not Connected: InitWait while the frontend
 * has not probed it, an empty CD-ROM drive). A handover leaves it alone.
 */
bool xbq_unconnected(const struct xbq_dev_id *id);

/* Fill @info and the device's xenstore @nodename (@cap octets). */
int xbq_info(const struct xbq_dev_id *id, struct xbq_dev_info *info,
	     char *nodename, size_t cap);

#endif /* XBQ_API_H */
