#include "crc32.h"

static uint32_t table[256];
static int table_ready;

static void crc32_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
	table_ready = 1;
}

uint32_t crc32_buf(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	/* Racy but idempotent: every thread computes the same table. */
	if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE))
		crc32_init();
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
