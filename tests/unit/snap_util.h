/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Builders of valid snapshot states and raw record surgery for tests. */
#ifndef SNAP_UTIL_H
#define SNAP_UTIL_H

#include "ncmig_snap.h"

/* A vbd with @nr_rings rings of order @order, persistent grants on ring 0. */
void snap_util_vbd(struct ncmig_snap *s, u32 nr_rings, u32 order);
/* A vif with @nr_queues queues, ctrl ring, hash, mcast, rate and stats. */
void snap_util_vif(struct ncmig_snap *s, u32 nr_queues);

/* Little-endian field access. */
u32 snap_util_ld32(const u8 *p);
void snap_util_st32(u8 *p, u32 v);
void snap_util_st16(u8 *p, u16 v);

/* Recompute the record's checksum after editing it. */
void snap_util_recrc(u8 *rec, size_t len);
/* Value of the @nth item of @type in @rec, or NULL. */
u8 *snap_util_item(u8 *rec, size_t len, u16 type, unsigned int nth);
/*
 * Append an item after the last one, fix padding, length and checksum.
 * @rec must have room; returns the new length.
 */
size_t snap_util_append(u8 *rec, size_t len, u16 type, const void *val,
			u16 vlen);

/* The pgrants the vbd builder points ring 0 at. */
extern const u32 snap_util_pgrants[5];

#endif
