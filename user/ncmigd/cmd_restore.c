// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ncmigd restore: put a stream's xenstore area (and backends) onto D. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ncmig.h"
#include "audit.h"
#include "commands.h"
#include "json.h"
#include "opts.h"
#include "util.h"
#include "watches_json.h"

const char restore_usage[] =
		"usage: ncmigd restore --domid D [-i FILE | --fd N] [--overwrite]\n"
		"                      [--map-domid A=B]... [--no-backends]\n"
		"                      [--watches-via lu-state] [--json]\n"
		"  Validate the whole stream (FILE, fd N or stdin), then write its\n"
		"  xenstore nodes under /local/domain/D with owner and ACL entries\n"
		"  that named the saved domain rewritten to D.  Entries naming dom0\n"
		"  stay; one naming any other domain A is refused unless\n"
		"  --map-domid A=B maps it.  The toolstack's nodes (the home, name,\n"
		"  domid, vm, control/, memory/, each frontend's backend and\n"
		"  backend-id) are never written.  Nodes that exist are left alone\n"
		"  unless --overwrite; nodes only D has are kept.\n"
		"  Backend records go to the kernel unless --no-backends; unless\n"
		"  every one is a snapshot of D, nothing is restored.\n"
		"  --watches-via lu-state adds the stream's watches to D's\n"
		"  connection through ONE live update of the dom0 C xenstored\n"
		"  into its own binary, which rewrites its state (for a lab, not\n"
		"  a production host: doc/cross-host.md).\n";

#define NCMIGD_MAP_MAX 16

/* "A=B": ACL entries naming guest A name B on the target. */
static bool parse_map(const char *arg, struct ncmig_domid_map *m)
{
	const char *eq = strchr(arg, '=');
	char a[16];
	uint32_t b;

	if (!eq || (size_t)(eq - arg) >= sizeof(a))
		return false;
	memcpy(a, arg, (size_t)(eq - arg));
	a[eq - arg] = 0;
	if (!ncmigd_parse_domid(a, &m->from) || !ncmigd_parse_u32(eq + 1, &b) ||
	    b > NCMIG_DOMID_MAX)
		return false;
	m->to = (uint16_t)b;
	return true;
}

/*
 * Backend records are bound to the domain they were taken from: its
 * UUID, on this host.  A domid alone may name another domain by now.
 */
static int check_target(struct ncmig_xs *x, const struct ncmig_stream *s,
			uint16_t domid, const char *in)
{
	struct ncmig_stream_err err;
	struct ncmig_identity id;
	int rc;

	rc = ncmig_xs_domain_uuid(x, domid, id.uuid);
	if (rc) {
		ncmig_dom_err(domid, "refusing stream %s: cannot read the "
			       "domain's UUID (/local/domain/%u/vm): %s; nothing "
			       "restored", in ? in : "(fd)", domid, strerror(-rc));
		return rc;
	}
	rc = ncmig_host_id(id.host);
	if (rc) {
		ncmig_dom_err(domid, "refusing stream %s: no host identity "
			       "(/etc/machine-id): %s; nothing restored",
			       in ? in : "(fd)", strerror(-rc));
		return rc;
	}
	rc = ncmig_stream_check_identity(s, &id, &err);
	if (rc)
		ncmig_dom_err(domid, "refusing stream %s: %s; nothing restored "
			       "(--no-backends restores it without the backend "
			       "records)", in ? in : "(fd)", err.msg);
	return rc;
}

static void report(bool json, const struct ncmig_stream *s,
		   const struct ncmig_xs_restore *r, int backends)
{
	struct json j;

	if (!json) {
		printf("d%u: restored %zu xenstore nodes from d%u, %zu "
		       "permission entries rewritten\n", r->to, r->nr_nodes,
		       r->from, r->perms_rewritten);
		if (r->nr_toolstack)
			printf("d%u: left %zu toolstack nodes alone (home, name, "
			       "domid, vm, control/, memory/, backend, "
			       "backend-id)\n", r->to, r->nr_toolstack);
		if (r->nr_existing)
			printf("d%u: left %zu existing nodes alone (first: %s; "
			       "--overwrite replaces them)\n", r->to,
			       r->nr_existing, r->existing);
		printf("d%u: watches: %s\n", r->to,
		       ncmig_watch_status_text(r->watches, false));
		if (backends >= 0)
			printf("d%u: backends: %d devices attached\n", r->to,
			       backends);
		else
			printf("d%u: backends: skipped (%zu records in the "
			       "stream, --no-backends)\n", r->to,
			       s->nr_backends);
		if (r->values_rebased)
			printf("d%u: %zu values naming d%u's paths now name "
			       "d%u's\n", r->to, r->values_rebased, r->from,
			       r->to);
		return;
	}
	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kv_u64(&j, "domid", r->to);
	json_kv_u64(&j, "saved_domid", r->from);
	json_kv_u64(&j, "nodes", r->nr_nodes);
	json_kv_u64(&j, "existing_left", r->nr_existing);
	json_kv_u64(&j, "toolstack_left", r->nr_toolstack);
	json_kv_u64(&j, "device_left", r->nr_device);
	json_kv_u64(&j, "values_rebased", r->values_rebased);
	json_kv_u64(&j, "perms_rewritten", r->perms_rewritten);
	json_kv_u64(&j, "tx_retries", r->tx_retries);
	json_watches(&j, r->watches, r->nr_watches, false);
	json_key(&j, "backends");
	if (backends >= 0)
		json_u64(&j, (uint64_t)backends);
	else
		json_null(&j);
	json_obj_end(&j);
	json_finish(&j);
}

struct restore_opts {
	const char *in;
	bool overwrite, backends, lu;
	struct ncmig_domid_map map[NCMIGD_MAP_MAX];
	size_t nr_map;
};

static int restore_opt(int c, const char *arg, void *ctx)
{
	struct restore_opts *o = ctx;

	switch (c) {
	case 'i':
		o->in = arg;
		return 0;
	case 'O':
		o->overwrite = true;
		return 0;
	case 'B':
		o->backends = false;
		return 0;
	case 'W':
		if (strcmp(arg, "lu-state"))
			return 2;
		o->lu = true;
		return 0;
	case 'M':
		if (o->nr_map == NCMIGD_MAP_MAX ||
		    !parse_map(arg, &o->map[o->nr_map])) {
			ncmig_err("restore: bad --map-domid \"%s\" "
				  "(A=B, A a guest's domid; at most %u)",
				  arg, NCMIGD_MAP_MAX);
			return NCMIGD_USAGE_SAID;
		}
		o->nr_map++;
		return 0;
	}
	return 2;
}

int cmd_restore(int argc, char **argv)
{
	static const struct option own[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "overwrite", no_argument, NULL, 'O' },
		{ "no-backends", no_argument, NULL, 'B' },
		{ "map-domid", required_argument, NULL, 'M' },
		{ "watches-via", required_argument, NULL, 'W' },
		{ 0 }
	};
	static struct restore_opts ro;
	const struct ncmigd_verb v = {
		.name = "restore", .usage = restore_usage, .own = own,
		.shared = NCMIGD_OPT_DOMID | NCMIGD_OPT_FD | NCMIGD_OPT_JSON,
		.shortopts = "i:", .opt = restore_opt, .ctx = &ro,
	};
	const char *in;
	bool json, overwrite, backends_wanted;
	struct ncmig_stream_err err;
	struct ncmig_xs_restore_opts o = { .map = ro.map };
	struct ncmigd_args a;
	struct ncmig_xs_restore r;
	struct ncmig_stream s;
	struct ncmig_xs *x;
	uint16_t domid;
	int fd, ifd, rc, backends = -1;

	memset(&ro, 0, sizeof(ro));
	ro.backends = true;
	rc = ncmigd_parse(&v, argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (!a.has_domid || optind != argc || (ro.in && a.fd >= 0))
		return ncmigd_usage_error(&v);
	in = ro.in;
	overwrite = ro.overwrite;
	backends_wanted = ro.backends;
	o.nr_map = ro.nr_map;
	json = a.json;
	domid = a.domid;
	fd = a.fd;
	ifd = ncmigd_open_stream(in, fd, false);
	if (ifd < 0)
		return 1;
	/* Everything is validated before anything is applied. */
	rc = ncmig_stream_read_input(ifd, &s, &err);
	ncmigd_close_stream(ifd, in);
	if (rc) {
		ncmig_dom_err(domid, "rejected stream %s: %s",
			       in ? in : "(fd)", err.msg[0] ? err.msg :
			       strerror(-rc));
		return 1;
	}
	/* The kernel attaches a backend record only to its own domain. */
	if (backends_wanted && ncmig_stream_check_backends(&s, domid, &err)) {
		ncmig_dom_err(domid, "refusing stream %s: %s; nothing restored "
			       "(--no-backends restores it without the backend "
			       "records)", in ? in : "(fd)", err.msg);
		ncmig_stream_free(&s);
		return 1;
	}
	x = ncmig_xs_open();
	if (!x) {
		ncmig_err("cannot open xenstore: %s", strerror(errno));
		ncmig_stream_free(&s);
		return 1;
	}
	if (ro.lu && ncmig_xs_use_lu_watches(x, NCMIGD_LU_TIMEOUT_S)) {
		ncmig_err("restore: --watches-via lu-state needs libxenstore");
		ncmig_xs_close(x);
		ncmig_stream_free(&s);
		return 1;
	}
	if (s.nr_backends && backends_wanted) {
		rc = check_target(x, &s, domid, in);
		/* Refuse early rather than restore xenstore half-way. */
		if (!rc) {
			rc = ncmig_backends->family();
			if (rc == -EOPNOTSUPP)
				ncmig_dom_err(domid, "refusing stream %s: no "
					       "xen_ncmig netlink family (is "
					       "xen-ncmig.ko loaded?) for its %zu "
					       "backend records; nothing restored "
					       "(--no-backends restores it without "
					       "them)", in ? in : "(fd)",
					       s.nr_backends);
			else if (rc < 0)
				ncmig_dom_err(domid, "kernel backends: %s; "
					       "nothing restored", strerror(-rc));
		}
		if (rc < 0) {
			ncmig_xs_close(x);
			ncmig_stream_free(&s);
			return 1;
		}
	}
	o.overwrite = overwrite;
	o.keep_undo = true;
	/*
	 * A stream with backend records never writes the frontend's device/
	 * nodes, --no-backends or not: the kernel checks the records against
	 * the target's own nodes, and a stream's copy of a ring-ref or an
	 * event channel is no one's to write.
	 */
	o.keep_device = s.nr_backends != 0;
	rc = ncmig_xs_restore_opts(x, &s, domid, &o, &r);
	if (rc) {
		ncmig_xs_close(x);
		ncmig_xs_restore_free(&r);
		ncmig_dom_err(domid, "xenstore restore failed: %s%s%s; nothing "
			       "restored", strerror(-rc), r.refused[0] ? ": " : "",
			       r.refused);
		ncmig_stream_free(&s);
		return 1;
	}
	if (backends_wanted && !s.nr_backends)
		backends = 0;
	if (backends_wanted && s.nr_backends) {
		backends = ncmig_backends->restore(domid, &s);
		if (backends < 0) {
			/* All or nothing: the xenstore part goes again. */
			rc = ncmig_xs_restore_undo(x, &r);
			ncmig_dom_err(domid, "%zu backend records not attached: "
				       "%s; %s", s.nr_backends,
				       strerror(-backends), rc ?
				       "undoing the xenstore part FAILED" :
				       "the xenstore part was undone, nothing "
				       "restored");
			ncmigd_audit(true, "d%u: restore of %zu backend devices "
				     "failed: %s", domid, s.nr_backends,
				     strerror(-backends));
			ncmig_xs_close(x);
			ncmig_xs_restore_free(&r);
			ncmig_stream_free(&s);
			return 1;
		}
	}
	ncmig_xs_close(x);
	ncmig_xs_restore_free(&r);
	if (backends > 0)
		ncmigd_audit(false, "d%u: restore done: %d backend devices "
			     "attached from a stream", domid, backends);
	report(json, &s, &r, backends);
	ncmig_stream_free(&s);
	return 0;
}
