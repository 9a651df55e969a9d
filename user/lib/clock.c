// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The clock that libncmig and ncmigd take every duration on. */
#include <stdint.h>
#include <time.h>

#include "ncmig.h"

uint64_t ncmig_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
