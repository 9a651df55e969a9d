// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd splice send|recv: a transport filter for `xl migrate -s`.
 *
 *   xl migrate -s "ncmigd splice send --domid D [--keep F] [--recv-opt O]..." \
 *       DOMAIN HOST
 *
 * xl runs "<that> HOST xl migrate-receive ..." with its stream on stdin
 * and the receiver's replies expected on stdout.  send starts the
 * receiving side ("ncmigd splice recv [O...] -- xl migrate-receive ..."
 * locally for localhost, else through ssh; with --plain "xl
 * migrate-receive ..." alone), hands it the stream with our record
 * inserted as an optional libxc record before libxc's END, and leaves
 * stdout to it.  recv validates and removes the record before xl
 * migrate-receive reads what follows it, and keeps it (--keep FILE); an
 * unmodified receiver's libxc skips it.  The files are written once the
 * stream has passed, not inside xl's suspend window.  (A --restore that ran after xl migrate-receive
 * had exited was removed: by then the guest runs here and the source is
 * gone, so a failed restore could neither stop nor undo the migration.)
 * Nothing but xl's own bytes ever reaches stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "ncmig.h"
#include "opts.h"
#include "splice_args.h"
#include "suspend_window.h"
#include "util.h"

#define MAX_RECV_OPTS 16

const char splice_usage[] =
		"usage: ncmigd splice send --domid D [--keep FILE] [--ssh CMD]\n"
		"                          [--backends] [--plain | --recv-opt OPT...]\n"
		"                          HOST COMMAND...\n"
		"       ncmigd splice recv [--keep FILE] [--leave] [--] COMMAND...\n"
		"  A transport for xl migrate -s: send inserts domain D's ncmig\n"
		"  stream as an optional libxc record before libxc's END, recv\n"
		"  removes it before COMMAND (xl migrate-receive) reads the\n"
		"  stream.  --plain: HOST runs no ncmig filter (COMMAND is started\n"
		"  alone; its libxc skips our record).  D must be the\n"
		"  domain xl migrates (its UUID in xl's config).  --backends also\n"
		"  takes its backend snapshots (quiescing its disks and vifs\n"
		"  inside xl's suspend window); without it nothing is quiesced.\n"
		"  recv --leave validates the record and passes it on instead of\n"
		"  removing it (COMMAND's libxc skips it).\n"
		"  Checkpointed streams (xl remus): one record per checkpoint,\n"
		"  before its CHECKPOINT; recv keeps the latest complete one.\n"
		"  --ssh CMD is split at blanks (\"ssh -p 2222\"); through ssh every\n"
		"  word of the remote command is quoted.  recv only keeps the\n"
		"  stream: restore it with ncmigd restore once the migration is\n"
		"  done.  Example:\n"
		"    xl migrate -s \"ncmigd splice send --domid 5 --recv-opt "
		"--keep=/var/lib/ncmig/d5.ncmig\" guest localhost\n";

/* Write @buf to @path atomically. */
static int keep(const char *path, const void *buf, size_t len)
{
	int rc = ncmigd_write_file(path, buf, len);

	if (rc > 0)
		return -EIO;
	if (rc)
		ncmig_err("splice: keeping %s: %s", path, strerror(-rc));
	return rc;
}

/* Run @argv with its stdin fed from the returned fd; stdout inherited. */
static pid_t spawn(char *const argv[], int *to_child)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(p[0], STDIN_FILENO);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		fprintf(stderr, "ncmigd: splice: exec %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(p[0]);
	*to_child = p[1];
	return pid;
}

static int wait_child(pid_t pid, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(status)) {
		if (WEXITSTATUS(status))
			ncmig_err("splice: %s exited with %d", what,
				   WEXITSTATUS(status));
		return WEXITSTATUS(status);
	}
	ncmig_err("splice: %s killed by signal %d", what, WTERMSIG(status));
	return 1;
}

/* xl migrate-receive -r (Remus) or --colo: COLO puts CHECKPOINT_STATE
 * records in the stream.
 */
static bool is_colo(char *const *cmd, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(cmd[i], "--colo"))
			return true;
	return false;
}

/* ---- send ---- */

struct send_ctx {
	uint16_t domid;
	const char *keep;
	bool backends, plain;
	unsigned char *sent;	/* a copy of what was inserted, for --keep */
	size_t sent_len;
	/*
	 * Opened at xl's header and kept: the domain's area captured
	 * there (the guest running) and kept current by a watch, so that
	 * at_end reads only what changed (ncmig_xs_live_*).
	 */
	struct ncmig_xs *x;
	struct ncmig_xs_live live;
	struct ncmig_save_ahead ahead;
	bool ahead_ok;
	/* The ticks' polls: how many re-read something, and their time. */
	unsigned int polls;
	uint64_t poll_us, last_poll_end_us, last_poll_us;
	uint64_t at_end_us;	/* when at_end was last called */
	uint64_t warmup_us;	/* ncmigd_window_prefault()'s warm-up */
	/*
	 * The stream built before the window from the live capture, as it
	 * was after @pre_events events (send_prebuild()).
	 */
	struct ncmig_writer pre;
	bool pre_ok;
	unsigned char *pre_sent;	/* --keep's copy of it, made then too */
	unsigned int pre_events;
	size_t pre_nodes;
	enum ncmig_watch_status pre_watches;
	/* What at_end inserted, said once the window is over. */
	char inserting[512];
};

static uint64_t clock_us(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

static uint64_t mono_us(void)
{
	return ncmig_now_ns() / 1000;
}

/* This thread's CPU time: a wait for the CPU shows as wall time only. */
static uint64_t cpu_us(void)
{
	return clock_us(CLOCK_THREAD_CPUTIME_ID);
}

static unsigned char *copy_of(const unsigned char *buf, size_t len)
{
	unsigned char *p = malloc(len ? len : 1);

	if (p)
		memcpy(p, buf, len);
	return p;
}

static void send_drop_prebuilt(struct send_ctx *c)
{
	if (c->pre_ok)
		ncmig_writer_free(&c->pre);
	c->pre_ok = false;
	free(c->pre_sent);
	c->pre_sent = NULL;
}

/*
 * Build now, outside the window, the stream that at_end would build
 * from the live capture: if no event comes before END, at_end passes
 * it on after one round trip (in the lab, building it in the window
 * took 5-7 ms of CPU).  Not for what only the window can read: backend
 * records (the kernel's state once suspended), a grant table, watches
 * (registering one fires no event here).  Best effort: at_end builds
 * the stream itself without it.
 */
static void send_prebuild(struct send_ctx *c)
{
	struct ncmig_save_report rep;
	struct ncmig_xs_capture cap;
	struct ncmig_writer w;

	send_drop_prebuilt(c);
	if (!c->live.ok || c->live.watches_supported || c->backends ||
	    c->ahead.gnttab || ncmig_xs_live_take(&c->live, &cap))
		return;
	ncmig_writer_init_mem(&w);
	if (ncmig_save_stream_taken(c->domid, &c->ahead, &cap, &w, &rep)) {
		ncmig_writer_free(&w);
	} else {
		c->pre = w;
		c->pre_ok = true;
		/* A malloc in the window costs page faults, hypercalls in PV. */
		c->pre_sent = c->keep ? copy_of(w.buf, w.len) : NULL;
		c->pre_events = c->live.events;
		c->pre_nodes = rep.cap.nr_nodes;
		c->pre_watches = rep.cap.watches;
	}
	ncmig_save_report_free(&rep);
}

/*
 * Before the suspend (xl's header): what is stable, and the capture
 * that at_end will bring up to date.  Without a watch (an xenstored or
 * fake that has none) at_end captures everything, as before.
 */
static int send_ahead(struct send_ctx *c)
{
	uint64_t t0 = mono_us();
	int rc;

	rc = ncmig_save_ahead(c->x, c->domid, c->backends, &c->ahead);
	if (rc)
		return rc;
	c->ahead_ok = true;
	rc = ncmig_xs_live_start(c->x, c->domid, &c->live);
	if (rc) {
		fprintf(stderr, "ncmigd: splice send: d%u: no watch on its "
			"xenstore area (%s): it is captured whole inside the "
			"suspend window\n", c->domid, strerror(-rc));
		return 0;
	}
	fprintf(stderr, "ncmigd: splice send: d%u: %zu xenstore nodes "
		"captured ahead in %llu us, watched for changes\n", c->domid,
		c->live.c.nr_bodies, (unsigned long long)(mono_us() - t0));
	send_prebuild(c);
	return 0;
}

/*
 * Waited on while no record comes, up to the first at_end (after it, in
 * a plain stream, only libxl's records follow, on the critical path;
 * a checkpointed stream's later checkpoints keep the per-record ticks).
 */
static int send_tick_fd(void *arg)
{
	struct send_ctx *c = arg;

	return c->at_end_us ? -1 : ncmig_xs_live_fd(&c->live);
}

/* Said after the window, not in it: a write to xl's log costs there. */
static void send_say_inserted(struct send_ctx *c)
{
	if (c->inserting[0])
		fputs(c->inserting, stderr);
	c->inserting[0] = 0;
}

/* After each libxc record: re-read what changed while memory goes by. */
static void send_tick(void *arg)
{
	struct send_ctx *c = arg;
	unsigned int before = c->live.rereads;
	uint64_t t0;
	int rc;

	send_say_inserted(c);	/* a checkpoint's, after its window */
	if (!c->live.ok)
		return;
	t0 = mono_us();
	rc = ncmig_xs_live_poll(&c->live);
	if (rc) {
		fprintf(stderr, "ncmigd: splice send: d%u: keeping the xenstore "
			"capture current failed (%s): it is captured whole "
			"inside the suspend window\n", c->domid, strerror(-rc));
		return;
	}
	if (c->live.rereads != before) {
		c->polls++;
		c->last_poll_end_us = mono_us();
		c->last_poll_us = c->last_poll_end_us - t0;
		c->poll_us += c->last_poll_us;
	}
	if (c->pre_ok && c->live.events != c->pre_events)
		send_prebuild(c);
}

/* xl's config names the domain it migrates: it must be --domid's. */
static int send_config(void *arg, const unsigned char *buf, size_t len)
{
	struct send_ctx *c = arg;
	unsigned char u[16], want[16];
	char text[37];
	struct ncmig_xs *x;
	int rc;

	rc = ncmig_splice_config_uuid(buf, len, text);
	if (rc) {
		ncmig_dom_err(c->domid, "splice send: xl's domain config names "
			       "no UUID (%s): cannot check --domid %u",
			       strerror(-rc), c->domid);
		return rc;
	}
	x = c->x ? c->x : ncmig_xs_open();
	if (!x) {
		rc = errno ? -errno : -EIO;
		ncmig_err("splice send: cannot open xenstore: %s", strerror(-rc));
		return rc;
	}
	c->x = x;
	rc = ncmig_xs_domain_uuid(x, c->domid, want);
	if (rc) {
		ncmig_dom_err(c->domid, "splice send: cannot read d%u's UUID: %s",
			       c->domid, strerror(-rc));
		return rc;
	}
	if (ncmig_parse_uuid(text, 36, u) || memcmp(u, want, 16)) {
		ncmig_dom_err(c->domid, "splice send: xl migrates domain UUID "
			       "%s, which is not d%u", text, c->domid);
		return -EXDEV;
	}
	return send_ahead(c);
}

/*
 * --keep's copy of what is inserted, written once the stream has passed
 * (no fsync in the suspend window); a checkpointed stream keeps the latest.
 */
static int send_keep_copy(struct send_ctx *c, const unsigned char *buf,
			  size_t len)
{
	if (!c->keep)
		return 0;
	free(c->sent);
	c->sent = copy_of(buf, len);
	c->sent_len = len;
	return c->sent ? 0 : -ENOMEM;
}

/* The "inserting" line, kept for send_say_inserted(). */
static void send_note_inserting(struct send_ctx *c, size_t len, size_t nodes,
				const char *how,
				enum ncmig_watch_status watches, int backends)
{
	snprintf(c->inserting, sizeof(c->inserting),
		 "ncmigd: splice send: d%u: inserting %zu octets: %zu "
		 "xenstore nodes (%s), watches %s, %d backend records\n",
		 c->domid, len, nodes, how,
		 ncmig_watch_status_text(watches, true),
		 backends < 0 ? 0 : backends);
}

/* at_end with the stream send_prebuild() made: it is the caller's now. */
static int send_prebuilt(struct send_ctx *c, uint64_t sync_us,
			 unsigned char **buf, size_t *len)
{
	char how[160];

	if (c->pre_sent) {
		free(c->sent);
		c->sent = c->pre_sent;
		c->sent_len = c->pre.len;
		c->pre_sent = NULL;
	} else if (send_keep_copy(c, c->pre.buf, c->pre.len)) {
		send_drop_prebuilt(c);
		return -ENOMEM;
	}
	snprintf(how, sizeof(how), "taken ahead; in the window 0 events, "
		 "0 nodes re-read, %llu us; the stream built before it",
		 (unsigned long long)sync_us);
	send_note_inserting(c, c->pre.len, c->pre_nodes, how, c->pre_watches,
			    0);
	*buf = c->pre.buf;
	*len = c->pre.len;
	c->pre_ok = false;
	return 0;
}

static int send_at_end(void *arg, unsigned char **buf, size_t *len)
{
	struct send_ctx *c = arg;
	struct ncmig_save_report rep;
	struct ncmig_xs_capture cap;
	struct ncmig_writer w;
	char how[160];
	bool live = c->live.ok;
	uint64_t t0, take_us;
	int rc;

	t0 = c->at_end_us = mono_us();
	memset(&rep, 0, sizeof(rep));
	if (!c->x)
		c->x = ncmig_xs_open();
	if (!c->x) {
		rc = errno ? -errno : -EIO;
		ncmig_err("splice send: cannot open xenstore: %s", strerror(-rc));
		return rc;
	}
	if (!c->ahead_ok) {
		rc = ncmig_save_ahead(c->x, c->domid, c->backends, &c->ahead);
		if (rc)
			return rc;
		c->ahead_ok = true;
	}
	/*
	 * Only what changed since the capture taken ahead is read here; if
	 * nothing did since the stream was built, it goes as it is.
	 */
	rc = live ? ncmig_xs_live_sync(&c->live) : -ESTALE;
	if (!rc && c->pre_ok && c->live.events == c->pre_events)
		return send_prebuilt(c, mono_us() - t0, buf, len);
	send_drop_prebuilt(c);
	if (!rc)
		rc = ncmig_xs_live_copy(&c->live, &cap);
	take_us = mono_us() - t0;
	if (rc && live)
		fprintf(stderr, "ncmigd: splice send: d%u: the capture taken "
			"ahead cannot be brought up to date (%s): capturing "
			"afresh\n", c->domid, strerror(-rc));
	if (rc) {
		live = false;
		rc = ncmig_xs_capture(c->x, c->domid, &cap);
		if (rc) {
			ncmig_dom_err(c->domid, "capturing /local/domain/%u: %s",
				       c->domid, strerror(-rc));
			return rc;
		}
	}
	ncmig_writer_init_mem(&w);
	rc = ncmig_save_stream_taken(c->domid, &c->ahead, &cap, &w, &rep);
	if (live)
		snprintf(how, sizeof(how), "taken ahead; in the window %u "
			 "events, %u nodes re-read, %llu us", c->live.take_events,
			 c->live.take_nodes, (unsigned long long)take_us);
	else
		snprintf(how, sizeof(how), "captured whole in the window");
	if (!rc)
		rc = send_keep_copy(c, w.buf, w.len);
	if (!rc) {
		send_note_inserting(c, w.len, rep.cap.nr_nodes, how,
				    rep.cap.watches, rep.backends);
		*buf = w.buf;
		*len = w.len;
	} else {
		ncmig_writer_free(&w);
	}
	ncmig_save_report_free(&rep);
	return rc;
}

struct send_opts {
	struct send_ctx *ctx;
	const char *ssh;
	const char *recv_opts[MAX_RECV_OPTS];
	int nopts;
};

static int send_opt(int c, const char *arg, void *ctx)
{
	struct send_opts *o = ctx;

	switch (c) {
	case 'k':
		o->ctx->keep = arg;
		return 0;
	case 's':
		o->ssh = arg;
		return 0;
	case 'r':
		if (o->nopts == MAX_RECV_OPTS)
			return 2;
		o->recv_opts[o->nopts++] = arg;
		return 0;
	case 'B':
		o->ctx->backends = true;
		return 0;
	case 'P':
		o->ctx->plain = true;
		return 0;
	}
	return 2;
}

static int splice_send(int argc, char **argv)
{
	static const struct option own[] = {
		{ "keep", required_argument, NULL, 'k' },
		{ "ssh", required_argument, NULL, 's' },
		{ "recv-opt", required_argument, NULL, 'r' },
		{ "backends", no_argument, NULL, 'B' },
		{ "plain", no_argument, NULL, 'P' },
		{ 0 }
	};
	struct send_ctx ctx = { 0 };
	struct send_opts so = { .ctx = &ctx, .ssh = "ssh" };
	/* "+": stop at HOST; what follows is the receiver's command. */
	const struct ncmigd_verb v = {
		.name = "splice send", .usage = splice_usage, .own = own,
		.shared = NCMIGD_OPT_DOMID, .shortopts = "+",
		.opt = send_opt, .ctx = &so,
	};
	struct ncmig_splice_hooks hooks = { .at_end = send_at_end,
					    .config = send_config,
					    .tick = send_tick,
					    .tick_fd = send_tick_fd, .arg = &ctx };
	struct ncmig_splice_stats st;
	struct ncmigd_args a;
	char msg[300], **cargv;
	int to, rc, status;
	bool local;
	pid_t pid;

	rc = ncmigd_parse(&v, argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (!a.has_domid || argc - optind < 2 || (ctx.plain && so.nopts))
		return ncmigd_usage_error(&v);
	ctx.domid = a.domid;
	local = !strcmp(argv[optind], "localhost") ||
		!strcmp(argv[optind], "127.0.0.1") || !strcmp(argv[optind], "-");
	hooks.colo = is_colo(argv + optind + 1, argc - optind - 1);
	hooks.first_checkpoint_only = ctx.plain;
	cargv = ncmigd_splice_recv_argv(so.ssh, argv[optind], local, ctx.plain,
					so.recv_opts, so.nopts, argv + optind + 1,
					argc - optind - 1);
	if (!cargv)
		return 1;

	signal(SIGPIPE, SIG_IGN);
	pid = spawn(cargv, &to);
	ncmigd_splice_argv_free(cargv);
	if (pid < 0) {
		ncmig_err("splice send: cannot start the receiver: %s",
			   strerror(errno));
		return 1;
	}
	/* After the fork: mlockall then breaks its copy-on-write too. */
	ctx.warmup_us = ncmigd_window_prefault("splice send");
	rc = ncmig_splice_filter(STDIN_FILENO, to, &hooks, &st, msg,
				 sizeof(msg));
	close(to);
	send_say_inserted(&ctx);
	if (ctx.polls && ctx.at_end_us >= ctx.last_poll_end_us)
		fprintf(stderr, "ncmigd: splice send: d%u: kept the capture "
			"current: %u polls re-read %u subtrees (%u nodes) in "
			"%llu us; the last took %llu us and ended %llu us "
			"before libxc's END\n", ctx.domid, ctx.polls,
			ctx.live.rereads, ctx.live.nodes_reread,
			(unsigned long long)ctx.poll_us,
			(unsigned long long)ctx.last_poll_us,
			(unsigned long long)(ctx.at_end_us -
					     ctx.last_poll_end_us));
	ncmig_xs_live_free(&ctx.live);
	send_drop_prebuilt(&ctx);
	ncmig_xs_close(ctx.x);
	ctx.x = NULL;
	if (!rc && st.inserted && ctx.keep &&
	    keep(ctx.keep, ctx.sent, ctx.sent_len))
		rc = -EIO;
	status = wait_child(pid, "the receiving side");
	if (rc) {
		ncmig_dom_err(ctx.domid, "splice send: %s",
			       msg[0] ? msg : "keeping failed");
		free(ctx.sent);
		return 1;
	}
	if (!st.inserted) {
		ncmig_dom_err(ctx.domid, "splice send: no libxc END seen, "
			       "nothing inserted");
		free(ctx.sent);
		return 1;
	}
	free(ctx.sent);
	fprintf(stderr, "ncmigd: splice send: d%u: %llu octets in, %llu out, "
		"%u libxl and %u libxc records%s\n", ctx.domid,
		(unsigned long long)st.in_octets,
		(unsigned long long)st.out_octets, st.libxl_records,
		st.libxc_records, ctx.plain ? ", to a plain receiver" : "");
	if (st.checkpoint_records)
		fprintf(stderr, "ncmigd: splice send: d%u: checkpointed stream: "
			"%u checkpoints, %u records inserted%s\n", ctx.domid,
			st.checkpoints, st.inserted,
			st.cut_short ? ", cut short" : "");
	/* What the guest's suspend window grew by on this side (the
	 * longest of them, for a checkpointed stream), and apart the time
	 * the receiver took after END for what libxc had sent before it.
	 */
	fprintf(stderr, "ncmigd: splice send: d%u: added_suspend_us=%llu "
		"(capture %llu us, %llu-octet stream; warm-up before the "
		"window %llu us; from END's arrival %llu us, of which the "
		"receiver took %llu us for the %llu octets queued before "
		"it; %llu us on the CPU, %llu us waiting for one, %s%s)\n",
		ctx.domid,
		(unsigned long long)st.added_us,
		(unsigned long long)st.capture_us,
		(unsigned long long)st.stream_octets,
		(unsigned long long)ctx.warmup_us,
		(unsigned long long)st.raw_added_us,
		(unsigned long long)st.backlog_us,
		(unsigned long long)st.backlog_octets,
		(unsigned long long)st.cpu_us,
		(unsigned long long)st.runq_us,
		st.not_urgent ? "not real-time" :
		"real-time", st.raised_early ? ", raised before END" : "");
	return status ? 1 : 0;
}

/* ---- recv ---- */

/*
 * recv: the record last found (pending) and the latest complete set
 * (kept): in a checkpointed stream a set counts once its checkpoint's
 * CHECKPOINT_END has passed, in a plain one once libxc's END has.
 */
struct recv_ctx {
	const char *keep;
	unsigned char *pending, *kept;
	size_t pending_len, kept_len;
	uint16_t pending_domid, kept_domid;
	bool leave;
	char pending_note[160];
	uint64_t parse_us;	/* the last record's ncmig_stream_parse() */
	uint64_t parse_cpu_us;	/* of that, on the CPU */
	uint64_t warmup_us;	/* ncmigd_window_prefault()'s warm-up */
};

static int recv_found(void *arg, const unsigned char *buf, size_t len)
{
	struct recv_ctx *c = arg;
	struct ncmig_stream_err err;
	struct ncmig_stream s;
	uint64_t t0, cpu0;
	int rc;

	/* Strict: a damaged record stops the migration. */
	t0 = mono_us();
	cpu0 = cpu_us();
	rc = ncmig_stream_parse(buf, len, &s, &err);
	c->parse_cpu_us = cpu_us() - cpu0;
	c->parse_us = mono_us() - t0;
	if (rc) {
		ncmig_err("splice recv: invalid ncmig stream: %s", err.msg);
		return rc;
	}
	/* Printed once its set is complete: END is not held for it. */
	snprintf(c->pending_note, sizeof(c->pending_note),
		 "removed the stream of d%u: %zu octets, %zu nodes, %zu "
		 "watches, %zu backend records", s.domid, len, s.nr_nodes,
		 s.nr_watches, s.nr_backends);
	free(c->pending);
	c->pending = malloc(len ? len : 1);
	if (!c->pending) {
		ncmig_stream_free(&s);
		return -ENOMEM;
	}
	memcpy(c->pending, buf, len);
	c->pending_len = len;
	c->pending_domid = s.domid;
	ncmig_stream_free(&s);
	return 0;
}

static int recv_complete(void *arg)
{
	struct recv_ctx *c = arg;

	fprintf(stderr, "ncmigd: splice recv: %s\n", c->pending_note);
	free(c->kept);
	c->kept = c->pending;
	c->kept_len = c->pending_len;
	c->kept_domid = c->pending_domid;
	c->pending = NULL;
	return 0;
}


static int recv_opt(int c, const char *arg, void *ctx)
{
	struct recv_ctx *r = ctx;

	if (c == 'l') {
		r->leave = true;
		return 0;
	}
	if (c != 'k')
		return 2;
	r->keep = arg;
	return 0;
}

static int splice_recv(int argc, char **argv)
{
	static const struct option own[] = {
		{ "keep", required_argument, NULL, 'k' },
		{ "leave", no_argument, NULL, 'l' },
		{ 0 }
	};
	struct recv_ctx ctx = { 0 };
	const struct ncmigd_verb v = {
		.name = "splice recv", .usage = splice_usage, .own = own,
		.shortopts = "+", .opt = recv_opt, .ctx = &ctx,
	};
	struct ncmig_splice_hooks hooks = { .found = recv_found,
					    .complete = recv_complete,
					    .arg = &ctx };
	struct ncmig_splice_stats st;
	struct ncmigd_args a;
	char msg[300];
	int to, rc, status;
	pid_t pid;

	rc = ncmigd_parse(&v, argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (optind >= argc)
		return ncmigd_usage_error(&v);
	hooks.colo = is_colo(argv + optind, argc - optind);
	hooks.leave = ctx.leave;
	signal(SIGPIPE, SIG_IGN);
	pid = spawn(argv + optind, &to);
	if (pid < 0) {
		ncmig_err("splice recv: cannot start %s: %s", argv[optind],
			   strerror(errno));
		return 1;
	}
	ctx.warmup_us = ncmigd_window_prefault("splice recv");
	rc = ncmig_splice_filter(STDIN_FILENO, to, &hooks, &st, msg,
				 sizeof(msg));
	close(to);
	/* Kept only a complete set, from a stream that passed. */
	if (!rc && ctx.kept && ctx.keep &&
	    keep(ctx.keep, ctx.kept, ctx.kept_len))
		rc = -EIO;
	/*
	 * Said before the wait: after a Remus failover the receiving xl
	 * runs on as the domain's, and may be killed before it exits.
	 */
	if (!rc && st.checkpoint_records)
		fprintf(stderr, "ncmigd: splice recv: checkpointed stream: %u "
			"checkpoints complete, %u ncmig records removed, %u "
			"complete sets%s; kept the latest (d%u)\n",
			st.checkpoints, st.removed, st.complete_sets,
			st.cut_short ? ", cut short (failover)" : "",
			ctx.kept_domid);
	status = wait_child(pid, argv[optind]);
	if (rc) {
		ncmig_err("splice recv: %s", msg[0] ? msg : "keeping failed");
	} else if (!st.removed) {
		ncmig_err("splice recv: the stream carried no ncmig record");
	} else if (!ctx.kept) {
		ncmig_err("splice recv: no checkpoint with an ncmig record "
			  "completed: nothing kept");
	} else {
		fprintf(stderr, "ncmigd: splice recv: %s record; "
			"validating it held the stream %llu us (parse %llu us, "
			"%llu us on the CPU, after a warm-up of %llu us; "
			"waited %llu us for a CPU, %s; "
			"sender's capture %llu us)\n",
			st.legacy ? "a libxl-layer (older ncmigd)" :
			"an optional libxc",
			(unsigned long long)st.added_us,
			(unsigned long long)ctx.parse_us,
			(unsigned long long)ctx.parse_cpu_us,
			(unsigned long long)ctx.warmup_us,
			(unsigned long long)st.runq_us,
			st.not_urgent ? "not real-time" : "real-time",
			(unsigned long long)st.capture_us);
	}
	free(ctx.kept);
	free(ctx.pending);
	return rc || status ? 1 : 0;
}

int cmd_splice(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return splice_send(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "recv"))
		return splice_recv(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		fputs(splice_usage, stdout);
		return 0;
	}
	fputs(splice_usage, stderr);
	return 2;
}
