/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netback adapter (net.c) speaks to the patched xen-netback through
 * the handover API its patch series adds (kernel/patches/netback). The
 * header comes from the patched source that `make backends` extracts:
 * Kbuild puts $(BUILD)/backends/src/drivers/net on the include path.
 */
#ifndef XBQ_NET_H
#define XBQ_NET_H

#include <xen-netback/handover.h>

#include "xbq.h"

/* Queues the adapter can carry: the fewer of the record's and the API's. */
#define XBQ_NET_MAX_QUEUES	min_t(u32, XEN_NCMIG_MAX_RINGS, \
				      XENVIF_HO_MAX_QUEUES)

/*
 * Vifs whose netdev placement (bridge, up) is remembered between their
 * snapshot and their attach; the oldest is forgotten beyond this.
 */
#define XBQ_NET_MAX_PLACES	64

#endif /* XBQ_NET_H */
