// SPDX-License-Identifier: GPL-2.0 OR MIT
/* One call per operation of the xen_ncmig family. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "include/uapi/linux/xen_ncmig.h"
#include "ncmig.h"

/*
 * A request's attributes, put with libmnl behind a netlink header of
 * their own in a buffer that grows; ncmig_nl_request() is handed what
 * follows the header.
 */
struct attrs {
	struct nlmsghdr *nlh;
	size_t cap;
	int err;
};

/* Room for one more attribute of @len octets. */
static bool room(struct attrs *a, size_t len)
{
	size_t used = a->nlh ? a->nlh->nlmsg_len : MNL_NLMSG_HDRLEN;
	size_t need = used + MNL_ATTR_HDRLEN + MNL_ALIGN(len);
	size_t cap = a->cap ? a->cap : 256;
	void *p;

	if (a->err)
		return false;
	if (MNL_ATTR_HDRLEN + len > UINT16_MAX) {
		a->err = -E2BIG;
		return false;
	}
	if (need <= a->cap)
		return true;
	while (cap < need)
		cap *= 2;
	p = realloc(a->nlh, cap);
	if (!p) {
		a->err = -ENOMEM;
		return false;
	}
	if (!a->nlh)
		mnl_nlmsg_put_header(p);
	a->nlh = p;
	a->cap = cap;
	return true;
}

static void put(struct attrs *a, uint16_t type, const void *data, size_t len)
{
	if (room(a, len) &&
	    !mnl_attr_put_check(a->nlh, a->cap, type, len, data))
		a->err = -E2BIG;
}

static void put_u32(struct attrs *a, uint16_t type, uint32_t v)
{
	if (room(a, sizeof(v)) &&
	    !mnl_attr_put_u32_check(a->nlh, a->cap, type, v))
		a->err = -E2BIG;
}

static int send_attrs(struct ncmig_nl_sock *nl, uint8_t cmd, bool dump,
		      struct attrs *a, ncmig_nl_msg_cb cb, void *arg,
		      struct ncmig_nl_status *st)
{
	int err = a->err;

	if (err) {
		st->err = err;
		snprintf(st->msg, sizeof(st->msg), "cannot build the request");
	} else if (!a->nlh) {
		err = ncmig_nl_request(nl, cmd, dump, NULL, 0, cb, arg, st);
	} else {
		err = ncmig_nl_request(nl, cmd, dump,
				       mnl_nlmsg_get_payload(a->nlh),
				       a->nlh->nlmsg_len - MNL_NLMSG_HDRLEN,
				       cb, arg, st);
	}
	free(a->nlh);
	return err;
}

/* A do's single reply, parsed into the caller's struct. */
static int reply_cb(const void *payload, size_t len, void *arg,
		    struct ncmig_nl_status *st)
{
	return ncmig_nl_parse_reply(payload, len, arg, st->msg, sizeof(st->msg));
}

static int domid_do(struct ncmig_nl_sock *nl, uint8_t cmd, uint16_t domid,
		    struct ncmig_nl_reply *r, struct ncmig_nl_status *st)
{
	struct attrs a = { 0 };

	put_u32(&a, XEN_NCMIG_A_DOMID, domid);
	return send_attrs(nl, cmd, false, &a, reply_cb, r, st);
}

int ncmig_nl_quiesce(struct ncmig_nl_sock *nl, uint16_t domid, uint32_t timeout_ms,
	       uint32_t deadline_ms, struct ncmig_nl_reply *r, struct ncmig_nl_status *st)
{
	struct attrs a = { 0 };

	put_u32(&a, XEN_NCMIG_A_DOMID, domid);
	if (timeout_ms)
		put_u32(&a, XEN_NCMIG_A_TIMEOUT_MS, timeout_ms);
	if (deadline_ms)
		put_u32(&a, XEN_NCMIG_A_DEADLINE_MS, deadline_ms);
	return send_attrs(nl, XEN_NCMIG_CMD_QUIESCE, false, &a, reply_cb, r,
			  st);
}

int ncmig_nl_release(struct ncmig_nl_sock *nl, uint16_t domid, struct ncmig_nl_reply *r,
	       struct ncmig_nl_status *st)
{
	return domid_do(nl, XEN_NCMIG_CMD_RELEASE, domid, r, st);
}

int ncmig_nl_resume(struct ncmig_nl_sock *nl, uint16_t domid, struct ncmig_nl_reply *r,
	      struct ncmig_nl_status *st)
{
	return domid_do(nl, XEN_NCMIG_CMD_RESUME, domid, r, st);
}

int ncmig_nl_session(struct ncmig_nl_sock *nl, uint16_t domid,
		     struct ncmig_nl_reply *r, struct ncmig_nl_status *st)
{
	return domid_do(nl, XEN_NCMIG_CMD_SESSION_GET, domid, r, st);
}

int ncmig_nl_restore(struct ncmig_nl_sock *nl, uint16_t domid, const void *const *recs,
	       const size_t *lens, unsigned int nr, struct ncmig_nl_reply *r,
	       struct ncmig_nl_status *st)
{
	struct attrs a = { 0 };
	unsigned int i;

	put_u32(&a, XEN_NCMIG_A_DOMID, domid);
	for (i = 0; i < nr; i++)
		put(&a, XEN_NCMIG_A_RECORD, recs[i], lens[i]);
	return send_attrs(nl, XEN_NCMIG_CMD_RESTORE, false, &a, reply_cb, r,
			  st);
}

struct dump_ctx {
	struct ncmig_nl_reply *r;
	ncmig_nl_reply_cb reply_cb;
	ncmig_nl_record_cb record_cb;
	void *arg;
};

static struct ncmig_nl_reply *reply_alloc(struct ncmig_nl_status *st)
{
	struct ncmig_nl_reply *r = malloc(sizeof(*r));

	if (!r) {
		st->err = -ENOMEM;
		snprintf(st->msg, sizeof(st->msg), "out of memory");
	}
	return r;
}

static int record_msg_cb(const void *payload, size_t len, void *arg,
			 struct ncmig_nl_status *st)
{
	struct dump_ctx *ctx = arg;
	struct ncmig_nl_reply *r = ctx->r;
	int err;

	err = ncmig_nl_parse_reply(payload, len, r, st->msg, sizeof(st->msg));
	if (err)
		return err;
	if (r->cmd != XEN_NCMIG_CMD_SNAPSHOT || !r->record ||
	    r->nr_devs != 1) {
		snprintf(st->msg, sizeof(st->msg),
			 "SNAPSHOT message without one device and record");
		return -EBADMSG;
	}
	return ctx->record_cb(r->devs[0].kind, r->devs[0].devid, r->record,
			      r->record_len, ctx->arg);
}

int ncmig_nl_snapshot(struct ncmig_nl_sock *nl, uint16_t domid, ncmig_nl_record_cb cb,
		void *arg, struct ncmig_nl_status *st)
{
	struct dump_ctx ctx = { .record_cb = cb, .arg = arg };
	struct attrs a = { 0 };
	int err;

	ctx.r = reply_alloc(st);
	if (!ctx.r)
		return -ENOMEM;
	put_u32(&a, XEN_NCMIG_A_DOMID, domid);
	err = send_attrs(nl, XEN_NCMIG_CMD_SNAPSHOT, true, &a, record_msg_cb,
			 &ctx, st);
	free(ctx.r);
	return err;
}

static int each_msg_cb(const void *payload, size_t len, void *arg,
		       struct ncmig_nl_status *st)
{
	struct dump_ctx *ctx = arg;
	int err;

	err = ncmig_nl_parse_reply(payload, len, ctx->r, st->msg, sizeof(st->msg));
	return err ? err : ctx->reply_cb(ctx->r, ctx->arg);
}

static int dump(struct ncmig_nl_sock *nl, uint8_t cmd, int domid, ncmig_nl_reply_cb cb,
		void *arg, struct ncmig_nl_status *st)
{
	struct dump_ctx ctx = { .reply_cb = cb, .arg = arg };
	struct attrs a = { 0 };
	int err;

	ctx.r = reply_alloc(st);
	if (!ctx.r)
		return -ENOMEM;
	if (domid >= 0)
		put_u32(&a, XEN_NCMIG_A_DOMID, (uint32_t)domid);
	err = send_attrs(nl, cmd, true, &a, each_msg_cb, &ctx, st);
	free(ctx.r);
	return err;
}

int ncmig_nl_sessions(struct ncmig_nl_sock *nl, ncmig_nl_reply_cb cb, void *arg,
		struct ncmig_nl_status *st)
{
	return dump(nl, XEN_NCMIG_CMD_SESSION_GET, -1, cb, arg, st);
}

int ncmig_nl_devices(struct ncmig_nl_sock *nl, int domid, ncmig_nl_reply_cb cb, void *arg,
	       struct ncmig_nl_status *st)
{
	return dump(nl, XEN_NCMIG_CMD_DEV_GET, domid, cb, arg, st);
}

int ncmig_nl_ended(struct ncmig_nl_sock *nl, ncmig_nl_reply_cb cb, void *arg,
		   struct ncmig_nl_status *st)
{
	return dump(nl, XEN_NCMIG_CMD_ENDED_GET, -1, cb, arg, st);
}
