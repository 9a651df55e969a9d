/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Every verb's options through one parser (opts.c): the options verbs
 * share (--domid, --fd, --json, --help) are parsed here, once, and a
 * verb's own options go to its callback.  A verb has one usage text;
 * the parser prints it for --help (stdout, exit 0) and after any usage
 * error (stderr, exit 2), and main.c's verb list is taken from it.
 */
#ifndef NCMIGD_OPTS_H
#define NCMIGD_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Shared options a verb takes (struct ncmigd_verb.shared). */
#define NCMIGD_OPT_DOMID	(1U << 0)	/* --domid D, -d D: one guest */
#define NCMIGD_OPT_FD		(1U << 1)	/* --fd N: an open fd */
#define NCMIGD_OPT_JSON		(1U << 2)	/* --json */

#define NCMIGD_USAGE_SAID	3

struct ncmigd_args {
	uint16_t domid;
	bool has_domid;
	int fd;				/* -1 without --fd */
	bool json;
};

struct ncmigd_verb {
	const char *name;		/* in messages: "save", "splice send" */
	const char *usage;		/* its usage text, "usage: ncmigd ..." */
	unsigned int shared;		/* NCMIGD_OPT_* */
	/* Its own short options ("o:"); a leading '+' stops at the first
	 * operand (what follows is another command's).
	 */
	const char *shortopts;
	const struct option *own;	/* its own long options, or NULL */
	/*
	 * One of its own options: 0; 2 for a usage error, which the parser
	 * reports naming the option and its value; NCMIGD_USAGE_SAID for
	 * one the callback has already explained.
	 */
	int (*opt)(int c, const char *arg, void *ctx);
	void *ctx;
};

/*
 * Parse @argv (argv[0] is the verb) into @a and through v->opt.
 * 0: run (optind is at the first operand); 1: --help was printed (exit
 * 0); 2: a usage error was printed, the usage after it (exit 2).
 */
int ncmigd_parse(const struct ncmigd_verb *v, int argc, char **argv,
		 struct ncmigd_args *a);

/* A usage error found after parsing: the usage on stderr; returns 2. */
int ncmigd_usage_error(const struct ncmigd_verb *v);

/* The verb's usage text on @f. */
void ncmigd_usage(const struct ncmigd_verb *v, FILE *f);

#endif /* NCMIGD_OPTS_H */
