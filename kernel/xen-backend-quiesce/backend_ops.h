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
void xbq_backend_put(const struct xbq_backend_ops *ops);

#endif /* XBQ_BACKEND_OPS_H */
