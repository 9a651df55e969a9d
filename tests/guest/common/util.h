/* Small helpers shared by the guest tools: clocks, PRNG, result lines. */
#ifndef GUEST_UTIL_H
#define GUEST_UTIL_H
#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/*
 * Results reach dom0 through the guest console, which xenconsoled logs:
 * one line "NCMIG-RESULT key=value ..." per call, written atomically.
 */
void result_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a non-negative decimal option value or exit with a usage error. */
long parse_num(const char *opt, const char *val);
#endif
