/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A module reload's devices with nothing to hand over (reload_idle.c).
 *
 * A backend device that never connected to its frontend (xenbus state
 * InitWait: a disk added before the guest's PV drivers started, an empty
 * CD-ROM, a hotplug that never named a device) is left out of a handover,
 * but its interface holds a reference on the backend module, so the
 * reload's rmmod would fail.  Before the rmmod such a vbd is unbound from
 * the old driver (sysfs drivers/vbd/unbind); the new module probes it
 * when it registers, as it would a device just added, and a frontend that
 * connects later connects to it.  If the rmmod fails, or the new module
 * did not take it, it is bound again (drivers/vbd/bind), so that no
 * device is left without a driver.
 *
 * Why only InitWait: xen-blkback's remove then writes nothing to the
 * store (allow_rebind, the toolstack did not set Closing), and its probe
 * writes InitWait again, the state the frontend already saw; the rings
 * of a frontend already Initialised are unmapped by the remove and mapped
 * again by the new probe's frontend watch.  A device the toolstack is
 * closing (Closing, Closed) must not be probed again, and a Connected one
 * is the handover's.
 *
 * Why not a vif: xen-netback's remove deletes hotplug-status and frees
 * the vif's netdev, which the hotplug script (run once, by the toolstack)
 * had put on its bridge; a re-probed vif would have neither.  An idle vif
 * is left bound and named when the rmmod fails.
 */
#ifndef NCMIG_RELOAD_IDLE_H
#define NCMIG_RELOAD_IDLE_H

#include <stdbool.h>
#include <stdint.h>

#define NCMIG_IDLE_MAX	256

struct ncmig_idle_dev {
	char name[40];		/* "vbd-5-51712", the bus device */
	uint32_t kind;		/* enum xen_ncmig_dev_kind */
	unsigned int domid;
	uint32_t devid;
	char state[16];		/* its xenbus state when it was seen */
	bool unbound;		/* unbound by ncmig_idle_unbind() */
};

struct ncmig_idle {
	const char *sysfs;	/* "/sys" or a test's tree */
	/*
	 * The drivers of the running slot (roll.c): "vbd-b", "vif-b" for
	 * xen-blkback-b and xen-netback-b; NULL: "vbd", "vif".
	 */
	const char *drv_vbd, *drv_vif;
	unsigned int n;
	struct ncmig_idle_dev dev[NCMIG_IDLE_MAX];
};

/*
 * A xen-backend bus device's name, "vbd-5-51712" of type @drv ("vbd",
 * "vif"): its domain and device id; false if it is not one.
 */
bool ncmig_bus_dev_parse(const char *name, const char *drv,
			 unsigned int *domid, uint32_t *devid);

/*
 * Write device @name to xen-backend driver @drv's @file ("bind",
 * "unbind") under @sysfs ("/sys" or a test's tree); 0 or -errno.
 */
int ncmig_bus_drv_write(const char *sysfs, const char *drv, const char *file,
			const char *name);

/*
 * The devices of @kind bound to its driver and not Connected: each vbd
 * in InitWait is unbound (and so marked), the others are only recorded.
 * Each failure is reported naming domain and device; returns how many
 * were unbound.
 */
unsigned int ncmig_idle_unbind(struct ncmig_idle *idle, uint32_t kind);

/*
 * Bind again each device of @kind that ncmig_idle_unbind() unbound and
 * that has no driver now (after a failed rmmod: to the old driver; after
 * a load (@loaded): one the new driver did not take when it registered,
 * and each is then named as left to the new @mod).  Reports each failure
 * naming domain and device; returns how many are still without a driver.
 */
unsigned int ncmig_idle_rebind(struct ncmig_idle *idle, uint32_t kind,
			       const char *mod, bool loaded);

/* Report the recorded devices of @kind left bound (they hold @mod). */
void ncmig_idle_report_kept(const struct ncmig_idle *idle, uint32_t kind,
			    const char *mod);

/*
 * The sysfs tree a reload works on: @given (a test's tree), else /sys.
 * Unit and fuzz builds (NCMIGD_NO_KERNEL) never reach the real /sys, so
 * no test can unbind a device or read a module of the host it runs on.
 */
const char *ncmig_reload_sysfs(const char *given);

#endif
