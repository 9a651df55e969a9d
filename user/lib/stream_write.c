// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Writing an ncmig record stream, to memory or to an fd (stream.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "le.h"
#include "ncmig_snap.h"
#include "grow.h"
#include "ncmig.h"

void ncmig_writer_init_mem(struct ncmig_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

void ncmig_writer_init_fd(struct ncmig_writer *w, int fd)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
}

void ncmig_writer_free(struct ncmig_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

static int emit(struct ncmig_writer *w, const void *buf, size_t len)
{
	if (w->err)
		return w->err;
	if (w->offset + len > NCMIG_STREAM_MAX)
		return w->err = -EFBIG;
	if (w->fd >= 0) {
		int rc = ncmig_write_all(w->fd, buf, len);

		if (rc)
			return w->err = rc;
	} else {
		if (ncmig_grow(&w->buf, &w->cap, w->len + len, 1, 4096))
			return w->err = -ENOMEM;
		if (len)
			memcpy(w->buf + w->len, buf, len);
		w->len += len;
	}
	w->offset += len;
	return 0;
}

int ncmig_write_header(struct ncmig_writer *w)
{
	unsigned char h[NCMIG_STREAM_HDR_LEN] = { 0 };

	memcpy(h, NCMIG_STREAM_IDENT, 8);
	le32_st(h + 8, NCMIG_STREAM_VERSION);
	return emit(w, h, sizeof(h));
}

int ncmig_write_record(struct ncmig_writer *w, uint32_t type,
		       const void *body, size_t len)
{
	static const unsigned char zero[NCMIG_REC_ALIGN];
	unsigned char h[NCMIG_REC_HDR_LEN] = { 0 };
	size_t pad = (NCMIG_REC_ALIGN - len % NCMIG_REC_ALIGN) %
		     NCMIG_REC_ALIGN;
	uint32_t crc;

	if (w->err)
		return w->err;
	if (len > NCMIG_REC_BODY_MAX)
		return w->err = -E2BIG;
	le32_st(h, type);
	le32_st(h + 4, (uint32_t)len);
	/* CRC over the header (crc field zero), body and padding. */
	crc = ncmig_crc32c(0, h, sizeof(h));
	crc = ncmig_crc32c(crc, body, len);
	crc = ncmig_crc32c(crc, zero, pad);
	le32_st(h + 8, crc);
	emit(w, h, sizeof(h));
	emit(w, body, len);
	emit(w, zero, pad);
	if (!w->err)
		w->nr_recs++;
	return w->err;
}

int ncmig_write_domain(struct ncmig_writer *w, uint16_t domid,
		       uint32_t flags)
{
	unsigned char b[8] = { 0 };

	if (flags & ~NCMIG_DOM_F_ALL || flags & NCMIG_DOM_F_IDENTITY ||
	    domid == 0 || domid >= NCMIG_DOMID_FIRST_RESERVED)
		return -EINVAL;
	le16_st(b, domid);
	le32_st(b + 4, flags);
	return ncmig_write_record(w, NCMIG_REC_DOMAIN, b, sizeof(b));
}

int ncmig_write_backend(struct ncmig_writer *w, const void *rec, size_t len)
{
	struct ncmig_snap *s = malloc(sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	rc = ncmig_snap_decode(rec, len, s, NULL);
	free(s);
	if (rc)
		return rc;
	return ncmig_write_record(w, NCMIG_REC_BACKEND, rec, len);
}

int ncmig_write_end(struct ncmig_writer *w)
{
	return ncmig_write_record(w, NCMIG_REC_END, NULL, 0);
}

int ncmig_write_domain_id(struct ncmig_writer *w, uint16_t domid,
			  uint32_t flags, const struct ncmig_identity *id)
{
	unsigned char b[NCMIG_DOMAIN_ID_LEN] = { 0 };

	flags |= NCMIG_DOM_F_IDENTITY;
	if (flags & ~NCMIG_DOM_F_ALL || domid == 0 ||
	    domid >= NCMIG_DOMID_FIRST_RESERVED)
		return -EINVAL;
	le16_st(b, domid);
	le32_st(b + 4, flags);
	memcpy(b + 8, id->uuid, 16);
	memcpy(b + 24, id->host, 16);
	return ncmig_write_record(w, NCMIG_REC_DOMAIN, b, sizeof(b));
}
