/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Run a command entry point with its stdout and stderr captured. */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <stddef.h>

/* Call @fn(@argc, @argv), its output (both streams) into @out (NUL-ended). */
int capture_run(int (*fn)(int, char **), int argc, char **argv,
		char *out, size_t cap);

#endif /* CAPTURE_H */
