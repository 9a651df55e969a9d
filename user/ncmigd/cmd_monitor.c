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

int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "until", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint32_t count = 0, timeout = 0, seen = 0;
	struct ncmig_nl_reply *r = NULL;
	struct ncmig_nl_status st;
	struct ncmig_nl_sock *nl;
	const char *until = NULL;
	bool as_json = false;
	int opt, ret = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (!ncmigd_parse_u32(optarg, &count))
				goto bad;
			break;
		case 't':
			if (!ncmigd_parse_u32(optarg, &timeout) ||
			    timeout > 0x7fffffff)
				goto bad;
			break;
		case 'u':
			until = optarg;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			printf("usage: ncmigd monitor [--count N] [--until EVENT] [--timeout-ms N] [--json]\n");
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
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
bad:
	fprintf(stderr, "usage: ncmigd monitor [--count N] [--until EVENT] [--timeout-ms N] [--json]\n");
	return 2;
}
