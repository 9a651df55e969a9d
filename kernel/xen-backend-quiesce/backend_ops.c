// SPDX-License-Identifier: GPL-2.0
/*
 * The backends' operations tables (xen/xen-backend-quiesce.h), registered
 * by the backend modules that serve each device kind. The core never names
 * a backend's symbol, so a backend can be unloaded and loaded again (a new
 * build, say) while the core and its state stay.
 *
 * Two tables of one kind may be registered at once: two slots of a
 * backend (xen-blkback and xen-blkback-b, built from one source with
 * driver names "vbd" and "vbd-b") loaded side by side for a rolling
 * update. The one registered last is the preferred one: a device that is
 * bound to neither is bound to its driver (xbq_backend_bind()), and the
 * other declines to probe new devices (xbq_backend_may_probe()), so that
 * devices move to it one at a time and new guests start on it, until the
 * older one serves nothing and can be unloaded.
 *
 * A call on a device goes to the table of the driver it is bound to
 * (xbq_backend_get_dev()).
 *
 * xbq_backends_lock (a spinlock: nothing sleeps under it) guards
 * xbq_backends[] and xbq_backends_seq. A caller takes a table with
 * xbq_backend_get*(), which pins the owner module, and calls it without
 * the lock; the owner's module exit, and so its unregistration, cannot
 * begin while it is pinned, and try_module_get() fails once it has begun.
 */
#define pr_fmt(fmt) "xen-backend-quiesce: " fmt

#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "backend_bus.h"
#include "backend_ops.h"

static_assert(XBQ_KIND_VBD == XEN_NCMIG_KIND_VBD);
static_assert(XBQ_KIND_VIF == XEN_NCMIG_KIND_VIF);

/* Slots per kind: the running backend and the one a rolling update adds. */
#define XBQ_SLOTS	2

struct xbq_slot {
	const struct xbq_backend_ops *ops;
	u64 seq;		/* order of registration: highest preferred */
};

static DEFINE_SPINLOCK(xbq_backends_lock);
static struct xbq_slot xbq_backends[XBQ_KIND_VIF + 1][XBQ_SLOTS];
static u64 xbq_backends_seq;

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

static const char *xbq_ops_name(const struct xbq_backend_ops *ops)
{
	return ops->owner ? module_name(ops->owner) : "(built-in)";
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

/* The preferred (last registered) slot of @kind, or NULL; lock held. */
static struct xbq_slot *xbq_newest(unsigned int kind)
{
	struct xbq_slot *best = NULL;
	unsigned int i;

	for (i = 0; i < XBQ_SLOTS; i++) {
		struct xbq_slot *s = &xbq_backends[kind][i];

		if (s->ops && (!best || s->seq > best->seq))
			best = s;
	}
	return best;
}

int xbq_register_backend(const struct xbq_backend_ops *ops)
{
	struct xbq_slot *free = NULL;
	bool dup = false;
	unsigned int i;

	/* Checked first: a table of another version may be laid out apart. */
	if (ops->version != XBQ_BACKEND_VERSION) {
		pr_err("%s: refused: it speaks handover operations version %u, this core speaks version %u\n",
		       xbq_ops_name(ops), ops->version, XBQ_BACKEND_VERSION);
		return -EPROTONOSUPPORT;
	}
	if ((ops->kind != XBQ_KIND_VBD && ops->kind != XBQ_KIND_VIF) ||
	    !xbq_ops_complete(ops)) {
		pr_err("%s: refused: a malformed operations table (kind %u)\n",
		       xbq_ops_name(ops), ops->kind);
		return -EINVAL;
	}
	spin_lock(&xbq_backends_lock);
	for (i = 0; i < XBQ_SLOTS; i++) {
		struct xbq_slot *s = &xbq_backends[ops->kind][i];

		if (s->ops && s->ops->owner == ops->owner)
			dup = true;
		else if (!s->ops && !free)
			free = s;
	}
	if (free && !dup) {
		free->ops = ops;
		free->seq = ++xbq_backends_seq;
	}
	spin_unlock(&xbq_backends_lock);
	if (dup || !free) {
		pr_err("%s: refused: %s\n", xbq_ops_name(ops),
		       dup ? "it registered its handover operations already" :
		       "two other modules serve these handover operations (a rolling update is under way: finish it first)");
		return -EBUSY;
	}
	pr_info("%s: registered %s handover operations version %u\n",
		xbq_ops_name(ops), xbq_ops_kind(ops->kind), ops->version);
	return 0;
}
EXPORT_SYMBOL_GPL(xbq_register_backend);

void xbq_unregister_backend(const struct xbq_backend_ops *ops)
{
	bool found = false;
	unsigned int i;

	spin_lock(&xbq_backends_lock);
	for (i = 0; ops->kind < ARRAY_SIZE(xbq_backends) && i < XBQ_SLOTS; i++) {
		struct xbq_slot *s = &xbq_backends[ops->kind][i];

		if (s->ops == ops) {
			s->ops = NULL;
			found = true;
		}
	}
	spin_unlock(&xbq_backends_lock);
	if (found)
		pr_info("%s: unregistered its %s handover operations\n",
			xbq_ops_name(ops), xbq_ops_kind(ops->kind));
}
EXPORT_SYMBOL_GPL(xbq_unregister_backend);

bool xbq_backend_may_probe(const struct xbq_backend_ops *ops)
{
	struct xbq_slot *best;
	bool ok = true;
	unsigned int i;

	if (ops->kind >= ARRAY_SIZE(xbq_backends))
		return true;
	spin_lock(&xbq_backends_lock);
	best = xbq_newest(ops->kind);
	/* A table we do not hold (refused) says nothing: let it probe. */
	for (i = 0; i < XBQ_SLOTS; i++)
		if (xbq_backends[ops->kind][i].ops == ops)
			ok = best->ops == ops;
	spin_unlock(&xbq_backends_lock);
	return ok;
}
EXPORT_SYMBOL_GPL(xbq_backend_may_probe);

/* Pin @s's module and return its table, or NULL; lock held. */
static const struct xbq_backend_ops *xbq_slot_get(struct xbq_slot *s)
{
	if (s && s->ops && try_module_get(s->ops->owner))
		return s->ops;
	return NULL;
}

const struct xbq_backend_ops *xbq_backend_get(unsigned int kind)
{
	const struct xbq_backend_ops *ops;

	if (kind >= ARRAY_SIZE(xbq_backends))
		return NULL;
	spin_lock(&xbq_backends_lock);
	ops = xbq_slot_get(xbq_newest(kind));
	spin_unlock(&xbq_backends_lock);
	return ops;
}

const struct xbq_backend_ops *xbq_backend_get_dev(unsigned int kind,
						  struct xenbus_device *xdev)
{
	/* Read once: an unbind meanwhile makes the call fail with -ENODEV. */
	const struct device_driver *drv = READ_ONCE(xdev->dev.driver);
	const struct xbq_backend_ops *ops = NULL;
	unsigned int i;

	if (!drv)
		return xbq_backend_get(kind);
	if (kind >= ARRAY_SIZE(xbq_backends))
		return NULL;
	spin_lock(&xbq_backends_lock);
	for (i = 0; i < XBQ_SLOTS && !ops; i++) {
		struct xbq_slot *s = &xbq_backends[kind][i];

		if (s->ops && s->ops->owner == drv->owner)
			ops = xbq_slot_get(s);
	}
	spin_unlock(&xbq_backends_lock);
	return ops;
}

void xbq_backend_put(const struct xbq_backend_ops *ops)
{
	if (ops)
		module_put(ops->owner);
}

int xbq_backend_bind(unsigned int kind, struct xenbus_device *xdev)
{
	const struct xbq_backend_ops *ops;
	struct device_driver *drv;
	int err;

	if (READ_ONCE(xdev->dev.driver))
		return 0;
	ops = xbq_backend_get(kind);
	drv = ops ? xbq_bus_driver_of(ops->owner) : NULL;
	if (!drv) {
		/* No table, or its driver is not on the bus: any driver. */
		xbq_backend_put(ops);
		err = device_attach(&xdev->dev);
		return err < 0 ? err : (err ? 0 : -ENODEV);
	}
	/* Takes the device lock; the driver is pinned by its module. */
	err = device_driver_attach(drv, &xdev->dev);
	xbq_backend_put(ops);
	if (err == -EBUSY && READ_ONCE(xdev->dev.driver))
		return 0;	/* bound meanwhile (a probe of its own) */
	return err;
}

/*
 * The registered tables, preferred first, per kind: the module parameter
 * "backends" (read-only), e.g. "vbd=xen_blkback_b,xen_blkback vif=xen_netback",
 * which `ncmigd roll` reads to know which slot is the new one.
 */
static int xbq_backends_show(char *buf, const struct kernel_param *kp)
{
	const struct xbq_backend_ops *order[XBQ_SLOTS];
	unsigned int kind, i, j, n;
	int len = 0;

	for (kind = XBQ_KIND_VBD; kind <= XBQ_KIND_VIF; kind++) {
		struct xbq_slot s[XBQ_SLOTS];

		spin_lock(&xbq_backends_lock);
		memcpy(s, xbq_backends[kind], sizeof(s));
		/* Names are read under the lock: no table leaves meanwhile. */
		for (n = 0; n < XBQ_SLOTS; n++) {
			struct xbq_slot *best = NULL;

			for (j = 0; j < XBQ_SLOTS; j++)
				if (s[j].ops && (!best || s[j].seq > best->seq))
					best = &s[j];
			if (!best)
				break;
			order[n] = best->ops;
			best->ops = NULL;
		}
		len += scnprintf(buf + len, PAGE_SIZE - len, "%s%s=",
				 kind == XBQ_KIND_VBD ? "" : " ",
				 xbq_ops_kind(kind));
		for (i = 0; i < n; i++)
			len += scnprintf(buf + len, PAGE_SIZE - len, "%s%s",
					 i ? "," : "", xbq_ops_name(order[i]));
		spin_unlock(&xbq_backends_lock);
	}
	len += scnprintf(buf + len, PAGE_SIZE - len, "\n");
	return len;
}

static const struct kernel_param_ops xbq_backends_param_ops = {
	.get = xbq_backends_show,
};

module_param_cb(backends, &xbq_backends_param_ops, NULL, 0444);
MODULE_PARM_DESC(backends,
		 "The registered backends per kind, the preferred one first (read-only)");
