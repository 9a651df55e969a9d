/* SPDX-License-Identifier: GPL-2.0 */
/* The registered backends' operations, as the adapters call them. */
#ifndef XBQ_BACKEND_OPS_H
#define XBQ_BACKEND_OPS_H

#include <xen/xen-backend-quiesce.h>

#include "xbq.h"

/*
 * The table registered for @kind (XBQ_KIND_*) with its module pinned, or
 * NULL if none is; xbq_backend_put() it (NULL is fine) after the call.
 */
const struct xbq_backend_ops *xbq_backend_get(unsigned int kind);
/*
 * The table of the driver @xdev is bound to, pinned, or NULL if that
 * driver registered none; for an unbound @xdev the preferred one, as
 * xbq_backend_get().
 */
const struct xbq_backend_ops *xbq_backend_get_dev(unsigned int kind,
						  struct xenbus_device *xdev);
void xbq_backend_put(const struct xbq_backend_ops *ops);

/*
 * Bind @xdev, if no driver is, to the driver of the preferred table of
 * @kind (device_driver_attach(): it takes the device lock, so call it
 * with none held; the core's attach runs on the xenwatch thread). With
 * no table registered, any driver that matches (device_attach()). 0 once
 * a driver is bound, or a negative errno.
 */
int xbq_backend_bind(unsigned int kind, struct xenbus_device *xdev);

#endif /* XBQ_BACKEND_OPS_H */
