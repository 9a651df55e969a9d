// SPDX-License-Identifier: GPL-2.0 OR MIT
/* NODE_DATA and WATCH_DATA codec: round trips and one test per rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "le.h"
#include "xs_record.h"

static const struct ncmig_xs_perm perms3[3] = {
	{ 'n', 5 }, { 'r', 0 }, { 'b', 7 },
};

static void test_node_roundtrip(void **st)
{
	struct ncmig_xs_node n;
	unsigned char *b;
	const char *why = NULL;
	size_t len;

	(void)st;
	assert_int_equal(ncmig_xs_node_encode("device/vbd/51712/state",
					      "4\0x\xff", 4, perms3, 3, &b,
					      &len), 0);
	assert_int_equal(len, 16 + 12 + 23 + 4);
	/* The xenstore-migration layout, octet by octet. */
	assert_int_equal(le32_ld(b), 0);
	assert_int_equal(le32_ld(b + 4), 0);
	assert_int_equal(le16_ld(b + 8), 23);
	assert_int_equal(le16_ld(b + 10), 4);
	assert_int_equal(le16_ld(b + 12), 0);
	assert_int_equal(le16_ld(b + 14), 3);
	assert_memory_equal(b + 16, "n\0\5\0r\0\0\0b\0\7\0", 12);
	assert_int_equal(ncmig_xs_node_decode(b, len, &n, &why), 0);
	assert_string_equal(n.path, "device/vbd/51712/state");
	assert_int_equal(n.path_len, 22);
	assert_int_equal(n.value_len, 4);
	assert_memory_equal(n.value, "4\0x\xff", 4);
	assert_int_equal(n.nr_perms, 3);
	assert_int_equal(ncmig_xs_node_perm(&n, 2).perm, 'b');
	assert_int_equal(ncmig_xs_node_perm(&n, 2).domid, 7);
	free(b);

	/* The home node: empty path, empty value. */
	assert_int_equal(ncmig_xs_node_encode("", NULL, 0, perms3, 1, &b,
					      &len), 0);
	assert_int_equal(ncmig_xs_node_decode(b, len, &n, &why), 0);
	assert_int_equal(n.path_len, 0);
	assert_int_equal(n.value_len, 0);
	free(b);
}

static void test_node_encoder_refuses(void **st)
{
	struct ncmig_xs_perm bad = { 'x', 0 };
	unsigned char *b = NULL;
	size_t len;

	(void)st;
	assert_int_equal(ncmig_xs_node_encode("/abs", "", 0, perms3, 1, &b,
					      &len), -EINVAL);
	assert_int_equal(ncmig_xs_node_encode("a//b", "", 0, perms3, 1, &b,
					      &len), -EINVAL);
	assert_int_equal(ncmig_xs_node_encode("a", "", 0, perms3, 0, &b,
					      &len), -EINVAL);
	assert_int_equal(ncmig_xs_node_encode("a", "", 0, &bad, 1, &b, &len),
			 -EINVAL);
	assert_int_equal(ncmig_xs_node_encode("a", "", 0x10000, perms3, 1, &b,
					      &len), -EINVAL);
	assert_null(b);
}

struct node_case {
	const char *name;
	void (*edit)(unsigned char *b, size_t *len);
	const char *why;
};

/* Base: path "ab/c" (5 with NUL), value "v" (1), perms n5 r0. */
static size_t base(unsigned char *b)
{
	unsigned char *e;
	size_t len;

	assert_int_equal(ncmig_xs_node_encode("ab/c", "v", 1, perms3, 2, &e,
					      &len), 0);
	memcpy(b, e, len);
	free(e);
	return len;
}

#define PATH_OFF (16 + 8)
static void n_short(unsigned char *b, size_t *len) { (void)b; *len = 15; }
static void n_conn(unsigned char *b, size_t *len) { (void)len; b[0] = 1; }
static void n_tx(unsigned char *b, size_t *len) { (void)len; b[4] = 1; }
static void n_access(unsigned char *b, size_t *len) { (void)len; b[12] = 1; }
static void n_noperm(unsigned char *b, size_t *len)
{
	(void)len;
	le16_st(b + 14, 0);
}

static void n_manyperm(unsigned char *b, size_t *len)
{
	(void)len;
	le16_st(b + 14, NCMIG_XS_PERMS_MAX + 1);
}

static void n_len(unsigned char *b, size_t *len) { (void)b; (*len)--; }
static void n_longer(unsigned char *b, size_t *len)
{
	b[*len] = 0;
	(*len)++;
}

static void n_permchar(unsigned char *b, size_t *len)
{
	(void)len;
	b[16] = 'x';
}

static void n_permflags(unsigned char *b, size_t *len)
{
	(void)len;
	b[17] = 1;
}

static void n_nonul(unsigned char *b, size_t *len)
{
	(void)len;
	b[PATH_OFF + 4] = 'd';
}

static void n_inner_nul(unsigned char *b, size_t *len)
{
	(void)len;
	b[PATH_OFF + 1] = 0;
}

static void n_abs(unsigned char *b, size_t *len)
{
	(void)len;
	b[PATH_OFF] = '/';
}

static void n_dslash(unsigned char *b, size_t *len)
{
	(void)len;
	b[PATH_OFF + 3] = '/';	/* "ab//" */
}

static void n_trail(unsigned char *b, size_t *len)
{
	(void)len;
	b[PATH_OFF + 3] = '/';
	b[PATH_OFF + 2] = 'x';	/* "abx/" */
}

static void n_char(unsigned char *b, size_t *len)
{
	(void)len;
	b[PATH_OFF + 1] = ' ';
}

static void n_pathlen0(unsigned char *b, size_t *len)
{
	/* path-len 0 (no NUL at all), value takes its octets */
	le16_st(b + 8, 0);
	le16_st(b + 10, 6);
	(void)len;
}

static const struct node_case node_cases[] = {
	{ "short", n_short, "shorter than its fixed part" },
	{ "conn-id", n_conn, "transaction" },
	{ "tx-id", n_tx, "transaction" },
	{ "access", n_access, "access not zero" },
	{ "no owner", n_noperm, "without an owner" },
	{ "too many perms", n_manyperm, "too many permissions" },
	{ "length short", n_len, "length does not match" },
	{ "length long", n_longer, "length does not match" },
	{ "perm char", n_permchar, "not r/w/b/n" },
	{ "perm flags", n_permflags, "flags not zero" },
	{ "path without NUL", n_nonul, "NUL-terminated" },
	{ "path inner NUL", n_inner_nul, "NUL-terminated" },
	{ "path-len 0", n_pathlen0, "NUL-terminated" },
	{ "absolute path", n_abs, "relative path" },
	{ "double slash", n_dslash, "relative path" },
	{ "trailing slash", n_trail, "relative path" },
	{ "bad character", n_char, "relative path" },
};

static void run_node_case(void **st)
{
	const struct node_case *c = *st;
	unsigned char b[256];
	struct ncmig_xs_node n;
	const char *why = NULL;
	size_t len = base(b);

	assert_int_equal(ncmig_xs_node_decode(b, len, &n, &why), 0);
	c->edit(b, &len);
	assert_int_equal(ncmig_xs_node_decode(b, len, &n, &why), -EINVAL);
	if (!why || !strstr(why, c->why))
		fail_msg("%s: \"%s\", want \"%s\"", c->name, why, c->why);
}

static void test_watch_roundtrip(void **st)
{
	struct ncmig_xs_watch w;
	const char *why = NULL;
	unsigned char *b;
	size_t len;

	(void)st;
	assert_int_equal(ncmig_xs_watch_encode("@releaseDomain", "tok en", &b,
					       &len), 0);
	assert_int_equal(len, 8 + 15 + 7);
	assert_int_equal(le32_ld(b), 0);
	assert_int_equal(le16_ld(b + 4), 15);
	assert_int_equal(le16_ld(b + 6), 7);
	assert_int_equal(ncmig_xs_watch_decode(b, len, &w, &why), 0);
	assert_string_equal(w.path, "@releaseDomain");
	assert_string_equal(w.token, "tok en");
	free(b);
	assert_int_equal(ncmig_xs_watch_encode("/", "", &b, &len), 0);
	assert_int_equal(ncmig_xs_watch_decode(b, len, &w, &why), 0);
	free(b);
	assert_int_equal(ncmig_xs_watch_encode("device/vif", "t", &b, &len), 0);
	assert_int_equal(ncmig_xs_watch_decode(b, len, &w, &why), 0);
	free(b);
	assert_int_equal(ncmig_xs_watch_encode("", "t", &b, &len), -EINVAL);
	assert_int_equal(ncmig_xs_watch_encode("a//b", "t", &b, &len), -EINVAL);
	assert_int_equal(ncmig_xs_watch_encode("@a/b", "t", &b, &len), -EINVAL);
}

static void test_watch_rejects(void **st)
{
	struct ncmig_xs_watch w;
	const char *why = NULL;
	unsigned char b[64], *e;
	size_t len;

	(void)st;
	assert_int_equal(ncmig_xs_watch_encode("/a/b", "tk", &e, &len), 0);
	memcpy(b, e, len);
	free(e);
	assert_int_equal(ncmig_xs_watch_decode(b, 7, &w, &why), -EINVAL);
	assert_non_null(strstr(why, "fixed part"));
	b[0] = 1;
	assert_int_equal(ncmig_xs_watch_decode(b, len, &w, &why), -EINVAL);
	assert_non_null(strstr(why, "conn-id"));
	b[0] = 0;
	assert_int_equal(ncmig_xs_watch_decode(b, len - 1, &w, &why), -EINVAL);
	assert_non_null(strstr(why, "length does not match"));
	b[8 + 4] = 'x';		/* wpath loses its NUL */
	assert_int_equal(ncmig_xs_watch_decode(b, len, &w, &why), -EINVAL);
	assert_non_null(strstr(why, "path"));
	b[8 + 4] = 0;
	b[len - 1] = 'x';	/* token loses its NUL */
	assert_int_equal(ncmig_xs_watch_decode(b, len, &w, &why), -EINVAL);
	assert_non_null(strstr(why, "token"));
	b[len - 1] = 0;
	b[8 + 3] = '/';		/* "/a//" */
	assert_int_equal(ncmig_xs_watch_decode(b, len, &w, &why), -EINVAL);
	assert_non_null(strstr(why, "path"));
	b[8 + 3] = 'b';
	assert_int_equal(ncmig_xs_watch_decode(b, len, &w, &why), 0);
	le16_st(b + 4, 0);	/* wpath-len 0 */
	le16_st(b + 6, 8);
	assert_int_equal(ncmig_xs_watch_decode(b, len, &w, &why), -EINVAL);
}

static void test_path_rules(void **st)
{
	(void)st;
	assert_true(ncmig_xs_relpath_valid("", 0));
	assert_true(ncmig_xs_relpath_valid("a-b_c@d/E9", 10));
	assert_false(ncmig_xs_relpath_valid("a/", 2));
	assert_false(ncmig_xs_relpath_valid("a.b", 3));
	assert_true(ncmig_xs_wpath_valid("/", 1));
	assert_true(ncmig_xs_wpath_valid("/local/domain/5", 15));
	assert_false(ncmig_xs_wpath_valid("/local/", 7));
	assert_false(ncmig_xs_wpath_valid("@", 1));
}

/* Build a NODE_DATA body by hand (no encoder checks). */
static size_t raw_node(unsigned char *b, size_t plen, size_t vlen,
		       unsigned int nperms, uint16_t pdomid)
{
	size_t off = 16, i;

	memset(b, 0, 16);
	le16_st(b + 8, (uint16_t)(plen + 1));
	le16_st(b + 10, (uint16_t)vlen);
	le16_st(b + 14, (uint16_t)nperms);
	for (i = 0; i < nperms; i++, off += 4) {
		b[off] = i ? 'r' : 'n';
		b[off + 1] = 0;
		le16_st(b + off + 2, pdomid);
	}
	memset(b + off, 'a', plen);
	b[off + plen] = 0;
	off += plen + 1;
	memset(b + off, 'v', vlen);
	return off + vlen;
}

/*
 * What xenstored can never take is refused by the decoder, not found
 * out half-way through a restore: a value over XENSTORE_PAYLOAD_MAX
 * (4096), a permission list that does not fit one SET_PERMS payload, a
 * path that is over XENSTORE_ABS_PATH_MAX (3072) under any home
 * ("/local/domain/32751/" is 20 octets).
 */
static void test_xenstored_limits(void **st)
{
	static unsigned char b[16 + 4 * 1024 + 8192];
	struct ncmig_xs_node n;
	const char *why = NULL;
	size_t len;

	(void)st;
	len = raw_node(b, 10, 4096, 1, 0);
	assert_int_equal(ncmig_xs_node_decode(b, len, &n, &why), 0);
	len = raw_node(b, 10, 4097, 1, 0);
	assert_int_equal(ncmig_xs_node_decode(b, len, &n, &why), -EINVAL);
	assert_non_null(strstr(why, "value over"));
	/* SET_PERMS: path, NUL, then "r12345" NUL per entry <= 4096 */
	len = raw_node(b, 10, 0, 500, 12345);
	assert_int_equal(ncmig_xs_node_decode(b, len, &n, &why), 0);
	len = raw_node(b, 10, 0, 700, 12345);
	assert_int_equal(ncmig_xs_node_decode(b, len, &n, &why), -EINVAL);
	assert_non_null(strstr(why, "SET_PERMS"));
	len = raw_node(b, 3052, 0, 1, 0);
	assert_int_equal(ncmig_xs_node_decode(b, len, &n, &why), 0);
	len = raw_node(b, 3053, 0, 1, 0);
	assert_int_equal(ncmig_xs_node_decode(b, len, &n, &why), -EINVAL);
	assert_non_null(strstr(why, "relative path"));
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_node_roundtrip),
		cmocka_unit_test(test_node_encoder_refuses),
		cmocka_unit_test(test_watch_roundtrip),
		cmocka_unit_test(test_watch_rejects),
		cmocka_unit_test(test_path_rules),
		cmocka_unit_test(test_xenstored_limits),
	};
	size_t nf = sizeof(fixed) / sizeof(fixed[0]);
	size_t nr = sizeof(node_cases) / sizeof(node_cases[0]), i;
	struct CMUnitTest *t = calloc(nf + nr, sizeof(*t));
	int rc;

	memcpy(t, fixed, sizeof(fixed));
	for (i = 0; i < nr; i++) {
		t[nf + i].name = node_cases[i].name;
		t[nf + i].test_func = run_node_case;
		t[nf + i].initial_state = (void *)&node_cases[i];
	}
	rc = _cmocka_run_group_tests("NODE_DATA/WATCH_DATA", t, nf + nr, NULL,
				     NULL);
	free(t);
	return rc;
}
