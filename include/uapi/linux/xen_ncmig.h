/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/* Do not edit directly, auto-generated from: */
/*	include/uapi/linux/xen_ncmig.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_XEN_NCMIG_H
#define _UAPI_LINUX_XEN_NCMIG_H

#define XEN_NCMIG_FAMILY_NAME		"xen_ncmig"
#define XEN_NCMIG_FAMILY_VERSION	1

#define XEN_NCMIG_RECORD_MAX	65000

enum xen_ncmig_dev_kind {
	XEN_NCMIG_KIND_VBD = 1,
	XEN_NCMIG_KIND_VIF,
};

/**
 * enum xen_ncmig_session_state - Where a domain's session stands.
 * @XEN_NCMIG_SESSION_QUIESCED: backends stopped and drained
 * @XEN_NCMIG_SESSION_RELEASED: backends gone, frontends untouched
 * @XEN_NCMIG_SESSION_RESTORING: attach from records in progress
 */
enum xen_ncmig_session_state {
	XEN_NCMIG_SESSION_NONE,
	XEN_NCMIG_SESSION_QUIESCED,
	XEN_NCMIG_SESSION_RELEASED,
	XEN_NCMIG_SESSION_RESTORING,
};

/**
 * enum xen_ncmig_event_kind
 * @XEN_NCMIG_EVENT_RESUMED: resumed in place on request
 * @XEN_NCMIG_EVENT_AUTO_RESUMED: the watchdog resumed it, the owner being gone
 *   or late
 */
enum xen_ncmig_event_kind {
	XEN_NCMIG_EVENT_QUIESCED = 1,
	XEN_NCMIG_EVENT_RELEASED,
	XEN_NCMIG_EVENT_RESTORED,
	XEN_NCMIG_EVENT_RESUMED,
	XEN_NCMIG_EVENT_AUTO_RESUMED,
	XEN_NCMIG_EVENT_FAILED,
};

/**
 * enum xen_ncmig_end_state - How an ended session ended.
 * @XEN_NCMIG_END_RESUMED: resumed in place on request (RESUME)
 * @XEN_NCMIG_END_RESTORED: every device attached (RESTORE)
 * @XEN_NCMIG_END_AUTO_RESUMED: the watchdog brought it back, the owner being
 *   gone or late
 * @XEN_NCMIG_END_GONE: the watchdog found no device left to bring back
 * @XEN_NCMIG_END_FAILED: ended with an error, errno and message say which
 */
enum xen_ncmig_end_state {
	XEN_NCMIG_END_RESUMED = 1,
	XEN_NCMIG_END_RESTORED,
	XEN_NCMIG_END_AUTO_RESUMED,
	XEN_NCMIG_END_GONE,
	XEN_NCMIG_END_FAILED,
};

/**
 * enum xen_ncmig_dev_left - How a device of a session left the handover
 *   without being attached or resumed by it: it was not handed over.
 * @XEN_NCMIG_LEFT_GONE: its backend device or node went away (domain
 *   destroyed, removed)
 * @XEN_NCMIG_LEFT_CLOSED: its frontend or its backend closed the connection
 * @XEN_NCMIG_LEFT_RECONNECTED: its driver connected it on its own, a plain
 *   reconnect the frontend saw (the park timeout fell back, or a fresh probe)
 */
enum xen_ncmig_dev_left {
	XEN_NCMIG_LEFT_GONE = 1,
	XEN_NCMIG_LEFT_CLOSED,
	XEN_NCMIG_LEFT_RECONNECTED,
};

enum {
	XEN_NCMIG_A_DOMID = 1,
	XEN_NCMIG_A_TIMEOUT_MS,
	XEN_NCMIG_A_DEADLINE_MS,
	XEN_NCMIG_A_DEVICE,
	XEN_NCMIG_A_RECORD,
	XEN_NCMIG_A_SESSION_STATE,
	XEN_NCMIG_A_EVENT,
	XEN_NCMIG_A_ERRNO,
	XEN_NCMIG_A_OWNER_PORTID,
	XEN_NCMIG_A_TIMESTAMP_NS,
	XEN_NCMIG_A_PAD,
	XEN_NCMIG_A_MESSAGE,
	XEN_NCMIG_A_END_STATE,

	__XEN_NCMIG_A_MAX,
	XEN_NCMIG_A_MAX = (__XEN_NCMIG_A_MAX - 1)
};

enum {
	XEN_NCMIG_DEV_A_KIND = 1,
	XEN_NCMIG_DEV_A_DEVID,
	XEN_NCMIG_DEV_A_NODENAME,
	XEN_NCMIG_DEV_A_STATE,
	XEN_NCMIG_DEV_A_BOUND,
	XEN_NCMIG_DEV_A_QUIESCED,
	XEN_NCMIG_DEV_A_NR_RINGS,
	XEN_NCMIG_DEV_A_INFLIGHT,
	XEN_NCMIG_DEV_A_PGRANTS,
	XEN_NCMIG_DEV_A_DRAIN_NS,
	XEN_NCMIG_DEV_A_DROPPED,
	XEN_NCMIG_DEV_A_PAD,
	XEN_NCMIG_DEV_A_RELEASED,
	XEN_NCMIG_DEV_A_START_NS,
	XEN_NCMIG_DEV_A_DONE_NS,
	XEN_NCMIG_DEV_A_BLACKOUT_NS,
	XEN_NCMIG_DEV_A_LEFT,
	XEN_NCMIG_DEV_A_LEFT_AFTER_NS,

	__XEN_NCMIG_DEV_A_MAX,
	XEN_NCMIG_DEV_A_MAX = (__XEN_NCMIG_DEV_A_MAX - 1)
};

enum {
	XEN_NCMIG_CMD_DEV_GET = 1,
	XEN_NCMIG_CMD_QUIESCE,
	XEN_NCMIG_CMD_SNAPSHOT,
	XEN_NCMIG_CMD_RELEASE,
	XEN_NCMIG_CMD_RESTORE,
	XEN_NCMIG_CMD_RESUME,
	XEN_NCMIG_CMD_SESSION_GET,
	XEN_NCMIG_CMD_EVENT,
	XEN_NCMIG_CMD_ENDED_GET,

	__XEN_NCMIG_CMD_MAX,
	XEN_NCMIG_CMD_MAX = (__XEN_NCMIG_CMD_MAX - 1)
};

#define XEN_NCMIG_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_XEN_NCMIG_H */
