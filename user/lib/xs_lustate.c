// SPDX-License-Identifier: GPL-2.0 OR MIT
/* C xenstored's live-update state: read one domain's watches, edit them. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "le.h"
#include "xs_lustate.h"
#include "xs_record.h"

static int bad(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -EINVAL;
}

/* A string of exactly @len octets with its NUL, none before it. */
static bool cstr(const unsigned char *p, size_t len)
{
	return len >= 1 && p[len - 1] == 0 && !memchr(p, 0, len - 1);
}

struct lu_rec {
	uint32_t type;
	const unsigned char *body;
	size_t len;		/* the header's length (a multiple of 8) */
	size_t off;		/* of the header */
};

/* conn_ids seen so far (a WATCH must name an earlier CONN). */
struct lu_walk {
	uint32_t *ids;
	size_t nr_ids, cap;
};

static bool id_known(const struct lu_walk *k, uint32_t id)
{
	size_t i;

	for (i = 0; i < k->nr_ids; i++)
		if (k->ids[i] == id)
			return true;
	return false;
}

/*
 * Check one record's body as lu_read_state() would use it.  For a CONN
 * of @domid's ring, *dom_conn is set to its conn_id.
 */
static int check_rec(struct lu_walk *k, const struct lu_rec *r,
		     uint16_t domid, struct ncmig_lu_summary *s,
		     const char **why)
{
	const unsigned char *b = r->body;

	switch (r->type) {
	case NCMIG_LU_T_GLOBAL:
		if (r->len < 8)
			return bad(why, "GLOBAL record shorter than 8 octets");
		return 0;
	case NCMIG_LU_T_CONN: {
		uint32_t id;
		uint16_t type, in_len, resp_len;
		uint32_t out_len;

		if (r->len < NCMIG_LU_CONN_FIXED)
			return bad(why, "CONN record shorter than its fixed part");
		id = le32_ld(b);
		type = le16_ld(b + 4);
		in_len = le16_ld(b + 16);
		resp_len = le16_ld(b + 18);
		out_len = le32_ld(b + 20);
		if ((size_t)NCMIG_LU_CONN_FIXED + in_len + out_len > r->len)
			return bad(why, "CONN record's pending data overruns it");
		if (resp_len > out_len)
			return bad(why, "CONN record's partial response longer than its output");
		if (type != NCMIG_LU_CONN_RING && type != NCMIG_LU_CONN_SOCKET)
			return bad(why, "CONN record of an unknown connection type");
		if (id_known(k, id))
			return bad(why, "two CONN records with one conn_id");
		if (ncmig_grow(&k->ids, &k->cap, k->nr_ids + 1,
			       sizeof(*k->ids), 16))
			return -ENOMEM;
		k->ids[k->nr_ids++] = id;
		s->conns++;
		if (type == NCMIG_LU_CONN_SOCKET) {
			s->socket_conns++;
			return 0;
		}
		s->ring_conns++;
		if (le16_ld(b + 8) == domid) {
			if (s->found)
				return bad(why, "two ring connections of the domain");
			s->found = 1;
			s->conn_id = id;
			s->evtchn = le32_ld(b + 12);
		}
		return 0;
	}
	case NCMIG_LU_T_WATCH: {
		uint16_t pl, tl;

		if (r->len < NCMIG_LU_WATCH_FIXED)
			return bad(why, "WATCH record shorter than its fixed part");
		pl = le16_ld(b + 4);
		tl = le16_ld(b + 6);
		if ((size_t)NCMIG_LU_WATCH_FIXED + pl + tl > r->len)
			return bad(why, "WATCH record's path and token overrun it");
		if (!cstr(b + 8, pl) || !cstr(b + 8 + pl, tl))
			return bad(why, "WATCH path or token not one NUL-terminated string");
		if (!id_known(k, le32_ld(b)))
			return bad(why, "WATCH record of a connection not (yet) in the file");
		s->watches++;
		return 0;
	}
	case NCMIG_LU_T_TA:
		s->tas++;
		return 0;
	case NCMIG_LU_T_NODE:
		if (r->len < 16)
			return bad(why, "NODE record shorter than its fixed part");
		s->nodes++;
		return 0;
	}
	s->other++;
	return 0;
}

/*
 * Walk the file: preamble, every record up to END (which must be
 * there, the last thing in the file), calling @fn on each.
 */
static int walk(const unsigned char *buf, size_t len, uint16_t domid,
		struct ncmig_lu_summary *s,
		int (*fn)(const struct lu_rec *r, void *arg), void *arg,
		const char **why)
{
	struct lu_walk k = { 0 };
	size_t off = NCMIG_LU_PREAMBLE;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (len < NCMIG_LU_PREAMBLE + NCMIG_LU_HDR)
		return bad(why, "shorter than a preamble and an END record");
	if (len > NCMIG_LU_STATE_MAX)
		return bad(why, "larger than 256 MiB");
	if (memcmp(buf, "xenstore", 8))
		return bad(why, "no \"xenstore\" preamble");
	if (buf[8] || buf[9] || buf[10] || buf[11] != 1)
		return bad(why, "not version 1");
	if (le32_ld(buf + 12) != 0)
		return bad(why, "not little endian (flags not 0)");
	for (;;) {
		struct lu_rec r;

		if (len - off < NCMIG_LU_HDR) {
			rc = bad(why, "no END record");
			break;
		}
		r.type = le32_ld(buf + off);
		r.len = le32_ld(buf + off + 4);
		r.off = off;
		r.body = buf + off + NCMIG_LU_HDR;
		if (r.len % 8) {
			rc = bad(why, "a record's length not a multiple of 8");
			break;
		}
		if (r.len > len - off - NCMIG_LU_HDR) {
			rc = bad(why, "a record overruns the file");
			break;
		}
		if (r.type == NCMIG_LU_T_END) {
			if (r.len || off + NCMIG_LU_HDR != len)
				rc = bad(why, "data after END, or END with a body");
			else if (fn)
				rc = fn(&r, arg);
			break;
		}
		rc = check_rec(&k, &r, domid, s, why);
		if (!rc && fn)
			rc = fn(&r, arg);
		if (rc)
			break;
		off += NCMIG_LU_HDR + r.len;
	}
	free(k.ids);
	return rc;
}

/* Pass 2: the domain's watches, once its conn_id is known. */
struct collect {
	uint32_t conn_id;
	struct ncmig_xs_watch_pair *w;
	unsigned int nr;
	size_t cap;
};

static int collect_one(const struct lu_rec *r, void *arg)
{
	struct collect *c = arg;
	char *p, *t;

	if (r->type != NCMIG_LU_T_WATCH || le32_ld(r->body) != c->conn_id)
		return 0;
	p = strdup((const char *)r->body + 8);
	t = strdup((const char *)r->body + 8 + le16_ld(r->body + 4));
	if (!p || !t || ncmig_grow(&c->w, &c->cap, c->nr + 1, sizeof(*c->w), 16)) {
		free(p);
		free(t);
		return -ENOMEM;
	}
	c->w[c->nr].path = p;
	c->w[c->nr].token = t;
	c->nr++;
	return 0;
}

int ncmig_lu_state_parse(const unsigned char *buf, size_t len,
			 uint16_t domid, struct ncmig_lu_summary *s,
			 struct ncmig_xs_watch_pair **w, unsigned int *nr,
			 const char **why)
{
	struct collect c = { 0 };
	int rc;

	*w = NULL;
	*nr = 0;
	rc = walk(buf, len, domid, s, NULL, NULL, why);
	if (rc || !s->found)
		return rc;
	c.conn_id = s->conn_id;
	rc = walk(buf, len, domid, s, collect_one, &c, why);
	if (rc) {
		ncmig_xs_free_watches(c.w, c.nr);
		return rc;
	}
	s->dom_watches = c.nr;
	*w = c.w;
	*nr = c.nr;
	return 0;
}

/* ---- the edit ---- */

struct edit {
	uint32_t conn_id;
	enum ncmig_lu_edit_mode mode;
	const struct ncmig_xs_watch_pair *w;
	unsigned int nr;
	const struct ncmig_xs_watch_pair *have;	/* the domain's, before */
	unsigned int nr_have;
	unsigned char *out;
	size_t len, cap;
	unsigned int added, dropped;
};

static int put(struct edit *e, const void *p, size_t n)
{
	if (ncmig_grow(&e->out, &e->cap, e->len + n, 1, 4096))
		return -ENOMEM;
	memcpy(e->out + e->len, p, n);
	e->len += n;
	return 0;
}

static bool has_pair(const struct ncmig_xs_watch_pair *w, unsigned int n,
		     const char *path, const char *token)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(w[i].path, path) && !strcmp(w[i].token, token))
			return true;
	return false;
}

static int put_watch(struct edit *e, const char *path, const char *token)
{
	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
	size_t body = NCMIG_LU_WATCH_FIXED + pl + tl, padded = (body + 7) & ~7UL;
	unsigned char h[NCMIG_LU_HDR + NCMIG_LU_WATCH_FIXED];
	static const unsigned char zero[8];
	int rc;

	if (pl > 0xffff || tl > 0xffff || pl - 1 > NCMIG_XS_PATH_MAX ||
	    tl > NCMIG_XS_TOKEN_MAX)
		return -E2BIG;
	le32_st(h, NCMIG_LU_T_WATCH);
	le32_st(h + 4, (uint32_t)padded);
	le32_st(h + 8, e->conn_id);
	le16_st(h + 12, (uint16_t)pl);
	le16_st(h + 14, (uint16_t)tl);
	rc = put(e, h, sizeof(h));
	if (!rc)
		rc = put(e, path, pl);
	if (!rc)
		rc = put(e, token, tl);
	if (!rc)
		rc = put(e, zero, padded - body);
	return rc;
}

static int edit_one(const struct lu_rec *r, void *arg)
{
	struct edit *e = arg;
	unsigned int i;
	int rc;

	if (r->type == NCMIG_LU_T_WATCH && le32_ld(r->body) == e->conn_id &&
	    e->mode == NCMIG_LU_EDIT_DROP) {
		e->dropped++;
		return 0;
	}
	rc = put(e, r->body - NCMIG_LU_HDR, NCMIG_LU_HDR + r->len);
	if (rc || r->type != NCMIG_LU_T_CONN || le32_ld(r->body) != e->conn_id ||
	    e->mode != NCMIG_LU_EDIT_ADD)
		return rc;
	for (i = 0; !rc && i < e->nr; i++) {
		if (has_pair(e->have, e->nr_have, e->w[i].path, e->w[i].token) ||
		    has_pair(e->w, i, e->w[i].path, e->w[i].token))
			continue;
		rc = put_watch(e, e->w[i].path, e->w[i].token);
		if (!rc)
			e->added++;
	}
	return rc;
}

int ncmig_lu_state_edit(const unsigned char *buf, size_t len, uint16_t domid,
			enum ncmig_lu_edit_mode mode,
			const struct ncmig_xs_watch_pair *w, unsigned int nr,
			unsigned char **out, size_t *out_len,
			unsigned int *added, unsigned int *dropped,
			const char **why)
{
	struct ncmig_xs_watch_pair *have;
	struct ncmig_lu_summary s, s2;
	struct edit e = { .mode = mode, .w = w, .nr = nr };
	unsigned int nr_have, i;
	int rc;

	*out = NULL;
	*out_len = 0;
	*added = *dropped = 0;
	if (mode != NCMIG_LU_EDIT_ADD && mode != NCMIG_LU_EDIT_DROP)
		return bad(why, "unknown edit");
	for (i = 0; mode == NCMIG_LU_EDIT_ADD && i < nr; i++)
		if (!ncmig_xs_wpath_valid(w[i].path, strlen(w[i].path)) ||
		    strlen(w[i].token) + 1 > NCMIG_XS_TOKEN_MAX)
			return bad(why, "a watch to add has an invalid path or token");
	rc = ncmig_lu_state_parse(buf, len, domid, &s, &have, &nr_have, why);
	if (rc)
		return rc;
	if (!s.found) {
		if (why)
			*why = "the domain has no ring connection in the state";
		return -ENOENT;
	}
	e.conn_id = s.conn_id;
	e.have = have;
	e.nr_have = nr_have;
	rc = put(&e, buf, NCMIG_LU_PREAMBLE);
	if (!rc)
		rc = walk(buf, len, domid, &s, edit_one, &e, why);
	ncmig_xs_free_watches(have, nr_have);
	/* What we write must read back (the reader is xenstored). */
	if (!rc) {
		struct ncmig_xs_watch_pair *chk;
		unsigned int nchk;

		rc = ncmig_lu_state_parse(e.out, e.len, domid, &s2, &chk,
					  &nchk, why);
		if (!rc) {
			ncmig_xs_free_watches(chk, nchk);
			if (nchk != nr_have + e.added - e.dropped)
				rc = bad(why, "the edited state does not count up");
		}
	}
	if (rc) {
		free(e.out);
		return rc;
	}
	*out = e.out;
	*out_len = e.len;
	*added = e.added;
	*dropped = e.dropped;
	return 0;
}

/* ---- the edit request ---- */

static int hex_put(char **p, size_t *len, size_t *cap, const char *s)
{
	static const char hx[] = "0123456789abcdef";
	size_t n = strlen(s), i;

	if (ncmig_grow(p, cap, *len + 2 * n + 4, 1, 256))
		return -ENOMEM;
	if (!n)
		(*p)[(*len)++] = '-';
	for (i = 0; i < n; i++) {
		(*p)[(*len)++] = hx[(unsigned char)s[i] >> 4];
		(*p)[(*len)++] = hx[(unsigned char)s[i] & 15];
	}
	return 0;
}

int ncmig_lu_edit_format(uint16_t domid, enum ncmig_lu_edit_mode mode,
			 const struct ncmig_xs_watch_pair *w, unsigned int nr,
			 char **out, size_t *out_len)
{
	char *p = NULL, head[80];
	size_t len = 0, cap = 0;
	unsigned int i;
	int rc = 0, n;

	n = snprintf(head, sizeof(head), "ncmig-lu-edit 1\ndomid %u\nmode %s\n",
		     domid, mode == NCMIG_LU_EDIT_DROP ? "drop" : "add");
	if (ncmig_grow(&p, &cap, (size_t)n + 1, 1, 256))
		return -ENOMEM;
	memcpy(p, head, (size_t)n);
	len = (size_t)n;
	for (i = 0; !rc && mode == NCMIG_LU_EDIT_ADD && i < nr; i++) {
		rc = ncmig_grow(&p, &cap, len + 2, 1, 256);
		if (!rc) {
			p[len++] = 'w';
			p[len++] = ' ';
			rc = hex_put(&p, &len, &cap, w[i].path);
		}
		if (!rc) {
			p[len++] = ' ';
			rc = hex_put(&p, &len, &cap, w[i].token);
		}
		if (!rc)
			p[len++] = '\n';
	}
	if (rc) {
		free(p);
		return rc;
	}
	p[len] = 0;
	*out = p;
	*out_len = len;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* One hex field of [p, end) up to a space or newline, decoded. */
static char *hex_get(const char **p, const char *end)
{
	const char *s = *p;
	size_t n = 0, i;
	char *out;

	while (s + n < end && s[n] != ' ' && s[n] != '\n')
		n++;
	*p = s + n;
	if (n == 1 && s[0] == '-')
		return strdup("");
	if (!n || n % 2 || n / 2 > NCMIG_XS_TOKEN_MAX)
		return NULL;
	out = malloc(n / 2 + 1);
	if (!out)
		return NULL;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0 || (!hi && !lo)) {
			free(out);
			return NULL;
		}
		out[i] = (char)(hi << 4 | lo);
	}
	out[n / 2] = 0;
	return out;
}

int ncmig_lu_edit_parse(const char *text, size_t len, uint16_t *domid,
			enum ncmig_lu_edit_mode *mode,
			struct ncmig_xs_watch_pair **w, unsigned int *nr,
			const char **why)
{
	const char *p = text, *end = text + len;
	struct ncmig_xs_watch_pair *arr = NULL;
	unsigned int n = 0, d;
	size_t cap = 0;
	char m[8];
	int used = 0;

	*w = NULL;
	*nr = 0;
	if (len > 64U << 20 || memchr(text, 0, len))
		return bad(why, "edit request too long or not text");
	if (len < 16 || memcmp(p, "ncmig-lu-edit 1\n", 16))
		return bad(why, "edit request without its first line");
	p += 16;
	{
		char line[64];
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l;

		if (!nl || (l = (size_t)(nl - p)) >= sizeof(line))
			return bad(why, "edit request without a domid line");
		memcpy(line, p, l);
		line[l] = 0;
		if (sscanf(line, "domid %u%n", &d, &used) != 1 ||
		    (size_t)used != l || d > 0x7fef)
			return bad(why, "edit request's domid line is wrong");
		p = nl + 1;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || (l = (size_t)(nl - p)) >= sizeof(line))
			return bad(why, "edit request without a mode line");
		memcpy(line, p, l);
		line[l] = 0;
		if (sscanf(line, "mode %7s%n", m, &used) != 1 ||
		    (size_t)used != l)
			return bad(why, "edit request's mode line is wrong");
		p = nl + 1;
	}
	if (!strcmp(m, "add"))
		*mode = NCMIG_LU_EDIT_ADD;
	else if (!strcmp(m, "drop"))
		*mode = NCMIG_LU_EDIT_DROP;
	else
		return bad(why, "edit request's mode is neither add nor drop");
	while (p < end) {
		char *path, *token;

		if (end - p < 2 || p[0] != 'w' || p[1] != ' ')
			goto fail;
		p += 2;
		path = hex_get(&p, end);
		if (!path || p >= end || *p != ' ') {
			free(path);
			goto fail;
		}
		p++;
		token = hex_get(&p, end);
		if (!token || p >= end || *p != '\n' ||
		    !ncmig_xs_wpath_valid(path, strlen(path)) ||
		    ncmig_grow(&arr, &cap, n + 1, sizeof(*arr), 16)) {
			free(path);
			free(token);
			goto fail;
		}
		p++;
		arr[n].path = path;
		arr[n].token = token;
		n++;
	}
	if (*mode == NCMIG_LU_EDIT_DROP && n) {
		ncmig_xs_free_watches(arr, n);
		return bad(why, "a drop request lists watches");
	}
	*domid = (uint16_t)d;
	*w = arr;
	*nr = n;
	return 0;
fail:
	ncmig_xs_free_watches(arr, n);
	return bad(why, "edit request has a malformed watch line");
}
