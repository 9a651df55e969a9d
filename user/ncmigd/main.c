// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ncmigd: dispatch to the verb named on the command line (commands.h). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util.h"

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

#define NCMIGD_VERB(name, fn, help) { #name, fn, help },
static const struct verb verbs[] = { NCMIGD_COMMANDS(NCMIGD_VERB) };
#undef NCMIGD_VERB

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ncmigd VERB [OPTIONS]\n\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %s\n", verbs[i].help);
	fprintf(f, "\nncmigd VERB --help shows a verb's options.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	ncmig_err("unknown verb \"%s\" (ncmigd --help lists them)", argv[1]);
	return 2;
}
