// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A module file's .modinfo, read in-process (ncmig_mod_elf_info(), the
 * reload's check of a --module-dir file and of modprobe's): any bytes as
 * the file, a plain .ko or, behind xz's magic, a .ko.xz (seed-blkback-xz).  What it returns must be modinfo's form: "filename: PATH"
 * first, then "key: value" lines, each ended, none empty, no NUL; on
 * failure an empty string.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reload_mod.h"

static char out[32768];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	const char *p;
	size_t len;
	int rc;

	if (fd < 0) {
		fd = memfd_create("fuzz-modinfo.ko", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	/* A small @cap too: a cut output is a failure, never a part. */
	rc = ncmig_mod_elf_info(path, out, size % 7 ? sizeof(out) : 64);
	len = strlen(out);
	if (rc) {
		if (rc != -1 || len)
			abort();
		return 0;
	}
	if (strncmp(out, "filename: ", 10) || !len || out[len - 1] != '\n')
		abort();
	for (p = out; *p; p = strchr(p, '\n') + 1) {
		const char *nl = strchr(p, '\n'), *colon = strchr(p, ':');

		if (!nl || !colon || colon > nl || colon == p)
			abort();
	}
	return 0;
}
