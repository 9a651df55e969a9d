// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The real restore (what `ncmigd restore` does between reading the
 * stream and the kernel: ncmig_stream_parse, check_backends,
 * check_identity, ncmig_xs_restore_opts, ncmig_xs_restore_undo) over
 * tests/unit/fake_xs.c: random streams onto random trees.
 *
 * fuzz-extra-sources: tests/unit/fake_xs.c
 *
 * Input: 4 octets of choices, then the tree's extra nodes (a count and
 * that many entries), then the stream:
 *   [0] target: d1, d5, d9 (homes dom0's), d7 (home owned by d7), d4000
 *       (no home)
 *   [1] bits: 0 overwrite, 1 keep_device, 2 map d3->d4, 3 watches on,
 *       4 watch add fails, 5 commits race (one -EAGAIN), 6 undo after
 *       success, 7 the plain ncmig_xs_restore() (no undo journal)
 *   [2] number of extra tree nodes (mod 32); [3] reserved
 *   entries: [domid choice][path len][path][value len][value][perm]
 * What must hold, whatever the input:
 *   - nothing outside /local/domain/<target> ever changes;
 *   - the target's toolstack nodes (home, name, domid, vm, control/,
 *     memory/) never change;
 *   - a restore that fails changed nothing at all;
 *   - every ACL entry restore wrote names the target, dom0 or a mapped
 *     domain;
 *   - undo after a successful restore gives the tree back as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake_xs.h"
#include "ncmig.h"
#include "xs_record.h"

static const uint16_t targets[] = { 1, 5, 9, 7, 4000 };
static const uint16_t owners[] = { 0, 1, 3, 5, 9, 7 };

static void base_tree(struct ncmig_xs *x)
{
	static const uint16_t doms[] = { 1, 5, 9 };
	char p[64], v[64], perms[32];
	size_t i;

	for (i = 0; i < 3; i++) {
		uint16_t d = doms[i];

		snprintf(perms, sizeof(perms), "n0 r%u", d);
		snprintf(p, sizeof(p), "/local/domain/%u", d);
		fake_xs_set(x, p, "", 0, perms);
		snprintf(p, sizeof(p), "/local/domain/%u/name", d);
		snprintf(v, sizeof(v), "guest%u", d);
		fake_xs_set(x, p, v, (unsigned int)strlen(v), perms);
		snprintf(p, sizeof(p), "/local/domain/%u/domid", d);
		snprintf(v, sizeof(v), "%u", d);
		fake_xs_set(x, p, v, (unsigned int)strlen(v), perms);
		snprintf(p, sizeof(p), "/local/domain/%u/vm", d);
		fake_xs_set(x, p, "/vm/01234567-89ab-cdef-0123-456789abcdef", 40,
			    perms);
		snprintf(p, sizeof(p), "/local/domain/%u/control/shutdown", d);
		fake_xs_set(x, p, "", 0, perms);
		snprintf(p, sizeof(p), "/local/domain/%u/device/vbd/51712/backend",
			 d);
		snprintf(v, sizeof(v), "/local/domain/0/backend/vbd/%u/51712", d);
		snprintf(perms, sizeof(perms), "n%u r0", d);
		fake_xs_set(x, p, v, (unsigned int)strlen(v), perms);
	}
	fake_xs_set(x, "/local/domain/7", "", 0, "n7");
	fake_xs_set(x, "/local/domain/0/backend/vbd/5/51712/state", "4", 1,
		    "n0 r5");
}

/* Extra nodes from the input; returns octets used. */
static size_t extra_tree(struct ncmig_xs *x, const uint8_t *d, size_t n,
			 unsigned int count)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-_/@";
	size_t off = 0;

	while (count-- && n - off >= 3) {
		char path[160], perms[16], val[64];
		size_t pl, vl, i, k;
		uint16_t dom = owners[d[off] % 6];

		pl = d[off + 1] % 64;
		off += 2;
		if (n - off < pl + 2)
			break;
		k = (size_t)snprintf(path, sizeof(path), "/local/domain/%u", dom);
		if (pl)
			path[k++] = '/';
		for (i = 0; i < pl; i++) {
			char c = chars[d[off + i] % (sizeof(chars) - 1)];

			/* no "//" and no trailing "/" */
			if (c == '/' && (path[k - 1] == '/' || i + 1 == pl))
				c = 'x';
			path[k++] = c;
		}
		path[k] = 0;
		off += pl;
		vl = d[off++] % sizeof(val);
		if (n - off < vl + 1)
			break;
		memcpy(val, d + off, vl);
		off += vl;
		snprintf(perms, sizeof(perms), "%c%u r%u", "nrwb"[d[off] & 3],
			 owners[(d[off] >> 2) % 6], dom);
		off++;
		if (fake_xs_room(x) > 200)
			fake_xs_set(x, path, val, (unsigned int)vl, perms);
	}
	return off;
}

/* The target's nodes only the toolstack owns, as text. */
static char *toolstack(struct ncmig_xs *x, uint16_t to)
{
	char *all, *out, *line, *save = NULL, home[32], rel[4096];
	size_t hl, o = 0;

	hl = (size_t)snprintf(home, sizeof(home), "/local/domain/%u", to);
	all = fake_xs_dump(x, NULL);
	out = calloc(1, strlen(all) + 1);
	for (line = strtok_r(all, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t rl;

		if (strncmp(line, home, hl) ||
		    (line[hl] != ' ' && line[hl] != '/'))
			continue;
		rl = line[hl] == ' ' ? 0 : strcspn(line + hl + 1, " ");
		if (rl >= sizeof(rel))
			continue;
		memcpy(rel, line + hl + 1, rl);
		rel[rl] = 0;
		if (ncmig_xs_toolstack_node(rel))
			o += (size_t)sprintf(out + o, "%s\n", line);
	}
	free(all);
	return out;
}

/* The line of @abs in @dump (up to its newline), or NULL. */
static const char *line_of(const char *dump, const char *abs, size_t *len)
{
	size_t al = strlen(abs);
	const char *p = dump;

	while (*p) {
		const char *nl = strchr(p, '\n');

		if (!strncmp(p, abs, al) && p[al] == ' ') {
			*len = (size_t)(nl - p);
			return p;
		}
		p = nl + 1;
	}
	return NULL;
}

/* Each stream node restore wrote names the target, dom0 or d4 (mapped). */
static void check_written(const struct ncmig_stream *s, const char *before,
			  const char *after, uint16_t to, bool mapped)
{
	char abs[4096 + 32], l[16384];
	size_t i, n, bn;

	for (i = 0; i < s->nr_nodes; i++) {
		const char *a, *b, *p;

		if (ncmig_xs_abs_path(abs, sizeof(abs), to, s->nodes[i].path))
			continue;
		a = line_of(after, abs, &n);
		if (!a || n >= sizeof(l))
			continue;
		b = line_of(before, abs, &bn);
		if (b && bn == n && !memcmp(a, b, n))
			continue;	/* not written */
		memcpy(l, a, n);
		l[n] = 0;
		for (p = strchr(l, ' '); p && p[1] != '='; p = strchr(p + 1, ' ')) {
			unsigned long d = strtoul(p + 2, NULL, 10);

			if (d != to && d != 0 && !(mapped && d == 4))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ncmig_domid_map map = { 3, 4 };
	struct ncmig_xs_restore_opts o = { 0 };
	struct ncmig_identity id;
	struct ncmig_stream_err err;
	struct ncmig_xs_restore r;
	char *before, *outside0, *outside1, *ts0, *ts1, *after, home[32];
	struct ncmig_stream s;
	struct ncmig_xs *x;
	uint16_t to;
	size_t used;
	int rc;

	if (size < 4)
		return 0;
	memset(&id, 0, sizeof(id));
	to = targets[data[0] % 5];
	o.overwrite = data[1] & 1;
	o.keep_device = data[1] & 2;
	if (data[1] & 4) {
		o.map = &map;
		o.nr_map = 1;
	}
	o.keep_undo = true;
	x = fake_xs_new();
	base_tree(x);
	used = 4 + extra_tree(x, data + 4, size - 4, data[2] % 32);
	if (ncmig_stream_parse(data + used, size - used, &s, &err)) {
		fake_xs_free(x);
		return 0;
	}
	/* restore's checks before anything is written (they must not crash) */
	ncmig_stream_check_backends(&s, to, &err);
	ncmig_stream_check_identity(&s, &id, &err);
	fake_xs_support_watches(x, data[1] & 8);
	fake_xs_fail_add_watches(x, data[1] & 16 ? -EIO : 0);
	fake_xs_fail_commits(x, data[1] & 32 ? 1 : 0);

	snprintf(home, sizeof(home), "/local/domain/%u", to);
	before = fake_xs_dump(x, NULL);
	outside0 = fake_xs_dump(x, home);
	ts0 = toolstack(x, to);
	{
		unsigned char uuid[16];

		ncmig_xs_domain_uuid(x, to, uuid);	/* restore's identity */
	}
	if (data[1] & 128)
		rc = ncmig_xs_restore(x, &s, to, o.overwrite, &r);
	else
		rc = ncmig_xs_restore_opts(x, &s, to, &o, &r);
	after = fake_xs_dump(x, NULL);
	outside1 = fake_xs_dump(x, home);
	ts1 = toolstack(x, to);
	if (strcmp(outside0, outside1) || strcmp(ts0, ts1))
		abort();
	if (rc && strcmp(before, after))
		abort();
	if (!rc) {
		check_written(&s, before, after, to, o.nr_map);
		if ((data[1] & (64 | 128)) == 64) {
			fake_xs_fail_commits(x, 0);
			if (ncmig_xs_restore_undo(x, &r))
				abort();
			free(after);
			after = fake_xs_dump(x, NULL);
			if (strcmp(before, after))
				abort();
		}
	}
	ncmig_xs_restore_free(&r);
	free(before);
	free(after);
	free(outside0);
	free(outside1);
	free(ts0);
	free(ts1);
	ncmig_stream_free(&s);
	fake_xs_free(x);
	return 0;
}
