// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ncmigd save: a domain's xenstore area (and backend state) as a stream. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "json.h"
#include "ncmig.h"
#include "util.h"

static void save_usage(FILE *f)
{
	fprintf(f,
		"usage: ncmigd save --domid D [-o FILE | --fd N] [--backends] [--json]\n"
		"  Write domain D's xenstore area (/local/domain/D, relative\n"
		"  paths, binary values, full permissions) and its identity\n"
		"  (UUID, host) as an ncmig record stream (doc/stream-format.md).\n"
		"  With --backends only, also its backend snapshots: that\n"
		"  quiesces D's disks and vifs (QUIESCE, SNAPSHOT, RESUME; up to\n"
		"  5 s) and fails if a handover holds them.  Without it nothing\n"
		"  is quiesced.  The stream goes to FILE, to fd N, or to stdout;\n"
		"  the summary goes to stdout, or to stderr when the stream does.\n");
}

static void report(FILE *f, bool json, const struct ncmig_xs_capture *c,
		   int backends, const struct ncmig_writer *w)
{
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
	json_key(&j, "watches");
	json_obj_begin(&j);
	json_kv_bool(&j, "carried", c->watches == NCMIG_WATCHES_CARRIED);
	json_kv_u64(&j, "count", c->nr_watches);
	json_kv_str(&j, "detail", ncmig_watch_status_text(c->watches, true));
	json_obj_end(&j);
	json_key(&j, "backends");
	if (backends < 0)
		json_null(&j);
	else
		json_u64(&j, (uint64_t)backends);
	json_kv_u64(&j, "records", w->nr_recs);
	json_kv_u64(&j, "octets", w->offset);
	json_obj_end(&j);
	json_finish(&j);
}

int cmd_save(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domid", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "fd", required_argument, NULL, 'f' },
		{ "backends", no_argument, NULL, 'K' },
		{ "no-backends", no_argument, NULL, 'B' },	/* the default */
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *out = NULL;
	char *tmp = NULL;
	bool json = false, backends_wanted = false, have_domid = false;
	struct ncmig_save_report rep;
	struct ncmig_writer w;
	struct ncmig_xs *x;
	uint16_t domid = 0;
	int c, fd = -1, ofd, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!ncmigd_parse_domid(optarg, &domid)) {
				ncmig_err("save: bad domid \"%s\"", optarg);
				return 2;
			}
			have_domid = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 'f':
			if (!ncmigd_parse_fd(optarg, &fd)) {
				ncmig_err("save: --fd %s is not an open fd", optarg);
				return 2;
			}
			break;
		case 'B':
			backends_wanted = false;
			break;
		case 'K':
			backends_wanted = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			save_usage(stdout);
			return 0;
		default:
			save_usage(stderr);
			return 2;
		}
	}
	if (!have_domid || optind != argc || (out && fd >= 0)) {
		save_usage(stderr);
		return 2;
	}
	x = ncmig_xs_open();
	if (!x) {
		ncmig_err("cannot open xenstore: %s", strerror(errno));
		return 1;
	}
	/* Captured into memory first: a failed capture leaves no file. */
	ncmig_writer_init_mem(&w);
	rc = ncmig_save_stream(x, domid, backends_wanted, &w, &rep);
	ncmig_xs_close(x);
	if (rc)
		goto out;
	/* A file appears whole or not at all. */
	if (out && strcmp(out, "-")) {
		if (asprintf(&tmp, "%s.tmp", out) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		ofd = ncmigd_open_stream(tmp, -1, true);
	} else {
		ofd = ncmigd_open_stream(NULL, fd, true);
	}
	if (ofd < 0) {
		rc = -EIO;
		goto out;
	}
	rc = ncmig_write_all(ofd, w.buf, w.len);
	if (tmp) {
		if (!rc && fsync(ofd))
			rc = -errno;
		close(ofd);
		if (!rc && rename(tmp, out))
			rc = -errno;
		if (rc)
			unlink(tmp);
	}
	if (!rc)
		report(ofd == STDOUT_FILENO ? stderr : stdout, json, &rep.cap,
		       rep.backends, &w);
	else
		ncmig_dom_err(domid, "writing %s: %s", out ? out : "the stream",
			       strerror(-rc));
out:
	free(tmp);
	ncmig_writer_free(&w);
	ncmig_save_report_free(&rep);
	return rc ? 1 : 0;
}
