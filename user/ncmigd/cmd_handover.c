// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd handover: hand the backends of one or more domains from one
 * backend instance to the next, on this host, without the frontends
 * noticing.  The engine (libncmig, ncmig_ho_run()) runs the phases and
 * every recovery; this verb parses the options and prints the result:
 * per device and per domain lines, or --json (one object for one
 * domain, an array of them for several, and then a closing
 * "handover: domains=N ..." line in text).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "commands.h"
#include "handover.h"
#include "json.h"
#include "ncmig.h"
#include "opts.h"
#include "util.h"

static const struct ncmig_nl_dev *find_dev(const struct ncmig_nl_reply *r, uint32_t kind,
				     uint32_t devid)
{
	unsigned int i;

	for (i = 0; i < r->nr_devs; i++)
		if (r->devs[i].kind == kind && r->devs[i].devid == devid)
			return &r->devs[i];
	return NULL;
}

void ho_print_result(const struct ncmig_ho_dom *h, bool reload, bool json,
		     struct json *jp)
{
	const struct ncmig_nl_reply *q = h->quiesce;
	struct json own, *j = jp ? jp : &own;
	unsigned int i;

	if (json) {
		if (!jp)
			json_init(j, stdout);
		json_obj_begin(j);
		json_kv_u64(j, "domid", h->domid);
		json_kv_bool(j, "reload", reload);
		json_kv_u64(j, "total_ns", h->t_end - h->t_start);
		json_key(j, "devices");
		json_arr_begin(j);
	}
	for (i = 0; i < q->nr_devs; i++) {
		const struct ncmig_nl_dev *d = &q->devs[i];
		const struct ncmig_nl_dev *r = find_dev(h->restore, d->kind, d->devid);
		uint64_t blackout = 0;

		if (r && r->left) {
			/* Not handed over: no blackout, what became of it. */
			if (json) {
				json_obj_begin(j);
				json_kv_str(j, "kind", ncmig_kind_name(d->kind));
				json_kv_u64(j, "devid", d->devid);
				json_kv_u64(j, "drain_ns", d->drain_ns);
				json_kv_str(j, "left", ncmig_nl_left_name(r->left));
				json_kv_u64(j, "left_after_ns", r->left_after_ns);
				json_obj_end(j);
			} else {
				printf("d%u %s %u: drain_ms=%.3f left=%s left_after_ms=%.3f\n",
				       h->domid, ncmig_kind_name(d->kind),
				       d->devid, d->drain_ns / 1e6,
				       ncmig_nl_left_name(r->left),
				       r->left_after_ns / 1e6);
			}
			continue;
		}
		if (r && r->has_blackout)
			blackout = r->blackout_ns;
		else if (r && r->done_ns > d->start_ns)
			blackout = r->done_ns - d->start_ns;
		if (json) {
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
	if (json) {
		json_arr_end(j);
		if (h->nr_left)
			json_kv_u64(j, "left", h->nr_left);
		json_obj_end(j);
		if (!jp)
			json_finish(j);
	} else if (h->nr_left) {
		/* devices= counts the ones handed over. */
		printf("d%u: handover devices=%u reload=%d total_ms=%.3f left=%u\n",
		       h->domid,
		       q->nr_devs > h->nr_left ? q->nr_devs - h->nr_left : 0,
		       reload, (h->t_end - h->t_start) / 1e6, h->nr_left);
	} else {
		printf("d%u: handover devices=%u reload=%d total_ms=%.3f\n",
		       h->domid, q->nr_devs, reload,
		       (h->t_end - h->t_start) / 1e6);
	}
}

/* What the verb keeps between the engine's calls. */
struct ho_out {
	bool json, multi;
	bool restoring;			/* RESTORE began */
	const char *pause_after;	/* tests: stop there until killed */
	uint64_t max_blackout_ns;
	struct json j;
};

static void restored(const struct ncmig_ho *ho, const struct ncmig_ho_dom *d,
		     void *arg)
{
	struct ho_out *out = arg;
	unsigned int i;

	ho_print_result(d, ho->o.reload, out->json,
			out->json && out->multi ? &out->j : NULL);
	ncmigd_audit_restored(d);
	for (i = 0; d->restore && i < d->restore->nr_devs; i++)
		if (d->restore->devs[i].blackout_ns > out->max_blackout_ns)
			out->max_blackout_ns = d->restore->devs[i].blackout_ns;
}

/*
 * For the tests of the kernel's watchdog: after a phase, wait to be
 * killed while holding the session.
 */
static void phase(const struct ncmig_ho *ho, enum ncmig_ho_phase p,
		  bool begin, void *arg)
{
	struct ho_out *out = arg;

	if (!begin)
		ncmigd_audit_phase(ho, p);
	/* Progress: with -v, or for several domains on a terminal. */
	if (ncmigd_verbosity > 0 ||
	    (!ncmigd_verbosity && ho->n > 1 && isatty(STDERR_FILENO)))
		fprintf(stderr, "%s %s: %u domain(s), %.1f ms\n",
			begin ? "..." : "done", ncmig_ho_phase_name(p), ho->n,
			(ncmig_now_ns() - ho->t0) / 1e6);
	if (begin && p == NCMIG_HO_RESTORE) {
		out->restoring = true;
		if (out->multi && out->json) {
			json_init(&out->j, stdout);
			json_arr_begin(&out->j);
		}
	}
	if (begin || !out->pause_after ||
	    strcmp(out->pause_after, ncmig_ho_phase_name(p)))
		return;
	printf("d%u: paused after %s\n", ho->doms[0].domid, out->pause_after);
	fflush(stdout);
	for (;;)
		pause();
}

/*
 * Not in the help, for the lab's tests only:
 *   --pause-after quiesce|snapshot|release  (one domain) stop there,
 *                     holding the session, until killed;
 *   --hold-ms N       wait N ms between release and restore, as a slow
 *                     module load would.
 */
const char handover_usage[] =
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
		"exit status: 0 every device handed over, 1 failure, 2 usage,\n"
		"  3 some device had left the handover (reconnected by its driver,\n"
		"  closed or gone): not handed over, each named\n";

/* Options shared by every domain of the run, parsed into @o. */
struct ho_args {
	struct ncmig_ho_opts o;
	bool json;
	const char *pause_after;
	uint16_t domids[NCMIG_HO_DOMS_MAX];
	unsigned int nr;
};

/* 0; 2 for a bad value; NCMIGD_USAGE_SAID with the reason printed. */
static int add_domid(struct ho_args *a, const char *arg)
{
	uint16_t d;
	unsigned int i;

	if (!ncmigd_parse_domid(arg, &d))
		return 2;
	for (i = 0; i < a->nr; i++) {
		if (a->domids[i] == d) {
			ncmig_err("handover: --domid %u given twice", d);
			return NCMIGD_USAGE_SAID;
		}
	}
	if (a->nr == NCMIG_HO_DOMS_MAX) {
		ncmig_err("handover: at most %d --domid", NCMIG_HO_DOMS_MAX);
		return NCMIGD_USAGE_SAID;
	}
	a->domids[a->nr++] = d;
	return 0;
}

int ho_engine_opt(int c, const char *arg, struct ncmig_ho_opts *o)
{
	switch (c) {
	case 'm':
		o->module_dir = arg;
		return 0;
	case 't':
		return ncmigd_parse_u32(arg, &o->timeout_ms) ? 0 : 2;
	case 'D':
		return ncmigd_parse_u32(arg, &o->deadline_ms) ? 0 : 2;
	}
	return 2;
}

static int handover_opt(int c, const char *arg, void *ctx)
{
	struct ho_args *a = ctx;
	struct ncmig_ho_opts *o = &a->o;

	switch (c) {
	case 'd':
		return add_domid(a, arg);
	case 'r':
		o->reload = true;
		return 0;
	case 'm':
	case 't':
	case 'D':
		return ho_engine_opt(c, arg, o);
	case 'p':
		if (strcmp(arg, "quiesce") && strcmp(arg, "snapshot") &&
		    strcmp(arg, "release"))
			return 2;
		a->pause_after = arg;
		return 0;
	case 'H':
		return ncmigd_parse_u32(arg, &o->hold_ms) &&
		       o->hold_ms <= 600000 ? 0 : 2;
	}
	return 2;
}

/* 0 to run, 1 after --help, 2 on a usage error (usage printed). */
static int parse_args(int argc, char **argv, struct ho_args *a)
{
	static const struct option own[] = {
		{ "domid", required_argument, NULL, 'd' },
		{ "reload-modules", no_argument, NULL, 'r' },
		{ "module-dir", required_argument, NULL, 'm' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "deadline-ms", required_argument, NULL, 'D' },
		{ "pause-after", required_argument, NULL, 'p' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	const struct ncmigd_verb v = {
		.name = "handover", .usage = handover_usage, .own = own,
		.shared = NCMIGD_OPT_JSON, .opt = handover_opt, .ctx = a,
	};
	struct ncmigd_args args;
	int rc;

	rc = ncmigd_parse(&v, argc, argv, &args);
	if (rc)
		return rc;
	a->json = args.json;
	if (!a->nr || optind != argc)
		return ncmigd_usage_error(&v);
	if (a->nr > 1 && a->pause_after) {
		ncmig_err("handover: --pause-after takes one --domid");
		return ncmigd_usage_error(&v);
	}
	return 0;
}

int ho_run_verb(const char *verb, const uint16_t *domids, unsigned int n,
		struct ncmig_ho_opts *o, bool json, const char *pause_after)
{
	struct ho_out out = { 0 };
	struct ncmig_ho ho;
	int err, rc;

	out.json = json;
	/* update-backends always closes with its line, even for one. */
	out.multi = n > 1 || strcmp(verb, "handover");
	out.pause_after = pause_after;
	o->phase = phase;
	o->restored = restored;
	o->arg = &out;
	err = ncmig_ho_init(&ho, domids, n, o, NULL);
	if (err) {
		ncmig_err("out of memory");
		return 1;
	}
	err = ncmig_ho_run(&ho);
	ncmigd_audit_end(&ho, err);
	if (getenv("NCMIG_TIMES") && strcmp(getenv("NCMIG_TIMES"), "0"))
		fprintf(stderr, "ncmig-time: at_ms=%.1f the run returned, audited\n",
			(ncmig_now_ns() - ho.t0) / 1e6);
	/* Several domains: the closing line once RESTORE was reached. */
	if (out.multi && out.restoring) {
		if (out.json) {
			json_arr_end(&out.j);
			json_finish(&out.j);
		} else {
			printf("%s: domains=%u devices=%u reload=%d total_ms=%.3f max_blackout_ms=%.3f",
			       verb, ho.nr_ok, ho.nr_devs, o->reload,
			       (ncmig_now_ns() - ho.t0) / 1e6,
			       out.max_blackout_ns / 1e6);
			/* devices that had left the handover, not handed over */
			if (ho.nr_left)
				printf(" left=%u", ho.nr_left);
			printf("\n");
		}
	}
	rc = !err ? 0 : err == -ENOLINK && ho.nr_left ? NCMIGD_EXIT_LEFT : 1;
	ncmig_ho_fini(&ho);
	return rc;
}

int cmd_handover(int argc, char **argv)
{
	static struct ho_args a;

	memset(&a, 0, sizeof(a));
	switch (parse_args(argc, argv, &a)) {
	case 0:
		break;
	case 1:
		return 0;
	default:
		return 2;
	}
	return ho_run_verb("handover", a.domids, a.nr, &a.o, a.json,
			   a.pause_after);
}
