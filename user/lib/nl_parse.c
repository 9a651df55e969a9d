// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Parsing what the kernel sends on the xen_ncmig family. These bytes come
 * from the kernel, but a parser that trusts its input is a bug waiting
 * for a kernel bug (or a version skew): every attribute's length is
 * checked against its type before it is read, strings must end in NUL
 * inside their attribute, counts are bounded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "include/uapi/linux/xen_ncmig.h"
#include "ncmig.h"

static int bad(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

static uint32_t get_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
	return v;
}

static uint64_t get_u64(const struct nlattr *a)
{
	uint64_t v;

	memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
	return v;
}

/* A NUL-terminated string that fits @cap (NUL included). */
static bool get_str(const struct nlattr *a, char *out, size_t cap)
{
	size_t len = mnl_attr_get_payload_len(a);
	const char *s = mnl_attr_get_payload(a);

	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 || len > cap ||
	    strlen(s) != len - 1)
		return false;
	memcpy(out, s, len);
	return true;
}

/*
 * One walk over a set of attributes with mnl_attr_parse_payload(): the
 * callback records how far it got (so that an attribute that does not
 * fit, where libmnl's walk stops, is told from the end) and, to stop
 * the walk, an error.
 */
struct walk {
	const char *end;	/* past the last attribute seen, padded */
	int err;		/* -EBADMSG with @why set, to stop */
	char *why;
	size_t why_len;
	void *out;		/* what the callback fills in */
	const char *grp_name;	/* CTRL_ATTR_MCAST_GROUPS: the one wanted */
};

static void seen(struct walk *w, const struct nlattr *a)
{
	w->end = (const char *)a + MNL_ALIGN(a->nla_len);
}

/* The callback's way to stop the walk with an error. */
static int stop(struct walk *w, int err)
{
	w->err = err;
	return MNL_CB_ERROR;
}

/*
 * Walk [@p, @p + @len) with @cb. 0, the callback's error, or
 * -EBADMSG with "@what: truncated attribute" when an attribute does
 * not fit.  The last attribute may lack its padding.
 */
static int walk(const void *p, size_t len, mnl_attr_cb_t cb, struct walk *w,
		const char *what)
{
	w->end = p;
	w->err = 0;
	if (mnl_attr_parse_payload(p, len, cb, w) == MNL_CB_ERROR)
		return w->err ? w->err : -EBADMSG;
	if (w->end < (const char *)p + len)
		return bad(w->why, w->why_len, "%s", what);
	return 0;
}

/* Fixed-size attributes, validated by libmnl (exactly their size). */
static const enum mnl_attr_data_type dev_policy[XEN_NCMIG_DEV_A_MAX + 1] = {
	[XEN_NCMIG_DEV_A_KIND] = MNL_TYPE_U32,
	[XEN_NCMIG_DEV_A_DEVID] = MNL_TYPE_U32,
	[XEN_NCMIG_DEV_A_STATE] = MNL_TYPE_U32,
	[XEN_NCMIG_DEV_A_NR_RINGS] = MNL_TYPE_U32,
	[XEN_NCMIG_DEV_A_INFLIGHT] = MNL_TYPE_U32,
	[XEN_NCMIG_DEV_A_PGRANTS] = MNL_TYPE_U32,
	[XEN_NCMIG_DEV_A_DROPPED] = MNL_TYPE_U32,
	[XEN_NCMIG_DEV_A_BOUND] = MNL_TYPE_U8,
	[XEN_NCMIG_DEV_A_QUIESCED] = MNL_TYPE_U8,
	[XEN_NCMIG_DEV_A_RELEASED] = MNL_TYPE_U8,
	[XEN_NCMIG_DEV_A_DRAIN_NS] = MNL_TYPE_U64,
	[XEN_NCMIG_DEV_A_START_NS] = MNL_TYPE_U64,
	[XEN_NCMIG_DEV_A_DONE_NS] = MNL_TYPE_U64,
	[XEN_NCMIG_DEV_A_BLACKOUT_NS] = MNL_TYPE_U64,
	[XEN_NCMIG_DEV_A_LEFT] = MNL_TYPE_U32,
	[XEN_NCMIG_DEV_A_LEFT_AFTER_NS] = MNL_TYPE_U64,
};

static const enum mnl_attr_data_type reply_policy[XEN_NCMIG_A_MAX + 1] = {
	[XEN_NCMIG_A_DOMID] = MNL_TYPE_U32,
	[XEN_NCMIG_A_SESSION_STATE] = MNL_TYPE_U32,
	[XEN_NCMIG_A_OWNER_PORTID] = MNL_TYPE_U32,
	[XEN_NCMIG_A_DEADLINE_MS] = MNL_TYPE_U32,
	[XEN_NCMIG_A_EVENT] = MNL_TYPE_U32,
	[XEN_NCMIG_A_ERRNO] = MNL_TYPE_U32,
	[XEN_NCMIG_A_TIMESTAMP_NS] = MNL_TYPE_U64,
	[XEN_NCMIG_A_END_STATE] = MNL_TYPE_U32,
};

/* 0 if @a is not in @policy or has its type's size, else -1. */
static int check(const struct nlattr *a, const enum mnl_attr_data_type *policy,
		 unsigned int max)
{
	unsigned int type = mnl_attr_get_type(a);

	if (type > max || policy[type] == MNL_TYPE_UNSPEC)
		return 0;
	return mnl_attr_validate(a, policy[type]);
}

static int dev_attr(const struct nlattr *a, void *data)
{
	struct walk *w = data;
	struct ncmig_nl_dev *d = w->out;
	unsigned int type = mnl_attr_get_type(a);

	seen(w, a);
	if (check(a, dev_policy, XEN_NCMIG_DEV_A_MAX) < 0)
		return stop(w, bad(w->why, w->why_len,
				   "device attribute %u: %u octets", type,
				   (unsigned int)mnl_attr_get_payload_len(a)));
	switch (type) {
	case XEN_NCMIG_DEV_A_KIND:
		d->kind = get_u32(a);
		d->has_kind = true;
		break;
	case XEN_NCMIG_DEV_A_DEVID:
		d->devid = get_u32(a);
		d->has_devid = true;
		break;
	case XEN_NCMIG_DEV_A_STATE:
		d->state = get_u32(a);
		d->has_state = true;
		break;
	case XEN_NCMIG_DEV_A_NR_RINGS:
		d->nr_rings = get_u32(a);
		break;
	case XEN_NCMIG_DEV_A_INFLIGHT:
		d->inflight = get_u32(a);
		break;
	case XEN_NCMIG_DEV_A_PGRANTS:
		d->pgrants = get_u32(a);
		break;
	case XEN_NCMIG_DEV_A_DROPPED:
		d->dropped = get_u32(a);
		break;
	case XEN_NCMIG_DEV_A_BOUND:
		d->bound = mnl_attr_get_u8(a) != 0;
		break;
	case XEN_NCMIG_DEV_A_QUIESCED:
		d->quiesced = mnl_attr_get_u8(a) != 0;
		break;
	case XEN_NCMIG_DEV_A_RELEASED:
		d->released = mnl_attr_get_u8(a) != 0;
		break;
	case XEN_NCMIG_DEV_A_DRAIN_NS:
		d->drain_ns = get_u64(a);
		break;
	case XEN_NCMIG_DEV_A_START_NS:
		d->start_ns = get_u64(a);
		break;
	case XEN_NCMIG_DEV_A_DONE_NS:
		d->done_ns = get_u64(a);
		break;
	case XEN_NCMIG_DEV_A_BLACKOUT_NS:
		d->blackout_ns = get_u64(a);
		d->has_blackout = true;
		break;
	case XEN_NCMIG_DEV_A_LEFT:
		d->left = get_u32(a);
		break;
	case XEN_NCMIG_DEV_A_LEFT_AFTER_NS:
		d->left_after_ns = get_u64(a);
		break;
	case XEN_NCMIG_DEV_A_NODENAME:
		if (!get_str(a, d->nodename, sizeof(d->nodename)))
			return stop(w, bad(w->why, w->why_len,
					   "device attribute %u: bad string",
					   type));
		break;
	default:
		break;		/* newer kernel: skip */
	}
	return MNL_CB_OK;
}

static int parse_dev(const struct nlattr *nest, struct ncmig_nl_dev *d, char *why,
		     size_t why_len)
{
	struct walk w = { .why = why, .why_len = why_len, .out = d };
	int err;

	memset(d, 0, sizeof(*d));
	err = walk(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest),
		   dev_attr, &w, "device nest: truncated attribute");
	if (err)
		return err;
	if (!d->has_kind || !d->has_devid)
		return bad(why, why_len, "device nest without kind or devid");
	return 0;
}

static int reply_attr(const struct nlattr *a, void *data)
{
	struct walk *w = data;
	struct ncmig_nl_reply *r = w->out;
	unsigned int type = mnl_attr_get_type(a);
	int err;

	seen(w, a);
	if (check(a, reply_policy, XEN_NCMIG_A_MAX) < 0)
		goto size;
	switch (type) {
	case XEN_NCMIG_A_DOMID:
		r->domid = get_u32(a);
		r->has_domid = true;
		break;
	case XEN_NCMIG_A_SESSION_STATE:
		r->state = get_u32(a);
		r->has_state = true;
		break;
	case XEN_NCMIG_A_OWNER_PORTID:
		r->owner = get_u32(a);
		break;
	case XEN_NCMIG_A_DEADLINE_MS:
		r->deadline_ms = get_u32(a);
		r->has_deadline = true;
		break;
	case XEN_NCMIG_A_EVENT:
		r->event = get_u32(a);
		r->has_event = true;
		break;
	case XEN_NCMIG_A_ERRNO:
		r->err = (int32_t)get_u32(a);
		r->has_err = true;
		break;
	case XEN_NCMIG_A_TIMESTAMP_NS:
		r->ts_ns = get_u64(a);
		break;
	case XEN_NCMIG_A_END_STATE:
		r->end_state = get_u32(a);
		r->has_end = true;
		break;
	case XEN_NCMIG_A_MESSAGE:
		if (!get_str(a, r->message, sizeof(r->message)))
			return stop(w, bad(w->why, w->why_len,
					   "MESSAGE: bad string"));
		break;
	case XEN_NCMIG_A_RECORD:
		if (mnl_attr_get_payload_len(a) > XEN_NCMIG_RECORD_MAX)
			goto size;
		r->record = mnl_attr_get_payload(a);
		r->record_len = mnl_attr_get_payload_len(a);
		break;
	case XEN_NCMIG_A_DEVICE:
		if (r->nr_devs == NCMIG_NL_DEVS_MAX)
			return stop(w, bad(w->why, w->why_len,
					   "more than %u devices",
					   NCMIG_NL_DEVS_MAX));
		err = parse_dev(a, &r->devs[r->nr_devs], w->why, w->why_len);
		if (err)
			return stop(w, err);
		r->nr_devs++;
		break;
	default:
		break;		/* newer kernel: skip */
	}
	return MNL_CB_OK;
size:
	return stop(w, bad(w->why, w->why_len, "attribute %u: %u octets",
			   type, (unsigned int)mnl_attr_get_payload_len(a)));
}

int ncmig_nl_parse_reply(const void *payload, size_t len, struct ncmig_nl_reply *r,
		   char *why, size_t why_len)
{
	const struct genlmsghdr *g = payload;
	struct walk w = { .why = why, .why_len = why_len, .out = r };

	r->nr_devs = 0;
	r->has_domid = r->has_state = r->has_event = false;
	r->has_err = r->has_deadline = r->has_end = false;
	r->domid = r->state = r->owner = r->deadline_ms = r->event = 0;
	r->end_state = 0;
	r->err = 0;
	r->ts_ns = 0;
	r->message[0] = '\0';
	r->record = NULL;
	r->record_len = 0;
	if (len < GENL_HDRLEN)
		return bad(why, why_len, "message shorter than its header");
	r->cmd = g->cmd;
	return walk((const char *)payload + GENL_HDRLEN, len - GENL_HDRLEN,
		    reply_attr, &w, "truncated attribute");
}

/* One CTRL_ATTR_MCAST_GROUPS entry: its id and name. */
struct group {
	char name[GENL_NAMSIZ];
	uint32_t id;
};

static int group_attr(const struct nlattr *a, void *data)
{
	struct walk *w = data;
	struct group *g = w->out;

	seen(w, a);
	switch (mnl_attr_get_type(a)) {
	case CTRL_ATTR_MCAST_GRP_ID:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return stop(w, bad(w->why, w->why_len,
					   "group id: bad size"));
		g->id = get_u32(a);
		break;
	case CTRL_ATTR_MCAST_GRP_NAME:
		if (!get_str(a, g->name, sizeof(g->name)))
			return stop(w, bad(w->why, w->why_len,
					   "group name: bad string"));
		break;
	}
	return MNL_CB_OK;
}

static int groups_attr(const struct nlattr *a, void *data)
{
	struct walk *w = data, gw = { .why = w->why, .why_len = w->why_len };
	struct ncmig_nl_family *f = w->out;
	struct group g = { "", 0 };
	int err;

	seen(w, a);
	gw.out = &g;
	err = walk(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a),
		   group_attr, &gw, "group: truncated attribute");
	if (err)
		return stop(w, err);
	if (!strcmp(g.name, w->grp_name))
		f->events_grp = g.id;
	return MNL_CB_OK;
}

static int family_attr(const struct nlattr *a, void *data)
{
	struct walk *w = data, gw = { .why = w->why, .why_len = w->why_len };
	struct ncmig_nl_family *f = w->out;
	int err;

	seen(w, a);
	switch (mnl_attr_get_type(a)) {
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return stop(w, bad(w->why, w->why_len,
					   "family id: bad size"));
		f->id = mnl_attr_get_u16(a);
		break;
	case CTRL_ATTR_VERSION:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return stop(w, bad(w->why, w->why_len,
					   "version: bad size"));
		f->version = get_u32(a);
		break;
	case CTRL_ATTR_MCAST_GROUPS:
		gw.out = f;
		gw.grp_name = w->grp_name;
		err = walk(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a),
			   groups_attr, &gw, "groups: truncated attribute");
		if (err)
			return stop(w, err);
		break;
	}
	return MNL_CB_OK;
}

int ncmig_nl_parse_family(const void *payload, size_t len, const char *grp_name,
		    struct ncmig_nl_family *f, char *why, size_t why_len)
{
	struct walk w = { .why = why, .why_len = why_len, .out = f,
			  .grp_name = grp_name };
	int err;

	memset(f, 0, sizeof(*f));
	if (len < GENL_HDRLEN)
		return bad(why, why_len, "family: message too short");
	err = walk((const char *)payload + GENL_HDRLEN, len - GENL_HDRLEN,
		   family_attr, &w, "family: truncated attribute");
	if (err)
		return err;
	if (!f->id)
		return bad(why, why_len, "family: no id");
	return 0;
}

/* The extack message of an NLMSG_ERROR or NLMSG_DONE, if any. */
static int ext_ack_attr(const struct nlattr *a, void *data)
{
	struct ncmig_nl_status *st = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    !get_str(a, st->msg, sizeof(st->msg)))
		st->msg[0] = '\0';
	return MNL_CB_OK;
}

static void parse_ext_ack(const void *tlvs, size_t len, struct ncmig_nl_status *st)
{
	mnl_attr_parse_payload(tlvs, len, ext_ack_attr, st);
}

static int parse_error(const struct nlmsghdr *nlh, struct ncmig_nl_status *st)
{
	size_t len = nlh->nlmsg_len - NLMSG_HDRLEN;
	const char *p = mnl_nlmsg_get_payload(nlh);
	struct nlmsgerr e;
	size_t off;

	if (len < sizeof(e)) {
		st->err = -EBADMSG;
		snprintf(st->msg, sizeof(st->msg), "short NLMSG_ERROR");
		return -1;
	}
	memcpy(&e, p, sizeof(e));
	if (e.error > 0 || e.error < -4095) {
		st->err = -EBADMSG;
		snprintf(st->msg, sizeof(st->msg), "NLMSG_ERROR %d", e.error);
		return -1;
	}
	st->err = e.error;
	if (!e.error)
		return 0;
	/* The request is echoed unless capped; TLVs follow it. */
	off = sizeof(e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e.msg.nlmsg_len < NLMSG_HDRLEN ||
		    e.msg.nlmsg_len - NLMSG_HDRLEN > len - off)
			return -1;
		off += NLMSG_ALIGN(e.msg.nlmsg_len - NLMSG_HDRLEN);
	}
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && off < len)
		parse_ext_ack(p + off, len - off, st);
	return -1;
}

static int parse_done(const struct nlmsghdr *nlh, struct ncmig_nl_status *st)
{
	size_t len = nlh->nlmsg_len - NLMSG_HDRLEN;
	const char *p = mnl_nlmsg_get_payload(nlh);
	int32_t err;

	if (len < sizeof(err)) {
		st->err = -EBADMSG;
		snprintf(st->msg, sizeof(st->msg), "short NLMSG_DONE");
		return -1;
	}
	memcpy(&err, p, sizeof(err));
	if (err > 0 || err < -4095) {
		st->err = -EBADMSG;
		snprintf(st->msg, sizeof(st->msg), "NLMSG_DONE %d", err);
		return -1;
	}
	st->err = err;
	if (!err)
		return 0;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && len > sizeof(err))
		parse_ext_ack(p + sizeof(err), len - sizeof(err), st);
	return -1;
}

/*
 * A whole message fits in the @rem octets left. Not mnl_nlmsg_ok(): it
 * compares (int)nlmsg_len, which a length above 2^31 turns negative.
 */
static bool msg_ok(const struct nlmsghdr *nlh, int rem)
{
	return rem >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)rem;
}

int ncmig_nl_process(const void *buf, size_t len, uint32_t seq, uint16_t type,
	       ncmig_nl_msg_cb cb, void *arg, struct ncmig_nl_status *st)
{
	const struct nlmsghdr *nlh = buf;
	int rem = len > INT32_MAX ? INT32_MAX : (int)len;
	int err;

	st->err = 0;
	st->msg[0] = '\0';
	if (!len) {
		st->err = -EBADMSG;
		snprintf(st->msg, sizeof(st->msg), "empty datagram");
		return -1;
	}
	for (; msg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (nlh->nlmsg_seq != seq) {
			st->err = -EPROTO;
			snprintf(st->msg, sizeof(st->msg),
				 "reply to request %u, not %u",
				 nlh->nlmsg_seq, seq);
			return -1;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR)
			return parse_error(nlh, st);
		if (nlh->nlmsg_type == NLMSG_DONE)
			return parse_done(nlh, st);
		if (nlh->nlmsg_type != type) {
			st->err = -EPROTO;
			snprintf(st->msg, sizeof(st->msg),
				 "unexpected message type %u",
				 nlh->nlmsg_type);
			return -1;
		}
		err = cb(mnl_nlmsg_get_payload(nlh),
			 nlh->nlmsg_len - NLMSG_HDRLEN, arg, st);
		if (err) {
			st->err = err;
			return -1;
		}
		/* A reply without NLM_F_MULTI still waits for its ACK. */
	}
	if (rem) {
		st->err = -EBADMSG;
		snprintf(st->msg, sizeof(st->msg),
			 "%d octets of truncated message", rem);
		return -1;
	}
	return 1;
}

const char *ncmig_nl_state_name(uint32_t state)
{
	switch (state) {
	case XEN_NCMIG_SESSION_NONE:
		return "none";
	case XEN_NCMIG_SESSION_QUIESCED:
		return "quiesced";
	case XEN_NCMIG_SESSION_RELEASED:
		return "released";
	case XEN_NCMIG_SESSION_RESTORING:
		return "restoring";
	}
	return "unknown";
}

const char *ncmig_nl_event_name(uint32_t event)
{
	switch (event) {
	case XEN_NCMIG_EVENT_QUIESCED:
		return "quiesced";
	case XEN_NCMIG_EVENT_RELEASED:
		return "released";
	case XEN_NCMIG_EVENT_RESTORED:
		return "restored";
	case XEN_NCMIG_EVENT_RESUMED:
		return "resumed";
	case XEN_NCMIG_EVENT_AUTO_RESUMED:
		return "auto-resumed";
	case XEN_NCMIG_EVENT_FAILED:
		return "failed";
	}
	return "unknown";
}

const char *ncmig_nl_end_name(uint32_t end)
{
	switch (end) {
	case XEN_NCMIG_END_RESUMED:
		return "resumed";
	case XEN_NCMIG_END_RESTORED:
		return "restored";
	case XEN_NCMIG_END_AUTO_RESUMED:
		return "auto-resumed";
	case XEN_NCMIG_END_GONE:
		return "gone";
	case XEN_NCMIG_END_FAILED:
		return "failed";
	}
	return "unknown";
}

const char *ncmig_nl_left_name(uint32_t left)
{
	switch (left) {
	case XEN_NCMIG_LEFT_GONE:
		return "gone";
	case XEN_NCMIG_LEFT_CLOSED:
		return "closed";
	case XEN_NCMIG_LEFT_RECONNECTED:
		return "reconnected";
	}
	return "unknown";
}
