// SPDX-License-Identifier: GPL-2.0
/*
 * xen-ncmig: hand a Xen guest's PV backends over (a migration, or a live
 * update of the dom0 backend drivers) without the frontends reconnecting.
 * Userspace (ncmigd) drives it over the xen_ncmig generic netlink family.
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "netlink.h"
#include "session.h"
#include "watchdog.h"

static int __init ncmig_init(void)
{
	int err;

	err = ncmig_session_init();
	if (err)
		return err;
	err = ncmig_watchdog_init();
	if (err)
		goto session;
	err = ncmig_nl_init();
	if (err)
		goto watchdog;
	return 0;
watchdog:
	ncmig_watchdog_exit();
session:
	ncmig_session_exit();
	return err;
}

static void __exit ncmig_exit(void)
{
	/* No new deadlines, then no new requests, then resume what is left. */
	ncmig_watchdog_exit();
	ncmig_nl_exit();
	ncmig_session_exit();
}

module_init(ncmig_init);
module_exit(ncmig_exit);

MODULE_DESCRIPTION("Xen PV backend handover without frontend reconnect");
MODULE_AUTHOR("ncmig authors");
MODULE_LICENSE("GPL");
MODULE_ALIAS_GENL_FAMILY("xen_ncmig");
