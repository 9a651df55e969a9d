// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd handover's options, without a kernel: --domid given several
 * times (up to 64, each distinct), and the usage text. A valid command
 * line gets as far as opening the netlink socket, which fails here (no
 * xen_ncmig family): exit 1 and no usage text, where a usage error
 * exits 2 with the usage on stderr.
 */
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

static char out[65536];

/* Run cmd_handover with stdout and stderr captured into out[]. */
static int capture(int argc, char **argv)
{
	FILE *f = tmpfile();
	int saved_out = dup(1), saved_err = dup(2), rc;
	size_t n;

	fflush(stdout);
	fflush(stderr);
	dup2(fileno(f), 1);
	dup2(fileno(f), 2);
	rc = cmd_handover(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	fclose(f);
	return rc;
}

/* argv of "handover" and @n times "--domid first+i" (+ @extra). */
static int run_domids(unsigned int first, unsigned int n, const char *extra)
{
	static char num[200][8];
	char *argv[2 * 200 + 3];
	int argc = 0;
	unsigned int i;

	argv[argc++] = "handover";
	for (i = 0; i < n; i++) {
		snprintf(num[i], sizeof(num[i]), "%u", first + i);
		argv[argc++] = "--domid";
		argv[argc++] = num[i];
	}
	if (extra)
		argv[argc++] = (char *)extra;
	argv[argc] = NULL;
	return capture(argc, argv);
}

static void test_usage_text(void **st)
{
	char *help[] = { "handover", "--help", NULL };
	char *none[] = { "handover", NULL };

	(void)st;
	assert_int_equal(capture(2, help), 0);
	assert_non_null(strstr(out, "usage: ncmigd handover --domid D [--domid D2]... [--reload-modules]\n"));
	assert_non_null(strstr(out, "up to 64, each distinct"));
	assert_non_null(strstr(out, "one reload, RESTORE all"));
	assert_non_null(strstr(out, "--json            one object (one domain) or an array of them"));
	assert_int_equal(capture(1, none), 2);
	assert_non_null(strstr(out, "usage: ncmigd handover"));
}

static void test_repeated_domid(void **st)
{
	(void)st;
	/* Accepted: it goes on to the socket, which fails without usage. */
	assert_int_equal(run_domids(5, 1, NULL), 1);
	assert_null(strstr(out, "usage:"));
	assert_int_equal(run_domids(5, 2, NULL), 1);
	assert_null(strstr(out, "usage:"));
	assert_int_equal(run_domids(1, 64, "--reload-modules"), 1);
	assert_null(strstr(out, "usage:"));
	assert_null(strstr(out, "at most"));
}

static void test_duplicate_domid(void **st)
{
	char *dup2x[] = { "handover", "--domid", "5", "--domid", "6",
			  "--domid", "5", NULL };

	(void)st;
	assert_int_equal(capture(7, dup2x), 2);
	assert_non_null(strstr(out, "ncmigd: handover: --domid 5 given twice\n"));
	assert_non_null(strstr(out, "usage: ncmigd handover"));
}

static void test_too_many_domids(void **st)
{
	(void)st;
	assert_int_equal(run_domids(1, 65, NULL), 2);
	assert_non_null(strstr(out, "ncmigd: handover: at most 64 --domid\n"));
	assert_non_null(strstr(out, "usage: ncmigd handover"));
	assert_int_equal(run_domids(100, 200, NULL), 2);
	assert_non_null(strstr(out, "at most 64 --domid"));
}

static void test_other_usage_errors(void **st)
{
	char *bad[] = { "handover", "--domid", "5", "--domid", "0", NULL };
	char *pause[] = { "handover", "--domid", "5", "--domid", "6",
			  "--pause-after", "quiesce", NULL };
	char *stray[] = { "handover", "--domid", "5", "6", NULL };

	(void)st;
	assert_int_equal(capture(5, bad), 2);
	assert_non_null(strstr(out, "usage: ncmigd handover"));
	assert_int_equal(capture(7, pause), 2);
	assert_non_null(strstr(out, "--pause-after takes one --domid"));
	assert_int_equal(capture(4, stray), 2);
	assert_non_null(strstr(out, "usage: ncmigd handover"));
}

int main(void)
{
	static const struct CMUnitTest t[] = {
		cmocka_unit_test(test_usage_text),
		cmocka_unit_test(test_repeated_domid),
		cmocka_unit_test(test_duplicate_domid),
		cmocka_unit_test(test_too_many_domids),
		cmocka_unit_test(test_other_usage_errors),
	};

	return cmocka_run_group_tests_name("handover_args", t, NULL, NULL);
}
