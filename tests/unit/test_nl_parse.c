// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd's parser of xen_ncmig replies (user/lib/nl_parse.c): what the
 * kernel sends comes out right, and every malformed length is refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "include/uapi/linux/xen_ncmig.h"
#include "ncmig.h"

#define FAM	0x1d
#define SEQ	7

/* A message under construction, laid out as the kernel does. */
struct buf {
	unsigned char b[8192] __attribute__((aligned(8)));
	size_t len;
};

static void put_raw(struct buf *m, const void *p, size_t len)
{
	memcpy(m->b + m->len, p, len);
	m->len += len;
	while (m->len % 4)
		m->b[m->len++] = 0;
}

static size_t attr_begin(struct buf *m, uint16_t type)
{
	struct nlattr a = { .nla_len = 0, .nla_type = type };
	size_t at = m->len;

	put_raw(m, &a, sizeof(a));
	return at;
}

static void attr_end(struct buf *m, size_t at)
{
	struct nlattr *a = (struct nlattr *)(m->b + at);

	a->nla_len = (uint16_t)(m->len - at);
}

static void put_attr(struct buf *m, uint16_t type, const void *p, size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(4 + len), .nla_type = type };

	memcpy(m->b + m->len, &a, sizeof(a));
	m->len += sizeof(a);
	put_raw(m, p, len);
}

static void put_u32(struct buf *m, uint16_t type, uint32_t v)
{
	put_attr(m, type, &v, sizeof(v));
}

static void put_u64(struct buf *m, uint16_t type, uint64_t v)
{
	put_attr(m, type, &v, sizeof(v));
}

static size_t msg_begin(struct buf *m, uint16_t type, uint16_t flags,
			uint8_t cmd)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = flags,
			      .nlmsg_seq = SEQ, .nlmsg_pid = 1 };
	struct genlmsghdr g = { .cmd = cmd, .version = 1 };
	size_t at = m->len;

	put_raw(m, &h, sizeof(h));
	if (type != NLMSG_ERROR && type != NLMSG_DONE)
		put_raw(m, &g, sizeof(g));
	return at;
}

static void msg_end(struct buf *m, size_t at)
{
	((struct nlmsghdr *)(m->b + at))->nlmsg_len = (uint32_t)(m->len - at);
}

static void put_dev(struct buf *m, uint32_t kind, uint32_t devid,
		    uint64_t drain, uint64_t blackout)
{
	size_t nest = attr_begin(m, XEN_NCMIG_A_DEVICE);

	put_u32(m, XEN_NCMIG_DEV_A_KIND, kind);
	put_u32(m, XEN_NCMIG_DEV_A_DEVID, devid);
	put_u64(m, XEN_NCMIG_DEV_A_DRAIN_NS, drain);
	if (blackout)
		put_u64(m, XEN_NCMIG_DEV_A_BLACKOUT_NS, blackout);
	attr_end(m, nest);
}

static void put_ack(struct buf *m, int error, const char *text)
{
	struct nlmsgerr e = { .error = error };
	size_t at = msg_begin(m, NLMSG_ERROR,
			      NLM_F_CAPPED | (text ? NLM_F_ACK_TLVS : 0), 0);

	e.msg.nlmsg_len = 20;
	e.msg.nlmsg_seq = SEQ;
	put_raw(m, &e, sizeof(e));
	if (text)
		put_attr(m, NLMSGERR_ATTR_MSG, text, strlen(text) + 1);
	msg_end(m, at);
}

static struct ncmig_nl_reply reply;
static unsigned int nr_msgs;

static int parse_cb(const void *payload, size_t len, void *arg,
		    struct ncmig_nl_status *st)
{
	(void)arg;
	nr_msgs++;
	return ncmig_nl_parse_reply(payload, len, &reply, st->msg, sizeof(st->msg));
}

static int process(struct buf *m, struct ncmig_nl_status *st)
{
	nr_msgs = 0;
	return ncmig_nl_process(m->b, m->len, SEQ, FAM, parse_cb, NULL, st);
}

static void quiesce_reply_then_ack(void **state)
{
	static struct buf m;
	struct ncmig_nl_status st;
	size_t at;

	(void)state;
	m.len = 0;
	at = msg_begin(&m, FAM, 0, XEN_NCMIG_CMD_QUIESCE);
	put_u32(&m, XEN_NCMIG_A_DOMID, 5);
	put_u32(&m, XEN_NCMIG_A_SESSION_STATE, XEN_NCMIG_SESSION_QUIESCED);
	put_u32(&m, XEN_NCMIG_A_OWNER_PORTID, 4242);
	put_u64(&m, XEN_NCMIG_A_TIMESTAMP_NS, 123456789ULL);
	put_dev(&m, XEN_NCMIG_KIND_VBD, 51712, 1500000, 0);
	put_dev(&m, XEN_NCMIG_KIND_VIF, 0, 2500000, 0);
	msg_end(&m, at);
	assert_int_equal(process(&m, &st), 1);	/* the ACK is still to come */
	assert_int_equal(nr_msgs, 1);
	assert_int_equal(reply.cmd, XEN_NCMIG_CMD_QUIESCE);
	assert_true(reply.has_domid);
	assert_int_equal(reply.domid, 5);
	assert_int_equal(reply.state, XEN_NCMIG_SESSION_QUIESCED);
	assert_int_equal(reply.owner, 4242);
	assert_int_equal(reply.ts_ns, 123456789ULL);
	assert_int_equal(reply.nr_devs, 2);
	assert_int_equal(reply.devs[0].kind, XEN_NCMIG_KIND_VBD);
	assert_int_equal(reply.devs[0].devid, 51712);
	assert_int_equal(reply.devs[0].drain_ns, 1500000);
	assert_false(reply.devs[0].has_blackout);
	assert_int_equal(reply.devs[1].kind, XEN_NCMIG_KIND_VIF);

	m.len = 0;
	put_ack(&m, 0, NULL);
	assert_int_equal(process(&m, &st), 0);
	assert_int_equal(st.err, 0);
}

static void error_carries_extack(void **state)
{
	static struct buf m;
	struct ncmig_nl_status st;

	(void)state;
	m.len = 0;
	put_ack(&m, -EBUSY, "d5: handover session held by netlink port 99");
	assert_int_equal(process(&m, &st), -1);
	assert_int_equal(st.err, -EBUSY);
	assert_string_equal(st.msg,
			    "d5: handover session held by netlink port 99");
}

static void dump_with_record_then_done(void **state)
{
	static const unsigned char rec[40] = { 'N', 'C', 'S', 'N' };
	static struct buf m;
	struct ncmig_nl_status st;
	size_t at, nest;
	int32_t zero = 0;

	(void)state;
	m.len = 0;
	at = msg_begin(&m, FAM, NLM_F_MULTI, XEN_NCMIG_CMD_SNAPSHOT);
	put_u32(&m, XEN_NCMIG_A_DOMID, 5);
	nest = attr_begin(&m, XEN_NCMIG_A_DEVICE);
	put_u32(&m, XEN_NCMIG_DEV_A_KIND, XEN_NCMIG_KIND_VBD);
	put_u32(&m, XEN_NCMIG_DEV_A_DEVID, 51712);
	attr_end(&m, nest);
	put_attr(&m, XEN_NCMIG_A_RECORD, rec, sizeof(rec));
	msg_end(&m, at);
	at = msg_begin(&m, NLMSG_DONE, NLM_F_MULTI, 0);
	put_raw(&m, &zero, sizeof(zero));
	msg_end(&m, at);
	assert_int_equal(process(&m, &st), 0);
	assert_int_equal(nr_msgs, 1);
	assert_int_equal(reply.record_len, sizeof(rec));
	assert_memory_equal(reply.record, rec, sizeof(rec));
}

static void dump_error_in_done(void **state)
{
	static struct buf m;
	const char *text = "d5: no handover session";
	struct ncmig_nl_status st;
	int32_t err = -ENOENT;
	size_t at;

	(void)state;
	m.len = 0;
	at = msg_begin(&m, NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS, 0);
	put_raw(&m, &err, sizeof(err));
	put_attr(&m, NLMSGERR_ATTR_MSG, text, strlen(text) + 1);
	msg_end(&m, at);
	assert_int_equal(process(&m, &st), -1);
	assert_int_equal(st.err, -ENOENT);
	assert_string_equal(st.msg, text);
}

/* A u32 attribute of @len octets must be refused unless @len is 4. */
static void wrong_sizes_refused(void **state)
{
	static const size_t lens[] = { 0, 2, 3, 5, 8 };
	static struct buf m;
	unsigned char junk[8] = { 0 };
	char why[NCMIG_NL_TEXT_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		m.len = 0;
		put_raw(&m, &(struct genlmsghdr){ .cmd = 2 }, GENL_HDRLEN);
		put_attr(&m, XEN_NCMIG_A_DOMID, junk, lens[i]);
		assert_int_equal(ncmig_nl_parse_reply(m.b, m.len, &reply, why,
						sizeof(why)), -EBADMSG);
	}
	/* A u64 of 4 octets inside a device nest. */
	m.len = 0;
	put_raw(&m, &(struct genlmsghdr){ .cmd = 2 }, GENL_HDRLEN);
	{
		size_t nest = attr_begin(&m, XEN_NCMIG_A_DEVICE);

		put_u32(&m, XEN_NCMIG_DEV_A_KIND, 1);
		put_u32(&m, XEN_NCMIG_DEV_A_DEVID, 1);
		put_u32(&m, XEN_NCMIG_DEV_A_DRAIN_NS, 1);
		attr_end(&m, nest);
	}
	assert_int_equal(ncmig_nl_parse_reply(m.b, m.len, &reply, why, sizeof(why)),
			 -EBADMSG);
}

static void bad_strings_and_overruns_refused(void **state)
{
	static struct buf m;
	char why[NCMIG_NL_TEXT_MAX];
	struct nlattr *a;

	(void)state;
	/* MESSAGE without its NUL. */
	m.len = 0;
	put_raw(&m, &(struct genlmsghdr){ .cmd = 8 }, GENL_HDRLEN);
	put_attr(&m, XEN_NCMIG_A_MESSAGE, "abc", 3);
	assert_int_equal(ncmig_nl_parse_reply(m.b, m.len, &reply, why, sizeof(why)),
			 -EBADMSG);
	/* An attribute claiming more octets than the message has. */
	m.len = 0;
	put_raw(&m, &(struct genlmsghdr){ .cmd = 2 }, GENL_HDRLEN);
	put_u32(&m, XEN_NCMIG_A_DOMID, 5);
	a = (struct nlattr *)(m.b + GENL_HDRLEN);
	a->nla_len = 64;
	assert_int_equal(ncmig_nl_parse_reply(m.b, m.len, &reply, why, sizeof(why)),
			 -EBADMSG);
	/* A device nest without its devid. */
	m.len = 0;
	put_raw(&m, &(struct genlmsghdr){ .cmd = 2 }, GENL_HDRLEN);
	{
		size_t nest = attr_begin(&m, XEN_NCMIG_A_DEVICE);

		put_u32(&m, XEN_NCMIG_DEV_A_KIND, 1);
		attr_end(&m, nest);
	}
	assert_int_equal(ncmig_nl_parse_reply(m.b, m.len, &reply, why, sizeof(why)),
			 -EBADMSG);
}

static void message_length_overruns_refused(void **state)
{
	static struct buf m;
	struct ncmig_nl_status st;
	size_t at;

	(void)state;
	m.len = 0;
	at = msg_begin(&m, FAM, 0, XEN_NCMIG_CMD_QUIESCE);
	put_u32(&m, XEN_NCMIG_A_DOMID, 5);
	msg_end(&m, at);
	/* Above 2^31: once taken for a negative int and let through. */
	((struct nlmsghdr *)m.b)->nlmsg_len = 0x80000010U;
	assert_int_equal(process(&m, &st), -1);
	assert_int_equal(nr_msgs, 0);
	/* A reply to another request. */
	((struct nlmsghdr *)m.b)->nlmsg_len = (uint32_t)m.len;
	((struct nlmsghdr *)m.b)->nlmsg_seq = SEQ + 1;
	assert_int_equal(process(&m, &st), -1);
	assert_int_equal(st.err, -EPROTO);
}

static void unknown_attributes_skipped(void **state)
{
	static struct buf m;
	char why[NCMIG_NL_TEXT_MAX];

	(void)state;
	m.len = 0;
	put_raw(&m, &(struct genlmsghdr){ .cmd = 2 }, GENL_HDRLEN);
	put_u64(&m, 200, 1);		/* a newer kernel's attribute */
	put_u32(&m, XEN_NCMIG_A_DOMID, 9);
	assert_int_equal(ncmig_nl_parse_reply(m.b, m.len, &reply, why, sizeof(why)),
			 0);
	assert_int_equal(reply.domid, 9);
}

/* An ENDED_GET message: how a session ended, and a wrong-sized END_STATE. */
static void ended_session(void **state)
{
	static struct buf m;
	char why[NCMIG_NL_TEXT_MAX];
	int32_t err = -EIO;
	uint16_t bad = 1;

	(void)state;
	m.len = 0;
	put_raw(&m, &(struct genlmsghdr){ .cmd = XEN_NCMIG_CMD_ENDED_GET },
		GENL_HDRLEN);
	put_u32(&m, XEN_NCMIG_A_DOMID, 5);
	put_u32(&m, XEN_NCMIG_A_END_STATE, XEN_NCMIG_END_AUTO_RESUMED);
	put_attr(&m, XEN_NCMIG_A_ERRNO, &err, sizeof(err));
	put_u64(&m, XEN_NCMIG_A_TIMESTAMP_NS, 123456789);
	put_attr(&m, XEN_NCMIG_A_MESSAGE, "owner closed its socket", 24);
	assert_int_equal(ncmig_nl_parse_reply(m.b, m.len, &reply, why, sizeof(why)),
			 0);
	assert_int_equal(reply.cmd, XEN_NCMIG_CMD_ENDED_GET);
	assert_int_equal(reply.domid, 5);
	assert_true(reply.has_end);
	assert_int_equal(reply.end_state, XEN_NCMIG_END_AUTO_RESUMED);
	assert_string_equal(ncmig_nl_end_name(reply.end_state), "auto-resumed");
	assert_int_equal(reply.err, -EIO);
	assert_int_equal(reply.ts_ns, 123456789);
	assert_string_equal(reply.message, "owner closed its socket");
	assert_string_equal(ncmig_nl_end_name(XEN_NCMIG_END_RESUMED), "resumed");
	assert_string_equal(ncmig_nl_end_name(XEN_NCMIG_END_RESTORED), "restored");
	assert_string_equal(ncmig_nl_end_name(XEN_NCMIG_END_GONE), "gone");
	assert_string_equal(ncmig_nl_end_name(XEN_NCMIG_END_FAILED), "failed");
	assert_string_equal(ncmig_nl_end_name(99), "unknown");

	/* A later message starts clean. */
	m.len = 0;
	put_raw(&m, &(struct genlmsghdr){ .cmd = XEN_NCMIG_CMD_ENDED_GET },
		GENL_HDRLEN);
	put_u32(&m, XEN_NCMIG_A_DOMID, 6);
	assert_int_equal(ncmig_nl_parse_reply(m.b, m.len, &reply, why, sizeof(why)),
			 0);
	assert_false(reply.has_end);
	assert_int_equal(reply.end_state, 0);

	m.len = 0;
	put_raw(&m, &(struct genlmsghdr){ .cmd = XEN_NCMIG_CMD_ENDED_GET },
		GENL_HDRLEN);
	put_attr(&m, XEN_NCMIG_A_END_STATE, &bad, sizeof(bad));
	assert_int_equal(ncmig_nl_parse_reply(m.b, m.len, &reply, why, sizeof(why)),
			 -EBADMSG);
}

/* RESTORE's reply names a device that had left the handover. */
static void restore_device_left(void **state)
{
	static struct buf m;
	char why[NCMIG_NL_TEXT_MAX];
	size_t nest;
	uint16_t bad = 3;

	(void)state;
	m.len = 0;
	put_raw(&m, &(struct genlmsghdr){ .cmd = XEN_NCMIG_CMD_RESTORE },
		GENL_HDRLEN);
	put_u32(&m, XEN_NCMIG_A_DOMID, 2);
	nest = attr_begin(&m, XEN_NCMIG_A_DEVICE);
	put_u32(&m, XEN_NCMIG_DEV_A_KIND, XEN_NCMIG_KIND_VBD);
	put_u32(&m, XEN_NCMIG_DEV_A_DEVID, 51712);
	put_u32(&m, XEN_NCMIG_DEV_A_LEFT, XEN_NCMIG_LEFT_RECONNECTED);
	put_u64(&m, XEN_NCMIG_DEV_A_LEFT_AFTER_NS, 500000000);
	attr_end(&m, nest);
	put_dev(&m, XEN_NCMIG_KIND_VIF, 0, 1000, 2000);
	assert_int_equal(ncmig_nl_parse_reply(m.b, m.len, &reply, why, sizeof(why)),
			 0);
	assert_int_equal(reply.nr_devs, 2);
	assert_int_equal(reply.devs[0].left, XEN_NCMIG_LEFT_RECONNECTED);
	assert_int_equal(reply.devs[0].left_after_ns, 500000000);
	assert_int_equal(reply.devs[1].left, 0);
	assert_int_equal(reply.devs[1].left_after_ns, 0);
	assert_string_equal(ncmig_nl_left_name(XEN_NCMIG_LEFT_RECONNECTED),
			    "reconnected");
	assert_string_equal(ncmig_nl_left_name(XEN_NCMIG_LEFT_CLOSED), "closed");
	assert_string_equal(ncmig_nl_left_name(XEN_NCMIG_LEFT_GONE), "gone");
	assert_string_equal(ncmig_nl_left_name(0), "unknown");

	/* LEFT of the wrong size is refused, not read. */
	m.len = 0;
	put_raw(&m, &(struct genlmsghdr){ .cmd = XEN_NCMIG_CMD_RESTORE },
		GENL_HDRLEN);
	nest = attr_begin(&m, XEN_NCMIG_A_DEVICE);
	put_attr(&m, XEN_NCMIG_DEV_A_LEFT, &bad, sizeof(bad));
	attr_end(&m, nest);
	assert_int_equal(ncmig_nl_parse_reply(m.b, m.len, &reply, why, sizeof(why)),
			 -EBADMSG);
}

static void family_and_events_group(void **state)
{
	static struct buf m;
	struct ncmig_nl_family f;
	char why[NCMIG_NL_TEXT_MAX];
	uint16_t id = FAM;
	size_t groups, grp;

	(void)state;
	m.len = 0;
	put_raw(&m, &(struct genlmsghdr){ .cmd = CTRL_CMD_NEWFAMILY },
		GENL_HDRLEN);
	put_attr(&m, CTRL_ATTR_FAMILY_ID, &id, sizeof(id));
	put_attr(&m, CTRL_ATTR_FAMILY_NAME, "xen_ncmig", 10);
	put_u32(&m, CTRL_ATTR_VERSION, 1);
	groups = attr_begin(&m, CTRL_ATTR_MCAST_GROUPS);
	grp = attr_begin(&m, 1);
	put_attr(&m, CTRL_ATTR_MCAST_GRP_NAME, "events", 7);
	put_u32(&m, CTRL_ATTR_MCAST_GRP_ID, 11);
	attr_end(&m, grp);
	attr_end(&m, groups);
	assert_int_equal(ncmig_nl_parse_family(m.b, m.len, "events", &f, why,
					 sizeof(why)), 0);
	assert_int_equal(f.id, FAM);
	assert_int_equal(f.version, 1);
	assert_int_equal(f.events_grp, 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quiesce_reply_then_ack),
		cmocka_unit_test(error_carries_extack),
		cmocka_unit_test(dump_with_record_then_done),
		cmocka_unit_test(dump_error_in_done),
		cmocka_unit_test(wrong_sizes_refused),
		cmocka_unit_test(bad_strings_and_overruns_refused),
		cmocka_unit_test(message_length_overruns_refused),
		cmocka_unit_test(unknown_attributes_skipped),
		cmocka_unit_test(ended_session),
		cmocka_unit_test(restore_device_left),
		cmocka_unit_test(family_and_events_group),
	};

	return cmocka_run_group_tests_name("netlink reply parser", tests, NULL,
					   NULL);
}
