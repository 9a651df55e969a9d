// SPDX-License-Identifier: GPL-2.0
/*
 * The store of persistent grants kept mapped between a vbd's release and
 * its attach (blk_keep.h). It lives here, not in xen-blkback, because the
 * module may be unloaded in between. A mapping pins the frontend's page,
 * and so its domain, so nothing is kept for long: an entry is unmapped
 * when it expires, when its backend device goes away (the domain is being
 * destroyed) and when this module is unloaded.
 */
#include <linux/device.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <xen/grant_table.h>
#include <xen/page.h>

#include "backend_bus.h"
#include "blk_keep.h"

static unsigned int keep_grants_ms = 30000;
module_param(keep_grants_ms, uint, 0644);
MODULE_PARM_DESC(keep_grants_ms,
		 "How long a released vbd's persistent grants stay mapped for the next attach (0: unmap them at release)");

/*
 * blk_keep_lock guards the store (blk_keep_list) and each entry's @armed
 * and @gone. It is taken by the releases and attaches (xen-ncmig's
 * callers, on the xenwatch thread for a release), by the bus notifier
 * (device_del(), on the xenwatch thread) and by the expiry work; nothing
 * that waits for any of them is called under it.
 */
static LIST_HEAD(blk_keep_list);
static DEFINE_MUTEX(blk_keep_lock);
/* The expiries, flushed by blk_keep_exit() before the module goes. */
static struct workqueue_struct *blk_keep_wq;

#define BLK_KEEP_BATCH	32

static void blk_keep_unmap(struct page **pages,
			   struct gnttab_unmap_grant_ref *unmap,
			   unsigned int n)
{
	struct gntab_unmap_queue_data q = {
		.unmap_ops = unmap,
		.kunmap_ops = NULL,
		.pages = pages,
		.count = n,
	};

	/* A page that may still be mapped must never be reused: leak it. */
	if (WARN_ON_ONCE(gnttab_unmap_refs_sync(&q)))
		return;
	gnttab_free_pages(n, pages);
}

void blk_keep_unmap_ring(struct xen_blkbk_ho_kept *kept)
{
	struct gnttab_unmap_grant_ref unmap[BLK_KEEP_BATCH];
	struct page *pages[BLK_KEEP_BATCH];
	struct xen_blkbk_ho_gnt *g;
	unsigned int i, n = 0;

	for (i = 0; i < kept->nr; i++) {
		g = &kept->gnts[i];
		if (!g->page)
			continue;
		gnttab_set_unmap_op(&unmap[n],
				    (unsigned long)pfn_to_kaddr(page_to_pfn(g->page)),
				    GNTMAP_host_map, g->handle);
		pages[n++] = g->page;
		g->page = NULL;
		if (n == BLK_KEEP_BATCH) {
			blk_keep_unmap(pages, unmap, n);
			n = 0;
		}
	}
	if (n)
		blk_keep_unmap(pages, unmap, n);
	kept->nr = 0;
}

unsigned int blk_keep_count(const struct blk_keep *k)
{
	unsigned int r, i, n = 0;

	for (r = 0; r < k->nr_rings; r++)
		for (i = 0; i < k->rings[r].nr; i++)
			n += !!k->rings[r].gnts[i].page;
	return n;
}

void blk_keep_drop(struct blk_keep *k)
{
	unsigned int r;

	if (!k)
		return;
	for (r = 0; r < k->nr_rings; r++) {
		blk_keep_unmap_ring(&k->rings[r]);
		kvfree(k->rings[r].gnts);
	}
	if (k->dev)
		put_device(&k->dev->dev);
	kfree(k);
}

static void blk_keep_expire(struct work_struct *work)
{
	struct blk_keep *k = container_of(to_delayed_work(work),
					  struct blk_keep, expire);
	bool mine;

	mutex_lock(&blk_keep_lock);
	mine = !list_empty(&k->node);
	list_del_init(&k->node);
	mutex_unlock(&blk_keep_lock);
	/* Whoever took it out of the store first owns it. */
	if (!mine)
		return;
	dev_info(&k->dev->dev, "no attach within %u ms: unmapping %u kept persistent grants\n",
		 keep_grants_ms, blk_keep_count(k));
	blk_keep_drop(k);
}

struct blk_keep *blk_keep_alloc(unsigned int nr_rings)
{
	struct blk_keep *k;
	unsigned int r;

	if (!keep_grants_ms || !nr_rings || nr_rings > XBQ_BLK_MAX_RINGS)
		return NULL;
	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return NULL;
	INIT_LIST_HEAD(&k->node);
	INIT_DELAYED_WORK(&k->expire, blk_keep_expire);
	k->nr_rings = nr_rings;
	for (r = 0; r < nr_rings; r++) {
		k->rings[r].gnts = kvcalloc(XBQ_BLK_MAX_PGRANTS,
					    sizeof(*k->rings[r].gnts),
					    GFP_KERNEL);
		if (!k->rings[r].gnts) {
			blk_keep_drop(k);
			return NULL;
		}
		k->rings[r].max = XBQ_BLK_MAX_PGRANTS;
	}
	return k;
}

/* Out of the store; NULL if not there. Its expiry may still be pending. */
static struct blk_keep *blk_keep_take_locked(struct xenbus_device *dev)
{
	struct blk_keep *k;

	lockdep_assert_held(&blk_keep_lock);
	list_for_each_entry(k, &blk_keep_list, node) {
		if (k->dev == dev) {
			list_del_init(&k->node);
			return k;
		}
	}
	return NULL;
}

/*
 * A committed entry out of the store: cancel its expiry and hand it over.
 * A reserved one (the release still filling it) is only marked gone; its
 * release frees it on commit.
 */
static struct blk_keep *blk_keep_claim(struct xenbus_device *dev)
{
	struct blk_keep *k;

	mutex_lock(&blk_keep_lock);
	k = blk_keep_take_locked(dev);
	if (k && !k->armed) {
		k->gone = true;
		k = NULL;
	}
	mutex_unlock(&blk_keep_lock);
	/* A running expiry finds it out of the store and leaves it. */
	if (k)
		cancel_delayed_work_sync(&k->expire);
	return k;
}

struct blk_keep *blk_keep_take(struct xenbus_device *dev)
{
	return blk_keep_claim(dev);
}

void blk_keep_reserve(struct xenbus_device *dev, struct blk_keep *k)
{
	struct blk_keep *old;

	get_device(&dev->dev);
	k->dev = dev;
	mutex_lock(&blk_keep_lock);
	old = blk_keep_take_locked(dev);
	/* One release per device at a time: an older entry is committed. */
	if (WARN_ON_ONCE(old && !old->armed)) {
		old->gone = true;
		old = NULL;
	}
	list_add(&k->node, &blk_keep_list);
	mutex_unlock(&blk_keep_lock);
	if (old) {
		cancel_delayed_work_sync(&old->expire);
		blk_keep_drop(old);
	}
}

void blk_keep_commit(struct blk_keep *k, bool ok)
{
	bool drop;

	mutex_lock(&blk_keep_lock);
	drop = !ok || k->gone;
	if (drop) {
		list_del_init(&k->node);
	} else {
		k->armed = true;
		queue_delayed_work(blk_keep_wq, &k->expire,
				   msecs_to_jiffies(keep_grants_ms));
	}
	mutex_unlock(&blk_keep_lock);
	if (!drop)
		return;
	if (k->gone && blk_keep_count(k))
		dev_info(&k->dev->dev, "removed during the release: unmapping %u kept persistent grants\n",
			 blk_keep_count(k));
	blk_keep_drop(k);
}

/* The backend device is going away: so is its domain. */
static int blk_keep_bus_event(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	struct xenbus_device *dev = to_xenbus_device(data);
	struct blk_keep *k;

	if (action != BUS_NOTIFY_DEL_DEVICE)
		return NOTIFY_DONE;
	k = blk_keep_claim(dev);
	if (k) {
		dev_info(&dev->dev, "removed: unmapping %u kept persistent grants\n",
			 blk_keep_count(k));
		blk_keep_drop(k);
	}
	return NOTIFY_DONE;
}

static struct notifier_block blk_keep_nb = {
	.notifier_call = blk_keep_bus_event,
};

int blk_keep_init(void)
{
	int err;

	blk_keep_wq = alloc_workqueue("xbq_keep", 0, 0);
	if (!blk_keep_wq)
		return -ENOMEM;
	err = xbq_bus_register_notifier(&blk_keep_nb);
	if (err)
		destroy_workqueue(blk_keep_wq);
	return err;
}

/*
 * No release runs now (xen-ncmig, which calls them, is gone). Empty the
 * store, then wait for the expiries that took their entry out already
 * and still unmap it: they run this module's code.
 */
void blk_keep_exit(void)
{
	struct blk_keep *k;

	xbq_bus_unregister_notifier(&blk_keep_nb);
	for (;;) {
		mutex_lock(&blk_keep_lock);
		k = list_first_entry_or_null(&blk_keep_list, struct blk_keep,
					     node);
		if (k)
			list_del_init(&k->node);
		mutex_unlock(&blk_keep_lock);
		if (!k)
			break;
		cancel_delayed_work_sync(&k->expire);
		blk_keep_drop(k);
	}
	destroy_workqueue(blk_keep_wq);
}
