/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * xen_ncmig: generic netlink family for handing a Xen guest's PV backends
 * over without reconnecting the frontends.
 *
 * Described by include/uapi/linux/xen_ncmig.yaml (YNL style); a check
 * (tests/spec-sync) keeps the two in sync.
 *
 * Every operation needs CAP_NET_ADMIN (GENL_ADMIN_PERM) and is only
 * available in the initial network namespace.
 */
#ifndef _UAPI_LINUX_XEN_NCMIG_H
#define _UAPI_LINUX_XEN_NCMIG_H

#define XEN_NCMIG_FAMILY_NAME		"xen_ncmig"
#define XEN_NCMIG_FAMILY_VERSION	1
#define XEN_NCMIG_MCGRP_EVENTS		"events"

/* Longest snapshot record the kernel emits or accepts (fits an nla_len). */
#define XEN_NCMIG_RECORD_MAX		65000

enum xen_ncmig_dev_kind {
	XEN_NCMIG_KIND_VBD = 1,
	XEN_NCMIG_KIND_VIF = 2,
};

/* Where a domain's session stands. */
enum xen_ncmig_session_state {
	XEN_NCMIG_SESSION_NONE,
	XEN_NCMIG_SESSION_QUIESCED,	/* backends stopped and drained */
	XEN_NCMIG_SESSION_RELEASED,	/* backends gone, frontends untouched */
	XEN_NCMIG_SESSION_RESTORING,	/* attach from records in progress */
};

enum xen_ncmig_event_kind {
	XEN_NCMIG_EVENT_QUIESCED = 1,
	XEN_NCMIG_EVENT_RELEASED,
	XEN_NCMIG_EVENT_RESTORED,
	XEN_NCMIG_EVENT_RESUMED,	/* resumed in place on request */
	XEN_NCMIG_EVENT_AUTO_RESUMED,	/* watchdog: owner gone or deadline */
	XEN_NCMIG_EVENT_FAILED,
};

/* How an ended session ended (XEN_NCMIG_CMD_ENDED_GET). */
enum xen_ncmig_end_state {
	XEN_NCMIG_END_RESUMED = 1,	/* resumed in place on request */
	XEN_NCMIG_END_RESTORED,		/* every device attached */
	XEN_NCMIG_END_AUTO_RESUMED,	/* watchdog: owner gone or late */
	XEN_NCMIG_END_GONE,		/* watchdog: no device left */
	XEN_NCMIG_END_FAILED,		/* with an error: ERRNO, MESSAGE */
};

enum {
	XEN_NCMIG_A_UNSPEC,
	XEN_NCMIG_A_DOMID,		/* u32 */
	XEN_NCMIG_A_TIMEOUT_MS,		/* u32: drain bound for QUIESCE */
	XEN_NCMIG_A_DEADLINE_MS,	/* u32: watchdog bound while quiesced */
	XEN_NCMIG_A_DEVICE,		/* nest: XEN_NCMIG_DEV_A_* */
	XEN_NCMIG_A_RECORD,		/* binary: one snapshot record */
	XEN_NCMIG_A_SESSION_STATE,	/* u32: enum xen_ncmig_session_state */
	XEN_NCMIG_A_EVENT,		/* u32: enum xen_ncmig_event_kind */
	XEN_NCMIG_A_ERRNO,		/* s32: with EVENT_FAILED */
	XEN_NCMIG_A_OWNER_PORTID,	/* u32: netlink port of the owner */
	XEN_NCMIG_A_TIMESTAMP_NS,	/* u64: ktime_get_ns() of the step */
	XEN_NCMIG_A_PAD,
	XEN_NCMIG_A_MESSAGE,		/* string: why, in events */
	XEN_NCMIG_A_END_STATE,		/* u32: enum xen_ncmig_end_state */

	__XEN_NCMIG_A_MAX,
	XEN_NCMIG_A_MAX = __XEN_NCMIG_A_MAX - 1
};

enum {
	XEN_NCMIG_DEV_A_UNSPEC,
	XEN_NCMIG_DEV_A_KIND,		/* u32: enum xen_ncmig_dev_kind */
	XEN_NCMIG_DEV_A_DEVID,		/* u32: vbd handle or vif index */
	XEN_NCMIG_DEV_A_NODENAME,	/* string: backend/vbd/D/N */
	XEN_NCMIG_DEV_A_STATE,		/* u32: backend XenbusState */
	XEN_NCMIG_DEV_A_BOUND,		/* u8: a driver is bound */
	XEN_NCMIG_DEV_A_QUIESCED,	/* u8 */
	XEN_NCMIG_DEV_A_NR_RINGS,	/* u32: rings or queues */
	XEN_NCMIG_DEV_A_INFLIGHT,	/* u32: requests in flight */
	XEN_NCMIG_DEV_A_PGRANTS,	/* u32: persistent grants mapped */
	XEN_NCMIG_DEV_A_DRAIN_NS,	/* u64: last quiesce's drain time */
	XEN_NCMIG_DEV_A_DROPPED,	/* u32: packets dropped by quiesce */
	XEN_NCMIG_DEV_A_PAD,
	XEN_NCMIG_DEV_A_RELEASED,	/* u8: unbound by RELEASE */
	XEN_NCMIG_DEV_A_START_NS,	/* u64: this device's step began */
	XEN_NCMIG_DEV_A_DONE_NS,	/* u64: this device's step ended */
	XEN_NCMIG_DEV_A_BLACKOUT_NS,	/* u64: quiesce start to attach done */

	__XEN_NCMIG_DEV_A_MAX,
	XEN_NCMIG_DEV_A_MAX = __XEN_NCMIG_DEV_A_MAX - 1
};

enum {
	XEN_NCMIG_CMD_UNSPEC,
	/*
	 * dump; [DOMID]: one message (DOMID, DEVICE) per backend device with
	 * an adapter, of the domain or of every domain.
	 */
	XEN_NCMIG_CMD_DEV_GET,
	/*
	 * do; DOMID, TIMEOUT_MS, DEADLINE_MS: open the domain's session
	 * (EBUSY if another socket holds it), stop and drain every device.
	 * Replies with one DEVICE nest per device (DRAIN_NS, START_NS and
	 * DONE_NS set). Without RELEASE or RESUME before DEADLINE_MS, or if
	 * the socket closes first, the kernel resumes the devices itself.
	 */
	XEN_NCMIG_CMD_QUIESCE,
	/* dump; DOMID: one message (DOMID, DEVICE, RECORD) per device */
	XEN_NCMIG_CMD_SNAPSHOT,
	/* do; DOMID: unbind the quiesced backends, write no xenstore node */
	XEN_NCMIG_CMD_RELEASE,
	/*
	 * do; DOMID, RECORD (one or more): attach backends from records, all
	 * validated before any is applied. Also accepted without a session
	 * (a fresh restore); a device of the session still quiesced is
	 * resumed in place. Replies with DEVICE nests (DONE_NS, BLACKOUT_NS).
	 */
	XEN_NCMIG_CMD_RESTORE,
	/* do; DOMID: abort, resume the quiesced backends in place */
	XEN_NCMIG_CMD_RESUME,
	/*
	 * dump or do (DOMID): DOMID, SESSION_STATE, OWNER_PORTID (0 once the
	 * owner's socket closed), TIMESTAMP_NS (last step), DEADLINE_MS
	 * (left, while quiesced) and a DEVICE nest per device.
	 */
	XEN_NCMIG_CMD_SESSION_GET,
	/*
	 * notification on the "events" group: DOMID, EVENT, SESSION_STATE,
	 * TIMESTAMP_NS, [ERRNO], [MESSAGE]
	 */
	XEN_NCMIG_CMD_EVENT,
	/*
	 * dump: the sessions that ended, the last 16 on this host, oldest
	 * first: DOMID, END_STATE, ERRNO, TIMESTAMP_NS (when it ended),
	 * [MESSAGE]
	 */
	XEN_NCMIG_CMD_ENDED_GET,

	__XEN_NCMIG_CMD_MAX,
	XEN_NCMIG_CMD_MAX = __XEN_NCMIG_CMD_MAX - 1
};

#endif /* _UAPI_LINUX_XEN_NCMIG_H */
