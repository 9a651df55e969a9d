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
 *
 * This file parses the options and runs one domain; with several
 * --domid, handover_multi.c runs them phase by phase with the steps here
 * (handover.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "handover.h"
#include "include/uapi/linux/xen_ncmig.h"
#include "json.h"
#include "ncmig.h"
#include "util.h"

uint64_t ho_now_ns(void)
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
		ncmig_err("%s: %s failed (%s)", msg, step,
			   strerror(-h->st.err));
	else
		ncmig_dom_err(h->domid, "%s failed: %s (%s)", step, msg,
			       strerror(-h->st.err));
}

static int record_cb(uint32_t kind, uint32_t devid, const void *rec,
		     size_t len, void *arg)
{
	struct handover *h = arg;
	int err;

	err = ncmig_write_backend(&h->w, rec, len);
	if (err) {
		ncmig_dev_err(h->domid, ncmig_kind_name(kind), devid,
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
		ncmig_dom_err(h->domid, "stream: %s", serr.msg);
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
	err = ncmig_nl_restore(h->nl, h->domid, recs, lens,
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
void ho_recover(struct handover *h)
{
	struct ncmig_nl_status st0 = h->st;
	int err;

	if (!h->released) {
		err = ncmig_nl_resume(h->nl, h->domid, h->restore, &h->st);
		if (err && err != -ENOENT)
			report(h, "RESUME (recovery)");
		else
			ncmig_dom_err(h->domid, "resumed in place");
	} else if (h->w.len && !h->w.err) {
		if (!restore_from_stream(h))
			ncmig_dom_err(h->domid, "restored from the records");
	} else {
		ncmig_dom_err(h->domid,
			       "released without a stream: the guest waits for RESTORE");
	}
	h->st = st0;
}

static const struct ncmig_nl_dev *find_dev(const struct ncmig_nl_reply *r, uint32_t kind,
				     uint32_t devid)
{
	unsigned int i;

	for (i = 0; i < r->nr_devs; i++)
		if (r->devs[i].kind == kind && r->devs[i].devid == devid)
			return &r->devs[i];
	return NULL;
}

void ho_print_result(const struct handover *h, struct json *jp)
{
	const struct ncmig_nl_reply *q = h->quiesce;
	struct json own, *j = jp ? jp : &own;
	unsigned int i;

	if (h->json) {
		if (!jp)
			json_init(j, stdout);
		json_obj_begin(j);
		json_kv_u64(j, "domid", h->domid);
		json_kv_bool(j, "reload", h->reload);
		json_kv_u64(j, "total_ns", h->t_end - h->t_start);
		json_key(j, "devices");
		json_arr_begin(j);
	}
	for (i = 0; i < q->nr_devs; i++) {
		const struct ncmig_nl_dev *d = &q->devs[i];
		const struct ncmig_nl_dev *r = find_dev(h->restore, d->kind, d->devid);
		uint64_t blackout = 0;

		if (r && r->has_blackout)
			blackout = r->blackout_ns;
		else if (r && r->done_ns > d->start_ns)
			blackout = r->done_ns - d->start_ns;
		if (h->json) {
			json_obj_begin(j);
			json_kv_str(j, "kind", ncmig_kind_name(d->kind));
			json_kv_u64(j, "devid", d->devid);
			json_kv_u64(j, "drain_ns", d->drain_ns);
			json_kv_u64(j, "blackout_ns", blackout);
			json_obj_end(j);
		} else {
			printf("d%u %s %u: drain_ms=%.3f blackout_ms=%.3f\n",
			       h->domid, ncmig_kind_name(d->kind), d->devid,
			       d->drain_ns / 1e6, blackout / 1e6);
		}
	}
	if (h->json) {
		json_arr_end(j);
		json_obj_end(j);
		if (!jp)
			json_finish(j);
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

int ho_quiesce(struct handover *h)
{
	int err;

	h->t_start = ho_now_ns();
	err = ncmig_nl_quiesce(h->nl, h->domid, h->timeout_ms, h->deadline_ms,
			 h->quiesce, &h->st);
	if (err)
		report(h, "QUIESCE");
	return err;
}

int ho_snapshot(struct handover *h)
{
	int err;

	ncmig_writer_init_mem(&h->w);
	ncmig_write_header(&h->w);
	ncmig_write_domain(&h->w, h->domid, NCMIG_DOM_F_BACKENDS);
	err = ncmig_nl_snapshot(h->nl, h->domid, record_cb, h, &h->st);
	if (err) {
		report(h, "SNAPSHOT");
		return err;
	}
	err = ncmig_write_end(&h->w);
	if (!err)
		err = h->w.err;
	if (err)
		ncmig_dom_err(h->domid, "stream: %s", strerror(-err));
	return err;
}

int ho_release(struct handover *h)
{
	int err;

	h->released = true;
	err = ncmig_nl_release(h->nl, h->domid, h->restore, &h->st);
	if (err)
		report(h, "RELEASE");
	return err;
}

int ho_restore(struct handover *h)
{
	if (restore_from_stream(h)) {
		/* Once more: a freshly loaded backend may need a moment. */
		usleep(200 * 1000);
		if (restore_from_stream(h))
			return -EIO;
	}
	h->t_end = ho_now_ns();
	return 0;
}

static int handover(struct handover *h)
{
	int err;

	err = ho_quiesce(h);
	if (err)
		return err;	/* the kernel resumed whatever it had quiesced */
	maybe_pause(h, "quiesce");
	err = ho_snapshot(h);
	if (err)
		goto fail;
	maybe_pause(h, "snapshot");
	err = ho_release(h);
	if (err)
		goto fail;
	maybe_pause(h, "release");

	if (h->reload && ho_reload_modules(h, 1))
		err = -EIO;	/* still restore, then fail */
	if (h->hold_ms)
		usleep(h->hold_ms * 1000ULL);
	if (ho_restore(h))
		return -EIO;
	ho_print_result(h, NULL);
	return err;
fail:
	ho_recover(h);
	return err;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ncmigd handover --domid D [--domid D2]... [--reload-modules]\n"
		"                       [--module-dir DIR] [--timeout-ms N] [--deadline-ms N]\n"
		"                       [--json]\n"
		"  --domid D         a domain to hand over; up to 64, each distinct, all\n"
		"                    on one netlink socket, phase by phase: QUIESCE all,\n"
		"                    SNAPSHOT all, RELEASE all, one reload, RESTORE all\n"
		"  --reload-modules  rmmod and load again (once) the backends they use\n"
		"  --module-dir DIR  insmod DIR/xen-blkback.ko... (else modprobe)\n"
		"  --timeout-ms N    drain bound per device (kernel default 5000)\n"
		"  --deadline-ms N   resume by itself if not released by then\n"
		"  --json            one object (one domain) or an array of them\n"
		"  --pause-after quiesce|snapshot|release\n"
		"                    (tests, one domain) stop there, holding the session,\n"
		"                    until killed\n"
		"  --hold-ms N       (tests) wait N ms between release and restore,\n"
		"                    as a slow module load would\n");
}

/* Options shared by every domain of the run, parsed into @o. */
struct ho_args {
	struct handover o;
	uint16_t domids[HANDOVER_DOMS_MAX];
	unsigned int nr;
};

/* 0, or 2 with the reason printed (the caller prints the usage). */
static int add_domid(struct ho_args *a, const char *arg)
{
	uint16_t d;
	unsigned int i;

	if (!ncmigd_parse_domid(arg, &d))
		return 2;
	for (i = 0; i < a->nr; i++) {
		if (a->domids[i] == d) {
			ncmig_err("handover: --domid %u given twice", d);
			return 2;
		}
	}
	if (a->nr == HANDOVER_DOMS_MAX) {
		ncmig_err("handover: at most %d --domid", HANDOVER_DOMS_MAX);
		return 2;
	}
	a->domids[a->nr++] = d;
	return 0;
}

/* 0 to run, 1 after --help, 2 on a usage error. */
static int parse_args(int argc, char **argv, struct ho_args *a)
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
	struct handover *o = &a->o;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (add_domid(a, optarg))
				return 2;
			break;
		case 'r':
			o->reload = true;
			break;
		case 'm':
			o->module_dir = optarg;
			break;
		case 't':
			if (!ncmigd_parse_u32(optarg, &o->timeout_ms))
				return 2;
			break;
		case 'D':
			if (!ncmigd_parse_u32(optarg, &o->deadline_ms))
				return 2;
			break;
		case 'j':
			o->json = true;
			break;
		case 'p':
			if (strcmp(optarg, "quiesce") && strcmp(optarg, "snapshot") &&
			    strcmp(optarg, "release"))
				return 2;
			o->pause_after = optarg;
			break;
		case 'H':
			if (!ncmigd_parse_u32(optarg, &o->hold_ms) ||
			    o->hold_ms > 600000)
				return 2;
			break;
		case 'h':
			return 1;
		default:
			return 2;
		}
	}
	if (!a->nr || optind != argc)
		return 2;
	if (a->nr > 1 && o->pause_after) {
		ncmig_err("handover: --pause-after takes one --domid");
		return 2;
	}
	return 0;
}

/* One struct handover per domain, each a copy of the options. */
static struct handover *alloc_handovers(const struct ho_args *a)
{
	struct handover *hs = calloc(a->nr, sizeof(*hs));
	unsigned int i;

	if (!hs)
		return NULL;
	for (i = 0; i < a->nr; i++) {
		hs[i] = a->o;
		hs[i].domid = a->domids[i];
		hs[i].quiesce = calloc(1, sizeof(*hs[i].quiesce));
		hs[i].restore = calloc(1, sizeof(*hs[i].restore));
		if (!hs[i].quiesce || !hs[i].restore)
			return hs;	/* the caller sees the NULL */
	}
	return hs;
}

static void free_handovers(struct handover *hs, unsigned int n)
{
	unsigned int i;

	if (!hs)
		return;
	for (i = 0; i < n; i++) {
		ncmig_writer_free(&hs[i].w);
		free(hs[i].quiesce);
		free(hs[i].restore);
	}
	free(hs);
}

static bool all_allocated(const struct handover *hs, unsigned int n)
{
	unsigned int i;

	if (!hs)
		return false;
	for (i = 0; i < n; i++)
		if (!hs[i].quiesce || !hs[i].restore)
			return false;
	return true;
}

int cmd_handover(int argc, char **argv)
{
	static struct ho_args a;
	struct handover *hs = NULL;
	struct ncmig_nl_sock *nl = NULL;
	struct ncmig_nl_status st = { 0 };
	unsigned int i;
	int err;

	memset(&a, 0, sizeof(a));
	switch (parse_args(argc, argv, &a)) {
	case 0:
		break;
	case 1:
		usage(stdout);
		return 0;
	default:
		usage(stderr);
		return 2;
	}
	hs = alloc_handovers(&a);
	if (!all_allocated(hs, a.nr)) {
		ncmig_err("out of memory");
		err = -ENOMEM;
		goto out;
	}
	nl = ncmig_nl_open(&st);
	if (!nl) {
		ncmig_err("%s", st.msg);
		err = st.err;
		goto out;
	}
	for (i = 0; i < a.nr; i++)
		hs[i].nl = nl;
	err = a.nr == 1 ? handover(&hs[0]) : handover_multi(hs, a.nr);
out:
	ncmig_nl_close(nl);
	free_handovers(hs, a.nr);
	return err ? 1 : 0;
}
