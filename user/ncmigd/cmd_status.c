// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd status: the kernel's handover sessions and the backend devices
 * it can hand over, one line each (or --json):
 *
 *   d5 session: state=quiesced owner=4242 deadline_left_ms=29000 devices=2
 *   d5 vbd 51712: state=4 bound=1 quiesced=0 rings=2 inflight=0 pgrants=352 ...
 *   d5 ended: end=auto-resumed errno=0 ago_ms=5120 message="deadline passed"
 *
 * "dN session:" lines are live sessions only (the lab's check for stuck
 * sessions counts them); the last sessions that ended (the kernel keeps
 * 16), oldest first, are "dN ended:" lines, or "ended" in --json.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "json.h"
#include "ncmig.h"
#include "opts.h"
#include "util.h"

struct status_ctx {
	int domid;		/* -1: every domain */
	bool json;
	struct json j;
};

static int session_cb(const struct ncmig_nl_reply *r, void *arg)
{
	struct status_ctx *c = arg;

	if (c->domid >= 0 && r->domid != (uint32_t)c->domid)
		return 0;
	if (!c->json) {
		printf("d%u session: state=%s owner=%u deadline_left_ms=%u devices=%u\n",
		       r->domid, ncmig_nl_state_name(r->state), r->owner,
		       r->deadline_ms, r->nr_devs);
		return 0;
	}
	json_obj_begin(&c->j);
	json_kv_u64(&c->j, "domid", r->domid);
	json_kv_str(&c->j, "state", ncmig_nl_state_name(r->state));
	json_kv_u64(&c->j, "owner_portid", r->owner);
	json_kv_u64(&c->j, "deadline_left_ms", r->deadline_ms);
	json_kv_u64(&c->j, "timestamp_ns", r->ts_ns);
	json_key(&c->j, "devices");
	json_arr_begin(&c->j);
	for (unsigned int i = 0; i < r->nr_devs; i++) {
		const struct ncmig_nl_dev *d = &r->devs[i];

		json_obj_begin(&c->j);
		json_kv_str(&c->j, "kind", ncmig_kind_name(d->kind));
		json_kv_u64(&c->j, "devid", d->devid);
		json_kv_bool(&c->j, "quiesced", d->quiesced);
		json_kv_bool(&c->j, "released", d->released);
		json_kv_u64(&c->j, "drain_ns", d->drain_ns);
		json_obj_end(&c->j);
	}
	json_arr_end(&c->j);
	json_obj_end(&c->j);
	return 0;
}

static int device_cb(const struct ncmig_nl_reply *r, void *arg)
{
	struct status_ctx *c = arg;
	const struct ncmig_nl_dev *d;

	if (r->nr_devs != 1 || !r->has_domid)
		return 0;
	d = &r->devs[0];
	if (!c->json) {
		printf("d%u %s %u: state=%u bound=%d quiesced=%d rings=%u inflight=%u pgrants=%u dropped=%u nodename=%s\n",
		       r->domid, ncmig_kind_name(d->kind), d->devid, d->state,
		       d->bound, d->quiesced, d->nr_rings, d->inflight,
		       d->pgrants, d->dropped, d->nodename);
		return 0;
	}
	json_obj_begin(&c->j);
	json_kv_u64(&c->j, "domid", r->domid);
	json_kv_str(&c->j, "kind", ncmig_kind_name(d->kind));
	json_kv_u64(&c->j, "devid", d->devid);
	json_kv_str(&c->j, "nodename", d->nodename);
	json_kv_u64(&c->j, "state", d->state);
	json_kv_bool(&c->j, "bound", d->bound);
	json_kv_bool(&c->j, "quiesced", d->quiesced);
	json_kv_u64(&c->j, "rings", d->nr_rings);
	json_kv_u64(&c->j, "inflight", d->inflight);
	json_kv_u64(&c->j, "pgrants", d->pgrants);
	json_kv_u64(&c->j, "drain_ns", d->drain_ns);
	json_kv_u64(&c->j, "dropped", d->dropped);
	json_obj_end(&c->j);
	return 0;
}

static int ended_cb(const struct ncmig_nl_reply *r, void *arg)
{
	struct status_ctx *c = arg;
	uint64_t now = ncmig_now_ns();
	uint64_t ago_ms = now > r->ts_ns ? (now - r->ts_ns) / 1000000ULL : 0;

	if (!r->has_domid || !r->has_end)
		return 0;
	if (c->domid >= 0 && r->domid != (uint32_t)c->domid)
		return 0;
	if (!c->json) {
		printf("d%u ended: end=%s errno=%d ago_ms=%llu message=\"%s\"\n",
		       r->domid, ncmig_nl_end_name(r->end_state), r->err,
		       (unsigned long long)ago_ms, r->message);
		return 0;
	}
	json_obj_begin(&c->j);
	json_kv_u64(&c->j, "domid", r->domid);
	json_kv_str(&c->j, "end", ncmig_nl_end_name(r->end_state));
	json_key(&c->j, "errno");
	json_i64(&c->j, r->err);
	json_kv_u64(&c->j, "timestamp_ns", r->ts_ns);
	json_kv_u64(&c->j, "ago_ms", ago_ms);
	json_kv_str(&c->j, "message", r->message);
	json_obj_end(&c->j);
	return 0;
}

const char status_usage[] =
	"usage: ncmigd status [--domid D] [--json]\n"
	"  List the handover sessions the kernel holds (all, or domain D's),\n"
	"  with each device's step; nothing is listed when no handover runs.\n"
	"  --json            one JSON array\n";

int cmd_status(int argc, char **argv)
{
	const struct ncmigd_verb v = {
		.name = "status", .usage = status_usage,
		.shared = NCMIGD_OPT_DOMID | NCMIGD_OPT_JSON,
	};
	struct status_ctx c = { .domid = -1 };
	struct ncmig_nl_status st;
	struct ncmig_nl_sock *nl;
	struct ncmigd_args a;
	int err;

	err = ncmigd_parse(&v, argc, argv, &a);
	if (err)
		return err == 1 ? 0 : 2;
	if (optind != argc)
		return ncmigd_usage_error(&v);
	if (a.has_domid)
		c.domid = a.domid;
	c.json = a.json;

	nl = ncmig_nl_open(&st);
	if (!nl) {
		ncmig_err("%s", st.msg);
		return 1;
	}
	if (c.json) {
		json_init(&c.j, stdout);
		json_obj_begin(&c.j);
		json_key(&c.j, "sessions");
		json_arr_begin(&c.j);
	}
	err = ncmig_nl_sessions(nl, session_cb, &c, &st);
	if (c.json) {
		json_arr_end(&c.j);
		json_key(&c.j, "devices");
		json_arr_begin(&c.j);
	}
	if (!err)
		err = ncmig_nl_devices(nl, c.domid, device_cb, &c, &st);
	if (c.json) {
		json_arr_end(&c.j);
		json_key(&c.j, "ended");
		json_arr_begin(&c.j);
	}
	if (!err) {
		err = ncmig_nl_ended(nl, ended_cb, &c, &st);
		if (err == -EOPNOTSUPP)	/* an older xen-ncmig */
			err = 0;
	}
	if (c.json) {
		json_arr_end(&c.j);
		json_obj_end(&c.j);
		json_finish(&c.j);
	}
	ncmig_nl_close(nl);
	if (err) {
		ncmig_err("status: %s (%s)", st.msg, strerror(-err));
		return 1;
	}
	return 0;
}
