/* SPDX-License-Identifier: GPL-2.0 */
/* Finding backend devices on the xen-backend bus without patching xenbus. */
#ifndef XBQ_BACKEND_BUS_H
#define XBQ_BACKEND_BUS_H

#include <xen/xenbus.h>

struct xbq_dev_id;
struct notifier_block;
struct device_driver;
struct module;

int xbq_bus_init(void);
void xbq_bus_exit(void);

/* Be told of devices added to and removed from the bus. */
int xbq_bus_register_notifier(struct notifier_block *nb);
void xbq_bus_unregister_notifier(struct notifier_block *nb);

/* Parse a bus device name "TYPE-DOMID-DEVID"; false if it is not one. */
bool xbq_bus_parse_name(const char *name, char *type, size_t type_cap,
			u16 *domid, u32 *devid);

/* Call @fn for every device on the bus until it returns non-zero. */
int xbq_bus_for_each(int (*fn)(struct xenbus_device *xdev, void *arg),
		     void *arg);

/* The device "TYPE-DOMID-DEVID" with a reference held, or NULL. */
struct xenbus_device *xbq_bus_find(const char *type, u16 domid, u32 devid);

/*
 * The driver on the bus that module @owner registered (a backend module
 * registers one), or NULL. No reference is taken: the caller keeps the
 * driver registered by pinning @owner.
 */
struct device_driver *xbq_bus_driver_of(struct module *owner);

#endif /* XBQ_BACKEND_BUS_H */
