// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The splice filter on a synthetic xl migration stream: send inserts our
 * record before libxl's END, recv removes it, and what comes out of recv
 * is octet for octet what xl wrote.  Plus what the filter refuses.
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
#include "splice_args.h"
#include "ncmig.h"

static unsigned char xs[4096];	/* the synthetic xl stream */
static size_t xs_len;
static size_t libxl_end_off;	/* where libxl's END header starts */
static size_t libxc_off;	/* first libxc record header */
static size_t libxl_hdr_off;	/* the libxl stream header */

static void put(const void *p, size_t n)
{
	if (n)
		memcpy(xs + xs_len, p, n);
	xs_len += n;
}

static void put_be32(uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };

	put(b, 4);
}

static void put_le32(uint32_t v)
{
	unsigned char b[4];

	le32_st(b, v);
	put(b, 4);
}

static void put_rec(uint32_t type, const void *body, uint32_t len)
{
	static const unsigned char zero[8];

	put_le32(type);
	put_le32(len);
	put(body, len);
	put(zero, (8 - len % 8) % 8);
}

static void build(void)
{
	static const char cfg[] = "{\"c_info\": {\"type\": \"pv\", \"name\": "
		"\"spl\", \"uuid\": \"01234567-89ab-cdef-0123-456789abcdef\"}}";
	unsigned char ihdr[24] = { 0 }, dhdr[16] = { 0 };

	xs_len = 0;
	put("Xen saved domain, xl format\n \0 \r", 32);
	put_le32(0x01020304);
	put_le32(3);			/* JSON | STREAMv2 */
	put_le32(0);
	put_le32(4 + sizeof(cfg));
	put_le32(sizeof(cfg));
	put(cfg, sizeof(cfg));
	libxl_hdr_off = xs_len;
	put("LibxlFmt", 8);
	put_be32(2);
	put_be32(0);
	put_rec(1, NULL, 0);		/* LIBXC_CONTEXT */
	memset(ihdr, 0xff, 8);
	memcpy(ihdr + 8, "XENF", 4);
	ihdr[15] = 3;
	put(ihdr, 24);
	dhdr[0] = 1;
	dhdr[4] = 12;
	put(dhdr, 16);
	libxc_off = xs_len;
	put_rec(5, "PAGE_DATA-ish", 13);
	put_rec(0x0a, "params", 6);
	put_rec(0, NULL, 0);		/* libxc END */
	put_rec(2, "\0\0\0\0\0\0\0\0k\0v\0", 12);	/* EMULATOR_XENSTORE_DATA */
	libxl_end_off = xs_len;
	put_rec(0, NULL, 0);		/* libxl END */
	put("domain is yours, you are cleared to unpause", 44);
}

static int to_fd(const void *p, size_t n)
{
	FILE *f = tmpfile();
	int fd;

	assert_non_null(f);
	fd = dup(fileno(f));
	fclose(f);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static size_t from_fd(int fd, unsigned char *buf, size_t cap)
{
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, cap);
	assert_true(n >= 0);
	return (size_t)n;
}

static unsigned char payload[64];
static size_t payload_len;
static unsigned char got[256];
static size_t got_len;
static int at_end_calls;

static int at_end(void *arg, unsigned char **buf, size_t *len)
{
	(void)arg;
	at_end_calls++;
	*buf = malloc(payload_len);
	memcpy(*buf, payload, payload_len);
	*len = payload_len;
	return 0;
}

static int found(void *arg, const unsigned char *buf, size_t len)
{
	(void)arg;
	assert_true(len <= sizeof(got));
	memcpy(got, buf, len);
	got_len = len;
	return 0;
}

/* Run the filter over @in; returns rc, output in @out. */
static int run(const unsigned char *in, size_t len,
	       const struct ncmig_splice_hooks *h, unsigned char *out,
	       size_t *out_len, struct ncmig_splice_stats *st, char *msg)
{
	int ifd = to_fd(in, len), ofd = to_fd("", 0), rc;

	rc = ncmig_splice_filter(ifd, ofd, h, st, msg, 300);
	*out_len = from_fd(ofd, out, 8192);
	close(ifd);
	close(ofd);
	return rc;
}

static void test_send_recv_roundtrip(void **s)
{
	struct ncmig_splice_hooks send = { .at_end = at_end };
	struct ncmig_splice_hooks recv = { .found = found };
	static unsigned char mid[8192], out[8192];
	struct ncmig_splice_stats st;
	size_t mid_len, out_len;
	char msg[300];

	(void)s;
	build();
	memcpy(payload, "NCMIGSTM-pretend-stream-13", 26);
	payload_len = 26;
	at_end_calls = 0;
	assert_int_equal(run(xs, xs_len, &send, mid, &mid_len, &st, msg), 0);
	assert_int_equal(at_end_calls, 1);
	assert_int_equal(st.inserted, 1);
	assert_int_equal(st.libxl_records, 3);
	assert_int_equal(st.libxc_records, 3);
	assert_int_equal(st.in_octets, xs_len);
	/* Inserted right before libxl's END: header, 26 octets, padding. */
	assert_int_equal(mid_len, xs_len + 8 + 32);
	assert_memory_equal(mid, xs, libxl_end_off);
	assert_int_equal(le32_ld(mid + libxl_end_off), NCMIG_SPLICE_REC_TYPE);
	assert_int_equal(le32_ld(mid + libxl_end_off + 4), 26);
	assert_memory_equal(mid + libxl_end_off + 8, payload, 26);
	assert_memory_equal(mid + libxl_end_off + 40, xs + libxl_end_off,
			    xs_len - libxl_end_off);

	got_len = 0;
	assert_int_equal(run(mid, mid_len, &recv, out, &out_len, &st, msg), 0);
	assert_int_equal(st.removed, 1);
	assert_int_equal(got_len, payload_len);
	assert_memory_equal(got, payload, payload_len);
	/* What reaches xl migrate-receive is exactly what xl sent. */
	assert_int_equal(out_len, xs_len);
	assert_memory_equal(out, xs, xs_len);
}

static void test_recv_without_record_passes_through(void **s)
{
	struct ncmig_splice_hooks recv = { .found = found };
	static unsigned char out[8192];
	struct ncmig_splice_stats st;
	size_t out_len;
	char msg[300];

	(void)s;
	build();
	assert_int_equal(run(xs, xs_len, &recv, out, &out_len, &st, msg), 0);
	assert_int_equal(st.removed, 0);
	assert_int_equal(out_len, xs_len);
	assert_memory_equal(out, xs, xs_len);
}

static void test_send_refuses_second_record(void **s)
{
	struct ncmig_splice_hooks send = { .at_end = at_end };
	static unsigned char mid[8192], again[8192];
	struct ncmig_splice_stats st;
	size_t mid_len, len;
	char msg[300];

	(void)s;
	build();
	payload_len = 8;
	assert_int_equal(run(xs, xs_len, &send, mid, &mid_len, &st, msg), 0);
	assert_int_equal(run(mid, mid_len, &send, again, &len, &st, msg),
			 -EEXIST);
	assert_non_null(strstr(msg, "already carries"));
}

static char cfg_uuid[40];
static int cfg_calls;

static int config(void *arg, const unsigned char *buf, size_t len)
{
	(void)arg;
	cfg_calls++;
	return ncmig_splice_config_uuid(buf, len, cfg_uuid);
}

/*
 * send checks --domid against the domain xl migrates: the filter hands
 * it xl's optional data (the domain's config as JSON), whose c_info
 * names the domain's UUID; and passes the data on untouched.
 */
static void test_config_seen(void **s)
{
	struct ncmig_splice_hooks send = { .at_end = at_end, .config = config };
	static unsigned char mid[8192];
	struct ncmig_splice_stats st;
	size_t mid_len;
	char msg[300];
	char u[37];

	(void)s;
	build();
	payload_len = 8;
	cfg_calls = 0;
	cfg_uuid[0] = 0;
	assert_int_equal(run(xs, xs_len, &send, mid, &mid_len, &st, msg), 0);
	assert_int_equal(cfg_calls, 1);
	assert_string_equal(cfg_uuid, "01234567-89ab-cdef-0123-456789abcdef");
	assert_memory_equal(mid, xs, libxl_end_off);
	/* No uuid, or a broken length: said so. */
	assert_int_equal(ncmig_splice_config_uuid((const unsigned char *)
			 "\x0d\0\0\0{\"c_info\":{}}", 17, u), -ENOENT);
	assert_int_equal(ncmig_splice_config_uuid((const unsigned char *)
			 "\xff\0\0\0{}", 6, u), -EINVAL);
}

/*
 * The receiver's command: --ssh is a command split into words, and
 * through ssh every word of the remote command is quoted for the shell.
 */
static void test_recv_argv(void **s)
{
	const char *opts[] = { "--keep=/var/lib/a b;touch /tmp/pwned",
			       "--keep=it's" };
	char *cmd[] = { "xl", "migrate-receive", "-e" };
	char **a;

	(void)s;
	a = ncmigd_splice_recv_argv("ssh -p 2222", "dst", false, opts, 2, cmd, 3);
	assert_non_null(a);
	assert_string_equal(a[0], "ssh");
	assert_string_equal(a[1], "-p");
	assert_string_equal(a[2], "2222");
	assert_string_equal(a[3], "dst");
	assert_string_equal(a[4], "'ncmigd' 'splice' 'recv' "
			    "'--keep=/var/lib/a b;touch /tmp/pwned' "
			    "'--keep=it'\\''s' '--' 'xl' 'migrate-receive' '-e'");
	assert_null(a[5]);
	ncmigd_splice_argv_free(a);
	/* Local: exec'd directly, nothing to quote. */
	a = ncmigd_splice_recv_argv("ssh", "localhost", true, opts, 1, cmd, 2);
	assert_string_equal(a[0], "/proc/self/exe");
	assert_string_equal(a[3], opts[0]);
	assert_string_equal(a[4], "--");
	assert_string_equal(a[6], "migrate-receive");
	assert_null(a[7]);
	ncmigd_splice_argv_free(a);
}

struct bad {
	const char *name;
	void (*edit)(void);
	int rc;
	const char *want;
};

static void b_magic(void) { xs[0] = 'x'; }
static void b_v1(void) { le32_st(xs + 36, 1); }
static void b_flags(void) { le32_st(xs + 36, 7); }
static void b_order(void) { le32_st(xs + 32, 0x04030201); }
static void b_libxl_ident(void) { xs[libxl_hdr_off] = 'X'; }
static void b_libxl_be(void) { xs[libxl_hdr_off + 15] = 1; }
static void b_libxc_id(void) { xs[libxc_off - 16 - 24 + 8] = 'Y'; }
static void b_libxc_ver(void) { xs[libxc_off - 16 - 24 + 15] = 4; }
static void b_checkpoint(void) { le32_st(xs + libxc_off, 0x0e); }
static void b_libxl_checkpoint(void) { le32_st(xs + libxl_end_off, 4); }
static void b_end_body(void) { le32_st(xs + libxl_end_off + 4, 8); }
static void b_truncated(void) { xs_len = libxc_off + 12; }
static void b_no_end(void) { xs_len = libxl_end_off; }

static const struct bad bads[] = {
	{ "not xl", b_magic, -EPROTO, "not an xl migration stream" },
	{ "legacy v1", b_v1, -EPROTO, "need a v2 stream" },
	{ "unknown mandatory flag", b_flags, -EPROTO, "mandatory flags 0x7" },
	{ "byte order", b_order, -EPROTO, "byte order" },
	{ "libxl ident", b_libxl_ident, -EPROTO, "not a libxl v2 stream" },
	{ "libxl big-endian", b_libxl_be, -EPROTO, "options 0x1" },
	{ "libxc id", b_libxc_id, -EPROTO, "not a libxc" },
	{ "libxc version", b_libxc_ver, -EPROTO, "not a libxc" },
	{ "libxc checkpoint", b_checkpoint, -EPROTO, "checkpointed" },
	{ "libxl checkpoint", b_libxl_checkpoint, -EPROTO, "checkpointed" },
	{ "END with body", b_end_body, -EPROTO, "END with a body" },
	{ "truncated record", b_truncated, -EPIPE, "stream ends inside a libxc record" },
	{ "no libxl END", b_no_end, -EPIPE, "stream ends inside a libxl record header" },
};

static void run_bad(void **s)
{
	const struct bad *b = *s;
	struct ncmig_splice_hooks send = { .at_end = at_end };
	static unsigned char out[8192];
	struct ncmig_splice_stats st;
	size_t out_len;
	char msg[300];
	int rc;

	build();
	b->edit();
	payload_len = 8;
	at_end_calls = 0;
	rc = run(xs, xs_len, &send, out, &out_len, &st, msg);
	if (rc != b->rc || !strstr(msg, b->want))
		fail_msg("%s: rc %d \"%s\", want %d \"%s\"", b->name, rc, msg,
			 b->rc, b->want);
	assert_non_null(strstr(msg, "input offset"));
	/* Nothing of ours went out before the failure. */
	assert_int_equal(st.inserted, 0);
}

static void test_recv_record_rules(void **s)
{
	struct ncmig_splice_hooks send = { .at_end = at_end };
	struct ncmig_splice_hooks recv = { .found = found };
	static unsigned char mid[8192], out[8192];
	struct ncmig_splice_stats st;
	size_t mid_len, out_len;
	char msg[300];

	(void)s;
	build();
	memcpy(payload, "12345", 5);
	payload_len = 5;
	assert_int_equal(run(xs, xs_len, &send, mid, &mid_len, &st, msg), 0);
	/* Nonzero padding after the body. */
	mid[libxl_end_off + 8 + 6] = 1;
	assert_int_equal(run(mid, mid_len, &recv, out, &out_len, &st, msg),
			 -EINVAL);
	assert_non_null(strstr(msg, "padding"));
	mid[libxl_end_off + 8 + 6] = 0;
	/* Over the stream limit: refused before any allocation. */
	le32_st(mid + libxl_end_off + 4, NCMIG_STREAM_MAX + 1);
	assert_int_equal(run(mid, mid_len, &recv, out, &out_len, &st, msg),
			 -E2BIG);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_send_recv_roundtrip),
		cmocka_unit_test(test_recv_without_record_passes_through),
		cmocka_unit_test(test_send_refuses_second_record),
		cmocka_unit_test(test_config_seen),
		cmocka_unit_test(test_recv_argv),
		cmocka_unit_test(test_recv_record_rules),
	};
	size_t nf = sizeof(fixed) / sizeof(fixed[0]);
	size_t nb = sizeof(bads) / sizeof(bads[0]), i;
	struct CMUnitTest *t = calloc(nf + nb, sizeof(*t));
	int rc;

	memcpy(t, fixed, sizeof(fixed));
	for (i = 0; i < nb; i++) {
		t[nf + i].name = bads[i].name;
		t[nf + i].test_func = run_bad;
		t[nf + i].initial_state = (void *)&bads[i];
	}
	rc = _cmocka_run_group_tests("splice filter", t, nf + nb, NULL, NULL);
	free(t);
	return rc;
}
