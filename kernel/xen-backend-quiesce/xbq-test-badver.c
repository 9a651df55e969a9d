// SPDX-License-Identifier: GPL-2.0
/*
 * Lab only (built with NCMIG_TEST_HOOKS): a backend that registers an
 * operations table of another interface version than the core's, as a
 * backend built against an older or newer xen-backend-quiesce would. The
 * core must refuse it at registration, naming both versions; this
 * module's init then fails with the core's error, so insmod says so too.
 * The table is never called.
 */
#include <linux/module.h>
#include <xen/xen-backend-quiesce.h>

static unsigned int version = XBQ_BACKEND_VERSION + 1;
module_param(version, uint, 0444);
MODULE_PARM_DESC(version, "the interface version to claim (default: the core's + 1)");

static int xbq_test_quiesce(struct xenbus_device *dev, unsigned int timeout_ms)
{
	return -EOPNOTSUPP;
}

static int xbq_test_dev(struct xenbus_device *dev)
{
	return -EOPNOTSUPP;
}

static int xbq_test_save(struct xenbus_device *dev,
			 struct xen_blkbk_handover *ho)
{
	return -EOPNOTSUPP;
}

static int xbq_test_release(struct xenbus_device *dev,
			    struct xen_blkbk_ho_kept *kept,
			    unsigned int max_rings)
{
	return -EOPNOTSUPP;
}

static int xbq_test_attach(struct xenbus_device *dev,
			   const struct xen_blkbk_handover *ho,
			   char *why, size_t why_len)
{
	return -EOPNOTSUPP;
}

static void xbq_test_info(struct xenbus_device *dev,
			  struct xen_blkbk_ho_info *info)
{
}

static struct xbq_backend_ops xbq_test_ops = {
	.kind = XBQ_KIND_VBD,
	.owner = THIS_MODULE,
	.vbd = {
		.quiesce = xbq_test_quiesce,
		.resume = xbq_test_dev,
		.save = xbq_test_save,
		.release = xbq_test_release,
		.attach = xbq_test_attach,
		.info = xbq_test_info,
	},
};

static int __init xbq_test_badver_init(void)
{
	xbq_test_ops.version = version;
	return xbq_register_backend(&xbq_test_ops);
}

static void __exit xbq_test_badver_exit(void)
{
	xbq_unregister_backend(&xbq_test_ops);
}

module_init(xbq_test_badver_init);
module_exit(xbq_test_badver_exit);

MODULE_DESCRIPTION("Lab test: a backend of another handover interface version");
MODULE_LICENSE("GPL");
