/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Persistent grants a released vbd handed over still mapped, kept until
 * the attach that follows adopts them (blk.c). Mapped grants cannot be
 * revoked by the frontend, so the set survives the handover exactly.
 */
#ifndef XBQ_BLK_KEEP_H
#define XBQ_BLK_KEEP_H

#include "blk.h"

struct blk_keep {
	struct list_head node;		/* in the store, or empty */
	struct xenbus_device *dev;	/* no reference: see blk_keep_init() */
	struct delayed_work expire;
	unsigned int nr_rings;
	struct xen_blkbk_ho_kept rings[XBQ_BLK_MAX_RINGS];
};

/* Room for @nr_rings rings of XBQ_BLK_MAX_PGRANTS grants each. */
struct blk_keep *blk_keep_alloc(unsigned int nr_rings);
/* Keep @k's mappings for @dev until taken or expired (keep_grants_ms). */
void blk_keep_store(struct xenbus_device *dev, struct blk_keep *k);
/* What is kept for @dev, out of the store, or NULL. */
struct blk_keep *blk_keep_take(struct xenbus_device *dev);
/* Unmap whatever @k still holds and free it. */
void blk_keep_drop(struct blk_keep *k);
/* Unmap the grants of @kept not adopted (page not NULL); empties it. */
void blk_keep_unmap_ring(struct xen_blkbk_ho_kept *kept);
/* The number of grants @k still holds. */
unsigned int blk_keep_count(const struct blk_keep *k);

int blk_keep_init(void);
void blk_keep_exit(void);

#endif /* XBQ_BLK_KEEP_H */
