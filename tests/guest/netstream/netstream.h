/* netstream: paced TCP streams and UDP pings that measure disruption. */
#ifndef NETSTREAM_H
#define NETSTREAM_H
#include <stdatomic.h>
#include <stdint.h>

struct ns_opts {
	const char *host;
	int port;
	long seconds;		/* 0: until SIGTERM */
	long rate_kib;		/* TCP pacing per direction, KiB/s */
	long chunk;		/* TCP chunk size, bytes */
	long pps;		/* UDP ping packets per second */
	long connect_timeout;	/* seconds to wait for the server */
	const char *tag;	/* prefix of result keys */
};

extern atomic_int ns_stop;	/* set by SIGTERM/SIGINT */
/* Set by SIGUSR1: end now as at the --seconds deadline (a clean end). */
extern atomic_int ns_finish;

int tcp_client(const struct ns_opts *o);
int udp_ping(const struct ns_opts *o);
/* Serve TCP streams and echo UDP pings until SIGTERM or --seconds. */
int serve(const struct ns_opts *o);
int udp_echo_start(const struct ns_opts *o);
void udp_echo_report(const char *tag);
#endif
