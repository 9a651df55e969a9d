// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libncmig's error callback (msg.c): a caller's callback gets each error
 * with its domain, device and text; the default, and NULL, write the
 * CLI's stderr lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "capture.h"
#include "msg_defer.h"
#include "ncmig.h"

struct seen {
	unsigned int n;
	int domid;
	char kind[8];
	uint32_t devid;
	char text[128], line[160];
	void *arg;
};

static struct seen seen;

static void cb(const struct ncmig_msg *m, void *arg)
{
	seen.n++;
	seen.domid = m->domid;
	snprintf(seen.kind, sizeof(seen.kind), "%s", m->kind ? m->kind : "");
	seen.devid = m->devid;
	snprintf(seen.text, sizeof(seen.text), "%s", m->text);
	snprintf(seen.line, sizeof(seen.line), "%s", m->line);
	seen.arg = arg;
}

static int report_three(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ncmig_err("plain %d", 1);
	ncmig_dom_err(5, "dom %s", "x");
	ncmig_dev_err(7, "vif", 3, "dev %u", 2U);
	return 0;
}

static void test_callback_gets_each(void **st)
{
	static char out[1024];
	int tag;

	(void)st;
	memset(&seen, 0, sizeof(seen));
	ncmig_set_err_cb(cb, &tag);
	ncmig_err("plain %d", 1);
	assert_int_equal(seen.domid, -1);
	assert_string_equal(seen.kind, "");
	assert_string_equal(seen.text, "plain 1");
	assert_string_equal(seen.line, "plain 1");
	assert_ptr_equal(seen.arg, &tag);
	ncmig_dom_err(5, "dom %s", "x");
	assert_int_equal(seen.domid, 5);
	assert_string_equal(seen.kind, "");
	assert_string_equal(seen.text, "dom x");
	assert_string_equal(seen.line, "d5: dom x");
	ncmig_dev_err(7, "vif", 3, "dev %u", 2U);
	assert_int_equal(seen.domid, 7);
	assert_string_equal(seen.kind, "vif");
	assert_int_equal(seen.devid, 3);
	assert_string_equal(seen.text, "dev 2");
	assert_string_equal(seen.line, "d7 vif 3: dev 2");
	assert_int_equal(seen.n, 3);
	/* Nothing reaches stderr while a callback is set. */
	capture_run(report_three, 0, NULL, out, sizeof(out));
	assert_string_equal(out, "");
	assert_int_equal(seen.n, 6);
	ncmig_set_err_cb(NULL, NULL);
}

static void test_default_is_stderr(void **st)
{
	static char out[1024];

	(void)st;
	memset(&seen, 0, sizeof(seen));
	ncmig_set_err_cb(cb, NULL);
	ncmig_set_err_cb(NULL, NULL);	/* back to the default */
	capture_run(report_three, 0, NULL, out, sizeof(out));
	assert_string_equal(out, "ncmigd: plain 1\n"
				 "ncmigd: d5: dom x\n"
				 "ncmigd: d7 vif 3: dev 2\n");
	assert_int_equal(seen.n, 0);
}

/*
 * The engine's worker threads: messages kept while deferred, none to the
 * callback, then replayed in order with domain and device, and freed.
 */
static void test_deferred_then_replayed(void **st)
{
	struct ncmig_msg_defer d = { 0 };
	int tag;

	(void)st;
	memset(&seen, 0, sizeof(seen));
	ncmig_set_err_cb(cb, &tag);
	ncmig_msg_defer_start(&d);
	ncmig_dom_err(5, "first %d", 1);
	ncmig_dev_err(7, "vbd", 51712, "second");
	ncmig_msg_defer_stop();
	assert_int_equal(seen.n, 0);
	assert_int_equal(d.n, 2);
	ncmig_msg_defer_flush(&d);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.domid, 7);
	assert_string_equal(seen.kind, "vbd");
	assert_int_equal(seen.devid, 51712);
	assert_string_equal(seen.line, "d7 vbd 51712: second");
	assert_int_equal(d.n, 0);
	assert_null(d.v);
	/* Not deferred any more: straight to the callback. */
	ncmig_err("after");
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.line, "after");
	ncmig_set_err_cb(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_callback_gets_each),
		cmocka_unit_test(test_default_is_stderr),
		cmocka_unit_test(test_deferred_then_replayed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
