// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static void verr(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "ncmigd: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ncmigd_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr("", fmt, ap);
	va_end(ap);
}

void ncmigd_dom_err(unsigned int domid, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "d%u: ", domid);
	va_start(ap, fmt);
	verr(prefix, fmt, ap);
	va_end(ap);
}

void ncmigd_dev_err(unsigned int domid, const char *kind, uint32_t devid,
		    const char *fmt, ...)
{
	char prefix[64];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "d%u %s %u: ", domid, kind, devid);
	va_start(ap, fmt);
	verr(prefix, fmt, ap);
	va_end(ap);
}

const char *ncmigd_kind_name(unsigned int kind)
{
	static char buf[24];

	if (kind == 1)
		return "vbd";
	if (kind == 2)
		return "vif";
	snprintf(buf, sizeof(buf), "kind%u", kind);
	return buf;
}

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

	if (!ncmigd_parse_u32(s, &v) || v < 1 || v > NCMIGD_DOMID_MAX)
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
		ncmigd_err("%s: %s", path, strerror(errno));
	return f;
}

void ncmigd_close_stream(int fd, const char *path)
{
	if (path && strcmp(path, "-") && fd > STDERR_FILENO)
		close(fd);
}

int ncmigd_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ncmigd_read_all(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ncmigd_parse_uuid(const char *s, size_t len, unsigned char out[16])
{
	size_t i, k = 0;
	bool dashed = len == 36;

	if (len != 32 && len != 36)
		return -EINVAL;
	for (i = 0; i < len; ) {
		int hi, lo;

		if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (s[i++] != '-')
				return -EINVAL;
			continue;
		}
		hi = hexval(s[i]);
		lo = i + 1 < len ? hexval(s[i + 1]) : -1;
		if (hi < 0 || lo < 0 || k == 16)
			return -EINVAL;
		out[k++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return k == 16 ? 0 : -EINVAL;
}

int ncmigd_host_id(unsigned char id[16])
{
	const char *path = getenv("NCMIGD_HOST_ID_FILE");
	char buf[64];
	ssize_t n;
	int fd;

	fd = open(path ? path : "/etc/machine-id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	return ncmigd_parse_uuid(buf, (size_t)n, id);
}
