// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * splice send and recv run between libxc's END and the guest's resume,
 * on xl's suspend window, where a first run of anything costs: a PV
 * dom0 takes a fault and a page-table hypercall per page first touched,
 * and the nested lab's QEMU translates code on its first run.  In the
 * lab recv's parse of an 8 KB stream took 8.8 ms with the memory locked
 * alone, 1.1 ms once the stream code had run here first (12 us natively).
 * So lock what is mapped (the code included), have every later mapping
 * populated as it is made, keep the heap that is freed, grow it once
 * now, outside the window, and run the stream code once
 * (ncmig_stream_warmup()).  The process lives for one migration; a
 * child it starts (xl) inherits none of this (mlockall(2)).
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ncmig.h"
#include "suspend_window.h"

/* More than a stream's record and its parse take (doc/stream-format.md). */
#define WINDOW_HEAP	(4U << 20)

uint64_t ncmigd_window_prefault(const char *who)
{
	uint64_t us = 0;
	void *p;

	/* Freed memory stays in the heap; large buffers come from it too. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 1 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		fprintf(stderr, "ncmigd: %s: memory not locked (%s): pages "
			"may fault in the suspend window\n", who,
			strerror(errno));
	p = malloc(WINDOW_HEAP);
	if (p) {
		memset(p, 0, WINDOW_HEAP);
		free(p);
	}
	if (ncmig_stream_warmup(&us))
		fprintf(stderr, "ncmigd: %s: the stream code's warm-up "
			"failed\n", who);
	return us;
}
