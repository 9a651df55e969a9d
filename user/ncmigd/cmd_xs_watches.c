// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ncmigd xs-watches: a domain's watches from xenstored's live-update state. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "json.h"
#include "ncmig.h"
#include "opts.h"
#include "util.h"
#include "xs_lu.h"

const char xs_watches_usage[] =
		"usage: ncmigd xs-watches --domid D [--drop] [--json]\n"
		"  List domain D's xenstore watches (path and token, as the dom0\n"
		"  C xenstored holds them) from its live-update state: ONE live\n"
		"  update of xenstored into its own binary, through a wrapper\n"
		"  that keeps a copy of the state.  Every domain's xenstore stops\n"
		"  while it runs; a failed exec leaves no xenstored.  For a lab,\n"
		"  not a production host (doc/cross-host.md, section 12).\n"
		"  --drop also removes all of D's watches in that live update\n"
		"  (the state the new process reads has none): a test of\n"
		"  `ncmigd restore --watches-via lu-state`, which puts them back.\n";

static int xw_opt(int c, const char *arg, void *ctx)
{
	(void)arg;
	if (c == 'X') {
		*(bool *)ctx = true;
		return 0;
	}
	return 2;
}

int cmd_xs_watches(int argc, char **argv)
{
	static const struct option own[] = {
		{ "drop", no_argument, NULL, 'X' },
		{ 0 }
	};
	bool drop = false;
	const struct ncmigd_verb v = {
		.name = "xs-watches", .usage = xs_watches_usage, .own = own,
		.shared = NCMIGD_OPT_DOMID | NCMIGD_OPT_JSON,
		.shortopts = "", .opt = xw_opt, .ctx = &drop,
	};
	const struct ncmig_lu_result *lu;
	struct ncmig_xs_watch_pair *w = NULL;
	struct ncmigd_args a;
	struct ncmig_xs *x;
	unsigned int n = 0, i;
	struct json j;
	int rc;

	rc = ncmigd_parse(&v, argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (!a.has_domid || optind != argc)
		return ncmigd_usage_error(&v);
	x = ncmig_xs_open();
	if (!x) {
		ncmig_err("cannot open xenstore: %s", strerror(errno));
		return 1;
	}
	rc = ncmig_lu_run(x, a.domid, drop ? NCMIG_LU_EDIT_DROP : 0, NULL, 0,
			  NCMIGD_LU_TIMEOUT_S, &w, &n);
	ncmig_xs_close(x);
	lu = ncmig_lu_last();
	if (rc) {
		ncmig_dom_err(a.domid, "xs-watches: %s (%s)",
			       lu && lu->detail[0] ? lu->detail : "live update failed",
			       strerror(-rc));
		return 1;
	}
	if (!a.json) {
		printf("d%u: %u watches (%s)\n", a.domid, n, lu->detail);
		if (!lu->sum.found)
			printf("d%u: no ring connection of the domain in the state\n",
			       a.domid);
		for (i = 0; i < n; i++)
			printf("watch %s %s\n", w[i].path, w[i].token);
		if (drop)
			printf("d%u: dropped %u watches\n", a.domid, lu->dropped);
		printf("state: %zu octets, %u connections (%u rings, %u sockets), "
		       "%u watches, %u nodes; live update %.1f ms\n",
		       lu->state_len, lu->sum.conns, lu->sum.ring_conns,
		       lu->sum.socket_conns, lu->sum.watches, lu->sum.nodes,
		       lu->ms);
	} else {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kv_u64(&j, "domid", a.domid);
		json_kv_bool(&j, "found", lu->sum.found);
		json_kv_u64(&j, "count", n);
		json_key(&j, "watches");
		json_arr_begin(&j);
		for (i = 0; i < n; i++) {
			json_obj_begin(&j);
			json_kv_str(&j, "path", w[i].path);
			json_kv_str(&j, "token", w[i].token);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_kv_u64(&j, "dropped", lu->dropped);
		json_kv_u64(&j, "lu_us", (uint64_t)(lu->ms * 1000));
		json_kv_u64(&j, "state_octets", lu->state_len);
		json_kv_u64(&j, "connections", lu->sum.conns);
		json_kv_u64(&j, "all_watches", lu->sum.watches);
		json_kv_u64(&j, "nodes", lu->sum.nodes);
		json_obj_end(&j);
		json_finish(&j);
	}
	ncmig_xs_free_watches(w, n);
	return 0;
}
