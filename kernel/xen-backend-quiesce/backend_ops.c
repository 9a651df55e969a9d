// SPDX-License-Identifier: GPL-2.0
/*
 * The backends' operations tables (xen/xen-backend-quiesce.h): one per
 * device kind, registered by the backend module that serves it. The core
 * never names a backend's symbol, so a backend can be unloaded and loaded
 * again (a new build, say) while the core and its state stay.
 *
 * xbq_backends_lock (a spinlock: nothing sleeps under it) guards
 * xbq_backends[]. A caller takes a table with xbq_backend_get(), which
 * pins the owner module, and calls it without the lock; the owner's
 * module exit, and so its unregistration, cannot begin while it is pinned,
 * and try_module_get() fails once it has begun.
 */
#define pr_fmt(fmt) "xen-backend-quiesce: " fmt

#include <linux/module.h>
#include <linux/printk.h>
#include <linux/spinlock.h>

#include "backend_ops.h"

static_assert(XBQ_KIND_VBD == XEN_NCMIG_KIND_VBD);
static_assert(XBQ_KIND_VIF == XEN_NCMIG_KIND_VIF);

static DEFINE_SPINLOCK(xbq_backends_lock);
static const struct xbq_backend_ops *xbq_backends[XBQ_KIND_VIF + 1];

static const char *xbq_ops_kind(unsigned int kind)
{
	switch (kind) {
	case XBQ_KIND_VBD:
		return "vbd";
	case XBQ_KIND_VIF:
		return "vif";
	}
	return "unknown";
}

static bool xbq_ops_complete(const struct xbq_backend_ops *ops)
{
	const struct xbq_vbd_ops *b = &ops->vbd;
	const struct xbq_vif_ops *n = &ops->vif;

	if (ops->kind == XBQ_KIND_VBD)
		return b->quiesce && b->resume && b->save && b->release &&
		       b->attach && b->info;
	return n->quiesce && n->resume && n->save && n->release &&
	       n->attach && n->info;
}

int xbq_register_backend(const struct xbq_backend_ops *ops)
{
	const char *name = ops->owner ? module_name(ops->owner) : "(built-in)";
	int err = 0;

	/* Checked first: a table of another version may be laid out apart. */
	if (ops->version != XBQ_BACKEND_VERSION) {
		pr_err("%s: refused: it speaks handover operations version %u, this core speaks version %u\n",
		       name, ops->version, XBQ_BACKEND_VERSION);
		return -EPROTONOSUPPORT;
	}
	if ((ops->kind != XBQ_KIND_VBD && ops->kind != XBQ_KIND_VIF) ||
	    !xbq_ops_complete(ops)) {
		pr_err("%s: refused: a malformed operations table (kind %u)\n",
		       name, ops->kind);
		return -EINVAL;
	}
	spin_lock(&xbq_backends_lock);
	if (xbq_backends[ops->kind])
		err = -EBUSY;
	else
		xbq_backends[ops->kind] = ops;
	spin_unlock(&xbq_backends_lock);
	if (err)
		pr_err("%s: refused: another module serves the %s handover operations\n",
		       name, xbq_ops_kind(ops->kind));
	else
		pr_info("%s: registered %s handover operations version %u\n",
			name, xbq_ops_kind(ops->kind), ops->version);
	return err;
}
EXPORT_SYMBOL_GPL(xbq_register_backend);

void xbq_unregister_backend(const struct xbq_backend_ops *ops)
{
	bool found = false;

	spin_lock(&xbq_backends_lock);
	if (ops->kind < ARRAY_SIZE(xbq_backends) &&
	    xbq_backends[ops->kind] == ops) {
		xbq_backends[ops->kind] = NULL;
		found = true;
	}
	spin_unlock(&xbq_backends_lock);
	if (found)
		pr_info("%s: unregistered its %s handover operations\n",
			ops->owner ? module_name(ops->owner) : "(built-in)",
			xbq_ops_kind(ops->kind));
}
EXPORT_SYMBOL_GPL(xbq_unregister_backend);

const struct xbq_backend_ops *xbq_backend_get(unsigned int kind)
{
	const struct xbq_backend_ops *ops = NULL;

	if (kind >= ARRAY_SIZE(xbq_backends))
		return NULL;
	spin_lock(&xbq_backends_lock);
	if (xbq_backends[kind] && try_module_get(xbq_backends[kind]->owner))
		ops = xbq_backends[kind];
	spin_unlock(&xbq_backends_lock);
	return ops;
}

void xbq_backend_put(const struct xbq_backend_ops *ops)
{
	if (ops)
		module_put(ops->owner);
}
