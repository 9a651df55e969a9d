// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * xswatch: register known xenstore watches from inside a guest, through
 * the kernel's /dev/xen/xenbus, and report every event on stdout (the
 * guest's console), so that dom0 can compare what xenstored holds for
 * the domain with what the guest registered, and see which watches
 * still fire.
 *
 *   xswatch PATH...
 *
 * A PATH starting with "/local/domain/self/" has "self" replaced by the
 * domain's id (read from the relative node "domid").  Each watch gets
 * the token "ncmig-wN" (N its position); the kernel registers it with
 * xenstored under the path as given and a token of its own (the
 * xenbus_watch's address), and hands events back with ours.
 *
 * Prints "xswatch: registered PATH" per watch, then
 * "NCMIG-RESULT xsw.registered=N", then per event
 * "xswatch: event PATH TOKEN" (the initial event of each watch too).
 * Runs until killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XS_READ		2
#define XS_WATCH	4
#define XS_WATCH_EVENT	15
#define XS_ERROR	16
#define PAYLOAD_MAX	4096

struct msg {
	uint32_t type, req_id, tx_id, len;
};

static int fd;
static uint32_t next_id = 1;

static int send_req(uint32_t type, const char *a, const char *b)
{
	char buf[sizeof(struct msg) + PAYLOAD_MAX];
	size_t la = strlen(a) + 1, lb = b ? strlen(b) + 1 : 0;
	struct msg m = { type, next_id++, 0, (uint32_t)(la + lb) };

	if (la + lb > PAYLOAD_MAX)
		return -E2BIG;
	memcpy(buf, &m, sizeof(m));
	memcpy(buf + sizeof(m), a, la);
	if (b)
		memcpy(buf + sizeof(m) + la, b, lb);
	if (write(fd, buf, sizeof(m) + la + lb) != (ssize_t)(sizeof(m) + la + lb))
		return -errno;
	return (int)m.req_id;
}

/* One message; its payload NUL-terminated in @p. */
static int recv_msg(struct msg *m, char *p)
{
	size_t got = 0;

	while (got < sizeof(*m)) {
		ssize_t n = read(fd, (char *)m + got, sizeof(*m) - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	if (m->len > PAYLOAD_MAX)
		return -1;
	got = 0;
	while (got < m->len) {
		ssize_t n = read(fd, p + got, m->len - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	p[m->len] = 0;
	return 0;
}

static void print_event(const char *p, uint32_t len)
{
	const char *tok = p + strlen(p) + 1;

	if ((size_t)(tok - p) >= len)
		tok = "";
	printf("xswatch: event %s %s\n", p, tok);
	fflush(stdout);
}

/* The reply to request @id; events that come first are printed. */
static int wait_reply(int id, char *p, struct msg *m)
{
	for (;;) {
		if (recv_msg(m, p))
			return -1;
		if (m->type == XS_WATCH_EVENT) {
			print_event(p, m->len);
			continue;
		}
		if ((int)m->req_id == id)
			return m->type == XS_ERROR ? -1 : 0;
	}
}

int main(int argc, char **argv)
{
	static char p[PAYLOAD_MAX + 1];
	char domid[16] = "", path[512], tok[32];
	struct msg m;
	int i, id, n = 0;

	fd = open("/dev/xen/xenbus", O_RDWR);
	if (fd < 0) {
		perror("xswatch: /dev/xen/xenbus");
		return 1;
	}
	id = send_req(XS_READ, "domid", NULL);
	if (id > 0 && !wait_reply(id, p, &m))
		snprintf(domid, sizeof(domid), "%.15s", p);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "/local/domain/self/", 19))
			snprintf(path, sizeof(path), "/local/domain/%s/%.480s", domid, a + 19);
		else
			snprintf(path, sizeof(path), "%.500s", a);
		snprintf(tok, sizeof(tok), "ncmig-w%d", i - 1);
		id = send_req(XS_WATCH, path, tok);
		if (id < 0 || wait_reply(id, p, &m)) {
			printf("xswatch: could not watch %s: %s\n", path,
			       id < 0 ? strerror(-id) : p);
			continue;
		}
		printf("xswatch: registered %s %s\n", path, tok);
		n++;
	}
	printf("NCMIG-RESULT xsw.registered=%d xsw.domid=%s\n", n, domid);
	fflush(stdout);
	for (;;) {
		if (recv_msg(&m, p))
			return 1;
		if (m.type == XS_WATCH_EVENT)
			print_event(p, m.len);
	}
}
