// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Run the stream writer and parser once over a small synthetic stream,
 * before a suspend window, so that the window does not pay for their
 * first run: code paged in, heap grown, and in the nested lab QEMU's
 * translation of that code (splice's recv took 8.8 ms to parse its first
 * 8 KB stream there, 1.1 ms after this warm-up).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ncmig.h"
#include "xs_record.h"

/* Like a small guest's area: a vbd and a vif with their usual keys. */
#define WARMUP_NODES	96

static int warm_nodes(struct ncmig_writer *w, uint16_t domid)
{
	const struct ncmig_xs_perm perms[2] = {
		{ .perm = 'n', .domid = domid }, { .perm = 'r', .domid = 0 },
	};
	unsigned char *body;
	char rel[64], val[32];
	size_t len;
	int i, rc = 0;

	for (i = 0; !rc && i < WARMUP_NODES; i++) {
		snprintf(rel, sizeof(rel), "device/vbd/51712/key-%d", i);
		snprintf(val, sizeof(val), "value %d", i);
		rc = ncmig_xs_node_encode(rel, val, 8, perms, 2, &body, &len);
		if (!rc) {
			rc = ncmig_write_record(w, NCMIG_REC_XS_NODE, body, len);
			free(body);
		}
	}
	if (!rc)
		rc = ncmig_xs_watch_encode("device", "warmup", &body, &len);
	if (!rc) {
		rc = ncmig_write_record(w, NCMIG_REC_XS_WATCH, body, len);
		free(body);
	}
	return rc;
}

int ncmig_stream_warmup(uint64_t *took_us)
{
	const struct ncmig_identity id = { .uuid = { 1 }, .host = { 2 } };
	const uint16_t domid = 1;
	struct ncmig_stream_err err;
	struct ncmig_writer w;
	struct ncmig_stream s;
	uint64_t t0 = ncmig_now_ns();
	int rc;

	ncmig_writer_init_mem(&w);
	rc = ncmig_write_header(&w);
	if (!rc)
		rc = ncmig_write_domain_id(&w, domid, NCMIG_DOM_F_XS_NODES |
					   NCMIG_DOM_F_XS_WATCHES, &id);
	if (!rc)
		rc = warm_nodes(&w, domid);
	if (!rc)
		rc = ncmig_write_end(&w);
	if (!rc) {
		rc = ncmig_stream_parse(w.buf, w.len, &s, &err);
		if (!rc)
			ncmig_stream_free(&s);
	}
	ncmig_writer_free(&w);
	if (took_us)
		*took_us = (ncmig_now_ns() - t0) / 1000;
	return rc;
}
