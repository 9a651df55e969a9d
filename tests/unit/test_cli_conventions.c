// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The CLI conventions every verb follows (issue "Installable on a real
 * dom0", item 3): --help exits 0 with a description, a usage error names
 * the option and the value, test-only options stay out of the help, and
 * a binary stream is never written to a terminal.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "commands.h"
#include "capture.h"

static char out[65536];

static int capture(int (*fn)(int, char **), int argc, char **argv)
{
	return capture_run(fn, argc, argv, out, sizeof(out));
}

struct verb { const char *name; int (*fn)(int, char **); };
#define VERB(name, fn, usage, what) { #name, fn },
static const struct verb verbs[] = { NCMIGD_COMMANDS(VERB) };
#undef VERB

static void test_every_verb_has_help(void **st)
{
	size_t i;
	char *argv[3];

	(void)st;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		argv[0] = (char *)verbs[i].name;
		argv[1] = "--help";
		argv[2] = NULL;
		assert_int_equal(capture(verbs[i].fn, 2, argv), 0);
		assert_non_null(strstr(out, "usage: ncmigd "));
		/* A description, not only a synopsis line. */
		assert_non_null(strstr(out, "\n  "));
	}
}

static void test_usage_error_names_option(void **st)
{
	char *dom[] = { "handover", "--domid", "x", NULL };
	char *tmo[] = { "handover", "--domid", "3", "--timeout-ms", "abc", NULL };
	char *cnt[] = { "monitor", "--count", "-1", NULL };

	(void)st;
	assert_int_equal(capture(cmd_handover, 3, dom), 2);
	assert_non_null(strstr(out, "handover: --domid: bad value \"x\""));
	assert_int_equal(capture(cmd_handover, 5, tmo), 2);
	assert_non_null(strstr(out, "handover: --timeout-ms: bad value \"abc\""));
	assert_int_equal(capture(cmd_monitor, 3, cnt), 2);
	assert_non_null(strstr(out, "monitor: --count: bad value \"-1\""));
	{
		char *wv[] = { "save", "--domid", "3", "--watches-via", "xs", NULL };
		char *rv[] = { "restore", "--domid", "3", "--watches-via", "", NULL };
		char *xw[] = { "xs-watches", NULL };

		/* lu-state is the only route there is. */
		assert_int_equal(capture(cmd_save, 5, wv), 2);
		assert_non_null(strstr(out, "save: --watches-via: bad value \"xs\""));
		assert_int_equal(capture(cmd_restore, 5, rv), 2);
		assert_non_null(strstr(out, "restore: --watches-via: bad value \"\""));
		/* No --domid: a usage error, before any live update. */
		assert_int_equal(capture(cmd_xs_watches, 1, xw), 2);
		assert_non_null(strstr(out, "usage: ncmigd xs-watches"));
	}
}

static void test_json_errors(void **st)
{
	char *bad[] = { "handover", "--domid", "3", "--timeout-ms", "x", "--json", NULL };
	char *text[] = { "handover", "--domid", "3", "--timeout-ms", "x", NULL };

	(void)st;
	/* Before --json on the line, and still JSON. */
	assert_int_equal(capture(cmd_handover, 6, bad), 2);
	assert_non_null(strstr(out, "{\"error\":\"handover: --timeout-ms: bad value \\\"x\\\"\"}\n"));
	/* The next run without --json is text again. */
	assert_int_equal(capture(cmd_handover, 5, text), 2);
	assert_non_null(strstr(out, "ncmigd: handover: --timeout-ms: bad value \"x\"\n"));
}

static void test_test_options_hidden(void **st)
{
	char *help[] = { "handover", "--help", NULL };

	(void)st;
	assert_int_equal(capture(cmd_handover, 2, help), 0);
	assert_null(strstr(out, "--hold-ms"));
	assert_null(strstr(out, "--pause-after"));
}

static void test_no_stream_to_a_terminal(void **st)
{
	char fdarg[16];
	char *argv[] = { "save", "--domid", "5", "--fd", fdarg, NULL };
	int m, s;

	(void)st;
	m = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	assert_true(s >= 0);
	snprintf(fdarg, sizeof(fdarg), "%d", s);
	assert_int_equal(capture(cmd_save, 5, argv), 1);
	assert_non_null(strstr(out, "save: refusing to write a binary stream to a terminal"));
	/* Refused before xenstore was even opened. */
	assert_null(strstr(out, "xenstore"));
	close(s);
	close(m);
}

int main(void)
{
	static const struct CMUnitTest t[] = {
		cmocka_unit_test(test_every_verb_has_help),
		cmocka_unit_test(test_usage_error_names_option),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_test_options_hidden),
		cmocka_unit_test(test_no_stream_to_a_terminal),
	};

	setenv("XENSTORED_PATH", "/nonexistent/ncmig-test-xenstored", 1);
	return cmocka_run_group_tests(t, NULL, NULL);
}
