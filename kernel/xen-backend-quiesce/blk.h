/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The blkback adapter (blk.c) speaks to the patched xen-blkback through
 * the operations it registers (kernel/patches/blkback), whose types the
 * core's public header defines.
 */
#ifndef XBQ_BLK_H
#define XBQ_BLK_H

#include <xen/xen-backend-quiesce.h>

#include "xbq.h"

/* Rings and persistent grants the adapter can carry, per the record. */
#define XBQ_BLK_MAX_RINGS	XEN_NCMIG_MAX_RINGS
#define XBQ_BLK_MAX_PGRANTS	XEN_NCMIG_MAX_PGRANTS

#endif /* XBQ_BLK_H */
