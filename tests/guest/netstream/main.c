/*
 * netstream: measure what a guest's network sees across a backend handover.
 *
 *   netstream serve      [--port P] [--seconds N]          (dom0)
 *   netstream tcp-client HOST [--seconds N] [--rate KIB/s] (guest)
 *   netstream udp-ping   HOST [--seconds N] [--pps N]      (guest)
 *
 * Results are printed as NCMIG-RESULT lines, keys prefixed by --tag.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "chunk.h"
#include "netstream.h"

atomic_int ns_stop;
atomic_int ns_finish;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&ns_stop, 1);
}

static void on_finish(int sig)
{
	(void)sig;
	atomic_store(&ns_finish, 1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: netstream serve [--port P] [--seconds N] [--tag T]\n"
		"       netstream tcp-client HOST [--port P] [--seconds N] [--rate KIB/s]\n"
		"                 [--chunk BYTES] [--connect-timeout S] [--tag T]\n"
		"       netstream udp-ping HOST [--port P] [--seconds N] [--pps N] [--tag T]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct ns_opts o = {
		.port = 5001, .seconds = 10, .rate_kib = 1024, .chunk = 4096,
		.pps = 100, .connect_timeout = 60,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction fin = { .sa_handler = on_finish };
	const char *mode;
	int i = 2;

	if (argc < 2)
		usage();
	mode = argv[1];
	if (strcmp(mode, "serve")) {
		if (argc < 3)
			usage();
		o.host = argv[i++];
	} else {
		o.seconds = 0;
	}
	o.tag = !strcmp(mode, "udp-ping") ? "udp" : !strcmp(mode, "serve") ? "srv" : "tcp";
	for (; i < argc; i++) {
		const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(opt, "--port"))
			o.port = (int)parse_num(opt, v);
		else if (!strcmp(opt, "--seconds"))
			o.seconds = parse_num(opt, v);
		else if (!strcmp(opt, "--rate"))
			o.rate_kib = parse_num(opt, v);
		else if (!strcmp(opt, "--chunk"))
			o.chunk = parse_num(opt, v);
		else if (!strcmp(opt, "--pps"))
			o.pps = parse_num(opt, v);
		else if (!strcmp(opt, "--connect-timeout"))
			o.connect_timeout = parse_num(opt, v);
		else if (!strcmp(opt, "--tag") && v)
			o.tag = v;
		else
			usage();
		i++;
	}
	if (o.rate_kib < 1 || o.pps < 1 || o.chunk < (long)sizeof(struct chunk_hdr) + 8 ||
	    o.chunk > 1 << 20)
		usage();
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &fin, NULL);	/* the server ignores it */
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "serve"))
		return serve(&o);
	if (!strcmp(mode, "tcp-client"))
		return tcp_client(&o);
	if (!strcmp(mode, "udp-ping"))
		return udp_ping(&o);
	usage();
}
