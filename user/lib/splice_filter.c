// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Walk xl's migration stream, inserting or removing our record. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "le.h"
#include "ncmig_snap.h"
#include "ncmig.h"

/* tools/xl/xl.h */
#define XL_HDR_LEN		48
#define XL_MAGIC		"Xen saved domain, xl format\n \0 \r"
#define XL_BYTEORDER		0x01020304U
#define XL_MANDATORY_JSON	(1U << 0)
#define XL_MANDATORY_STREAMV2	(1U << 1)
/* docs/specs/libxl-migration-stream.pandoc */
#define LIBXL_HDR_LEN		16
#define LIBXL_IDENT		0x4c6962786c466d74ULL	/* "LibxlFmt" */
#define LIBXL_VERSION		2
#define LIBXL_OPT_BIG_ENDIAN	(1U << 0)
#define LIBXL_OPT_LEGACY	(1U << 1)
#define LIBXL_REC_END		0
#define LIBXL_REC_LIBXC_CONTEXT	1
#define LIBXL_REC_CHECKPOINT_END	4
#define LIBXL_REC_CHECKPOINT_STATE	5
/* docs/specs/libxc-migration-stream.pandoc */
#define LIBXC_IHDR_LEN		24
#define LIBXC_DHDR_LEN		16
#define LIBXC_ID		0x58454e46U		/* "XENF" */
#define LIBXC_REC_END		0
#define LIBXC_REC_X86_PV_VCPU_BASIC 0x04
#define LIBXC_REC_SHARED_INFO	0x07
#define LIBXC_REC_X86_TSC_INFO	0x08
#define LIBXC_REC_HVM_CONTEXT	0x09
#define LIBXC_REC_HVM_PARAMS	0x0a
#define LIBXC_REC_CHECKPOINT	0x0e
#define LIBXC_REC_CHECKPOINT_DIRTY_PFN_LIST 0x0f
#define LIBXC_REC_OPTIONAL	0x80000000U
#define LIBXC_REC_LENGTH_MAX	(128U << 20)	/* xg_sr_stream_format.h */
#define REC_HDR_LEN		8

/* doc/stream-format.md, "Inside xl migrate" */
#define OPT_IDENT		"NCMIGOPT"
#define OPT_VERSION		1

_Static_assert(NCMIG_SPLICE_REC_TYPE & LIBXC_REC_OPTIONAL,
	       "our libxc record must be optional");
_Static_assert(NCMIG_SPLICE_OPT_HDR_LEN + NCMIG_STREAM_MAX + 7 <=
	       LIBXC_REC_LENGTH_MAX, "libxc's reader must take our record");

struct splice {
	int in, out;
	const struct ncmig_splice_hooks *h;
	struct ncmig_splice_stats *st;
	char *msg;
	size_t cap;
	bool eof;		/* the input ended inside something */
	bool ours_here;		/* an ncmig record in the current checkpoint */
	bool pending;		/* recv: one found, its checkpoint not complete */
	bool after_ckpt;	/* the next libxc record follows CHECKPOINT_END */
	bool no_tick_fd;	/* send: tick_fd failed, not waited on again */
	uint64_t base_us;	/* send: where the last insert's added time began */
	bool out_pipe;		/* out is a pipe (checked once: a call costs) */
	struct ncmig_urgent urg;	/* the windows' (urgent.c) */
};

__attribute__((format(printf, 3, 4)))
static int fail(struct splice *sp, int rc, const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (sp->msg && !sp->msg[0])
		snprintf(sp->msg, sp->cap, "%s (input offset %llu)", what,
			 (unsigned long long)sp->st->in_octets);
	return rc;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint64_t now_us(void)
{
	return ncmig_now_ns() / 1000;
}

/*
 * The longest any one record held the stream (once per checkpoint):
 * from @base, and in all from the arrival @t0 of what it waits on.
 */
static void note_added(struct splice *sp, uint64_t t0, uint64_t base,
		       uint64_t now, uint64_t runq_us, uint64_t cpu_us)
{
	if (now - base > sp->st->added_us) {
		sp->st->added_us = now - base;
		sp->st->runq_us = runq_us;
		sp->st->cpu_us = cpu_us;
	}
	if (now - t0 > sp->st->raw_added_us)
		sp->st->raw_added_us = now - t0;
}

/*
 * send: the guest waits on us from @t0 until the record that arrived
 * then is passed on (urgent.c): real-time for that stretch.
 */
static void window_open(struct splice *sp)
{
	if (ncmig_urgent_begin(&sp->urg))
		sp->st->not_urgent = true;
}

static void window_close(struct splice *sp, uint64_t t0, uint64_t base,
			 bool count)
{
	uint64_t now = now_us(), runq_us, cpu_us;	/* passed on at @now */

	ncmig_urgent_end(&sp->urg, &runq_us, &cpu_us);
	if (count)
		note_added(sp, t0, base, now, runq_us, cpu_us);
}

/*
 * send: libxc writes these only once the domain is suspended, at the end
 * of its last memory pass (xg_sr_save.c's end_of_checkpoint: TSC_INFO
 * first; the rest in case a libxc moves it), and END or CHECKPOINT
 * follows them: the window's real-time stretch is raised on the first,
 * while we would wait for libxc anyway.
 */
static void suspended_record(struct splice *sp, uint32_t type)
{
	switch (type) {
	case LIBXC_REC_X86_TSC_INFO:
	case LIBXC_REC_SHARED_INFO:
	case LIBXC_REC_X86_PV_VCPU_BASIC:
	case LIBXC_REC_HVM_CONTEXT:
	case LIBXC_REC_HVM_PARAMS:
		if (sp->h && sp->h->at_end && ncmig_urgent_raise(&sp->urg) > 0)
			sp->st->raised_early++;
		break;
	}
}

/*
 * Octets written to the pipe @fd that its reader has not taken yet, or -1
 * if @fd is no pipe.
 */
static long pipe_queued(const struct splice *sp)
{
	int n;

	if (!sp->out_pipe || ioctl(sp->out, FIONREAD, &n))
		return -1;
	return n;
}

/*
 * send, our record ready: the octets before END may still be queued for
 * the receiver, which takes them at its own pace whether we insert
 * anything or not (a plain receiver's libxc applies the last pages as it
 * reads them).  Wait until it has, so that our writes do not block on
 * them and what is counted is what our record adds.  Returns when the
 * added time begins: @t0, or the last moment the receiver still had some
 * of them (checked every 50 us: its idle time after that counts).  Not
 * a pipe, or not taken within 2 s: @t0, all of it counted.
 */
static uint64_t wait_backlog(struct splice *sp, uint64_t t0)
{
	const struct timespec step = { 0, 50 * 1000 };
	uint64_t busy = t0, give_up = 0;
	long q = pipe_queued(sp);

	if (q > 0 && (uint64_t)q > sp->st->backlog_octets)
		sp->st->backlog_octets = (uint64_t)q;
	if (q > 0) {	/* our polls must not take the receiver's CPU */
		ncmig_urgent_pause(&sp->urg);
		give_up = now_us() + 2000000;
	}
	while (q > 0) {
		busy = now_us();
		if (busy > give_up) {
			ncmig_urgent_resume(&sp->urg);
			return t0;
		}
		nanosleep(&step, NULL);
		q = pipe_queued(sp);
	}
	ncmig_urgent_resume(&sp->urg);
	if (busy - t0 > sp->st->backlog_us)
		sp->st->backlog_us = busy - t0;
	return busy;
}

/*
 * send: until xl's stream has more for us, tick whenever tick_fd says
 * there is something to do (libxl suspending the guest writes its
 * control/shutdown while no record comes).  An fd in error is left.
 */
static void wait_input(struct splice *sp)
{
	struct pollfd pf[2];
	int fd;

	while (!sp->no_tick_fd && sp->h && sp->h->tick && sp->h->tick_fd) {
		fd = sp->h->tick_fd(sp->h->arg);
		if (fd < 0)
			return;
		pf[0] = (struct pollfd){ .fd = sp->in, .events = POLLIN };
		pf[1] = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			sp->no_tick_fd = true;
			return;
		}
		if (pf[0].revents)
			return;
		if (pf[1].revents & ~POLLIN) {
			sp->no_tick_fd = true;
			return;
		}
		if (pf[1].revents)
			sp->h->tick(sp->h->arg);
	}
}

static int rd(struct splice *sp, void *buf, size_t n, const char *what)
{
	int rc;

	wait_input(sp);
	rc = ncmig_read_all(sp->in, buf, n);

	if (rc == -ENODATA) {
		sp->eof = true;
		return fail(sp, -EPIPE, "stream ends inside %s", what);
	}
	if (rc)
		return fail(sp, rc, "reading %s: %s", what, strerror(-rc));
	sp->st->in_octets += n;
	return 0;
}

static int wr(struct splice *sp, const void *buf, size_t n)
{
	int rc = ncmig_write_all(sp->out, buf, n);

	if (rc)
		return fail(sp, rc, "writing on: %s", strerror(-rc));
	sp->st->out_octets += n;
	return 0;
}

/* wr() of @n pieces, in one writev() unless the pipe takes part of it. */
static int wrv(struct splice *sp, struct iovec *v, int n)
{
	size_t all = 0, done;
	ssize_t k;
	int i, rc;

	for (i = 0; i < n; i++)
		all += v[i].iov_len;
	do
		k = writev(sp->out, v, n);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return fail(sp, -errno, "writing on: %s", strerror(errno));
	sp->st->out_octets += (uint64_t)k;
	if ((size_t)k == all)
		return 0;
	for (done = (size_t)k, i = 0; i < n; i++) {
		size_t skip = done < v[i].iov_len ? done : v[i].iov_len;

		done -= skip;
		rc = wr(sp, (const unsigned char *)v[i].iov_base + skip,
			v[i].iov_len - skip);
		if (rc)
			return rc;
	}
	return 0;
}

static int fwd(struct splice *sp, void *buf, size_t n, const char *what)
{
	int rc = rd(sp, buf, n, what);

	return rc ? rc : wr(sp, buf, n);
}

/* Pass @n octets through, in bounded chunks. */
static int copy(struct splice *sp, uint64_t n, const char *what)
{
	static unsigned char chunk[64 * 1024];
	int rc;

	while (n) {
		size_t k = n > sizeof(chunk) ? sizeof(chunk) : (size_t)n;

		rc = fwd(sp, chunk, k, what);
		if (rc)
			return rc;
		n -= k;
	}
	return 0;
}

static int copy_rest(struct splice *sp)
{
	static unsigned char chunk[64 * 1024];
	ssize_t n;
	int rc;

	for (;;) {
		/*
		 * The whole stream has gone through (libxl's END); what is
		 * left is xl's handshake, which comes only once the receiver
		 * answers.  So watch our output too: once nobody reads it any
		 * more, the receiving side has ended, having taken the whole
		 * stream (a migration that succeeded) or refused it (then xl,
		 * whose reply pipe our exit closes, resumes the guest at the
		 * source).  Either way that is the end of what we pass on,
		 * not an error of ours: the migration's outcome is xl's.
		 */
		struct pollfd pf[2] = {
			{ .fd = sp->in, .events = POLLIN },
			{ .fd = sp->out, .events = 0 },
		};

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return fail(sp, -errno, "poll: %s", strerror(errno));
		}
		if (pf[1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			sp->st->receiver_gone = 1;
			return 0;
		}
		n = read(sp->in, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(sp, -errno, "reading: %s", strerror(errno));
		if (n == 0)
			return 0;
		sp->st->in_octets += (uint64_t)n;
		rc = wr(sp, chunk, (size_t)n);
		if (rc)
			return rc;
	}
}

static uint64_t padded(uint32_t len)
{
	return ((uint64_t)len + 7) & ~(uint64_t)7;
}

static int xl_header(struct splice *sp)
{
	unsigned char h[XL_HDR_LEN];
	uint32_t mandatory;
	int rc;

	rc = fwd(sp, h, sizeof(h), "xl's save-file header");
	if (rc)
		return rc;
	if (memcmp(h, XL_MAGIC, 32))
		return fail(sp, -EPROTO, "not an xl migration stream");
	if (le32_ld(h + 32) != XL_BYTEORDER)
		return fail(sp, -EPROTO, "xl stream of another byte order");
	mandatory = le32_ld(h + 36);
	if (!(mandatory & XL_MANDATORY_STREAMV2) ||
	    mandatory & ~(XL_MANDATORY_JSON | XL_MANDATORY_STREAMV2))
		return fail(sp, -EPROTO, "xl stream with mandatory flags %#x "
			    "(need a v2 stream)", mandatory);
	if (sp->h && sp->h->config) {
		uint32_t n = le32_ld(h + 44);
		unsigned char *opt;

		if (n > NCMIG_SPLICE_CONFIG_MAX)
			return fail(sp, -E2BIG, "xl's optional data of %u "
				    "octets, over %u", n,
				    NCMIG_SPLICE_CONFIG_MAX);
		opt = malloc(n ? n : 1);
		if (!opt)
			return fail(sp, -ENOMEM, "xl's optional data");
		rc = fwd(sp, opt, n, "xl's optional data");
		if (!rc)
			rc = sp->h->config(sp->h->arg, opt, n);
		free(opt);
		if (rc && sp->msg && !sp->msg[0])
			fail(sp, rc, "xl's domain config refused");
		return rc;
	}
	return copy(sp, le32_ld(h + 44), "xl's optional data");
}

static int libxl_header(struct splice *sp)
{
	unsigned char h[LIBXL_HDR_LEN];
	uint32_t opts;
	int rc;

	rc = fwd(sp, h, sizeof(h), "the libxl stream header");
	if (rc)
		return rc;
	if (be64(h) != LIBXL_IDENT || be32(h + 8) != LIBXL_VERSION)
		return fail(sp, -EPROTO, "not a libxl v2 stream");
	opts = be32(h + 12);
	if (opts & (LIBXL_OPT_BIG_ENDIAN | LIBXL_OPT_LEGACY))
		return fail(sp, -EPROTO, "libxl stream options %#x not supported",
			    opts);
	return 0;
}

/*
 * send: our optional libxc record, just before libxc's END (or, in a
 * checkpointed stream, each CHECKPOINT).  The domain is suspended from
 * the last memory pass on (xg_sr_save.c), so what at_end captures is
 * what the guest left; the time from END's arrival until END is passed
 * on is what we add to xl's suspend window.  @next, the header of that
 * END or CHECKPOINT, goes on with ours.
 */
static int insert(struct splice *sp, uint64_t t0, const unsigned char *next)
{
	static const unsigned char zero[8];
	unsigned char h[REC_HDR_LEN + NCMIG_SPLICE_OPT_HDR_LEN];
	unsigned char *buf = NULL, *o = h + REC_HDR_LEN;
	uint64_t capture;
	size_t len = 0;
	uint32_t crc;
	int rc;

	rc = sp->h->at_end(sp->h->arg, &buf, &len);
	capture = now_us() - t0;
	if (rc)
		return fail(sp, rc, "taking the ncmig stream: %s", strerror(-rc));
	if (len > NCMIG_STREAM_MAX) {
		free(buf);
		return fail(sp, -E2BIG, "ncmig stream of %zu octets", len);
	}
	le32_st(h, NCMIG_SPLICE_REC_TYPE);
	le32_st(h + 4, (uint32_t)(NCMIG_SPLICE_OPT_HDR_LEN + len));
	memcpy(o, OPT_IDENT, 8);
	le16_st(o + 8, OPT_VERSION);
	le16_st(o + 10, 0);
	le32_st(o + 12, (uint32_t)len);
	le32_st(o + 16, capture > UINT32_MAX ? UINT32_MAX : (uint32_t)capture);
	le32_st(o + 20, 0);
	crc = ncmig_crc32c(0, o, NCMIG_SPLICE_OPT_HDR_LEN);
	crc = ncmig_crc32c(crc, buf, len);
	le32_st(o + 20, crc);
	sp->base_us = wait_backlog(sp, t0);
	{
		/* One system call for ours and @next's header (each costs). */
		struct iovec v[4] = {
			{ h, sizeof(h) }, { buf, len },
			{ (void *)zero, padded((uint32_t)(NCMIG_SPLICE_OPT_HDR_LEN +
							  len)) -
			  (NCMIG_SPLICE_OPT_HDR_LEN + len) },
			{ (void *)next, REC_HDR_LEN },
		};

		rc = wrv(sp, v, 4);
	}
	free(buf);
	if (!rc) {
		sp->st->inserted++;
		sp->st->inserted_octets += REC_HDR_LEN +
			padded((uint32_t)(NCMIG_SPLICE_OPT_HDR_LEN + len));
		sp->st->capture_us = capture;
		sp->st->stream_octets = len;
	}
	return rc;
}

/* Read a record body of @len octets and its padding, padding checked. */
static int body(struct splice *sp, uint32_t len, unsigned char **out,
		const char *what)
{
	uint64_t plen = padded(len);
	unsigned char *buf = malloc(plen ? plen : 1);
	size_t i;
	int rc;

	if (!buf)
		return fail(sp, -ENOMEM, "out of memory for %s", what);
	rc = rd(sp, buf, plen, what);
	for (i = len; !rc && i < plen; i++)
		if (buf[i])
			rc = fail(sp, -EINVAL, "%s: padding not zero", what);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

/* recv only; one ncmig record per checkpoint (a plain stream has one). */
static int no_found(struct splice *sp)
{
	if (!sp->h || !sp->h->found)
		return fail(sp, -EEXIST, "the stream already carries an ncmig "
			    "record");
	if (sp->ours_here)
		return fail(sp, -EEXIST, sp->st->checkpoints ?
			    "a second ncmig record in checkpoint %u" :
			    "a second ncmig record%.0u", sp->st->checkpoints + 1);
	return 0;
}

/*
 * recv: the checkpoint (or the plain stream) whose record was found is
 * complete: that record is now the latest complete set.
 */
static int completed(struct splice *sp)
{
	int rc = 0;

	if (sp->pending && sp->h && sp->h->complete)
		rc = sp->h->complete(sp->h->arg);
	if (rc)
		return fail(sp, rc, "handing on the ncmig record: %s",
			    strerror(-rc));
	if (sp->pending)
		sp->st->complete_sets++;
	sp->pending = false;
	sp->ours_here = false;
	return 0;
}

/*
 * recv: our optional libxc record, validated in full (envelope, length,
 * checksum, padding, then the hook parses the ncmig stream) before
 * anything after it is passed on.  Not passed on itself.
 */
static int take_opt(struct splice *sp, uint32_t len)
{
	const char *what = "the ncmig record";
	unsigned char *buf, *o;
	uint32_t slen, stored, crc;
	uint64_t t0;
	int rc;

	rc = no_found(sp);
	if (rc)
		return rc;
	if (len < NCMIG_SPLICE_OPT_HDR_LEN)
		return fail(sp, -EPROTO, "ncmig record of %u octets, under "
			    "its %u-octet header", len, NCMIG_SPLICE_OPT_HDR_LEN);
	if (len - NCMIG_SPLICE_OPT_HDR_LEN > NCMIG_STREAM_MAX)
		return fail(sp, -E2BIG, "ncmig record of %u octets, over %u",
			    len, NCMIG_SPLICE_OPT_HDR_LEN + NCMIG_STREAM_MAX);
	rc = body(sp, len, &buf, what);
	if (rc)
		return rc;
	t0 = now_us();
	window_open(sp);	/* END waits on us from here */
	o = buf;
	slen = le32_ld(o + 12);
	stored = le32_ld(o + 20);
	if (memcmp(o, OPT_IDENT, 8))
		rc = fail(sp, -EPROTO, "ncmig record without its ident "
			  "(another program's optional record of our type?)");
	else if (le16_ld(o + 8) != OPT_VERSION)
		rc = fail(sp, -EPROTO, "ncmig record version %u, not %u",
			  le16_ld(o + 8), OPT_VERSION);
	else if (le16_ld(o + 10))
		rc = fail(sp, -EPROTO, "ncmig record flags %#x",
			  le16_ld(o + 10));
	else if (slen != len - NCMIG_SPLICE_OPT_HDR_LEN)
		rc = fail(sp, -EPROTO, "ncmig record of %u octets says its "
			  "stream has %u", len, slen);
	if (!rc) {
		le32_st(o + 20, 0);
		crc = ncmig_crc32c(0, o, NCMIG_SPLICE_OPT_HDR_LEN);
		crc = ncmig_crc32c(crc, o + NCMIG_SPLICE_OPT_HDR_LEN, slen);
		le32_st(o + 20, stored);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
		/* tests/fuzz/README.md, "Past the checksums" */
		if (crc != stored)
			rc = fail(sp, -EBADMSG, "ncmig record: bad checksum "
				  "(stored %#x, computed %#x)", stored, crc);
#else
		(void)crc;
#endif
	}
	if (!rc) {
		rc = sp->h->found(sp->h->arg, o + NCMIG_SPLICE_OPT_HDR_LEN, slen);
		if (rc)
			fail(sp, rc, "the ncmig record was refused");
	}
	/* leave: validated, handed on, and passed on too (libxc skips it). */
	if (!rc && sp->h->leave) {
		unsigned char h[REC_HDR_LEN];

		le32_st(h, NCMIG_SPLICE_REC_TYPE);
		le32_st(h + 4, len);
		rc = wr(sp, h, sizeof(h));
		if (!rc)
			rc = wr(sp, buf, padded(len));
		if (!rc)
			sp->st->left++;
	} else if (!rc) {
		sp->st->removed_octets += REC_HDR_LEN + padded(len);
	}
	if (!rc) {
		sp->st->removed++;
		sp->st->capture_us = le32_ld(o + 16);
		sp->st->stream_octets = slen;
		sp->ours_here = true;
		sp->pending = true;
	}
	window_close(sp, t0, t0, !rc);
	free(buf);
	return rc;
}

static int libxl_records(struct splice *sp, bool in_checkpoint);

/*
 * libxc's CHECKPOINT has been passed on: libxc hands the fd to libxl,
 * which reads its records up to CHECKPOINT_END (libxl_stream_read.c,
 * PHASE_BUFFERING); with COLO the secondary then reads one
 * CHECKPOINT_STATE (CHECKPOINT_NEW, from its wait_checkpoint callback)
 * before libxc reads on.
 */
static int checkpoint_tail(struct splice *sp)
{
	unsigned char h[REC_HDR_LEN], body[8];
	int rc;

	rc = libxl_records(sp, true);
	if (rc)
		return rc;
	sp->st->checkpoints++;
	sp->after_ckpt = true;
	rc = completed(sp);
	if (rc || !sp->h || !sp->h->colo)
		return rc;
	rc = rd(sp, h, sizeof(h), "COLO's CHECKPOINT_STATE header");
	if (rc)
		return rc;
	if (le32_ld(h) != LIBXL_REC_CHECKPOINT_STATE || le32_ld(h + 4) != 4)
		return fail(sp, -EPROTO, "COLO stream without CHECKPOINT_STATE "
			    "after checkpoint %u (record %#x, %u octets)",
			    sp->st->checkpoints, le32_ld(h), le32_ld(h + 4));
	rc = wr(sp, h, sizeof(h));
	if (!rc)
		rc = fwd(sp, body, 8, "COLO's CHECKPOINT_STATE");
	return rc;
}

/* The libxc stream that follows LIBXC_CONTEXT, up to its END. */
static int libxc_stream(struct splice *sp)
{
	unsigned char h[LIBXC_IHDR_LEN];
	uint32_t type, len, version;
	bool sending;
	uint64_t t0;
	int rc;

	rc = fwd(sp, h, LIBXC_IHDR_LEN, "the libxc image header");
	if (rc)
		return rc;
	version = be32(h + 12);
	if (be64(h) != ~0ULL || be32(h + 8) != LIBXC_ID ||
	    version < 2 || version > 3)
		return fail(sp, -EPROTO, "not a libxc v2/v3 stream");
	if (h[16] | h[17])	/* options: big-endian, reserved */
		return fail(sp, -EPROTO, "libxc stream options not supported");
	rc = fwd(sp, h, LIBXC_DHDR_LEN, "the libxc domain header");
	if (rc)
		return rc;
	for (;;) {
		rc = rd(sp, h, REC_HDR_LEN, "a libxc record header");
		if (rc)
			return rc;
		t0 = now_us();
		type = le32_ld(h);
		len = le32_ld(h + 4);
		/*
		 * COLO's CHECKPOINT_STATE (libxl type 5, 4 octets) where a
		 * libxc record is expected: libxc's type 5 (X86_PV_VCPU_
		 * EXTENDED) is never 4 octets long, so this is a COLO stream
		 * read as Remus.  Refused rather than passed as libxc's.
		 */
		if (sp->after_ckpt && type == LIBXL_REC_CHECKPOINT_STATE &&
		    len == 4)
			return fail(sp, -EPROTO, "a COLO stream (CHECKPOINT_STATE "
				    "after checkpoint %u), not read as one",
				    sp->st->checkpoints);
		sp->after_ckpt = false;
		suspended_record(sp, type);
		if (type == LIBXC_REC_CHECKPOINT_DIRTY_PFN_LIST)
			return fail(sp, -EPROTO, "CHECKPOINT_DIRTY_PFN_LIST "
				    "in the forward stream (it belongs on COLO's "
				    "back channel)");
		if (len > LIBXC_REC_LENGTH_MAX)
			return fail(sp, -EPROTO, "libxc record %#x of %u "
				    "octets, over libxc's %u", type, len,
				    LIBXC_REC_LENGTH_MAX);
		if (type == NCMIG_SPLICE_REC_TYPE) {
			rc = take_opt(sp, len);
			if (rc)
				return rc;
			continue;
		}
		if (type == LIBXC_REC_CHECKPOINT) {
			/*
			 * The end of a checkpoint's libxc part, the domain
			 * suspended (xg_sr_save.c writes it after
			 * end_of_checkpoint): send inserts this checkpoint's
			 * record here.  With first_checkpoint_only (a
			 * receiver without ncmig) only in the first: an
			 * unmodified libxc replays the records of a later
			 * checkpoint through handle_checkpoint(), which
			 * fails on RECORD_NOT_PROCESSED.
			 */
			if (len)
				return fail(sp, -EPROTO, "CHECKPOINT with a body");
			sp->base_us = t0;	/* insert() may move it */
			sending = sp->h && sp->h->at_end;
			if (sending)
				window_open(sp);
			/* insert() passes CHECKPOINT on after ours. */
			if (sending && !(sp->h->first_checkpoint_only &&
					 sp->st->checkpoint_records))
				rc = insert(sp, t0, h);
			else
				rc = wr(sp, h, REC_HDR_LEN);
			if (sending)
				window_close(sp, t0, sp->base_us, !rc);
			if (rc)
				return rc;
			sp->st->libxc_records++;
			sp->st->checkpoint_records++;
			rc = checkpoint_tail(sp);
			if (rc)
				return rc;
			if (sp->h && sp->h->tick)
				sp->h->tick(sp->h->arg);
			continue;
		}
		if (type == LIBXC_REC_END) {
			bool ours;

			if (len)
				return fail(sp, -EPROTO, "libxc END with a body");
			/*
			 * In a checkpointed stream END abandons the checkpoint
			 * under way (libxc's restore discards what it buffered
			 * for it): nothing of ours belongs there.
			 */
			ours = sp->h && sp->h->at_end && !sp->st->checkpoint_records;
			sp->base_us = t0;	/* insert() may move it */
			if (ours)
				window_open(sp);
			/* insert() passes END on after ours. */
			rc = ours ? insert(sp, t0, h) : wr(sp, h, REC_HDR_LEN);
			if (ours)
				window_close(sp, t0, sp->base_us, !rc);
			if (rc)
				return rc;
			sp->st->libxc_records++;
			if (sp->st->checkpoint_records) {
				sp->pending = false;	/* never complete */
				return 0;
			}
			return completed(sp);
		}
		rc = wr(sp, h, REC_HDR_LEN);
		if (!rc)
			rc = copy(sp, padded(len), "a libxc record");
		if (rc)
			return rc;
		sp->st->libxc_records++;
		/* send: keep the capture current while memory goes by. */
		if (sp->h && sp->h->tick)
			sp->h->tick(sp->h->arg);
	}
}

/*
 * recv: the libxl-layer record an older `splice send` inserted before
 * libxl's END (a bare ncmig stream).  Still removed and validated.
 */
static int take_legacy(struct splice *sp, uint32_t len)
{
	unsigned char *buf;
	int rc;

	rc = no_found(sp);
	if (!rc && sp->st->removed)
		rc = fail(sp, -EEXIST, "a second ncmig record");
	if (rc)
		return rc;
	if (len > NCMIG_STREAM_MAX)
		return fail(sp, -E2BIG, "ncmig record of %u octets, over %u",
			    len, NCMIG_STREAM_MAX);
	rc = body(sp, len, &buf, "the ncmig record");
	if (rc)
		return rc;
	rc = sp->h->found(sp->h->arg, buf, len);
	if (rc)
		fail(sp, rc, "the ncmig record was refused");
	free(buf);
	if (!rc) {
		sp->st->removed++;
		sp->st->removed_octets += REC_HDR_LEN + padded(len);
		sp->st->legacy++;
		sp->st->stream_octets = len;
		sp->ours_here = sp->pending = true;
		rc = completed(sp);
	}
	return rc;
}

/*
 * libxl's records: the top level up to libxl's END, or (@in_checkpoint)
 * those of a checkpoint, up to its CHECKPOINT_END.
 */
static int libxl_records(struct splice *sp, bool in_checkpoint)
{
	unsigned char h[REC_HDR_LEN];
	uint32_t type, len;
	int rc;

	for (;;) {
		rc = rd(sp, h, sizeof(h), "a libxl record header");
		if (rc)
			return rc;
		type = le32_ld(h);
		len = le32_ld(h + 4);
		sp->st->libxl_records++;
		switch (type) {
		case LIBXL_REC_END:
			if (len)
				return fail(sp, -EPROTO, "libxl END with a body");
			if (in_checkpoint)
				return fail(sp, -EPROTO, "libxl END inside "
					    "checkpoint %u",
					    sp->st->checkpoints + 1);
			return wr(sp, h, sizeof(h));
		case LIBXL_REC_LIBXC_CONTEXT:
			if (len)
				return fail(sp, -EPROTO, "LIBXC_CONTEXT with a body");
			if (in_checkpoint)
				return fail(sp, -EPROTO, "LIBXC_CONTEXT inside "
					    "a checkpoint");
			if (sp->st->libxc_streams++)
				return fail(sp, -EPROTO, "a second LIBXC_CONTEXT");
			rc = wr(sp, h, sizeof(h));
			if (!rc)
				rc = libxc_stream(sp);
			break;
		case LIBXL_REC_CHECKPOINT_END:
			if (len)
				return fail(sp, -EPROTO, "CHECKPOINT_END with a body");
			if (!in_checkpoint)
				return fail(sp, -EPROTO, "CHECKPOINT_END outside "
					    "a checkpoint");
			return wr(sp, h, sizeof(h));
		case LIBXL_REC_CHECKPOINT_STATE:
			return fail(sp, -EPROTO, "CHECKPOINT_STATE where libxl "
				    "reads none");
		case NCMIG_SPLICE_LEGACY_TYPE:
			if (in_checkpoint || sp->st->checkpoint_records)
				return fail(sp, -EPROTO, "a libxl-layer ncmig "
					    "record in a checkpointed stream");
			rc = take_legacy(sp, len);
			break;
		default:
			rc = wr(sp, h, sizeof(h));
			if (!rc)
				rc = copy(sp, padded(len), "a libxl record");
		}
		if (rc)
			return rc;
	}
}

int ncmig_splice_filter(int in, int out, const struct ncmig_splice_hooks *h,
			struct ncmig_splice_stats *st, char *msg, size_t cap)
{
	struct splice sp = {
		.in = in, .out = out, .h = h, .st = st, .msg = msg, .cap = cap,
	};
	int rc;

	memset(st, 0, sizeof(*st));
	if (msg && cap)
		msg[0] = 0;
	ncmig_urgent_prepare(&sp.urg);
	{
		struct stat o;

		sp.out_pipe = !fstat(out, &o) && S_ISFIFO(o.st_mode);
	}
	rc = xl_header(&sp);
	if (!rc)
		rc = libxl_header(&sp);
	if (!rc)
		rc = libxl_records(&sp, false);
	/* xl's handshake ("domain is yours...") and anything else. */
	if (!rc)
		rc = copy_rest(&sp);
	/*
	 * A checkpointed stream ends when the primary stops sending (Remus
	 * and COLO fail over to the last complete checkpoint): a cut after
	 * the first CHECKPOINT is its normal end, not an error.  What was
	 * under way is dropped, as libxc and libxl drop it.
	 */
	if (rc == -EPIPE && sp.eof && st->checkpoint_records) {
		st->cut_short = 1;
		sp.pending = false;
		if (msg && cap)
			msg[0] = 0;
		rc = 0;
	}
	ncmig_urgent_release(&sp.urg);
	return rc;
}
