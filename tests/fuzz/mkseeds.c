// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Writes the valid seed inputs of every fuzz corpus
 * (tests/fuzz/corpus/<target>/seed-*).  `make -C user fuzz-seeds` runs
 * it; the seeds are committed so that fuzz-check needs no generator.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncmig_snap.h"
#include "../unit/snap_util.h"
#include "stream.h"
#include "xs_record.h"

static const char *dir;

static void put(const char *target, const char *name, const void *p,
		size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/seed-%s", dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static unsigned char rec[XEN_NCMIG_RECORD_MAX];
static struct ncmig_snap s;

static size_t snap_vbd(void)
{
	snap_util_vbd(&s, 2, 1);
	return ncmig_snap_encode(&s, rec, sizeof(rec));
}

static void snaps(void)
{
	size_t len;

	put("fuzz_snap", "vbd", rec, snap_vbd());
	snap_util_vif(&s, 2);
	len = ncmig_snap_encode(&s, rec, sizeof(rec));
	put("fuzz_snap", "vif", rec, len);
	memset(&s, 0, sizeof(s));
	s.kind = XEN_NCMIG_KIND_VIF;
	s.vif.nr_queues = 1;
	len = ncmig_snap_encode(&s, rec, sizeof(rec));
	put("fuzz_snap", "vif-minimal", rec, len);
}

static const struct ncmig_xs_perm perms[3] = {
	{ 'n', 0 }, { 'r', 5 }, { 'b', 7 },
};

static void node(struct ncmig_writer *w, const char *name, const char *path,
		 const void *val, size_t vlen, size_t np)
{
	unsigned char *b;
	size_t len;

	if (ncmig_xs_node_encode(path, val, vlen, perms, np, &b, &len))
		exit(1);
	if (name)
		put("fuzz_xs_node", name, b, len);
	if (w)
		ncmig_write_record(w, NCMIG_REC_XS_NODE, b, len);
	free(b);
}

static void watch(struct ncmig_writer *w, const char *name, const char *path,
		  const char *token)
{
	unsigned char *b;
	size_t len;

	if (ncmig_xs_watch_encode(path, token, &b, &len))
		exit(1);
	if (name)
		put("fuzz_xs_watch", name, b, len);
	if (w)
		ncmig_write_record(w, NCMIG_REC_XS_WATCH, b, len);
	free(b);
}

static void streams(void)
{
	struct ncmig_writer w;

	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain(&w, 5, NCMIG_DOM_F_V1_ALL);
	node(&w, "home", "", "", 0, 2);
	node(&w, "device", "device", "", 0, 2);
	node(&w, "state", "device/vbd", "4", 1, 3);
	node(&w, "binary", "device/vbd/51712", "a\0b\xff", 4, 1);
	watch(&w, "abs", "/local/domain/0/backend/vbd/5", "tok");
	watch(&w, "special", "@releaseDomain", "rel");
	ncmig_write_record(&w, NCMIG_REC_OPTIONAL | 0x42, "opt", 3);
	ncmig_write_backend(&w, rec, snap_vbd());
	ncmig_write_end(&w);
	put("fuzz_stream", "full", w.buf, w.len);
	ncmig_writer_free(&w);

	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain(&w, 1, 0);
	ncmig_write_end(&w);
	put("fuzz_stream", "minimal", w.buf, w.len);
	ncmig_writer_free(&w);
}

/* A synthetic xl migration stream (tools/xl/xl.h, libxl v2, libxc v3). */
static unsigned char xl[8192];
static size_t xl_len;

static void xput(const void *p, size_t n)
{
	if (n)
		memcpy(xl + xl_len, p, n);
	xl_len += n;
}

static void xput32(uint32_t v, bool be)
{
	unsigned char b[4];
	int i;

	for (i = 0; i < 4; i++)
		b[i] = (unsigned char)(be ? v >> (24 - 8 * i) : v >> (8 * i));
	xput(b, 4);
}

static void xrec(uint32_t type, const void *body, uint32_t len)
{
	static const unsigned char zero[8];

	xput32(type, false);
	xput32(len, false);
	xput(body, len);
	xput(zero, (8 - len % 8) % 8);
}

static void splices(void)
{
	static const char cfg[] = "{}";
	unsigned char ihdr[24] = { 0 }, dhdr[16] = { 1, 0, 0, 0, 12 };
	struct ncmig_writer w;
	size_t end;
	unsigned char mode;

	xput("Xen saved domain, xl format\n \0 \r", 32);
	xput32(0x01020304, false);
	xput32(3, false);
	xput32(0, false);
	xput32(4 + sizeof(cfg), false);
	xput32(sizeof(cfg), false);
	xput(cfg, sizeof(cfg));
	xput("LibxlFmt", 8);
	xput32(2, true);
	xput32(0, true);
	xrec(1, NULL, 0);
	memset(ihdr, 0xff, 8);
	memcpy(ihdr + 8, "XENF", 4);
	ihdr[15] = 3;
	xput(ihdr, 24);
	xput(dhdr, 16);
	xrec(5, "page", 4);
	xrec(0, NULL, 0);
	xrec(2, "\0\0\0\0\0\0\0\0k\0v\0", 12);
	end = xl_len;
	xrec(0, NULL, 0);
	xput("domain is yours, you are cleared to unpause", 44);

	/* fuzz_splice's first octet picks the side: 1 send, 0 recv. */
	memmove(xl + 1, xl, xl_len);
	xl[0] = 1;
	put("fuzz_splice", "send", xl, xl_len + 1);
	xl[0] = 0;
	put("fuzz_splice", "recv-plain", xl, xl_len + 1);

	/* The same with our record before libxl's END, as send makes it. */
	mode = 0;
	memmove(xl, xl + 1, xl_len);
	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain(&w, 5, NCMIG_DOM_F_XS_NODES);
	node(&w, NULL, "", "", 0, 2);
	node(&w, NULL, "name", "guest", 5, 2);
	ncmig_write_end(&w);
	memmove(xl + end + 8 + ((w.len + 7) & ~(size_t)7), xl + end,
		xl_len - end);
	memset(xl + end, 0, 8 + ((w.len + 7) & ~(size_t)7));
	xl_len += 8 + ((w.len + 7) & ~(size_t)7);
	{
		size_t save = xl_len;

		xl_len = end;
		xput32(0xce434d47, false);
		xput32((uint32_t)w.len, false);
		xput(w.buf, w.len);
		xl_len = save;
	}
	memmove(xl + 1, xl, xl_len);
	xl[0] = mode;
	put("fuzz_splice", "recv-record", xl, xl_len + 1);
	ncmig_writer_free(&w);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds CORPUS_DIR\n");
		return 2;
	}
	dir = argv[1];
	snaps();
	streams();
	splices();
	return 0;
}
