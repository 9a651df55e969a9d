// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd quiesce / resume: the first and the abort step of a handover on
 * their own, for operators and for the tests of the kernel's watchdog.
 *
 * The session belongs to the netlink socket that quiesced, so quiesce
 * holds its socket open for --hold-s seconds (0: until killed). When the
 * process exits or is killed, the kernel resumes the domain by itself.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "ncmig.h"
#include "util.h"

static void print_reply(const char *step, const struct ncmig_nl_reply *r)
{
	unsigned int i;

	printf("d%u: %s state=%s devices=%u\n", r->domid, step,
	       ncmig_nl_state_name(r->state), r->nr_devs);
	for (i = 0; i < r->nr_devs; i++)
		printf("d%u %s %u: drain_ms=%.3f\n", r->domid,
		       ncmig_kind_name(r->devs[i].kind), r->devs[i].devid,
		       r->devs[i].drain_ns / 1e6);
	fflush(stdout);
}

static int session_step(int argc, char **argv, bool quiesce)
{
	static const struct option opts[] = {
		{ "domid", required_argument, NULL, 'd' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "deadline-ms", required_argument, NULL, 'D' },
		{ "hold-s", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint32_t timeout = 0, deadline = 0, hold = 0;
	bool have_domid = false, have_hold = false;
	struct ncmig_nl_reply *r = NULL;
	struct ncmig_nl_status st;
	struct ncmig_nl_sock *nl;
	uint16_t domid = 0;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (!ncmigd_parse_domid(optarg, &domid))
				goto bad;
			have_domid = true;
			break;
		case 't':
			if (!quiesce || !ncmigd_parse_u32(optarg, &timeout))
				goto bad;
			break;
		case 'D':
			if (!quiesce || !ncmigd_parse_u32(optarg, &deadline))
				goto bad;
			break;
		case 'H':
			if (!quiesce || !ncmigd_parse_u32(optarg, &hold))
				goto bad;
			have_hold = true;
			break;
		case 'h':
			goto usage;
		default:
			goto bad;
		}
	}
	if (!have_domid || optind != argc)
		goto bad;

	r = calloc(1, sizeof(*r));
	nl = r ? ncmig_nl_open(&st) : NULL;
	if (!nl) {
		ncmig_err("%s", r ? st.msg : "out of memory");
		free(r);
		return 1;
	}
	if (quiesce)
		err = ncmig_nl_quiesce(nl, domid, timeout, deadline, r, &st);
	else
		err = ncmig_nl_resume(nl, domid, r, &st);
	if (err) {
		ncmig_dom_err(domid, "%s: %s (%s)", argv[0],
			       st.msg[0] ? st.msg : "failed", strerror(-err));
	} else {
		print_reply(argv[0], r);
		if (have_hold) {
			if (hold)
				sleep(hold);
			else
				for (;;)
					pause();
		}
	}
	ncmig_nl_close(nl);
	free(r);
	return err ? 1 : 0;
usage:
	printf("usage: ncmigd quiesce --domid D [--timeout-ms N] [--deadline-ms N] [--hold-s S]\n"
	       "       ncmigd resume --domid D\n");
	return 0;
bad:
	fprintf(stderr, "usage: ncmigd quiesce --domid D [--timeout-ms N] [--deadline-ms N] [--hold-s S]\n"
		"       ncmigd resume --domid D\n");
	return 2;
}

int cmd_quiesce(int argc, char **argv)
{
	return session_step(argc, argv, true);
}

int cmd_resume(int argc, char **argv)
{
	return session_step(argc, argv, false);
}
