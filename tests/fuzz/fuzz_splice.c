// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The splice filter: what `ncmigd splice recv` parses is a migration
 * stream from the network.  The first octet picks the side (bit 0: send,
 * which inserts a fixed record; else recv, which validates the record it
 * removes like the real recv does); the rest is the stream.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "splice_args.h"
#include "ncmig.h"

static int in_fd = -1, null_fd = -1;

static int at_end(void *arg, unsigned char **buf, size_t *len)
{
	(void)arg;
	*buf = malloc(16);
	if (!*buf)
		return -12;
	memcpy(*buf, "NCMIGSTM\1\0\0\0\0\0\0\0", 16);
	*len = 16;
	return 0;
}

/* send's --domid check reads xl's config: the UUID must be well-formed. */
static int config(void *arg, const unsigned char *buf, size_t len)
{
	char uuid[37];
	size_t i;

	(void)arg;
	if (ncmig_splice_config_uuid(buf, len, uuid))
		return 0;
	for (i = 0; i < 36; i++)
		if (!uuid[i])
			abort();
	if (uuid[36])
		abort();
	return 0;
}

static int found(void *arg, const unsigned char *buf, size_t len)
{
	struct ncmig_stream_err err;
	struct ncmig_stream s;
	int rc;

	(void)arg;
	rc = ncmig_stream_parse(buf, len, &s, &err);
	if (!rc)
		ncmig_stream_free(&s);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ncmig_splice_hooks send = { .at_end = at_end, .config = config };
	struct ncmig_splice_hooks recv = { .found = found };
	struct ncmig_splice_stats st;
	char msg[300];
	int rc;

	if (size < 1)
		return 0;
	if (in_fd < 0) {
		in_fd = memfd_create("fuzz_splice", 0);
		null_fd = open("/dev/null", O_WRONLY);
	}
	if (ftruncate(in_fd, 0) ||
	    pwrite(in_fd, data + 1, size - 1, 0) != (ssize_t)(size - 1) ||
	    lseek(in_fd, 0, SEEK_SET))
		abort();
	rc = ncmig_splice_filter(in_fd, null_fd, data[0] & 1 ? &send : &recv,
				 &st, msg, sizeof(msg));
	if (rc && !msg[0])
		abort();
	if (st.in_octets > size - 1)
		abort();
	return 0;
}
