// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd handover: hand a domain's backends from one backend instance to
 * the next, on this host, without the frontends noticing:
 *
 *   QUIESCE -> SNAPSHOT into a stream -> RELEASE
 *   -> [rmmod + insmod/modprobe of the backend modules]
 *   -> RESTORE from the stream, re-read and validated
 *
 * One netlink socket carries the whole handover: its port owns the
 * kernel's session, so if ncmigd dies while the domain is quiesced the
 * kernel resumes it. Any failure here resumes the guest before exiting
 * non-zero: RESUME while only quiesced, RESTORE from the records once
 * released.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "include/uapi/linux/xen_ncmig.h"
#include "json.h"
#include "nl.h"
#include "stream.h"
#include "util.h"

struct handover {
	uint16_t domid;
	bool reload, json;
	const char *module_dir;
	uint32_t timeout_ms, deadline_ms;
	struct nl_sock *nl;
	struct nl_status st;
	struct nl_reply *quiesce;	/* reply: per device drain, start */
	struct nl_reply *restore;	/* reply: per device done, blackout */
	struct ncmig_writer w;
	unsigned int nr_records;
	bool released;			/* RELEASE was sent */
	const char *pause_after;	/* tests: stop here until killed */
	uint32_t hold_ms;		/* tests: wait between release and restore */
	uint64_t t_start, t_end;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The kernel's message names domain and device; say which step failed. */
static void report(const struct handover *h, const char *step)
{
	const char *msg = h->st.msg[0] ? h->st.msg : strerror(-h->st.err);
	char prefix[16];

	snprintf(prefix, sizeof(prefix), "d%u", h->domid);
	if (!strncmp(msg, prefix, strlen(prefix)))
		ncmigd_err("%s: %s failed (%s)", msg, step,
			   strerror(-h->st.err));
	else
		ncmigd_dom_err(h->domid, "%s failed: %s (%s)", step, msg,
			       strerror(-h->st.err));
}

static int run(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (!pid) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static bool has_kind(const struct nl_reply *r, uint32_t kind)
{
	unsigned int i;

	for (i = 0; i < r->nr_devs; i++)
		if (r->devs[i].kind == kind)
			return true;
	return false;
}

/*
 * Unload and load again the backend modules the domain uses. rmmod fails
 * while any other domain's device is bound to the module: that is the
 * safety net, not an error to force through.
 */
static int reload_modules(struct handover *h)
{
	static const struct { uint32_t kind; const char *mod, *file; } mods[] = {
		{ XEN_NCMIG_KIND_VBD, "xen_blkback", "xen-blkback.ko" },
		{ XEN_NCMIG_KIND_VIF, "xen_netback", "xen-netback.ko" },
	};
	char path[4096];
	int rc = 0;
	size_t i;

	for (i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		char *rmmod[] = { "rmmod", (char *)mods[i].mod, NULL };

		if (!has_kind(h->quiesce, mods[i].kind))
			continue;
		if (run(rmmod)) {
			ncmigd_dom_err(h->domid, "rmmod %s failed",
				       mods[i].mod);
			rc = -EBUSY;
		}
	}
	/* Load even after a failed rmmod: RESTORE needs the backends. */
	for (i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		char *insmod[] = { "insmod", path, NULL };
		char *modprobe[] = { "modprobe", (char *)mods[i].mod, NULL };
		int err;

		if (!has_kind(h->quiesce, mods[i].kind))
			continue;
		if (h->module_dir) {
			snprintf(path, sizeof(path), "%s/%s", h->module_dir,
				 mods[i].file);
			err = run(insmod);
			/* Still loaded (rmmod failed) is fine for insmod. */
			if (err && rc == -EBUSY)
				err = 0;
		} else {
			err = run(modprobe);
		}
		if (err) {
			ncmigd_dom_err(h->domid, "loading %s failed",
				       mods[i].mod);
			rc = rc ? rc : -EIO;
		}
	}
	return rc;
}

static int record_cb(uint32_t kind, uint32_t devid, const void *rec,
		     size_t len, void *arg)
{
	struct handover *h = arg;
	int err;

	err = ncmig_write_backend(&h->w, rec, len);
	if (err) {
		ncmigd_dev_err(h->domid, ncmigd_kind_name(kind), devid,
			       "kernel record refused by the stream writer: %s",
			       strerror(-err));
		return err;
	}
	h->nr_records++;
	return 0;
}

/* Re-read the stream and RESTORE every backend record in it. */
static int restore_from_stream(struct handover *h)
{
	struct ncmig_stream_err serr;
	struct ncmig_stream s;
	const void **recs = NULL;
	size_t *lens = NULL;
	size_t i;
	int err;

	err = ncmig_stream_parse(h->w.buf, h->w.len, &s, &serr);
	if (err) {
		ncmigd_dom_err(h->domid, "stream: %s", serr.msg);
		return err;
	}
	if (s.nr_backends) {
		recs = calloc(s.nr_backends, sizeof(*recs));
		lens = calloc(s.nr_backends, sizeof(*lens));
		if (!recs || !lens) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < s.nr_backends; i++) {
		recs[i] = s.backends[i].rec;
		lens[i] = s.backends[i].len;
	}
	err = nl_restore(h->nl, h->domid, recs, lens,
			 (unsigned int)s.nr_backends, h->restore, &h->st);
	if (err)
		report(h, "RESTORE");
out:
	free(recs);
	free(lens);
	ncmig_stream_free(&s);
	return err;
}

/* Leave the guest running, whatever step failed. */
static void recover(struct handover *h)
{
	struct nl_status st0 = h->st;
	int err;

	if (!h->released) {
		err = nl_resume(h->nl, h->domid, h->restore, &h->st);
		if (err && err != -ENOENT)
			report(h, "RESUME (recovery)");
		else
			ncmigd_dom_err(h->domid, "resumed in place");
	} else if (h->w.len && !h->w.err) {
		if (!restore_from_stream(h))
			ncmigd_dom_err(h->domid, "restored from the records");
	} else {
		ncmigd_dom_err(h->domid,
			       "released without a stream: the guest waits for RESTORE");
	}
	h->st = st0;
}

static const struct nl_dev *find_dev(const struct nl_reply *r, uint32_t kind,
				     uint32_t devid)
{
	unsigned int i;

	for (i = 0; i < r->nr_devs; i++)
		if (r->devs[i].kind == kind && r->devs[i].devid == devid)
			return &r->devs[i];
	return NULL;
}

static void print_result(const struct handover *h)
{
	const struct nl_reply *q = h->quiesce;
	struct json j;
	unsigned int i;

	if (h->json) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kv_u64(&j, "domid", h->domid);
		json_kv_bool(&j, "reload", h->reload);
		json_kv_u64(&j, "total_ns", h->t_end - h->t_start);
		json_key(&j, "devices");
		json_arr_begin(&j);
	}
	for (i = 0; i < q->nr_devs; i++) {
		const struct nl_dev *d = &q->devs[i];
		const struct nl_dev *r = find_dev(h->restore, d->kind, d->devid);
		uint64_t blackout = 0;

		if (r && r->has_blackout)
			blackout = r->blackout_ns;
		else if (r && r->done_ns > d->start_ns)
			blackout = r->done_ns - d->start_ns;
		if (h->json) {
			json_obj_begin(&j);
			json_kv_str(&j, "kind", ncmigd_kind_name(d->kind));
			json_kv_u64(&j, "devid", d->devid);
			json_kv_u64(&j, "drain_ns", d->drain_ns);
			json_kv_u64(&j, "blackout_ns", blackout);
			json_obj_end(&j);
		} else {
			printf("d%u %s %u: drain_ms=%.3f blackout_ms=%.3f\n",
			       h->domid, ncmigd_kind_name(d->kind), d->devid,
			       d->drain_ns / 1e6, blackout / 1e6);
		}
	}
	if (h->json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_finish(&j);
	} else {
		printf("d%u: handover devices=%u reload=%d total_ms=%.3f\n",
		       h->domid, q->nr_devs, h->reload,
		       (h->t_end - h->t_start) / 1e6);
	}
}

/*
 * For the tests of the kernel's watchdog: after @step, wait to be killed
 * while holding the session.
 */
static void maybe_pause(const struct handover *h, const char *step)
{
	if (!h->pause_after || strcmp(h->pause_after, step))
		return;
	printf("d%u: paused after %s\n", h->domid, step);
	fflush(stdout);
	for (;;)
		pause();
}

static int handover(struct handover *h)
{
	int err;

	h->t_start = now_ns();
	err = nl_quiesce(h->nl, h->domid, h->timeout_ms, h->deadline_ms,
			 h->quiesce, &h->st);
	if (err) {
		/* The kernel resumed whatever it had quiesced. */
		report(h, "QUIESCE");
		return err;
	}
	maybe_pause(h, "quiesce");

	ncmig_writer_init_mem(&h->w);
	ncmig_write_header(&h->w);
	ncmig_write_domain(&h->w, h->domid, NCMIG_DOM_F_BACKENDS);
	err = nl_snapshot(h->nl, h->domid, record_cb, h, &h->st);
	if (err) {
		report(h, "SNAPSHOT");
		goto fail;
	}
	err = ncmig_write_end(&h->w);
	if (!err)
		err = h->w.err;
	if (err) {
		ncmigd_dom_err(h->domid, "stream: %s", strerror(-err));
		goto fail;
	}
	maybe_pause(h, "snapshot");

	h->released = true;
	err = nl_release(h->nl, h->domid, h->restore, &h->st);
	if (err) {
		report(h, "RELEASE");
		goto fail;
	}
	maybe_pause(h, "release");

	if (h->reload && reload_modules(h))
		err = -EIO;	/* still restore, then fail */
	if (h->hold_ms)
		usleep(h->hold_ms * 1000ULL);

	if (restore_from_stream(h)) {
		/* Once more: a freshly loaded backend may need a moment. */
		usleep(200 * 1000);
		if (restore_from_stream(h))
			return -EIO;
	}
	h->t_end = now_ns();
	print_result(h);
	return err;
fail:
	recover(h);
	return err;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ncmigd handover --domid D [--reload-modules] [--module-dir DIR]\n"
		"                       [--timeout-ms N] [--deadline-ms N] [--json]\n"
		"  --reload-modules  rmmod and load again the backends D uses\n"
		"  --module-dir DIR  insmod DIR/xen-blkback.ko... (else modprobe)\n"
		"  --timeout-ms N    drain bound per device (kernel default 5000)\n"
		"  --deadline-ms N   resume by itself if not released by then\n"
		"  --pause-after quiesce|snapshot|release\n"
		"                    (tests) stop there, holding the session, until killed\n"
		"  --hold-ms N       (tests) wait N ms between release and restore,\n"
		"                    as a slow module load would\n");
}

int cmd_handover(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domid", required_argument, NULL, 'd' },
		{ "reload-modules", no_argument, NULL, 'r' },
		{ "module-dir", required_argument, NULL, 'm' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "deadline-ms", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "pause-after", required_argument, NULL, 'p' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct handover h = { 0 };
	bool have_domid = false;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!ncmigd_parse_domid(optarg, &h.domid))
				goto bad;
			have_domid = true;
			break;
		case 'r':
			h.reload = true;
			break;
		case 'm':
			h.module_dir = optarg;
			break;
		case 't':
			if (!ncmigd_parse_u32(optarg, &h.timeout_ms))
				goto bad;
			break;
		case 'D':
			if (!ncmigd_parse_u32(optarg, &h.deadline_ms))
				goto bad;
			break;
		case 'j':
			h.json = true;
			break;
		case 'p':
			if (strcmp(optarg, "quiesce") && strcmp(optarg, "snapshot") &&
			    strcmp(optarg, "release"))
				goto bad;
			h.pause_after = optarg;
			break;
		case 'H':
			if (!ncmigd_parse_u32(optarg, &h.hold_ms) ||
			    h.hold_ms > 600000)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (!have_domid || optind != argc)
		goto bad;

	h.quiesce = calloc(1, sizeof(*h.quiesce));
	h.restore = calloc(1, sizeof(*h.restore));
	if (!h.quiesce || !h.restore) {
		ncmigd_err("out of memory");
		err = -ENOMEM;
		goto out;
	}
	h.nl = nl_open(&h.st);
	if (!h.nl) {
		ncmigd_err("%s", h.st.msg);
		err = h.st.err;
		goto out;
	}
	err = handover(&h);
out:
	nl_close(h.nl);
	ncmig_writer_free(&h.w);
	free(h.quiesce);
	free(h.restore);
	return err ? 1 : 0;
bad:
	usage(stderr);
	return 2;
}
