#include "stamp.h"

#include <string.h>

#include "../common/crc32.h"
#include "../common/util.h"

struct stamp_hdr {
	uint64_t magic;
	uint64_t lba;
	uint64_t gen;
	uint32_t dev;
	uint32_t crc;	/* over the unit with this field zero */
};

static uint32_t unit_crc(const void *unit)
{
	const struct stamp_hdr *h = unit;
	uint32_t crc = crc32_buf(0, unit, offsetof(struct stamp_hdr, crc));

	crc = crc32_buf(crc, "\0\0\0\0", 4);
	return crc32_buf(crc, (const char *)unit + sizeof(*h), UNIT_SIZE - sizeof(*h));
}

void stamp_fill(void *unit, uint32_t dev, uint64_t lba, uint64_t gen)
{
	struct stamp_hdr *h = unit;
	uint64_t seed = (lba * 0x9e3779b97f4a7c15ull) ^ (gen << 20) ^ dev ^ 1;
	uint64_t *w = (uint64_t *)unit;

	/* Payload differs per (dev, lba, gen) so a misplaced copy is caught. */
	for (size_t i = sizeof(*h) / 8; i < UNIT_SIZE / 8; i++)
		w[i] = xorshift64(&seed);
	h->magic = STAMP_MAGIC;
	h->lba = lba;
	h->gen = gen;
	h->dev = dev;
	h->crc = 0;
	h->crc = unit_crc(unit);
}

enum stamp_verdict stamp_check(const void *unit, uint32_t dev, uint64_t lba,
			       uint64_t gen, uint64_t *found_gen)
{
	const struct stamp_hdr *h = unit;

	*found_gen = h->gen;
	if (h->magic != STAMP_MAGIC)
		return STAMP_BAD_MAGIC;
	if (h->crc != unit_crc(unit))
		return STAMP_BAD_CRC;
	if (h->dev != dev)
		return STAMP_WRONG_DEVICE;
	if (h->lba != lba)
		return STAMP_WRONG_LBA;
	if (h->gen != gen)
		return STAMP_WRONG_GEN;
	return STAMP_OK;
}

const char *stamp_verdict_name(enum stamp_verdict v)
{
	static const char *const names[] = {
		[STAMP_OK] = "ok",
		[STAMP_BAD_MAGIC] = "bad-magic",
		[STAMP_BAD_CRC] = "bad-crc",
		[STAMP_WRONG_DEVICE] = "wrong-device",
		[STAMP_WRONG_LBA] = "wrong-lba",
		[STAMP_WRONG_GEN] = "wrong-generation",
	};

	return v <= STAMP_WRONG_GEN ? names[v] : "?";
}
