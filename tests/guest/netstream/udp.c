/*
 * UDP ping: numbered, timestamped datagrams at a fixed rate to an echo
 * server. Counts what never came back and the largest silence between
 * consecutive replies, which is what a guest sees of a network blackout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/util.h"
#include "chunk.h"
#include "netstream.h"

#define PING_LEN 64

struct ping_state {
	int fd;
	uint8_t *seen;		/* one byte per sequence number */
	uint64_t cap;
	atomic_uint_fast64_t sent;
	atomic_int done;
	uint64_t recv, dup, bad, max_gap_ns, max_rtt_ns, last_rx;
};

static void *ping_receiver(void *arg)
{
	struct ping_state *p = arg;
	unsigned char buf[PING_LEN];

	while (!atomic_load(&p->done)) {
		ssize_t n = recv(p->fd, buf, sizeof(buf), 0);
		struct chunk_hdr h;
		uint64_t now = now_ns();

		if (n != PING_LEN)
			continue;	/* timeout, or not ours */
		memcpy(&h, buf, sizeof(h));
		if (h.seq >= p->cap || chunk_check(buf, PING_LEN, h.seq)) {
			p->bad++;
			continue;
		}
		if (p->seen[h.seq]++) {
			p->dup++;
			continue;
		}
		p->recv++;
		if (now - h.ts_ns > p->max_rtt_ns)
			p->max_rtt_ns = now - h.ts_ns;
		if (p->last_rx && now - p->last_rx > p->max_gap_ns)
			p->max_gap_ns = now - p->last_rx;
		p->last_rx = now;
	}
	return NULL;
}

int udp_ping(const struct ns_opts *o)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port) };
	struct timeval tv = { 0, 200000 };
	struct ping_state p = { .fd = socket(AF_INET, SOCK_DGRAM, 0) };
	uint64_t interval = 1000000000ull / (uint64_t)o->pps, t0, seq = 0, send_errors = 0;
	uint64_t longest_loss = 0, run = 0;
	pthread_t tid;

	p.cap = (uint64_t)o->pps * (uint64_t)(o->seconds ? o->seconds : 86400) + 16;
	p.seen = calloc(p.cap, 1);
	if (p.fd < 0 || !p.seen || inet_pton(AF_INET, o->host, &a.sin_addr) != 1 ||
	    connect(p.fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("netstream: udp");
		return 2;
	}
	setsockopt(p.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pthread_create(&tid, NULL, ping_receiver, &p);
	t0 = now_ns();
	while (!atomic_load(&ns_stop) && !atomic_load(&ns_finish) && seq < p.cap - 16 &&
	       (!o->seconds || now_ns() < t0 + (uint64_t)o->seconds * 1000000000ull)) {
		uint64_t due = t0 + seq * interval, now = now_ns();
		unsigned char buf[PING_LEN];

		if (due > now) {
			usleep((useconds_t)((due - now) / 1000));
			continue;
		}
		chunk_fill(buf, PING_LEN, seq, now);
		/* ENOBUFS/ECONNREFUSED while the link is down count as losses. */
		if (send(p.fd, buf, PING_LEN, 0) != PING_LEN)
			send_errors++;
		seq++;
	}
	sleep(1);	/* stragglers */
	atomic_store(&p.done, 1);
	pthread_join(tid, NULL);

	for (uint64_t i = 0; i < seq; i++) {
		run = p.seen[i] ? 0 : run + 1;
		if (run > longest_loss)
			longest_loss = run;
	}
	uint64_t lost = seq - p.recv;

	result_line("%s.ok=%d %s.sent=%llu %s.recv=%llu %s.lost=%llu %s.dup=%llu %s.bad=%llu "
		    "%s.send_errors=%llu %s.longest_loss_ms=%llu %s.max_gap_ms=%llu %s.max_rtt_ms=%llu",
		    o->tag, seq && !lost && !p.bad, o->tag, (unsigned long long)seq,
		    o->tag, (unsigned long long)p.recv, o->tag, (unsigned long long)lost,
		    o->tag, (unsigned long long)p.dup, o->tag, (unsigned long long)p.bad,
		    o->tag, (unsigned long long)send_errors,
		    o->tag, (unsigned long long)(longest_loss * 1000 / (uint64_t)o->pps),
		    o->tag, (unsigned long long)(p.max_gap_ns / 1000000),
		    o->tag, (unsigned long long)(p.max_rtt_ns / 1000000));
	return seq && !lost ? 0 : 1;
}

/* ---- echo server --------------------------------------------------------- */

static atomic_uint_fast64_t echoed;

static void *echo_loop(void *arg)
{
	int fd = (int)(intptr_t)arg;
	unsigned char buf[2048];

	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n > 0 && sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl) == n)
			atomic_fetch_add(&echoed, 1);
	}
	return NULL;
}

int udp_echo_start(const struct ns_opts *o)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	pthread_t tid;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("netstream: udp bind");
		return -1;
	}
	if (pthread_create(&tid, NULL, echo_loop, (void *)(intptr_t)fd))
		return -1;
	pthread_detach(tid);
	return 0;
}

void udp_echo_report(const char *tag)
{
	result_line("%s.udp.echoed=%llu", tag, (unsigned long long)atomic_load(&echoed));
}
