/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ncmigd's side of the xen_ncmig generic netlink family
 * (include/uapi/linux/xen_ncmig.h).
 *
 * nl_parse.c turns the kernel's bytes into the structs below and checks
 * every length on the way (tests/fuzz/fuzz_nl_reply.c feeds it garbage);
 * nl.c owns the socket; nl_ops.c has one call per operation.
 */
#ifndef NCMIGD_NL_H
#define NCMIGD_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NL_TEXT_MAX		256	/* extack and event messages */
#define NL_NODENAME_MAX		64
#define NL_DEVS_MAX		256	/* DEVICE nests in one message */

/* One DEVICE nest; has_* says which attributes were present. */
struct nl_dev {
	uint32_t kind, devid;
	char nodename[NL_NODENAME_MAX];
	uint32_t state, nr_rings, inflight, pgrants, dropped;
	bool bound, quiesced, released;
	uint64_t drain_ns, start_ns, done_ns, blackout_ns;
	bool has_kind, has_devid, has_state, has_blackout;
};

/* One message of the family, parsed. */
struct nl_reply {
	uint8_t cmd;
	bool has_domid, has_state, has_event, has_err, has_deadline;
	uint32_t domid, state, owner, deadline_ms, event;
	int32_t err;
	uint64_t ts_ns;
	char message[NL_TEXT_MAX];
	/* XEN_NCMIG_A_RECORD: points into the message being parsed. */
	const unsigned char *record;
	uint32_t record_len;
	unsigned int nr_devs;
	struct nl_dev devs[NL_DEVS_MAX];
};

/* How a request ended, as the kernel (or the parser) said. */
struct nl_status {
	int err;			/* 0 or a negative errno */
	char msg[NL_TEXT_MAX];		/* extack message, or parser's */
};

/* The family as CTRL_CMD_GETFAMILY describes it. */
struct nl_family {
	uint16_t id;
	uint32_t version;
	uint32_t events_grp;		/* 0 if absent */
};

/* ---- parsing (nl_parse.c): pure functions over bytes ---- */

/*
 * Parse one message of the family (after its nlmsghdr) into @r. Returns 0
 * or -EBADMSG with @why set. Unknown attributes are skipped; known ones
 * must have exactly their size.
 */
int nl_parse_reply(const void *payload, size_t len, struct nl_reply *r,
		   char *why, size_t why_len);

/* Parse a CTRL_CMD_NEWFAMILY message (after its nlmsghdr). */
int nl_parse_family(const void *payload, size_t len, const char *grp_name,
		    struct nl_family *f, char *why, size_t why_len);

/* Called for every message of @type; returns 0 or a negative errno. */
typedef int (*nl_msg_cb)(const void *payload, size_t len, void *arg,
			 struct nl_status *st);

/*
 * Walk one datagram of replies to request @seq. Calls @cb for messages of
 * @type. Returns 1 if more datagrams follow, 0 when the request is
 * answered (ACK or NLMSG_DONE), -1 on an error (@st says which).
 */
int nl_process(const void *buf, size_t len, uint32_t seq, uint16_t type,
	       nl_msg_cb cb, void *arg, struct nl_status *st);

/* ---- the socket (nl.c) ---- */

struct nl_sock;

/* Open a socket and resolve the family; NULL with @st set on failure. */
struct nl_sock *nl_open(struct nl_status *st);
void nl_close(struct nl_sock *nl);
const struct nl_family *nl_family(const struct nl_sock *nl);
uint32_t nl_portid(const struct nl_sock *nl);

/*
 * Send @attrs (@attrs_len octets of attributes, already laid out) as
 * command @cmd; a dump if @dump. Calls @cb per reply message. Returns 0
 * or a negative errno with @st set.
 */
int nl_request(struct nl_sock *nl, uint8_t cmd, bool dump, const void *attrs,
	       size_t attrs_len, nl_msg_cb cb, void *arg,
	       struct nl_status *st);

/* Join the "events" group; then nl_recv_event() blocks for one event. */
int nl_join_events(struct nl_sock *nl, struct nl_status *st);
/* 1 with @r filled, 0 on timeout, negative errno on failure. */
int nl_recv_event(struct nl_sock *nl, int timeout_ms, struct nl_reply *r,
		  struct nl_status *st);

/* ---- operations (nl_ops.c) ---- */

/* QUIESCE; @r gets the reply (one DEVICE per device). */
int nl_quiesce(struct nl_sock *nl, uint16_t domid, uint32_t timeout_ms,
	       uint32_t deadline_ms, struct nl_reply *r, struct nl_status *st);

/* SNAPSHOT: @cb is called with each device's record. */
typedef int (*nl_record_cb)(uint32_t kind, uint32_t devid, const void *rec,
			    size_t len, void *arg);
int nl_snapshot(struct nl_sock *nl, uint16_t domid, nl_record_cb cb,
		void *arg, struct nl_status *st);

int nl_release(struct nl_sock *nl, uint16_t domid, struct nl_reply *r,
	       struct nl_status *st);
int nl_resume(struct nl_sock *nl, uint16_t domid, struct nl_reply *r,
	      struct nl_status *st);
/* RESTORE from @nr records (may be 0 for a session with no device). */
int nl_restore(struct nl_sock *nl, uint16_t domid, const void *const *recs,
	       const size_t *lens, unsigned int nr, struct nl_reply *r,
	       struct nl_status *st);

/* SESSION_GET and DEV_GET dumps; @cb sees each parsed message. */
typedef int (*nl_reply_cb)(const struct nl_reply *r, void *arg);
int nl_sessions(struct nl_sock *nl, nl_reply_cb cb, void *arg,
		struct nl_status *st);
/* @domid < 0: every domain's devices. */
int nl_devices(struct nl_sock *nl, int domid, nl_reply_cb cb, void *arg,
	       struct nl_status *st);

/* "quiesced", "released", ... for enum xen_ncmig_session_state. */
const char *nl_state_name(uint32_t state);
/* "quiesced", "auto-resumed", ... for enum xen_ncmig_event_kind. */
const char *nl_event_name(uint32_t event);

/*
 * Tests: a stand-in for the kernel.  When nl_test_transport is set,
 * every socket nl_open() makes sends its requests to send() and reads
 * the replies from recv() (octets or a negative errno; -EAGAIN: no
 * event yet) instead of a netlink socket.  Unit and fuzz builds are
 * compiled with NCMIGD_NO_KERNEL: without a transport, nl_open() fails
 * with -ENOENT and opens no socket, so no test can reach a real kernel
 * (as XENSTORED_PATH keeps them from a real xenstored).
 */
struct nl_transport {
	int (*send)(void *ctx, const void *buf, size_t len);
	ssize_t (*recv)(void *ctx, void *buf, size_t cap);
	void *ctx;
};
extern const struct nl_transport *nl_test_transport;

#endif /* NCMIGD_NL_H */
