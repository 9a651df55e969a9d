// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Reading an ncmig record stream (ncmig.h).  The whole stream is checked
 * before the caller sees any of it: framing, checksums, every body, and
 * the rules across records (DOMAIN first, END last, no duplicate nodes or
 * devices, parents before children).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "le.h"
#include "ncmig_snap.h"
#include "grow.h"
#include "ncmig.h"
#include "xs_record.h"
#include "gnttab.h"

const char *ncmig_rec_type_name(uint32_t type)
{
	switch (type) {
	case NCMIG_REC_END:
		return "END";
	case NCMIG_REC_XS_WATCH:
		return "WATCH_DATA";
	case NCMIG_REC_XS_NODE:
		return "NODE_DATA";
	case NCMIG_REC_DOMAIN:
		return "DOMAIN";
	case NCMIG_REC_BACKEND:
		return "BACKEND";
	case NCMIG_REC_GNTTAB:
		return "GNTTAB";
	}
	return "unknown";
}

struct ncmig_xs_perm ncmig_xs_node_perm(const struct ncmig_xs_node *n,
					uint16_t i)
{
	struct ncmig_xs_perm p = {
		.perm = (char)n->perms[4 * i],
		.domid = le16_ld(n->perms + 4 * i + 2),
	};
	return p;
}

void ncmig_stream_free(struct ncmig_stream *s)
{
	free(s->buf);
	free(s->recs);
	free(s->nodes);
	free(s->watches);
	free(s->backends);
	memset(s, 0, sizeof(*s));
}

int ncmig_stream_backend_arrays(const struct ncmig_stream *s,
				const void ***recs, size_t **lens)
{
	size_t i;

	*recs = NULL;
	*lens = NULL;
	if (!s->nr_backends)
		return 0;
	*recs = calloc(s->nr_backends, sizeof(**recs));
	*lens = calloc(s->nr_backends, sizeof(**lens));
	if (!*recs || !*lens) {
		free(*recs);
		free(*lens);
		*recs = NULL;
		*lens = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < s->nr_backends; i++) {
		(*recs)[i] = s->backends[i].rec;
		(*lens)[i] = s->backends[i].len;
	}
	return 0;
}

/* Type of a record whose header could not be read. */
#define REC_TYPE_UNREAD 0xffffffffU

__attribute__((format(printf, 5, 6)))
static int rec_fail(struct ncmig_stream_err *err, int rc, size_t idx,
		    const struct ncmig_rec *r, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	if (!err)
		return rc;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	err->offset = r ? r->offset : 0;
	err->type = r ? r->type : 0;
	if (r && r->type == REC_TYPE_UNREAD)
		snprintf(err->msg, sizeof(err->msg),
			 "record %zu at offset %llu: %s", idx,
			 (unsigned long long)r->offset, what);
	else if (r)
		snprintf(err->msg, sizeof(err->msg),
			 "record %zu (%s, type %#x) at offset %llu: %s", idx,
			 ncmig_rec_type_name(r->type), r->type,
			 (unsigned long long)r->offset, what);
	else
		snprintf(err->msg, sizeof(err->msg), "stream header: %s",
			 what);
	return rc;
}

/* Room for element @n, or NULL with @arr freed. */
static void *grow(void *arr, size_t n, size_t *cap, size_t size)
{
	if (ncmig_grow(&arr, cap, n + 1, size, 16)) {
		free(arr);
		return NULL;
	}
	return arr;
}

static bool all_zero(const unsigned char *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

/* Frame one record at @pos: bounds, reserved, padding, checksum. */
static int frame(const unsigned char *buf, size_t len, size_t pos,
		 size_t idx, struct ncmig_rec *r, size_t *next,
		 struct ncmig_stream_err *err)
{
	uint32_t crc, want, reserved;
	size_t padded;

	r->offset = pos;
	r->type = REC_TYPE_UNREAD;
	if (len - pos < NCMIG_REC_HDR_LEN)
		return rec_fail(err, -EINVAL, idx, r,
				"truncated: %zu octets left, record header needs %u",
				len - pos, NCMIG_REC_HDR_LEN);
	r->type = le32_ld(buf + pos);
	r->len = le32_ld(buf + pos + 4);
	want = le32_ld(buf + pos + 8);
	reserved = le32_ld(buf + pos + 12);
	if (r->len > NCMIG_REC_BODY_MAX)
		return rec_fail(err, -E2BIG, idx, r,
				"length %u over the limit of %u", r->len,
				NCMIG_REC_BODY_MAX);
	padded = ((size_t)r->len + NCMIG_REC_ALIGN - 1) &
		 ~(size_t)(NCMIG_REC_ALIGN - 1);
	if (len - pos - NCMIG_REC_HDR_LEN < padded)
		return rec_fail(err, -EINVAL, idx, r,
				"truncated: body of %u octets (padded %zu), %zu left",
				r->len, padded, len - pos - NCMIG_REC_HDR_LEN);
	if (reserved)
		return rec_fail(err, -EINVAL, idx, r, "reserved field not zero");
	r->body = buf + pos + NCMIG_REC_HDR_LEN;
	{
		unsigned char h[NCMIG_REC_HDR_LEN];

		memcpy(h, buf + pos, sizeof(h));
		le32_st(h + 8, 0);
		crc = ncmig_crc32c(0, h, sizeof(h));
		crc = ncmig_crc32c(crc, r->body, padded);
	}
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	if (crc != want)
		return rec_fail(err, -EBADMSG, idx, r,
				"bad checksum (stored %#x, computed %#x)", want,
				crc);
#else
	/* Fuzz builds only: mutations get past the checksum to the rules. */
	(void)want;
#endif
	if (!all_zero(r->body + r->len, padded - r->len))
		return rec_fail(err, -EINVAL, idx, r, "nonzero padding");
	*next = pos + NCMIG_REC_HDR_LEN + padded;
	return 0;
}

static int cmp_node_path(const void *a, const void *b)
{
	const struct ncmig_xs_node *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* No node twice; every node's parent (inside the home) came earlier. */
static int check_tree(struct ncmig_stream *s, struct ncmig_stream_err *err)
{
	struct ncmig_xs_node *sorted;
	size_t i;
	int rc = 0;

	if (!s->nr_nodes)
		return 0;
	sorted = malloc(s->nr_nodes * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, s->nodes, s->nr_nodes * sizeof(*sorted));
	qsort(sorted, s->nr_nodes, sizeof(*sorted), cmp_node_path);
	for (i = 0; i + 1 < s->nr_nodes && !rc; i++)
		if (!strcmp(sorted[i].path, sorted[i + 1].path)) {
			struct ncmig_rec r = {
				.type = NCMIG_REC_XS_NODE,
				.offset = sorted[i].offset > sorted[i + 1].offset ?
					  sorted[i].offset : sorted[i + 1].offset,
			};
			rc = rec_fail(err, -EINVAL, 0, &r,
				      "node \"%s\" appears twice",
				      sorted[i].path);
		}
	for (i = 0; i < s->nr_nodes && !rc; i++) {
		const struct ncmig_xs_node *n = &s->nodes[i], *found;
		struct ncmig_xs_node key;
		char parent[NCMIG_XS_PATH_MAX + 1];
		const char *slash;

		if (!n->path_len)
			continue;
		slash = strrchr(n->path, '/');
		if (slash) {
			memcpy(parent, n->path, (size_t)(slash - n->path));
			parent[slash - n->path] = 0;
		} else {
			parent[0] = 0;
		}
		key.path = parent;
		found = bsearch(&key, sorted, s->nr_nodes, sizeof(*sorted),
				cmp_node_path);
		/* A missing parent is fine (xenstored creates it); a late
		 * one would have its permissions applied after the child's.
		 */
		if (found && found->offset > n->offset) {
			struct ncmig_rec r = {
				.type = NCMIG_REC_XS_NODE,
				.offset = n->offset,
			};
			rc = rec_fail(err, -EINVAL, 0, &r,
				      "node \"%s\" comes before its parent",
				      n->path);
		}
	}
	free(sorted);
	return rc;
}

/* Record-specific checks; fills the stream's views. */
static int take(struct ncmig_stream *s, size_t idx, const struct ncmig_rec *r,
		struct ncmig_snap *snap, size_t *caps,
		struct ncmig_stream_err *err)
{
	const char *why = NULL;
	struct ncmig_snap_err serr = { 0 };
	size_t i;
	int rc;

	if (idx == 0 && r->type != NCMIG_REC_DOMAIN)
		return rec_fail(err, -EINVAL, idx, r,
				"the first record must be DOMAIN");
	switch (r->type) {
	case NCMIG_REC_DOMAIN:
		if (idx != 0)
			return rec_fail(err, -EINVAL, idx, r,
					"DOMAIN after the first record");
		if (r->len < NCMIG_DOMAIN_LEN)
			return rec_fail(err, -EINVAL, idx, r,
					"length %u, DOMAIN is %u", r->len,
					NCMIG_DOMAIN_LEN);
		s->domid = le16_ld(r->body);
		s->dom_flags = le32_ld(r->body + 4);
		if (s->dom_flags & ~NCMIG_DOM_F_ALL)
			return rec_fail(err, -EINVAL, idx, r,
					"unknown flags %#x", s->dom_flags);
		if (s->dom_flags & NCMIG_DOM_F_IDENTITY &&
		    r->len != NCMIG_DOMAIN_ID_LEN)
			return rec_fail(err, -EINVAL, idx, r,
					"length %u, DOMAIN with IDENTITY is %u",
					r->len, NCMIG_DOMAIN_ID_LEN);
		if (!(s->dom_flags & NCMIG_DOM_F_IDENTITY) &&
		    r->len != NCMIG_DOMAIN_LEN)
			return rec_fail(err, -EINVAL, idx, r,
					"length %u, DOMAIN is %u", r->len,
					NCMIG_DOMAIN_LEN);
		if (s->dom_flags & NCMIG_DOM_F_IDENTITY) {
			memcpy(s->id.uuid, r->body + 8, 16);
			memcpy(s->id.host, r->body + 24, 16);
		}
		if (le16_ld(r->body + 2))
			return rec_fail(err, -EINVAL, idx, r,
					"padding not zero");
		/* dom0's area or a reserved id (DOMID_SELF...): never a
		 * guest, and restoring "as" one would hand its nodes out.
		 */
		if (s->domid == 0 || s->domid >= NCMIG_DOMID_FIRST_RESERVED)
			return rec_fail(err, -EINVAL, idx, r,
					"domid %u is not a guest's", s->domid);
		return 0;
	case NCMIG_REC_XS_NODE:
		if (!(s->dom_flags & NCMIG_DOM_F_XS_NODES))
			return rec_fail(err, -EINVAL, idx, r,
					"NODE_DATA but DOMAIN says no nodes were captured");
		s->nodes = grow(s->nodes, s->nr_nodes, &caps[0],
				sizeof(*s->nodes));
		if (!s->nodes)
			return -ENOMEM;
		if (ncmig_xs_node_decode(r->body, r->len, &s->nodes[s->nr_nodes],
					 &why))
			return rec_fail(err, -EINVAL, idx, r, "%s", why);
		s->nodes[s->nr_nodes++].offset = r->offset;
		return 0;
	case NCMIG_REC_XS_WATCH:
		if (!(s->dom_flags & NCMIG_DOM_F_XS_WATCHES))
			return rec_fail(err, -EINVAL, idx, r,
					"WATCH_DATA but DOMAIN says no watches were captured");
		s->watches = grow(s->watches, s->nr_watches, &caps[1],
				  sizeof(*s->watches));
		if (!s->watches)
			return -ENOMEM;
		if (ncmig_xs_watch_decode(r->body, r->len,
					  &s->watches[s->nr_watches], &why))
			return rec_fail(err, -EINVAL, idx, r, "%s", why);
		s->watches[s->nr_watches++].offset = r->offset;
		return 0;
	case NCMIG_REC_BACKEND:
		if (!(s->dom_flags & NCMIG_DOM_F_BACKENDS))
			return rec_fail(err, -EINVAL, idx, r,
					"BACKEND but DOMAIN says no backends were taken");
		rc = ncmig_snap_decode(r->body, r->len, snap, &serr);
		if (rc)
			return rec_fail(err, rc, idx, r,
					"snapshot record: %s (item %#x at record offset %u)",
					serr.what, serr.item, serr.offset);
		if (snap->domid != s->domid)
			return rec_fail(err, -EINVAL, idx, r,
					"snapshot of d%u in a stream of d%u",
					snap->domid, s->domid);
		for (i = 0; i < s->nr_backends; i++)
			if (s->backends[i].kind == snap->kind &&
			    s->backends[i].devid == snap->devid)
				return rec_fail(err, -EINVAL, idx, r,
						"second snapshot of device %u",
						snap->devid);
		s->backends = grow(s->backends, s->nr_backends, &caps[2],
				   sizeof(*s->backends));
		if (!s->backends)
			return -ENOMEM;
		s->backends[s->nr_backends++] = (struct ncmig_backend){
			.rec = r->body, .len = r->len, .kind = snap->kind,
			.domid = snap->domid, .devid = snap->devid,
			.offset = r->offset,
		};
		return 0;
	case NCMIG_REC_GNTTAB: {
		struct ncmig_gnttab g;

		if (s->gnttab)
			return rec_fail(err, -EINVAL, idx, r, "second GNTTAB");
		if (ncmig_gnttab_decode(r->body, r->len, &g, &why))
			return rec_fail(err, -EINVAL, idx, r, "%s", why);
		s->gnttab = r->body;
		s->gnttab_len = r->len;
		s->gnttab_offset = r->offset;
		return 0;
	}
	case NCMIG_REC_END:
		if (r->len)
			return rec_fail(err, -EINVAL, idx, r,
					"END with a body of %u octets", r->len);
		return 0;
	}
	if (!(r->type & NCMIG_REC_OPTIONAL))
		return rec_fail(err, -EPROTO, idx, r,
				"unknown mandatory record type");
	s->nr_skipped++;
	return 0;
}

static int parse_owned(struct ncmig_stream *s, struct ncmig_stream_err *err)
{
	struct ncmig_rec hdr = { 0 };
	struct ncmig_snap *snap;
	size_t pos, idx, caps[3] = { 0 }, rcap = 0;
	bool ended = false;
	int rc = 0;

	if (s->len < NCMIG_STREAM_HDR_LEN)
		return rec_fail(err, -EINVAL, 0, NULL,
				"truncated: %zu octets, the header is %u",
				s->len, NCMIG_STREAM_HDR_LEN);
	if (memcmp(s->buf, NCMIG_STREAM_IDENT, 8))
		return rec_fail(err, -EINVAL, 0, NULL,
				"not an ncmig stream (bad ident)");
	s->version = le32_ld(s->buf + 8);
	s->flags = le32_ld(s->buf + 12);
	if (s->version != NCMIG_STREAM_VERSION)
		return rec_fail(err, -EPROTO, 0, NULL,
				"unsupported version %u", s->version);
	if (s->flags)
		return rec_fail(err, -EINVAL, 0, NULL, "unknown flags %#x",
				s->flags);
	snap = malloc(sizeof(*snap));
	if (!snap)
		return -ENOMEM;
	pos = NCMIG_STREAM_HDR_LEN;
	for (idx = 0; !ended; idx++) {
		struct ncmig_rec r = { 0 };
		size_t next = pos;

		if (pos == s->len) {
			hdr.offset = pos;
			hdr.type = REC_TYPE_UNREAD;
			rc = rec_fail(err, -EINVAL, idx, &hdr,
				      "truncated: the stream ends without END");
			break;
		}
		rc = frame(s->buf, s->len, pos, idx, &r, &next, err);
		if (!rc)
			rc = take(s, idx, &r, snap, caps, err);
		if (rc)
			break;
		s->recs = grow(s->recs, s->nr_recs, &rcap, sizeof(*s->recs));
		if (!s->recs) {
			rc = -ENOMEM;
			break;
		}
		s->recs[s->nr_recs++] = r;
		ended = r.type == NCMIG_REC_END;
		pos = next;
	}
	free(snap);
	if (!rc && pos != s->len) {
		hdr.offset = pos;
		hdr.type = REC_TYPE_UNREAD;
		rc = rec_fail(err, -EINVAL, idx, &hdr,
			      "%zu octets after END", s->len - pos);
	}
	if (!rc)
		rc = check_tree(s, err);
	return rc;
}

int ncmig_stream_parse(const void *buf, size_t len, struct ncmig_stream *s,
		       struct ncmig_stream_err *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	if (err)
		memset(err, 0, sizeof(*err));
	if (len > NCMIG_STREAM_MAX)
		return rec_fail(err, -E2BIG, 0, NULL,
				"%zu octets, over the limit of %u", len,
				NCMIG_STREAM_MAX);
	s->buf = malloc(len ? len : 1);
	if (!s->buf)
		return -ENOMEM;
	if (len)
		memcpy(s->buf, buf, len);
	s->len = len;
	rc = parse_owned(s, err);
	if (rc)
		ncmig_stream_free(s);
	return rc;
}

int ncmig_stream_check_backends(const struct ncmig_stream *s, uint16_t domid,
				struct ncmig_stream_err *err)
{
	const struct ncmig_backend *b;
	size_t i, idx;

	if (err)
		memset(err, 0, sizeof(*err));
	for (i = 0; i < s->nr_backends; i++) {
		b = &s->backends[i];
		if (b->domid == domid)
			continue;
		for (idx = 0; idx < s->nr_recs; idx++)
			if (s->recs[idx].offset == b->offset)
				break;
		return rec_fail(err, -EXDEV, idx,
				idx < s->nr_recs ? &s->recs[idx] : NULL,
				"%s %u is a snapshot of d%u, the restore target is d%u",
				ncmig_kind_name(b->kind), b->devid, b->domid,
				domid);
	}
	return 0;
}

static void fmt_uuid(char *b, const unsigned char *u)
{
	sprintf(b, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		"%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
		u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void fmt_hex(char *b, const unsigned char *u)
{
	int i;

	for (i = 0; i < 16; i++)
		sprintf(b + 2 * i, "%02x", u[i]);
}

int ncmig_stream_check_identity(const struct ncmig_stream *s,
				const struct ncmig_identity *id,
				struct ncmig_stream_err *err)
{
	const struct ncmig_rec *r = s->nr_recs ? &s->recs[0] : NULL;
	char a[40], b[40];

	if (err)
		memset(err, 0, sizeof(*err));
	if (!s->nr_backends)
		return 0;
	if (!(s->dom_flags & NCMIG_DOM_F_IDENTITY))
		return rec_fail(err, -EXDEV, 0, r,
				"the stream carries no identity (a version-1 "
				"DOMAIN): its %zu backend records cannot be "
				"bound to a domain", s->nr_backends);
	if (memcmp(s->id.uuid, id->uuid, 16)) {
		fmt_uuid(a, s->id.uuid);
		fmt_uuid(b, id->uuid);
		return rec_fail(err, -EXDEV, 0, r,
				"saved from domain UUID %s, the target is UUID "
				"%s", a, b);
	}
	if (memcmp(s->id.host, id->host, 16)) {
		fmt_hex(a, s->id.host);
		fmt_hex(b, id->host);
		return rec_fail(err, -EXDEV, 0, r,
				"saved on host %s, this host is %s", a, b);
	}
	return 0;
}

/* Append @n octets read from @fd to the growing buffer. */
static int fetch(int fd, unsigned char **buf, size_t *len, size_t *cap,
		 size_t n)
{
	unsigned char *nb;
	int rc;

	if (*len + n > NCMIG_STREAM_MAX)
		return -E2BIG;
	if (*len + n > *cap) {
		size_t c = *cap ? *cap : 4096;

		while (c < *len + n)
			c *= 2;
		nb = realloc(*buf, c);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = c;
	}
	rc = ncmig_read_all(fd, *buf + *len, n);
	if (!rc)
		*len += n;
	return rc;
}

int ncmig_stream_read_fd(int fd, struct ncmig_stream *s,
			 struct ncmig_stream_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, idx = 0, padded;
	struct ncmig_rec r = { 0 };
	int rc;

	memset(s, 0, sizeof(*s));
	if (err)
		memset(err, 0, sizeof(*err));
	rc = fetch(fd, &buf, &len, &cap, NCMIG_STREAM_HDR_LEN);
	if (!rc && memcmp(buf, NCMIG_STREAM_IDENT, 8))
		rc = rec_fail(err, -EINVAL, 0, NULL,
			      "not an ncmig stream (bad ident)");
	for (; !rc; idx++) {
		r.offset = len;
		r.type = REC_TYPE_UNREAD;
		rc = fetch(fd, &buf, &len, &cap, NCMIG_REC_HDR_LEN);
		if (rc)
			break;
		r.type = le32_ld(buf + r.offset);
		r.len = le32_ld(buf + r.offset + 4);
		if (r.len > NCMIG_REC_BODY_MAX) {
			rc = rec_fail(err, -E2BIG, idx, &r,
				      "length %u over the limit of %u", r.len,
				      NCMIG_REC_BODY_MAX);
			break;
		}
		padded = ((size_t)r.len + NCMIG_REC_ALIGN - 1) &
			 ~(size_t)(NCMIG_REC_ALIGN - 1);
		rc = fetch(fd, &buf, &len, &cap, padded);
		if (!rc && r.type == NCMIG_REC_END)
			break;
	}
	if (rc == -ENODATA)
		rc = rec_fail(err, -EINVAL, idx, len > NCMIG_STREAM_HDR_LEN ? &r : NULL,
			      "truncated: end of file after %zu octets", len);
	else if (rc == -E2BIG && err && !err->msg[0])
		rc = rec_fail(err, -E2BIG, idx, &r,
			      "stream over the limit of %u octets",
			      NCMIG_STREAM_MAX);
	if (!rc)
		rc = ncmig_stream_parse(buf, len, s, err);
	free(buf);
	return rc;
}

int ncmig_stream_read_file(int fd, struct ncmig_stream *s,
			   struct ncmig_stream_err *err)
{
	struct ncmig_rec r = { .type = REC_TYPE_UNREAD };
	unsigned char more[4096];
	size_t extra = 0;
	ssize_t n;
	int rc;

	rc = ncmig_stream_read_fd(fd, s, err);
	if (rc)
		return rc;
	/* Count what follows END, up to the stream bound. */
	do {
		n = read(fd, more, sizeof(more));
		if (n > 0)
			extra += (size_t)n;
	} while ((n > 0 && extra <= NCMIG_STREAM_MAX) ||
		 (n < 0 && errno == EINTR));
	if (!extra && n == 0)
		return 0;
	r.offset = s->len;
	rc = n < 0 ? -errno : -EINVAL;
	if (n < 0)
		rec_fail(err, rc, s->nr_recs, &r, "reading after END: %s",
			 strerror(errno));
	else
		rec_fail(err, rc, s->nr_recs, &r,
			 "%s%zu octets after END (a file holds one stream)",
			 extra > NCMIG_STREAM_MAX ? "over " : "", extra);
	ncmig_stream_free(s);
	return rc;
}

int ncmig_stream_read_input(int fd, struct ncmig_stream *s,
			    struct ncmig_stream_err *err)
{
	struct stat st;

	if (!fstat(fd, &st) && S_ISREG(st.st_mode))
		return ncmig_stream_read_file(fd, s, err);
	return ncmig_stream_read_fd(fd, s, err);
}
