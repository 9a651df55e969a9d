// SPDX-License-Identifier: GPL-2.0
/*
 * The watchdog: one delayed work that applies the session rules of
 * session.c when a deadline comes due or an owner's socket closes.
 *
 * A closing socket is seen by the netlink notifier (NETLINK_URELEASE),
 * which runs in the closing task and must not wait for a session's lock,
 * held for as long as a drain takes: it only queues the port and kicks the
 * work. The work itself skips a session busy with a phase and comes back
 * to it shortly (session.c's locking rules). Every generic netlink socket
 * of the initial namespace that closes passes through here, so ports are
 * only queued while a session exists.
 *
 * A released device whose attach finds no backend (-ENOPKG: no backend
 * module registered its handover operations; -ENODEV: no driver to bind
 * it to), as when the owner died between a module reload's rmmod and its
 * load, gets its backend module requested (ncmig_watchdog_want_backend()):
 * by a work item of its own, which holds no lock while request_module()
 * waits for modprobe (the new
 * module's init and probes run on the driver core and xenwatch, which the
 * session lock's holders wait for). At most one request per kind per
 * NCMIG_MODPROBE_GAP_NS, each logged with the domain and device that
 * wanted it; the watchdog's next attempt attaches the device once the
 * module has registered. modprobe resolves the name through
 * /lib/modules/$(uname -r): the patched backends must be installed there
 * (ncmig-dkms puts them in updates/, ahead of the stock ones).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/kmod.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "include/uapi/linux/xen_ncmig.h"
#include "session.h"
#include "watchdog.h"

struct ncmig_dead_port {
	struct list_head node;
	u32 portid;
};

/* Dead ports handed to the session rules in one pass. */
#define NCMIG_DEAD_BATCH	64

static DEFINE_SPINLOCK(ncmig_wd_lock);
static LIST_HEAD(ncmig_dead_ports);	/* under ncmig_wd_lock */
static bool ncmig_wd_stopping;		/* under ncmig_wd_lock */

static void ncmig_watchdog_run(struct work_struct *work);
static DECLARE_DELAYED_WORK(ncmig_wd_work, ncmig_watchdog_run);

/* The backend module of each kind, by its name (modprobe's). */
static const char *const ncmig_backend_mod[] = {
	[XEN_NCMIG_KIND_VBD] = "xen-blkback",
	[XEN_NCMIG_KIND_VIF] = "xen-netback",
};

#define NCMIG_NR_KINDS		ARRAY_SIZE(ncmig_backend_mod)
/* Between two requests of one module. */
#define NCMIG_MODPROBE_GAP_NS	(10 * NSEC_PER_SEC)

/* All under ncmig_wd_lock: */
static unsigned long ncmig_mod_wanted;		/* bit per kind */
static struct xbq_dev_id ncmig_mod_by[NCMIG_NR_KINDS];	/* who wanted it */
static u64 ncmig_mod_last_ns[NCMIG_NR_KINDS];	/* last request; 0: none */

static void ncmig_modprobe_run(struct work_struct *work);
static DECLARE_WORK(ncmig_modprobe_work, ncmig_modprobe_run);

static void ncmig_watchdog_arm(unsigned long delay)
{
	spin_lock_bh(&ncmig_wd_lock);
	if (!ncmig_wd_stopping)
		mod_delayed_work(system_wq, &ncmig_wd_work, delay);
	spin_unlock_bh(&ncmig_wd_lock);
}

void ncmig_watchdog_kick(void)
{
	ncmig_watchdog_arm(0);
}

static unsigned int ncmig_take_dead(u32 *ports, unsigned int max)
{
	struct ncmig_dead_port *dp, *tmp;
	unsigned int nr = 0;

	spin_lock_bh(&ncmig_wd_lock);
	list_for_each_entry_safe(dp, tmp, &ncmig_dead_ports, node) {
		if (nr == max)
			break;
		ports[nr++] = dp->portid;
		list_del(&dp->node);
		kfree(dp);
	}
	spin_unlock_bh(&ncmig_wd_lock);
	return nr;
}

static void ncmig_watchdog_run(struct work_struct *work)
{
	u32 dead[NCMIG_DEAD_BATCH];
	unsigned int nr;
	u64 next;

	do {
		nr = ncmig_take_dead(dead, ARRAY_SIZE(dead));
		next = ncmig_session_watchdog(dead, nr);
	} while (nr == ARRAY_SIZE(dead));
	if (next)
		ncmig_watchdog_arm(nsecs_to_jiffies(next) + 1);
}

void ncmig_watchdog_want_backend(const struct xbq_dev_id *id)
{
	u64 now = ktime_get_ns();

	if (id->kind >= NCMIG_NR_KINDS || !ncmig_backend_mod[id->kind])
		return;
	spin_lock_bh(&ncmig_wd_lock);
	if (!ncmig_wd_stopping && !test_bit(id->kind, &ncmig_mod_wanted) &&
	    (!ncmig_mod_last_ns[id->kind] ||
	     now - ncmig_mod_last_ns[id->kind] >= NCMIG_MODPROBE_GAP_NS)) {
		__set_bit(id->kind, &ncmig_mod_wanted);
		ncmig_mod_by[id->kind] = *id;
		ncmig_mod_last_ns[id->kind] = now;
		queue_work(system_unbound_wq, &ncmig_modprobe_work);
	}
	spin_unlock_bh(&ncmig_wd_lock);
}

/* Request each wanted backend module; no lock is held meanwhile. */
static void ncmig_modprobe_run(struct work_struct *work)
{
	struct xbq_dev_id by;
	unsigned int kind;
	bool wanted;
	int err;

	for (kind = 0; kind < NCMIG_NR_KINDS; kind++) {
		spin_lock_bh(&ncmig_wd_lock);
		wanted = __test_and_clear_bit(kind, &ncmig_mod_wanted);
		by = ncmig_mod_by[kind];
		spin_unlock_bh(&ncmig_wd_lock);
		if (!wanted)
			continue;
		pr_warn("d%u %s %u: released, and %s not loaded: requesting it\n",
			by.domid, xbq_kind_name(by.kind), by.devid,
			ncmig_backend_mod[kind]);
		err = request_module("%s", ncmig_backend_mod[kind]);
		if (err)
			pr_err("d%u %s %u: request_module(%s) failed: %d\n",
			       by.domid, xbq_kind_name(by.kind), by.devid,
			       ncmig_backend_mod[kind], err);
		else
			pr_info("d%u %s %u: %s requested; attaching on the next try\n",
				by.domid, xbq_kind_name(by.kind), by.devid,
				ncmig_backend_mod[kind]);
	}
}

static int ncmig_netlink_event(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	struct netlink_notify *n = ptr;
	struct ncmig_dead_port *dp;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !net_eq(n->net, &init_net) || !ncmig_session_count())
		return NOTIFY_DONE;
	dp = kmalloc(sizeof(*dp), GFP_KERNEL);
	if (!dp) {
		/* The deadline still resumes the domain. */
		pr_warn("lost the close of netlink port %u\n", n->portid);
		return NOTIFY_DONE;
	}
	dp->portid = n->portid;
	spin_lock_bh(&ncmig_wd_lock);
	list_add_tail(&dp->node, &ncmig_dead_ports);
	spin_unlock_bh(&ncmig_wd_lock);
	ncmig_watchdog_kick();
	return NOTIFY_DONE;
}

static struct notifier_block ncmig_netlink_nb = {
	.notifier_call = ncmig_netlink_event,
};

int ncmig_watchdog_init(void)
{
	return netlink_register_notifier(&ncmig_netlink_nb);
}

void ncmig_watchdog_exit(void)
{
	u32 dead[NCMIG_DEAD_BATCH];

	netlink_unregister_notifier(&ncmig_netlink_nb);
	spin_lock_bh(&ncmig_wd_lock);
	ncmig_wd_stopping = true;
	spin_unlock_bh(&ncmig_wd_lock);
	cancel_delayed_work_sync(&ncmig_wd_work);
	/* Waits for a modprobe under way (modprobe's own time). */
	cancel_work_sync(&ncmig_modprobe_work);
	while (ncmig_take_dead(dead, ARRAY_SIZE(dead)))
		;
}
