// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ncmigd: dispatch to the verb named on the command line (commands.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "ncmig.h"
#include "util.h"
#include "xs_lu.h"

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage, *what;
};

#define NCMIGD_VERB(name, fn, usage, what) { #name, fn, usage, what },
static const struct verb verbs[] = { NCMIGD_COMMANDS(NCMIGD_VERB) };
#undef NCMIGD_VERB

/*
 * The synopsis of @v from its usage text: the line naming "ncmigd NAME"
 * and the lines continuing it ("   [--opt]..."), joined.
 */
static void synopsis(FILE *f, const struct verb *v)
{
	char key[32];
	const char *p, *eol;
	bool first = true;

	snprintf(key, sizeof(key), "ncmigd %s", v->name);
	p = strstr(v->usage, key);
	if (!p)
		return;
	p += strlen("ncmigd ");
	for (;;) {
		eol = strchrnul(p, '\n');
		fprintf(f, "%s%.*s", first ? "" : " ", (int)(eol - p), p);
		first = false;
		if (!*eol)
			break;
		p = eol + 1;
		while (*p == ' ')
			p++;
		if (*p != '[' && strncmp(p, "HOST", 4))
			break;
	}
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ncmigd [-v | -q] VERB [OPTIONS]\n\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		fprintf(f, "  ");
		synopsis(f, &verbs[i]);
		fprintf(f, ": %s\n", verbs[i].what);
	}
	fprintf(f, "\nncmigd VERB --help shows a verb's options;"
		" ncmigd --help-all shows them all.\n");
	fprintf(f, "ncmigd -V, --version prints the version.\n");
	fprintf(f, "-v, --verbose: each step's progress on stderr (a handover of\n"
		   "several domains shows it on a terminal anyway);\n"
		   "-q, --quiet: nothing but errors.\n");
}

/* The man page's source (help2man): the list, then every verb's usage. */
static void usage_all(FILE *f)
{
	size_t i;

	usage(f);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "\n%s", verbs[i].usage);
}

/* A result printed to a full disk or a closed pipe is not a success. */
static int finish(int rc)
{
	if (fflush(stdout) || ferror(stdout)) {
		ncmig_err("writing stdout: %s", strerror(errno ? errno : EIO));
		return rc ? rc : 1;
	}
	return rc;
}

/*
 * With NCMIG_TIMES: when the verb began and ended on the clock of
 * /proc/uptime, so that a script can tell the process's start and exit
 * from the verb's own work.
 */
static void time_mark(const char *verb, const char *what)
{
	const char *e = getenv("NCMIG_TIMES");
	struct timespec t;

	if (!e || !strcmp(e, "0") || clock_gettime(CLOCK_BOOTTIME, &t))
		return;
	fprintf(stderr, "ncmig-time: %s %s at uptime_s=%lld.%06ld\n", verb,
		what, (long long)t.tv_sec, t.tv_nsec / 1000);
}

/* 1 for -v/--verbose, -1 for -q/--quiet, 0 for anything else. */
static int verbosity_of(const char *arg)
{
	if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose"))
		return 1;
	if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet"))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;
	int v;

	while (argc >= 2 && (v = verbosity_of(argv[1]))) {
		ncmigd_verbosity = v;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	/*
	 * Not a verb: the step a live update of xenstored runs in its window
	 * (user/lib/xs_lu.c), while no xenstored answers.  It touches only
	 * the files it is named.
	 */
	if (!strcmp(argv[1], "__lu-window"))
		return argc == 4 ? ncmig_lu_window(argv[2], argv[3]) : 2;
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--help-all")) {
		usage_all(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("ncmigd %s\n", NCMIG_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(argv[1], verbs[i].name))
			continue;
		/*
		 * -q: a verb's text results go nowhere; save and splice may
		 * carry a binary stream on stdout, and save says less itself.
		 */
		if (ncmigd_verbosity < 0 && strcmp(argv[1], "save") &&
		    strcmp(argv[1], "splice") && !freopen("/dev/null", "w", stdout)) {
			ncmig_err("-q: %s", strerror(errno));
			return 1;
		}
		time_mark(argv[1], "began");
		v = finish(verbs[i].fn(argc - 1, argv + 1));
		time_mark(argv[1], "ended");
		return v;
	}
	ncmig_err("unknown verb \"%s\" (ncmigd --help lists them)", argv[1]);
	return 2;
}
