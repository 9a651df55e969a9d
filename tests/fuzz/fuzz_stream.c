// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The record stream reader, from memory and from an fd.  The format is
 * canonical, so a stream that parses, written again record by record,
 * must come out octet for octet the same (checksums aside: the fuzz
 * build, FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, does not check them,
 * so that mutations reach the rules behind them); and the fd reader must
 * agree with the memory reader.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ncmig.h"

static int fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ncmig_stream_err err;
	struct ncmig_identity id;
	struct ncmig_stream s, t;
	struct ncmig_writer w;
	int rc, rc2;
	size_t i;

	rc = ncmig_stream_parse(data, size, &s, &err);
	if (rc && !err.msg[0] && rc != -12)
		abort();

	if (fd < 0)
		fd = memfd_create("fuzz_stream", 0);
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET))
		abort();
	rc2 = ncmig_stream_read_fd(fd, &t, &err);
	/* The fd reader stops at END: it may accept a stream with trailing
	 * octets that the memory reader refuses, never the other way round.
	 */
	if (!rc && rc2)
		abort();
	if (!rc2)
		ncmig_stream_free(&t);
	/* From a file: exactly what the memory reader takes (nothing may
	 * follow END in a file).
	 */
	if (lseek(fd, 0, SEEK_SET))
		abort();
	rc2 = ncmig_stream_read_input(fd, &t, &err);
	if (!rc != !rc2 && rc != -12 && rc2 != -12)
		abort();
	if (!rc2)
		ncmig_stream_free(&t);
	if (rc)
		return 0;

	/* restore's checks before it writes anything */
	if (ncmig_stream_check_backends(&s, s.domid, &err))
		abort();
	if (s.nr_backends && !ncmig_stream_check_backends(&s, s.domid + 1, &err))
		abort();
	id = s.id;
	if (ncmig_stream_check_identity(&s, &id, &err) &&
	    (s.dom_flags & NCMIG_DOM_F_IDENTITY))
		abort();
	id.uuid[data[size - 1] & 15] ^= 1;
	if (s.nr_backends && !ncmig_stream_check_identity(&s, &id, &err))
		abort();
	id = s.id;
	id.host[data[size - 1] & 15] ^= 1;
	if (s.nr_backends && !ncmig_stream_check_identity(&s, &id, &err))
		abort();

	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	for (i = 0; i < s.nr_recs; i++)
		ncmig_write_record(&w, s.recs[i].type, s.recs[i].body,
				   s.recs[i].len);
	if (w.err || w.len != size)
		abort();
	/* The writer computed each record's checksum: take the input's. */
	for (i = 0; i < s.nr_recs; i++)
		memcpy(w.buf + s.recs[i].offset + 8, data + s.recs[i].offset + 8,
		       4);
	if (memcmp(w.buf, data, size))
		abort();
	ncmig_writer_free(&w);
	ncmig_stream_free(&s);
	return 0;
}
