// SPDX-License-Identifier: GPL-2.0
/*
 * xen-backend-quiesce: stop, snapshot, release and re-attach a Xen guest's
 * PV backends without their frontends noticing. xen-ncmig drives it.
 */
#include <linux/module.h>

#include "backend_bus.h"
#include "core.h"

static int __init xbq_init(void)
{
	xbq_core_init();
	return xbq_bus_init();
}

static void __exit xbq_exit(void)
{
	xbq_bus_exit();
}

module_init(xbq_init);
module_exit(xbq_exit);

MODULE_DESCRIPTION("Quiesce, snapshot and re-attach Xen PV backends");
MODULE_AUTHOR("ncmig authors");
MODULE_LICENSE("GPL");
