/*
 * Every 4 KiB unit blkverify writes carries a stamp: which device, which
 * unit, which generation, and a CRC over the whole unit. A read-back that
 * finds another device's, another LBA's or an older generation's data, or
 * torn data, is a verify error.
 */
#ifndef BLKVERIFY_STAMP_H
#define BLKVERIFY_STAMP_H
#include <stddef.h>
#include <stdint.h>

#define UNIT_SIZE 4096u
#define STAMP_MAGIC 0x4e434d4942564659ull /* "NCMIBVFY" */

enum stamp_verdict {
	STAMP_OK,
	STAMP_BAD_MAGIC,	/* never written, or overwritten by foreign data */
	STAMP_BAD_CRC,		/* torn or corrupted unit */
	STAMP_WRONG_DEVICE,
	STAMP_WRONG_LBA,	/* data landed at the wrong offset */
	STAMP_WRONG_GEN,	/* stale: an older (or newer) write is visible */
};

void stamp_fill(void *unit, uint32_t dev, uint64_t lba, uint64_t gen);
enum stamp_verdict stamp_check(const void *unit, uint32_t dev, uint64_t lba,
			       uint64_t gen, uint64_t *found_gen);
const char *stamp_verdict_name(enum stamp_verdict v);
#endif
