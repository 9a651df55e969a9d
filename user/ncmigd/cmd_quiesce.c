// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd quiesce / resume: the first and the abort step of a handover on
 * their own, for operators and for the tests of the kernel's watchdog.
 *
 * The session belongs to the netlink socket that quiesced, so quiesce
 * holds its socket open for --hold-s seconds (0: until killed). When the
 * process exits or is killed, the kernel resumes the domain by itself.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "commands.h"
#include "ncmig.h"
#include "opts.h"
#include "util.h"

static void print_reply(const char *step, const struct ncmig_nl_reply *r)
{
	unsigned int i;

	printf("d%u: %s state=%s devices=%u\n", r->domid, step,
	       ncmig_nl_state_name(r->state), r->nr_devs);
	for (i = 0; i < r->nr_devs; i++)
		printf("d%u %s %u: drain_ms=%.3f\n", r->domid,
		       ncmig_kind_name(r->devs[i].kind), r->devs[i].devid,
		       r->devs[i].drain_ns / 1e6);
	fflush(stdout);
}

const char quiesce_usage[] =
	"usage: ncmigd quiesce --domid D [--timeout-ms N] [--deadline-ms N] [--hold-s S]\n"
	"       ncmigd resume --domid D\n"
	"  quiesce stops every backend device of domain D (its rings are\n"
	"  drained, nothing new is consumed) and prints each device's drain\n"
	"  time; the session belongs to this process, so D resumes when it\n"
	"  exits, or at the kernel's deadline.  resume ends a session that\n"
	"  holds D in place: its devices serve again.\n"
	"  --timeout-ms N    drain bound per device (kernel default 5000)\n"
	"  --deadline-ms N   the kernel resumes D by itself after N ms\n"
	"  --hold-s S        keep D quiesced S seconds (0: until killed)\n";

/* quiesce's own options; resume has none. */
struct session_opts {
	bool quiesce, have_hold;
	uint32_t timeout, deadline, hold;
};

static int session_opt(int c, const char *arg, void *ctx)
{
	struct session_opts *o = ctx;

	if (!o->quiesce)
		return 2;
	switch (c) {
	case 't':
		return ncmigd_parse_u32(arg, &o->timeout) ? 0 : 2;
	case 'D':
		return ncmigd_parse_u32(arg, &o->deadline) ? 0 : 2;
	case 'H':
		o->have_hold = true;
		return ncmigd_parse_u32(arg, &o->hold) ? 0 : 2;
	}
	return 2;
}

static int session_step(int argc, char **argv, bool quiesce)
{
	static const struct option own[] = {
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "deadline-ms", required_argument, NULL, 'D' },
		{ "hold-s", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	struct session_opts so = { .quiesce = quiesce };
	const struct ncmigd_verb v = {
		.name = argv[0], .usage = quiesce_usage, .own = own,
		.shared = NCMIGD_OPT_DOMID, .opt = session_opt, .ctx = &so,
	};
	struct ncmig_nl_reply *r = NULL;
	struct ncmig_nl_status st;
	struct ncmig_nl_sock *nl;
	struct ncmigd_args a;
	uint16_t domid;
	int err;

	err = ncmigd_parse(&v, argc, argv, &a);
	if (err)
		return err == 1 ? 0 : 2;
	if (!a.has_domid || optind != argc)
		return ncmigd_usage_error(&v);
	domid = a.domid;

	r = calloc(1, sizeof(*r));
	nl = r ? ncmig_nl_open(&st) : NULL;
	if (!nl) {
		ncmig_err("%s", r ? st.msg : "out of memory");
		free(r);
		return 1;
	}
	if (quiesce)
		err = ncmig_nl_quiesce(nl, domid, so.timeout, so.deadline, r, &st);
	else
		err = ncmig_nl_resume(nl, domid, r, &st);
	if (err) {
		ncmig_dom_err(domid, "%s: %s (%s)", argv[0],
			       st.msg[0] ? st.msg : "failed", strerror(-err));
		ncmigd_audit(true, "d%u: %s failed: %s (%s)", domid, argv[0],
			     st.msg[0] ? st.msg : "failed", strerror(-err));
	} else {
		ncmigd_audit(false, "d%u: %s done: %u device(s)%s", domid,
			     argv[0], r->nr_devs, quiesce ?
			     "; they resume when this process exits" : "");
		print_reply(argv[0], r);
		if (so.have_hold) {
			if (so.hold)
				sleep(so.hold);
			else
				for (;;)
					pause();
		}
	}
	ncmig_nl_close(nl);
	free(r);
	return err ? 1 : 0;
}

int cmd_quiesce(int argc, char **argv)
{
	return session_step(argc, argv, true);
}

int cmd_resume(int argc, char **argv)
{
	return session_step(argc, argv, false);
}
