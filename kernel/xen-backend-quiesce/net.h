/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netback adapter (net.c) speaks to the patched xen-netback through
 * the operations it registers (kernel/patches/netback), whose types the
 * core's public header defines.
 */
#ifndef XBQ_NET_H
#define XBQ_NET_H

#include <xen/xen-backend-quiesce.h>

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
