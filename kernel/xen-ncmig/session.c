// SPDX-License-Identifier: GPL-2.0
/*
 * Handover sessions, one per domain, owned by the netlink socket (port)
 * that opened it with QUIESCE or RESTORE.
 *
 * Each device of a session is RUNNING, QUIESCED or RELEASED; the session's
 * state follows from its devices: RELEASED if any is released, else
 * QUIESCED if any is quiesced, else the session ends (NONE). RESTORING is
 * the state while a RESTORE attaches.
 *
 * state     request or event           next      what happens
 * --------  -------------------------  --------  ---------------------------
 * NONE      QUIESCE                    QUIESCED  every device stopped and
 *                                                drained; deadline armed.
 *                                                One not connected to its
 *                                                frontend is left alone
 * NONE      QUIESCE fails on device k  NONE      devices before k resumed
 * NONE      RESTORE                    NONE      fresh restore: every device
 *                                                attached (RELEASED with the
 *                                                failed ones, to retry)
 * QUIESCED  SNAPSHOT                   QUIESCED  records out, nothing changes
 * QUIESCED  RESUME                     NONE      resumed in place
 * QUIESCED  RELEASE                    RELEASED  unbound, no xenstore write;
 *                                                deadline disarmed. A device
 *                                                that fails stays QUIESCED
 * QUIESCED  owner closes, or deadline  NONE      the kernel takes the session
 *                                                over and resumes every
 *                                                device: AUTO_RESUMED event
 * RELEASED  RESTORE                    NONE      released devices attached,
 *                                                quiesced ones resumed;
 *                                                failed ones stay (retry);
 *                                                ones that left meanwhile
 *                                                are named in the reply
 *                                                (LEFT) and the log, and
 *                                                the session ends failed
 * RELEASED  owner closes               NONE      taken over: quiesced devices
 *                                                resume, released ones attach
 *                                                from the kernel's copy of
 *                                                their SNAPSHOT record, retried
 *                                                each second for a minute (a
 *                                                backend module may be being
 *                                                reloaded); then it waits,
 *                                                ownerless, for a RESTORE
 *
 * Every failure leaves each device running, quiesced (resumable) or
 * released (restorable from its record): never half done. A device whose
 * resume or attach fails is asked what became of it (xbq_fate()): gone
 * (its domain destroyed, the toolstack removed it), closed by its
 * frontend, or reconnected by its driver on its own (the park timeout
 * fell back): then it has ended and no retry is made; the session ends
 * once no device is left quiesced or released, and its last event and
 * the kernel log say how each device ended. An ownerless session checks
 * its devices every second, so that one of a destroyed domain ends at
 * once; so does a released one with its owner, so that a device the
 * toolstack closes meanwhile is answered (xbq_fate()) within a second
 * instead of making the toolstack wait. Any request
 * from another port gets -EBUSY; an ownerless session is adopted by the
 * next port that sends a request for it.
 *
 * A session that ends leaves a line in a ring of the last NCMIG_ENDED_MAX
 * (ncmig_session_ended(), the ENDED_GET dump): its domain, how it ended
 * (enum xen_ncmig_end_state: resumed, restored, auto-resumed by the
 * watchdog, gone, failed), the error and message it ended with, when.
 *
 * Locking, outermost first:
 *
 *   s->lock      (struct ncmig_session) the session's phase work: every
 *                request for the domain and the watchdog's pass over it
 *                hold it while they call xen-backend-quiesce, for as long
 *                as a drain takes (bounded by NCMIG_TIMEOUT_MS_MAX). One
 *                domain's requests therefore run one after the other, and
 *                different domains' at the same time.
 *   ncmig_lock   the session table (lookup, insert, remove) and the ring
 *                of ended sessions; held for a few instructions only,
 *                never across a drain, a backend call or an event.
 *
 * Nothing takes s->lock while holding ncmig_lock, and no two sessions'
 * locks are ever held at once. Under s->lock, xen-backend-quiesce takes
 * the device's own mutex (one per device, so one device's drain holds up
 * no other device) and, inside it, what the driver core and xenwatch need
 * (core.c says how it never waits for xenwatch unbounded).
 *
 * A session is reference counted (s->ref): the table holds one reference
 * and everyone who looked it up holds one while working on it, so that it
 * is never freed under a phase; ncmig_session_end() removes it from the
 * table (s->ended, under both locks) and the last ncmig_session_put()
 * frees it. Who finds a session ended once it holds s->lock looks again.
 *
 * The watchdog never waits for a session's lock: a session busy with a
 * phase is skipped (a closed owner noted in s->dead_owner) and looked at
 * again shortly (NCMIG_BUSY_LOOK_NS), so that one domain's drain delays
 * no other domain's deadline or recovery.
 *
 * Within a session, QUIESCE starts every device's drain at once (one work
 * item each on ncmig_wq) and then waits for them all, each bounded by the
 * request's timeout. RELEASE and the attaches of RESTORE stay one device
 * after the other: xen-backend-quiesce runs each on the xenwatch thread
 * (core.c), which takes them one at a time anyway.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "include/uapi/linux/xen_ncmig.h"
#include "netlink.h"
#include "session.h"
#include "watchdog.h"

#define CREATE_TRACE_POINTS
#include "ncmig_trace.h"

enum ncmig_dev_step {
	NCMIG_DEV_RUNNING,
	NCMIG_DEV_QUIESCED,
	NCMIG_DEV_RELEASED,
	/* Ended without coming back through us (xbq_fate()): */
	NCMIG_DEV_GONE,		/* its xenbus device went away */
	NCMIG_DEV_CLOSED,	/* its frontend, or its backend, closed it */
	NCMIG_DEV_RECONNECTED,	/* its driver reconnected it on its own */
};

struct ncmig_sess_dev {
	struct xbq_dev_id id;
	enum ncmig_dev_step step;
	u64 drain_ns;
	u64 quiesce_start_ns;	/* 0 in a fresh restore */
	u64 start_ns;		/* last step */
	u64 done_ns;
	u64 held_ns;		/* its quiesce or release done; 0: neither */
	/*
	 * The kernel's copy of the record SNAPSHOT handed out, so that the
	 * watchdog can attach a released device if its owner dies.
	 */
	void *rec;
	size_t rec_len;
};

struct ncmig_session {
	struct kref ref;	/* the table's, and each user's */
	struct mutex lock;	/* the session's phase work; guards all below */
	bool ended;		/* removed from the table; also under ncmig_lock */
	/* A closed owner the watchdog saw while busy (no lock: READ/WRITE_ONCE). */
	u32 dead_owner;
	u16 domid;
	u32 owner;		/* netlink portid; 0 once its socket closed */
	u32 state;		/* enum xen_ncmig_session_state */
	u64 step_ns;
	u64 deadline_ns;	/* while owned and quiesced; 0: none */
	/* Ownerless: the watchdog's next attempt to bring it back; 0: none. */
	u64 retry_ns;
	unsigned int tries;
	const char *why;	/* why the watchdog took it over */
	unsigned int nr;
	struct ncmig_sess_dev devs[];
};

/*
 * How long the watchdog keeps trying to bring an ownerless session back:
 * a released device can only attach once its backend module is loaded
 * again, which a dead daemon may have left half done.
 */
#define NCMIG_RECOVER_TRIES	60
#define NCMIG_RECOVER_RETRY_NS	NSEC_PER_SEC
/* After that, a slow retry: a domain destroyed meanwhile ends the session. */
#define NCMIG_RECOVER_SLOW_NS	(60 * NSEC_PER_SEC)
/* Between retries, how often an ownerless session looks at its devices. */
#define NCMIG_FATE_LOOK_NS	NSEC_PER_SEC

/* How soon the watchdog looks again at a session busy with a phase. */
#define NCMIG_BUSY_LOOK_NS	(100 * NSEC_PER_MSEC)

/* The session table and the ended ring; see the locking rules above. */
static DEFINE_MUTEX(ncmig_lock);
static DEFINE_XARRAY(ncmig_sessions);	/* domid -> struct ncmig_session */
/* QUIESCE's drains, one work item per device. */
static struct workqueue_struct *ncmig_wq;
static atomic_t ncmig_nr_sessions = ATOMIC_INIT(0);

/*
 * The ended sessions, a ring of the last NCMIG_ENDED_MAX: entry seq lives
 * in slot seq % NCMIG_ENDED_MAX. Both under ncmig_lock.
 */
static struct ncmig_ended ncmig_ended[NCMIG_ENDED_MAX];
static u64 ncmig_ended_seq;	/* the last seq given out; 0: none yet */

unsigned int ncmig_session_count(void)
{
	return atomic_read(&ncmig_nr_sessions);
}

static const char *const ncmig_step_names[] = {
	[NCMIG_DEV_RUNNING] = "running",
	[NCMIG_DEV_QUIESCED] = "quiesced",
	[NCMIG_DEV_RELEASED] = "released",
	[NCMIG_DEV_GONE] = "gone",
	[NCMIG_DEV_CLOSED] = "closed",
	[NCMIG_DEV_RECONNECTED] = "reconnected by its driver (park timeout or fresh probe)",
};

static void ncmig_trace_dev(const struct ncmig_sess_dev *d, const char *step,
			    int err)
{
	trace_ncmig_device(d->id.domid, xbq_kind_name(d->id.kind), d->id.devid,
			   step, err, d->start_ns, d->done_ns);
	pr_debug("d%u %s %u: %s err=%d took %llu ns, now %s\n", d->id.domid,
		 xbq_kind_name(d->id.kind), d->id.devid, step, err,
		 d->done_ns - d->start_ns, ncmig_step_names[d->step]);
}

static void ncmig_trace_session(const struct ncmig_session *s,
				const char *step, int err)
{
	trace_ncmig_session(s->domid, step, s->state, err);
	pr_debug("d%u: %s err=%d state=%u owner=%u\n", s->domid, step, err,
		 s->state, s->owner);
}

static struct ncmig_session *ncmig_session_alloc(u16 domid, unsigned int nr)
{
	struct ncmig_session *s;

	s = kzalloc(struct_size(s, devs, nr), GFP_KERNEL);
	if (!s)
		return NULL;
	kref_init(&s->ref);
	mutex_init(&s->lock);
	s->domid = domid;
	s->nr = nr;
	return s;
}

static void ncmig_session_free(struct kref *ref)
{
	struct ncmig_session *s = container_of(ref, struct ncmig_session, ref);

	mutex_destroy(&s->lock);
	kfree(s);
}

static void ncmig_session_put(struct ncmig_session *s)
{
	kref_put(&s->ref, ncmig_session_free);
}

static void ncmig_session_unlock_put(struct ncmig_session *s)
{
	mutex_unlock(&s->lock);
	ncmig_session_put(s);
}

/*
 * The first live session whose domid is >= *@domid (only @domid's if not
 * @any), referenced and locked; NULL if none. Takes ncmig_lock, then,
 * without it, the session's lock: this may wait for a phase of that
 * session, never of another.
 */
static struct ncmig_session *ncmig_session_find(unsigned long *domid,
						bool any)
{
	struct ncmig_session *s;

	for (;;) {
		mutex_lock(&ncmig_lock);
		if (any)
			s = xa_find(&ncmig_sessions, domid, U16_MAX, XA_PRESENT);
		else
			s = xa_load(&ncmig_sessions, *domid);
		if (s)
			kref_get(&s->ref);
		mutex_unlock(&ncmig_lock);
		if (!s)
			return NULL;
		mutex_lock(&s->lock);
		if (!s->ended)
			return s;
		/* Ended while we waited: it has left the table; look again. */
		ncmig_session_unlock_put(s);
	}
}

static struct ncmig_session *ncmig_session_find_one(u16 domid)
{
	unsigned long index = domid;

	return ncmig_session_find(&index, false);
}

static struct ncmig_report *ncmig_report_alloc(u16 domid, unsigned int nr)
{
	struct ncmig_report *rep;

	rep = kzalloc(struct_size(rep, devs, nr), GFP_KERNEL);
	if (rep)
		rep->domid = domid;
	return rep;
}

void ncmig_report_free(struct ncmig_report *rep)
{
	kfree(rep);
}

/*
 * How @d left the handover without coming back through it (enum
 * xen_ncmig_dev_left), 0 while it is part of it or once it came back.
 */
static u32 ncmig_dev_left(const struct ncmig_sess_dev *d)
{
	switch (d->step) {
	case NCMIG_DEV_GONE:
		return XEN_NCMIG_LEFT_GONE;
	case NCMIG_DEV_CLOSED:
		return XEN_NCMIG_LEFT_CLOSED;
	case NCMIG_DEV_RECONNECTED:
		return XEN_NCMIG_LEFT_RECONNECTED;
	default:
		return 0;
	}
}

static void ncmig_report_dev(struct ncmig_report *rep,
			     const struct ncmig_sess_dev *d)
{
	struct ncmig_report_dev *r = &rep->devs[rep->nr++];

	r->id = d->id;
	r->quiesced = d->step == NCMIG_DEV_QUIESCED;
	r->released = d->step == NCMIG_DEV_RELEASED;
	r->drain_ns = d->drain_ns;
	r->start_ns = d->start_ns;
	r->done_ns = d->done_ns;
	if (d->step == NCMIG_DEV_RUNNING && d->quiesce_start_ns &&
	    d->done_ns > d->quiesce_start_ns)
		r->blackout_ns = d->done_ns - d->quiesce_start_ns;
	r->left = ncmig_dev_left(d);
	if (r->left && d->held_ns && d->done_ns > d->held_ns)
		r->left_after_ns = d->done_ns - d->held_ns;
}

static u32 ncmig_deadline_left_ms(const struct ncmig_session *s, u64 now)
{
	if (!s->deadline_ns || s->state != XEN_NCMIG_SESSION_QUIESCED)
		return 0;
	if (now >= s->deadline_ns)
		return 0;
	return div_u64(s->deadline_ns - now, NSEC_PER_MSEC);
}

static void ncmig_report_head(struct ncmig_report *rep,
			      const struct ncmig_session *s)
{
	rep->state = s->state;
	rep->owner = s->owner;
	rep->step_ns = s->step_ns;
	rep->deadline_left_ms = ncmig_deadline_left_ms(s, ktime_get_ns());
}

/*
 * Recompute the state from the devices. Returns false once every device
 * runs: the session is over.
 */
static bool ncmig_session_settle(struct ncmig_session *s)
{
	bool quiesced = false, released = false;
	unsigned int i;

	for (i = 0; i < s->nr; i++) {
		quiesced |= s->devs[i].step == NCMIG_DEV_QUIESCED;
		released |= s->devs[i].step == NCMIG_DEV_RELEASED;
	}
	s->step_ns = ktime_get_ns();
	if (released)
		s->state = XEN_NCMIG_SESSION_RELEASED;
	else if (quiesced)
		s->state = XEN_NCMIG_SESSION_QUIESCED;
	else
		s->state = XEN_NCMIG_SESSION_NONE;
	if (s->state != XEN_NCMIG_SESSION_QUIESCED)
		s->deadline_ns = 0;
	return s->state != XEN_NCMIG_SESSION_NONE;
}

/*
 * Make @s, locked by the caller, the domain's session: the table takes a
 * reference. -EBUSY if another request made one meanwhile.
 */
static int ncmig_session_insert(struct ncmig_session *s)
{
	int err;

	lockdep_assert_held(&s->lock);
	mutex_lock(&ncmig_lock);
	err = xa_insert(&ncmig_sessions, s->domid, s, GFP_KERNEL);
	if (!err) {
		kref_get(&s->ref);
		atomic_inc(&ncmig_nr_sessions);
	}
	mutex_unlock(&ncmig_lock);
	return err;
}

static void ncmig_dev_forget_rec(struct ncmig_sess_dev *d)
{
	kvfree(d->rec);
	d->rec = NULL;
	d->rec_len = 0;
}

/* Keep how @s ended in the ring of ended sessions. Under ncmig_lock. */
static void ncmig_ended_add(const struct ncmig_session *s, u32 end, int err,
			    const char *why)
{
	struct ncmig_ended *e;

	lockdep_assert_held(&ncmig_lock);
	e = &ncmig_ended[++ncmig_ended_seq % NCMIG_ENDED_MAX];
	e->seq = ncmig_ended_seq;
	e->domid = s->domid;
	e->end = end;
	e->err = err;
	e->end_ns = ktime_get_ns();
	strscpy(e->why, why ? why : "", sizeof(e->why));
}

int ncmig_session_ended(u64 after, struct ncmig_ended *e)
{
	u64 first;
	int err = -ENOENT;

	mutex_lock(&ncmig_lock);
	first = ncmig_ended_seq > NCMIG_ENDED_MAX ?
		ncmig_ended_seq - NCMIG_ENDED_MAX + 1 : 1;
	after = max(after + 1, first);
	if (after <= ncmig_ended_seq) {
		*e = ncmig_ended[after % NCMIG_ENDED_MAX];
		err = 0;
	}
	mutex_unlock(&ncmig_lock);
	return err;
}

/*
 * @s is over: keep how it ended (@end, enum xen_ncmig_end_state, with
 * @err and @why) and take it out of the table. Under s->lock; the
 * caller's reference keeps @s until it unlocks and puts it.
 */
static void ncmig_session_end(struct ncmig_session *s, u32 end, int err,
			      const char *why)
{
	unsigned int i;

	lockdep_assert_held(&s->lock);
	for (i = 0; i < s->nr; i++)
		ncmig_dev_forget_rec(&s->devs[i]);
	mutex_lock(&ncmig_lock);
	ncmig_ended_add(s, end, err, why);
	xa_erase(&ncmig_sessions, s->domid);
	s->ended = true;
	mutex_unlock(&ncmig_lock);
	atomic_dec(&ncmig_nr_sessions);
	/* The table's reference; the caller still holds its own. */
	ncmig_session_put(s);
}

/* Check @portid may act on @s; adopt an ownerless session. */
static int ncmig_session_claim(struct ncmig_session *s, u32 portid,
			       struct xbq_msg *msg)
{
	if (s->owner == portid)
		return 0;
	if (!s->owner) {
		pr_info("d%u: netlink port %u adopts the ownerless session\n",
			s->domid, portid);
		WRITE_ONCE(s->owner, portid);
		return 0;
	}
	xbq_msg(msg, "d%u: handover session held by netlink port %u",
		s->domid, s->owner);
	return -EBUSY;
}

/*
 * Look up @domid's session and claim it for @portid: referenced and
 * locked (ncmig_session_unlock_put() it), or NULL with *@err set.
 */
static struct ncmig_session *ncmig_session_lookup(u16 domid, u32 portid,
						  int *err,
						  struct xbq_msg *msg)
{
	struct ncmig_session *s = ncmig_session_find_one(domid);

	if (!s) {
		xbq_msg(msg, "d%u: no handover session", domid);
		*err = -ENOENT;
		return NULL;
	}
	*err = ncmig_session_claim(s, portid, msg);
	if (*err) {
		ncmig_session_unlock_put(s);
		return NULL;
	}
	return s;
}

/*
 * Add @other's text to @msg's, so that an error names every device that
 * failed, not only the first one.
 */
static void ncmig_msg_also(struct xbq_msg *msg, const struct xbq_msg *other)
{
	size_t n = strnlen(msg->text, sizeof(msg->text));

	if (!other->text[0])
		return;
	if (!n)
		strscpy(msg->text, other->text, sizeof(msg->text));
	else
		scnprintf(msg->text + n, sizeof(msg->text) - n, "; %s",
			  other->text);
}

/*
 * After a failed resume or attach of @d (or to look at it while
 * ownerless): if it cannot come back, say so and let it end. Returns true
 * if it ended now; @msg, if given, then says how.
 */
static bool ncmig_dev_fate(struct ncmig_sess_dev *d, struct xbq_msg *msg,
			   bool running_ends)
{
	enum ncmig_dev_step step;
	enum xbq_fate fate;

	if (d->step != NCMIG_DEV_QUIESCED && d->step != NCMIG_DEV_RELEASED)
		return false;
	fate = xbq_fate(&d->id);
	if (fate == XBQ_FATE_RUNNING && !running_ends)
		return false;
	switch (fate) {
	case XBQ_FATE_GONE:
		step = NCMIG_DEV_GONE;
		break;
	case XBQ_FATE_CLOSED:
		step = NCMIG_DEV_CLOSED;
		break;
	case XBQ_FATE_RUNNING:
		step = NCMIG_DEV_RECONNECTED;
		break;
	default:
		return false;
	}
	pr_warn("d%u %s %u: was %s, now %s: it has left the handover\n",
		d->id.domid, xbq_kind_name(d->id.kind), d->id.devid,
		ncmig_step_names[d->step], ncmig_step_names[step]);
	d->step = step;
	d->done_ns = ktime_get_ns();
	ncmig_dev_forget_rec(d);
	if (msg) {
		/* After the failure's own reason, which it must not hide. */
		struct xbq_msg fate;

		xbq_msg(&fate, "d%u %s %u: %s: it has left the handover",
			d->id.domid, xbq_kind_name(d->id.kind), d->id.devid,
			ncmig_step_names[step]);
		ncmig_msg_also(msg, &fate);
	}
	return true;
}

static bool ncmig_dev_check_fate(struct ncmig_sess_dev *d,
				 struct xbq_msg *msg)
{
	return ncmig_dev_fate(d, msg, true);
}

static int ncmig_dev_resume(struct ncmig_sess_dev *d, struct xbq_msg *msg)
{
	int err;

	d->start_ns = ktime_get_ns();
	err = xbq_resume(&d->id, msg);
	d->done_ns = ktime_get_ns();
	if (!err)
		d->step = NCMIG_DEV_RUNNING;
	ncmig_trace_dev(d, "resume", err);
	if (err)
		ncmig_dev_check_fate(d, msg);
	return err;
}

/*
 * Resume every quiesced device of @s. Returns the first error, with
 * @msg set from it; the other failures only go to the log.
 */
static int ncmig_resume_quiesced(struct ncmig_session *s, struct xbq_msg *msg)
{
	struct xbq_msg other;
	unsigned int i;
	int err = 0;

	for (i = s->nr; i-- > 0;) {
		struct ncmig_sess_dev *d = &s->devs[i];

		if (d->step != NCMIG_DEV_QUIESCED)
			continue;
		other.text[0] = '\0';
		if (ncmig_dev_resume(d, err ? &other : msg)) {
			if (err)
				ncmig_msg_also(msg, &other);
			else
				err = -EIO;
		}
	}
	return err;
}

/* One device's drain, run on ncmig_wq beside the session's others. */
struct ncmig_drain {
	struct work_struct work;
	struct ncmig_sess_dev *d;
	unsigned int timeout_ms;
	int err;
	struct xbq_msg msg;
	atomic_t *left;			/* drains not done yet */
	wait_queue_head_t *done;	/* woken as the last one ends */
};

static void ncmig_drain_work(struct work_struct *work)
{
	struct ncmig_drain *q = container_of(work, struct ncmig_drain, work);
	struct ncmig_sess_dev *d = q->d;

	d->start_ns = ktime_get_ns();
	d->quiesce_start_ns = d->start_ns;
	q->msg.text[0] = '\0';
	q->err = xbq_quiesce(&d->id, q->timeout_ms, &d->drain_ns, &q->msg);
	d->done_ns = ktime_get_ns();
	if (atomic_dec_and_test(q->left))
		wake_up(q->done);
}

/*
 * Quiesce every device of @s at once: start all the drains, then wait for
 * them all (each bounded by @timeout_ms in xen-backend-quiesce). Devices
 * not connected to their frontend leave the session; on a failure only
 * the quiesced ones stay, to be resumed. Returns the first failure in
 * device order, with @msg naming every device that failed.
 */
static int ncmig_quiesce_all(struct ncmig_session *s, unsigned int timeout_ms,
			     struct xbq_msg *msg)
{
	DECLARE_WAIT_QUEUE_HEAD_ONSTACK(done);
	atomic_t left = ATOMIC_INIT(s->nr);
	struct ncmig_drain *qs;
	unsigned int i, n;
	int err = 0;

	qs = kvcalloc(max(s->nr, 1U), sizeof(*qs), GFP_KERNEL);
	if (!qs)
		return -ENOMEM;
	for (i = 0; i < s->nr; i++) {
		qs[i].d = &s->devs[i];
		qs[i].timeout_ms = timeout_ms;
		qs[i].left = &left;
		qs[i].done = &done;
		INIT_WORK(&qs[i].work, ncmig_drain_work);
		queue_work(ncmig_wq, &qs[i].work);
	}
	/*
	 * A drain may take its whole timeout (up to a minute), longer than
	 * the hung-task detector's period: the wait is TASK_IDLE, as it is
	 * bounded by the drains' own timeouts. flush_work() then only waits
	 * for each work item's last instructions (the wake_up() above, on
	 * this stack's wait queue).
	 */
	wait_event_idle(done, !atomic_read(&left));
	for (i = 0; i < s->nr; i++)
		flush_work(&qs[i].work);

	for (i = 0; i < s->nr; i++) {
		struct ncmig_sess_dev *d = &s->devs[i];

		if (qs[i].err == -ENOTCONN && xbq_unconnected(&d->id)) {
			/* Nothing to hand over: not part of the session. */
			pr_info("d%u %s %u: not connected to its frontend: left alone\n",
				s->domid, xbq_kind_name(d->id.kind),
				d->id.devid);
			qs[i].err = 0;
			d->step = NCMIG_DEV_GONE;	/* dropped below */
			continue;
		}
		if (!qs[i].err) {
			d->step = NCMIG_DEV_QUIESCED;
			d->held_ns = d->done_ns;
		}
		ncmig_trace_dev(d, "quiesce", qs[i].err);
		if (qs[i].err && !err) {
			err = qs[i].err;
			strscpy(msg->text, qs[i].msg.text, sizeof(msg->text));
		} else if (qs[i].err) {
			ncmig_msg_also(msg, &qs[i].msg);
		}
	}
	kvfree(qs);
	/*
	 * The session holds the devices quiesced; without a failure, also
	 * none running (a session of no device is fine).
	 */
	for (i = 0, n = 0; i < s->nr; i++) {
		if (s->devs[i].step != NCMIG_DEV_QUIESCED)
			continue;
		if (n != i)
			s->devs[n] = s->devs[i];
		n++;
	}
	s->nr = n;
	return err;
}

int ncmig_session_quiesce(u16 domid, u32 portid, unsigned int timeout_ms,
			  unsigned int deadline_ms, struct ncmig_report **rep,
			  struct xbq_msg *msg)
{
	struct xbq_dev_id *ids = NULL;
	struct ncmig_session *s;
	struct ncmig_report *r = NULL;
	struct xbq_msg undo;
	int err, nr, i;

	s = ncmig_session_find_one(domid);
	if (s) {
		err = ncmig_session_claim(s, portid, msg);
		if (!err) {
			xbq_msg(msg, "d%u: already in a handover (state %u)",
				domid, s->state);
			err = -EALREADY;
		}
		ncmig_session_unlock_put(s);
		return err;
	}

	ids = kcalloc(NCMIG_SESSION_DEVS_MAX, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	nr = xbq_list(domid, ids, NCMIG_SESSION_DEVS_MAX);
	if (nr < 0) {
		xbq_msg(msg, "d%u: cannot list backend devices", domid);
		err = nr;
		goto free;
	}
	if (nr > NCMIG_SESSION_DEVS_MAX) {
		xbq_msg(msg, "d%u: %d backend devices, more than %u", domid, nr,
			NCMIG_SESSION_DEVS_MAX);
		err = -E2BIG;
		goto free;
	}

	s = ncmig_session_alloc(domid, nr);
	r = ncmig_report_alloc(domid, nr);
	if (!s || !r) {
		err = -ENOMEM;
		goto free;
	}
	s->owner = portid;
	for (i = 0; i < nr; i++)
		s->devs[i].id = ids[i];
	mutex_lock(&s->lock);
	err = ncmig_session_insert(s);
	if (err) {
		/* Another request for the domain made its session meanwhile. */
		xbq_msg(msg, "d%u: already in a handover", domid);
		err = -EBUSY;
		goto unlock;
	}

	err = ncmig_quiesce_all(s, timeout_ms, msg);
	if (err) {
		/* All or nothing: resume what this request quiesced. */
		ncmig_resume_quiesced(s, &undo);
		if (ncmig_session_settle(s)) {
			/* A device refused to resume: leave it to RESUME. */
			s->deadline_ns = ktime_get_ns();
			ncmig_watchdog_kick();
		} else {
			ncmig_session_end(s, XEN_NCMIG_END_FAILED, err,
					  msg->text);
		}
		ncmig_nl_event(domid, XEN_NCMIG_EVENT_FAILED,
			       XEN_NCMIG_SESSION_NONE, err, msg->text);
		goto unlock;
	}

	ncmig_session_settle(s);
	if (!s->nr)
		s->state = XEN_NCMIG_SESSION_QUIESCED;
	s->deadline_ns = s->step_ns + (u64)deadline_ms * NSEC_PER_MSEC;
	for (i = 0; i < s->nr; i++)
		ncmig_report_dev(r, &s->devs[i]);
	ncmig_report_head(r, s);
	*rep = r;
	r = NULL;
	ncmig_trace_session(s, "quiesce", 0);
	ncmig_nl_event(domid, XEN_NCMIG_EVENT_QUIESCED, s->state, 0, NULL);
	ncmig_watchdog_kick();
unlock:
	ncmig_session_unlock_put(s);
	s = NULL;
free:
	if (s)
		ncmig_session_put(s);
	ncmig_report_free(r);
	kfree(ids);
	return err;
}

/* Without memory for the copy, only the watchdog's fallback is lost. */
static void ncmig_dev_keep_rec(struct ncmig_sess_dev *d, const void *rec,
			       size_t len)
{
	ncmig_dev_forget_rec(d);
	d->rec = kvmalloc(len, GFP_KERNEL);
	if (!d->rec)
		return;
	memcpy(d->rec, rec, len);
	d->rec_len = len;
}

int ncmig_session_snapshot(u16 domid, u32 portid, unsigned int idx,
			   struct xbq_dev_id *id, void **rec, size_t *len,
			   struct xbq_msg *msg)
{
	struct ncmig_session *s;
	int err;

	s = ncmig_session_lookup(domid, portid, &err, msg);
	if (!s)
		return err;
	if (s->state != XEN_NCMIG_SESSION_QUIESCED) {
		xbq_msg(msg, "d%u: SNAPSHOT needs a quiesced session (state %u)",
			domid, s->state);
		err = -EINVAL;
		goto out;
	}
	if (idx >= s->nr) {
		err = 1;
		goto out;
	}
	*id = s->devs[idx].id;
	err = xbq_snapshot(id, rec, len, msg);
	if (!err)
		ncmig_dev_keep_rec(&s->devs[idx], *rec, *len);
	ncmig_trace_session(s, "snapshot", err);
out:
	ncmig_session_unlock_put(s);
	return err;
}

int ncmig_session_release(u16 domid, u32 portid, struct ncmig_report **rep,
			  struct xbq_msg *msg)
{
	struct ncmig_session *s;
	struct ncmig_report *r;
	unsigned int i;
	int err;

	s = ncmig_session_lookup(domid, portid, &err, msg);
	if (!s)
		return err;
	r = ncmig_report_alloc(domid, s->nr);
	if (!r) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < s->nr; i++) {
		struct ncmig_sess_dev *d = &s->devs[i];

		if (d->step != NCMIG_DEV_QUIESCED)
			continue;
		d->start_ns = ktime_get_ns();
		err = xbq_release(&d->id, msg);
		d->done_ns = ktime_get_ns();
		if (!err) {
			d->step = NCMIG_DEV_RELEASED;
			d->held_ns = d->done_ns;
		}
		ncmig_trace_dev(d, "release", err);
		if (err)
			break;
		ncmig_report_dev(r, d);
	}
	if (!ncmig_session_settle(s)) {
		/* Nothing was left to release: a session of no device. */
		s->state = XEN_NCMIG_SESSION_RELEASED;
	}
	ncmig_trace_session(s, "release", err);
	if (err) {
		ncmig_report_free(r);
		ncmig_nl_event(domid, XEN_NCMIG_EVENT_FAILED, s->state, err,
			       msg->text);
		goto out;
	}
	ncmig_report_head(r, s);
	*rep = r;
	ncmig_nl_event(domid, XEN_NCMIG_EVENT_RELEASED, s->state, 0, NULL);
	/* Its devices are looked at each second until RESTORE. */
	ncmig_watchdog_kick();
out:
	ncmig_session_unlock_put(s);
	return err;
}

static int ncmig_find_dev(const struct ncmig_session *s,
			  const struct xbq_dev_id *id)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		if (s->devs[i].id.kind == id->kind &&
		    s->devs[i].id.devid == id->devid)
			return i;
	return -1;
}

/* Validate every record before anything is applied. */
static int ncmig_load_records(u16 domid, const struct ncmig_record *recs,
			      unsigned int nr, struct ncmig_snap **snaps,
			      struct xbq_dev_id *ids, struct xbq_msg *msg)
{
	unsigned int i, j;
	int err;

	for (i = 0; i < nr; i++) {
		err = xbq_snap_load(domid, recs[i].data, recs[i].len,
				    &snaps[i], &ids[i], msg);
		if (err)
			return err;
		for (j = 0; j < i; j++) {
			if (ids[j].kind == ids[i].kind &&
			    ids[j].devid == ids[i].devid) {
				xbq_msg(msg, "d%u %s %u: two records for the device",
					domid, xbq_kind_name(ids[i].kind),
					ids[i].devid);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/*
 * A session for a fresh restore: every device to attach is released.
 * Referenced and locked, or NULL with *@err set.
 */
static struct ncmig_session *ncmig_fresh_session(u16 domid, u32 portid,
						 const struct xbq_dev_id *ids,
						 unsigned int nr, int *err,
						 struct xbq_msg *msg)
{
	struct ncmig_session *s = ncmig_session_alloc(domid, nr);
	unsigned int i;

	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->owner = portid;
	s->state = XEN_NCMIG_SESSION_RELEASED;
	for (i = 0; i < nr; i++) {
		s->devs[i].id = ids[i];
		s->devs[i].step = NCMIG_DEV_RELEASED;
	}
	mutex_lock(&s->lock);
	*err = ncmig_session_insert(s);
	if (*err) {
		/* Another request for the domain made its session meanwhile. */
		xbq_msg(msg, "d%u: already in a handover", domid);
		*err = -EBUSY;
		ncmig_session_unlock_put(s);
		return NULL;
	}
	return s;
}

/* Attach, or resume in place, the session's device @d from @snap. */
static int ncmig_dev_restore(struct ncmig_sess_dev *d,
			     const struct ncmig_snap *snap,
			     struct xbq_msg *msg)
{
	int err;

	if (d->step == NCMIG_DEV_QUIESCED)
		return ncmig_dev_resume(d, msg);
	d->start_ns = ktime_get_ns();
	err = xbq_attach(snap, msg);
	d->done_ns = ktime_get_ns();
	if (!err)
		d->step = NCMIG_DEV_RUNNING;
	ncmig_trace_dev(d, "attach", err);
	if (err)
		ncmig_dev_check_fate(d, msg);
	return err;
}

/*
 * RESTORE found @d, one of its records' devices, already out of the
 * handover (gone, closed, or reconnected by its driver after its release:
 * the park timeout fell back, or a driver probed it afresh). Nothing is
 * attached: say so in the log and in @left, which names every such device.
 * The reply says it too (XEN_NCMIG_DEV_A_LEFT), so that no caller reports
 * a device handed over that its frontend saw reconnect.
 */
static void ncmig_left_before(const struct ncmig_sess_dev *d,
			      struct xbq_msg *left)
{
	u64 after_ms = d->held_ns && d->done_ns > d->held_ns ?
		       div_u64(d->done_ns - d->held_ns, NSEC_PER_MSEC) : 0;
	struct xbq_msg one;

	pr_warn("d%u %s %u: %s (found %llu ms after its quiesce or release): not attached from its record\n",
		d->id.domid, xbq_kind_name(d->id.kind), d->id.devid,
		ncmig_step_names[d->step], after_ms);
	/* Logged above already: not through xbq_msg(), which logs too. */
	scnprintf(one.text, sizeof(one.text), "d%u %s %u: %s, not attached",
		  d->id.domid, xbq_kind_name(d->id.kind), d->id.devid,
		  ncmig_step_names[d->step]);
	ncmig_msg_also(left, &one);
}

int ncmig_session_restore(u16 domid, u32 portid,
			  const struct ncmig_record *recs, unsigned int nr,
			  struct ncmig_report **rep, struct xbq_msg *msg)
{
	struct ncmig_snap **snaps = NULL;
	struct xbq_dev_id *ids = NULL;
	struct ncmig_report *r = NULL;
	struct ncmig_session *s;
	unsigned int i, nr_left = 0;
	struct xbq_msg other, left;
	int err, first = 0;

	left.text[0] = '\0';
	if (nr > NCMIG_RESTORE_RECORDS_MAX) {
		xbq_msg(msg, "d%u: RESTORE takes at most %u records, not %u",
			domid, NCMIG_RESTORE_RECORDS_MAX, nr);
		return -E2BIG;
	}
	/* Zero-sized allocations are fine: a session may have no device. */
	snaps = kcalloc(max(nr, 1U), sizeof(*snaps), GFP_KERNEL);
	ids = kcalloc(max(nr, 1U), sizeof(*ids), GFP_KERNEL);
	r = ncmig_report_alloc(domid, nr);
	if (!snaps || !ids || !r) {
		err = -ENOMEM;
		goto free;
	}
	err = ncmig_load_records(domid, recs, nr, snaps, ids, msg);
	if (err)
		goto free;

	s = ncmig_session_find_one(domid);
	if (!s && !nr) {
		xbq_msg(msg, "d%u: RESTORE without a session needs records",
			domid);
		err = -EINVAL;
		goto free;
	}
	if (!s) {
		s = ncmig_fresh_session(domid, portid, ids, nr, &err, msg);
		if (!s)
			goto free;
	} else {
		err = ncmig_session_claim(s, portid, msg);
		if (err)
			goto unlock;
		for (i = 0; i < nr; i++) {
			if (ncmig_find_dev(s, &ids[i]) < 0) {
				xbq_msg(msg, "d%u %s %u: not part of the session",
					domid, xbq_kind_name(ids[i].kind),
					ids[i].devid);
				err = -EINVAL;
				goto unlock;
			}
		}
	}

	s->state = XEN_NCMIG_SESSION_RESTORING;
	ncmig_trace_session(s, "restore", 0);
	for (i = 0; i < nr; i++) {
		struct ncmig_sess_dev *d = &s->devs[ncmig_find_dev(s, &ids[i])];

		/* A retry skips what an earlier RESTORE already attached. */
		if (d->step == NCMIG_DEV_QUIESCED ||
		    d->step == NCMIG_DEV_RELEASED) {
			/* If the attach fails, the watchdog may retry it. */
			if (!d->rec)
				ncmig_dev_keep_rec(d, recs[i].data, recs[i].len);
			other.text[0] = '\0';
			err = ncmig_dev_restore(d, snaps[i],
						first ? &other : msg);
			if (err && first)
				ncmig_msg_also(msg, &other);
			else if (err)
				first = err;
		} else if (ncmig_dev_left(d)) {
			ncmig_left_before(d, &left);
			nr_left++;
		}
		ncmig_report_dev(r, d);
	}
	/* Without records: resume in place whatever is still quiesced. */
	if (!nr && ncmig_resume_quiesced(s, msg))
		first = -EIO;
	err = first;
	/* A failure's message names those that had left, too. */
	if (err)
		ncmig_msg_also(msg, &left);

	if (ncmig_session_settle(s)) {
		if (!err) {
			xbq_msg(msg, "d%u: released devices left without a record",
				domid);
			ncmig_msg_also(msg, &left);
			err = -EINVAL;
		}
		ncmig_trace_session(s, "restore", err);
		ncmig_nl_event(domid, XEN_NCMIG_EVENT_FAILED, s->state, err,
			       msg->text);
	} else {
		/*
		 * Ended; with @err, some device left the handover now. Without
		 * it, the reply names the devices that had left before (each
		 * its XEN_NCMIG_DEV_A_LEFT): not every device was attached, so
		 * the session did not end restored.
		 */
		ncmig_trace_session(s, "restore", err);
		if (err)
			ncmig_nl_event(domid, XEN_NCMIG_EVENT_FAILED, s->state,
				       err, msg->text);
		else if (nr_left)
			ncmig_nl_event(domid, XEN_NCMIG_EVENT_FAILED, s->state,
				       -ENOLINK, left.text);
		else
			ncmig_nl_event(domid, XEN_NCMIG_EVENT_RESTORED,
				       s->state, 0, NULL);
		if (err)
			ncmig_session_end(s, XEN_NCMIG_END_FAILED, err,
					  msg->text);
		else if (nr_left)
			ncmig_session_end(s, XEN_NCMIG_END_FAILED, -ENOLINK,
					  left.text);
		else
			ncmig_session_end(s, XEN_NCMIG_END_RESTORED, 0, NULL);
	}
	if (!err) {
		if (!s->ended)
			ncmig_report_head(r, s);
		else
			r->step_ns = ktime_get_ns();
		*rep = r;
		r = NULL;
	}
unlock:
	ncmig_session_unlock_put(s);
free:
	if (snaps)
		for (i = 0; i < nr; i++)
			xbq_snap_free(snaps[i]);
	kfree(snaps);
	kfree(ids);
	ncmig_report_free(r);
	return err;
}

int ncmig_session_resume(u16 domid, u32 portid, struct ncmig_report **rep,
			 struct xbq_msg *msg)
{
	struct ncmig_session *s;
	struct ncmig_report *r;
	unsigned int i;
	int err;

	s = ncmig_session_lookup(domid, portid, &err, msg);
	if (!s)
		return err;
	if (s->state == XEN_NCMIG_SESSION_RELEASED) {
		xbq_msg(msg, "d%u: devices already released: RESTORE them",
			domid);
		err = -EINVAL;
		goto out;
	}
	r = ncmig_report_alloc(domid, s->nr);
	if (!r) {
		err = -ENOMEM;
		goto out;
	}
	err = ncmig_resume_quiesced(s, msg);
	for (i = 0; i < s->nr; i++)
		ncmig_report_dev(r, &s->devs[i]);
	if (ncmig_session_settle(s)) {
		ncmig_trace_session(s, "resume", err);
		ncmig_nl_event(domid, XEN_NCMIG_EVENT_FAILED, s->state, err,
			       msg->text);
		ncmig_report_free(r);
		goto out;
	}
	ncmig_trace_session(s, "resume", err);
	if (err)	/* ended: a device left the handover */
		ncmig_nl_event(domid, XEN_NCMIG_EVENT_FAILED, s->state, err,
			       msg->text);
	else
		ncmig_nl_event(domid, XEN_NCMIG_EVENT_RESUMED, s->state, 0,
			       NULL);
	ncmig_session_end(s, err ? XEN_NCMIG_END_FAILED : XEN_NCMIG_END_RESUMED,
			  err, msg->text);
	if (err) {
		ncmig_report_free(r);
		goto out;
	}
	r->step_ns = ktime_get_ns();
	*rep = r;
out:
	ncmig_session_unlock_put(s);
	return err;
}

int ncmig_session_get(unsigned int domid, struct ncmig_report **rep)
{
	unsigned long index = domid;
	struct ncmig_session *s;
	struct ncmig_report *r;
	unsigned int i;
	int err = 0;

	/* Waits for a phase running on that session (a drain: its timeout). */
	s = ncmig_session_find(&index, true);
	if (!s)
		return -ENOENT;
	r = ncmig_report_alloc(s->domid, s->nr);
	if (!r) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < s->nr; i++)
		ncmig_report_dev(r, &s->devs[i]);
	ncmig_report_head(r, s);
	*rep = r;
out:
	ncmig_session_unlock_put(s);
	return err;
}

/* Attach the released device @d from the kernel's copy of its record. */
static int ncmig_dev_attach_kept(struct ncmig_sess_dev *d, struct xbq_msg *msg)
{
	struct ncmig_snap *snap;
	struct xbq_dev_id id;
	int err;

	if (!d->rec) {
		xbq_msg(msg, "d%u %s %u: released, and no record kept to attach from",
			d->id.domid, xbq_kind_name(d->id.kind), d->id.devid);
		return -ENOENT;
	}
	err = xbq_snap_load(d->id.domid, d->rec, d->rec_len, &snap, &id, msg);
	if (err)
		return err;
	err = ncmig_dev_restore(d, snap, msg);
	xbq_snap_free(snap);
	/*
	 * No backend registered (-ENOPKG), or no driver to bind (-ENODEV, the
	 * device still there): its module is gone, as when the owner died
	 * between a reload's rmmod and its load.
	 */
	if ((err == -ENOPKG || err == -ENODEV) &&
	    d->step == NCMIG_DEV_RELEASED && xbq_exists(&d->id))
		ncmig_watchdog_want_backend(&d->id);
	return err;
}

/*
 * Bring every device of @s back: the quiesced ones resume, the released
 * ones attach from the kernel's copy of their record. Returns the first
 * error, with @msg set from it.
 */
static int ncmig_bring_back(struct ncmig_session *s, struct xbq_msg *msg)
{
	struct xbq_msg other;
	unsigned int i;
	int err, first;

	/* A destroyed domain's devices left the bus: nothing to bring back. */
	for (i = 0; i < s->nr; i++)
		if (!xbq_exists(&s->devs[i].id))
			ncmig_dev_check_fate(&s->devs[i], NULL);
	first = ncmig_resume_quiesced(s, msg);
	for (i = 0; i < s->nr; i++) {
		if (s->devs[i].step != NCMIG_DEV_RELEASED)
			continue;
		other.text[0] = '\0';
		err = ncmig_dev_attach_kept(&s->devs[i], first ? &other : msg);
		if (err && first)
			ncmig_msg_also(msg, &other);
		else if (err)
			first = err;
	}
	return first;
}

/*
 * How a session the watchdog brought back ended: auto-resumed if its
 * devices run again, gone if none does (each left: gone, closed or
 * reconnected by its driver), failed if some left with @err.
 */
static u32 ncmig_recovered_end(const struct ncmig_session *s, int err)
{
	unsigned int i, running = 0;

	for (i = 0; i < s->nr; i++)
		running += s->devs[i].step == NCMIG_DEV_RUNNING;
	if (s->nr && !running)
		return XEN_NCMIG_END_GONE;
	return err ? XEN_NCMIG_END_FAILED : XEN_NCMIG_END_AUTO_RESUMED;
}

/*
 * The watchdog's attempt at an ownerless session. Returns false if the
 * session ended (everything runs again).
 */
static bool ncmig_recover(struct ncmig_session *s)
{
	struct xbq_msg msg;
	int err;

	msg.text[0] = '\0';
	err = ncmig_bring_back(s, &msg);
	if (!ncmig_session_settle(s)) {
		pr_info("d%u: %s: backends running again\n", s->domid, s->why);
		ncmig_trace_session(s, "auto-resume", 0);
		ncmig_nl_event(s->domid, XEN_NCMIG_EVENT_AUTO_RESUMED, s->state,
			       0, s->why);
		ncmig_session_end(s, ncmig_recovered_end(s, err), err,
				  err ? msg.text : s->why);
		return false;
	}
	ncmig_trace_session(s, "auto-resume", err);
	if (++s->tries < NCMIG_RECOVER_TRIES) {
		s->retry_ns = ktime_get_ns() + NCMIG_RECOVER_RETRY_NS;
		if (s->tries == 1)
			ncmig_nl_event(s->domid, XEN_NCMIG_EVENT_FAILED, s->state,
				       err, msg.text);
	} else {
		if (s->tries == NCMIG_RECOVER_TRIES)
			pr_err("d%u: backends still down after %u tries; retrying each minute, or RESTORE\n",
			       s->domid, s->tries);
		s->retry_ns = ktime_get_ns() + NCMIG_RECOVER_SLOW_NS;
	}
	return true;
}

static bool ncmig_port_in(u32 portid, const u32 *ports, unsigned int nr)
{
	while (nr--)
		if (ports[nr] == portid)
			return true;
	return false;
}

/* Between two recovery attempts: end the devices that cannot come back. */
static void ncmig_check_fates(struct ncmig_session *s)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		ncmig_dev_check_fate(&s->devs[i], NULL);
}

/*
 * Owned and released: only a device that is gone or closed leaves. One
 * bound meanwhile is not "reconnected": the new module of a reload binds
 * (parks) every unbound device at once, and the owner's RESTORE is about
 * to attach it.
 */
static void ncmig_check_closed(struct ncmig_session *s)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		ncmig_dev_fate(&s->devs[i], NULL, false);
}

/* The kernel takes @s over from its owner. */
static void ncmig_take_over(struct ncmig_session *s, const char *why, u64 now)
{
	pr_warn("d%u: %s (netlink port %u): bringing the backends back\n",
		s->domid, why, s->owner);
	WRITE_ONCE(s->owner, 0);
	WRITE_ONCE(s->dead_owner, 0);
	s->why = why;
	s->tries = 0;
	s->retry_ns = now;
}

/* Apply the watchdog's rules to @s. Returns false if @s ended. */
static bool ncmig_watch(struct ncmig_session *s, const u32 *dead,
			unsigned int nr_dead, u64 now)
{
	if (s->owner && (ncmig_port_in(s->owner, dead, nr_dead) ||
			 READ_ONCE(s->dead_owner) == s->owner))
		ncmig_take_over(s, "owner closed its socket", now);
	else if (s->owner && s->state == XEN_NCMIG_SESSION_QUIESCED &&
		 s->deadline_ns && now >= s->deadline_ns)
		ncmig_take_over(s, "deadline passed", now);
	/*
	 * Owned and released (between RELEASE and RESTORE, or held): a
	 * device its toolstack closes meanwhile must be answered at once
	 * (xbq_fate() does), and leaves the session; RESTORE ends it.
	 */
	if (s->owner && s->state == XEN_NCMIG_SESSION_RELEASED)
		ncmig_check_closed(s);
	if (s->owner || !s->retry_ns)
		return true;
	if (now < s->retry_ns) {
		ncmig_check_fates(s);
		if (ncmig_session_settle(s))
			return true;
		pr_info("d%u: %s: no device left to bring back\n", s->domid,
			s->why);
		ncmig_trace_session(s, "ended", 0);
		ncmig_nl_event(s->domid, XEN_NCMIG_EVENT_AUTO_RESUMED, s->state,
			       0, "no device left to bring back");
		ncmig_session_end(s, XEN_NCMIG_END_GONE, 0,
				  "no device left to bring back");
		return false;
	}
	return ncmig_recover(s);
}

/* Nanoseconds until the watchdog must look at @s again; 0: never. */
static u64 ncmig_next_look(const struct ncmig_session *s, u64 now)
{
	u64 at = 0;

	if (s->owner && s->state == XEN_NCMIG_SESSION_QUIESCED)
		at = s->deadline_ns;
	else if (s->owner && s->state == XEN_NCMIG_SESSION_RELEASED)
		at = now + NCMIG_FATE_LOOK_NS;
	else if (!s->owner && s->retry_ns)
		at = min(s->retry_ns, now + NCMIG_FATE_LOOK_NS);
	if (!at)
		return 0;
	return at > now ? at - now : 1;
}

/*
 * The watchdog's pass over the sessions. It never waits for a session's
 * lock: a session busy with a phase (its drain may take a minute) is
 * looked at again in NCMIG_BUSY_LOOK_NS, and a close of its owner seen
 * meanwhile is kept in s->dead_owner for then.
 */
u64 ncmig_session_watchdog(const u32 *dead, unsigned int nr_dead)
{
	struct ncmig_session *s;
	unsigned long domid = 0;
	u64 left, next = 0;
	u32 owner;

	while (domid <= U16_MAX) {
		mutex_lock(&ncmig_lock);
		s = xa_find(&ncmig_sessions, &domid, U16_MAX, XA_PRESENT);
		if (s)
			kref_get(&s->ref);
		mutex_unlock(&ncmig_lock);
		if (!s)
			break;
		domid = s->domid + 1UL;
		if (mutex_trylock(&s->lock)) {
			u64 now = ktime_get_ns();

			left = 0;
			if (!s->ended && ncmig_watch(s, dead, nr_dead, now))
				left = ncmig_next_look(s, now);
			mutex_unlock(&s->lock);
		} else {
			owner = READ_ONCE(s->owner);
			if (owner && ncmig_port_in(owner, dead, nr_dead))
				WRITE_ONCE(s->dead_owner, owner);
			left = NCMIG_BUSY_LOOK_NS;
		}
		ncmig_session_put(s);
		if (left && (!next || left < next))
			next = left;
	}
	return next;
}

void ncmig_session_exit(void)
{
	struct ncmig_session *s;
	struct xbq_msg msg;
	unsigned long domid;

	/* No request and no watchdog runs any more: wait for nothing else. */
	for (;;) {
		bool left;

		domid = 0;
		s = ncmig_session_find(&domid, true);
		if (!s)
			break;
		ncmig_bring_back(s, &msg);
		left = ncmig_session_settle(s);
		if (left)
			pr_err("d%u: unloading with backends still released or quiesced\n",
			       s->domid);
		/* The ring of ended sessions goes with the module. */
		ncmig_session_end(s, left ? XEN_NCMIG_END_FAILED :
				  XEN_NCMIG_END_AUTO_RESUMED, left ? -EBUSY : 0,
				  "xen-ncmig unloaded");
		ncmig_session_unlock_put(s);
	}
	destroy_workqueue(ncmig_wq);
}

int ncmig_session_init(void)
{
	/* Drains sleep up to a minute each: not on the system workqueues. */
	ncmig_wq = alloc_workqueue("ncmig_drain", WQ_UNBOUND, 0);
	return ncmig_wq ? 0 : -ENOMEM;
}
