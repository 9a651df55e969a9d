// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The live capture (ncmig_xs_live_*): taken ahead, kept current by a
 * watch, and inside the window only what changed is read again.  Every
 * take must equal a fresh ncmig_xs_capture() of the store as it is then.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_xs.h"
#include "ncmig.h"

/* d5's area as libxl and a guest with a few devices leave it. */
static void populate(struct ncmig_xs *x)
{
	static const char *const dev[] = { "vbd/51712", "vbd/51728",
					   "vbd/51744", "vif/0" };
	char p[128];
	size_t i;

	fake_xs_set(x, "/local/domain/5", "", 0, "n0 r5");
	fake_xs_set(x, "/local/domain/5/name", "guest", 5, "n0 r5");
	fake_xs_set(x, "/local/domain/5/domid", "5", 1, "n0 r5");
	fake_xs_set(x, "/local/domain/5/vm", "/vm/0123", 8, "n0 r5");
	fake_xs_set(x, "/local/domain/5/control/shutdown", "", 0, "n5");
	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "/local/domain/5/device/%s/state", dev[i]);
		fake_xs_set(x, p, "4", 1, "n5 r0");
		snprintf(p, sizeof(p), "/local/domain/5/device/%s/ring-ref",
			 dev[i]);
		fake_xs_set(x, p, "8", 1, "n5 r0");
	}
	fake_xs_set(x, "/local/domain/5/data/blob", "a\0b\xff", 4, "b5 r0");
	fake_xs_set(x, "/local/domain/50/name", "prefix-trap", 11, "n0");
	fake_xs_set(x, "/local/domain/6/name", "other", 5, "n0 r6");
}

static int cmp_body(const void *a, const void *b)
{
	const struct ncmig_xs_body *p = a, *q = b;
	size_t n = p->len < q->len ? p->len : q->len;
	int c;

	if (p->type != q->type)
		return p->type < q->type ? -1 : 1;
	c = memcmp(p->body, q->body, n);
	if (c)
		return c;
	return p->len < q->len ? -1 : p->len > q->len;
}

/* The records a stream carries, checked by the stream's own rules. */
static void valid_stream(const struct ncmig_xs_capture *c)
{
	struct ncmig_stream_err err;
	struct ncmig_stream s;
	struct ncmig_writer w;

	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain(&w, c->domid, ncmig_xs_capture_flags(c));
	assert_int_equal(ncmig_xs_capture_write(c, &w), 0);
	assert_int_equal(ncmig_write_end(&w), 0);
	/* No node twice, parents before children. */
	if (ncmig_stream_parse(w.buf, w.len, &s, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(s.nr_nodes, c->nr_nodes);
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);
}

/*
 * @c holds exactly the records a fresh capture of @x would; then @c is
 * freed, as every test is done with it there.
 */
static void same_as_fresh(struct ncmig_xs *x, struct ncmig_xs_capture *c)
{
	struct ncmig_xs_capture f;
	size_t i;

	assert_int_equal(ncmig_xs_capture(x, 5, &f), 0);
	valid_stream(c);
	assert_int_equal(c->nr_bodies, f.nr_bodies);
	assert_int_equal(c->nr_nodes, f.nr_nodes);
	assert_int_equal(c->value_bytes, f.value_bytes);
	assert_int_equal(c->watches, f.watches);
	qsort(c->bodies, c->nr_bodies, sizeof(*c->bodies), cmp_body);
	qsort(f.bodies, f.nr_bodies, sizeof(*f.bodies), cmp_body);
	for (i = 0; i < f.nr_bodies; i++) {
		if (cmp_body(&c->bodies[i], &f.bodies[i]))
			fail_msg("record %zu differs from a fresh capture's "
				 "(%s vs %s)", i,
				 c->bodies[i].rel ? c->bodies[i].rel : "-",
				 f.bodies[i].rel ? f.bodies[i].rel : "-");
	}
	ncmig_xs_capture_free(&f);
	ncmig_xs_capture_free(c);
}

/* The end of every test: the live capture and the fake xenstore go. */
static void done(struct ncmig_xs *x, struct ncmig_xs_live *l)
{
	ncmig_xs_live_free(l);
	fake_xs_free(x);
}

/* Nothing changed: the window costs one request, nothing is re-read. */
static void test_unchanged_one_request(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_capture c;
	struct ncmig_xs_live l;
	unsigned int req;

	(void)st;
	populate(x);
	assert_int_equal(ncmig_xs_live_start(x, 5, &l), 0);
	assert_int_equal(fake_xs_pending_events(x), 0);
	assert_int_equal(ncmig_xs_live_poll(&l), 0);
	req = fake_xs_requests(x);
	assert_int_equal(ncmig_xs_live_take(&l, &c), 0);
	assert_int_equal(fake_xs_requests(x) - req, 1);
	assert_int_equal(l.take_events, 0);
	assert_int_equal(l.take_nodes, 0);
	same_as_fresh(x, &c);
	done(x, &l);
}

/*
 * splice send's stream built ahead (cmd_splice.c): the window's sync is
 * one request and leaves the event count as it was when nothing
 * changed, so the stream built before goes; a change moves the count,
 * and the take after the sync is the store as it is then.
 */
static void test_sync_says_unchanged(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_capture c;
	struct ncmig_xs_live l;
	unsigned int req, events;

	(void)st;
	populate(x);
	assert_int_equal(ncmig_xs_live_start(x, 5, &l), 0);
	assert_int_equal(ncmig_xs_live_take(&l, &c), 0);	/* built ahead */
	ncmig_xs_capture_free(&c);
	events = l.events;
	req = fake_xs_requests(x);
	assert_int_equal(ncmig_xs_live_sync(&l), 0);
	assert_int_equal(fake_xs_requests(x) - req, 1);
	assert_int_equal(l.events, events);
	assert_int_equal(l.take_events, 0);
	fake_xs_set(x, "/local/domain/5/control/shutdown", "suspend", 7, NULL);
	assert_int_equal(ncmig_xs_live_sync(&l), 0);
	assert_int_not_equal(l.events, events);
	assert_int_equal(l.take_events, 1);
	assert_int_equal(ncmig_xs_live_take(&l, &c), 0);
	same_as_fresh(x, &c);
	/* Gone: the sync says so, and the capture is not used again. */
	fake_xs_rm(x, "/local/domain/5");
	assert_int_not_equal(ncmig_xs_live_sync(&l), 0);
	assert_false(l.ok);
	done(x, &l);
}

/*
 * Changes between the capture taken ahead and the suspend: a value
 * (libxl's control/shutdown), permissions, a new node under parents the
 * capture lacks (created by the write, without events of their own), a
 * removed subtree.  All of them are in the take, and only they are read.
 */
static void test_changes_before_suspend(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_capture c;
	struct ncmig_xs_live l;
	unsigned int req;

	(void)st;
	populate(x);
	assert_int_equal(ncmig_xs_live_start(x, 5, &l), 0);
	fake_xs_set(x, "/local/domain/5/control/shutdown", "suspend", 7, NULL);
	fake_xs_set_perms(x, "/local/domain/5/data/blob", "b5 r0 r6");
	fake_xs_set(x, "/local/domain/5/data/new/deep/leaf", "x", 1, "b5");
	fake_xs_rm(x, "/local/domain/5/device/vif");
	/* Not ours: no events, nothing read. */
	fake_xs_set(x, "/local/domain/50/name", "still-a-trap", 12, "n0");
	fake_xs_set(x, "/local/domain/6/x", "y", 1, "n0");
	req = fake_xs_requests(x);
	assert_int_equal(ncmig_xs_live_take(&l, &c), 0);
	assert_int_equal(l.take_events, 4);
	/* The sync, a transaction (2), 3 per node re-read, 1 for vif/. */
	assert_int_equal(fake_xs_requests(x) - req,
			 1 + 2 + 3 * l.take_nodes + 1);
	/* control/shutdown, data/blob, data/new and its two below. */
	assert_int_equal(l.take_nodes, 5);
	same_as_fresh(x, &c);
	done(x, &l);
}

/*
 * A node removed and written again: its event says only "this node",
 * and what was under it before must not survive in the capture.
 */
static void test_removed_and_recreated(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_capture c;
	struct ncmig_xs_live l;

	(void)st;
	populate(x);
	assert_int_equal(ncmig_xs_live_start(x, 5, &l), 0);
	fake_xs_rm(x, "/local/domain/5/device/vbd/51712");
	fake_xs_set(x, "/local/domain/5/device/vbd/51712", "", 0, "n5 r0");
	fake_xs_set(x, "/local/domain/5/device/vbd/51712/other", "1", 1,
		    "n5 r0");
	assert_int_equal(ncmig_xs_live_take(&l, &c), 0);
	same_as_fresh(x, &c);
	done(x, &l);
}

/*
 * The ticks while memory goes by re-read what changed then; the window
 * reads only what changed after the last of them.
 */
static void test_polls_then_window(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_capture c;
	struct ncmig_xs_live l;
	char p[64];
	int i;

	(void)st;
	populate(x);
	assert_int_equal(ncmig_xs_live_start(x, 5, &l), 0);
	for (i = 0; i < 20; i++) {
		snprintf(p, sizeof(p), "/local/domain/5/data/n%d", i);
		fake_xs_set(x, p, "v", 1, "b5");
		assert_int_equal(ncmig_xs_live_poll(&l), 0);
	}
	assert_int_equal(l.nodes_reread, 20);
	fake_xs_set(x, "/local/domain/5/data/n3", "changed", 7, NULL);
	assert_int_equal(ncmig_xs_live_take(&l, &c), 0);
	assert_int_equal(l.take_events, 1);
	assert_int_equal(l.take_nodes, 1);
	same_as_fresh(x, &c);
	/* A second checkpoint: the live capture stays current. */
	fake_xs_rm(x, "/local/domain/5/data");
	fake_xs_set(x, "/local/domain/5/control/shutdown", "", 0, NULL);
	assert_int_equal(ncmig_xs_live_take(&l, &c), 0);
	same_as_fresh(x, &c);
	done(x, &l);
}

/* A re-read whose transaction loses a race is done again. */
static void test_reread_race(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_capture c;
	struct ncmig_xs_live l;

	(void)st;
	populate(x);
	assert_int_equal(ncmig_xs_live_start(x, 5, &l), 0);
	fake_xs_set(x, "/local/domain/5/name", "renamed", 7, NULL);
	fake_xs_fail_commits(x, 2);
	assert_int_equal(ncmig_xs_live_take(&l, &c), 0);
	same_as_fresh(x, &c);
	done(x, &l);
}

/* A change to the home node itself: everything is read again. */
static void test_home_changed(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_capture c;
	struct ncmig_xs_live l;

	(void)st;
	populate(x);
	assert_int_equal(ncmig_xs_live_start(x, 5, &l), 0);
	fake_xs_set_perms(x, "/local/domain/5", "n0 r5 r7");
	fake_xs_set(x, "/local/domain/5/name", "x", 1, NULL);
	assert_int_equal(ncmig_xs_live_take(&l, &c), 0);
	assert_int_equal(l.take_nodes, fake_xs_count(x, "/local/domain/5"));
	same_as_fresh(x, &c);
	done(x, &l);
}

/* The domain went: the take fails, as a fresh capture would. */
static void test_domain_gone(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_capture c;
	struct ncmig_xs_live l;

	(void)st;
	populate(x);
	assert_int_equal(ncmig_xs_live_start(x, 5, &l), 0);
	fake_xs_rm(x, "/local/domain/5");
	assert_int_equal(ncmig_xs_live_take(&l, &c), -ENOENT);
	assert_false(l.ok);
	assert_int_equal(c.nr_bodies, 0);
	assert_int_equal(ncmig_xs_live_take(&l, &c), -ESTALE);
	done(x, &l);
}

/* No watch: start says so (the caller captures in the window). */
static void test_no_watch(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_live l;

	(void)st;
	populate(x);
	fake_xs_no_watch(x, true);
	assert_int_equal(ncmig_xs_live_start(x, 5, &l), -EOPNOTSUPP);
	assert_false(l.ok);
	ncmig_xs_live_free(&l);
	/* No such domain: as ncmig_xs_capture(). */
	fake_xs_no_watch(x, false);
	assert_int_equal(ncmig_xs_live_start(x, 77, &l), -ENOENT);
	done(x, &l);
}

/* Watches carried (the invented commands): listed in the window. */
static void test_watches_listed_in_window(void **st)
{
	struct ncmig_xs *x = fake_xs_new();
	struct ncmig_xs_capture c;
	struct ncmig_xs_live l;

	(void)st;
	populate(x);
	fake_xs_support_watches(x, true);
	fake_xs_add_watch(x, 5, "device", "tok1");
	assert_int_equal(ncmig_xs_live_start(x, 5, &l), 0);
	fake_xs_add_watch(x, 5, "control/shutdown", "tok2");
	assert_int_equal(ncmig_xs_live_take(&l, &c), 0);
	assert_int_equal(c.watches, NCMIG_WATCHES_CARRIED);
	assert_int_equal(c.nr_watches, 2);
	same_as_fresh(x, &c);
	done(x, &l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unchanged_one_request),
		cmocka_unit_test(test_sync_says_unchanged),
		cmocka_unit_test(test_changes_before_suspend),
		cmocka_unit_test(test_removed_and_recreated),
		cmocka_unit_test(test_polls_then_window),
		cmocka_unit_test(test_reread_race),
		cmocka_unit_test(test_home_changed),
		cmocka_unit_test(test_domain_gone),
		cmocka_unit_test(test_no_watch),
		cmocka_unit_test(test_watches_listed_in_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
