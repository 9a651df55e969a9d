// SPDX-License-Identifier: GPL-2.0
/*
 * The blkback adapter: xbq_blk_ops on top of the operations the patched
 * xen-blkback registers (xen/xen-backend-quiesce.h). Every call pins the
 * driver only for its own length, so that once a device is released the
 * driver can be unloaded, and the one loaded next serves the attach. A
 * call goes to the table of the driver the device is bound to: during a
 * rolling update two slots of xen-blkback serve devices side by side.
 */
#include <linux/bsearch.h>
#include <linux/build_bug.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "backend_ops.h"
#include "blk.h"
#include "blk_keep.h"
#include "core.h"

/* xen-blkback's registered operations, pinned for the length of one call. */
struct blk_api {
	const struct xbq_backend_ops *reg;
	const struct xbq_vbd_ops *ops;
};

/*
 * -ENOPKG unless the patched xen-blkback @dev is bound to (or, unbound,
 * the preferred one of a rolling update's two slots) registered its
 * operations.
 */
static int blk_api_get(struct blk_api *api, struct xenbus_device *dev)
{
	api->reg = xbq_backend_get_dev(XBQ_KIND_VBD, dev);
	api->ops = api->reg ? &api->reg->vbd : NULL;
	return api->reg ? 0 : -ENOPKG;
}

static void blk_api_put(struct blk_api *api)
{
	xbq_backend_put(api->reg);
}

static_assert(XEN_BLKBK_HO_PERSISTENT == XEN_NCMIG_VBD_F_PERSISTENT);
static_assert(XEN_BLKBK_HO_FLUSH == XEN_NCMIG_VBD_F_FLUSH);
static_assert(XEN_BLKBK_HO_BARRIER == XEN_NCMIG_VBD_F_BARRIER);
static_assert(XEN_BLKBK_HO_DISCARD == XEN_NCMIG_VBD_F_DISCARD);
static_assert(XEN_BLKBK_HO_SECURE_DISCARD == XEN_NCMIG_VBD_F_SECURE_DISCARD);
static_assert(sizeof(grant_ref_t) == sizeof(u32));

/* The frontend's domain and vbd handle, from "backend/vbd/DOMID/DEVID". */
static void blk_id(struct xenbus_device *dev, u32 *domid, u32 *devid)
{
	const char *p = strrchr(dev->nodename, '/');
	char dom[12];
	size_t n;

	*domid = 0;
	*devid = 0;
	if (!p || kstrtou32(p + 1, 10, devid))
		return;
	n = p - dev->nodename;
	while (n && dev->nodename[n - 1] != '/')
		n--;
	strscpy(dom, dev->nodename + n, min_t(size_t, sizeof(dom),
					      p - dev->nodename - n + 1));
	if (kstrtou32(dom, 10, domid))
		*domid = 0;
}

#define blk_msg(msg, dev, fmt, ...) do {				\
	u32 __dom, __vbd;						\
									\
	blk_id(dev, &__dom, &__vbd);					\
	xbq_msg(msg, "d%u vbd %u: " fmt, __dom, __vbd, ##__VA_ARGS__);	\
} while (0)

/* Name the usual failures of every call. */
static int blk_fail(struct xenbus_device *dev, int err, const char *op,
		    struct xbq_msg *msg)
{
	switch (err) {
	case -ENOPKG:
		blk_msg(msg, dev,
			"%s: no xen-blkback registered its handover operations (not loaded, or refused: see the kernel log)",
			op);
		break;
	case -ENODEV:
		blk_msg(msg, dev, "%s: not bound to xen-blkback", op);
		break;
	case -ENOTCONN:
		blk_msg(msg, dev, "%s: not connected to its frontend", op);
		break;
	case -EBUSY:
		blk_msg(msg, dev, "%s: not quiesced and drained", op);
		break;
	default:
		blk_msg(msg, dev, "%s failed (%d)", op, err);
	}
	return err;
}

static int blk_ho_info(struct xenbus_device *dev,
		       struct xen_blkbk_ho_info *hi)
{
	struct blk_api api;
	int err = blk_api_get(&api, dev);

	if (!err) {
		api.ops->info(dev, hi);
		blk_api_put(&api);
	}
	return err;
}

static int blk_quiesce(struct xenbus_device *dev, unsigned int timeout_ms,
		       u64 *drain_ns, struct xbq_msg *msg)
{
	struct xen_blkbk_ho_info hi;
	struct blk_api api;
	int err;

	err = blk_api_get(&api, dev);
	if (!err) {
		err = api.ops->quiesce(dev, timeout_ms);
		if (!err)
			api.ops->info(dev, &hi);
		blk_api_put(&api);
	}
	if (err == -ETIMEDOUT) {
		blk_msg(msg, dev, "requests still in flight after %u ms; resumed",
			timeout_ms);
		return err;
	}
	if (err)
		return blk_fail(dev, err, "quiesce", msg);
	*drain_ns = hi.drain_ns;
	return 0;
}

static int blk_resume(struct xenbus_device *dev, struct xbq_msg *msg)
{
	struct blk_api api;
	int err = blk_api_get(&api, dev);

	if (!err) {
		err = api.ops->resume(dev);
		blk_api_put(&api);
	}

	return err ? blk_fail(dev, err, "resume", msg) : 0;
}

static void blk_free_ho(struct xen_blkbk_handover *ho)
{
	unsigned int r;

	if (!ho)
		return;
	if (ho->rings)
		for (r = 0; r < ho->max_rings; r++) {
			kvfree(ho->rings[r].pgrants);
			/* Kept mappings no attach adopted. */
			if (ho->rings[r].kept.gnts)
				blk_keep_unmap_ring(&ho->rings[r].kept);
			kvfree(ho->rings[r].kept.gnts);
		}
	kfree(ho->rings);
	kfree(ho);
}

/* Room for @nr_rings rings with @max_pgrants persistent grants each. */
static struct xen_blkbk_handover *blk_alloc_ho(unsigned int nr_rings,
					       unsigned int max_pgrants)
{
	struct xen_blkbk_handover *ho;
	unsigned int r;

	ho = kzalloc(sizeof(*ho), GFP_KERNEL);
	if (!ho)
		return NULL;
	ho->rings = kcalloc(nr_rings, sizeof(*ho->rings), GFP_KERNEL);
	if (!ho->rings)
		goto fail;
	ho->max_rings = nr_rings;
	for (r = 0; r < nr_rings; r++) {
		if (!max_pgrants)
			continue;
		ho->rings[r].pgrants = kvmalloc_array(max_pgrants,
						      sizeof(grant_ref_t),
						      GFP_KERNEL);
		if (!ho->rings[r].pgrants)
			goto fail;
		ho->rings[r].max_pgrants = max_pgrants;
	}
	return ho;
fail:
	blk_free_ho(ho);
	return NULL;
}

static void blk_ho_to_snap(const struct xen_blkbk_handover *ho,
			   const struct xen_blkbk_ho_info *hi,
			   struct ncmig_vbd_state *v)
{
	unsigned int r;

	v->sectors = ho->sectors;
	v->sector_size = ho->sector_size;
	v->physical_sector_size = ho->physical_sector_size;
	v->info = ho->info;
	v->features = ho->features;
	v->max_indirect_segs = ho->max_indirect_segs;
	v->discard_granularity = ho->discard_granularity;
	v->discard_alignment = ho->discard_alignment;
	v->protocol = ho->protocol;
	v->nr_rings = ho->nr_rings;
	v->ring_page_order = ho->ring_page_order;
	for (r = 0; r < ho->nr_rings; r++) {
		const struct xen_blkbk_ho_ring *hr = &ho->rings[r];
		struct ncmig_vbd_ring *sr = &v->rings[r];

		sr->evtchn = hr->evtchn;
		sr->req_cons = hr->req_cons;
		sr->rsp_prod = hr->rsp_prod;
		sr->req_prod = hr->req_prod;
		sr->nr_refs = 1U << ho->ring_page_order;
		memcpy(sr->refs, hr->ring_ref, sr->nr_refs * sizeof(u32));
		sr->nr_pgrants = hr->nr_pgrants;
		sr->pgrants = hr->pgrants;	/* native u32, for encoding */
	}
	v->has_stats = true;
	v->drain_ns = hi->drain_ns;
	v->inflight_at_quiesce = hi->inflight_at_quiesce;
}

static int blk_snapshot(struct xenbus_device *dev, void **rec, size_t *len,
			struct xbq_msg *msg)
{
	struct xen_blkbk_handover *ho = NULL;
	struct ncmig_snap *snap = NULL;
	struct xen_blkbk_ho_info hi;
	struct blk_api api;
	u32 domid, devid;
	size_t need;
	void *buf;
	int err;

	err = blk_api_get(&api, dev);
	if (err)
		return blk_fail(dev, err, "snapshot", msg);
	api.ops->info(dev, &hi);
	if (!hi.nr_rings || hi.nr_rings > XBQ_BLK_MAX_RINGS) {
		blk_msg(msg, dev, "snapshot: %u rings, the record carries 1..%u",
			hi.nr_rings, XBQ_BLK_MAX_RINGS);
		return -E2BIG;
	}
	ho = blk_alloc_ho(hi.nr_rings, XBQ_BLK_MAX_PGRANTS);
	snap = kvzalloc(sizeof(*snap), GFP_KERNEL);
	if (!ho || !snap) {
		err = -ENOMEM;
		blk_msg(msg, dev, "snapshot: out of memory");
		goto out;
	}
	err = api.ops->save(dev, ho);
	if (err == -E2BIG) {
		blk_msg(msg, dev, "snapshot: more than %u rings or %u persistent grants per ring",
			XBQ_BLK_MAX_RINGS, XBQ_BLK_MAX_PGRANTS);
		goto out;
	}
	if (err) {
		blk_fail(dev, err, "snapshot", msg);
		goto out;
	}

	blk_id(dev, &domid, &devid);
	snap->kind = XEN_NCMIG_KIND_VBD;
	snap->domid = domid;
	snap->devid = devid;
	blk_ho_to_snap(ho, &hi, &snap->vbd);

	need = ncmig_snap_encoded_len(snap);
	buf = need ? kvmalloc(need, GFP_KERNEL) : NULL;
	if (!buf || ncmig_snap_encode(snap, buf, need) != need) {
		kvfree(buf);
		err = need ? -ENOMEM : -EINVAL;
		blk_msg(msg, dev, "snapshot: cannot encode the record (%d)", err);
		goto out;
	}
	*rec = buf;
	*len = need;
out:
	blk_api_put(&api);
	kvfree(snap);
	blk_free_ho(ho);
	return err;
}

/*
 * Release the device, keeping its persistent grants mapped for the attach
 * that follows (blk_keep.h) when there is room; else they are unmapped
 * and the attach maps them again, as far as the frontend still grants
 * them.
 */
static int blk_release(struct xenbus_device *dev, struct xbq_msg *msg)
{
	struct xen_blkbk_ho_info hi;
	struct blk_keep *k = NULL;
	struct blk_api api;
	int err = blk_api_get(&api, dev);

	if (!err) {
		api.ops->info(dev, &hi);
		if (hi.bound && hi.pgrants)
			k = blk_keep_alloc(hi.nr_rings);
		/* In the store before the unbind: a removal finds it. */
		if (k)
			blk_keep_reserve(dev, k);
		err = api.ops->release(dev, k ? k->rings : NULL,
				  k ? k->nr_rings : 0);
		blk_api_put(&api);
	}
	if (k) {
		xbq_test_keep_store_delay(&dev->dev);
		blk_keep_commit(k, !err);
	}
	if (err)
		return blk_fail(dev, err, "release", msg);
	return 0;
}

static int blk_gnt_cmp(const void *a, const void *b)
{
	const struct xen_blkbk_ho_gnt *x = a, *y = b;

	return x->gref < y->gref ? -1 : x->gref > y->gref;
}

/*
 * Split ring @r's persistent grants in the record between the ones @k
 * still has mapped, which the attach adopts, and the others, which it
 * maps again. Kept mappings the record does not list stay in @k.
 */
static int blk_split_pgrants(const struct ncmig_vbd_ring *sr,
			     struct xen_blkbk_ho_kept *kept,
			     struct xen_blkbk_ho_ring *hr)
{
	struct xen_blkbk_ho_gnt key = {}, *g;
	unsigned int i;

	hr->nr_pgrants = 0;
	if (kept && kept->nr) {
		hr->kept.gnts = kvcalloc(sr->nr_pgrants, sizeof(*g),
					 GFP_KERNEL);
		if (!hr->kept.gnts)
			return -ENOMEM;
		hr->kept.max = sr->nr_pgrants;
		sort(kept->gnts, kept->nr, sizeof(*g), blk_gnt_cmp, NULL);
	}
	for (i = 0; i < sr->nr_pgrants; i++) {
		key.gref = ncmig_snap_pgrant(sr, i);
		g = hr->kept.gnts ? bsearch(&key, kept->gnts, kept->nr,
					    sizeof(*g), blk_gnt_cmp) : NULL;
		if (g && g->page) {
			hr->kept.gnts[hr->kept.nr++] = *g;
			g->page = NULL;	/* moved */
		} else {
			hr->pgrants[hr->nr_pgrants++] = key.gref;
		}
	}
	return 0;
}

/*
 * The decoded (validated) record as the handover API takes it, with the
 * grants of @k (may be NULL) that it lists.
 */
static struct xen_blkbk_handover *blk_snap_to_ho(const struct ncmig_vbd_state *v,
						 struct blk_keep *k)
{
	struct xen_blkbk_handover *ho;
	unsigned int r, max = 0;

	for (r = 0; r < v->nr_rings; r++)
		max = max(max, v->rings[r].nr_pgrants);
	ho = blk_alloc_ho(v->nr_rings, max);
	if (!ho)
		return NULL;
	ho->sectors = v->sectors;
	ho->sector_size = v->sector_size;
	ho->physical_sector_size = v->physical_sector_size;
	ho->info = v->info;
	ho->features = v->features;
	ho->max_indirect_segs = v->max_indirect_segs;
	ho->discard_granularity = v->discard_granularity;
	ho->discard_alignment = v->discard_alignment;
	ho->protocol = v->protocol;
	ho->ring_page_order = v->ring_page_order;
	ho->nr_rings = v->nr_rings;
	for (r = 0; r < v->nr_rings; r++) {
		const struct ncmig_vbd_ring *sr = &v->rings[r];
		struct xen_blkbk_ho_ring *hr = &ho->rings[r];

		hr->evtchn = sr->evtchn;
		hr->req_cons = sr->req_cons;
		hr->rsp_prod = sr->rsp_prod;
		hr->req_prod = sr->req_prod;
		memcpy(hr->ring_ref, sr->refs, sr->nr_refs * sizeof(u32));
		if (blk_split_pgrants(sr, k && r < k->nr_rings ?
				      &k->rings[r] : NULL, hr)) {
			blk_free_ho(ho);
			return NULL;
		}
	}
	return ho;
}

static unsigned int blk_snap_pgrants(const struct ncmig_vbd_state *v)
{
	unsigned int r, n = 0;

	for (r = 0; r < v->nr_rings; r++)
		n += v->rings[r].nr_pgrants;
	return n;
}

static int blk_attach(struct xenbus_device *dev, const struct ncmig_snap *snap,
		      struct xbq_msg *msg)
{
	const struct ncmig_vbd_state *v = &snap->vbd;
	struct xen_blkbk_handover *ho;
	struct xen_blkbk_ho_info hi;
	struct blk_keep *k;
	struct blk_api api;
	char why[96] = "";
	u32 skew;
	int err;

	if (snap->kind != XEN_NCMIG_KIND_VBD || v->nr_rings > XBQ_BLK_MAX_RINGS ||
	    v->ring_page_order > XENBUS_MAX_RING_GRANT_ORDER) {
		blk_msg(msg, dev, "attach: not a vbd record this adapter can use");
		return -EINVAL;
	}
	/*
	 * Bind the driver if nothing did: a live device parks on probe. With
	 * two slots of xen-blkback loaded (a rolling update), the preferred
	 * one's.
	 */
	err = xbq_backend_bind(XBQ_KIND_VBD, dev);
	if (err) {
		blk_msg(msg, dev, "attach: no driver bound (%d)", err);
		return err;
	}

	/* Mappings the release kept: listed ones move into @ho, the rest go. */
	k = blk_keep_take(dev);
	ho = blk_snap_to_ho(v, k);
	blk_keep_drop(k);
	if (!ho) {
		blk_msg(msg, dev, "attach: out of memory");
		return -ENOMEM;
	}
	skew = xbq_test_rsp_skew(snap->devid);
	if (skew) {
		dev_info(&dev->dev, "test hook: ring 0's rsp_prod moved by %u\n",
			 skew);
		ho->rings[0].rsp_prod += skew;
		ho->rings[0].req_cons += skew;
	}
	err = blk_api_get(&api, dev);
	if (!err) {
		err = api.ops->attach(dev, ho, why, sizeof(why));
		if (!err)
			api.ops->info(dev, &hi);
		blk_api_put(&api);
	}
	blk_free_ho(ho);	/* unmaps kept grants not adopted */
	if (err && why[0]) {
		blk_msg(msg, dev, "attach refused: %s", why);
		return err;
	}
	if (err)
		return blk_fail(dev, err, "attach", msg);

	/* The lab checks that the persistent grants survived. */
	dev_info(&dev->dev, "attached from snapshot: pgrants before=%u after=%u revoked=%u kept=%u\n",
		 blk_snap_pgrants(v), hi.pgrants_kept + hi.pgrants_attached,
		 hi.pgrants_failed, hi.pgrants_kept);
	return 0;
}

static void blk_info(struct xenbus_device *dev, struct xbq_dev_info *info)
{
	struct xen_blkbk_ho_info hi;

	if (blk_ho_info(dev, &hi) || !hi.bound)
		return;
	info->answered = true;
	info->quiesced = hi.quiesced;
	info->parked = hi.parked;
	info->nr_rings = hi.nr_rings;
	info->inflight = hi.inflight;
	info->pgrants = hi.pgrants;
	info->drain_ns = hi.drain_ns;
}

const struct xbq_kind_ops xbq_blk_ops = {
	.type = "vbd",
	.kind = XEN_NCMIG_KIND_VBD,
	.quiesce = blk_quiesce,
	.resume = blk_resume,
	.snapshot = blk_snapshot,
	.release = blk_release,
	.attach = blk_attach,
	.info = blk_info,
};
