// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A module reload's devices with nothing to hand over: unbound from the
 * old driver before the rmmod, probed by the new one (reload_idle.h says
 * which and why).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/uapi/linux/xen_ncmig.h"
#include "ncmig.h"
#include "reload_idle.h"

const char *ncmig_reload_sysfs(const char *given)
{
#ifdef NCMIGD_NO_KERNEL
	return given ? given : "/nonexistent";
#else
	return given ? given : "/sys";
#endif
}

static const char *root(const struct ncmig_idle *idle)
{
	return ncmig_reload_sysfs(idle->sysfs);
}

/* The device type of a kind: the bus names its devices after it. */
static const char *type_name(uint32_t kind)
{
	return kind == XEN_NCMIG_KIND_VIF ? "vif" : "vbd";
}

/* The running slot's driver of a kind: slot a's is named after the type. */
static const char *drv_name(const struct ncmig_idle *idle, uint32_t kind)
{
	const char *d = kind == XEN_NCMIG_KIND_VIF ? idle->drv_vif : idle->drv_vbd;

	return d ? d : type_name(kind);
}

/* A device's xenbus state as sysfs shows it ("InitWait"); 0 or -errno. */
static int read_state(const struct ncmig_idle *idle, const char *name,
		      char *buf, size_t cap)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/bus/xen-backend/devices/%s/state",
		 root(idle), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Write @name to the driver's bind or unbind file; 0 or -errno. */
int ncmig_bus_drv_write(const char *sysfs, const char *drv, const char *file,
			const char *name)
{
	char path[512];
	int fd, err;

	snprintf(path, sizeof(path), "%s/bus/xen-backend/drivers/%s/%s",
		 sysfs, drv, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = ncmig_write_all(fd, name, strlen(name));
	close(fd);
	return err;
}

static int drv_write(const struct ncmig_idle *idle, uint32_t kind,
		     const char *file, const char *name)
{
	return ncmig_bus_drv_write(root(idle), drv_name(idle, kind), file, name);
}

static bool has_driver(const struct ncmig_idle *idle, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bus/xen-backend/devices/%s/driver",
		 root(idle), name);
	return !access(path, F_OK);
}

static bool exists(const struct ncmig_idle *idle, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bus/xen-backend/devices/%s",
		 root(idle), name);
	return !access(path, F_OK);
}

bool ncmig_bus_dev_parse(const char *name, const char *drv,
			 unsigned int *domid, uint32_t *devid)
{
	size_t l = strlen(drv);
	unsigned long d, v;
	char *end;

	if (strncmp(name, drv, l) || name[l] != '-')
		return false;
	errno = 0;
	d = strtoul(name + l + 1, &end, 10);
	if (*end != '-' || end == name + l + 1)
		return false;
	v = strtoul(end + 1, &end, 10);
	if (*end || errno || d > NCMIG_DOMID_MAX || v > UINT32_MAX)
		return false;
	*domid = (unsigned int)d;
	*devid = (uint32_t)v;
	return true;
}

unsigned int ncmig_idle_unbind(struct ncmig_idle *idle, uint32_t kind)
{
	const char *drv = type_name(kind);
	unsigned int nr = 0;
	struct dirent *de;
	char path[512];
	DIR *dir;

	snprintf(path, sizeof(path), "%s/bus/xen-backend/drivers/%s",
		 root(idle), drv_name(idle, kind));
	dir = opendir(path);
	if (!dir)
		return 0;	/* no such driver: nothing is bound to it */
	while ((de = readdir(dir))) {
		struct ncmig_idle_dev *d;
		unsigned int domid;
		uint32_t devid;
		char st[16];
		int err;

		if (strlen(de->d_name) >= sizeof(d->name) ||
		    !ncmig_bus_dev_parse(de->d_name, drv, &domid, &devid))
			continue;
		if (read_state(idle, de->d_name, st, sizeof(st)) ||
		    !strcmp(st, "Connected"))
			continue;
		if (idle->n == NCMIG_IDLE_MAX) {
			ncmig_dev_err(domid, drv, devid,
				      "not connected to its frontend: more than %u such devices, left bound",
				      NCMIG_IDLE_MAX);
			continue;
		}
		d = &idle->dev[idle->n++];
		memset(d, 0, sizeof(*d));
		memcpy(d->name, de->d_name, strlen(de->d_name) + 1);
		snprintf(d->state, sizeof(d->state), "%s", st);
		d->kind = kind;
		d->domid = domid;
		d->devid = devid;
		if (kind != XEN_NCMIG_KIND_VBD || strcmp(st, "InitWait"))
			continue;
		err = drv_write(idle, kind, "unbind", d->name);
		if (err) {
			ncmig_dev_err(domid, drv, devid,
				      "not connected to its frontend (%s): unbind for the reload failed: %s",
				      st, strerror(-err));
			continue;
		}
		d->unbound = true;
		nr++;
	}
	closedir(dir);
	return nr;
}

unsigned int ncmig_idle_rebind(struct ncmig_idle *idle, uint32_t kind,
			       const char *mod, bool loaded)
{
	unsigned int i, left = 0;

	for (i = 0; i < idle->n; i++) {
		struct ncmig_idle_dev *d = &idle->dev[i];
		const char *drv = type_name(d->kind);
		int err;

		if (!d->unbound || d->kind != kind)
			continue;
		if (!exists(idle, d->name)) {	/* its domain was destroyed */
			d->unbound = false;
			continue;
		}
		if (!has_driver(idle, d->name)) {
			err = drv_write(idle, kind, "bind", d->name);
			if (err && !has_driver(idle, d->name)) {
				ncmig_dev_err(d->domid, drv, d->devid,
					      "not connected to its frontend: binding it to %s again failed: %s",
					      mod, strerror(-err));
				left++;
				continue;
			}
		}
		if (loaded)
			ncmig_dev_err(d->domid, drv, d->devid,
				      "not connected to its frontend (%s): probed by the new %s",
				      d->state, mod);
		d->unbound = false;
	}
	return left;
}

void ncmig_idle_report_kept(const struct ncmig_idle *idle, uint32_t kind,
			    const char *mod)
{
	unsigned int i;

	for (i = 0; i < idle->n; i++) {
		const struct ncmig_idle_dev *d = &idle->dev[i];

		if (d->kind != kind || d->unbound)
			continue;
		ncmig_dev_err(d->domid, type_name(kind), d->devid,
			      "not connected to its frontend (%s): still bound to %s, it holds the module",
			      d->state, mod);
	}
}
