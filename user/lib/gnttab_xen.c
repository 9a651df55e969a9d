// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Map a guest's grant table from dom0: GNTTABOP_query_size and
 * get_version for the domain (libxenctrl), then its shared frames
 * read-only with xenforeignmemory_map_resource(XENMEM_resource_grant_table,
 * _id_shared).  Exactly nr_frames are asked for: Xen grows the table to
 * the last frame a resource mapping names (gnttab_acquire_resource()),
 * which the guest would see.  The frames are copied out at once and
 * unmapped; a running guest keeps writing them, so this is a sample.
 */
/*
 * xenctrl.h pulls in Xen's public headers, which use anonymous unions
 * (a GNU extension they refuse under __STRICT_ANSI__, i.e. -std=c11).
 * This file alone is built as GNU C for them.
 */
#undef __STRICT_ANSI__
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>

#include "gnttab.h"

int ncmig_gnttab_capture(uint16_t domid, unsigned char **body, size_t *len,
			 const char **why)
{
	struct gnttab_query_size q = { .dom = domid };
	xenforeignmemory_resource_handle *res = NULL;
	xenforeignmemory_handle *fm = NULL;
	xc_interface *xch;
	void *addr = NULL, *copy = NULL;
	int rc, ver;

	*why = "";
	xch = xc_interface_open(NULL, NULL, 0);
	if (!xch) {
		*why = "cannot open libxenctrl";
		return -errno ? -errno : -EIO;
	}
	rc = xc_gnttab_query_size(xch, &q);
	if (rc || q.status != GNTST_okay) {
		*why = "GNTTABOP_query_size failed";
		rc = -EIO;
		goto out;
	}
	ver = xc_gnttab_get_version(xch, domid);
	if (ver != 1) {
		*why = ver == 2 ? "a version 2 table (not decoded)" :
				  "GNTTABOP_get_version failed";
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (!q.nr_frames || q.nr_frames > q.max_nr_frames ||
	    q.max_nr_frames > NCMIG_GNTTAB_FRAMES_MAX) {
		*why = "the table's frame counts are out of range";
		rc = -ERANGE;
		goto out;
	}
	fm = xenforeignmemory_open(NULL, 0);
	if (!fm) {
		*why = "cannot open libxenforeignmemory";
		rc = -EIO;
		goto out;
	}
	res = xenforeignmemory_map_resource(fm, domid, XENMEM_resource_grant_table,
					    XENMEM_resource_grant_table_id_shared,
					    0, q.nr_frames, &addr, PROT_READ, 0);
	if (!res) {
		rc = errno ? -errno : -EIO;
		*why = "xenforeignmemory_map_resource(XENMEM_resource_grant_table) failed";
		goto out;
	}
	copy = malloc((size_t)q.nr_frames * 4096);
	if (!copy) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(copy, addr, (size_t)q.nr_frames * 4096);
	rc = ncmig_gnttab_encode_v1(copy, q.nr_frames, q.max_nr_frames, body, len);
	if (rc)
		*why = "encoding the record";
out:
	free(copy);
	if (res)
		xenforeignmemory_unmap_resource(fm, res);
	if (fm)
		xenforeignmemory_close(fm);
	xc_interface_close(xch);
	return rc;
}
