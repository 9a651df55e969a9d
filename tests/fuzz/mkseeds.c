// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Writes the seed inputs of every fuzz corpus
 * (tests/fuzz/corpus/<target>/seed-*): valid ones, and small invalid ones
 * (seed-bad-*) that each break one rule behind a correct checksum.
 * `make -C user fuzz-seeds` runs it; the seeds are committed so that
 * fuzz-check needs no generator.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncmig_snap.h"
#include "../unit/snap_util.h"
#include "ncmig.h"
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

/* A small stream of d5 breaking one rule; @edit picks which. */
static void bad_stream(const char *name, int edit)
{
	static const unsigned char dom0[8] = { 0, 0, 0, 0, 1, 0, 0, 0 };
	static const unsigned char shortid[8] = { 5, 0, 0, 0, 9, 0, 0, 0 };
	static const struct ncmig_identity id = { { 1, 2, 3 }, { 4, 5, 6 } };
	static char big[4097];
	struct ncmig_writer w;
	unsigned char *b;
	size_t len;

	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	if (edit == 0)
		ncmig_write_record(&w, NCMIG_REC_DOMAIN, dom0, 8);
	else if (edit == 1)
		ncmig_write_record(&w, NCMIG_REC_DOMAIN, shortid, 8);
	else
		ncmig_write_domain_id(&w, 5, NCMIG_DOM_F_V1_ALL, &id);
	switch (edit) {
	case 2:	/* child before parent */
		node(&w, NULL, "a/b", "", 0, 1);
		node(&w, NULL, "a", "", 0, 1);
		break;
	case 3:	/* a node twice */
		node(&w, NULL, "a", "", 0, 1);
		node(&w, NULL, "a", "x", 1, 1);
		break;
	case 4:	/* a backend record of another domain */
		snap_util_vbd(&s, 1, 0);
		s.domid = 6;
		len = ncmig_snap_encode(&s, rec, sizeof(rec));
		ncmig_write_record(&w, NCMIG_REC_BACKEND, rec, len);
		break;
	case 5:	/* a value over 4096 octets (encoded by hand) */
		memset(big, 'v', sizeof(big));
		len = 16 + 4 + 2 + sizeof(big);
		b = calloc(1, len);
		b[8] = 2;
		b[10] = sizeof(big) & 0xff;
		b[11] = sizeof(big) >> 8;
		b[14] = 1;
		b[16] = 'n';
		b[20] = 'a';
		memcpy(b + 22, big, sizeof(big));
		ncmig_write_record(&w, NCMIG_REC_XS_NODE, b, len);
		free(b);
		break;
	case 6:	/* an unknown mandatory record */
		ncmig_write_record(&w, 0x777, "abc", 3);
		break;
	}
	ncmig_write_end(&w);
	if (edit == 7)	/* a second END */
		ncmig_write_end(&w);
	put("fuzz_stream", name, w.buf, w.len);
	ncmig_writer_free(&w);
}

static void bad_streams(void)
{
	bad_stream("bad-dom0", 0);
	bad_stream("bad-identity-short", 1);
	bad_stream("bad-child-first", 2);
	bad_stream("bad-node-twice", 3);
	bad_stream("bad-backend-other-domain", 4);
	bad_stream("bad-value-over-4096", 5);
	bad_stream("bad-unknown-mandatory", 6);
	bad_stream("bad-two-ends", 7);
}

/*
 * fuzz_restore: 4 choice octets (target, bits, extra nodes, 0), the
 * extra tree nodes, then a stream of d5 with what restore must handle:
 * toolstack nodes, a frontend, rebased values, a foreign ACL, a watch.
 */
static void restores(void)
{
	static const struct ncmig_identity id = {
		{ 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		  0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef }, { 7 } };
	static const unsigned char choices[][2] = {
		{ 1, 0 }, { 1, 4 | 1 }, { 0, 4 | 3 }, { 2, 4 }, { 3, 4 },
		{ 4, 4 }, { 1, 4 | 8 }, { 1, 4 | 8 | 16 }, { 1, 4 | 32 | 64 },
		{ 2, 64 | 4 | 1 }, { 1, 4 | 8 | 64 }, { 1, 128 | 4 | 1 },
	};
	static const struct ncmig_xs_perm own5[2] = { { 'n', 5 }, { 'r', 0 } };
	static const struct ncmig_xs_perm foreign[2] = { { 'n', 5 }, { 'r', 3 } };
	/* two extra nodes: under d5 (owner d3) and under d9 */
	static const unsigned char tree[] = {
		2, 4, 'd', 'a', 't', 'a', 3, 'o', 'l', 'd', 2 << 2,
		4, 3, 'x', '/', 'y', 1, 'v', 0,
	};
	struct ncmig_writer w;
	unsigned char *b, buf[8192];
	char name[32];
	size_t len, i;

	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain_id(&w, 5, NCMIG_DOM_F_V1_ALL, &id);
	node(&w, NULL, "", "", 0, 2);
	node(&w, NULL, "name", "guest", 5, 2);
	node(&w, NULL, "control", "", 0, 1);
	node(&w, NULL, "control/shutdown", "poweroff", 8, 1);
	node(&w, NULL, "device", "", 0, 2);
	node(&w, NULL, "device/vbd", "", 0, 2);
	ncmig_xs_node_encode("device/vbd/51712", "", 0, own5, 2, &b, &len);
	ncmig_write_record(&w, NCMIG_REC_XS_NODE, b, len);
	free(b);
	ncmig_xs_node_encode("device/vbd/51712/backend",
			     "/local/domain/0/backend/vbd/5/51712", 35, own5, 2,
			     &b, &len);
	ncmig_write_record(&w, NCMIG_REC_XS_NODE, b, len);
	free(b);
	ncmig_xs_node_encode("device/vbd/51712/ring-ref", "8", 1, own5, 2, &b,
			     &len);
	ncmig_write_record(&w, NCMIG_REC_XS_NODE, b, len);
	free(b);
	node(&w, NULL, "data", "", 0, 2);
	node(&w, NULL, "data/p", "/local/domain/5/data", 20, 2);
	node(&w, NULL, "data/b", "backend/vif/5/0", 15, 2);
	ncmig_xs_node_encode("data/f", "x", 1, foreign, 2, &b, &len);
	ncmig_write_record(&w, NCMIG_REC_XS_NODE, b, len);
	free(b);
	watch(&w, NULL, "/local/domain/5/data", "t1");
	watch(&w, NULL, "/local/domain/0/backend/vbd/5/51712/state", "t2");
	snap_util_vbd(&s, 1, 0);
	s.domid = 5;
	s.devid = 51712;
	len = ncmig_snap_encode(&s, rec, sizeof(rec));
	ncmig_write_backend(&w, rec, len);
	ncmig_write_end(&w);
	for (i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
		buf[0] = choices[i][0];
		buf[1] = choices[i][1];
		buf[2] = i & 1 ? 2 : 0;
		buf[3] = 0;
		len = 4;
		if (i & 1) {
			memcpy(buf + 4, tree, sizeof(tree));
			len += sizeof(tree);
		}
		memcpy(buf + len, w.buf, w.len);
		snprintf(name, sizeof(name), "d5-%zu", i);
		put("fuzz_restore", name, buf, len + w.len);
	}
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

static unsigned char *seed_stream;
static size_t seed_stream_len;
static int seed_colo;

static int seed_at_end(void *arg, unsigned char **buf, size_t *len)
{
	(void)arg;
	*buf = malloc(seed_stream_len);
	if (!*buf)
		return -12;
	memcpy(*buf, seed_stream, seed_stream_len);
	*len = seed_stream_len;
	return 0;
}

/* What send makes of xl[0..xl_len): the real filter, into @out. */
static size_t seed_send(unsigned char *out, size_t cap)
{
	struct ncmig_splice_hooks h = { .at_end = seed_at_end,
					.colo = seed_colo };
	struct ncmig_splice_stats st;
	FILE *fi = tmpfile(), *fo = tmpfile();
	char msg[300];
	size_t n;

	if (!fi || !fo || fwrite(xl, 1, xl_len, fi) != xl_len || fflush(fi))
		abort();
	rewind(fi);
	if (ncmig_splice_filter(fileno(fi), fileno(fo), &h, &st, msg,
				sizeof(msg))) {
		fprintf(stderr, "mkseeds: splice: %s\n", msg);
		abort();
	}
	rewind(fo);
	n = fread(out, 1, cap, fo);
	fclose(fi);
	fclose(fo);
	return n;
}

static void splices(void)
{
	static const char cfg[] = "{\"c_info\": {\"name\": \"guest\", \"uuid\": \"01234567-89ab-cdef-0123-456789abcdef\"}}";
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
	{
		/* Checkpointed (Remus, then COLO) streams, as send makes
		 * them: 3 checkpoints, then the primary stops.
		 */
		size_t head = xl_len, k;
		static unsigned char sent[sizeof(xl)];
		int colo;

		for (colo = 0; colo < 2; colo++) {
			xl_len = head;
			for (k = 0; k < 3; k++) {
				xrec(1, "pages", 5);
				xrec(0x0e, NULL, 0);
				xrec(2, "\0\0\0\0\0\0\0\0k\0v\0", 12);
				xrec(4, NULL, 0);
				if (colo)
					xrec(5, "\1\0\0\0", 4);
			}
			seed_colo = colo;
			{
				struct ncmig_writer cw;
				size_t n;

				ncmig_writer_init_mem(&cw);
				ncmig_write_header(&cw);
				ncmig_write_domain(&cw, 5, NCMIG_DOM_F_XS_NODES);
				ncmig_write_end(&cw);
				seed_stream = cw.buf;
				seed_stream_len = cw.len;
				n = seed_send(sent + 1, sizeof(sent) - 1);
				sent[0] = colo ? 2 : 0;
				put("fuzz_splice", colo ? "recv-colo" : "recv-remus",
				    sent, n + 1);
				ncmig_writer_free(&cw);
			}
		}
		seed_colo = 0;
		xl_len = head;
	}
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

	/* The same with our optional libxc record, as send makes it. */
	mode = 0;
	memmove(xl, xl + 1, xl_len);
	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain(&w, 5, NCMIG_DOM_F_XS_NODES);
	node(&w, NULL, "", "", 0, 2);
	node(&w, NULL, "name", "guest", 5, 2);
	ncmig_write_end(&w);
	{
		static unsigned char sent[sizeof(xl)];
		size_t n;

		seed_stream = w.buf;
		seed_stream_len = w.len;
		n = seed_send(sent + 1, sizeof(sent) - 1);
		sent[0] = mode;
		put("fuzz_splice", "recv-record", sent, n + 1);
	}
	/* And the libxl-layer record an older send put before libxl's END. */
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
	put("fuzz_splice", "recv-record-legacy", xl, xl_len + 1);
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
	bad_streams();
	restores();
	splices();
	return 0;
}
