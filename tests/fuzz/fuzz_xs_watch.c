// SPDX-License-Identifier: GPL-2.0 OR MIT
/* WATCH_DATA bodies: what decodes re-encodes to the same octets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xs_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ncmig_xs_watch w;
	const char *why = NULL;
	unsigned char *out;
	size_t len;

	if (ncmig_xs_watch_decode(data, size, &w, &why)) {
		if (!why)
			abort();
		return 0;
	}
	if (ncmig_xs_watch_encode(w.path, w.token, &out, &len))
		abort();
	if (len != size || memcmp(out, data, size))
		abort();
	free(out);
	return 0;
}
