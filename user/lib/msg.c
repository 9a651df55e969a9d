// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libncmig: error lines naming domain and device (to the caller's
 * callback, stderr by default), whole-buffer I/O, UUIDs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg_defer.h"
#include "ncmig.h"

static void default_err(const struct ncmig_msg *m, void *arg)
{
	(void)arg;
	fprintf(stderr, "ncmigd: %s\n", m->line);
}

static ncmig_err_fn err_fn = default_err;
static void *err_arg;

void ncmig_set_err_cb(ncmig_err_fn fn, void *arg)
{
	err_fn = fn ? fn : default_err;
	err_arg = fn ? arg : NULL;
}

/* The messages of this thread, if it is one of the engine's workers. */
static _Thread_local struct ncmig_msg_defer *defer;

static void emit(int domid, const char *kind, uint32_t devid,
		 const char *text)
{
	struct ncmig_msg m = { .domid = domid, .kind = kind, .devid = devid };
	char line[1100];

	if (kind)
		snprintf(line, sizeof(line), "d%d %s %u: %s", domid, kind,
			 devid, text);
	else if (domid >= 0)
		snprintf(line, sizeof(line), "d%d: %s", domid, text);
	else
		snprintf(line, sizeof(line), "%s", text);
	m.text = text;
	m.line = line;
	err_fn(&m, err_arg);
}

/* Keep a worker's message for ncmig_msg_defer_flush(); false: no memory. */
static bool keep(struct ncmig_msg_defer *d, int domid, const char *kind,
		 uint32_t devid, const char *text)
{
	struct ncmig_msg_rec *r;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;

		r = realloc(d->v, cap * sizeof(*r));
		if (!r)
			return false;
		d->v = r;
		d->cap = cap;
	}
	r = &d->v[d->n];
	r->text = strdup(text);
	r->kind = kind ? strdup(kind) : NULL;
	if (!r->text || (kind && !r->kind)) {
		free(r->text);
		free(r->kind);
		return false;
	}
	r->domid = domid;
	r->devid = devid;
	d->n++;
	return true;
}

static void verr(int domid, const char *kind, uint32_t devid,
		 const char *fmt, va_list ap)
{
	char text[1024];

	vsnprintf(text, sizeof(text), fmt, ap);
	/* Out of memory, a worker says it at once rather than not at all. */
	if (defer && keep(defer, domid, kind, devid, text))
		return;
	emit(domid, kind, devid, text);
}

void ncmig_msg_defer_start(struct ncmig_msg_defer *d)
{
	defer = d;
}

void ncmig_msg_defer_stop(void)
{
	defer = NULL;
}

void ncmig_msg_defer_flush(struct ncmig_msg_defer *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		emit(d->v[i].domid, d->v[i].kind, d->v[i].devid, d->v[i].text);
		free(d->v[i].text);
		free(d->v[i].kind);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void ncmig_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(-1, NULL, 0, fmt, ap);
	va_end(ap);
}

void ncmig_dom_err(unsigned int domid, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr((int)domid, NULL, 0, fmt, ap);
	va_end(ap);
}

void ncmig_dev_err(unsigned int domid, const char *kind, uint32_t devid,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr((int)domid, kind ? kind : "?", devid, fmt, ap);
	va_end(ap);
}

const char *ncmig_kind_name(unsigned int kind)
{
	static char buf[24];

	if (kind == 1)
		return "vbd";
	if (kind == 2)
		return "vif";
	snprintf(buf, sizeof(buf), "kind%u", kind);
	return buf;
}

int ncmig_write_all(int fd, const void *buf, size_t len)
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

int ncmig_read_all(int fd, void *buf, size_t len)
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

int ncmig_parse_uuid(const char *s, size_t len, unsigned char out[16])
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

int ncmig_host_id(unsigned char id[16])
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
	return ncmig_parse_uuid(buf, (size_t)n, id);
}
