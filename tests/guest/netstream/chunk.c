#include "chunk.h"

#include <string.h>

static uint8_t pattern(uint64_t seq, size_t i)
{
	return (uint8_t)(seq * 31 + i * 7 + (i >> 8));
}

void chunk_fill(void *buf, size_t len, uint64_t seq, uint64_t ts_ns)
{
	struct chunk_hdr h = { CHUNK_MAGIC, (uint32_t)len, seq, ts_ns };
	uint8_t *p = buf;

	memcpy(p, &h, sizeof(h));
	for (size_t i = sizeof(h); i < len; i++)
		p[i] = pattern(seq, i);
}

int chunk_check(const void *buf, size_t len, uint64_t seq)
{
	const uint8_t *p = buf;
	struct chunk_hdr h;

	memcpy(&h, p, sizeof(h));
	if (h.magic != CHUNK_MAGIC || h.len != len || h.seq != seq)
		return -1;
	for (size_t i = sizeof(h); i < len; i++)
		if (p[i] != pattern(seq, i))
			return -1;
	return 0;
}
