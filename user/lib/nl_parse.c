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

/* Exactly @size octets of payload. */
static bool len_is(const struct nlattr *a, size_t size)
{
	return mnl_attr_get_payload_len(a) == size;
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

static uint8_t get_u8(const struct nlattr *a)
{
	return *(const uint8_t *)mnl_attr_get_payload(a);
}

/* A NUL-terminated string that fits @cap (NUL included). */
static bool get_str(const struct nlattr *a, char *out, size_t cap)
{
	size_t len = mnl_attr_get_payload_len(a);
	const char *s = mnl_attr_get_payload(a);

	if (!len || len > cap || s[len - 1] != '\0' || strlen(s) != len - 1)
		return false;
	memcpy(out, s, len);
	return true;
}

/* A whole attribute fits in the @rem octets left. */
static bool attr_ok(const struct nlattr *a, size_t rem)
{
	return rem >= sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= rem;
}

/* Step past @a; the last attribute may lack its padding. */
static const struct nlattr *attr_next(const struct nlattr *a, size_t *rem)
{
	size_t step = MNL_ALIGN(a->nla_len);

	if (step >= *rem) {
		*rem = 0;
		return a;
	}
	*rem -= step;
	return (const struct nlattr *)((const char *)a + step);
}

/*
 * Walk the attributes in [@p, @p + @len). The walk stops at the first
 * one that does not fit, leaving @rem non-zero: check walk_clean().
 */
#define for_each_attr(a, p, len, rem)					\
	for ((a) = (const struct nlattr *)(p), (rem) = (len);		\
	     attr_ok((a), (rem)); (a) = attr_next((a), &(rem)))

static bool walk_clean(size_t rem)
{
	return rem == 0;
}

static int parse_dev(const struct nlattr *nest, struct ncmig_nl_dev *d, char *why,
		     size_t why_len)
{
	const struct nlattr *a;
	size_t rem;

	memset(d, 0, sizeof(*d));
	for_each_attr(a, mnl_attr_get_payload(nest),
		      mnl_attr_get_payload_len(nest), rem) {
		unsigned int type = mnl_attr_get_type(a);
		uint32_t *u32p = NULL;
		uint64_t *u64p = NULL;
		bool *u8p = NULL;

		switch (type) {
		case XEN_NCMIG_DEV_A_KIND:
			u32p = &d->kind;
			d->has_kind = true;
			break;
		case XEN_NCMIG_DEV_A_DEVID:
			u32p = &d->devid;
			d->has_devid = true;
			break;
		case XEN_NCMIG_DEV_A_STATE:
			u32p = &d->state;
			d->has_state = true;
			break;
		case XEN_NCMIG_DEV_A_NR_RINGS:
			u32p = &d->nr_rings;
			break;
		case XEN_NCMIG_DEV_A_INFLIGHT:
			u32p = &d->inflight;
			break;
		case XEN_NCMIG_DEV_A_PGRANTS:
			u32p = &d->pgrants;
			break;
		case XEN_NCMIG_DEV_A_DROPPED:
			u32p = &d->dropped;
			break;
		case XEN_NCMIG_DEV_A_BOUND:
			u8p = &d->bound;
			break;
		case XEN_NCMIG_DEV_A_QUIESCED:
			u8p = &d->quiesced;
			break;
		case XEN_NCMIG_DEV_A_RELEASED:
			u8p = &d->released;
			break;
		case XEN_NCMIG_DEV_A_DRAIN_NS:
			u64p = &d->drain_ns;
			break;
		case XEN_NCMIG_DEV_A_START_NS:
			u64p = &d->start_ns;
			break;
		case XEN_NCMIG_DEV_A_DONE_NS:
			u64p = &d->done_ns;
			break;
		case XEN_NCMIG_DEV_A_BLACKOUT_NS:
			u64p = &d->blackout_ns;
			d->has_blackout = true;
			break;
		case XEN_NCMIG_DEV_A_NODENAME:
			if (!get_str(a, d->nodename, sizeof(d->nodename)))
				return bad(why, why_len,
					   "device attribute %u: bad string",
					   type);
			continue;
		default:
			continue;	/* newer kernel: skip */
		}
		if (u32p) {
			if (!len_is(a, sizeof(uint32_t)))
				goto size;
			*u32p = get_u32(a);
		} else if (u64p) {
			if (!len_is(a, sizeof(uint64_t)))
				goto size;
			*u64p = get_u64(a);
		} else {
			if (!len_is(a, sizeof(uint8_t)))
				goto size;
			*u8p = get_u8(a) != 0;
		}
		continue;
size:
		return bad(why, why_len, "device attribute %u: %u octets",
			   type, (unsigned int)mnl_attr_get_payload_len(a));
	}
	if (!walk_clean(rem))
		return bad(why, why_len, "device nest: truncated attribute");
	if (!d->has_kind || !d->has_devid)
		return bad(why, why_len, "device nest without kind or devid");
	return 0;
}

int ncmig_nl_parse_reply(const void *payload, size_t len, struct ncmig_nl_reply *r,
		   char *why, size_t why_len)
{
	const struct genlmsghdr *g = payload;
	const struct nlattr *a;
	size_t rem;
	int err;

	r->nr_devs = 0;
	r->has_domid = r->has_state = r->has_event = false;
	r->has_err = r->has_deadline = false;
	r->domid = r->state = r->owner = r->deadline_ms = r->event = 0;
	r->err = 0;
	r->ts_ns = 0;
	r->message[0] = '\0';
	r->record = NULL;
	r->record_len = 0;
	if (len < GENL_HDRLEN)
		return bad(why, why_len, "message shorter than its header");
	r->cmd = g->cmd;
	for_each_attr(a, (const char *)payload + GENL_HDRLEN, len - GENL_HDRLEN,
		      rem) {
		unsigned int type = mnl_attr_get_type(a);

		switch (type) {
		case XEN_NCMIG_A_DOMID:
		case XEN_NCMIG_A_SESSION_STATE:
		case XEN_NCMIG_A_OWNER_PORTID:
		case XEN_NCMIG_A_DEADLINE_MS:
		case XEN_NCMIG_A_EVENT:
		case XEN_NCMIG_A_ERRNO:
			if (!len_is(a, sizeof(uint32_t)))
				goto size;
			break;
		case XEN_NCMIG_A_TIMESTAMP_NS:
			if (!len_is(a, sizeof(uint64_t)))
				goto size;
			break;
		}
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
		case XEN_NCMIG_A_MESSAGE:
			if (!get_str(a, r->message, sizeof(r->message)))
				return bad(why, why_len, "MESSAGE: bad string");
			break;
		case XEN_NCMIG_A_RECORD:
			if (mnl_attr_get_payload_len(a) > XEN_NCMIG_RECORD_MAX)
				goto size;
			r->record = mnl_attr_get_payload(a);
			r->record_len = mnl_attr_get_payload_len(a);
			break;
		case XEN_NCMIG_A_DEVICE:
			if (r->nr_devs == NCMIG_NL_DEVS_MAX)
				return bad(why, why_len, "more than %u devices",
					   NCMIG_NL_DEVS_MAX);
			err = parse_dev(a, &r->devs[r->nr_devs], why, why_len);
			if (err)
				return err;
			r->nr_devs++;
			break;
		default:
			break;		/* newer kernel: skip */
		}
		continue;
size:
		return bad(why, why_len, "attribute %u: %u octets", type,
			   (unsigned int)mnl_attr_get_payload_len(a));
	}
	if (!walk_clean(rem))
		return bad(why, why_len, "truncated attribute");
	return 0;
}

static int parse_groups(const struct nlattr *nest, const char *grp_name,
			struct ncmig_nl_family *f, char *why, size_t why_len)
{
	const struct nlattr *grp, *a;
	size_t rem, rem2;

	for_each_attr(grp, mnl_attr_get_payload(nest),
		      mnl_attr_get_payload_len(nest), rem) {
		char name[GENL_NAMSIZ] = "";
		uint32_t id = 0;

		for_each_attr(a, mnl_attr_get_payload(grp),
			      mnl_attr_get_payload_len(grp), rem2) {
			switch (mnl_attr_get_type(a)) {
			case CTRL_ATTR_MCAST_GRP_ID:
				if (!len_is(a, sizeof(uint32_t)))
					return bad(why, why_len,
						   "group id: bad size");
				id = get_u32(a);
				break;
			case CTRL_ATTR_MCAST_GRP_NAME:
				if (!get_str(a, name, sizeof(name)))
					return bad(why, why_len,
						   "group name: bad string");
				break;
			}
		}
		if (!walk_clean(rem2))
			return bad(why, why_len, "group: truncated attribute");
		if (!strcmp(name, grp_name))
			f->events_grp = id;
	}
	if (!walk_clean(rem))
		return bad(why, why_len, "groups: truncated attribute");
	return 0;
}

int ncmig_nl_parse_family(const void *payload, size_t len, const char *grp_name,
		    struct ncmig_nl_family *f, char *why, size_t why_len)
{
	const struct nlattr *a;
	bool have_id = false;
	size_t rem;
	int err;

	memset(f, 0, sizeof(*f));
	if (len < GENL_HDRLEN)
		return bad(why, why_len, "family: message too short");
	for_each_attr(a, (const char *)payload + GENL_HDRLEN, len - GENL_HDRLEN,
		      rem) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (!len_is(a, sizeof(uint16_t)))
				return bad(why, why_len, "family id: bad size");
			memcpy(&f->id, mnl_attr_get_payload(a), sizeof(f->id));
			have_id = true;
			break;
		case CTRL_ATTR_VERSION:
			if (!len_is(a, sizeof(uint32_t)))
				return bad(why, why_len, "version: bad size");
			f->version = get_u32(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			err = parse_groups(a, grp_name, f, why, why_len);
			if (err)
				return err;
			break;
		}
	}
	if (!walk_clean(rem))
		return bad(why, why_len, "family: truncated attribute");
	if (!have_id || !f->id)
		return bad(why, why_len, "family: no id");
	return 0;
}

/* The extack message of an NLMSG_ERROR or NLMSG_DONE, if any. */
static void parse_ext_ack(const void *tlvs, size_t len, struct ncmig_nl_status *st)
{
	const struct nlattr *a;
	size_t rem;

	for_each_attr(a, tlvs, len, rem)
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    !get_str(a, st->msg, sizeof(st->msg)))
			st->msg[0] = '\0';
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
