// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Record stream: writer/reader round trips in memory and through an fd,
 * and one rejection per reader rule, each naming the record and offset.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "le.h"
#include "ncmig_snap.h"
#include "snap_util.h"
#include "ncmig.h"
#include "xs_record.h"

static unsigned char snaprec[XEN_NCMIG_RECORD_MAX];
static struct ncmig_snap snap;

static size_t make_snap(uint16_t domid, uint32_t devid)
{
	size_t len;

	snap_util_vbd(&snap, 1, 0);
	snap.domid = domid;
	snap.devid = devid;
	len = ncmig_snap_encode(&snap, snaprec, sizeof(snaprec));
	assert_true(len > 0);
	return len;
}

static void put_node(struct ncmig_writer *w, const char *path,
		     const void *val, size_t len)
{
	struct ncmig_xs_perm perms[2] = { { 'n', 0 }, { 'r', 5 } };
	unsigned char *body;
	size_t blen;

	assert_int_equal(ncmig_xs_node_encode(path, val, len, perms, 2, &body,
					      &blen), 0);
	assert_int_equal(ncmig_write_record(w, NCMIG_REC_XS_NODE, body, blen),
			 0);
	free(body);
}

static void put_watch(struct ncmig_writer *w, const char *path,
		      const char *token)
{
	unsigned char *body;
	size_t blen;

	assert_int_equal(ncmig_xs_watch_encode(path, token, &body, &blen), 0);
	assert_int_equal(ncmig_write_record(w, NCMIG_REC_XS_WATCH, body, blen),
			 0);
	free(body);
}

/* A valid stream: DOMAIN, 3 nodes, 1 watch, 2 backends, END. */
static void build(struct ncmig_writer *w)
{
	size_t len;

	ncmig_writer_init_mem(w);
	assert_int_equal(ncmig_write_header(w), 0);
	assert_int_equal(ncmig_write_domain(w, 5, NCMIG_DOM_F_V1_ALL), 0);
	put_node(w, "", "", 0);
	put_node(w, "data", "x", 1);
	put_node(w, "data/bin", "\0\1\2", 3);
	put_watch(w, "/local/domain/0/backend", "tok");
	len = make_snap(5, 51712);
	assert_int_equal(ncmig_write_backend(w, snaprec, len), 0);
	len = make_snap(5, 51728);
	assert_int_equal(ncmig_write_backend(w, snaprec, len), 0);
	assert_int_equal(ncmig_write_end(w), 0);
	assert_int_equal(w->nr_recs, 8);
	assert_int_equal(w->len % 8, 0);
}

static void check_views(const struct ncmig_stream *s)
{
	assert_int_equal(s->version, 1);
	assert_int_equal(s->domid, 5);
	assert_int_equal(s->dom_flags, NCMIG_DOM_F_V1_ALL);
	assert_int_equal(s->nr_recs, 8);
	assert_int_equal(s->nr_nodes, 3);
	assert_string_equal(s->nodes[1].path, "data");
	assert_int_equal(s->nodes[2].value_len, 3);
	assert_memory_equal(s->nodes[2].value, "\0\1\2", 3);
	assert_int_equal(s->nodes[2].nr_perms, 2);
	assert_int_equal(ncmig_xs_node_perm(&s->nodes[2], 1).perm, 'r');
	assert_int_equal(ncmig_xs_node_perm(&s->nodes[2], 1).domid, 5);
	assert_int_equal(s->nr_watches, 1);
	assert_string_equal(s->watches[0].token, "tok");
	assert_int_equal(s->nr_backends, 2);
	assert_int_equal(s->backends[1].devid, 51728);
	assert_int_equal(s->backends[1].kind, XEN_NCMIG_KIND_VBD);
	assert_int_equal(s->recs[0].offset, NCMIG_STREAM_HDR_LEN);
	assert_int_equal(s->recs[7].type, NCMIG_REC_END);
}

static void test_memory_roundtrip(void **st)
{
	struct ncmig_stream_err err;
	struct ncmig_writer w;
	struct ncmig_stream s;

	(void)st;
	build(&w);
	assert_memory_equal(w.buf, NCMIG_STREAM_IDENT, 8);
	if (ncmig_stream_parse(w.buf, w.len, &s, &err))
		fail_msg("%s", err.msg);
	check_views(&s);
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);
}

/* restore's check: every BACKEND record must be of the target domain. */
static void test_backends_of_target(void **st)
{
	struct ncmig_stream_err err;
	struct ncmig_writer w;
	struct ncmig_stream s;
	char want[160];

	(void)st;
	build(&w);
	if (ncmig_stream_parse(w.buf, w.len, &s, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(ncmig_stream_check_backends(&s, 5, &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(ncmig_stream_check_backends(&s, 7, &err), -EXDEV);
	/* The first backend record (5) is named, with both domains. */
	snprintf(want, sizeof(want),
		 "record 5 (BACKEND, type 0x101) at offset %llu: vbd 51712 is "
		 "a snapshot of d5, the restore target is d7",
		 (unsigned long long)s.recs[5].offset);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.offset, s.recs[5].offset);
	assert_int_equal(err.type, NCMIG_REC_BACKEND);
	assert_int_equal(ncmig_stream_check_backends(&s, 0, NULL), -EXDEV);
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);

	/* A stream without backend records suits any domain. */
	ncmig_writer_init_mem(&w);
	assert_int_equal(ncmig_write_header(&w), 0);
	assert_int_equal(ncmig_write_domain(&w, 5, NCMIG_DOM_F_XS_NODES), 0);
	put_node(&w, "", "", 0);
	assert_int_equal(ncmig_write_end(&w), 0);
	if (ncmig_stream_parse(w.buf, w.len, &s, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(ncmig_stream_check_backends(&s, 7, &err), 0);
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);
}

static void test_fd_roundtrip_stops_at_end(void **st)
{
	struct ncmig_stream_err err;
	struct ncmig_writer w, wf;
	struct ncmig_stream s;
	FILE *f = tmpfile();
	char after[8] = { 0 };
	int fd;

	(void)st;
	assert_non_null(f);
	fd = fileno(f);
	build(&w);
	/* Same stream through the fd writer, then trailing octets. */
	ncmig_writer_init_fd(&wf, fd);
	ncmig_write_header(&wf);
	assert_int_equal(ncmig_write_record(&wf, NCMIG_REC_DOMAIN,
					    w.buf + 16 + 16, 8), 0);
	assert_int_equal(write(fd, w.buf + 16 + 16 + 8, w.len - 40),
			 (ssize_t)(w.len - 40));
	assert_int_equal(write(fd, "TRAILER!", 8), 8);
	lseek(fd, 0, SEEK_SET);
	if (ncmig_stream_read_fd(fd, &s, &err))
		fail_msg("%s", err.msg);
	check_views(&s);
	/* The reader did not consume past END. */
	assert_int_equal(read(fd, after, 8), 8);
	assert_memory_equal(after, "TRAILER!", 8);
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);
	fclose(f);
}

static void test_fd_truncated(void **st)
{
	struct ncmig_stream_err err;
	struct ncmig_writer w;
	struct ncmig_stream s;
	FILE *f = tmpfile();
	int fd = fileno(f);

	(void)st;
	build(&w);
	assert_int_equal(write(fd, w.buf, w.len - 8), (ssize_t)(w.len - 8));
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(ncmig_stream_read_fd(fd, &s, &err), -EINVAL);
	if (!strstr(err.msg, "record 7 at offset") ||
	    !strstr(err.msg, "truncated"))
		fail_msg("%s", err.msg);
	ncmig_writer_free(&w);
	fclose(f);
}

static void test_fd_oversize_not_allocated(void **st)
{
	unsigned char buf[32] = { 0 };
	struct ncmig_stream_err err;
	struct ncmig_stream s;
	FILE *f = tmpfile();
	int fd = fileno(f);

	(void)st;
	memcpy(buf, NCMIG_STREAM_IDENT, 8);
	le32_st(buf + 8, 1);
	le32_st(buf + 16, NCMIG_REC_XS_NODE);
	le32_st(buf + 20, 0xfffffff0);
	assert_int_equal(write(fd, buf, 32), 32);
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(ncmig_stream_read_fd(fd, &s, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "record 0 (NODE_DATA"));
	assert_non_null(strstr(err.msg, "offset 16"));
	fclose(f);
}

static void test_writer_refuses(void **st)
{
	struct ncmig_writer w;
	size_t len;

	(void)st;
	ncmig_writer_init_mem(&w);
	assert_int_equal(ncmig_write_domain(&w, 5, 0x80), -EINVAL);
	len = make_snap(5, 1);
	snaprec[len - 1] ^= 1;
	assert_int_equal(ncmig_write_backend(&w, snaprec, len), -EBADMSG);
	assert_int_equal(ncmig_write_record(&w, 0x1234, snaprec,
					    NCMIG_REC_BODY_MAX + 1), -E2BIG);
	/* Sticky. */
	assert_int_equal(ncmig_write_end(&w), -E2BIG);
	ncmig_writer_free(&w);
}

static void test_optional_skipped(void **st)
{
	struct ncmig_stream_err err;
	struct ncmig_writer w;
	struct ncmig_stream s;

	(void)st;
	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain(&w, 3, 0);
	ncmig_write_record(&w, NCMIG_REC_OPTIONAL | 0x777, "hello", 5);
	ncmig_write_end(&w);
	assert_int_equal(ncmig_stream_parse(w.buf, w.len, &s, &err), 0);
	assert_int_equal(s.nr_skipped, 1);
	assert_int_equal(s.nr_recs, 3);
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);
}

static const struct ncmig_identity id_a = {
	.uuid = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		  0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef },
	.host = { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
		  0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 },
};

/* A stream of d5 with one backend record, with or without identity. */
static void build_id(struct ncmig_writer *w, bool with_id)
{
	size_t len;

	ncmig_writer_init_mem(w);
	assert_int_equal(ncmig_write_header(w), 0);
	if (with_id)
		assert_int_equal(ncmig_write_domain_id(w, 5,
				 NCMIG_DOM_F_XS_NODES | NCMIG_DOM_F_BACKENDS,
				 &id_a), 0);
	else
		assert_int_equal(ncmig_write_domain(w, 5,
				 NCMIG_DOM_F_XS_NODES | NCMIG_DOM_F_BACKENDS), 0);
	put_node(w, "", "", 0);
	len = make_snap(5, 51712);
	assert_int_equal(ncmig_write_backend(w, snaprec, len), 0);
	assert_int_equal(ncmig_write_end(w), 0);
}

/*
 * DOMAIN with the domain's UUID and the host's identity; backend records
 * reach the kernel only when both match (ncmig_stream_check_identity).
 * A version-1 DOMAIN (8 octets, no identity) still parses, but its
 * backend records are refused.
 */
static void test_identity(void **st)
{
	struct ncmig_stream_err err;
	struct ncmig_identity other;
	struct ncmig_writer w;
	struct ncmig_stream s;

	(void)st;
	build_id(&w, true);
	if (ncmig_stream_parse(w.buf, w.len, &s, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(s.recs[0].len, NCMIG_DOMAIN_ID_LEN);
	assert_true(s.dom_flags & NCMIG_DOM_F_IDENTITY);
	assert_memory_equal(&s.id, &id_a, sizeof(id_a));
	assert_int_equal(ncmig_stream_check_identity(&s, &id_a, &err), 0);
	other = id_a;
	other.uuid[15] ^= 1;
	assert_int_equal(ncmig_stream_check_identity(&s, &other, &err), -EXDEV);
	assert_non_null(strstr(err.msg, "domain UUID 01234567-89ab-cdef-0123-456789abcdef"));
	other = id_a;
	other.host[0] ^= 1;
	assert_int_equal(ncmig_stream_check_identity(&s, &other, &err), -EXDEV);
	assert_non_null(strstr(err.msg, "saved on host fedcba9876543210fedcba9876543210"));
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);

	build_id(&w, false);
	if (ncmig_stream_parse(w.buf, w.len, &s, &err))
		fail_msg("%s", err.msg);
	assert_false(s.dom_flags & NCMIG_DOM_F_IDENTITY);
	assert_int_equal(ncmig_stream_check_identity(&s, &id_a, &err), -EXDEV);
	assert_non_null(strstr(err.msg, "no identity"));
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);

	/* Without backend records, identity does not matter. */
	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain(&w, 5, NCMIG_DOM_F_XS_NODES);
	put_node(&w, "", "", 0);
	ncmig_write_end(&w);
	assert_int_equal(ncmig_stream_parse(w.buf, w.len, &s, &err), 0);
	assert_int_equal(ncmig_stream_check_identity(&s, &id_a, &err), 0);
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);
}

/* A file holds one stream: nothing may follow END. */
static void test_file_nothing_after_end(void **st)
{
	static const char *const tails[] = { "TRAILER!", NULL };
	struct ncmig_stream_err err;
	struct ncmig_writer w;
	struct ncmig_stream s;
	int pass;

	(void)st;
	build(&w);
	for (pass = 0; pass < 3; pass++) {
		FILE *f = tmpfile();
		int fd = fileno(f);

		assert_int_equal(write(fd, w.buf, w.len), (ssize_t)w.len);
		if (pass == 1)	/* trailing octets */
			assert_int_equal(write(fd, tails[0], 8), 8);
		if (pass == 2)	/* two streams concatenated */
			assert_int_equal(write(fd, w.buf, w.len), (ssize_t)w.len);
		lseek(fd, 0, SEEK_SET);
		if (pass == 0) {
			if (ncmig_stream_read_file(fd, &s, &err))
				fail_msg("%s", err.msg);
			ncmig_stream_free(&s);
		} else {
			assert_int_equal(ncmig_stream_read_file(fd, &s, &err),
					 -EINVAL);
			assert_non_null(strstr(err.msg, "after END"));
			assert_null(s.buf);
		}
		fclose(f);
	}
	ncmig_writer_free(&w);
}

/* ---- rejections ---- */

/* Offsets in the stream build() makes. */
#define DOM_OFF 16
#define NODE0_OFF (DOM_OFF + 16 + 8)

struct rej {
	const char *name;
	/* Edit the stream in place; return its new length.  The record at
	 * @fix (if nonzero) gets its checksum recomputed.
	 */
	size_t (*edit)(unsigned char *b, size_t len, size_t *fix);
	int rc;
	const char *want;	/* substring of err.msg */
};

static size_t rec_len_at(const unsigned char *b, size_t off)
{
	return (le32_ld(b + off + 4) + 7) & ~7U;
}

/* Offset of the n-th record. */
static size_t rec_off(const unsigned char *b, unsigned int n)
{
	size_t off = NCMIG_STREAM_HDR_LEN;

	while (n--)
		off += NCMIG_REC_HDR_LEN + rec_len_at(b, off);
	return off;
}

static void recrc(unsigned char *b, size_t off)
{
	size_t padded = rec_len_at(b, off);

	le32_st(b + off + 8, 0);
	le32_st(b + off + 8, ncmig_crc32c(0, b + off, NCMIG_REC_HDR_LEN + padded));
}

/* Replace record n by a record of @type/@body, returning new length. */
static size_t replace(unsigned char *b, size_t len, unsigned int n,
		      uint32_t type, const void *body, uint32_t blen)
{
	size_t off = rec_off(b, n), old = NCMIG_REC_HDR_LEN + rec_len_at(b, off);
	size_t nw = NCMIG_REC_HDR_LEN + ((blen + 7) & ~7U);

	memmove(b + off + nw, b + off + old, len - off - old);
	memset(b + off, 0, nw);
	le32_st(b + off, type);
	le32_st(b + off + 4, blen);
	memcpy(b + off + NCMIG_REC_HDR_LEN, body, blen);
	recrc(b, off);
	return len - old + nw;
}

static size_t e_ident(unsigned char *b, size_t len, size_t *fix)
{
	(void)fix;
	b[0] = 'X';
	return len;
}

static size_t e_version(unsigned char *b, size_t len, size_t *fix)
{
	(void)fix;
	le32_st(b + 8, 2);
	return len;
}

static size_t e_flags(unsigned char *b, size_t len, size_t *fix)
{
	(void)fix;
	le32_st(b + 12, 1);
	return len;
}

static size_t e_short_header(unsigned char *b, size_t len, size_t *fix)
{
	(void)b; (void)len; (void)fix;
	return 10;
}

static size_t e_cut_rec_header(unsigned char *b, size_t len, size_t *fix)
{
	(void)b; (void)fix; (void)len;
	return rec_off(b, 2) + 8;
}

static size_t e_cut_body(unsigned char *b, size_t len, size_t *fix)
{
	(void)fix; (void)len;
	return rec_off(b, 2) + 16 + 4;
}

static size_t e_no_end(unsigned char *b, size_t len, size_t *fix)
{
	(void)b; (void)fix;
	return len - 16;
}

static size_t e_after_end(unsigned char *b, size_t len, size_t *fix)
{
	(void)fix;
	memset(b + len, 0, 8);
	return len + 8;
}

static size_t e_oversize(unsigned char *b, size_t len, size_t *fix)
{
	(void)fix;
	le32_st(b + rec_off(b, 2) + 4, NCMIG_REC_BODY_MAX + 1);
	return len;
}

static size_t e_crc(unsigned char *b, size_t len, size_t *fix)
{
	(void)fix;
	b[rec_off(b, 3) + 20] ^= 0x10;
	return len;
}

static size_t e_reserved(unsigned char *b, size_t len, size_t *fix)
{
	*fix = rec_off(b, 2);
	b[*fix + 12] = 1;
	return len;
}

static size_t e_padding(unsigned char *b, size_t len, size_t *fix)
{
	/* DOMAIN has no padding; node 1 ("data", value "x") has some. */
	*fix = rec_off(b, 2);
	b[*fix + 16 + rec_len_at(b, *fix) - 1] = 1;
	return len;
}

static size_t e_unknown_mandatory(unsigned char *b, size_t len, size_t *fix)
{
	return replace(b, len, 1, 0x777, "abc", 3) + 0 * (size_t)(*fix = 0);
}

static size_t e_first_not_domain(unsigned char *b, size_t len, size_t *fix)
{
	(void)fix;
	/* Drop the DOMAIN record entirely. */
	size_t off = rec_off(b, 0), n = NCMIG_REC_HDR_LEN + 8;

	memmove(b + off, b + off + n, len - off - n);
	return len - n;
}

static size_t e_domain_twice(unsigned char *b, size_t len, size_t *fix)
{
	unsigned char d[8] = { 5, 0, 0, 0, 7, 0, 0, 0 };

	(void)fix;
	return replace(b, len, 1, NCMIG_REC_DOMAIN, d, 8);
}

static size_t e_domain_len(unsigned char *b, size_t len, size_t *fix)
{
	unsigned char d[12] = { 5, 0, 0, 0, 7, 0, 0, 0 };

	(void)fix;
	return replace(b, len, 0, NCMIG_REC_DOMAIN, d, 12);
}

static size_t e_domain_pad(unsigned char *b, size_t len, size_t *fix)
{
	unsigned char d[8] = { 5, 0, 1, 0, 7, 0, 0, 0 };

	(void)fix;
	return replace(b, len, 0, NCMIG_REC_DOMAIN, d, 8);
}

static size_t e_domain_flags(unsigned char *b, size_t len, size_t *fix)
{
	unsigned char d[8] = { 5, 0, 0, 0, 0x1f, 0, 0, 0 };

	(void)fix;
	return replace(b, len, 0, NCMIG_REC_DOMAIN, d, 8);
}

static size_t e_domain_dom0(unsigned char *b, size_t len, size_t *fix)
{
	unsigned char d[8] = { 0, 0, 0, 0, 7, 0, 0, 0 };

	(void)fix;
	return replace(b, len, 0, NCMIG_REC_DOMAIN, d, 8);
}

static size_t e_domain_reserved(unsigned char *b, size_t len, size_t *fix)
{
	/* DOMID_FIRST_RESERVED (0x7ff0, DOMID_SELF) */
	unsigned char d[8] = { 0xf0, 0x7f, 0, 0, 7, 0, 0, 0 };

	(void)fix;
	return replace(b, len, 0, NCMIG_REC_DOMAIN, d, 8);
}

static size_t e_domain_id_short(unsigned char *b, size_t len, size_t *fix)
{
	unsigned char d[8] = { 5, 0, 0, 0, 0xf, 0, 0, 0 };

	(void)fix;
	return replace(b, len, 0, NCMIG_REC_DOMAIN, d, 8);
}

static size_t e_domain_id_unflagged(unsigned char *b, size_t len, size_t *fix)
{
	unsigned char d[40] = { 5, 0, 0, 0, 7, 0, 0, 0, 1 };

	(void)fix;
	return replace(b, len, 0, NCMIG_REC_DOMAIN, d, 40);
}

static size_t e_nodes_unflagged(unsigned char *b, size_t len, size_t *fix)
{
	unsigned char d[8] = { 5, 0, 0, 0, 6, 0, 0, 0 };

	(void)fix;
	return replace(b, len, 0, NCMIG_REC_DOMAIN, d, 8);
}

static size_t e_watches_unflagged(unsigned char *b, size_t len, size_t *fix)
{
	unsigned char d[8] = { 5, 0, 0, 0, 5, 0, 0, 0 };

	(void)fix;
	return replace(b, len, 0, NCMIG_REC_DOMAIN, d, 8);
}

static size_t e_backends_unflagged(unsigned char *b, size_t len, size_t *fix)
{
	unsigned char d[8] = { 5, 0, 0, 0, 3, 0, 0, 0 };

	(void)fix;
	return replace(b, len, 0, NCMIG_REC_DOMAIN, d, 8);
}

static size_t e_end_body(unsigned char *b, size_t len, size_t *fix)
{
	(void)fix;
	return replace(b, len, 7, NCMIG_REC_END, "x", 1);
}

static size_t e_bad_node(unsigned char *b, size_t len, size_t *fix)
{
	*fix = rec_off(b, 2);
	b[*fix + 16] = 1;	/* conn-id */
	return len;
}

static size_t e_bad_watch(unsigned char *b, size_t len, size_t *fix)
{
	*fix = rec_off(b, 4);
	b[*fix + 16 + 8] = '%';	/* a character xenstore does not allow */
	return len;
}

static size_t e_bad_snapshot(unsigned char *b, size_t len, size_t *fix)
{
	*fix = rec_off(b, 5);
	b[*fix + 16 + 18] = 1;	/* snapshot flags */
	/* keep the snapshot's own crc wrong-but-consistent: fix it */
	snap_util_recrc(b + *fix + 16, le32_ld(b + *fix + 4));
	return len;
}

static size_t e_snapshot_domid(unsigned char *b, size_t len, size_t *fix)
{
	size_t slen = make_snap(6, 1);

	(void)fix;
	return replace(b, len, 5, NCMIG_REC_BACKEND, snaprec, (uint32_t)slen);
}

static size_t e_snapshot_dup(unsigned char *b, size_t len, size_t *fix)
{
	size_t slen = make_snap(5, 51712);

	(void)fix;
	return replace(b, len, 6, NCMIG_REC_BACKEND, snaprec, (uint32_t)slen);
}

static size_t e_node_dup(unsigned char *b, size_t len, size_t *fix)
{
	size_t off = rec_off(b, 2);
	unsigned char body[64];
	uint32_t blen = le32_ld(b + off + 4);

	(void)fix;
	memcpy(body, b + off + 16, blen);
	return replace(b, len, 3, NCMIG_REC_XS_NODE, body, blen);
}

static size_t e_child_first(unsigned char *b, size_t len, size_t *fix)
{
	/* Swap "data" and "data/bin". */
	size_t o2 = rec_off(b, 2), o3 = rec_off(b, 3);
	unsigned char r2[64], r3[64];
	size_t l2 = o3 - o2, l3 = rec_off(b, 4) - o3;

	(void)fix;
	memcpy(r2, b + o2, l2);
	memcpy(r3, b + o3, l3);
	memcpy(b + o2, r3, l3);
	memcpy(b + o2 + l3, r2, l2);
	return len;
}

static const struct rej rejects[] = {
	{ "bad ident", e_ident, -EINVAL, "stream header: not an ncmig stream" },
	{ "bad version", e_version, -EPROTO, "unsupported version 2" },
	{ "header flags", e_flags, -EINVAL, "stream header: unknown flags" },
	{ "short header", e_short_header, -EINVAL, "stream header: truncated" },
	{ "cut record header", e_cut_rec_header, -EINVAL, "record 2 at offset 88: truncated: 8 octets left" },
	{ "cut body", e_cut_body, -EINVAL, "record 2 (NODE_DATA, type 0x5) at offset 88: truncated" },
	{ "no END", e_no_end, -EINVAL, "ends without END" },
	{ "data after END", e_after_end, -EINVAL, "8 octets after END" },
	{ "oversize length", e_oversize, -E2BIG, "record 2 (NODE_DATA, type 0x5) at offset 88: length 262145 over the limit" },
	{ "bad checksum", e_crc, -EBADMSG, "record 3 (NODE_DATA, type 0x5) at offset" },
	{ "reserved set", e_reserved, -EINVAL, "reserved field not zero" },
	{ "nonzero padding", e_padding, -EINVAL, "nonzero padding" },
	{ "unknown mandatory", e_unknown_mandatory, -EPROTO, "record 1 (unknown, type 0x777) at offset 40: unknown mandatory" },
	{ "first not DOMAIN", e_first_not_domain, -EINVAL, "first record must be DOMAIN" },
	{ "DOMAIN twice", e_domain_twice, -EINVAL, "DOMAIN after the first" },
	{ "DOMAIN length", e_domain_len, -EINVAL, "DOMAIN is 8" },
	{ "DOMAIN padding", e_domain_pad, -EINVAL, "padding not zero" },
	{ "DOMAIN flags", e_domain_flags, -EINVAL, "unknown flags 0x1f" },
	{ "DOMAIN of dom0", e_domain_dom0, -EINVAL, "domid 0 is not a guest" },
	{ "DOMAIN of a reserved domid", e_domain_reserved, -EINVAL, "domid 32752 is not a guest" },
	{ "DOMAIN identity flag, 8 octets", e_domain_id_short, -EINVAL, "length 8, DOMAIN with IDENTITY is 40" },
	{ "DOMAIN of 40 octets, no identity flag", e_domain_id_unflagged, -EINVAL, "length 40, DOMAIN is 8" },
	{ "nodes not flagged", e_nodes_unflagged, -EINVAL, "no nodes were captured" },
	{ "watches not flagged", e_watches_unflagged, -EINVAL, "no watches were captured" },
	{ "backends not flagged", e_backends_unflagged, -EINVAL, "no backends were taken" },
	{ "END with body", e_end_body, -EINVAL, "END with a body" },
	{ "bad NODE_DATA", e_bad_node, -EINVAL, "NODE_DATA of a transaction" },
	{ "bad WATCH_DATA", e_bad_watch, -EINVAL, "WATCH_DATA path not a valid path" },
	{ "bad snapshot", e_bad_snapshot, -EINVAL, "snapshot record: flags not zero" },
	{ "snapshot of another domain", e_snapshot_domid, -EINVAL, "snapshot of d6 in a stream of d5" },
	{ "snapshot twice", e_snapshot_dup, -EINVAL, "second snapshot of device 51712" },
	{ "node twice", e_node_dup, -EINVAL, "node \"data\" appears twice" },
	{ "child before parent", e_child_first, -EINVAL, "node \"data/bin\" comes before its parent" },
};

static void run_reject(void **st)
{
	const struct rej *c = *st;
	static unsigned char b[8192];
	struct ncmig_stream_err err;
	struct ncmig_writer w;
	struct ncmig_stream s;
	size_t len, fix = 0;
	int rc;

	build(&w);
	assert_true(w.len + 64 < sizeof(b));
	memcpy(b, w.buf, w.len);
	len = w.len;
	ncmig_writer_free(&w);
	len = c->edit(b, len, &fix);
	if (fix)
		recrc(b, fix);
	rc = ncmig_stream_parse(b, len, &s, &err);
	if (rc != c->rc || !strstr(err.msg, c->want))
		fail_msg("%s: rc %d (want %d), \"%s\" (want \"%s\")", c->name,
			 rc, c->rc, err.msg, c->want);
	/* Nothing is left allocated on failure. */
	assert_null(s.buf);
	assert_null(s.nodes);
}

/* The warm-up's stream is one the parser takes, every time. */
static void test_warmup_parses(void **st)
{
	uint64_t us = UINT64_MAX;

	(void)st;
	assert_int_equal(ncmig_stream_warmup(&us), 0);
	assert_true(us < UINT64_MAX);
	assert_int_equal(ncmig_stream_warmup(NULL), 0);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_memory_roundtrip),
		cmocka_unit_test(test_backends_of_target),
		cmocka_unit_test(test_fd_roundtrip_stops_at_end),
		cmocka_unit_test(test_fd_truncated),
		cmocka_unit_test(test_fd_oversize_not_allocated),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_optional_skipped),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_file_nothing_after_end),
		cmocka_unit_test(test_warmup_parses),
	};
	size_t nf = sizeof(fixed) / sizeof(fixed[0]);
	size_t nr = sizeof(rejects) / sizeof(rejects[0]), i;
	struct CMUnitTest *t = calloc(nf + nr, sizeof(*t));
	int rc;

	memcpy(t, fixed, sizeof(fixed));
	for (i = 0; i < nr; i++) {
		t[nf + i].name = rejects[i].name;
		t[nf + i].test_func = run_reject;
		t[nf + i].initial_state = (void *)&rejects[i];
	}
	rc = _cmocka_run_group_tests("record stream", t, nf + nr, NULL, NULL);
	free(t);
	return rc;
}
