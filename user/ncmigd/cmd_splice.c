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
 * locally for localhost, else through ssh), hands it the stream with our
 * record inserted before libxl's END, and leaves stdout to it.  recv
 * removes the record before xl migrate-receive reads the stream, and
 * keeps it (--keep FILE) and/or restores its xenstore part onto the new
 * domain once the migration is done (--restore).  Nothing but xl's own
 * bytes ever reaches stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "save_stream.h"
#include "splice.h"
#include "stream.h"
#include "util.h"
#include "xs_domain.h"

#define MAX_RECV_OPTS 16

static void splice_usage(FILE *f)
{
	fprintf(f,
		"usage: ncmigd splice send --domid D [--keep FILE] [--ssh CMD]\n"
		"                          [--recv-opt OPT]... HOST COMMAND...\n"
		"       ncmigd splice recv [--keep FILE] [--restore [--domid D]]\n"
		"                          [--] COMMAND...\n"
		"  A transport for xl migrate -s: send inserts domain D's ncmig\n"
		"  stream before libxl's END record, recv removes it before\n"
		"  COMMAND (xl migrate-receive) reads the stream.  Example:\n"
		"    xl migrate -s \"ncmigd splice send --domid 5 --recv-opt "
		"--keep=/var/lib/ncmig/d5.ncmig\" guest localhost\n");
}

/* Write @buf to @path atomically. */
static int keep(const char *path, const void *buf, size_t len)
{
	char *tmp = NULL;
	int fd, rc;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	fd = ncmigd_open_stream(tmp, -1, true);
	if (fd < 0) {
		free(tmp);
		return -EIO;
	}
	rc = ncmigd_write_all(fd, buf, len);
	if (!rc && fsync(fd))
		rc = -errno;
	close(fd);
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		ncmigd_err("splice: keeping %s: %s", path, strerror(-rc));
	}
	free(tmp);
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
			ncmigd_err("splice: %s exited with %d", what,
				   WEXITSTATUS(status));
		return WEXITSTATUS(status);
	}
	ncmigd_err("splice: %s killed by signal %d", what, WTERMSIG(status));
	return 1;
}

/* ---- send ---- */

struct send_ctx {
	uint16_t domid;
	const char *keep;
};

static int send_at_end(void *arg, unsigned char **buf, size_t *len)
{
	struct send_ctx *c = arg;
	struct ncmigd_save_report rep;
	struct ncmig_writer w;
	struct ncmig_xs *x = ncmig_xs_open();
	int rc;

	if (!x) {
		rc = errno ? -errno : -EIO;
		ncmigd_err("splice send: cannot open xenstore: %s", strerror(-rc));
		return rc;
	}
	ncmig_writer_init_mem(&w);
	rc = ncmigd_save_stream(x, c->domid, true, &w, &rep);
	ncmig_xs_close(x);
	if (!rc && c->keep)
		rc = keep(c->keep, w.buf, w.len);
	if (!rc) {
		fprintf(stderr, "ncmigd: splice send: d%u: inserting %zu octets: "
			"%zu xenstore nodes, watches %s, %d backend records\n",
			c->domid, w.len, rep.cap.nr_nodes,
			ncmig_watch_status_text(rep.cap.watches, true),
			rep.backends < 0 ? 0 : rep.backends);
		*buf = w.buf;
		*len = w.len;
	} else {
		ncmig_writer_free(&w);
	}
	ncmigd_save_report_free(&rep);
	return rc;
}

static int splice_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domid", required_argument, NULL, 'd' },
		{ "keep", required_argument, NULL, 'k' },
		{ "ssh", required_argument, NULL, 's' },
		{ "recv-opt", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *ssh = "ssh", *recv_opts[MAX_RECV_OPTS];
	struct send_ctx ctx = { 0 };
	struct ncmig_splice_hooks hooks = { .at_end = send_at_end, .arg = &ctx };
	struct ncmig_splice_stats st;
	char msg[300], **cargv;
	int c, nopts = 0, to, rc, status, i, n = 0;
	bool have_domid = false, local;
	pid_t pid;

	optind = 1;
	/* "+": stop at HOST; what follows is the receiver's command. */
	while ((c = getopt_long(argc, argv, "+d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!ncmigd_parse_domid(optarg, &ctx.domid)) {
				ncmigd_err("splice send: bad domid \"%s\"", optarg);
				return 2;
			}
			have_domid = true;
			break;
		case 'k':
			ctx.keep = optarg;
			break;
		case 's':
			ssh = optarg;
			break;
		case 'r':
			if (nopts == MAX_RECV_OPTS)
				return 2;
			recv_opts[nopts++] = optarg;
			break;
		case 'h':
			splice_usage(stdout);
			return 0;
		default:
			splice_usage(stderr);
			return 2;
		}
	}
	if (!have_domid || argc - optind < 2) {
		splice_usage(stderr);
		return 2;
	}
	local = !strcmp(argv[optind], "localhost") ||
		!strcmp(argv[optind], "127.0.0.1") || !strcmp(argv[optind], "-");
	cargv = calloc((size_t)(argc + nopts + 8), sizeof(*cargv));
	if (!cargv)
		return 1;
	if (!local) {
		cargv[n++] = (char *)ssh;
		cargv[n++] = argv[optind];
		cargv[n++] = "ncmigd";
	} else {
		cargv[n++] = "/proc/self/exe";
	}
	cargv[n++] = "splice";
	cargv[n++] = "recv";
	for (i = 0; i < nopts; i++)
		cargv[n++] = (char *)recv_opts[i];
	cargv[n++] = "--";
	for (i = optind + 1; i < argc; i++)
		cargv[n++] = argv[i];

	signal(SIGPIPE, SIG_IGN);
	pid = spawn(cargv, &to);
	free(cargv);
	if (pid < 0) {
		ncmigd_err("splice send: cannot start the receiver: %s",
			   strerror(errno));
		return 1;
	}
	rc = ncmig_splice_filter(STDIN_FILENO, to, &hooks, &st, msg,
				 sizeof(msg));
	close(to);
	status = wait_child(pid, "the receiving side");
	if (rc) {
		ncmigd_dom_err(ctx.domid, "splice send: %s", msg);
		return 1;
	}
	if (!st.inserted) {
		ncmigd_dom_err(ctx.domid, "splice send: no libxl END seen, "
			       "nothing inserted");
		return 1;
	}
	fprintf(stderr, "ncmigd: splice send: d%u: %llu octets in, %llu out, "
		"%u libxl and %u libxc records\n", ctx.domid,
		(unsigned long long)st.in_octets,
		(unsigned long long)st.out_octets, st.libxl_records,
		st.libxc_records);
	return status ? 1 : 0;
}

/* ---- recv ---- */

struct recv_ctx {
	const char *keep;
	unsigned char *kept;
	size_t kept_len;
};

static int recv_found(void *arg, const unsigned char *buf, size_t len)
{
	struct recv_ctx *c = arg;
	struct ncmig_stream_err err;
	struct ncmig_stream s;
	int rc;

	if (c->kept) {
		ncmigd_err("splice recv: a second ncmig record");
		return -EEXIST;
	}
	/* Strict: a damaged record stops the migration. */
	rc = ncmig_stream_parse(buf, len, &s, &err);
	if (rc) {
		ncmigd_err("splice recv: invalid ncmig stream: %s", err.msg);
		return rc;
	}
	fprintf(stderr, "ncmigd: splice recv: removed the stream of d%u: "
		"%zu octets, %zu nodes, %zu watches, %zu backend records\n",
		s.domid, len, s.nr_nodes, s.nr_watches, s.nr_backends);
	ncmig_stream_free(&s);
	c->kept = malloc(len ? len : 1);
	if (!c->kept)
		return -ENOMEM;
	memcpy(c->kept, buf, len);
	c->kept_len = len;
	return c->keep ? keep(c->keep, buf, len) : 0;
}

/* The domain whose name node equals the saved one's: the migrated one. */
static int find_by_name(struct ncmig_xs *x, const struct ncmig_stream *s,
			uint16_t *domid)
{
	const struct ncmig_xs_node *name = NULL;
	unsigned int i, n, len;
	char **doms, path[64];
	uint16_t found = 0;
	void *v;
	size_t k;

	for (k = 0; k < s->nr_nodes; k++)
		if (!strcmp(s->nodes[k].path, "name"))
			name = &s->nodes[k];
	if (!name || x->ops->directory(x, "/local/domain", &doms, &n))
		return -ENOENT;
	for (i = 0; i < n; i++) {
		uint16_t d;

		if (!ncmigd_parse_domid(doms[i], &d))
			continue;
		snprintf(path, sizeof(path), "/local/domain/%u/name", d);
		if (x->ops->read(x, path, &v, &len))
			continue;
		if (len == name->value_len && !memcmp(v, name->value, len))
			found = d;
		free(v);
	}
	free(doms);
	if (!found)
		return -ENOENT;
	*domid = found;
	return 0;
}

static int recv_restore(const struct recv_ctx *c, uint16_t domid)
{
	struct ncmig_stream_err err;
	struct ncmig_xs_restore r;
	struct ncmig_stream s;
	struct ncmig_xs *x;
	int rc;

	if (ncmig_stream_parse(c->kept, c->kept_len, &s, &err))
		return -EINVAL;
	x = ncmig_xs_open();
	if (!x) {
		ncmig_stream_free(&s);
		return -EIO;
	}
	rc = domid ? 0 : find_by_name(x, &s, &domid);
	if (rc)
		ncmigd_err("splice recv: no domain named like d%u's", s.domid);
	else
		rc = ncmig_xs_restore(x, &s, domid, false, &r);
	if (!rc)
		fprintf(stderr, "ncmigd: splice recv: d%u: restored %zu nodes "
			"from d%u, left %zu existing ones; watches %s\n", domid,
			r.nr_nodes, s.domid, r.nr_existing,
			ncmig_watch_status_text(r.watches, false));
	ncmig_xs_close(x);
	ncmig_stream_free(&s);
	return rc;
}

static int splice_recv(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keep", required_argument, NULL, 'k' },
		{ "restore", no_argument, NULL, 'R' },
		{ "domid", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct recv_ctx ctx = { 0 };
	struct ncmig_splice_hooks hooks = { .found = recv_found, .arg = &ctx };
	struct ncmig_splice_stats st;
	bool restore = false;
	uint16_t domid = 0;
	char msg[300];
	int c, to, rc, status;
	pid_t pid;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			ctx.keep = optarg;
			break;
		case 'R':
			restore = true;
			break;
		case 'd':
			if (!ncmigd_parse_domid(optarg, &domid)) {
				ncmigd_err("splice recv: bad domid \"%s\"", optarg);
				return 2;
			}
			break;
		case 'h':
			splice_usage(stdout);
			return 0;
		default:
			splice_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		splice_usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	pid = spawn(argv + optind, &to);
	if (pid < 0) {
		ncmigd_err("splice recv: cannot start %s: %s", argv[optind],
			   strerror(errno));
		return 1;
	}
	rc = ncmig_splice_filter(STDIN_FILENO, to, &hooks, &st, msg,
				 sizeof(msg));
	close(to);
	status = wait_child(pid, argv[optind]);
	if (rc)
		ncmigd_err("splice recv: %s", msg);
	else if (!st.removed)
		ncmigd_err("splice recv: the stream carried no ncmig record");
	else if (!status && restore && recv_restore(&ctx, domid))
		status = 1;
	free(ctx.kept);
	return rc || status ? 1 : 0;
}

int cmd_splice(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return splice_send(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "recv"))
		return splice_recv(argc - 1, argv + 1);
	splice_usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
	return 2;
}
