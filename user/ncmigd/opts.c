// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ncmigd: the one option parser of every verb (opts.h). */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "ncmig.h"
#include "opts.h"
#include "util.h"

/* getopt codes of the shared long options (own options use chars). */
enum { OPT_FD = 0x100, OPT_JSON, OPT_HELP };

#define OPTS_MAX 32

void ncmigd_usage(const struct ncmigd_verb *v, FILE *f)
{
	fputs(v->usage, f);
}

int ncmigd_usage_error(const struct ncmigd_verb *v)
{
	ncmigd_usage(v, stderr);
	return 2;
}

/* The long options: the shared ones @v takes, its own, --help. */
static void build(const struct ncmigd_verb *v, struct option *o, char *s,
		  size_t cap)
{
	const char *own = v->shortopts ? v->shortopts : "";
	size_t n = 0, i;

	if (v->shared & NCMIGD_OPT_DOMID)
		o[n++] = (struct option){ "domid", required_argument, NULL, 'd' };
	if (v->shared & NCMIGD_OPT_FD)
		o[n++] = (struct option){ "fd", required_argument, NULL, OPT_FD };
	if (v->shared & NCMIGD_OPT_JSON)
		o[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	for (i = 0; v->own && v->own[i].name && n < OPTS_MAX - 2; i++)
		o[n++] = v->own[i];
	o[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	o[n] = (struct option){ NULL, 0, NULL, 0 };
	snprintf(s, cap, "%s%sh%s%s", *own == '+' ? "+" : "",
		 v->shared & NCMIGD_OPT_DOMID ? "d:" : "",
		 *own == '+' ? own + 1 : own, "");
}

/* "--name" of the option getopt returned as @c, for a usage error. */
static void opt_name(const struct option *o, int c, char *buf, size_t cap)
{
	for (; o->name; o++)
		if (o->val == c && !o->flag) {
			snprintf(buf, cap, "--%s", o->name);
			return;
		}
	snprintf(buf, cap, "-%c", c);
}

/*
 * With --json, errors too are JSON: one object per line on stderr,
 * {"error":"d5 vbd 51712: ...","domid":5,"kind":"vbd","devid":51712},
 * so that stdout stays one document and a caller parses both.
 */
static void json_err(const struct ncmig_msg *m, void *arg)
{
	struct json j;

	(void)arg;
	json_init(&j, stderr);
	json_obj_begin(&j);
	json_kv_str(&j, "error", m->line);
	if (m->domid >= 0)
		json_kv_u64(&j, "domid", (uint64_t)m->domid);
	if (m->kind) {
		json_kv_str(&j, "kind", m->kind);
		json_kv_u64(&j, "devid", m->devid);
	}
	json_obj_end(&j);
	json_finish(&j);
}

int ncmigd_parse(const struct ncmigd_verb *v, int argc, char **argv,
		 struct ncmigd_args *a)
{
	char name[40];
	struct option opts[OPTS_MAX];
	char shortopts[64];
	int c, rc;

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	/* Before parsing, so that a usage error is JSON too. */
	ncmig_set_err_cb(NULL, NULL);
	for (c = 1; (v->shared & NCMIGD_OPT_JSON) && c < argc; c++) {
		if (!strcmp(argv[c], "--"))
			break;
		if (!strcmp(argv[c], "--json"))
			ncmig_set_err_cb(json_err, NULL);
	}
	build(v, opts, shortopts, sizeof(shortopts));
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!(v->shared & NCMIGD_OPT_DOMID))
				goto own;
			if (!ncmigd_parse_domid(optarg, &a->domid)) {
				ncmig_err("%s: bad domid \"%s\"", v->name, optarg);
				return ncmigd_usage_error(v);
			}
			a->has_domid = true;
			break;
		case OPT_FD:
			if (!ncmigd_parse_fd(optarg, &a->fd)) {
				ncmig_err("%s: --fd %s is not an open fd", v->name,
					  optarg);
				return ncmigd_usage_error(v);
			}
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case 'h':
			ncmigd_usage(v, stdout);
			return 1;
		case '?':
			return ncmigd_usage_error(v);
		default:
own:
			rc = v->opt ? v->opt(c, optarg, v->ctx) : 2;
			if (rc == 2) {
				opt_name(opts, c, name, sizeof(name));
				if (optarg)
					ncmig_err("%s: %s: bad value \"%s\"",
						  v->name, name, optarg);
				else
					ncmig_err("%s: %s not allowed here",
						  v->name, name);
			}
			if (rc)
				return ncmigd_usage_error(v);
			break;
		}
	}
	return 0;
}
