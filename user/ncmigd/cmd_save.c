// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ncmigd save: a domain's xenstore area (and backend state) as a stream. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "opts.h"
#include "json.h"
#include "ncmig.h"
#include "util.h"
#include "watches_json.h"

const char save_usage[] =
		"usage: ncmigd save --domid D [-o FILE | --fd N] [--backends]\n"
		"                   [--watches-via lu-state] [--gnttab] [--json]\n"
		"  Write domain D's xenstore area (/local/domain/D, relative\n"
		"  paths, binary values, full permissions) and its identity\n"
		"  (UUID, host) as an ncmig record stream (doc/stream-format.md).\n"
		"  With --backends only, also its backend snapshots: that\n"
		"  quiesces D's disks and vifs (QUIESCE, SNAPSHOT, RESUME; up to\n"
		"  5 s) and fails if a handover holds them.  Without it nothing\n"
		"  is quiesced.  The stream goes to FILE, to fd N, or to stdout;\n"
		"  the summary goes to stdout, or to stderr when the stream does.\n"
		"  --watches-via lu-state takes D's watches from ONE live update\n"
		"  of the dom0 C xenstored into its own binary (every domain's\n"
		"  xenstore pauses meanwhile; for a lab, not a production host:\n"
		"  doc/cross-host.md).  --gnttab adds a record of D's grant\n"
		"  table as dom0 maps it (evidence; nothing applies it).\n";

static void report(FILE *f, bool json, const struct ncmig_save_report *rep,
		   const struct ncmig_writer *w)
{
	const struct ncmig_xs_capture *c = &rep->cap;
	int backends = rep->backends;
	struct json j;

	if (!json) {
		fprintf(f, "d%u: saved %zu xenstore nodes (%zu value octets)",
			c->domid, c->nr_nodes, c->value_bytes);
		if (c->tx_retries)
			fprintf(f, " after %u transaction retries",
				c->tx_retries);
		fprintf(f, "\nd%u: watches: %s\n", c->domid,
			ncmig_watch_status_text(c->watches, true));
		if (backends < 0)
			fprintf(f, "d%u: backends: none taken (without "
				"--backends, or no device in the kernel)\n",
				c->domid);
		else
			fprintf(f, "d%u: backends: %d device records\n",
				c->domid, backends);
		if (rep->gnttab_entries >= 0)
			fprintf(f, "d%u: grant table: %ld entries in use "
				"(GNTTAB record, evidence only)\n", c->domid,
				rep->gnttab_entries);
		else if (rep->gnttab_why[0])
			fprintf(f, "d%u: grant table: NOT recorded: %s\n",
				c->domid, rep->gnttab_why);
		fprintf(f, "d%u: stream: %u records, %llu octets\n", c->domid,
			w->nr_recs, (unsigned long long)w->offset);
		return;
	}
	json_init(&j, f);
	json_obj_begin(&j);
	json_kv_u64(&j, "domid", c->domid);
	json_kv_u64(&j, "nodes", c->nr_nodes);
	json_kv_u64(&j, "value_octets", c->value_bytes);
	json_kv_u64(&j, "tx_retries", c->tx_retries);
	json_watches(&j, c->watches, c->nr_watches, true);
	json_key(&j, "backends");
	if (backends < 0)
		json_null(&j);
	else
		json_u64(&j, (uint64_t)backends);
	json_key(&j, "gnttab_entries");
	if (rep->gnttab_entries < 0)
		json_null(&j);
	else
		json_u64(&j, (uint64_t)rep->gnttab_entries);
	if (rep->gnttab_why[0])
		json_kv_str(&j, "gnttab_error", rep->gnttab_why);
	json_kv_u64(&j, "records", w->nr_recs);
	json_kv_u64(&j, "octets", w->offset);
	json_obj_end(&j);
	json_finish(&j);
}

struct save_opts {
	const char *out;
	bool backends, lu, gnttab;
};

static int save_opt(int c, const char *arg, void *ctx)
{
	struct save_opts *o = ctx;

	switch (c) {
	case 'o':
		o->out = arg;
		return 0;
	case 'K':
		o->backends = true;
		return 0;
	case 'B':
		o->backends = false;	/* the default */
		return 0;
	case 'W':
		if (strcmp(arg, "lu-state"))
			return 2;
		o->lu = true;
		return 0;
	case 'G':
		o->gnttab = true;
		return 0;
	}
	return 2;
}

int cmd_save(int argc, char **argv)
{
	static const struct option own[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "backends", no_argument, NULL, 'K' },
		{ "no-backends", no_argument, NULL, 'B' },
		{ "watches-via", required_argument, NULL, 'W' },
		{ "gnttab", no_argument, NULL, 'G' },
		{ 0 }
	};
	struct save_opts so = { 0 };
	const struct ncmigd_verb v = {
		.name = "save", .usage = save_usage, .own = own,
		.shared = NCMIGD_OPT_DOMID | NCMIGD_OPT_FD | NCMIGD_OPT_JSON,
		.shortopts = "o:", .opt = save_opt, .ctx = &so,
	};
	const char *out;
	bool json, backends_wanted;
	struct ncmig_save_report rep;
	struct ncmigd_args a;
	struct ncmig_writer w;
	struct ncmig_xs *x;
	uint16_t domid;
	int fd, ofd, rc;

	rc = ncmigd_parse(&v, argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (!a.has_domid || optind != argc || (so.out && a.fd >= 0))
		return ncmigd_usage_error(&v);
	out = so.out;
	backends_wanted = so.backends;
	json = a.json;
	domid = a.domid;
	fd = a.fd;
	/* Before anything is captured (or, with --backends, quiesced). */
	if (ncmigd_stream_to_tty("save", out, fd))
		return 1;
	x = ncmig_xs_open();
	if (!x) {
		ncmig_err("cannot open xenstore: %s", strerror(errno));
		return 1;
	}
	if (so.lu && ncmig_xs_use_lu_watches(x, NCMIGD_LU_TIMEOUT_S)) {
		ncmig_err("save: --watches-via lu-state needs libxenstore");
		ncmig_xs_close(x);
		return 1;
	}
	/* Captured into memory first: a failed capture leaves no file. */
	ncmig_writer_init_mem(&w);
	rc = ncmig_save_stream_opts(x, domid, backends_wanted, so.gnttab, &w,
				    &rep);
	ncmig_xs_close(x);
	if (rc)
		goto out;
	/* A file appears whole or not at all. */
	if (out && strcmp(out, "-")) {
		rc = ncmigd_write_file(out, w.buf, w.len);
		if (rc > 0) {
			rc = -EIO;
			goto out;
		}
		ofd = -1;
	} else {
		ofd = ncmigd_open_stream(NULL, fd, true);
		if (ofd < 0) {
			rc = -EIO;
			goto out;
		}
		rc = ncmig_write_all(ofd, w.buf, w.len);
	}
	if (!rc) {
		if (ncmigd_verbosity >= 0)	/* -q: errors only */
			report(ofd == STDOUT_FILENO ? stderr : stdout, json,
			       &rep, &w);
	} else {
		ncmig_dom_err(domid, "writing %s: %s", out ? out : "the stream",
			       strerror(-rc));
	}
out:
	ncmig_writer_free(&w);
	ncmig_save_report_free(&rep);
	return rc ? 1 : 0;
}
