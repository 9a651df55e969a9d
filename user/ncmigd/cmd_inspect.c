// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ncmigd inspect: validate a stream and list what it carries. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "json.h"
#include "ncmig_snap.h"
#include "ncmig.h"
#include "opts.h"
#include "util.h"
#include "gnttab.h"

const char inspect_usage[] =
		"usage: ncmigd inspect FILE [--json]\n"
		"  Validate an ncmig stream (FILE or - for stdin) and list its\n"
		"  records.  Exits 1, naming the record and offset, if invalid.\n";

/* Printable preview of a binary value. */
static void put_value(FILE *f, const unsigned char *v, size_t len)
{
	size_t i, n = len > 64 ? 64 : len;

	fputc('"', f);
	for (i = 0; i < n; i++) {
		if (v[i] == '"' || v[i] == '\\')
			fprintf(f, "\\%c", v[i]);
		else if (v[i] >= 0x20 && v[i] < 0x7f)
			fputc(v[i], f);
		else
			fprintf(f, "\\x%02x", v[i]);
	}
	fputc('"', f);
	if (n < len)
		fprintf(f, "... (%zu octets)", len);
}

static void put_perms_text(FILE *f, const struct ncmig_xs_node *n)
{
	uint16_t i;

	for (i = 0; i < n->nr_perms; i++) {
		struct ncmig_xs_perm p = ncmig_xs_node_perm(n, i);

		fprintf(f, "%s%c%u", i ? " " : "", p.perm, p.domid);
	}
}

static void text_backend(const struct ncmig_backend *b,
			 const struct ncmig_snap *s)
{
	u32 i;

	if (s->kind == XEN_NCMIG_KIND_VBD) {
		const struct ncmig_vbd_state *d = &s->vbd;

		printf("    vbd %u: %llu sectors of %u, features %#x, protocol %u, "
		       "%u rings of order %u\n", b->devid,
		       (unsigned long long)d->sectors, d->sector_size,
		       d->features, d->protocol, d->nr_rings,
		       d->ring_page_order);
		for (i = 0; i < d->nr_rings; i++)
			printf("      ring %u: evtchn %u req_cons %u rsp_prod %u "
			       "req_prod %u, %u persistent grants\n", i,
			       d->rings[i].evtchn, d->rings[i].req_cons,
			       d->rings[i].rsp_prod, d->rings[i].req_prod,
			       d->rings[i].nr_pgrants);
	} else {
		const struct ncmig_vif_state *v = &s->vif;

		printf("    vif %u: mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u, "
		       "features %#x, %u queues%s%s%s\n", b->devid, v->mac[0],
		       v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5],
		       v->mtu, v->features, v->nr_queues,
		       v->has_hash ? ", hash" : "",
		       v->has_mcast ? ", multicast list" : "",
		       v->has_rate ? ", rate limit" : "");
	}
}

static void json_backend(struct json *j, const struct ncmig_snap *s)
{
	u32 i;

	json_kv_str(j, "kind", ncmig_kind_name(s->kind));
	json_kv_u64(j, "devid", s->devid);
	if (s->kind == XEN_NCMIG_KIND_VBD) {
		json_kv_u64(j, "sectors", s->vbd.sectors);
		json_kv_u64(j, "sector_size", s->vbd.sector_size);
		json_kv_u64(j, "features", s->vbd.features);
		json_kv_u64(j, "protocol", s->vbd.protocol);
		json_kv_u64(j, "ring_page_order", s->vbd.ring_page_order);
		json_key(j, "rings");
		json_arr_begin(j);
		for (i = 0; i < s->vbd.nr_rings; i++) {
			json_obj_begin(j);
			json_kv_u64(j, "evtchn", s->vbd.rings[i].evtchn);
			json_kv_u64(j, "req_cons", s->vbd.rings[i].req_cons);
			json_kv_u64(j, "rsp_prod", s->vbd.rings[i].rsp_prod);
			json_kv_u64(j, "req_prod", s->vbd.rings[i].req_prod);
			json_kv_u64(j, "pgrants", s->vbd.rings[i].nr_pgrants);
			json_obj_end(j);
		}
		json_arr_end(j);
	} else {
		json_key(j, "mac");
		json_hex(j, s->vif.mac, 6);
		json_kv_u64(j, "mtu", s->vif.mtu);
		json_kv_u64(j, "features", s->vif.features);
		json_kv_u64(j, "queues", s->vif.nr_queues);
		json_kv_bool(j, "hash", s->vif.has_hash);
		json_kv_bool(j, "multicast", s->vif.has_mcast);
		json_kv_bool(j, "rate", s->vif.has_rate);
	}
}

/* GNTTAB: the counts, each granted-to domain, then every entry. */
static void text_gnttab(const struct ncmig_stream *s)
{
	struct ncmig_gnttab_peer peers[64];
	struct ncmig_gnttab g;
	size_t np, k;
	uint32_t i;

	if (ncmig_gnttab_decode(s->gnttab, s->gnttab_len, &g, NULL))
		return;
	printf("grant table v%u: %u of %u frames, %u slots, %u entries in use%s "
	       "(evidence: not applied anywhere)\n", g.version, g.nr_frames,
	       g.max_frames, g.nr_slots, g.nr_entries,
	       g.flags & NCMIG_GNTTAB_F_CUT ? " (list cut)" : "");
	np = ncmig_gnttab_peers(&g, peers, 64);
	for (k = 0; k < np; k++)
		printf("      grants to d%u: %u entries\n", peers[k].domid,
		       peers[k].entries);
	for (i = 0; i < g.nr_entries; i++) {
		struct ncmig_gnttab_entry e;

		ncmig_gnttab_entry(&g, i, &e);
		printf("      gref %u (table frame %u) flags %#06x -> d%u frame %#x%s\n",
		       e.ref, e.ref / NCMIG_GNTTAB_V1_PER_FRAME, e.flags,
		       e.domid, e.frame, e.flags & 4 ? " readonly" : "");
	}
}

static void json_gnttab(struct json *j, const struct ncmig_stream *s)
{
	struct ncmig_gnttab g;
	uint32_t i;

	if (ncmig_gnttab_decode(s->gnttab, s->gnttab_len, &g, NULL))
		return;
	json_kv_u64(j, "gnttab_version", g.version);
	json_kv_u64(j, "nr_frames", g.nr_frames);
	json_kv_u64(j, "max_frames", g.max_frames);
	json_kv_u64(j, "nr_entries", g.nr_entries);
	json_kv_bool(j, "cut", g.flags & NCMIG_GNTTAB_F_CUT);
	json_key(j, "entries");
	json_arr_begin(j);
	for (i = 0; i < g.nr_entries; i++) {
		struct ncmig_gnttab_entry e;

		ncmig_gnttab_entry(&g, i, &e);
		json_obj_begin(j);
		json_kv_u64(j, "ref", e.ref);
		json_kv_u64(j, "flags", e.flags);
		json_kv_u64(j, "domid", e.domid);
		json_kv_u64(j, "frame", e.frame);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void show_text(const struct ncmig_stream *s, struct ncmig_snap *snap)
{
	size_t i, node = 0, watch = 0, be = 0;

	printf("ncmig stream v%u, %zu octets, %zu records, saved from d%u\n",
	       s->version, s->len, s->nr_recs, s->domid);
	printf("xenstore nodes: %s; watches: %s; backends: %s\n",
	       s->dom_flags & NCMIG_DOM_F_XS_NODES ? "captured" : "not captured",
	       s->dom_flags & NCMIG_DOM_F_XS_WATCHES ? "captured" :
	       "NOT carried (the source xenstored could not list them)",
	       s->dom_flags & NCMIG_DOM_F_BACKENDS ? "taken" : "not taken");
	if (s->dom_flags & NCMIG_DOM_F_IDENTITY) {
		const unsigned char *u = s->id.uuid;

		printf("identity: domain UUID %02x%02x%02x%02x-%02x%02x-%02x%02x-"
		       "%02x%02x-%02x%02x%02x%02x%02x%02x, host ", u[0], u[1],
		       u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
		       u[11], u[12], u[13], u[14], u[15]);
		for (i = 0; i < 16; i++)
			printf("%02x", s->id.host[i]);
		printf("\n");
	} else {
		printf("identity: none (backend records cannot be restored)\n");
	}
	for (i = 0; i < s->nr_recs; i++) {
		const struct ncmig_rec *r = &s->recs[i];

		printf("%4zu @%-8llu %-10s %6u  ", i,
		       (unsigned long long)r->offset,
		       ncmig_rec_type_name(r->type), r->len);
		switch (r->type) {
		case NCMIG_REC_XS_NODE: {
			const struct ncmig_xs_node *n = &s->nodes[node++];

			printf("%s [", n->path_len ? n->path : "(home)");
			put_perms_text(stdout, n);
			printf("] = ");
			put_value(stdout, n->value, n->value_len);
			break;
		}
		case NCMIG_REC_XS_WATCH:
			printf("%s token ", s->watches[watch].path);
			put_value(stdout, (const unsigned char *)
				  s->watches[watch].token,
				  strlen(s->watches[watch].token));
			watch++;
			break;
		case NCMIG_REC_BACKEND:
			printf("%s %u\n", ncmig_kind_name(s->backends[be].kind),
			       s->backends[be].devid);
			ncmig_snap_decode(s->backends[be].rec,
					  s->backends[be].len, snap, NULL);
			text_backend(&s->backends[be++], snap);
			continue;
		case NCMIG_REC_DOMAIN:
			printf("d%u flags %#x", s->domid, s->dom_flags);
			break;
		case NCMIG_REC_GNTTAB:
			printf("d%u's grant table\n", s->domid);
			text_gnttab(s);
			continue;
		case NCMIG_REC_END:
			break;
		default:
			printf("(optional, skipped)");
		}
		putchar('\n');
	}
}

static void show_json(const struct ncmig_stream *s, struct ncmig_snap *snap)
{
	size_t i, node = 0, watch = 0, be = 0;
	struct json j;
	uint16_t p;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kv_bool(&j, "valid", true);
	json_kv_u64(&j, "version", s->version);
	json_kv_u64(&j, "octets", s->len);
	json_kv_u64(&j, "saved_domid", s->domid);
	json_kv_bool(&j, "xs_nodes", s->dom_flags & NCMIG_DOM_F_XS_NODES);
	json_kv_bool(&j, "xs_watches", s->dom_flags & NCMIG_DOM_F_XS_WATCHES);
	json_kv_bool(&j, "backends", s->dom_flags & NCMIG_DOM_F_BACKENDS);
	json_key(&j, "records");
	json_arr_begin(&j);
	for (i = 0; i < s->nr_recs; i++) {
		const struct ncmig_rec *r = &s->recs[i];

		json_obj_begin(&j);
		json_kv_str(&j, "type", ncmig_rec_type_name(r->type));
		json_kv_u64(&j, "type_code", r->type);
		json_kv_u64(&j, "offset", r->offset);
		json_kv_u64(&j, "length", r->len);
		if (r->type == NCMIG_REC_XS_NODE) {
			const struct ncmig_xs_node *n = &s->nodes[node++];

			json_key(&j, "path");
			json_strn(&j, n->path, n->path_len);
			json_key(&j, "value_hex");
			json_hex(&j, n->value, n->value_len);
			json_key(&j, "value");
			json_strn(&j, n->value, n->value_len);
			json_key(&j, "perms");
			json_arr_begin(&j);
			for (p = 0; p < n->nr_perms; p++) {
				struct ncmig_xs_perm pe = ncmig_xs_node_perm(n, p);
				char c[2] = { pe.perm, 0 };

				json_obj_begin(&j);
				json_kv_str(&j, "perm", c);
				json_kv_u64(&j, "domid", pe.domid);
				json_obj_end(&j);
			}
			json_arr_end(&j);
		} else if (r->type == NCMIG_REC_XS_WATCH) {
			json_kv_str(&j, "path", s->watches[watch].path);
			json_kv_str(&j, "token", s->watches[watch].token);
			watch++;
		} else if (r->type == NCMIG_REC_BACKEND) {
			ncmig_snap_decode(s->backends[be].rec,
					  s->backends[be].len, snap, NULL);
			be++;
			json_backend(&j, snap);
		} else if (r->type == NCMIG_REC_GNTTAB) {
			json_gnttab(&j, s);
		} else if (r->type == NCMIG_REC_DOMAIN) {
			json_kv_u64(&j, "domid", s->domid);
			json_kv_u64(&j, "flags", s->dom_flags);
		}
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

int cmd_inspect(int argc, char **argv)
{
	const struct ncmigd_verb v = {
		.name = "inspect", .usage = inspect_usage,
		.shared = NCMIGD_OPT_JSON,
	};
	struct ncmig_stream_err err;
	struct ncmigd_args a;
	struct ncmig_stream s;
	struct ncmig_snap *snap;
	bool json;
	const char *in;
	int fd, rc;

	rc = ncmigd_parse(&v, argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (optind != argc - 1)
		return ncmigd_usage_error(&v);
	json = a.json;
	in = argv[optind];
	fd = ncmigd_open_stream(in, -1, false);
	if (fd < 0)
		return 1;
	rc = ncmig_stream_read_input(fd, &s, &err);
	ncmigd_close_stream(fd, in);
	if (rc) {
		const char *msg = err.msg[0] ? err.msg : strerror(-rc);

		if (json) {
			struct json j;

			json_init(&j, stdout);
			json_obj_begin(&j);
			json_kv_bool(&j, "valid", false);
			json_kv_str(&j, "error", msg);
			json_kv_u64(&j, "offset", err.offset);
			json_kv_str(&j, "record", ncmig_rec_type_name(err.type));
			json_obj_end(&j);
			json_finish(&j);
		}
		ncmig_err("%s: invalid stream: %s", in, msg);
		return 1;
	}
	snap = malloc(sizeof(*snap));
	if (!snap) {
		ncmig_stream_free(&s);
		return 1;
	}
	if (json)
		show_json(&s, snap);
	else
		show_text(&s, snap);
	free(snap);
	ncmig_stream_free(&s);
	return 0;
}
