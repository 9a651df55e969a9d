/*
 * The unit netstream sends: a header with a sequence number and the
 * sender's clock, then a payload derived from the sequence number, so the
 * receiver detects loss, reordering, duplication and corruption.
 */
#ifndef NETSTREAM_CHUNK_H
#define NETSTREAM_CHUNK_H
#include <stddef.h>
#include <stdint.h>

#define CHUNK_MAGIC 0x4e43534du /* "NCSM" */

struct chunk_hdr {
	uint32_t magic;
	uint32_t len;	/* whole chunk, header included */
	uint64_t seq;
	uint64_t ts_ns;	/* sender's CLOCK_MONOTONIC */
};

void chunk_fill(void *buf, size_t len, uint64_t seq, uint64_t ts_ns);
/* 0 if buf holds chunk seq of len bytes; -1 if the header or data is bad. */
int chunk_check(const void *buf, size_t len, uint64_t seq);
#endif
