// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The splice filter: what `ncmigd splice recv` parses is a migration
 * stream from the network.  The first octet picks the side (bit 0: send,
 * which inserts a fixed record; else recv, which validates the record it
 * removes like the real recv does); the rest is the stream.  The fuzz
 * build skips the envelope's checksum (and the stream reader's: see
 * README.md, "Past the checksums"), so mutations reach the envelope's
 * other rules and the ncmig stream parser behind them.  Asserts: an
 * error has a message; never more read than given; recv passes on
 * exactly what it read less the records it removed (and send what it
 * read plus those it inserted); at most one set per checkpoint.  Bit 1
 * of the first octet: COLO; bit 2: send's first-checkpoint-only.
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

static int complete(void *arg)
{
	(void)arg;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ncmig_splice_hooks send = { .at_end = at_end, .config = config };
	struct ncmig_splice_hooks recv = { .found = found, .complete = complete };
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
	/* Bit 1: COLO; bit 2: send inserts in the first checkpoint only. */
	send.colo = recv.colo = data[0] & 2;
	send.first_checkpoint_only = data[0] & 4;
	recv.leave = data[0] & 8;	/* bit 3: recv --leave */
	rc = ncmig_splice_filter(in_fd, null_fd, data[0] & 1 ? &send : &recv,
				 &st, msg, sizeof(msg));
	if (rc && !msg[0])
		abort();
	if (st.in_octets > size - 1)
		abort();
	if (st.legacy > st.removed || st.complete_sets > st.removed ||
	    st.legacy > 1)
		abort();
	/* One set per checkpoint at most (a plain stream: one). */
	if (st.inserted > st.checkpoint_records + 1 ||
	    st.removed > st.checkpoint_records + 1)
		abort();
	/*
	 * What went out is what came in, less ours removed, plus ours put
	 * in; a stream cut inside our record (a checkpointed stream's end)
	 * leaves that record's header read and not passed on.
	 */
	if (!rc && !st.cut_short && st.out_octets + st.removed_octets !=
	    st.in_octets + st.inserted_octets)
		abort();
	if (!rc && st.cut_short &&
	    (st.out_octets + st.removed_octets > st.in_octets + st.inserted_octets ||
	     st.in_octets + st.inserted_octets - st.out_octets - st.removed_octets > 8))
		abort();
	if (st.inserted && st.inserted_octets != st.inserted *
	    (8 + ((NCMIG_SPLICE_OPT_HDR_LEN + 16 + 7) & ~7ULL)))
		abort();
	return 0;
}
