/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-domain handover sessions: who owns a domain's handover and how far
 * it got. netlink.c turns requests into these calls and their reports
 * into replies; nothing here knows about sk_buffs.
 */
#ifndef NCMIG_SESSION_H
#define NCMIG_SESSION_H

#include <linux/types.h>

#include "../xen-backend-quiesce/xbq_api.h"

/* Bounds on what userspace may ask for. */
#define NCMIG_TIMEOUT_MS_DEFAULT	5000
#define NCMIG_TIMEOUT_MS_MAX		60000
#define NCMIG_DEADLINE_MS_DEFAULT	30000
#define NCMIG_DEADLINE_MS_MAX		600000
/* Most devices one domain may have in a session. */
#define NCMIG_SESSION_DEVS_MAX		256
/* Most records one RESTORE may carry. */
#define NCMIG_RESTORE_RECORDS_MAX	NCMIG_SESSION_DEVS_MAX

struct ncmig_report_dev {
	struct xbq_dev_id id;
	bool quiesced;
	bool released;
	u64 drain_ns;
	u64 start_ns;		/* this device's step began */
	u64 done_ns;		/* and ended */
	u64 blackout_ns;	/* quiesce start to attach done, if known */
	u32 left;		/* enum xen_ncmig_dev_left; 0: still in it */
	u64 left_after_ns;	/* its quiesce or release to then, if known */
};

/* What a step did, or where a session stands, for the reply. */
struct ncmig_report {
	u16 domid;
	u32 state;		/* enum xen_ncmig_session_state */
	u32 owner;		/* netlink portid, 0 if none */
	u64 step_ns;		/* ktime_get_ns() at the end of the step */
	u32 deadline_left_ms;	/* while quiesced */
	unsigned int nr;
	struct ncmig_report_dev devs[];
};

void ncmig_report_free(struct ncmig_report *rep);

/* A record to restore, validated by ncmig_session_restore(). */
struct ncmig_record {
	const void *data;
	size_t len;
};

int ncmig_session_quiesce(u16 domid, u32 portid, unsigned int timeout_ms,
			  unsigned int deadline_ms, struct ncmig_report **rep,
			  struct xbq_msg *msg);
/*
 * The record of the session's device @idx into *@rec (kvfree() it) and
 * its id into @id; -ENOENT past the last device.
 */
int ncmig_session_snapshot(u16 domid, u32 portid, unsigned int idx,
			   struct xbq_dev_id *id, void **rec, size_t *len,
			   struct xbq_msg *msg);
int ncmig_session_release(u16 domid, u32 portid, struct ncmig_report **rep,
			  struct xbq_msg *msg);
int ncmig_session_restore(u16 domid, u32 portid,
			  const struct ncmig_record *recs, unsigned int nr,
			  struct ncmig_report **rep, struct xbq_msg *msg);
int ncmig_session_resume(u16 domid, u32 portid, struct ncmig_report **rep,
			 struct xbq_msg *msg);

/* The first session whose domid is >= @domid; -ENOENT if none. */
int ncmig_session_get(unsigned int domid, struct ncmig_report **rep);

/*
 * Called by the watchdog: sessions owned by a port in @dead lose their
 * owner; quiesced sessions without owner or past their deadline are
 * resumed. Returns the nanoseconds until the next deadline, or 0.
 */
u64 ncmig_session_watchdog(const u32 *dead, unsigned int nr_dead);

/*
 * The last NCMIG_ENDED_MAX sessions that ended on this host, kept so that
 * `ncmigd status` can say how each ended (a live session is listed by
 * ncmig_session_get(), an ended one only here).
 */
#define NCMIG_ENDED_MAX		16
#define NCMIG_ENDED_WHY_MAX	128

struct ncmig_ended {
	u64 seq;		/* 1, 2, ... in the order the sessions ended */
	u16 domid;
	u32 end;		/* enum xen_ncmig_end_state */
	int err;		/* 0, or the error it ended with */
	u64 end_ns;		/* ktime_get_ns() when it ended */
	char why[NCMIG_ENDED_WHY_MAX];
};

/* The oldest kept ended session with seq > @after; -ENOENT if none. */
int ncmig_session_ended(u64 after, struct ncmig_ended *e);

/* How many sessions exist (a hint, read without any lock). */
unsigned int ncmig_session_count(void);

/* Module init: the workqueue QUIESCE drains on. */
int ncmig_session_init(void);
/* Module exit: resume what is still quiesced and forget every session. */
void ncmig_session_exit(void);

#endif /* NCMIG_SESSION_H */
