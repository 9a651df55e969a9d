// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The netlink socket: open it, resolve the xen_ncmig family, send one
 * request and collect its replies. One request at a time per socket; the
 * socket's port is what the kernel knows as a session's owner, so a
 * handover keeps one socket open from QUIESCE to RESTORE.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "include/uapi/linux/xen_ncmig.h"
#include "ncmig.h"

/* Big enough for the largest dump message (one record of 65000 octets). */
#define NCMIG_NL_RECV_BUF	(256 * 1024)
/* A RESTORE carries every record of a domain in one request. */
#define NCMIG_NL_SEND_BUF	(32 * 1024 * 1024)

struct ncmig_nl_sock {
	struct mnl_socket *sock;
	const struct ncmig_nl_transport *tr;	/* tests: instead of sock */
	struct ncmig_nl_family fam;
	uint32_t portid;
	uint32_t seq;
	unsigned char *rbuf;
	unsigned char *sbuf;
	size_t sbuf_cap;
};

static int fail(struct ncmig_nl_status *st, int err, const char *what)
{
	st->err = err;
	snprintf(st->msg, sizeof(st->msg), "%s: %s", what, strerror(-err));
	return err;
}

const struct ncmig_nl_family *ncmig_nl_family(const struct ncmig_nl_sock *nl)
{
	return &nl->fam;
}

uint32_t ncmig_nl_portid(const struct ncmig_nl_sock *nl)
{
	return nl->portid;
}

/* Grow the send buffer to hold @len octets. */
static int reserve(struct ncmig_nl_sock *nl, size_t len)
{
	unsigned char *p;

	if (len <= nl->sbuf_cap)
		return 0;
	p = realloc(nl->sbuf, len);
	if (!p)
		return -ENOMEM;
	nl->sbuf = p;
	nl->sbuf_cap = len;
	return 0;
}

const struct ncmig_nl_transport *ncmig_nl_test_transport;

static int ncmig_nl_send(struct ncmig_nl_sock *nl, const void *buf, size_t len)
{
	if (nl->tr)
		return nl->tr->send(nl->tr->ctx, buf, len);
	return mnl_socket_sendto(nl->sock, buf, len) < 0 ? -errno : 0;
}

static ssize_t ncmig_nl_recv(struct ncmig_nl_sock *nl)
{
	ssize_t n;

	if (nl->tr)
		return nl->tr->recv(nl->tr->ctx, nl->rbuf, NCMIG_NL_RECV_BUF);
	n = mnl_socket_recvfrom(nl->sock, nl->rbuf, NCMIG_NL_RECV_BUF);
	return n < 0 ? -errno : n;
}

/* Send what is in sbuf and process replies until the request ends. */
static int transact(struct ncmig_nl_sock *nl, struct nlmsghdr *req, uint16_t type,
		    ncmig_nl_msg_cb cb, void *arg, struct ncmig_nl_status *st)
{
	ssize_t n;
	int ret;

	ret = ncmig_nl_send(nl, req, req->nlmsg_len);
	if (ret)
		return fail(st, ret, "netlink send");
	do {
		n = ncmig_nl_recv(nl);
		if (n < 0)
			return fail(st, (int)n, "netlink receive");
		ret = ncmig_nl_process(nl->rbuf, (size_t)n, req->nlmsg_seq, type, cb,
				 arg, st);
	} while (ret > 0);
	return ret < 0 ? (st->err ? st->err : -EIO) : 0;
}

static int family_cb(const void *payload, size_t len, void *arg,
		     struct ncmig_nl_status *st)
{
	struct ncmig_nl_sock *nl = arg;

	return ncmig_nl_parse_family(payload, len, XEN_NCMIG_MCGRP_EVENTS, &nl->fam,
			       st->msg, sizeof(st->msg));
}

static int resolve(struct ncmig_nl_sock *nl, struct ncmig_nl_status *st)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int err;

	err = reserve(nl, MNL_SOCKET_BUFFER_SIZE);
	if (err)
		return fail(st, err, "netlink buffer");
	nlh = mnl_nlmsg_put_header(nl->sbuf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, XEN_NCMIG_FAMILY_NAME);
	err = transact(nl, nlh, GENL_ID_CTRL, family_cb, nl, st);
	if (err == -ENOENT) {
		st->err = err;
		snprintf(st->msg, sizeof(st->msg),
			 "no %s netlink family: is xen-ncmig.ko loaded?",
			 XEN_NCMIG_FAMILY_NAME);
	}
	if (!err && !nl->fam.id)
		err = fail(st, -EPROTO, "family resolution");
	return err;
}

struct ncmig_nl_sock *ncmig_nl_open(struct ncmig_nl_status *st)
{
	struct ncmig_nl_sock *nl = calloc(1, sizeof(*nl));
	int one = 1, sndbuf = NCMIG_NL_SEND_BUF;

	st->err = 0;
	st->msg[0] = '\0';
	if (!nl) {
		fail(st, -ENOMEM, "netlink");
		return NULL;
	}
	nl->rbuf = malloc(NCMIG_NL_RECV_BUF);
	if (ncmig_nl_test_transport) {
		if (!nl->rbuf) {
			fail(st, -ENOMEM, "netlink");
			goto err;
		}
		nl->tr = ncmig_nl_test_transport;
		nl->portid = 4242;
		nl->seq = 1;
		if (resolve(nl, st))
			goto err;
		return nl;
	}
#ifdef NCMIGD_NO_KERNEL
	/* Unit and fuzz builds: never a real socket (see ncmig.h). */
	fail(st, -ENOENT, "netlink: no kernel in this test build");
	goto err;
#endif
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->rbuf || !nl->sock) {
		fail(st, nl->sock ? -ENOMEM : -errno, "netlink socket");
		goto err;
	}
	/* Extack messages, and errors that do not echo a big RESTORE. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Root may exceed wmem_max; otherwise settle for what is allowed. */
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_SNDBUFFORCE,
		       &sndbuf, sizeof(sndbuf)))
		setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_SNDBUF,
			   &sndbuf, sizeof(sndbuf));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		fail(st, -errno, "netlink bind");
		goto err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	if (resolve(nl, st))
		goto err;
	return nl;
err:
	ncmig_nl_close(nl);
	return NULL;
}

void ncmig_nl_close(struct ncmig_nl_sock *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->rbuf);
	free(nl->sbuf);
	free(nl);
}

int ncmig_nl_request(struct ncmig_nl_sock *nl, uint8_t cmd, bool dump, const void *attrs,
	       size_t attrs_len, ncmig_nl_msg_cb cb, void *arg,
	       struct ncmig_nl_status *st)
{
	size_t len = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr)) +
		     attrs_len;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int err;

	st->err = 0;
	st->msg[0] = '\0';
	if (len > UINT32_MAX)
		return fail(st, -E2BIG, "netlink request");
	err = reserve(nl, len);
	if (err)
		return fail(st, err, "netlink request");
	nlh = mnl_nlmsg_put_header(nl->sbuf);
	nlh->nlmsg_type = nl->fam.id;
	nlh->nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK);
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = XEN_NCMIG_FAMILY_VERSION;
	if (attrs_len)
		memcpy((char *)nlh + nlh->nlmsg_len, attrs, attrs_len);
	nlh->nlmsg_len += attrs_len;
	return transact(nl, nlh, nl->fam.id, cb, arg, st);
}

int ncmig_nl_join_events(struct ncmig_nl_sock *nl, struct ncmig_nl_status *st)
{
	int grp = (int)nl->fam.events_grp;

	if (!grp)
		return fail(st, -ENOENT, "events group");
	if (nl->tr)
		return 0;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)))
		return fail(st, -errno, "join events group");
	return 0;
}

struct event_ctx {
	struct ncmig_nl_reply *r;
	bool got;
};

static int event_cb(const void *payload, size_t len, void *arg,
		    struct ncmig_nl_status *st)
{
	struct event_ctx *ctx = arg;
	int err;

	err = ncmig_nl_parse_reply(payload, len, ctx->r, st->msg, sizeof(st->msg));
	if (!err && ctx->r->cmd == XEN_NCMIG_CMD_EVENT)
		ctx->got = true;
	return err;
}

int ncmig_nl_recv_event(struct ncmig_nl_sock *nl, int timeout_ms, struct ncmig_nl_reply *r,
		  struct ncmig_nl_status *st)
{
	struct event_ctx ctx = { .r = r };
	ssize_t n;
	int ret;

	if (!nl->tr) {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(nl->sock),
				      .events = POLLIN };

		ret = poll(&pfd, 1, timeout_ms);
		if (ret < 0)
			return fail(st, -errno, "poll");
		if (!ret)
			return 0;
	}
	n = ncmig_nl_recv(nl);
	if (n == -EAGAIN)
		return 0;
	if (n < 0)
		return fail(st, (int)n, "netlink receive");
	/* Notifications carry sequence number 0. */
	ret = ncmig_nl_process(nl->rbuf, (size_t)n, 0, nl->fam.id, event_cb, &ctx,
			 st);
	if (ret < 0)
		return st->err ? st->err : -EIO;
	return ctx.got;
}
