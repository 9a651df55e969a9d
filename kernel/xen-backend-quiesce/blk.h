/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The blkback adapter (blk.c) speaks to the patched xen-blkback through
 * the handover API its patch series adds (kernel/patches/blkback). The
 * header comes from the patched source that `make backends` extracts:
 * Kbuild puts $(BUILD)/backends/src/drivers/block on the include path.
 */
#ifndef XBQ_BLK_H
#define XBQ_BLK_H

#include <xen-blkback/handover.h>

#include "xbq.h"

/* Rings and persistent grants the adapter can carry, per the record. */
#define XBQ_BLK_MAX_RINGS	XEN_NCMIG_MAX_RINGS
#define XBQ_BLK_MAX_PGRANTS	XEN_NCMIG_MAX_PGRANTS

#endif /* XBQ_BLK_H */
