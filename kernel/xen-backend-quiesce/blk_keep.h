/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Persistent grants a released vbd handed over still mapped, kept until
 * the attach that follows adopts them (blk.c). Mapped grants cannot be
 * revoked by the frontend, so the set survives the handover exactly.
 */
#ifndef XBQ_BLK_KEEP_H
#define XBQ_BLK_KEEP_H

#include "blk.h"

/*
 * An entry holds a reference to its backend device, so that it never
 * points at a freed one, and is in the store from before the release
 * unbinds the device (blk_keep_reserve()) until it is taken, expires, or
 * the device goes away (BUS_NOTIFY_DEL_DEVICE), so that a removal during
 * the release cannot be missed. blk_keep_lock (blk_keep.c) guards the
 * store and @armed/@gone.
 */
struct blk_keep {
	struct list_head node;		/* in the store, or empty */
	struct xenbus_device *dev;	/* reference held while set */
	struct delayed_work expire;
	bool armed;			/* committed: @expire scheduled */
	bool gone;			/* reserved, and its device removed */
	unsigned int nr_rings;
	struct xen_blkbk_ho_kept rings[XBQ_BLK_MAX_RINGS];
};

/* Room for @nr_rings rings of XBQ_BLK_MAX_PGRANTS grants each. */
struct blk_keep *blk_keep_alloc(unsigned int nr_rings);
/*
 * Put @k in the store for @dev before the release fills it, replacing
 * (and unmapping) anything kept for @dev before. The caller serialises
 * the calls for one device.
 */
void blk_keep_reserve(struct xenbus_device *dev, struct blk_keep *k);
/*
 * The release of a reserved @k is done: keep its mappings until taken or
 * expired (keep_grants_ms) if @ok and its device is still there, else
 * unmap and free them now.
 */
void blk_keep_commit(struct blk_keep *k, bool ok);
/* What is kept for @dev, out of the store, or NULL. */
struct blk_keep *blk_keep_take(struct xenbus_device *dev);
/* Unmap whatever @k still holds and free it (and its device reference). */
void blk_keep_drop(struct blk_keep *k);
/* Unmap the grants of @kept not adopted (page not NULL); empties it. */
void blk_keep_unmap_ring(struct xen_blkbk_ho_kept *kept);
/* The number of grants @k still holds. */
unsigned int blk_keep_count(const struct blk_keep *k);

int blk_keep_init(void);
void blk_keep_exit(void);

#endif /* XBQ_BLK_KEEP_H */
