// SPDX-License-Identifier: GPL-2.0
/*
 * The core of xen-backend-quiesce: finds a device, picks its kind's
 * adapter, serialises the calls for one device, and checks what crosses
 * the boundary (records out, records in).
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>

#include "backend_bus.h"
#include "xbq.h"
#include "core.h"
#include "xbq_api.h"

/* The adapters built into this module, by kind. */
static const struct xbq_kind_ops *const xbq_kinds[] = {
#ifdef XBQ_HAVE_BLK
	&xbq_blk_ops,
#endif
#ifdef XBQ_HAVE_NET
	&xbq_net_ops,
#endif
	NULL
};

/*
 * Per-device serialisation: each device's calls take a mutex of its own,
 * found by its id in xbq_locks and kept there while anyone holds or waits
 * for it. It cannot live in the device, which may be unbound and its
 * driver unloaded between the calls of one handover; and two devices never
 * share one, so that one device's drain (up to a minute under its mutex)
 * holds up no other device's calls.
 *
 * Locking: xbq_locks_lock (a spinlock, never held across anything that
 * sleeps) guards the table and each entry's users; an entry's mutex is
 * then taken without it. A device's mutex is the innermost lock the core
 * sleeps under: callers (xen-ncmig) hold only their own session's mutex.
 */
struct xbq_dev_mutex {
	struct hlist_node node;
	struct xbq_dev_id id;
	unsigned int users;		/* under xbq_locks_lock */
	struct mutex mutex;
};

#define XBQ_LOCK_BITS	6
static DEFINE_HASHTABLE(xbq_locks, XBQ_LOCK_BITS);
static DEFINE_SPINLOCK(xbq_locks_lock);
static struct lock_class_key xbq_dev_mutex_key;

void xbq_core_init(void)
{
	/* Nothing to set up: device mutexes come and go with their users. */
}

static u32 xbq_id_key(const struct xbq_dev_id *id)
{
	return (u32)id->kind << 16 ^ id->domid ^ hash_32(id->devid, 16);
}

static bool xbq_id_eq(const struct xbq_dev_id *a, const struct xbq_dev_id *b)
{
	return a->kind == b->kind && a->domid == b->domid &&
	       a->devid == b->devid;
}

/* Under xbq_locks_lock. */
static struct xbq_dev_mutex *xbq_dev_mutex_find(const struct xbq_dev_id *id)
{
	struct xbq_dev_mutex *m;

	hash_for_each_possible(xbq_locks, m, node, xbq_id_key(id))
		if (xbq_id_eq(&m->id, id))
			return m;
	return NULL;
}

/* Take the device's mutex, making it if nobody holds it. */
static void xbq_dev_lock(const struct xbq_dev_id *id)
{
	struct xbq_dev_mutex *m, *fresh = NULL;

	for (;;) {
		spin_lock(&xbq_locks_lock);
		m = xbq_dev_mutex_find(id);
		if (!m && fresh) {
			m = fresh;
			fresh = NULL;
			hash_add(xbq_locks, &m->node, xbq_id_key(id));
		}
		if (m)
			m->users++;
		spin_unlock(&xbq_locks_lock);
		if (m)
			break;
		/* A few octets: small allocations do not fail in practice. */
		fresh = kzalloc(sizeof(*fresh), GFP_KERNEL | __GFP_NOFAIL);
		fresh->id = *id;
		__mutex_init(&fresh->mutex, "xbq_dev_mutex", &xbq_dev_mutex_key);
	}
	kfree(fresh);
	mutex_lock(&m->mutex);
}

static void xbq_dev_unlock(const struct xbq_dev_id *id)
{
	struct xbq_dev_mutex *m;

	spin_lock(&xbq_locks_lock);
	m = xbq_dev_mutex_find(id);
	spin_unlock(&xbq_locks_lock);
	if (WARN_ON_ONCE(!m))
		return;
	/* Our users count keeps it in the table until we drop it below. */
	mutex_unlock(&m->mutex);
	spin_lock(&xbq_locks_lock);
	if (--m->users)
		m = NULL;
	else
		hash_del(&m->node);
	spin_unlock(&xbq_locks_lock);
	kfree(m);
}

/* Releases cancelled while waiting for xenwatch, their callback not run. */
static atomic_t xbq_xw_cancelled = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(xbq_xw_wq);

/* Wait for the callbacks of cancelled releases (they run our code). */
void xbq_core_exit(void)
{
	wait_event(xbq_xw_wq, !atomic_read(&xbq_xw_cancelled));
}

static const struct xbq_kind_ops *xbq_ops_by_kind(u16 kind)
{
	const struct xbq_kind_ops *const *ops;

	for (ops = xbq_kinds; *ops; ops++)
		if ((*ops)->kind == kind)
			return *ops;
	return NULL;
}

static const struct xbq_kind_ops *xbq_ops_by_type(const char *type)
{
	const struct xbq_kind_ops *const *ops;

	for (ops = xbq_kinds; *ops; ops++)
		if (!strcmp((*ops)->type, type))
			return *ops;
	return NULL;
}

const char *xbq_kind_name(u16 kind)
{
	switch (kind) {
	case XEN_NCMIG_KIND_VBD:
		return "vbd";
	case XEN_NCMIG_KIND_VIF:
		return "vif";
	}
	return "?";
}
EXPORT_SYMBOL_GPL(xbq_kind_name);

struct xbq_list_ctx {
	int domid;
	struct xbq_dev_id *ids;
	unsigned int max;
	unsigned int nr;
};

static int xbq_list_one(struct xenbus_device *xdev, void *arg)
{
	struct xbq_list_ctx *ctx = arg;
	const struct xbq_kind_ops *ops;
	char type[16];
	u16 domid;
	u32 devid;

	if (!xbq_bus_parse_name(dev_name(&xdev->dev), type, sizeof(type),
				&domid, &devid))
		return 0;
	if (ctx->domid != XBQ_ALL_DOMAINS && domid != ctx->domid)
		return 0;
	ops = xbq_ops_by_type(type);
	if (!ops)
		return 0;
	if (ctx->nr < ctx->max) {
		ctx->ids[ctx->nr].kind = ops->kind;
		ctx->ids[ctx->nr].domid = domid;
		ctx->ids[ctx->nr].devid = devid;
	}
	ctx->nr++;
	return 0;
}

static int xbq_id_cmp(const void *a, const void *b)
{
	const struct xbq_dev_id *x = a, *y = b;

	if (x->domid != y->domid)
		return x->domid < y->domid ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->devid != y->devid)
		return x->devid < y->devid ? -1 : 1;
	return 0;
}

int xbq_list(int domid, struct xbq_dev_id *ids, unsigned int max)
{
	struct xbq_list_ctx ctx = { .domid = domid, .ids = ids, .max = max };
	int err;

	err = xbq_bus_for_each(xbq_list_one, &ctx);
	if (err)
		return err;
	sort(ids, min(ctx.nr, max), sizeof(*ids), xbq_id_cmp, NULL);
	return min_t(unsigned int, ctx.nr, INT_MAX);
}
EXPORT_SYMBOL_GPL(xbq_list);

/*
 * Look the device up and lock it. Returns NULL, with @msg set, if it is
 * gone or its kind has no adapter.
 */
static struct xenbus_device *xbq_get(const struct xbq_dev_id *id,
				     const struct xbq_kind_ops **ops,
				     struct xbq_msg *msg)
{
	struct xenbus_device *xdev;

	*ops = xbq_ops_by_kind(id->kind);
	if (!*ops) {
		xbq_msg(msg, "d%u %s %u: no adapter for this kind", id->domid,
			xbq_kind_name(id->kind), id->devid);
		return NULL;
	}
	xdev = xbq_bus_find((*ops)->type, id->domid, id->devid);
	if (!xdev) {
		xbq_msg(msg, "d%u %s %u: no such backend device", id->domid,
			(*ops)->type, id->devid);
		return NULL;
	}
	xbq_dev_lock(id);
	return xdev;
}

static void xbq_put(const struct xbq_dev_id *id, struct xenbus_device *xdev)
{
	xbq_dev_unlock(id);
	put_device(&xdev->dev);
}

static int xbq_missing_op(const struct xbq_dev_id *id, const char *op,
			  struct xbq_msg *msg)
{
	xbq_msg(msg, "d%u %s %u: adapter cannot %s", id->domid,
		xbq_kind_name(id->kind), id->devid, op);
	return -EOPNOTSUPP;
}

int xbq_quiesce(const struct xbq_dev_id *id, unsigned int timeout_ms,
		u64 *drain_ns, struct xbq_msg *msg)
{
	const struct xbq_kind_ops *ops;
	struct xenbus_device *xdev;
	int err;

	xdev = xbq_get(id, &ops, msg);
	if (!xdev)
		return -ENODEV;
	*drain_ns = 0;
	if (ops->quiesce)
		err = ops->quiesce(xdev, timeout_ms, drain_ns, msg);
	else
		err = xbq_missing_op(id, "quiesce", msg);
	xbq_put(id, xdev);
	return err;
}
EXPORT_SYMBOL_GPL(xbq_quiesce);

int xbq_resume(const struct xbq_dev_id *id, struct xbq_msg *msg)
{
	const struct xbq_kind_ops *ops;
	struct xenbus_device *xdev;
	int err;

	xdev = xbq_get(id, &ops, msg);
	if (!xdev)
		return -ENODEV;
	if (ops->resume)
		err = ops->resume(xdev, msg);
	else
		err = xbq_missing_op(id, "resume", msg);
	xbq_put(id, xdev);
	return err;
}
EXPORT_SYMBOL_GPL(xbq_resume);

/* Refuse to hand out a record that restore would refuse. */
static int xbq_check_record(const struct xbq_dev_id *id, const void *rec,
			    size_t len, struct xbq_msg *msg)
{
#ifdef XBQ_HAVE_SNAP
	struct ncmig_snap_err serr = {};
	struct ncmig_snap *snap;
	int err;

	snap = kvzalloc(sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
	err = ncmig_snap_decode(rec, len, snap, &serr);
	if (!err && (snap->kind != id->kind || snap->domid != id->domid ||
		     snap->devid != id->devid)) {
		serr.what = "record names another device";
		err = -EINVAL;
	}
	kvfree(snap);
	if (err)
		xbq_msg(msg, "d%u %s %u: adapter made a bad record: %s (item %#x at %u)",
			id->domid, xbq_kind_name(id->kind), id->devid,
			serr.what ? serr.what : "?", serr.item, serr.offset);
	return err;
#else
	xbq_msg(msg, "d%u %s %u: built without the snapshot codec", id->domid,
		xbq_kind_name(id->kind), id->devid);
	return -EOPNOTSUPP;
#endif
}

int xbq_snapshot(const struct xbq_dev_id *id, void **rec, size_t *len,
		 struct xbq_msg *msg)
{
	const struct xbq_kind_ops *ops;
	struct xenbus_device *xdev;
	int err;

	*rec = NULL;
	*len = 0;
	xdev = xbq_get(id, &ops, msg);
	if (!xdev)
		return -ENODEV;
	if (ops->snapshot)
		err = ops->snapshot(xdev, rec, len, msg);
	else
		err = xbq_missing_op(id, "snapshot", msg);
	xbq_put(id, xdev);
	if (!err && (!*rec || *len > XEN_NCMIG_RECORD_MAX)) {
		xbq_msg(msg, "d%u %s %u: adapter made a record of %zu octets",
			id->domid, xbq_kind_name(id->kind), id->devid, *len);
		err = -EMSGSIZE;
	}
	if (!err)
		err = xbq_check_record(id, *rec, *len, msg);
	if (err) {
		kvfree(*rec);
		*rec = NULL;
		*len = 0;
	}
	return err;
}
EXPORT_SYMBOL_GPL(xbq_snapshot);

/*
 * A release, and an attach, run on the xenwatch thread.
 *
 * A release unbinds the backend driver: the driver core takes the device
 * lock, and xenbus_dev_remove() and the driver's remove then unregister
 * the device's xenstore watches, which takes xenwatch_mutex unless the
 * caller is the xenwatch thread itself. The xenwatch thread holds
 * xenwatch_mutex while a watch callback unregisters a backend device (its
 * domain destroyed: backend_changed() -> xenbus_dev_changed(); a frontend
 * Closed while offline, or writing state 0: the driver's
 * frontend_changed()), and device_del() takes the device lock. An unbind
 * from any other thread is therefore an ABBA deadlock with the removal of
 * the same device, which freezes every xenstore watch of dom0.
 *
 * An attach binds the driver if none is (xbq_backend_bind(): the
 * preferred slot's driver, device_driver_attach()): a probe that fails
 * unregisters the watches it set, under the device lock too.
 *
 * So both run where every removal of a backend device runs: as a
 * watch callback on the xenwatch thread, under xenwatch_mutex, so that the
 * two are ordered and the watch unregistrations take no mutex. The watch
 * is on the device's backend node and fires once when registered
 * (xenstored fires every new watch up front, which xenbus drivers rely on
 * too). Its callback unregisters it, so it runs once. A removal that ran
 * first leaves the device unbound and the release fails with -ENODEV; one
 * that comes after finds it unbound.
 *
 * The caller waits for xenwatch at most XBQ_XW_TIMEOUT_MS: if the callback
 * has not started by then, the call is cancelled and the callback, when it
 * runs, only frees it. xbq_core_exit() waits for such callbacks.
 */
#define XBQ_XW_TIMEOUT_MS	30000

enum { XBQ_XW_PENDING, XBQ_XW_RUNNING, XBQ_XW_CANCELLED };

struct xbq_xw_call {
	struct xenbus_watch watch;
	atomic_t state;			/* XBQ_XW_* */
	const struct xbq_kind_ops *ops;
	struct xenbus_device *xdev;
	const struct ncmig_snap *snap;	/* NULL: release, else attach */
	struct xbq_msg *msg;
	int ret;
	struct completion done;
};

static void xbq_xw_free(struct xbq_xw_call *c)
{
	kfree(c->watch.node);
	kfree(c);
}

/* On the xenwatch thread, xenwatch_mutex held. */
static void xbq_xw_fire(struct xenbus_watch *watch, const char *path,
			const char *token)
{
	struct xbq_xw_call *c = container_of(watch, struct xbq_xw_call, watch);
	int old = atomic_cmpxchg(&c->state, XBQ_XW_PENDING, XBQ_XW_RUNNING);

	if (old == XBQ_XW_RUNNING)
		return;
	/* No mutex on this thread; drops any event still queued for it. */
	unregister_xenbus_watch(watch);
	if (old == XBQ_XW_CANCELLED) {
		xbq_xw_free(c);
		if (atomic_dec_and_test(&xbq_xw_cancelled))
			wake_up(&xbq_xw_wq);
		return;
	}
	if (c->snap)
		c->ret = c->ops->attach(c->xdev, c->snap, c->msg);
	else
		c->ret = c->ops->release(c->xdev, c->msg);
	complete(&c->done);
}

static int xbq_on_xenwatch(const struct xbq_dev_id *id,
			   const struct xbq_kind_ops *ops,
			   struct xenbus_device *xdev,
			   const struct ncmig_snap *snap, struct xbq_msg *msg)
{
	const char *op = snap ? "attach" : "release";
	struct xbq_xw_call *c;
	int err;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (c)
		c->watch.node = kstrdup(xdev->nodename, GFP_KERNEL);
	if (!c || !c->watch.node) {
		kfree(c);
		xbq_msg(msg, "d%u %s %u: %s: out of memory", id->domid,
			ops->type, id->devid, op);
		return -ENOMEM;
	}
	c->watch.callback = xbq_xw_fire;
	atomic_set(&c->state, XBQ_XW_PENDING);
	c->ops = ops;
	c->xdev = xdev;
	c->snap = snap;
	c->msg = msg;
	init_completion(&c->done);

	err = register_xenbus_watch(&c->watch);
	if (err) {
		xbq_xw_free(c);
		xbq_msg(msg, "d%u %s %u: %s: cannot watch %s (%d)",
			id->domid, ops->type, id->devid, op, xdev->nodename,
			err);
		return err;
	}
	if (!wait_for_completion_timeout(&c->done,
					 msecs_to_jiffies(XBQ_XW_TIMEOUT_MS))) {
		atomic_inc(&xbq_xw_cancelled);
		if (atomic_cmpxchg(&c->state, XBQ_XW_PENDING,
				   XBQ_XW_CANCELLED) == XBQ_XW_PENDING) {
			/* The callback frees it; nothing was done. */
			xbq_msg(msg, "d%u %s %u: %s: xenwatch busy for %u ms, not done",
				id->domid, ops->type, id->devid, op,
				XBQ_XW_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		atomic_dec(&xbq_xw_cancelled);
		/* Started: the release itself is bounded. */
		wait_for_completion(&c->done);
	}
	err = c->ret;
	xbq_xw_free(c);
	return err;
}

int xbq_release(const struct xbq_dev_id *id, struct xbq_msg *msg)
{
	const struct xbq_kind_ops *ops;
	struct xenbus_device *xdev;
	int err;

	xdev = xbq_get(id, &ops, msg);
	if (!xdev)
		return -ENODEV;
	if (ops->release)
		err = xbq_on_xenwatch(id, ops, xdev, NULL, msg);
	else
		err = xbq_missing_op(id, "release", msg);
	xbq_put(id, xdev);
	return err;
}
EXPORT_SYMBOL_GPL(xbq_release);

int xbq_snap_load(u16 domid, const void *rec, size_t len,
		  struct ncmig_snap **snap, struct xbq_dev_id *id,
		  struct xbq_msg *msg)
{
#ifdef XBQ_HAVE_SNAP
	struct ncmig_snap_err serr = {};
	u16 kind = 0, rdomid = 0;
	u32 devid = 0, rlen = 0;
	struct ncmig_snap *s;
	int err;

	*snap = NULL;
	/* Name the device in the error if the header is readable at all. */
	ncmig_snap_peek(rec, len, &kind, &rdomid, &devid, &rlen);
	s = kvzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	err = ncmig_snap_decode(rec, len, s, &serr);
	if (err) {
		xbq_msg(msg, "d%u %s %u: bad record: %s (item %#x at octet %u)",
			domid, xbq_kind_name(kind), devid,
			serr.what ? serr.what : "?", serr.item, serr.offset);
		goto fail;
	}
	if (s->domid != domid) {
		xbq_msg(msg, "d%u %s %u: record is for domain %u", domid,
			xbq_kind_name(s->kind), s->devid, s->domid);
		err = -EINVAL;
		goto fail;
	}
	if (!xbq_ops_by_kind(s->kind)) {
		xbq_msg(msg, "d%u %s %u: no adapter for this kind", domid,
			xbq_kind_name(s->kind), s->devid);
		err = -EOPNOTSUPP;
		goto fail;
	}
	id->kind = s->kind;
	id->domid = s->domid;
	id->devid = s->devid;
	*snap = s;
	return 0;
fail:
	kvfree(s);
	return err;
#else
	xbq_msg(msg, "d%u: built without the snapshot codec", domid);
	return -EOPNOTSUPP;
#endif
}
EXPORT_SYMBOL_GPL(xbq_snap_load);

void xbq_snap_free(struct ncmig_snap *snap)
{
	kvfree(snap);
}
EXPORT_SYMBOL_GPL(xbq_snap_free);

int xbq_attach(const struct ncmig_snap *snap, struct xbq_msg *msg)
{
	struct xbq_dev_id id = {
		.kind = snap->kind, .domid = snap->domid, .devid = snap->devid,
	};
	const struct xbq_kind_ops *ops;
	struct xenbus_device *xdev;
	int err;

	xdev = xbq_get(&id, &ops, msg);
	if (!xdev)
		return -ENODEV;
	/* Its probe may fail and unregister watches: see xbq_release(). */
	if (ops->attach)
		err = xbq_on_xenwatch(&id, ops, xdev, snap, msg);
	else
		err = xbq_missing_op(&id, "attach", msg);
	xbq_put(&id, xdev);
	return err;
}
EXPORT_SYMBOL_GPL(xbq_attach);

bool xbq_exists(const struct xbq_dev_id *id)
{
	const struct xbq_kind_ops *ops = xbq_ops_by_kind(id->kind);
	struct xenbus_device *xdev;

	if (!ops)
		return false;
	xdev = xbq_bus_find(ops->type, id->domid, id->devid);
	if (!xdev)
		return false;
	put_device(&xdev->dev);
	return true;
}
EXPORT_SYMBOL_GPL(xbq_exists);

/*
 * The xenbus states xbq_fate() looks at: the values of enum xenbus_state,
 * which are the xenstore protocol's (xen/interface/io/xenbus.h).
 */
#define XBQ_XS_UNKNOWN		0
#define XBQ_XS_INITIALISING	1
#define XBQ_XS_INITIALISED	3
#define XBQ_XS_CONNECTED	4
#define XBQ_XS_CLOSING		5
#define XBQ_XS_CLOSED		6

/* The "state" node under @dir: xenbus_read_driver_state(), whose arguments 7.x changed. */
static unsigned int xbq_read_state(const char *dir)
{
	unsigned int state;

	if (xenbus_scanf(XBT_NIL, dir, "state", "%u", &state) != 1)
		state = XBQ_XS_UNKNOWN;
	return state;
}

/* The frontend's state, read from the backend's "frontend" node. */
static unsigned int xbq_frontend_state(struct xenbus_device *xdev)
{
	unsigned int state;
	char *fe;

	fe = xenbus_read(XBT_NIL, xdev->nodename, "frontend", NULL);
	if (IS_ERR(fe))
		return XBQ_XS_UNKNOWN;
	state = xbq_read_state(fe);
	kfree(fe);
	return state;
}

/*
 * A released device has no driver to answer the toolstack: one that
 * closes it (xl block-detach, xl destroy) writes the backend's state
 * Closing and waits for Closed, which only a driver writes (libxl gives
 * up after 10 s, "unable to remove device"). Once its frontend is gone
 * or closed there is nothing left to hand over: answer for the driver,
 * as xenbus_dev_remove() does for a device the toolstack closes. Under
 * the device lock, so that no driver binds meanwhile.
 */
static void xbq_answer_close(struct xenbus_device *xdev)
{
	device_lock(&xdev->dev);
	if (!xdev->dev.driver &&
	    xbq_read_state(xdev->nodename) == XBQ_XS_CLOSING) {
		dev_info(&xdev->dev, "released, and closed by the toolstack: answering Closed\n");
		xenbus_printf(XBT_NIL, xdev->nodename, "state", "%d",
			      XBQ_XS_CLOSED);
	}
	device_unlock(&xdev->dev);
}

enum xbq_fate xbq_fate(const struct xbq_dev_id *id)
{
	const struct xbq_kind_ops *ops = xbq_ops_by_kind(id->kind);
	struct xenbus_device *xdev;
	struct xbq_dev_info info = {};
	enum xbq_fate fate = XBQ_FATE_WAITING;
	unsigned int fe;

	if (!ops)
		return XBQ_FATE_GONE;
	xdev = xbq_bus_find(ops->type, id->domid, id->devid);
	if (!xdev)
		return XBQ_FATE_GONE;
	xbq_dev_lock(id);
	if (!xenbus_exists(XBT_NIL, xdev->nodename, "")) {
		fate = XBQ_FATE_GONE;
		goto out;
	}
	fe = xbq_frontend_state(xdev);
	if (fe != XBQ_XS_INITIALISED && fe != XBQ_XS_CONNECTED) {
		fate = XBQ_FATE_CLOSED;
		xbq_answer_close(xdev);
		goto out;
	}
	/* Closed by its backend (an attach refused the frontend's rings). */
	if (xdev->state == XBQ_XS_CLOSING || xdev->state == XBQ_XS_CLOSED) {
		fate = XBQ_FATE_CLOSED;
		goto out;
	}
	/*
	 * A parked device is bound and waiting for an attach: not running on
	 * its own. Its xenbus state says nothing: a rebind keeps the state
	 * the previous instance left in xdev->state (Connected, as
	 * allow_rebind writes nothing on unbind), so only the driver can
	 * tell (its info: parked). A driver that started on its own, after
	 * its park timeout or from a fresh probe, is neither parked nor
	 * quiesced; one that never left Initialising has not started yet.
	 * A driver that cannot be asked is not judged: a backend loaded by
	 * the watchdog probes (and parks) its devices in
	 * xenbus_register_backend(), before it registers its operations.
	 */
	info.bound = !!READ_ONCE(xdev->dev.driver);
	if (info.bound && ops->info)
		ops->info(xdev, &info);
	if (info.bound && info.answered && !info.quiesced && !info.parked &&
	    xdev->state != XBQ_XS_INITIALISING)
		fate = XBQ_FATE_RUNNING;
out:
	xbq_dev_unlock(id);
	put_device(&xdev->dev);
	return fate;
}
EXPORT_SYMBOL_GPL(xbq_fate);

bool xbq_unconnected(const struct xbq_dev_id *id)
{
	struct xbq_dev_info info;

	if (xbq_info(id, &info, NULL, 0))
		return false;
	return info.bound && info.state != XBQ_XS_CONNECTED;
}
EXPORT_SYMBOL_GPL(xbq_unconnected);

int xbq_info(const struct xbq_dev_id *id, struct xbq_dev_info *info,
	     char *nodename, size_t cap)
{
	const struct xbq_kind_ops *ops;
	struct xenbus_device *xdev;
	struct xbq_msg msg;

	memset(info, 0, sizeof(*info));
	xdev = xbq_get(id, &ops, &msg);
	if (!xdev)
		return -ENODEV;
	if (cap)
		strscpy(nodename, xdev->nodename, cap);
	info->state = xdev->state;
	info->bound = !!READ_ONCE(xdev->dev.driver);
	if (ops->info)
		ops->info(xdev, info);
	xbq_put(id, xdev);
	return 0;
}
EXPORT_SYMBOL_GPL(xbq_info);

#ifdef NCMIG_TEST_HOOKS
/*
 * unbind_delay_ms: every unbind from a driver of the xen-backend bus
 * sleeps this long in the driver core's BUS_NOTIFY_UNBIND_DRIVER, which
 * runs with the device lock held and before the driver's remove: the
 * window between device_lock and xenbus_dev_remove() (issue 9, H2).
 * keep_store_delay_ms: a vbd release sleeps this long between the unbind
 * and storing the grants it kept (M7).
 * attach_rsp_skew_devid: every attach of a vbd with this id (0: none)
 * finds ring 0's shared rsp_prod 7 away from the saved one (the
 * record's is moved), as when a guest moved the index while released.
 */
static u32 xbq_unbind_delay_ms;
static u32 xbq_keep_store_delay_ms;
static u32 xbq_attach_rsp_skew_devid;
static struct dentry *xbq_dbg;

static int xbq_test_bus_event(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	struct device *dev = data;
	u32 ms = READ_ONCE(xbq_unbind_delay_ms);

	if (action != BUS_NOTIFY_UNBIND_DRIVER || !ms)
		return NOTIFY_DONE;
	dev_info(dev, "test hook: unbinding with the device lock held, %u ms\n",
		 ms);
	msleep(ms);
	return NOTIFY_DONE;
}

static struct notifier_block xbq_test_nb = {
	.notifier_call = xbq_test_bus_event,
};

void xbq_test_keep_store_delay(struct device *dev)
{
	u32 ms = READ_ONCE(xbq_keep_store_delay_ms);

	if (!ms)
		return;
	dev_info(dev, "test hook: released, storing kept grants in %u ms\n", ms);
	msleep(ms);
}

u32 xbq_test_rsp_skew(u32 devid)
{
	return devid && READ_ONCE(xbq_attach_rsp_skew_devid) == devid ? 7 : 0;
}

int xbq_test_init(void)
{
	xbq_dbg = debugfs_create_dir("xen-backend-quiesce", NULL);
	debugfs_create_u32("unbind_delay_ms", 0600, xbq_dbg,
			   &xbq_unbind_delay_ms);
	debugfs_create_u32("keep_store_delay_ms", 0600, xbq_dbg,
			   &xbq_keep_store_delay_ms);
	debugfs_create_u32("attach_rsp_skew_devid", 0600, xbq_dbg,
			   &xbq_attach_rsp_skew_devid);
	return xbq_bus_register_notifier(&xbq_test_nb);
}

void xbq_test_exit(void)
{
	xbq_bus_unregister_notifier(&xbq_test_nb);
	debugfs_remove_recursive(xbq_dbg);
}
#endif /* NCMIG_TEST_HOOKS */
