// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Kernel snapshot records (ncmig_snap_decode, the code the kernel runs).
 * A record that decodes must re-encode to a record that decodes to the
 * same state, with the same length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ncmig_snap.h"

static struct ncmig_snap a, b;
static u32 pg[XEN_NCMIG_MAX_RINGS][XEN_NCMIG_MAX_PGRANTS];
static u8 out[XEN_NCMIG_RECORD_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ncmig_snap_err err;
	size_t len;
	u32 i, j;

	if (ncmig_snap_decode(data, size, &a, &err)) {
		if (!err.what)
			abort();
		return 0;
	}
	if (a.kind == XEN_NCMIG_KIND_VBD)
		for (i = 0; i < a.vbd.nr_rings; i++) {
			for (j = 0; j < a.vbd.rings[i].nr_pgrants; j++)
				pg[i][j] = ncmig_snap_pgrant(&a.vbd.rings[i], j);
			a.vbd.rings[i].pgrants = pg[i];
		}
	len = ncmig_snap_encode(&a, out, sizeof(out));
	/* Unknown optional items and empty PGRANTS are dropped: never longer. */
	if (!len || len > size)
		abort();
	if (ncmig_snap_decode(out, len, &b, &err))
		abort();
	if (a.kind != b.kind || a.domid != b.domid || a.devid != b.devid)
		abort();
	if (a.kind == XEN_NCMIG_KIND_VIF &&
	    memcmp(&a.vif, &b.vif, sizeof(a.vif)))
		abort();
	if (a.kind == XEN_NCMIG_KIND_VBD) {
		if (a.vbd.nr_rings != b.vbd.nr_rings ||
		    a.vbd.sectors != b.vbd.sectors)
			abort();
		for (i = 0; i < a.vbd.nr_rings; i++)
			if (memcmp(a.vbd.rings[i].refs, b.vbd.rings[i].refs,
				   sizeof(a.vbd.rings[i].refs)) ||
			    a.vbd.rings[i].nr_pgrants != b.vbd.rings[i].nr_pgrants)
				abort();
	}
	return 0;
}
