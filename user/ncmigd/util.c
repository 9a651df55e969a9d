// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ncmigd: strict option values and the stream a verb reads or writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int ncmigd_verbosity;

bool ncmigd_parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

bool ncmigd_parse_domid(const char *s, uint16_t *out)
{
	uint32_t v;

	if (!ncmigd_parse_u32(s, &v) || v < 1 || v > NCMIG_DOMID_MAX)
		return false;
	*out = (uint16_t)v;
	return true;
}

bool ncmigd_parse_fd(const char *s, int *out)
{
	uint32_t v;

	if (!ncmigd_parse_u32(s, &v) || v > INT32_MAX ||
	    fcntl((int)v, F_GETFD) < 0)
		return false;
	*out = (int)v;
	return true;
}

int ncmigd_open_stream(const char *path, int fd, bool for_write)
{
	int f;

	if (fd >= 0)
		return fd;
	if (!path || !strcmp(path, "-"))
		return for_write ? STDOUT_FILENO : STDIN_FILENO;
	f = for_write ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0600) :
			open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		ncmig_err("%s: %s", path, strerror(errno));
	return f;
}

bool ncmigd_stream_to_tty(const char *verb, const char *path, int fd)
{
	if (path && strcmp(path, "-"))
		return false;
	if (fd < 0)
		fd = STDOUT_FILENO;
	if (!isatty(fd))
		return false;
	ncmig_err("%s: refusing to write a binary stream to a terminal "
		  "(-o FILE, --fd N or a redirection)", verb);
	return true;
}

void ncmigd_close_stream(int fd, const char *path)
{
	if (path && strcmp(path, "-") && fd > STDERR_FILENO)
		close(fd);
}

int ncmigd_write_file(const char *path, const void *buf, size_t len)
{
	char *tmp = NULL;
	int fd, rc;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	fd = ncmigd_open_stream(tmp, -1, true);
	if (fd < 0) {
		free(tmp);
		return 1;
	}
	rc = ncmig_write_all(fd, buf, len);
	if (!rc && fsync(fd))
		rc = -errno;
	close(fd);
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}
