// SPDX-License-Identifier: GPL-2.0 OR MIT
/* NODE_DATA bodies: what decodes re-encodes to the same octets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xs_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ncmig_xs_perm perms[NCMIG_XS_PERMS_MAX];
	struct ncmig_xs_node n;
	const char *why = NULL;
	unsigned char *out;
	size_t len;
	uint16_t i;

	if (ncmig_xs_node_decode(data, size, &n, &why)) {
		if (!why)
			abort();
		return 0;
	}
	if (strlen(n.path) != n.path_len)
		abort();
	for (i = 0; i < n.nr_perms; i++)
		perms[i] = ncmig_xs_node_perm(&n, i);
	if (ncmig_xs_node_encode(n.path, n.value, n.value_len, perms,
				 n.nr_perms, &out, &len))
		abort();
	if (len != size || memcmp(out, data, size))
		abort();
	free(out);
	return 0;
}
