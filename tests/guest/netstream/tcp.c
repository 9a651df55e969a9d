/*
 * TCP streams: each connection carries a paced stream of chunks in both
 * directions. The receiver checks sequence and payload and records the
 * largest gap between consecutive chunks; a reset or a lost connection is
 * counted, and the client reconnects until its time is up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/util.h"
#include "chunk.h"
#include "netstream.h"

struct stream {
	int fd;
	const struct ns_opts *o;
	uint64_t deadline_ns;	/* sender stops here (0: when told) */
	int client;		/* SIGUSR1 (ns_finish) also ends the sender */
	atomic_int stop_tx;
	atomic_int tx_done;	/* our direction is complete (FIN sent) */
	/* results */
	uint64_t tx_bytes, rx_bytes, rx_chunks, seq_errors, max_gap_ns;
	int reset, clean_eof, tx_error;
	int early_eof;		/* the peer ended before we had finished */
};

static int is_reset(int err)
{
	return err == ECONNRESET || err == EPIPE || err == ECONNABORTED;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { 1, 0 };
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void *sender(void *arg)
{
	struct stream *s = arg;
	size_t len = (size_t)s->o->chunk;
	unsigned char *buf = malloc(len);
	uint64_t t0 = now_ns(), seq = 0;
	/* Pacing: chunk seq leaves at t0 + seq * interval. */
	uint64_t interval = 1000000000ull * len / ((uint64_t)s->o->rate_kib * 1024);

	while (buf && !atomic_load(&s->stop_tx) && !atomic_load(&ns_stop) &&
	       (!s->deadline_ns || now_ns() < s->deadline_ns) &&
	       !(s->client && atomic_load(&ns_finish))) {
		uint64_t due = t0 + seq * interval, now = now_ns();
		size_t off = 0;

		if (due > now) {
			usleep((useconds_t)((due - now) / 1000));
			continue;
		}
		chunk_fill(buf, len, seq, now);
		while (off < len && !atomic_load(&s->stop_tx)) {
			ssize_t n = send(s->fd, buf + off, len - off, MSG_NOSIGNAL);

			if (n > 0) {
				off += (size_t)n;
				s->tx_bytes += (uint64_t)n;
			} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				continue;	/* peer slow: keep waiting, stop_tx may end it */
			} else {
				if (n < 0 && is_reset(errno))
					s->reset = 1;
				s->tx_error = 1;
				goto out;
			}
		}
		seq++;
	}
out:
	atomic_store(&s->tx_done, 1);	/* before the FIN, which the peer answers */
	shutdown(s->fd, SHUT_WR);	/* tells the peer the stream is complete */
	free(buf);
	return NULL;
}

/* Receive until EOF or error; rx_deadline_ns bounds a peer that hangs. */
static void receiver(struct stream *s, uint64_t rx_deadline_ns)
{
	size_t len = (size_t)s->o->chunk;
	unsigned char *buf = malloc(len);
	uint64_t expect = 0, last = 0;
	size_t have = 0;

	while (buf) {
		ssize_t n;

		if (rx_deadline_ns && now_ns() > rx_deadline_ns)
			break;
		n = recv(s->fd, buf + have, len - have, 0);
		if (n == 0) {
			s->clean_eof = 1;
			s->early_eof = !atomic_load(&s->tx_done);
			break;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				if (atomic_load(&ns_stop))
					break;
				continue;
			}
			if (is_reset(errno))
				s->reset = 1;
			break;
		}
		s->rx_bytes += (uint64_t)n;
		have += (size_t)n;
		if (have < len)
			continue;
		have = 0;
		if (chunk_check(buf, len, expect)) {
			s->seq_errors++;
			/* Resynchronise on the sender's numbering if the header is sane. */
			memcpy(&expect, buf + offsetof(struct chunk_hdr, seq), sizeof(expect));
		}
		expect++;
		s->rx_chunks++;
		uint64_t now = now_ns();

		if (last && now - last > s->max_gap_ns)
			s->max_gap_ns = now - last;
		last = now;
	}
	free(buf);
}

/* ---- client ------------------------------------------------------------ */

static int connect_to(const struct ns_opts *o, uint64_t give_up_ns)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port) };

	if (inet_pton(AF_INET, o->host, &a.sin_addr) != 1) {
		fprintf(stderr, "netstream: bad address %s\n", o->host);
		return -1;
	}
	while (!atomic_load(&ns_stop) && now_ns() < give_up_ns) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
		usleep(200000);
	}
	return -1;
}

int tcp_client(const struct ns_opts *o)
{
	uint64_t t0 = now_ns();
	uint64_t end = o->seconds ? t0 + (uint64_t)o->seconds * 1000000000ull : 0;
	uint64_t tx = 0, rx = 0, chunks = 0, seq_err = 0, gap = 0, connect_ms = 0;
	unsigned conns = 0, resets = 0, lost = 0, connect_failures = 0;
	int clean = 0;

	while (!atomic_load(&ns_stop) && !atomic_load(&ns_finish) && (!end || now_ns() < end)) {
		uint64_t c0 = now_ns();
		uint64_t give_up = c0 + (uint64_t)o->connect_timeout * 1000000000ull;
		struct stream s = { .o = o, .deadline_ns = end, .client = 1 };
		pthread_t tid;
		int fd;

		if (end && give_up > end && conns)
			give_up = end;
		fd = connect_to(o, give_up);
		if (fd < 0) {
			connect_failures++;
			break;
		}
		if (!conns)
			connect_ms = (now_ns() - c0) / 1000000;
		conns++;
		set_timeouts(fd);
		s.fd = fd;
		pthread_create(&tid, NULL, sender, &s);
		/* After our FIN, the server finishes within seconds, or it hangs. */
		receiver(&s, end ? end + 30000000000ull : 0);
		atomic_store(&s.stop_tx, 1);
		pthread_join(tid, NULL);
		close(fd);
		tx += s.tx_bytes;
		rx += s.rx_bytes;
		chunks += s.rx_chunks;
		seq_err += s.seq_errors;
		if (s.max_gap_ns > gap)
			gap = s.max_gap_ns;
		resets += (unsigned)s.reset;
		/* The server answers our FIN with its own; an earlier FIN means it went away. */
		clean = s.clean_eof && !s.early_eof && !s.tx_error;
		if (!clean) {
			lost++;
			fprintf(stderr, "netstream: connection lost (%s) at t=%llus\n",
				s.reset ? "reset" : s.early_eof ? "early EOF" : "error",
				(unsigned long long)((now_ns() - t0) / 1000000000ull));
		}
		if (clean)
			break;
	}
	int ok = conns && !resets && !lost && !seq_err && !connect_failures && tx && rx && clean;

	result_line("%s.ok=%d %s.conns=%u %s.resets=%u %s.lost_conns=%u %s.connect_failures=%u "
		    "%s.seq_errors=%llu %s.tx_bytes=%llu %s.rx_bytes=%llu %s.rx_chunks=%llu "
		    "%s.max_gap_ms=%llu %s.connect_ms=%llu",
		    o->tag, ok, o->tag, conns, o->tag, resets, o->tag, lost,
		    o->tag, connect_failures, o->tag, (unsigned long long)seq_err,
		    o->tag, (unsigned long long)tx, o->tag, (unsigned long long)rx,
		    o->tag, (unsigned long long)chunks, o->tag,
		    (unsigned long long)(gap / 1000000), o->tag, (unsigned long long)connect_ms);
	return ok ? 0 : 1;
}

/* ---- server ------------------------------------------------------------ */

static struct {
	pthread_mutex_t lock;
	unsigned conns, resets, lost;
	uint64_t rx, tx, seq_errors, max_gap_ns;
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *serve_conn(void *arg)
{
	struct stream *s = arg;
	pthread_t tid;

	set_timeouts(s->fd);
	pthread_create(&tid, NULL, sender, s);
	receiver(s, 0);
	/* The client's FIN (or an error) ends our direction too. */
	atomic_store(&s->stop_tx, 1);
	pthread_join(tid, NULL);
	close(s->fd);
	pthread_mutex_lock(&srv.lock);
	srv.rx += s->rx_bytes;
	srv.tx += s->tx_bytes;
	srv.seq_errors += s->seq_errors;
	srv.resets += (unsigned)s->reset;
	srv.lost += !s->clean_eof;
	if (s->max_gap_ns > srv.max_gap_ns)
		srv.max_gap_ns = s->max_gap_ns;
	pthread_mutex_unlock(&srv.lock);
	fprintf(stderr, "netstream: connection done: rx=%llu tx=%llu %s\n",
		(unsigned long long)s->rx_bytes, (unsigned long long)s->tx_bytes,
		s->clean_eof ? "clean" : s->reset ? "reset" : "lost");
	free(s);
	return NULL;
}

int serve(const struct ns_opts *o)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port) };
	uint64_t end = o->seconds ? now_ns() + (uint64_t)o->seconds * 1000000000ull : 0;
	struct timeval tv = { 1, 0 };
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);

	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 16)) {
		perror("netstream: listen");
		return 2;
	}
	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));	/* accept() wakes */
	if (udp_echo_start(o))
		return 2;
	printf("netstream: listening on port %d (tcp, udp)\n", o->port);
	fflush(stdout);
	while (!atomic_load(&ns_stop) && (!end || now_ns() < end)) {
		int fd = accept(lfd, NULL, NULL);
		struct stream *s;
		pthread_t tid;

		if (fd < 0)
			continue;
		s = calloc(1, sizeof(*s));
		if (!s)
			break;
		s->fd = fd;
		s->o = o;
		pthread_mutex_lock(&srv.lock);
		srv.conns++;
		pthread_mutex_unlock(&srv.lock);
		pthread_create(&tid, NULL, serve_conn, s);
		pthread_detach(tid);
	}
	pthread_mutex_lock(&srv.lock);
	result_line("%s.tcp.conns=%u %s.tcp.resets=%u %s.tcp.lost_conns=%u %s.tcp.seq_errors=%llu "
		    "%s.tcp.rx_bytes=%llu %s.tcp.tx_bytes=%llu %s.tcp.max_gap_ms=%llu",
		    o->tag, srv.conns, o->tag, srv.resets, o->tag, srv.lost,
		    o->tag, (unsigned long long)srv.seq_errors, o->tag, (unsigned long long)srv.rx,
		    o->tag, (unsigned long long)srv.tx, o->tag,
		    (unsigned long long)(srv.max_gap_ns / 1000000));
	pthread_mutex_unlock(&srv.lock);
	udp_echo_report(o->tag);
	return 0;
}
