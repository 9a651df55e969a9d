// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The domains that have backend devices on this host, from the
 * xen-backend bus in sysfs ("vbd-5-51712", "vif-5-0"): what a host-wide
 * update of the backends must hand over.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ncmig.h"

#define XEN_BACKEND_DEVICES "/sys/bus/xen-backend/devices"

/* The domid of a "vbd-D-N" or "vif-D-N" entry, or -1. */
static long entry_domid(const char *name)
{
	unsigned long d;
	char *end;

	if (strncmp(name, "vbd-", 4) && strncmp(name, "vif-", 4))
		return -1;
	errno = 0;
	d = strtoul(name + 4, &end, 10);
	if (errno || end == name + 4 || *end != '-' || !d || d > NCMIG_DOMID_MAX)
		return -1;
	return (long)d;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

int ncmig_backend_domains(const char *dir, uint16_t *domids, unsigned int cap)
{
	struct dirent *e;
	unsigned int n = 0, i;
	int err = 0;
	DIR *d;

	d = opendir(dir ? dir : XEN_BACKEND_DEVICES);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		long id = entry_domid(e->d_name);

		if (id < 0)
			continue;
		for (i = 0; i < n && domids[i] != id; i++)
			;
		if (i < n)
			continue;
		if (n == cap) {
			err = -E2BIG;
			break;
		}
		domids[n++] = (uint16_t)id;
	}
	closedir(d);
	if (err)
		return err;
	qsort(domids, n, sizeof(*domids), cmp_u16);
	return (int)n;
}
