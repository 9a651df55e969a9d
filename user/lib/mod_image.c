// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A module file's bytes, as the kernel would be given them: a plain .ko
 * mapped, an xz-compressed one (Debian's kernels ship .ko.xz, and DKMS
 * compresses as they do) decoded here.  kmod's modinfo and insmod do the
 * same, but a fork and exec of kmod cost a reload 2.1-3.9 s per module
 * in the lab (TCG), decoding a backend here 0.3-0.8 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reload_mod.h"

/* No backend comes near; a file or an image past it is not one. */
#define IMAGE_MAX	(64U << 20)
/* Kernel modules are compressed with a 1 MiB dictionary (kmod, Kbuild). */
#define XZ_MEMLIMIT	(64U << 20)

/* A fuzz build gets past the data's check to the ELF reader behind it. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define XZ_FLAGS	LZMA_IGNORE_CHECK
#else
#define XZ_FLAGS	0
#endif

static const unsigned char xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };

bool ncmig_mod_is_xz(const void *p, size_t len)
{
	return len >= sizeof(xz_magic) && !memcmp(p, xz_magic, sizeof(xz_magic));
}

int ncmig_xz_decode(const void *in, size_t len, unsigned char **out,
		    size_t *out_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	unsigned char *buf = NULL, *nbuf;
	size_t cap = 0;
	lzma_ret r;
	int rc = -1;

	*out = NULL;
	*out_len = 0;
	/* One stream, whole: trailing garbage or a second stream is refused. */
	if (lzma_stream_decoder(&s, XZ_MEMLIMIT, XZ_FLAGS) != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = len;
	for (;;) {
		if (!s.avail_out) {
			size_t ncap = cap ? cap * 2 : (len < (1U << 16) ? 1U << 16 : len * 4);

			if (ncap > IMAGE_MAX)
				ncap = IMAGE_MAX;
			if (ncap <= cap)
				break;	/* too big for a module */
			nbuf = realloc(buf, ncap);
			if (!nbuf) {
				rc = -ENOMEM;
				break;
			}
			buf = nbuf;
			s.next_out = buf + cap;
			s.avail_out = ncap - cap;
			cap = ncap;
		}
		r = lzma_code(&s, LZMA_FINISH);
		if (r == LZMA_STREAM_END) {
			if (!s.avail_in) {
				*out_len = (size_t)s.total_out;
				rc = 0;
			}
			break;
		}
		if (r != LZMA_OK) {
			if (r == LZMA_MEM_ERROR)
				rc = -ENOMEM;
			break;
		}
	}
	lzma_end(&s);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

int ncmig_mod_image_read(const char *path, struct ncmig_mod_image *im)
{
	struct stat st;
	void *map;
	int fd, rc;

	memset(im, 0, sizeof(*im));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !st.st_size ||
	    (uint64_t)st.st_size > IMAGE_MAX) {
		close(fd);
		return -ENOEXEC;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	rc = map == MAP_FAILED ? -errno : 0;
	close(fd);
	if (rc)
		return rc;
	if (!ncmig_mod_is_xz(map, (size_t)st.st_size)) {
		im->data = map;
		im->len = (size_t)st.st_size;
		im->mapped = true;
		return 0;
	}
	rc = ncmig_xz_decode(map, (size_t)st.st_size, &im->data, &im->len);
	munmap(map, (size_t)st.st_size);
	return rc == -1 ? -ENOEXEC : rc;
}

void ncmig_mod_image_free(struct ncmig_mod_image *im)
{
	if (im->mapped)
		munmap(im->data, im->len);
	else
		free(im->data);
	memset(im, 0, sizeof(*im));
}
