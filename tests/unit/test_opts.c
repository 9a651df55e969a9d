// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd's one option parser (user/ncmigd/opts.c) as every verb uses it:
 * --help prints the verb's one usage text on stdout and exits 0; a bad
 * --domid or --fd, an unknown option or a bad value of a verb's own
 * option prints why and the usage on stderr and exits 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "capture.h"
#include "commands.h"
#include "opts.h"

static char out[65536];

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

#define V(name, fn, usage, what) { #name, fn, usage },
static const struct verb verbs[] = { NCMIGD_COMMANDS(V) };
#undef V
#define NR_VERBS (sizeof(verbs) / sizeof(verbs[0]))

static int run(const struct verb *v, int argc, char **argv)
{
	return capture_run(v->fn, argc, argv, out, sizeof(out));
}

static const struct verb *verb(const char *name)
{
	size_t i;

	for (i = 0; i < NR_VERBS; i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	fail_msg("no verb %s", name);
	return NULL;
}

static void test_help(void **st)
{
	char key[64];
	size_t i;

	(void)st;
	for (i = 0; i < NR_VERBS; i++) {
		char *argv[] = { (char *)verbs[i].name, "--help", NULL };

		/* splice's --help is splice send --help / recv --help */
		if (!strcmp(verbs[i].name, "splice"))
			continue;
		assert_int_equal(run(&verbs[i], 2, argv), 0);
		assert_string_equal(out, verbs[i].usage);
		snprintf(key, sizeof(key), "ncmigd %s", verbs[i].name);
		assert_non_null(strstr(verbs[i].usage, key));
		assert_memory_equal(verbs[i].usage, "usage: ncmigd ", 14);
	}
}

static void test_unknown_option(void **st)
{
	size_t i;

	(void)st;
	for (i = 0; i < NR_VERBS; i++) {
		char *argv[] = { (char *)verbs[i].name, "--no-such-option", NULL };

		if (!strcmp(verbs[i].name, "splice"))
			continue;
		assert_int_equal(run(&verbs[i], 2, argv), 2);
		assert_non_null(strstr(out, "unrecognized option '--no-such-option'"));
		assert_non_null(strstr(out, verbs[i].usage));
	}
}

static void test_bad_domid(void **st)
{
	static const char *const names[] = { "save", "restore", "status",
					     "quiesce", "resume" };
	char want[64];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *argv[] = { (char *)names[i], "--domid", "0", NULL };

		assert_int_equal(run(verb(names[i]), 3, argv), 2);
		snprintf(want, sizeof(want), "ncmigd: %s: bad domid \"0\"\n",
			 names[i]);
		assert_non_null(strstr(out, want));
		assert_non_null(strstr(out, verb(names[i])->usage));
	}
}

static void test_bad_fd(void **st)
{
	char *save[] = { "save", "--domid", "5", "--fd", "999", NULL };
	char *rest[] = { "restore", "--domid", "5", "--fd", "x", NULL };

	(void)st;
	assert_int_equal(run(verb("save"), 5, save), 2);
	assert_non_null(strstr(out, "ncmigd: save: --fd 999 is not an open fd\n"));
	assert_int_equal(run(verb("restore"), 5, rest), 2);
	assert_non_null(strstr(out, "ncmigd: restore: --fd x is not an open fd\n"));
	assert_non_null(strstr(out, "usage: ncmigd restore"));
}

static void test_own_options(void **st)
{
	char *mon[] = { "monitor", "--timeout-ms", "4294967295", NULL };
	char *res[] = { "resume", "--domid", "5", "--timeout-ms", "1", NULL };
	char *spl[] = { "splice", "send", "--domid", "0", "h", "xl", NULL };
	char *js[] = { "quiesce", "--domid", "5", "--json", NULL };

	(void)st;
	assert_int_equal(run(verb("monitor"), 3, mon), 2);
	assert_non_null(strstr(out, "usage: ncmigd monitor"));
	/* resume takes none of quiesce's own options */
	assert_int_equal(run(verb("resume"), 5, res), 2);
	assert_non_null(strstr(out, "usage: ncmigd quiesce"));
	assert_int_equal(run(verb("splice"), 6, spl), 2);
	assert_non_null(strstr(out, "ncmigd: splice send: bad domid \"0\"\n"));
	/* --json only where a verb takes it */
	assert_int_equal(run(verb("quiesce"), 4, js), 2);
	assert_non_null(strstr(out, "unrecognized option '--json'"));
}

int main(void)
{
	static const struct CMUnitTest t[] = {
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_bad_domid),
		cmocka_unit_test(test_bad_fd),
		cmocka_unit_test(test_own_options),
	};

	return cmocka_run_group_tests_name("opts", t, NULL, NULL);
}
