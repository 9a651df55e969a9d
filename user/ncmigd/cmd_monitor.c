// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd monitor: print the kernel's handover events (the "events"
 * multicast group), one line each, until --count events or the first
 * --until EVENT:
 *
 *   d5 event=auto-resumed state=none ts_ns=123 errno=0 message="deadline passed"
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "json.h"
#include "ncmig.h"
#include "opts.h"
#include "util.h"

static void print_event(const struct ncmig_nl_reply *r, bool as_json)
{
	struct json j;

	if (as_json) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kv_u64(&j, "domid", r->domid);
		json_kv_str(&j, "event", ncmig_nl_event_name(r->event));
		json_kv_str(&j, "state", ncmig_nl_state_name(r->state));
		json_kv_u64(&j, "timestamp_ns", r->ts_ns);
		json_key(&j, "errno");
		json_i64(&j, r->err);
		json_kv_str(&j, "message", r->message);
		json_obj_end(&j);
		json_finish(&j);
	} else {
		printf("d%u event=%s state=%s ts_ns=%llu errno=%d message=\"%s\"\n",
		       r->domid, ncmig_nl_event_name(r->event),
		       ncmig_nl_state_name(r->state), (unsigned long long)r->ts_ns,
		       r->err, r->message);
	}
	fflush(stdout);
}

const char monitor_usage[] =
	"usage: ncmigd monitor [--count N] [--until EVENT] [--timeout-ms N] [--json]\n"
	"  Print the kernel's handover events, one line (or JSON object)\n"
	"  each: quiesced, released, restored, resumed, auto-resumed (the\n"
	"  watchdog's), failed.\n"
	"  --count N         exit after N events\n"
	"  --until EVENT     exit after the first EVENT\n"
	"  --timeout-ms N    exit 1 if that has not happened after N ms\n"
	"  --json            one JSON object per event\n";

struct monitor_opts {
	uint32_t count, timeout;
	const char *until;
};

static int monitor_opt(int c, const char *arg, void *ctx)
{
	struct monitor_opts *o = ctx;

	switch (c) {
	case 'c':
		return ncmigd_parse_u32(arg, &o->count) ? 0 : 2;
	case 't':
		return ncmigd_parse_u32(arg, &o->timeout) &&
		       o->timeout <= 0x7fffffff ? 0 : 2;
	case 'u':
		o->until = arg;
		return 0;
	}
	return 2;
}

int cmd_monitor(int argc, char **argv)
{
	static const struct option own[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "until", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	struct monitor_opts mo = { 0 };
	const struct ncmigd_verb v = {
		.name = "monitor", .usage = monitor_usage, .own = own,
		.shared = NCMIGD_OPT_JSON, .opt = monitor_opt, .ctx = &mo,
	};
	uint32_t count, timeout, seen = 0;
	struct ncmig_nl_reply *r = NULL;
	struct ncmig_nl_status st;
	struct ncmig_nl_sock *nl;
	struct ncmigd_args a;
	const char *until;
	bool as_json;
	int ret = 0;

	ret = ncmigd_parse(&v, argc, argv, &a);
	if (ret)
		return ret == 1 ? 0 : 2;
	if (optind != argc)
		return ncmigd_usage_error(&v);
	count = mo.count;
	timeout = mo.timeout;
	until = mo.until;
	as_json = a.json;
	r = calloc(1, sizeof(*r));
	nl = r ? ncmig_nl_open(&st) : NULL;
	if (!nl || ncmig_nl_join_events(nl, &st)) {
		ncmig_err("%s", r ? st.msg : "out of memory");
		ncmig_nl_close(nl);
		free(r);
		return 1;
	}
	/*
	 * Exit 0 after --count events or the first --until event (e.g.
	 * "auto-resumed"); 1 on --timeout-ms or an error.
	 */
	while (!count || seen < count) {
		ret = ncmig_nl_recv_event(nl, timeout ? (int)timeout : -1, r, &st);
		if (ret < 0) {
			ncmig_err("monitor: %s", st.msg);
			break;
		}
		if (!ret) {
			ret = -1;
			break;
		}
		print_event(r, as_json);
		seen++;
		ret = 0;
		if (until && !strcmp(until, ncmig_nl_event_name(r->event)))
			break;
	}
	ncmig_nl_close(nl);
	free(r);
	return ret ? 1 : 0;
}
