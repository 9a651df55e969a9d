// SPDX-License-Identifier: GPL-2.0
/*
 * xen-backend-quiesce: stop, snapshot, release and re-attach a Xen guest's
 * PV backends without their frontends noticing. xen-ncmig drives it.
 */
#include <linux/module.h>

#include "../../common/ncmig_snap.h"
#include "backend_bus.h"
#include "core.h"
#ifdef XBQ_HAVE_BLK
#include "blk_keep.h"
#endif

static int __init xbq_init(void)
{
	int err;

#ifdef XBQ_HAVE_SNAP
	/* Records carry RFC 3720's CRC-32C: the kernel's crc32c() must agree. */
	err = ncmig_crc32c_selftest();
	if (err) {
		pr_err("xen-backend-quiesce: CRC-32C is wrong on RFC 3720 B.4 example %d\n",
		       err);
		return -ELIBBAD;
	}
#endif

	xbq_core_init();
	err = xbq_bus_init();
	if (err)
		return err;
#ifdef XBQ_HAVE_BLK
	err = blk_keep_init();
	if (err) {
		xbq_bus_exit();
		return err;
	}
#endif
	err = xbq_test_init();
	if (err) {
		xbq_test_exit();
#ifdef XBQ_HAVE_BLK
		blk_keep_exit();
#endif
		xbq_bus_exit();
	}
	return err;
}

static void __exit xbq_exit(void)
{
	xbq_test_exit();
#ifdef XBQ_HAVE_BLK
	blk_keep_exit();
#endif
	xbq_bus_exit();
	xbq_core_exit();
}

module_init(xbq_init);
module_exit(xbq_exit);

MODULE_DESCRIPTION("Quiesce, snapshot and re-attach Xen PV backends");
MODULE_AUTHOR("ncmig authors");
MODULE_LICENSE("GPL");
