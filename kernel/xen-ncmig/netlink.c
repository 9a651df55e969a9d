// SPDX-License-Identifier: GPL-2.0
/*
 * The xen_ncmig generic netlink family (include/uapi/linux/xen_ncmig.h,
 * described by xen_ncmig.yaml): the only file that speaks the uapi.
 *
 * Builds on 6.1 and 6.12; genl_compat.h holds the API differences. On
 * 6.12 alone, NL_SET_ERR_MSG_FMT() (6.2) could replace the message slots
 * below.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <xen/interface/xen.h>

#include "include/uapi/linux/xen_ncmig.h"
#include "genl_compat.h"
#include "netlink.h"
#include "session.h"

static struct genl_family ncmig_family;

enum ncmig_mcgrp { NCMIG_MCGRP_EVENTS };

/*
 * 6.1 has no NL_SET_ERR_MSG_FMT: extack->_msg must point to text that
 * outlives the doit, since the ack is built after it returns (and after
 * any lock the doit took). Messages go to a ring of static slots; a slot
 * is reused only NCMIG_MSG_SLOTS failures later, long after its ack went
 * out. The last octet of a slot is never written, so even a slot rewritten
 * under a reader stays NUL-terminated.
 */
#define NCMIG_MSG_SLOTS		32
static char ncmig_msg_slots[NCMIG_MSG_SLOTS][sizeof(((struct xbq_msg *)0)->text)];
static atomic_t ncmig_msg_next = ATOMIC_INIT(0);

static void ncmig_set_msg(struct netlink_ext_ack *extack,
			  const struct xbq_msg *msg)
{
	unsigned int i;
	char *slot;

	if (!extack || !msg->text[0])
		return;
	i = (unsigned int)atomic_inc_return(&ncmig_msg_next) % NCMIG_MSG_SLOTS;
	slot = ncmig_msg_slots[i];
	strscpy(slot, msg->text, sizeof(ncmig_msg_slots[i]) - 1);
	extack->_msg = slot;
}

static const struct nla_policy ncmig_policy[XEN_NCMIG_A_MAX + 1] = {
	[XEN_NCMIG_A_DOMID] = NLA_POLICY_MAX(NLA_U32, DOMID_FIRST_RESERVED - 1),
	[XEN_NCMIG_A_TIMEOUT_MS] = NLA_POLICY_MIN(NLA_U32, 1),
	[XEN_NCMIG_A_DEADLINE_MS] = NLA_POLICY_MIN(NLA_U32, 1),
	[XEN_NCMIG_A_RECORD] = { .type = NLA_BINARY,
				 .len = XEN_NCMIG_RECORD_MAX },
};

/* Every operation works in the initial network namespace only. */
static bool ncmig_netns_ok(struct net *net, struct netlink_ext_ack *extack)
{
	if (net_eq(net, &init_net))
		return true;
	NL_SET_ERR_MSG(extack,
		       "xen_ncmig: only in the initial network namespace");
	return false;
}

static int ncmig_pre_doit(const struct ncmig_genl_pre_ops *ops,
			  struct sk_buff *skb, struct genl_info *info)
{
	return ncmig_netns_ok(genl_info_net(info), info->extack) ? 0 :
								   -EOPNOTSUPP;
}

static int ncmig_get_domid(struct nlattr **attrs, struct netlink_ext_ack *extack,
			   u16 *domid)
{
	if (!attrs[XEN_NCMIG_A_DOMID]) {
		NL_SET_ERR_MSG(extack, "xen_ncmig: DOMID is required");
		return -EINVAL;
	}
	*domid = nla_get_u32(attrs[XEN_NCMIG_A_DOMID]);
	return 0;
}

static u32 ncmig_get_u32(struct nlattr **attrs, int type, u32 dflt)
{
	return attrs[type] ? nla_get_u32(attrs[type]) : dflt;
}

static int ncmig_put_report_dev(struct sk_buff *skb,
				const struct ncmig_report_dev *d)
{
	struct nlattr *nest = nla_nest_start(skb, XEN_NCMIG_A_DEVICE);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, XEN_NCMIG_DEV_A_KIND, d->id.kind) ||
	    nla_put_u32(skb, XEN_NCMIG_DEV_A_DEVID, d->id.devid) ||
	    nla_put_u8(skb, XEN_NCMIG_DEV_A_QUIESCED, d->quiesced) ||
	    nla_put_u8(skb, XEN_NCMIG_DEV_A_RELEASED, d->released) ||
	    nla_put_u64_64bit(skb, XEN_NCMIG_DEV_A_DRAIN_NS, d->drain_ns,
			      XEN_NCMIG_DEV_A_PAD) ||
	    nla_put_u64_64bit(skb, XEN_NCMIG_DEV_A_START_NS, d->start_ns,
			      XEN_NCMIG_DEV_A_PAD) ||
	    nla_put_u64_64bit(skb, XEN_NCMIG_DEV_A_DONE_NS, d->done_ns,
			      XEN_NCMIG_DEV_A_PAD) ||
	    (d->blackout_ns &&
	     nla_put_u64_64bit(skb, XEN_NCMIG_DEV_A_BLACKOUT_NS, d->blackout_ns,
			       XEN_NCMIG_DEV_A_PAD)) ||
	    (d->left && nla_put_u32(skb, XEN_NCMIG_DEV_A_LEFT, d->left)) ||
	    (d->left && d->left_after_ns &&
	     nla_put_u64_64bit(skb, XEN_NCMIG_DEV_A_LEFT_AFTER_NS,
			       d->left_after_ns, XEN_NCMIG_DEV_A_PAD))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The attributes of a step's reply or of a session, after the header. */
static int ncmig_put_report(struct sk_buff *skb, const struct ncmig_report *r)
{
	unsigned int i;

	if (nla_put_u32(skb, XEN_NCMIG_A_DOMID, r->domid) ||
	    nla_put_u32(skb, XEN_NCMIG_A_SESSION_STATE, r->state) ||
	    nla_put_u32(skb, XEN_NCMIG_A_OWNER_PORTID, r->owner) ||
	    nla_put_u64_64bit(skb, XEN_NCMIG_A_TIMESTAMP_NS, r->step_ns,
			      XEN_NCMIG_A_PAD) ||
	    (r->deadline_left_ms &&
	     nla_put_u32(skb, XEN_NCMIG_A_DEADLINE_MS, r->deadline_left_ms)))
		return -EMSGSIZE;
	for (i = 0; i < r->nr; i++)
		if (ncmig_put_report_dev(skb, &r->devs[i]))
			return -EMSGSIZE;
	return 0;
}

/* Room for a report: the header attributes and every device nest. */
static size_t ncmig_report_size(const struct ncmig_report *r)
{
	size_t dev = nla_total_size(0) + 3 * nla_total_size(sizeof(u32)) +
		     2 * nla_total_size(sizeof(u8)) +
		     5 * nla_total_size_64bit(sizeof(u64));

	return 4 * nla_total_size(sizeof(u32)) +
	       nla_total_size_64bit(sizeof(u64)) + r->nr * dev;
}

static int ncmig_reply_report(struct genl_info *info,
			      const struct ncmig_report *r)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(ncmig_report_size(r), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put_reply(skb, info, &ncmig_family, 0,
				info->genlhdr->cmd);
	if (!hdr || ncmig_put_report(skb, r)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

/* Send @rep (if @err is 0), report @msg (if not), free @rep. */
static int ncmig_finish(struct genl_info *info, int err,
			struct ncmig_report *rep, const struct xbq_msg *msg)
{
	if (err)
		ncmig_set_msg(info->extack, msg);
	else
		err = ncmig_reply_report(info, rep);
	ncmig_report_free(rep);
	return err;
}

static int ncmig_quiesce_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ncmig_report *rep = NULL;
	unsigned int timeout, deadline;
	struct xbq_msg msg;
	u16 domid;
	int err;

	err = ncmig_get_domid(info->attrs, info->extack, &domid);
	if (err)
		return err;
	timeout = ncmig_get_u32(info->attrs, XEN_NCMIG_A_TIMEOUT_MS,
				NCMIG_TIMEOUT_MS_DEFAULT);
	deadline = ncmig_get_u32(info->attrs, XEN_NCMIG_A_DEADLINE_MS,
				 NCMIG_DEADLINE_MS_DEFAULT);
	if (timeout > NCMIG_TIMEOUT_MS_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[XEN_NCMIG_A_TIMEOUT_MS],
				    "xen_ncmig: TIMEOUT_MS above 60000");
		return -ERANGE;
	}
	if (deadline > NCMIG_DEADLINE_MS_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[XEN_NCMIG_A_DEADLINE_MS],
				    "xen_ncmig: DEADLINE_MS above 600000");
		return -ERANGE;
	}
	msg.text[0] = '\0';
	err = ncmig_session_quiesce(domid, info->snd_portid, timeout, deadline,
				    &rep, &msg);
	return ncmig_finish(info, err, rep, &msg);
}

static int ncmig_release_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ncmig_report *rep = NULL;
	struct xbq_msg msg;
	u16 domid;
	int err;

	err = ncmig_get_domid(info->attrs, info->extack, &domid);
	if (err)
		return err;
	msg.text[0] = '\0';
	err = ncmig_session_release(domid, info->snd_portid, &rep, &msg);
	return ncmig_finish(info, err, rep, &msg);
}

static int ncmig_resume_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ncmig_report *rep = NULL;
	struct xbq_msg msg;
	u16 domid;
	int err;

	err = ncmig_get_domid(info->attrs, info->extack, &domid);
	if (err)
		return err;
	msg.text[0] = '\0';
	err = ncmig_session_resume(domid, info->snd_portid, &rep, &msg);
	return ncmig_finish(info, err, rep, &msg);
}

static int ncmig_restore_doit(struct sk_buff *skb, struct genl_info *info)
{
	const struct nlattr *payload = genlmsg_data(info->genlhdr);
	int payload_len = genlmsg_len(info->genlhdr);
	struct ncmig_record *recs = NULL;
	struct ncmig_report *rep = NULL;
	unsigned int nr = 0, i = 0;
	const struct nlattr *a;
	struct xbq_msg msg;
	u16 domid;
	int err, rem;

	err = ncmig_get_domid(info->attrs, info->extack, &domid);
	if (err)
		return err;
	/* attrs[] keeps only the last RECORD: walk the message for all. */
	nla_for_each_attr(a, payload, payload_len, rem)
		if (nla_type(a) == XEN_NCMIG_A_RECORD)
			nr++;
	if (nr > NCMIG_RESTORE_RECORDS_MAX) {
		NL_SET_ERR_MSG(info->extack, "xen_ncmig: too many RECORDs");
		return -E2BIG;
	}
	if (nr) {
		recs = kcalloc(nr, sizeof(*recs), GFP_KERNEL);
		if (!recs)
			return -ENOMEM;
		nla_for_each_attr(a, payload, payload_len, rem) {
			if (nla_type(a) != XEN_NCMIG_A_RECORD)
				continue;
			recs[i].data = nla_data(a);
			recs[i].len = nla_len(a);
			i++;
		}
	}
	msg.text[0] = '\0';
	err = ncmig_session_restore(domid, info->snd_portid, recs, nr, &rep,
				    &msg);
	kfree(recs);
	return ncmig_finish(info, err, rep, &msg);
}

static int ncmig_session_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ncmig_report *rep = NULL;
	u16 domid;
	int err;

	err = ncmig_get_domid(info->attrs, info->extack, &domid);
	if (err)
		return err;
	err = ncmig_session_get(domid, &rep);
	if (!err && rep->domid != domid) {
		ncmig_report_free(rep);
		err = -ENOENT;
	}
	if (err == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "xen_ncmig: no session for DOMID");
	if (err)
		return err;
	return ncmig_finish(info, 0, rep, NULL);
}

/*
 * Dumps: 6.1 gives .start no extack, so every check that has something
 * to say happens in the first .dumpit call, whose error and message reach
 * userspace in NLMSG_DONE.
 */
enum { NCMIG_CB_POS, NCMIG_CB_IDS, NCMIG_CB_NR };

static int ncmig_dump_checks(struct sk_buff *skb, struct netlink_callback *cb)
{
	if (!ncmig_netns_ok(sock_net(cb->skb->sk), cb->extack))
		return -EOPNOTSUPP;
	return 0;
}

static int ncmig_dev_get_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = ncmig_dump_attrs(cb);
	int domid = XBQ_ALL_DOMAINS;
	struct xbq_dev_id *ids;
	int nr;

	if (attrs[XEN_NCMIG_A_DOMID])
		domid = nla_get_u32(attrs[XEN_NCMIG_A_DOMID]);
	ids = kvcalloc(NCMIG_SESSION_DEVS_MAX, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	nr = xbq_list(domid, ids, NCMIG_SESSION_DEVS_MAX);
	if (nr < 0) {
		kvfree(ids);
		return nr;
	}
	cb->args[NCMIG_CB_IDS] = (long)ids;
	cb->args[NCMIG_CB_NR] = min(nr, NCMIG_SESSION_DEVS_MAX);
	return 0;
}

static int ncmig_dev_get_done(struct netlink_callback *cb)
{
	kvfree((void *)cb->args[NCMIG_CB_IDS]);
	return 0;
}

static int ncmig_put_dev_info(struct sk_buff *skb, const struct xbq_dev_id *id,
			      const struct xbq_dev_info *info,
			      const char *nodename)
{
	struct nlattr *nest;

	if (nla_put_u32(skb, XEN_NCMIG_A_DOMID, id->domid))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, XEN_NCMIG_A_DEVICE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, XEN_NCMIG_DEV_A_KIND, id->kind) ||
	    nla_put_u32(skb, XEN_NCMIG_DEV_A_DEVID, id->devid) ||
	    nla_put_string(skb, XEN_NCMIG_DEV_A_NODENAME, nodename) ||
	    nla_put_u32(skb, XEN_NCMIG_DEV_A_STATE, info->state) ||
	    nla_put_u8(skb, XEN_NCMIG_DEV_A_BOUND, info->bound) ||
	    nla_put_u8(skb, XEN_NCMIG_DEV_A_QUIESCED, info->quiesced) ||
	    nla_put_u32(skb, XEN_NCMIG_DEV_A_NR_RINGS, info->nr_rings) ||
	    nla_put_u32(skb, XEN_NCMIG_DEV_A_INFLIGHT, info->inflight) ||
	    nla_put_u32(skb, XEN_NCMIG_DEV_A_PGRANTS, info->pgrants) ||
	    nla_put_u64_64bit(skb, XEN_NCMIG_DEV_A_DRAIN_NS, info->drain_ns,
			      XEN_NCMIG_DEV_A_PAD) ||
	    nla_put_u32(skb, XEN_NCMIG_DEV_A_DROPPED, info->dropped)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int ncmig_dev_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	const struct xbq_dev_id *ids = (void *)cb->args[NCMIG_CB_IDS];
	char nodename[XBQ_NODENAME_MAX];
	struct xbq_dev_info info;
	long pos;
	void *hdr;
	int err;

	err = ncmig_dump_checks(skb, cb);
	if (err)
		return err;
	for (pos = cb->args[NCMIG_CB_POS]; pos < cb->args[NCMIG_CB_NR]; pos++) {
		/* A device gone since the start is skipped, not an error. */
		if (xbq_info(&ids[pos], &info, nodename, sizeof(nodename)))
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &ncmig_family, NLM_F_MULTI,
				  XEN_NCMIG_CMD_DEV_GET);
		if (!hdr)
			break;
		if (ncmig_put_dev_info(skb, &ids[pos], &info, nodename)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[NCMIG_CB_POS] = pos;
	return skb->len;
}

static int ncmig_snapshot_start(struct netlink_callback *cb)
{
	/* One record per message: make sure the largest fits. */
	cb->min_dump_alloc = NLMSG_GOODSIZE +
			     nla_total_size(XEN_NCMIG_RECORD_MAX);
	return 0;
}

static int ncmig_snapshot_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct nlattr **attrs = ncmig_dump_attrs(cb);
	u32 portid = NETLINK_CB(cb->skb).portid;
	struct xbq_dev_id id;
	struct nlattr *nest;
	struct xbq_msg msg;
	void *rec, *hdr;
	size_t len;
	u16 domid;
	int err;

	err = ncmig_dump_checks(skb, cb);
	if (!err)
		err = ncmig_get_domid(attrs, cb->extack, &domid);
	if (err)
		return err;
	for (;;) {
		msg.text[0] = '\0';
		err = ncmig_session_snapshot(domid, portid,
					     cb->args[NCMIG_CB_POS], &id, &rec,
					     &len, &msg);
		if (err > 0)
			break;		/* past the last device */
		if (err) {
			ncmig_set_msg(cb->extack, &msg);
			return err;
		}
		hdr = genlmsg_put(skb, portid, cb->nlh->nlmsg_seq,
				  &ncmig_family, NLM_F_MULTI,
				  XEN_NCMIG_CMD_SNAPSHOT);
		if (!hdr)
			goto full;
		if (nla_put_u32(skb, XEN_NCMIG_A_DOMID, domid)) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		nest = nla_nest_start(skb, XEN_NCMIG_A_DEVICE);
		if (!nest ||
		    nla_put_u32(skb, XEN_NCMIG_DEV_A_KIND, id.kind) ||
		    nla_put_u32(skb, XEN_NCMIG_DEV_A_DEVID, id.devid)) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		nla_nest_end(skb, nest);
		if (nla_put(skb, XEN_NCMIG_A_RECORD, len, rec)) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		kvfree(rec);
		genlmsg_end(skb, hdr);
		cb->args[NCMIG_CB_POS]++;
	}
	return skb->len;
full:
	kvfree(rec);
	/* The next call starts with an empty skb; a record always fits it. */
	return skb->len ? skb->len : -EMSGSIZE;
}

static int ncmig_session_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct ncmig_report *rep;
	void *hdr;
	int err;

	err = ncmig_dump_checks(skb, cb);
	if (err)
		return err;
	while (cb->args[NCMIG_CB_POS] <= U16_MAX) {
		err = ncmig_session_get(cb->args[NCMIG_CB_POS], &rep);
		if (err == -ENOENT)
			break;
		if (err)
			return err;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &ncmig_family, NLM_F_MULTI,
				  XEN_NCMIG_CMD_SESSION_GET);
		if (!hdr || ncmig_put_report(skb, rep)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			ncmig_report_free(rep);
			return skb->len ? skb->len : -EMSGSIZE;
		}
		genlmsg_end(skb, hdr);
		cb->args[NCMIG_CB_POS] = rep->domid + 1;
		ncmig_report_free(rep);
	}
	cb->args[NCMIG_CB_POS] = U16_MAX + 1;
	return skb->len;
}

/* The ended sessions, oldest first; the position is the last seq sent. */
static int ncmig_ended_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ncmig_ended e;
	void *hdr;
	int err;

	err = ncmig_dump_checks(skb, cb);
	if (err)
		return err;
	while (!ncmig_session_ended(cb->args[NCMIG_CB_POS], &e)) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &ncmig_family, NLM_F_MULTI,
				  XEN_NCMIG_CMD_ENDED_GET);
		if (!hdr)
			break;
		if (nla_put_u32(skb, XEN_NCMIG_A_DOMID, e.domid) ||
		    nla_put_u32(skb, XEN_NCMIG_A_END_STATE, e.end) ||
		    nla_put_s32(skb, XEN_NCMIG_A_ERRNO, e.err) ||
		    nla_put_u64_64bit(skb, XEN_NCMIG_A_TIMESTAMP_NS, e.end_ns,
				      XEN_NCMIG_A_PAD) ||
		    (e.why[0] &&
		     nla_put_string(skb, XEN_NCMIG_A_MESSAGE, e.why))) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[NCMIG_CB_POS] = e.seq;
	}
	return skb->len;
}

static const struct genl_ops ncmig_ops[] = {
	{
		.cmd = XEN_NCMIG_CMD_DEV_GET,
		.start = ncmig_dev_get_start,
		.dumpit = ncmig_dev_get_dumpit,
		.done = ncmig_dev_get_done,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XEN_NCMIG_CMD_QUIESCE,
		.doit = ncmig_quiesce_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XEN_NCMIG_CMD_SNAPSHOT,
		.start = ncmig_snapshot_start,
		.dumpit = ncmig_snapshot_dumpit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XEN_NCMIG_CMD_RELEASE,
		.doit = ncmig_release_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XEN_NCMIG_CMD_RESTORE,
		.doit = ncmig_restore_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XEN_NCMIG_CMD_RESUME,
		.doit = ncmig_resume_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XEN_NCMIG_CMD_SESSION_GET,
		.doit = ncmig_session_doit,
		.dumpit = ncmig_session_dumpit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XEN_NCMIG_CMD_ENDED_GET,
		.dumpit = ncmig_ended_dumpit,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group ncmig_mcgrps[] = {
	[NCMIG_MCGRP_EVENTS] = {
		.name = XEN_NCMIG_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

static struct genl_family ncmig_family __ro_after_init = {
	.name = XEN_NCMIG_FAMILY_NAME,
	.version = XEN_NCMIG_FAMILY_VERSION,
	.maxattr = XEN_NCMIG_A_MAX,
	.policy = ncmig_policy,
	/* Checked in pre_doit and the dumps, to say why in an extack. */
	.netnsok = true,
	/* Sessions have their own lock; drains must not hold genl_mutex. */
	.parallel_ops = true,
	.pre_doit = ncmig_pre_doit,
	.ops = ncmig_ops,
	.n_ops = ARRAY_SIZE(ncmig_ops),
	.resv_start_op = XEN_NCMIG_CMD_DEV_GET,
	.mcgrps = ncmig_mcgrps,
	.n_mcgrps = ARRAY_SIZE(ncmig_mcgrps),
	.module = THIS_MODULE,
};

void ncmig_nl_event(u16 domid, u32 event, u32 state, int err,
		    const char *text)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &ncmig_family, 0, XEN_NCMIG_CMD_EVENT);
	if (!hdr ||
	    nla_put_u32(skb, XEN_NCMIG_A_DOMID, domid) ||
	    nla_put_u32(skb, XEN_NCMIG_A_EVENT, event) ||
	    nla_put_u32(skb, XEN_NCMIG_A_SESSION_STATE, state) ||
	    nla_put_u64_64bit(skb, XEN_NCMIG_A_TIMESTAMP_NS, ktime_get_ns(),
			      XEN_NCMIG_A_PAD) ||
	    (err && nla_put_s32(skb, XEN_NCMIG_A_ERRNO, err)) ||
	    (text && text[0] &&
	     nla_put_string(skb, XEN_NCMIG_A_MESSAGE, text))) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&ncmig_family, skb, 0, NCMIG_MCGRP_EVENTS,
			  GFP_KERNEL);
}

int __init ncmig_nl_init(void)
{
	return genl_register_family(&ncmig_family);
}

void ncmig_nl_exit(void)
{
	genl_unregister_family(&ncmig_family);
}
