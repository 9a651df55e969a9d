// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * C xenstored's live-update state (xs_lustate.c): a file laid out as
 * Xen 4.20's lu_dump_state() writes it, one domain's watches read out,
 * added and dropped, and every rule of the reader.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "le.h"
#include "xs_lu.h"
#include "xs_lustate.h"

struct buf {
	unsigned char b[8192];
	size_t len;
};

static void rec(struct buf *f, uint32_t type, const void *body, size_t len)
{
	size_t padded = (len + 7) & ~(size_t)7;

	le32_st(f->b + f->len, type);
	le32_st(f->b + f->len + 4, (uint32_t)padded);
	memset(f->b + f->len + 8, 0, padded);
	if (len)
		memcpy(f->b + f->len + 8, body, len);
	f->len += 8 + padded;
}

static void conn_ring(struct buf *f, uint32_t id, uint16_t domid)
{
	unsigned char c[24] = { 0 };

	le32_st(c, id);
	le16_st(c + 4, NCMIG_LU_CONN_RING);
	le16_st(c + 8, domid);
	le16_st(c + 10, 0x7ff4);	/* DOMID_INVALID: no target */
	le32_st(c + 12, 3);		/* evtchn */
	rec(f, NCMIG_LU_T_CONN, c, sizeof(c));
}

static void conn_socket(struct buf *f, uint32_t id, const char *out)
{
	unsigned char c[64] = { 0 };
	size_t ol = strlen(out);

	le32_st(c, id);
	le16_st(c + 4, NCMIG_LU_CONN_SOCKET);
	le32_st(c + 8, 12);		/* fd */
	le32_st(c + 20, (uint32_t)ol);	/* data_out_len: a pending reply */
	memcpy(c + 24, out, ol);
	rec(f, NCMIG_LU_T_CONN, c, 24 + ol);
}

static void watch(struct buf *f, uint32_t id, const char *p, const char *t)
{
	unsigned char w[256];
	size_t pl = strlen(p) + 1, tl = strlen(t) + 1;

	le32_st(w, id);
	le16_st(w + 4, (uint16_t)pl);
	le16_st(w + 6, (uint16_t)tl);
	memcpy(w + 8, p, pl);
	memcpy(w + 8 + pl, t, tl);
	rec(f, NCMIG_LU_T_WATCH, w, 8 + pl + tl);
}

/* Socket conn 1 (the requester, "OK" pending), d5 (2 watches), d7 (1). */
static void sample(struct buf *f)
{
	unsigned char g[8] = { 0 }, n[24] = { 0 };

	memset(f, 0, sizeof(*f));
	memcpy(f->b, "xenstore", 8);
	f->b[11] = 1;			/* version 1, big endian */
	f->len = 16;			/* flags 0: little endian */
	le32_st(g, 9);
	le32_st(g + 4, 10);
	rec(f, NCMIG_LU_T_GLOBAL, g, sizeof(g));
	conn_socket(f, 1, "OK");
	conn_ring(f, 2, 5);
	watch(f, 2, "device", "FFFF8880012A0000");
	watch(f, 2, "/local/domain/0/backend/vbd/5/51712/state", "FFFF8880012A0040");
	conn_ring(f, 3, 7);
	watch(f, 3, "control/shutdown", "A0");
	le16_st(n + 8, 2);		/* path_len "/" */
	le16_st(n + 14, 1);		/* one perm */
	n[16] = 'n';
	n[20] = '/';
	rec(f, NCMIG_LU_T_NODE, n, 22);
	rec(f, NCMIG_LU_T_END, NULL, 0);
}

static void test_parse_sample(void **st)
{
	struct ncmig_xs_watch_pair *w;
	struct ncmig_lu_summary s;
	unsigned int nr;
	const char *why = NULL;
	struct buf f;

	(void)st;
	sample(&f);
	assert_int_equal(ncmig_lu_state_parse(f.b, f.len, 5, &s, &w, &nr, &why), 0);
	assert_int_equal(s.found, 1);
	assert_int_equal(s.conn_id, 2);
	assert_int_equal(s.evtchn, 3);
	assert_int_equal(s.conns, 3);
	assert_int_equal(s.ring_conns, 2);
	assert_int_equal(s.socket_conns, 1);
	assert_int_equal(s.watches, 3);
	assert_int_equal(s.nodes, 1);
	assert_int_equal(nr, 2);
	assert_string_equal(w[0].path, "device");
	assert_string_equal(w[0].token, "FFFF8880012A0000");
	assert_string_equal(w[1].path, "/local/domain/0/backend/vbd/5/51712/state");
	ncmig_xs_free_watches(w, nr);
	/* A domain without a ring connection: none, and not an error. */
	assert_int_equal(ncmig_lu_state_parse(f.b, f.len, 9, &s, &w, &nr, &why), 0);
	assert_int_equal(s.found, 0);
	assert_int_equal(nr, 0);
	assert_null(w);
}

static void test_edit_drop_add(void **st)
{
	struct ncmig_xs_watch_pair add[3] = {
		{ "device", "FFFF8880012A0000" },	/* has it: skipped */
		{ "data/ncmig-w0", "FFFF888001000000" },
		{ "data/ncmig-w0", "FFFF888001000000" },	/* twice: once */
	};
	struct ncmig_xs_watch_pair *w;
	struct ncmig_lu_summary s;
	unsigned char *out, *out2;
	size_t len, len2;
	unsigned int nr, a, d;
	const char *why = NULL;
	struct buf f;

	(void)st;
	sample(&f);
	assert_int_equal(ncmig_lu_state_edit(f.b, f.len, 5, NCMIG_LU_EDIT_DROP,
					     NULL, 0, &out, &len, &a, &d, &why), 0);
	assert_int_equal(d, 2);
	assert_int_equal(a, 0);
	assert_int_equal(ncmig_lu_state_parse(out, len, 5, &s, &w, &nr, &why), 0);
	assert_int_equal(nr, 0);
	assert_int_equal(s.watches, 1);	/* d7's stays */
	/* Put them back, plus one: after d5's CONN record. */
	assert_int_equal(ncmig_lu_state_edit(out, len, 5, NCMIG_LU_EDIT_ADD,
					     add, 3, &out2, &len2, &a, &d, &why), 0);
	assert_int_equal(a, 2);
	assert_int_equal(d, 0);
	ncmig_xs_free_watches(w, nr);
	assert_int_equal(ncmig_lu_state_parse(out2, len2, 5, &s, &w, &nr, &why), 0);
	assert_int_equal(nr, 2);
	assert_string_equal(w[0].path, "device");
	assert_string_equal(w[1].path, "data/ncmig-w0");
	ncmig_xs_free_watches(w, nr);
	free(out2);
	/* Adding to the original: what it has is skipped. */
	assert_int_equal(ncmig_lu_state_edit(f.b, f.len, 5, NCMIG_LU_EDIT_ADD,
					     add, 3, &out2, &len2, &a, &d, &why), 0);
	assert_int_equal(a, 1);
	assert_int_equal(len2, f.len + 8 + 8 + 14 + 17 + 1);
	free(out2);
	free(out);
	/* No such domain: nothing to edit. */
	assert_int_equal(ncmig_lu_state_edit(f.b, f.len, 9, NCMIG_LU_EDIT_DROP,
					     NULL, 0, &out, &len, &a, &d, &why),
			 -ENOENT);
	assert_null(out);
}

static void expect_bad(struct buf *f, const char *frag)
{
	struct ncmig_xs_watch_pair *w;
	struct ncmig_lu_summary s;
	unsigned int nr;
	const char *why = NULL;

	assert_int_equal(ncmig_lu_state_parse(f->b, f->len, 5, &s, &w, &nr, &why),
			 -EINVAL);
	assert_non_null(why);
	assert_non_null(strstr(why, frag));
}

static void test_rules(void **st)
{
	struct buf f;

	(void)st;
	sample(&f);
	f.b[0] = 'X';
	expect_bad(&f, "preamble");
	sample(&f);
	f.b[11] = 2;
	expect_bad(&f, "version");
	sample(&f);
	f.b[12] = 1;
	expect_bad(&f, "little endian");
	sample(&f);
	f.len -= 8;			/* END gone */
	expect_bad(&f, "no END");
	sample(&f);
	f.b[f.len++] = 0;		/* after END */
	expect_bad(&f, "after END");
	sample(&f);
	le32_st(f.b + 16 + 4, 12);	/* GLOBAL length 12 */
	expect_bad(&f, "multiple of 8");
	sample(&f);
	le32_st(f.b + 16 + 4, 0x10000000);
	expect_bad(&f, "overruns the file");
	/* A WATCH naming a connection that is not (yet) there. */
	sample(&f);
	f.len -= 8;
	watch(&f, 99, "x", "y");
	rec(&f, NCMIG_LU_T_END, NULL, 0);
	expect_bad(&f, "connection not");
	/* Two CONN with one id; two rings of the domain. */
	sample(&f);
	f.len -= 8;
	conn_ring(&f, 2, 8);
	rec(&f, NCMIG_LU_T_END, NULL, 0);
	expect_bad(&f, "one conn_id");
	sample(&f);
	f.len -= 8;
	conn_ring(&f, 4, 5);
	rec(&f, NCMIG_LU_T_END, NULL, 0);
	expect_bad(&f, "two ring connections");
	/* A watch path without its NUL inside the record. */
	sample(&f);
	f.len -= 8;
	{
		unsigned char w[16] = { 0 };

		le32_st(w, 2);
		le16_st(w + 4, 4);
		le16_st(w + 6, 2);
		memcpy(w + 8, "abcdef", 6);
		rec(&f, NCMIG_LU_T_WATCH, w, 14);
	}
	rec(&f, NCMIG_LU_T_END, NULL, 0);
	expect_bad(&f, "NUL-terminated");
	/* CONN pending data longer than the record. */
	sample(&f);
	f.len -= 8;
	{
		unsigned char c[24] = { 0 };

		le32_st(c, 40);
		le16_st(c + 4, NCMIG_LU_CONN_SOCKET);
		le16_st(c + 16, 100);
		rec(&f, NCMIG_LU_T_CONN, c, 24);
	}
	rec(&f, NCMIG_LU_T_END, NULL, 0);
	expect_bad(&f, "overruns it");
}

static void test_edit_request(void **st)
{
	struct ncmig_xs_watch_pair in[2] = {
		{ "data/a b", "tok\ten" },	/* refused: space in the path */
		{ "@releaseDomain", "" },
	}, *w;
	enum ncmig_lu_edit_mode mode;
	const char *why = NULL;
	unsigned int nr;
	uint16_t domid;
	size_t len;
	char *txt;

	(void)st;
	assert_int_equal(ncmig_lu_edit_format(12, NCMIG_LU_EDIT_ADD, in + 1, 1,
					      &txt, &len), 0);
	assert_string_equal(txt, "ncmig-lu-edit 1\ndomid 12\nmode add\n"
			    "w 4072656c65617365446f6d61696e -\n");
	assert_int_equal(ncmig_lu_edit_parse(txt, len, &domid, &mode, &w, &nr,
					     &why), 0);
	assert_int_equal(domid, 12);
	assert_int_equal(mode, NCMIG_LU_EDIT_ADD);
	assert_int_equal(nr, 1);
	assert_string_equal(w[0].path, "@releaseDomain");
	assert_string_equal(w[0].token, "");
	ncmig_xs_free_watches(w, nr);
	free(txt);
	assert_int_equal(ncmig_lu_edit_format(3, NCMIG_LU_EDIT_ADD, in, 1, &txt,
					      &len), 0);
	assert_int_equal(ncmig_lu_edit_parse(txt, len, &domid, &mode, &w, &nr,
					     &why), -EINVAL);
	free(txt);
	assert_int_equal(ncmig_lu_edit_parse("ncmig-lu-edit 1\ndomid 3\nmode drop\n"
					     "w 61 62\n", 39, &domid, &mode, &w,
					     &nr, &why), -EINVAL);
	assert_int_equal(ncmig_lu_edit_parse("ncmig-lu-edit 1\ndomid 3\nmode drop\n",
					     34, &domid, &mode, &w, &nr, &why), 0);
	assert_int_equal(mode, NCMIG_LU_EDIT_DROP);
	assert_int_equal(ncmig_lu_edit_parse("ncmig-lu-edit 1\ndomid 99999\nmode drop\n",
					     38, &domid, &mode, &w, &nr, &why),
			 -EINVAL);
	assert_int_equal(ncmig_lu_edit_parse("ncmig-lu-edit 1\ndomid 3\nmode add\nw 6100 62\n",
					     43, &domid, &mode, &w, &nr, &why),
			 -EINVAL);
}

static void put_file(const char *path, const void *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	close(fd);
}

static size_t get_file(const char *path, unsigned char *b, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, b, cap);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

/*
 * The step a live update runs in its window: a copy of the state always;
 * an edit replaces the state only when it applies whole.
 */
static void test_window(void **st)
{
	char dir[] = "/tmp/ncmig-lu-test.XXXXXX", state[64], copy[80], edit[80];
	static unsigned char got[8192];
	struct ncmig_xs_watch_pair add = { "data/x", "TOK" }, *w;
	struct ncmig_lu_summary s;
	unsigned int nr;
	const char *why;
	struct buf f;
	char *req;
	size_t len, rlen;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/state_dump", dir);
	snprintf(copy, sizeof(copy), "%s/state", dir);
	snprintf(edit, sizeof(edit), "%s/edit", dir);
	sample(&f);
	/* No state: nothing to copy, an error, nothing written. */
	assert_int_equal(ncmig_lu_window(dir, state), 1);
	assert_int_equal(get_file(copy, got, sizeof(got)), 0);
	/* Copy only. */
	put_file(state, f.b, f.len);
	assert_int_equal(ncmig_lu_window(dir, state), 0);
	assert_int_equal(get_file(copy, got, sizeof(got)), f.len);
	assert_memory_equal(got, f.b, f.len);
	unlink(copy);
	/* An edit that adds one watch to d5. */
	assert_int_equal(ncmig_lu_edit_format(5, NCMIG_LU_EDIT_ADD, &add, 1,
					      &req, &rlen), 0);
	put_file(edit, req, rlen);
	free(req);
	assert_int_equal(ncmig_lu_window(dir, state), 0);
	assert_int_equal(get_file(copy, got, sizeof(got)), f.len);	/* the original */
	len = get_file(state, got, sizeof(got));
	assert_int_equal(ncmig_lu_state_parse(got, len, 5, &s, &w, &nr, &why), 0);
	assert_int_equal(nr, 3);
	assert_string_equal(w[0].path, "data/x");
	ncmig_xs_free_watches(w, nr);
	unlink(copy);
	/* An edit for a domain the state lacks: the state stays as it was. */
	put_file(state, f.b, f.len);
	put_file(edit, "ncmig-lu-edit 1\ndomid 9\nmode drop\n", 34);
	assert_int_equal(ncmig_lu_window(dir, state), 1);
	assert_int_equal(get_file(state, got, sizeof(got)), f.len);
	assert_memory_equal(got, f.b, f.len);
	unlink(copy);
	/* A malformed request: the same. */
	put_file(edit, "ncmig-lu-edit 2\n", 16);
	assert_int_equal(ncmig_lu_window(dir, state), 1);
	assert_int_equal(get_file(state, got, sizeof(got)), f.len);
	assert_memory_equal(got, f.b, f.len);
	unlink(copy);
	unlink(edit);
	unlink(state);
	snprintf(copy, sizeof(copy), "%s.ncmig", state);
	unlink(copy);
	assert_int_equal(rmdir(dir), 0);
	alarm(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_sample),
		cmocka_unit_test(test_edit_drop_add),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_edit_request),
		cmocka_unit_test(test_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
