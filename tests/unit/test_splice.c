// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The splice filter on a synthetic xl migration stream: send inserts our
 * optional libxc record before libxc's END, recv removes it, and what
 * comes out of recv is octet for octet what xl wrote; a reader that
 * follows libxc's rules (skip bit-31 records) sees xl's stream.  Plus
 * what the filter refuses: every octet of our record damaged, the
 * envelope's rules one by one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "le.h"
#include "ncmig_snap.h"
#include "splice_args.h"
#include "ncmig.h"

static unsigned char xs[4096];	/* the synthetic xl stream */
static size_t xs_len;
static size_t libxl_end_off;	/* where libxl's END header starts */
static size_t libxc_off;	/* first libxc record header */
static size_t libxl_hdr_off;	/* the libxl stream header */
static size_t libxc_end_off;	/* where libxc's END header starts */

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
	libxc_end_off = xs_len;
	put_rec(0, NULL, 0);		/* libxc END */
	put_rec(2, "\0\0\0\0\0\0\0\0k\0v\0", 12);	/* EMULATOR_XENSTORE_DATA */
	libxl_end_off = xs_len;
	put_rec(0, NULL, 0);		/* libxl END */
	put("domain is yours, you are cleared to unpause", 44);
}

#define REC 8	/* a libxc or libxl record header */

/* The envelope's CRC-32C as doc/stream-format.md defines it. */
static uint32_t envelope_crc(const unsigned char *env)
{
	unsigned char h[24];
	uint32_t crc;

	memcpy(h, env, 24);
	le32_st(h + 20, 0);
	crc = ncmig_crc32c(0, h, 24);
	return ncmig_crc32c(crc, env + 24, le32_ld(env + 12));
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
	assert_int_equal(st.stream_octets, 26);
	assert_true(st.added_us >= st.capture_us);
	/* Into a file: no receiver to wait for, all of it counted. */
	assert_int_equal(st.added_us, st.raw_added_us);
	assert_int_equal(st.backlog_octets, 0);
	/*
	 * Inserted right before libxc's END: the record header, the
	 * 24-octet envelope, 26 octets, 6 of padding.
	 */
	assert_int_equal(mid_len, xs_len + REC + 56);
	assert_memory_equal(mid, xs, libxc_end_off);
	assert_int_equal(le32_ld(mid + libxc_end_off), NCMIG_SPLICE_REC_TYPE);
	assert_int_equal(le32_ld(mid + libxc_end_off + 4), 24 + 26);
	assert_memory_equal(mid + libxc_end_off + 8, "NCMIGOPT\1\0\0\0", 12);
	assert_int_equal(le32_ld(mid + libxc_end_off + 20), 26);
	assert_int_equal(le32_ld(mid + libxc_end_off + 28),
			 envelope_crc(mid + libxc_end_off + 8));
	assert_memory_equal(mid + libxc_end_off + 32, payload, 26);
	assert_memory_equal(mid + libxc_end_off + 58, "\0\0\0\0\0\0", 6);
	assert_memory_equal(mid + libxc_end_off + 64, xs + libxc_end_off,
			    xs_len - libxc_end_off);

	got_len = 0;
	assert_int_equal(run(mid, mid_len, &recv, out, &out_len, &st, msg), 0);
	assert_int_equal(st.removed, 1);
	assert_int_equal(got_len, payload_len);
	assert_memory_equal(got, payload, payload_len);
	/* What reaches xl migrate-receive is exactly what xl sent. */
	assert_int_equal(out_len, xs_len);
	assert_memory_equal(out, xs, xs_len);
}

/*
 * HVM_PARAMS, which libxc writes only with the domain suspended, raises
 * the window's real-time stretch ahead of END (when this process may go
 * real-time at all); the thread is back to its policy when the filter
 * returns, also from a stream cut after the raise.
 */
static void test_send_raises_before_end(void **s)
{
	struct ncmig_splice_hooks send = { .at_end = at_end };
	static unsigned char mid[8192];
	struct ncmig_splice_stats st;
	int policy = sched_getscheduler(0);
	size_t mid_len;
	char msg[300];

	(void)s;
	build();
	payload_len = 26;
	assert_int_equal(run(xs, xs_len, &send, mid, &mid_len, &st, msg), 0);
	if (!st.not_urgent)
		assert_int_equal(st.raised_early, 1);
	else
		assert_int_equal(st.raised_early, 0);
	assert_int_equal(sched_getscheduler(0), policy);

	xs_len = libxc_end_off + 4;	/* cut inside END's header */
	assert_int_not_equal(run(xs, xs_len, &send, mid, &mid_len, &st, msg), 0);
	assert_int_equal(sched_getscheduler(0), policy);
}

static int ticks, ticks_at_end;

static void tick(void *arg)
{
	(void)arg;
	ticks++;
}

static int at_end_ticks(void *arg, unsigned char **buf, size_t *len)
{
	ticks_at_end = ticks;
	return at_end(arg, buf, len);
}

/*
 * send's tick: after each libxc record before END (the capture taken
 * ahead is kept current there), none once END has arrived.
 */
static void test_send_ticks_before_end(void **s)
{
	struct ncmig_splice_hooks send = { .at_end = at_end_ticks,
					   .tick = tick };
	static unsigned char mid[8192];
	struct ncmig_splice_stats st;
	size_t mid_len;
	char msg[300];

	(void)s;
	build();
	memcpy(payload, "NCMIGSTM", 8);
	payload_len = 8;
	ticks = ticks_at_end = 0;
	assert_int_equal(run(xs, xs_len, &send, mid, &mid_len, &st, msg), 0);
	assert_int_equal(st.inserted, 1);
	assert_int_equal(ticks_at_end, 2);	/* PAGE_DATA-ish, params */
	assert_int_equal(ticks, 2);
}

static int ev_pipe[2] = { -1, -1 };

static int tick_fd(void *arg)
{
	(void)arg;
	return ev_pipe[0];
}

static struct timespec drained_at;

/* Like xs_check_watch: taking the last event empties the pipe. */
static void tick_drain(void *arg)
{
	char c;

	(void)arg;
	if (read(ev_pipe[0], &c, 1) == 1) {
		ticks++;
		clock_gettime(CLOCK_MONOTONIC, &drained_at);
	}
}

/*
 * While no record comes (libxl suspending the guest), send ticks on
 * tick_fd's events instead of only after the next record.
 */
static void test_send_ticks_while_waiting(void **s)
{
	struct ncmig_splice_hooks send = { .at_end = at_end, .tick = tick_drain,
					   .tick_fd = tick_fd };
	static unsigned char mid[8192];
	struct ncmig_splice_stats st;
	int in[2], ofd = to_fd("", 0);
	struct timespec t0;
	char msg[300];
	pid_t pid;

	(void)s;
	build();
	payload_len = 8;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pipe(in), 0);
	/* Non-blocking, as xs_check_watch is (per-record ticks too). */
	assert_int_equal(pipe2(ev_pipe, O_NONBLOCK), 0);
	assert_int_equal(write(ev_pipe[1], "e", 1), 1);	/* one pending */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(in[0]);
		usleep(100 * 1000);
		_exit(write(in[1], xs, xs_len) == (ssize_t)xs_len ? 0 : 1);
	}
	close(in[1]);
	ticks = 0;
	assert_int_equal(ncmig_splice_filter(in[0], ofd, &send, &st, msg,
					     sizeof(msg)), 0);
	assert_int_equal(st.inserted, 1);
	assert_int_equal(from_fd(ofd, mid, sizeof(mid)), xs_len + REC + 32);
	assert_int_equal(ticks, 1);
	/* Before the stream's first octet (written 100 ms in), not after. */
	assert_true((drained_at.tv_sec - t0.tv_sec) * 1000 +
		    (drained_at.tv_nsec - t0.tv_nsec) / 1000000 < 80);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	close(in[0]);
	close(ofd);
	close(ev_pipe[0]);
	close(ev_pipe[1]);
}

/*
 * A slow receiver: 32 KiB that libxc sent before END still in the pipe
 * when END comes, taken 100 ms later.  send waits for them before its
 * record and does not count that time as its own; it reports it apart.
 */
static void test_send_backlog_not_counted(void **s)
{
	struct ncmig_splice_hooks send = { .at_end = at_end };
	static unsigned char junk[32 * 1024];
	struct ncmig_splice_stats st;
	int ifd, out[2], status;
	size_t want;
	char msg[300];
	pid_t pid;

	(void)s;
	build();
	payload_len = 8;
	want = sizeof(junk) + xs_len + REC + 32;
	ifd = to_fd(xs, xs_len);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(write(out[1], junk, sizeof(junk)), (ssize_t)sizeof(junk));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		size_t got_n = 0;
		ssize_t n;

		close(out[1]);
		usleep(100 * 1000);
		while ((n = read(out[0], junk, sizeof(junk))) > 0)
			got_n += (size_t)n;
		_exit(got_n == want ? 0 : 1);
	}
	close(out[0]);
	assert_int_equal(ncmig_splice_filter(ifd, out[1], &send, &st, msg,
					     sizeof(msg)), 0);
	close(out[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(st.inserted, 1);
	assert_true(st.backlog_octets >= sizeof(junk));
	assert_true(st.backlog_us >= 50 * 1000);
	assert_true(st.raw_added_us >= st.backlog_us);
	assert_true(st.added_us < st.raw_added_us);
	assert_true(st.added_us < 50 * 1000);
	close(ifd);
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
	assert_memory_equal(mid, xs, libxc_end_off);
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
	a = ncmigd_splice_recv_argv("ssh -p 2222", "dst", false, false, opts, 2, cmd, 3);
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
	a = ncmigd_splice_recv_argv("ssh", "localhost", true, false, opts, 1, cmd, 2);
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
	bool after_libxc;	/* fails after our record went out */
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
static void b_libxc_end_body(void) { le32_st(xs + libxc_end_off + 4, 8); }
static void b_libxc_huge(void) { le32_st(xs + libxc_off + 4, (128U << 20) + 1); }
static void b_two_contexts(void)
{
	/* A second LIBXC_CONTEXT where libxl's END was. */
	le32_st(xs + libxl_end_off, 1);
}
static void b_truncated(void) { xs_len = libxc_off + 12; }
static void b_no_end(void) { xs_len = libxl_end_off; }

static const struct bad bads[] = {
	{ "not xl", b_magic, -EPROTO, "not an xl migration stream", false },
	{ "legacy v1", b_v1, -EPROTO, "need a v2 stream", false },
	{ "unknown mandatory flag", b_flags, -EPROTO, "mandatory flags 0x7", false },
	{ "byte order", b_order, -EPROTO, "byte order", false },
	{ "libxl ident", b_libxl_ident, -EPROTO, "not a libxl v2 stream", false },
	{ "libxl big-endian", b_libxl_be, -EPROTO, "options 0x1", false },
	{ "libxc id", b_libxc_id, -EPROTO, "not a libxc", false },
	{ "libxc version", b_libxc_ver, -EPROTO, "not a libxc", false },
	{ "CHECKPOINT with a body", b_checkpoint, -EPROTO, "CHECKPOINT with a body", false },
	{ "CHECKPOINT_END outside one", b_libxl_checkpoint, -EPROTO, "CHECKPOINT_END outside a checkpoint", true },
	{ "END with body", b_end_body, -EPROTO, "libxl END with a body", true },
	{ "libxc END with body", b_libxc_end_body, -EPROTO, "libxc END with a body", false },
	{ "libxc record over 128 MiB", b_libxc_huge, -EPROTO, "over libxc's", false },
	{ "second LIBXC_CONTEXT", b_two_contexts, -EPROTO, "second LIBXC_CONTEXT", true },
	{ "truncated record", b_truncated, -EPIPE, "stream ends inside a libxc record", false },
	{ "no libxl END", b_no_end, -EPIPE, "stream ends inside a libxl record header", true },
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
	/* Nothing of ours went out before a failure inside libxc's part. */
	assert_int_equal(st.inserted, b->after_libxc ? 1 : 0);
}

/* A real ncmig stream (header, DOMAIN, END) as the payload. */
static void real_payload(void)
{
	struct ncmig_writer w;

	ncmig_writer_init_mem(&w);
	assert_int_equal(ncmig_write_header(&w), 0);
	assert_int_equal(ncmig_write_domain(&w, 5, NCMIG_DOM_F_XS_NODES), 0);
	assert_int_equal(ncmig_write_end(&w), 0);
	assert_true(w.len <= sizeof(payload));
	memcpy(payload, w.buf, w.len);
	payload_len = w.len;
	ncmig_writer_free(&w);
}

static int found_calls;

/* recv's hook as ncmigd's: the stream must parse. */
static int found_parse(void *arg, const unsigned char *buf, size_t len)
{
	struct ncmig_stream_err err;
	struct ncmig_stream st;
	int rc;

	(void)arg;
	found_calls++;
	rc = ncmig_stream_parse(buf, len, &st, &err);
	if (!rc)
		ncmig_stream_free(&st);
	return rc;
}

static size_t send_once(unsigned char *mid)
{
	struct ncmig_splice_hooks send = { .at_end = at_end };
	struct ncmig_splice_stats st;
	size_t mid_len;
	char msg[300];

	build();
	assert_int_equal(run(xs, xs_len, &send, mid, &mid_len, &st, msg), 0);
	return mid_len;
}

/*
 * What an unmodified receiver's libxc does (xg_sr_restore.c): read each
 * record header, refuse a length over REC_LENGTH_MAX, read the body
 * rounded up to 8, skip a type with bit 31 that it does not know.  On
 * send's output, what it processes is exactly xl's libxc stream.
 */
static void test_plain_libxc_skips_it(void **s)
{
	static unsigned char mid[8192], seen[8192];
	size_t mid_len, off, n = 0, skipped = 0;

	(void)s;
	real_payload();
	mid_len = send_once(mid);
	assert_true(mid_len > xs_len);
	off = libxc_off;
	for (;;) {
		uint32_t type = le32_ld(mid + off), len = le32_ld(mid + off + 4);
		size_t whole = REC + ((len + 7) & ~7U);

		assert_true(len <= 128U << 20);
		assert_true(off + whole <= mid_len);
		if (type & 0x80000000U) {
			assert_int_equal(type, NCMIG_SPLICE_REC_TYPE);
			skipped++;
		} else {
			memcpy(seen + n, mid + off, whole);
			n += whole;
		}
		off += whole;
		if (type == 0)
			break;
	}
	assert_int_equal(skipped, 1);
	assert_int_equal(n, libxc_end_off + REC - libxc_off);
	assert_memory_equal(seen, xs + libxc_off, n);
	/* And libxl's part after it is untouched. */
	assert_int_equal(mid_len - off, xs_len - (libxc_end_off + REC));
	assert_memory_equal(mid + off, xs + libxc_end_off + REC, mid_len - off);
}

/* Flip each octet of our record: recv refuses every one, hands nothing on. */
static void test_recv_refuses_every_damaged_octet(void **s)
{
	struct ncmig_splice_hooks recv = { .found = found_parse };
	static unsigned char mid[8192], out[8192];
	struct ncmig_splice_stats st;
	size_t mid_len, out_len, rec_len, i;
	char msg[300];
	int rc;

	(void)s;
	real_payload();
	mid_len = send_once(mid);
	rec_len = REC + ((24 + payload_len + 7) & ~(size_t)7);
	/* Undamaged, it passes. */
	found_calls = 0;
	assert_int_equal(run(mid, mid_len, &recv, out, &out_len, &st, msg), 0);
	assert_int_equal(found_calls, 1);
	assert_int_equal(st.removed, 1);
	assert_int_equal(out_len, xs_len);
	for (i = 0; i < rec_len; i++) {
		if (i < 4)	/* the type: then it is not ours, passed on */
			continue;
		mid[libxc_end_off + i] ^= 0x10;
		found_calls = 0;
		rc = run(mid, mid_len, &recv, out, &out_len, &st, msg);
		if (!rc)
			fail_msg("octet %zu of the record damaged, yet accepted", i);
		assert_int_equal(st.removed, 0);
		/* The envelope's checksum catches it before the parser runs. */
		assert_int_equal(found_calls, 0);
		/* Nothing after our record reached the receiver. */
		assert_true(out_len <= libxc_end_off);
		mid[libxc_end_off + i] ^= 0x10;
	}
}

static void reseal(unsigned char *env)
{
	le32_st(env + 20, envelope_crc(env));
}

static int recv_rc(unsigned char *mid, size_t mid_len, char *msg)
{
	struct ncmig_splice_hooks recv = { .found = found_parse };
	static unsigned char out[8192];
	struct ncmig_splice_stats st;
	size_t out_len;

	return run(mid, mid_len, &recv, out, &out_len, &st, msg);
}

/* The envelope's rules one by one, each with a valid checksum. */
static void test_recv_envelope_rules(void **s)
{
	static unsigned char mid[8192], keep[8192];
	unsigned char *rec, *env;
	size_t mid_len;
	char msg[300];

	(void)s;
	real_payload();
	mid_len = send_once(keep);
	rec = mid + libxc_end_off;
	env = rec + REC;

#define FRESH() memcpy(mid, keep, mid_len)
	FRESH();
	memcpy(env, "NCMIGOPX", 8);
	reseal(env);
	assert_int_equal(recv_rc(mid, mid_len, msg), -EPROTO);
	assert_non_null(strstr(msg, "without its ident"));

	FRESH();
	le16_st(env + 8, 2);
	reseal(env);
	assert_int_equal(recv_rc(mid, mid_len, msg), -EPROTO);
	assert_non_null(strstr(msg, "version 2"));

	FRESH();
	le16_st(env + 10, 1);
	reseal(env);
	assert_int_equal(recv_rc(mid, mid_len, msg), -EPROTO);
	assert_non_null(strstr(msg, "flags"));

	FRESH();
	le32_st(env + 12, (uint32_t)payload_len - 8);
	reseal(env);
	assert_int_equal(recv_rc(mid, mid_len, msg), -EPROTO);
	assert_non_null(strstr(msg, "says its stream has"));

	/* Under the envelope, over the limit: before any allocation. */
	FRESH();
	le32_st(rec + 4, 23);
	assert_int_equal(recv_rc(mid, mid_len, msg), -EPROTO);
	assert_non_null(strstr(msg, "under its 24-octet header"));
	FRESH();
	le32_st(rec + 4, 24 + NCMIG_STREAM_MAX + 1);
	assert_int_equal(recv_rc(mid, mid_len, msg), -E2BIG);

	/* Nonzero padding (this stream fills its record: make some). */
	FRESH();
	le32_st(rec + 4, le32_ld(rec + 4) - 1);
	le32_st(env + 12, (uint32_t)payload_len - 1);
	env[24 + payload_len - 1] = 1;
	reseal(env);
	assert_int_equal(recv_rc(mid, mid_len, msg), -EINVAL);
	assert_non_null(strstr(msg, "padding not zero"));

	/* A valid envelope around a stream that does not parse. */
	FRESH();
	env[24] = 'X';
	reseal(env);
	found_calls = 0;
	assert_int_not_equal(recv_rc(mid, mid_len, msg), 0);
	assert_int_equal(found_calls, 1);
	assert_non_null(strstr(msg, "was refused"));

	/* Cut off inside our record. */
	assert_int_equal(recv_rc(keep, libxc_end_off + REC + 30, msg), -EPIPE);
	assert_non_null(strstr(msg, "the ncmig record"));
#undef FRESH
}

/* Two of our records: send refuses to add one, recv to take a second. */
static void test_recv_refuses_second_record(void **s)
{
	struct ncmig_splice_hooks recv = { .found = found_parse };
	static unsigned char mid[8192], two[16384], out[16384];
	struct ncmig_splice_stats st;
	size_t mid_len, rec_len, two_len, out_len;
	char msg[300];

	(void)s;
	real_payload();
	mid_len = send_once(mid);
	rec_len = REC + ((24 + payload_len + 7) & ~(size_t)7);
	memcpy(two, mid, libxc_end_off + rec_len);
	memcpy(two + libxc_end_off + rec_len, mid + libxc_end_off,
	       mid_len - libxc_end_off);
	two_len = mid_len + rec_len;
	assert_int_equal(run(two, two_len, &recv, out, &out_len, &st, msg),
			 -EEXIST);
	assert_non_null(strstr(msg, "second ncmig record"));
}

/* What an older send inserted (before libxl's END) is still removed. */
static void test_recv_legacy_layout(void **s)
{
	struct ncmig_splice_hooks recv = { .found = found_parse };
	static unsigned char old[8192], out[8192];
	struct ncmig_splice_stats st;
	size_t n, out_len;
	char msg[300];

	(void)s;
	real_payload();
	build();
	memcpy(old, xs, libxl_end_off);
	n = libxl_end_off;
	le32_st(old + n, NCMIG_SPLICE_LEGACY_TYPE);
	le32_st(old + n + 4, (uint32_t)payload_len);
	memcpy(old + n + 8, payload, payload_len);
	n += 8 + ((payload_len + 7) & ~(size_t)7);
	memset(old + libxl_end_off + 8 + payload_len, 0,
	       n - (libxl_end_off + 8 + payload_len));
	memcpy(old + n, xs + libxl_end_off, xs_len - libxl_end_off);
	n += xs_len - libxl_end_off;
	assert_int_equal(run(old, n, &recv, out, &out_len, &st, msg), 0);
	assert_int_equal(st.removed, 1);
	assert_int_equal(st.legacy, 1);
	assert_int_equal(out_len, xs_len);
	assert_memory_equal(out, xs, xs_len);
}


/*
 * xl's handshake comes only once the receiver answers.  If the receiver
 * has gone after taking the whole stream (it took it, or refused it),
 * the filter must not sit waiting for xl, which waits for the receiver:
 * it ends, as the stream has, so that send exits, xl's reply pipe
 * closes and xl sees how the migration went (resuming the guest at the
 * source if the receiver refused it).  It is not an error of the
 * filter's: a migration that succeeded ends the same way.
 */
static void test_receiver_gone_no_deadlock(void **s)
{
	struct ncmig_splice_hooks recv = { .found = found };
	struct ncmig_splice_stats st;
	int pin[2], pout[2], status, rc;
	char msg[300];
	pid_t pid;

	(void)s;
	build();
	xs_len -= 44;		/* no handshake yet: xl waits for the receiver */
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(pin), 0);
	assert_int_equal(pipe(pout), 0);
	assert_int_equal(write(pin[1], xs, xs_len), (ssize_t)xs_len);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {		/* the receiver: reads the stream, then goes */
		static unsigned char sink[8192];
		size_t got_n = 0;
		ssize_t n;

		close(pout[1]);
		while (got_n < xs_len &&
		       (n = read(pout[0], sink, sizeof(sink))) > 0)
			got_n += (size_t)n;
		_exit(got_n == xs_len ? 0 : 1);
	}
	close(pout[0]);
	rc = ncmig_splice_filter(pin[0], pout[1], &recv, &st, msg, sizeof(msg));
	/* The end of the stream's way, not a failure (xl decides). */
	assert_int_equal(rc, 0);
	assert_int_equal(st.receiver_gone, 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(pin[0]);
	close(pin[1]);	/* xl's end: still open all along */
	close(pout[1]);
}

/* recv --leave: validated and handed on, and passed on as it came. */
static void test_recv_leave(void **s)
{
	struct ncmig_splice_hooks recv = { .found = found_parse, .leave = true };
	static unsigned char mid[8192], out[8192];
	struct ncmig_splice_stats st;
	size_t mid_len, out_len;
	char msg[300];

	(void)s;
	real_payload();
	mid_len = send_once(mid);
	found_calls = 0;
	assert_int_equal(run(mid, mid_len, &recv, out, &out_len, &st, msg), 0);
	assert_int_equal(found_calls, 1);
	assert_int_equal(st.left, 1);
	assert_int_equal(out_len, mid_len);
	assert_memory_equal(out, mid, mid_len);
	/* Damaged, it is refused all the same. */
	mid[libxc_end_off + 8 + 30] ^= 1;
	assert_int_equal(run(mid, mid_len, &recv, out, &out_len, &st, msg),
			 -EBADMSG);
	assert_true(out_len <= libxc_end_off);
}

/* ---- checkpointed streams (Remus, COLO) ---- */

enum ck_end {
	CK_CUT,		/* the primary stops after the last checkpoint */
	CK_MID,		/* cut inside the next checkpoint's libxc part */
	CK_SHORT,	/* cut after CHECKPOINT, before CHECKPOINT_END */
	CK_END,		/* libxc END and libxl END after the checkpoints */
};

static unsigned char ck[1 << 16];
static size_t ck_len;

static void ck_put(const void *p, size_t n)
{
	assert_true(ck_len + n <= sizeof(ck));
	if (n)
		memcpy(ck + ck_len, p, n);
	ck_len += n;
}

static void ck_rec(uint32_t type, const void *body, uint32_t len)
{
	static const unsigned char zero[8];
	unsigned char h[8];

	le32_st(h, type);
	le32_st(h + 4, len);
	ck_put(h, 8);
	ck_put(body, len);
	ck_put(zero, (8 - len % 8) % 8);
}

/*
 * A checkpointed stream as xl remus writes it: xl's and libxl's headers,
 * LIBXC_CONTEXT, libxc's headers, then per checkpoint libxc records and
 * CHECKPOINT, libxl's records and CHECKPOINT_END (libxl reads them from
 * libxc's checkpoint callback), and with COLO a CHECKPOINT_STATE.
 */
static void build_ck(unsigned int n, bool colo, enum ck_end end)
{
	unsigned char st4[4] = { 1, 0, 0, 0 };	/* CHECKPOINT_NEW */
	char page[32];
	unsigned int k;

	build();	/* for its headers */
	ck_len = 0;
	ck_put(xs, libxc_off);
	for (k = 1; k <= n + (end == CK_MID || end == CK_SHORT); k++) {
		snprintf(page, sizeof(page), "pages of checkpoint %u", k);
		ck_rec(1, page, (uint32_t)strlen(page));
		if (k > n && end == CK_MID)
			return;
		ck_rec(0x0e, NULL, 0);			/* CHECKPOINT */
		ck_rec(2, "\0\0\0\0\0\0\0\0k\0v\0", 12);
		if (k > n && end == CK_SHORT)
			return;
		ck_rec(4, NULL, 0);			/* CHECKPOINT_END */
		if (colo)
			ck_rec(5, st4, 4);		/* CHECKPOINT_STATE */
	}
	if (end == CK_END) {
		ck_rec(0, NULL, 0);			/* libxc END */
		ck_rec(0, NULL, 0);			/* libxl END */
	}
}

static unsigned int seq, found_seq, complete_calls;
static uint16_t pending_domid, latest_domid;

/* send's hook: checkpoint k's set is a stream of "domain" k. */
static int at_end_seq(void *arg, unsigned char **buf, size_t *len)
{
	struct ncmig_writer w;

	(void)arg;
	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain(&w, (uint16_t)++seq, NCMIG_DOM_F_XS_NODES);
	ncmig_write_end(&w);
	*buf = w.buf;
	*len = w.len;
	return w.err;
}

static int found_ck(void *arg, const unsigned char *buf, size_t len)
{
	struct ncmig_stream_err err;
	struct ncmig_stream st;
	int rc;

	(void)arg;
	rc = ncmig_stream_parse(buf, len, &st, &err);
	if (rc)
		return rc;
	found_seq++;
	pending_domid = st.domid;
	ncmig_stream_free(&st);
	return 0;
}

static int complete_ck(void *arg)
{
	(void)arg;
	complete_calls++;
	latest_domid = pending_domid;
	return 0;
}

static unsigned char ck_mid[1 << 17], ck_out[1 << 17];

/* send over ck (COLO or not); returns the output's length. */
static size_t ck_send(bool colo, bool first_only, struct ncmig_splice_stats *st)
{
	struct ncmig_splice_hooks send = { .at_end = at_end_seq, .colo = colo,
					   .first_checkpoint_only = first_only };
	char msg[300];
	int ifd = to_fd(ck, ck_len), ofd = to_fd("", 0), rc;
	ssize_t n;

	seq = 0;
	rc = ncmig_splice_filter(ifd, ofd, &send, st, msg, sizeof(msg));
	if (rc)
		fail_msg("send: %d %s", rc, msg);
	lseek(ofd, 0, SEEK_SET);
	n = read(ofd, ck_mid, sizeof(ck_mid));
	assert_true(n > 0);
	close(ifd);
	close(ofd);
	return (size_t)n;
}

static int ck_recv(size_t mid_len, bool colo, struct ncmig_splice_stats *st,
		   size_t *out_len, char *msg)
{
	struct ncmig_splice_hooks recv = { .found = found_ck,
					   .complete = complete_ck, .colo = colo };
	int ifd = to_fd(ck_mid, mid_len), ofd = to_fd("", 0), rc;
	ssize_t n;

	found_seq = complete_calls = 0;
	pending_domid = latest_domid = 0;
	rc = ncmig_splice_filter(ifd, ofd, &recv, st, msg, 300);
	lseek(ofd, 0, SEEK_SET);
	n = read(ofd, ck_out, sizeof(ck_out));
	assert_true(n >= 0);
	*out_len = (size_t)n;
	close(ifd);
	close(ofd);
	return rc;
}

/*
 * Walk a checkpointed stream record by record (libxc's part up to each
 * CHECKPOINT, libxl's up to CHECKPOINT_END, COLO's CHECKPOINT_STATE),
 * counting END records of either layer and our records.
 */
static void ck_walk(const unsigned char *p, size_t len, bool colo,
		    unsigned int *ends, unsigned int *ours)
{
	size_t i = libxc_off;
	bool libxl = false;

	*ends = *ours = 0;
	while (i + 8 <= len) {
		uint32_t type = le32_ld(p + i), l = le32_ld(p + i + 4);

		i += 8 + ((l + 7) & ~7U);
		if (type == 0)
			(*ends)++;
		if (type == NCMIG_SPLICE_REC_TYPE)
			(*ours)++;
		if (!libxl && type == 0x0e) {
			libxl = true;
		} else if (libxl && type == 4) {
			libxl = false;
			if (colo)
				i += 16;	/* CHECKPOINT_STATE */
		} else if (!libxl && type == 0) {
			libxl = true;		/* after libxc's END */
		}
	}
}

static void ck_roundtrip(unsigned int n, bool colo, enum ck_end end,
			 unsigned int want_complete)
{
	struct ncmig_splice_stats st;
	size_t mid_len, out_len;
	char msg[300];
	unsigned int sent, ends_in, ends_out, ours;

	build_ck(n, colo, end);
	mid_len = ck_send(colo, false, &st);
	sent = st.inserted;
	/* One set per checkpoint (and the one cut inside its libxc part
	 * has none yet: its CHECKPOINT never came).
	 */
	assert_int_equal(sent, n + (end == CK_SHORT));
	assert_int_equal(st.checkpoints, n);
	assert_int_equal(st.cut_short, end != CK_END);
	/* Never a second END: the stream's ENDs are xl's (two with CK_END,
	 * libxc's and libxl's), none added.
	 */
	ck_walk(ck, ck_len, colo, &ends_in, &ours);
	assert_int_equal(ours, 0);
	ck_walk(ck_mid, mid_len, colo, &ends_out, &ours);
	assert_int_equal(ends_out, ends_in);
	assert_int_equal(ends_in, end == CK_END ? 2 : 0);
	assert_int_equal(ours, sent);
	assert_int_equal(mid_len, ck_len + sent * (8 + 80));

	assert_int_equal(ck_recv(mid_len, colo, &st, &out_len, msg), 0);
	assert_int_equal(found_seq, sent);
	assert_int_equal(st.removed, sent);
	assert_int_equal(complete_calls, want_complete);
	assert_int_equal(st.complete_sets, want_complete);
	/* The latest complete set is the last complete checkpoint's. */
	assert_int_equal(latest_domid, want_complete);
	/* What reaches xl migrate-receive is what xl sent. */
	assert_int_equal(out_len, ck_len);
	assert_memory_equal(ck_out, ck, ck_len);
}

static void test_remus_many_checkpoints(void **s)
{
	(void)s;
	ck_roundtrip(40, false, CK_CUT, 40);
	ck_roundtrip(40, false, CK_END, 40);
}

static void test_colo_many_checkpoints(void **s)
{
	(void)s;
	ck_roundtrip(40, true, CK_CUT, 40);
	ck_roundtrip(40, true, CK_END, 40);
}

/* The stream ends inside a checkpoint's libxc part: the last complete one
 * is kept, the one under way never completes.
 */
static void test_checkpoint_ends_mid(void **s)
{
	(void)s;
	ck_roundtrip(7, false, CK_MID, 7);
	ck_roundtrip(7, true, CK_MID, 7);
}

/* A checkpoint cut short: its CHECKPOINT came (and our record before it)
 * but not its CHECKPOINT_END: that set is removed and never handed on.
 */
static void test_checkpoint_cut_short(void **s)
{
	(void)s;
	ck_roundtrip(9, false, CK_SHORT, 9);
	ck_roundtrip(9, true, CK_SHORT, 9);
	ck_roundtrip(0, false, CK_SHORT, 0);
}

/* Towards a receiver without ncmig: only the first checkpoint carries
 * one (libxc's handle_checkpoint() fails on a later optional record).
 */
static void test_checkpoint_plain_first_only(void **s)
{
	struct ncmig_splice_stats st;
	unsigned int ends, ours;
	size_t mid_len;

	(void)s;
	build_ck(12, false, CK_CUT);
	mid_len = ck_send(false, true, &st);
	assert_int_equal(st.inserted, 1);
	ck_walk(ck_mid, mid_len, false, &ends, &ours);
	assert_int_equal(ours, 1);
	assert_int_equal(ends, 0);
	/* Before the first CHECKPOINT. */
	assert_int_equal(le32_ld(ck_mid + libxc_off + 8 + 24),
			 NCMIG_SPLICE_REC_TYPE);
}

/* COLO's CHECKPOINT_STATE: missing, or a COLO stream read as Remus. */
static void test_colo_mismatch_refused(void **s)
{
	struct ncmig_splice_stats st;
	size_t mid_len, out_len;
	char msg[300];

	(void)s;
	build_ck(3, true, CK_CUT);
	mid_len = ck_send(true, false, &st);
	assert_int_equal(ck_recv(mid_len, false, &st, &out_len, msg), -EPROTO);
	assert_non_null(strstr(msg, "a COLO stream"));
	build_ck(3, false, CK_CUT);
	mid_len = ck_send(false, false, &st);
	assert_int_equal(ck_recv(mid_len, true, &st, &out_len, msg), -EPROTO);
	assert_non_null(strstr(msg, "without CHECKPOINT_STATE"));
}

/* Two of our records in one checkpoint; END inside a checkpoint's libxl
 * part; a damaged record in checkpoint 5 stops the stream there.
 */
static void test_checkpoint_rules(void **s)
{
	struct ncmig_splice_stats st;
	size_t mid_len, out_len, rec = 8 + 80, first;
	char msg[300];

	(void)s;
	build_ck(6, false, CK_CUT);
	mid_len = ck_send(false, false, &st);
	/* Checkpoint 2's record, doubled. */
	first = libxc_off + 32 + rec + 8 + 24 + 8;	/* ckpt 1's tail */
	first += 8 + 24;				/* ckpt 2's page */
	assert_int_equal(le32_ld(ck_mid + first), NCMIG_SPLICE_REC_TYPE);
	memmove(ck_mid + first + rec, ck_mid + first, mid_len - first);
	mid_len += rec;
	assert_int_equal(ck_recv(mid_len, false, &st, &out_len, msg), -EEXIST);
	assert_non_null(strstr(msg, "second ncmig record in checkpoint 2"));
	assert_int_equal(complete_calls, 1);

	build_ck(6, false, CK_CUT);
	mid_len = ck_send(false, false, &st);
	ck_mid[first + 8 + 24 + 3] ^= 1;		/* inside ckpt 2's set */
	assert_int_equal(ck_recv(mid_len, false, &st, &out_len, msg), -EBADMSG);
	assert_int_equal(complete_calls, 1);
	assert_true(out_len <= first);

	/* libxl's END where CHECKPOINT_END belongs. */
	build_ck(2, false, CK_CUT);
	le32_st(ck + ck_len - 8, 0);
	memcpy(ck_mid, ck, ck_len);
	assert_int_equal(ck_recv(ck_len, false, &st, &out_len, msg), -EPROTO);
	assert_non_null(strstr(msg, "libxl END inside checkpoint 2"));
	(void)mid_len;
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_send_recv_roundtrip),
		cmocka_unit_test(test_send_raises_before_end),
		cmocka_unit_test(test_send_ticks_before_end),
		cmocka_unit_test(test_send_ticks_while_waiting),
		cmocka_unit_test(test_send_backlog_not_counted),
		cmocka_unit_test(test_recv_without_record_passes_through),
		cmocka_unit_test(test_send_refuses_second_record),
		cmocka_unit_test(test_config_seen),
		cmocka_unit_test(test_recv_argv),
		cmocka_unit_test(test_plain_libxc_skips_it),
		cmocka_unit_test(test_recv_refuses_every_damaged_octet),
		cmocka_unit_test(test_recv_envelope_rules),
		cmocka_unit_test(test_recv_refuses_second_record),
		cmocka_unit_test(test_recv_legacy_layout),
		cmocka_unit_test(test_recv_leave),
		cmocka_unit_test(test_receiver_gone_no_deadlock),
		cmocka_unit_test(test_remus_many_checkpoints),
		cmocka_unit_test(test_colo_many_checkpoints),
		cmocka_unit_test(test_checkpoint_ends_mid),
		cmocka_unit_test(test_checkpoint_cut_short),
		cmocka_unit_test(test_checkpoint_plain_first_only),
		cmocka_unit_test(test_colo_mismatch_refused),
		cmocka_unit_test(test_checkpoint_rules),
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
