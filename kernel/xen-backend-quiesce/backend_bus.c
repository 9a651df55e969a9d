// SPDX-License-Identifier: GPL-2.0
/*
 * The xen-backend bus is private to xenbus (xenbus_probe_backend.c) and
 * Linux 6.1 exports no iterator over its devices. Registering a backend
 * driver, though, sets driver.bus to that bus: so we register one whose
 * id table matches no device type, never bind anything, and walk the bus
 * through its driver.bus with the driver core's own iterators.
 *
 * Device names are "TYPE-DOMID-DEVID" (backend_bus_id()), e.g.
 * "vbd-5-51712" or "vif-5-0"; the domid in the name is the frontend's,
 * read from xenstore when the device was created, so it is right whether
 * or not a driver is bound (otherend_id is only set by a probe).
 */
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <xen/xen.h>
#include <xen/xenbus.h>

#include "backend_bus.h"

static const struct xenbus_device_id xbq_no_ids[] = {
	{ "ncmig-none" },	/* no backend has this type */
	{ "" }
};

static int xbq_never_probe(struct xenbus_device *xdev,
			   const struct xenbus_device_id *id)
{
	return -ENODEV;
}

static struct xenbus_driver xbq_bus_anchor = {
	.name = "xen-backend-quiesce",
	.ids = xbq_no_ids,
	.probe = xbq_never_probe,
	/* Nothing to bind by hand through sysfs either. */
	.driver.suppress_bind_attrs = true,
};

int xbq_bus_init(void)
{
	if (!xen_domain())
		return -ENODEV;
	return xenbus_register_backend(&xbq_bus_anchor);
}

void xbq_bus_exit(void)
{
	xenbus_unregister_driver(&xbq_bus_anchor);
}

int xbq_bus_register_notifier(struct notifier_block *nb)
{
	return bus_register_notifier(xbq_bus_anchor.driver.bus, nb);
}

void xbq_bus_unregister_notifier(struct notifier_block *nb)
{
	bus_unregister_notifier(xbq_bus_anchor.driver.bus, nb);
}

bool xbq_bus_parse_name(const char *name, char *type, size_t type_cap,
			u16 *domid, u32 *devid)
{
	const char *dash1, *dash2;
	char num[12];
	size_t len;

	dash1 = strchr(name, '-');
	if (!dash1 || dash1 == name || dash1 - name >= type_cap)
		return false;
	dash2 = strchr(dash1 + 1, '-');
	if (!dash2)
		return false;
	len = dash2 - dash1 - 1;
	if (!len || len >= sizeof(num))
		return false;
	memcpy(num, dash1 + 1, len);
	num[len] = '\0';
	if (kstrtou16(num, 10, domid) || kstrtou32(dash2 + 1, 10, devid))
		return false;
	memcpy(type, name, dash1 - name);
	type[dash1 - name] = '\0';
	return true;
}

struct xbq_bus_walk {
	int (*fn)(struct xenbus_device *xdev, void *arg);
	void *arg;
};

static int xbq_bus_visit(struct device *dev, void *data)
{
	struct xbq_bus_walk *walk = data;

	return walk->fn(to_xenbus_device(dev), walk->arg);
}

int xbq_bus_for_each(int (*fn)(struct xenbus_device *xdev, void *arg),
		     void *arg)
{
	struct xbq_bus_walk walk = { .fn = fn, .arg = arg };

	return bus_for_each_dev(xbq_bus_anchor.driver.bus, NULL, &walk,
				xbq_bus_visit);
}

struct xbq_bus_drv_match {
	struct module *owner;
	struct device_driver *drv;
};

static int xbq_bus_drv_visit(struct device_driver *drv, void *data)
{
	struct xbq_bus_drv_match *m = data;

	if (drv->owner != m->owner)
		return 0;
	m->drv = drv;
	return 1;
}

struct device_driver *xbq_bus_driver_of(struct module *owner)
{
	struct xbq_bus_drv_match m = { .owner = owner };

	if (!owner || owner == THIS_MODULE)
		return NULL;
	bus_for_each_drv(xbq_bus_anchor.driver.bus, NULL, &m,
			 xbq_bus_drv_visit);
	return m.drv;
}

struct xenbus_device *xbq_bus_find(const char *type, u16 domid, u32 devid)
{
	char name[32];	/* > XEN_BUS_ID_SIZE, private to xenbus */
	struct device *dev;

	if (snprintf(name, sizeof(name), "%s-%u-%u", type, domid, devid) >=
	    sizeof(name))
		return NULL;
	dev = bus_find_device_by_name(xbq_bus_anchor.driver.bus, NULL, name);
	return dev ? to_xenbus_device(dev) : NULL;
}
