// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Capture and restore of one domain's xenstore area, against fake_xs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_xs.h"
#include "ncmig.h"

#include "xs_record.h"

/* A node for mkstream: relative path, value, perms like "n0 r5". */
struct tnode {
	const char *path, *val, *perms;
};

/* Parse "n0 r5 b7" into @p; returns how many. */
static unsigned int parse_perms(const char *t, struct ncmig_xs_perm *p)
{
	unsigned int k = 0;
	char *end;

	while (*t) {
		p[k].perm = *t;
		p[k].domid = (uint16_t)strtoul(t + 1, &end, 10);
		t = end;
		while (*t == ' ')
			t++;
		k++;
	}
	return k;
}

/* A stream "saved from" @domid with @n nodes; parsed into @s. */
static void mkstream(uint16_t domid, const struct tnode *nodes, size_t n,
		     struct ncmig_stream *s)
{
	struct ncmig_stream_err err;
	struct ncmig_xs_perm p[16];
	struct ncmig_writer w;
	unsigned char *body;
	size_t i, blen;

	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain(&w, domid, NCMIG_DOM_F_XS_NODES);
	for (i = 0; i < n; i++) {
		unsigned int np = parse_perms(nodes[i].perms, p);

		assert_int_equal(ncmig_xs_node_encode(nodes[i].path,
				 nodes[i].val, strlen(nodes[i].val), p, np,
				 &body, &blen), 0);
		ncmig_write_record(&w, NCMIG_REC_XS_NODE, body, blen);
		free(body);
	}
	assert_int_equal(ncmig_write_end(&w), 0);
	if (ncmig_stream_parse(w.buf, w.len, s, &err))
		fail_msg("%s", err.msg);
	ncmig_writer_free(&w);
}

/* d9 as the toolstack creates it before a restore. */
static void target9(struct ncmig_xs *x)
{
	fake_xs_set(x, "/local/domain/9", "", 0, "n0 r9");
	fake_xs_set(x, "/local/domain/9/name", "newguest", 8, "n0 r9");
	fake_xs_set(x, "/local/domain/9/domid", "9", 1, "n0 r9");
}

/* A guest area as libxl and the guest leave it: d5, dom0 backends. */
static void populate(struct ncmig_xs *x)
{
	fake_xs_set(x, "/local/domain/5", "", 0, "n0 r5");
	fake_xs_set(x, "/local/domain/5/name", "guest", 5, "n0 r5");
	fake_xs_set(x, "/local/domain/5/domid", "5", 1, "n0 r5");
	fake_xs_set(x, "/local/domain/5/device", "", 0, "n0 r5");
	fake_xs_set(x, "/local/domain/5/device/vbd", "", 0, "n0 r5");
	fake_xs_set(x, "/local/domain/5/device/vbd/51712", "", 0, "n5 r0");
	fake_xs_set(x, "/local/domain/5/device/vbd/51712/state", "4", 1,
		    "n5 r0");
	fake_xs_set(x, "/local/domain/5/device/vbd/51712/ring-ref", "8", 1,
		    "n5 r0");
	fake_xs_set(x, "/local/domain/5/data", "", 0, "b5");
	/* Binary value with NULs and high octets. */
	fake_xs_set(x, "/local/domain/5/data/blob", "a\0b\xff\x01", 5,
		    "b5 r0");
	/* Another domain's area must not leak in. */
	fake_xs_set(x, "/local/domain/6/name", "other", 5, "n0 r6");
	fake_xs_set(x, "/local/domain/50/name", "prefix-trap", 11, "n0");
}

static int save(struct ncmig_xs *x, uint16_t domid, struct ncmig_writer *w,
		struct ncmig_xs_capture *c)
{
	int rc = ncmig_xs_capture(x, domid, c);

	if (rc)
		return rc;
	ncmig_writer_init_mem(w);
	ncmig_write_header(w);
	ncmig_write_domain(w, domid, ncmig_xs_capture_flags(c));
	ncmig_xs_capture_write(c, w);
	return ncmig_write_end(w);
}

static void expect(struct ncmig_xs *x, const char *path, const void *val,
		   unsigned int len, const char *perms)
{
	char got[128];
	unsigned int glen;
	const void *v = fake_xs_get(x, path, &glen, got, sizeof(got));

	if (!v)
		fail_msg("%s missing", path);
	assert_int_equal(glen, len);
	assert_memory_equal(v, val, len);
	if (strcmp(got, perms))
		fail_msg("%s: perms \"%s\", want \"%s\"", path, got, perms);
}

static void test_capture_restore_roundtrip(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_stream_err err;
	struct ncmig_xs_capture c;
	struct ncmig_xs_restore r;
	struct ncmig_writer w;
	struct ncmig_stream s;

	(void)st;
	populate(x);
	assert_int_equal(save(x, 5, &w, &c), 0);
	assert_int_equal(c.nr_nodes, 10);
	assert_int_equal(c.value_bytes, 5 + 1 + 1 + 1 + 5);
	assert_int_equal(c.watches, NCMIG_WATCHES_UNSUPPORTED);
	assert_int_equal(ncmig_stream_parse(w.buf, w.len, &s, &err), 0);
	assert_int_equal(s.domid, 5);
	assert_int_equal(s.nr_nodes, 10);
	assert_int_equal(s.nr_watches, 0);
	assert_false(s.dom_flags & NCMIG_DOM_F_XS_WATCHES);
	/* Paths are relative, the home is "". */
	assert_string_equal(s.nodes[0].path, "");
	target9(x);
	assert_int_equal(ncmig_xs_restore(x, &s, 9, false, &r), 0);
	/* The home, name and domid are the toolstack's: not written. */
	assert_int_equal(r.nr_nodes, 7);
	assert_int_equal(r.nr_toolstack, 3);
	assert_int_equal(r.nr_existing, 0);
	/* n0 r5 -> n0 r9 ... every entry naming 5 rewritten. */
	assert_int_equal(r.perms_rewritten, 7);
	assert_int_equal(r.watches, NCMIG_WATCHES_NOT_IN_STREAM);
	expect(x, "/local/domain/9", "", 0, "n0 r9");
	expect(x, "/local/domain/9/name", "newguest", 8, "n0 r9");
	expect(x, "/local/domain/9/domid", "9", 1, "n0 r9");
	expect(x, "/local/domain/9/device/vbd/51712", "", 0, "n9 r0");
	expect(x, "/local/domain/9/device/vbd/51712/state", "4", 1, "n9 r0");
	expect(x, "/local/domain/9/data", "", 0, "b9");
	expect(x, "/local/domain/9/data/blob", "a\0b\xff\x01", 5, "b9 r0");
	assert_int_equal(fake_xs_count(x, "/local/domain/9"), 10);
	/* The source is untouched. */
	expect(x, "/local/domain/5/data/blob", "a\0b\xff\x01", 5, "b5 r0");
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);
	ncmig_xs_capture_free(&c);
	fake_xs_free(x);
}

static void test_restore_keeps_existing(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_stream_err err;
	struct ncmig_xs_capture c;
	struct ncmig_xs_restore r;
	struct ncmig_writer w;
	struct ncmig_stream s;

	(void)st;
	populate(x);
	target9(x);
	fake_xs_set(x, "/local/domain/9/data", "mine", 4, "b9");
	assert_int_equal(save(x, 5, &w, &c), 0);
	assert_int_equal(ncmig_stream_parse(w.buf, w.len, &s, &err), 0);
	assert_int_equal(ncmig_xs_restore(x, &s, 9, false, &r), 0);
	assert_int_equal(r.nr_existing, 1);
	assert_int_equal(r.nr_nodes, 6);
	assert_string_equal(r.existing, "/local/domain/9/data");
	expect(x, "/local/domain/9/data", "mine", 4, "b9");
	expect(x, "/local/domain/9/data/blob", "a\0b\xff\x01", 5, "b9 r0");

	/* --overwrite replaces them, but never the toolstack's name. */
	assert_int_equal(ncmig_xs_restore(x, &s, 9, true, &r), 0);
	assert_int_equal(r.nr_existing, 0);
	assert_int_equal(r.nr_nodes, 7);
	expect(x, "/local/domain/9/data", "", 0, "b9");
	expect(x, "/local/domain/9/name", "newguest", 8, "n0 r9");
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);
	ncmig_xs_capture_free(&c);
	fake_xs_free(x);
}

static void test_transaction_retries(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_stream_err err;
	struct ncmig_xs_capture c;
	struct ncmig_xs_restore r;
	struct ncmig_writer w;
	struct ncmig_stream s;

	(void)st;
	populate(x);
	fake_xs_fail_commits(x, 2);
	assert_int_equal(save(x, 5, &w, &c), 0);
	assert_int_equal(c.tx_retries, 2);
	assert_int_equal(c.nr_nodes, 10);
	assert_int_equal(ncmig_stream_parse(w.buf, w.len, &s, &err), 0);
	assert_int_equal(s.nr_nodes, 10);
	target9(x);
	fake_xs_set(x, "/local/domain/11", "", 0, "n0 r11");
	fake_xs_fail_commits(x, 3);
	assert_int_equal(ncmig_xs_restore(x, &s, 9, false, &r), 0);
	assert_int_equal(r.tx_retries, 3);
	assert_int_equal(r.nr_nodes, 7);
	assert_int_equal(fake_xs_count(x, "/local/domain/9"), 10);
	/* Losing every race gives up with -EAGAIN, writing nothing. */
	fake_xs_fail_commits(x, 100);
	assert_int_equal(ncmig_xs_restore(x, &s, 11, false, &r), -EAGAIN);
	assert_int_equal(fake_xs_count(x, "/local/domain/11"), 1);
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);
	ncmig_xs_capture_free(&c);
	fake_xs_free(x);
}

static void test_missing_domain(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_capture c;

	(void)st;
	populate(x);
	assert_int_equal(ncmig_xs_capture(x, 77, &c), -ENOENT);
	assert_int_equal(c.nr_bodies, 0);
	fake_xs_free(x);
}

/*
 * INVENTED PROTOCOL: fake_xs_support_watches() plays a xenstored that
 * can list and add a domain's watches.  None exists (see fake_xs.h and
 * xs_real.c); this tests ncmigd's side of a protocol no xenstored
 * implements.  What Xen 4.17 does is the default (watches not carried,
 * test_capture_restore_roundtrip) and the lab's xs-roundtrip.
 */
static void test_watches_carried_when_offered(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_stream_err err;
	struct ncmig_xs_capture c;
	struct ncmig_xs_restore r;
	struct ncmig_writer w;
	struct ncmig_stream s;

	(void)st;
	populate(x);
	fake_xs_support_watches(x, true);
	fake_xs_add_watch(x, 5, "/local/domain/0/backend/vbd/5/51712/state",
			  "tok1");
	fake_xs_add_watch(x, 5, "device/vbd/51712", "relative token");
	fake_xs_add_watch(x, 5, "/local/domain/5/control/shutdown", "ctl");
	fake_xs_add_watch(x, 6, "/local/domain/6", "not-ours");
	assert_int_equal(save(x, 5, &w, &c), 0);
	assert_int_equal(c.watches, NCMIG_WATCHES_CARRIED);
	assert_int_equal(c.nr_watches, 3);
	assert_int_equal(ncmig_stream_parse(w.buf, w.len, &s, &err), 0);
	assert_true(s.dom_flags & NCMIG_DOM_F_XS_WATCHES);
	assert_int_equal(s.nr_watches, 3);
	target9(x);
	fake_xs_set(x, "/local/domain/10", "", 0, "n0 r10");
	assert_int_equal(ncmig_xs_restore(x, &s, 9, false, &r), 0);
	assert_int_equal(r.watches, NCMIG_WATCHES_CARRIED);
	/* The backend's directory of the domain follows it too. */
	assert_string_equal(fake_xs_watch(x, 9, 0),
			    "/local/domain/0/backend/vbd/9/51712/state|tok1");
	assert_string_equal(fake_xs_watch(x, 9, 1),
			    "device/vbd/51712|relative token");
	/* A watch inside the old home follows the domain. */
	assert_string_equal(fake_xs_watch(x, 9, 2),
			    "/local/domain/9/control/shutdown|ctl");
	assert_null(fake_xs_watch(x, 9, 3));

	/* Same stream, but the target xenstored cannot add watches. */
	fake_xs_support_watches(x, false);
	assert_int_equal(ncmig_xs_restore(x, &s, 10, false, &r), 0);
	assert_int_equal(r.watches, NCMIG_WATCHES_UNSUPPORTED);
	assert_non_null(strstr(ncmig_watch_status_text(r.watches, false),
			       "ADD_DOMAIN_WATCHES"));
	assert_non_null(strstr(ncmig_watch_status_text(
				NCMIG_WATCHES_UNSUPPORTED, true), "4.17"));
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);
	ncmig_xs_capture_free(&c);
	fake_xs_free(x);
}

/* Only the saved domain (to the target) and dom0 are mapped; any other
 * domid in an ACL is refused unless the operator maps it, and nothing
 * is written.
 */
static void test_foreign_domid_refused(void **st)
{
	static const struct tnode nodes[] = {
		{ "", "", "n0 r5" },
		{ "data", "", "b5" },
		{ "data/x", "1", "b5 r3 w9" },
	};
	static const struct tnode self[] = {
		{ "", "", "n0 r5" },
		{ "data", "", "b5 r32752" },
	};
	struct ncmig_domid_map map[] = { { 3, 4 }, { 9, 10 } };
	struct ncmig_xs_restore_opts o = { 0 };
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_restore r;
	struct ncmig_stream s;
	char perms[64];
	unsigned int len;

	(void)st;
	target9(x);
	mkstream(5, nodes, 3, &s);
	assert_int_equal(ncmig_xs_restore_opts(x, &s, 9, &o, &r), -EPERM);
	assert_non_null(strstr(r.refused, "d3"));
	assert_non_null(strstr(r.refused, "data/x"));
	assert_int_equal(fake_xs_count(x, "/local/domain/9"), 3);
	assert_null(fake_xs_get(x, "/local/domain/9/data", &len, NULL, 0));
	/* Mapped by the operator: d3 -> d4, d9 -> d10. */
	o.map = map;
	o.nr_map = 2;
	assert_int_equal(ncmig_xs_restore_opts(x, &s, 9, &o, &r), 0);
	expect(x, "/local/domain/9/data/x", "1", 1, "b9 r4 w10");
	ncmig_stream_free(&s);
	/* DOMID_SELF (0x7ff0) is another domid like any. */
	mkstream(5, self, 2, &s);
	o.nr_map = 0;
	fake_xs_free(x);
	x = fake_xs_new();
	target9(x);
	assert_int_equal(ncmig_xs_restore_opts(x, &s, 9, &o, &r), -EPERM);
	assert_non_null(strstr(r.refused, "d32752"));
	assert_null(fake_xs_get(x, "/local/domain/9/data", &len, perms,
				sizeof(perms)));
	ncmig_stream_free(&s);
	fake_xs_free(x);
}

/* The toolstack's nodes are never created nor re-owned, not even with
 * --overwrite: home, name, domid, vm, control/, memory/, and each
 * frontend's backend and backend-id.
 */
static void test_toolstack_nodes_left_alone(void **st)
{
	static const struct tnode nodes[] = {
		{ "", "", "b5" },
		{ "name", "stolen", "b5" },
		{ "domid", "5", "b5" },
		{ "vm", "/vm/x", "b5" },
		{ "control", "", "b5" },
		{ "control/shutdown", "poweroff", "b5" },
		{ "memory", "", "b5" },
		{ "memory/target", "999999", "b5" },
		{ "device", "", "n0 r5" },
		{ "device/vbd", "", "n0 r5" },
		{ "device/vbd/51712", "", "n5 r0" },
		{ "device/vbd/51712/backend", "/local/domain/7/evil", "n5 r0" },
		{ "device/vbd/51712/backend-id", "7", "n5 r0" },
		{ "device/vbd/51712/state", "4", "n5 r0" },
		{ "data", "d", "b5" },
	};
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_restore r;
	struct ncmig_stream s;
	unsigned int len;

	(void)st;
	target9(x);
	mkstream(5, nodes, sizeof(nodes) / sizeof(nodes[0]), &s);
	assert_int_equal(ncmig_xs_restore(x, &s, 9, true, &r), 0);
	assert_int_equal(r.nr_toolstack, 10);
	expect(x, "/local/domain/9", "", 0, "n0 r9");
	expect(x, "/local/domain/9/name", "newguest", 8, "n0 r9");
	expect(x, "/local/domain/9/domid", "9", 1, "n0 r9");
	assert_null(fake_xs_get(x, "/local/domain/9/vm", &len, NULL, 0));
	assert_null(fake_xs_get(x, "/local/domain/9/control", &len, NULL, 0));
	assert_null(fake_xs_get(x, "/local/domain/9/control/shutdown", &len,
				NULL, 0));
	assert_null(fake_xs_get(x, "/local/domain/9/memory/target", &len,
				NULL, 0));
	assert_null(fake_xs_get(x, "/local/domain/9/device/vbd/51712/backend",
				&len, NULL, 0));
	assert_null(fake_xs_get(x,
				"/local/domain/9/device/vbd/51712/backend-id",
				&len, NULL, 0));
	expect(x, "/local/domain/9/device/vbd/51712/state", "4", 1, "n9 r0");
	expect(x, "/local/domain/9/data", "d", 1, "b9");
	ncmig_stream_free(&s);
	fake_xs_free(x);
}

/* Paths to the old domain's home and backend directories, in values. */
static void test_values_rebased(void **st)
{
	static const struct tnode nodes[] = {
		{ "", "", "n0 r5" },
		{ "data", "", "b5" },
		{ "data/home", "/local/domain/5", "b5" },
		{ "data/fe", "/local/domain/5/device/vbd/51712", "b5" },
		{ "data/be", "/local/domain/0/backend/vbd/5/51712", "b5" },
		{ "data/be2", "backend/vif/5/0/state", "b5" },
		{ "data/other", "/local/domain/50/x /local/domain/0/backend/vbd/55/1", "b5" },
		{ "data/num", "5", "b5" },
	};
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_restore r;
	struct ncmig_stream s;
	unsigned int len;
	const char *v;

	(void)st;
	target9(x);
	mkstream(5, nodes, sizeof(nodes) / sizeof(nodes[0]), &s);
	assert_int_equal(ncmig_xs_restore(x, &s, 9, false, &r), 0);
	v = fake_xs_get(x, "/local/domain/9/data/home", &len, NULL, 0);
	assert_string_equal(v, "/local/domain/9");
	v = fake_xs_get(x, "/local/domain/9/data/fe", &len, NULL, 0);
	assert_string_equal(v, "/local/domain/9/device/vbd/51712");
	v = fake_xs_get(x, "/local/domain/9/data/be", &len, NULL, 0);
	assert_string_equal(v, "/local/domain/0/backend/vbd/9/51712");
	v = fake_xs_get(x, "/local/domain/9/data/be2", &len, NULL, 0);
	assert_string_equal(v, "backend/vif/9/0/state");
	/* d50 and d55 are not d5. */
	v = fake_xs_get(x, "/local/domain/9/data/other", &len, NULL, 0);
	assert_string_equal(v, "/local/domain/50/x /local/domain/0/backend/vbd/55/1");
	v = fake_xs_get(x, "/local/domain/9/data/num", &len, NULL, 0);
	assert_string_equal(v, "5");
	assert_int_equal(r.values_rebased, 4);
	ncmig_stream_free(&s);
	fake_xs_free(x);
}

/* No restore onto a domain that does not exist or is not dom0's. */
static void test_phantom_domain_refused(void **st)
{
	static const struct tnode nodes[] = {
		{ "", "", "n0 r5" },
		{ "data", "x", "b5" },
	};
	static const struct tnode foreign[] = {
		{ "", "", "n0 r5" },
		{ "data", "x", "b5 r3" },
	};
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_restore r;
	struct ncmig_stream s;

	(void)st;
	mkstream(5, nodes, 2, &s);
	assert_int_equal(ncmig_xs_restore(x, &s, 9, false, &r), -ENOENT);
	assert_int_equal(fake_xs_count(x, "/local/domain/9"), 0);
	assert_non_null(strstr(r.refused, "does not exist"));
	fake_xs_set(x, "/local/domain/9", "", 0, "n9");
	assert_int_equal(ncmig_xs_restore(x, &s, 9, false, &r), -EPERM);
	assert_int_equal(fake_xs_count(x, "/local/domain/9"), 1);
	assert_non_null(strstr(r.refused, "owned by d9"));
	ncmig_stream_free(&s);
	fake_xs_free(x);

	/* Refused as a phantom first, whatever else the stream holds. */
	x = fake_xs_new();
	mkstream(5, foreign, 2, &s);
	assert_int_equal(ncmig_xs_restore(x, &s, 9, false, &r), -ENOENT);
	assert_non_null(strstr(r.refused, "does not exist"));
	ncmig_stream_free(&s);
	fake_xs_free(x);
}

/*
 * Watches that cannot be added after the commit: the nodes are undone.
 * INVENTED PROTOCOL (as test_watches_carried_when_offered): only a
 * xenstored that does not exist adds a domain's watches.
 */
static void test_watch_failure_undone(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_stream_err err;
	struct ncmig_xs_capture c;
	struct ncmig_xs_restore r;
	struct ncmig_writer w;
	struct ncmig_stream s;
	unsigned int len;

	(void)st;
	populate(x);
	fake_xs_support_watches(x, true);
	fake_xs_add_watch(x, 5, "device/vbd/51712", "t");
	assert_int_equal(save(x, 5, &w, &c), 0);
	assert_int_equal(ncmig_stream_parse(w.buf, w.len, &s, &err), 0);
	target9(x);
	fake_xs_set(x, "/local/domain/9/data", "mine", 4, "b9 r0");
	fake_xs_fail_add_watches(x, -EIO);
	assert_int_equal(ncmig_xs_restore(x, &s, 9, true, &r), -EIO);
	/* As before: 3 nodes, data with its old value and permissions. */
	assert_int_equal(fake_xs_count(x, "/local/domain/9"), 4);
	expect(x, "/local/domain/9/data", "mine", 4, "b9 r0");
	assert_null(fake_xs_get(x, "/local/domain/9/data/blob", &len, NULL, 0));
	assert_null(fake_xs_get(x, "/local/domain/9/device", &len, NULL, 0));
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);
	ncmig_xs_capture_free(&c);
	fake_xs_free(x);
}

int main(void)
{
	static const struct CMUnitTest t[] = {
		cmocka_unit_test(test_capture_restore_roundtrip),
		cmocka_unit_test(test_restore_keeps_existing),
		cmocka_unit_test(test_transaction_retries),
		cmocka_unit_test(test_missing_domain),
		cmocka_unit_test(test_watches_carried_when_offered),
		cmocka_unit_test(test_foreign_domid_refused),
		cmocka_unit_test(test_toolstack_nodes_left_alone),
		cmocka_unit_test(test_values_rebased),
		cmocka_unit_test(test_phantom_domain_refused),
		cmocka_unit_test(test_watch_failure_undone),
	};

	return cmocka_run_group_tests_name("xenstore capture/restore", t,
					   NULL, NULL);
}
