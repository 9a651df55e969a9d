// SPDX-License-Identifier: GPL-2.0
/*
 * The netback adapter: xbq_net_ops on top of the operations the patched
 * xen-netback registers (xen/xen-backend-quiesce.h). Every call pins the
 * driver only for its own length, so that once a vif is released the
 * driver can be unloaded, and the one loaded next serves the attach.
 *
 * Netback keeps the vifD.N netdev across a release when it can (the
 * bridge port, addresses and firewall rules stay with it). A module
 * reload destroys it, since its ops live in the module; the new instance
 * creates a new one. So the snapshot also notes where the netdev was
 * placed (its master and whether it was up), and the attach puts the new
 * one back there before the frontend is kicked. That placement is a fact
 * of this host (an ifindex), not of the guest: it stays in this module,
 * which outlives the driver's reload, and not in the record, which may
 * travel to another host.
 */
#include <linux/build_bug.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/net_namespace.h>

#include "backend_ops.h"
#include "net.h"

/*
 * Call the registered operation @op of the xen-netback @dev is bound to
 * (unbound: the preferred one of a rolling update's two slots), pinning
 * the driver for the length of the call, or fail with -ENOPKG if that
 * driver registered none.
 */
#define net_call(op, dev, ...) ({					\
	struct xenbus_device *__dev = (dev);				\
	const struct xbq_backend_ops *__reg;				\
	int __err = -ENOPKG;						\
									\
	__reg = xbq_backend_get_dev(XBQ_KIND_VIF, __dev);		\
	if (__reg) {							\
		__err = __reg->vif.op(__dev, ##__VA_ARGS__);		\
		xbq_backend_put(__reg);					\
	}								\
	__err;								\
})

static int net_ho_info(struct xenbus_device *dev, struct xenvif_ho_stats *st)
{
	return net_call(info, dev, st);
}

/*
 * xen-netback's netdev for @dev, with a reference held, or NULL. Named
 * by its ifindex: no pointer into the driver crosses the interface.
 */
static struct net_device *net_netdev(struct xenbus_device *dev)
{
	struct xenvif_ho_stats st;

	if (net_ho_info(dev, &st) || st.ifindex <= 0)
		return NULL;
	return dev_get_by_index(&init_net, st.ifindex);
}

static_assert(XENVIF_HO_F_SG == XEN_NCMIG_VIF_F_SG);
static_assert(XENVIF_HO_F_GSO_TCPV4 == XEN_NCMIG_VIF_F_GSO_TCPV4);
static_assert(XENVIF_HO_F_GSO_TCPV6 == XEN_NCMIG_VIF_F_GSO_TCPV6);
static_assert(XENVIF_HO_F_IP_CSUM == XEN_NCMIG_VIF_F_IP_CSUM);
static_assert(XENVIF_HO_F_IPV6_CSUM == XEN_NCMIG_VIF_F_IPV6_CSUM);
static_assert(XENVIF_HO_F_MCAST_CTRL == XEN_NCMIG_VIF_F_MCAST_CTRL);
static_assert(XENVIF_HO_F_SPLIT_EVTCHN == XEN_NCMIG_VIF_F_SPLIT_EVTCHN);
static_assert(XENVIF_HO_F_CTRL_RING == XEN_NCMIG_VIF_F_CTRL_RING);
static_assert(XENVIF_HO_MAX_MCAST == XEN_NCMIG_MAX_MCAST);
static_assert(XENVIF_HO_HASH_KEY_SIZE == XEN_NCMIG_HASH_KEY_MAX);
static_assert(XENVIF_HO_HASH_MAPPING_SIZE == XEN_NCMIG_HASH_MAP_MAX);

/* The frontend's domain and vif index, from "backend/vif/DOMID/DEVID". */
static void net_id(struct xenbus_device *dev, u32 *domid, u32 *devid)
{
	if (sscanf(dev->nodename, "backend/vif/%u/%u", domid, devid) != 2) {
		*domid = dev->otherend_id;
		*devid = 0;
	}
}

#define net_msg(msg, dev, fmt, ...) do {				\
	u32 __dom, __vif;						\
									\
	net_id(dev, &__dom, &__vif);					\
	xbq_msg(msg, "d%u vif %u: " fmt, __dom, __vif, ##__VA_ARGS__);	\
} while (0)

/* Name the usual failures of every call, or quote netback's reason. */
static int net_fail(struct xenbus_device *dev, int err, const char *op,
		    const struct xenvif_ho_msg *why, struct xbq_msg *msg)
{
	if (err == -ENOPKG)
		net_msg(msg, dev,
			"%s: no xen-netback registered its handover operations (not loaded, or refused: see the kernel log)",
			op);
	else if (why && why->text[0])
		net_msg(msg, dev, "%s: %s", op, why->text);
	else if (err == -ENODEV)
		net_msg(msg, dev, "%s: not bound to xen-netback", op);
	else
		net_msg(msg, dev, "%s failed (%d)", op, err);
	return err;
}

/* ---- where the netdev sat, across a reload of the driver ---- */

struct net_place {
	u16 domid;
	u32 devid;
	bool used;
	int ifindex;		/* the netdev the snapshot saw */
	int master;		/* its master's ifindex, 0 if none */
	bool up;
	u64 seq;		/* age, to forget the oldest */
};

static struct net_place net_places[XBQ_NET_MAX_PLACES];
static DEFINE_MUTEX(net_places_lock);
static u64 net_places_seq;

static struct net_place *net_place_find(u32 domid, u32 devid)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(net_places); i++) {
		struct net_place *p = &net_places[i];

		if (p->used && p->domid == domid && p->devid == devid)
			return p;
	}
	return NULL;
}

static void net_place_note(struct xenbus_device *dev)
{
	struct net_device *ndev, *master;
	struct net_place *p, *slot;
	u32 domid, devid;
	unsigned int i;

	ndev = net_netdev(dev);
	if (!ndev)
		return;

	net_id(dev, &domid, &devid);
	mutex_lock(&net_places_lock);
	/* This vif's slot, else a free one, else the oldest. */
	slot = net_place_find(domid, devid);
	for (i = 0; !slot && i < ARRAY_SIZE(net_places); i++)
		if (!net_places[i].used)
			slot = &net_places[i];
	if (!slot) {
		slot = &net_places[0];
		for (p = slot; p < net_places + ARRAY_SIZE(net_places); p++)
			if (p->seq < slot->seq)
				slot = p;
	}
	rtnl_lock();
	master = netdev_master_upper_dev_get(ndev);
	slot->ifindex = ndev->ifindex;
	slot->master = master ? master->ifindex : 0;
	slot->up = !!(ndev->flags & IFF_UP);
	rtnl_unlock();
	slot->domid = domid;
	slot->devid = devid;
	slot->used = true;
	slot->seq = ++net_places_seq;
	mutex_unlock(&net_places_lock);
	dev_put(ndev);
}

static void net_place_forget(struct xenbus_device *dev)
{
	struct net_place *p;
	u32 domid, devid;

	net_id(dev, &domid, &devid);
	mutex_lock(&net_places_lock);
	p = net_place_find(domid, devid);
	if (p)
		p->used = false;
	mutex_unlock(&net_places_lock);
}

/*
 * Put a netdev the attach created where the snapshot saw the old one.
 * A netdev kept across the release is already there.
 */
static int net_place_restore(struct xenbus_device *dev, struct xbq_msg *msg)
{
	struct net_device *ndev, *master = NULL;
	struct net_place p = {};
	struct net_place *found;
	u32 domid, devid;
	int err = 0;

	net_id(dev, &domid, &devid);
	mutex_lock(&net_places_lock);
	found = net_place_find(domid, devid);
	if (found) {
		p = *found;
		found->used = false;
	}
	mutex_unlock(&net_places_lock);

	ndev = net_netdev(dev);
	if (!ndev) {
		net_msg(msg, dev, "attach: no netdev after the attach");
		return -ENODEV;
	}
	if (!p.used || ndev->ifindex == p.ifindex)
		goto out;

	rtnl_lock();
	if (p.master) {
		master = __dev_get_by_index(&init_net, p.master);
		if (!master || !master->netdev_ops->ndo_add_slave) {
			net_msg(msg, dev, "attach: %s: master ifindex %d is gone",
				ndev->name, p.master);
			err = -ENODEV;
		} else if (netdev_master_upper_dev_get(ndev) != master) {
			err = master->netdev_ops->ndo_add_slave(master, ndev,
								NULL);
			if (err)
				net_msg(msg, dev, "attach: adding %s to %s: %d",
					ndev->name, master->name, err);
		}
	}
	if (!err && p.up && !(ndev->flags & IFF_UP)) {
		err = dev_change_flags(ndev, ndev->flags | IFF_UP, NULL);
		if (err)
			net_msg(msg, dev, "attach: bringing %s up: %d",
				ndev->name, err);
	}
	rtnl_unlock();
	if (!err)
		dev_info(&dev->dev, "%s recreated: master %s, %s\n",
			 ndev->name, master ? master->name : "none",
			 p.up ? "up" : "down");
out:
	dev_put(ndev);
	return err;
}

/* ---- the operations ---- */

static int net_quiesce(struct xenbus_device *dev, unsigned int timeout_ms,
		       u64 *drain_ns, struct xbq_msg *msg)
{
	struct xenvif_ho_msg why = {};
	struct xenvif_ho_stats st;
	int err;

	err = net_call(quiesce, dev, timeout_ms, &st, &why);
	if (err)
		return net_fail(dev, err, "quiesce", &why, msg);
	*drain_ns = st.drain_ns;
	return 0;
}

static int net_resume(struct xenbus_device *dev, struct xbq_msg *msg)
{
	struct xenvif_ho_msg why = {};
	int err;

	net_place_forget(dev);
	err = net_call(resume, dev, &why);
	return err ? net_fail(dev, err, "resume", &why, msg) : 0;
}

static void net_ho_to_snap(const struct xenvif_ho_state *ho,
			   const struct xenvif_ho_stats *hs,
			   struct ncmig_vif_state *v)
{
	unsigned int i;

	memcpy(v->mac, ho->mac, sizeof(v->mac));
	v->mtu = ho->mtu;
	v->features = ho->features;
	v->nr_queues = ho->num_queues;
	if (ho->features & XENVIF_HO_F_CTRL_RING) {
		v->ctrl_ref = ho->ctrl_ring_ref;
		v->ctrl_evtchn = ho->ctrl_evtchn;
		v->ctrl_req_cons = ho->ctrl_req_cons;
		v->ctrl_rsp_prod = ho->ctrl_rsp_prod;
		/* Set over the control ring only: carried with it. */
		v->has_hash = true;
		v->hash_alg = ho->hash_alg;
		v->hash_flags = ho->hash_flags;
		v->hash_key_len = XENVIF_HO_HASH_KEY_SIZE;
		memcpy(v->hash_key, ho->hash_key, sizeof(v->hash_key));
		v->hash_map_size = ho->hash_mapping_size;
		memcpy(v->hash_map, ho->hash_mapping,
		       ho->hash_mapping_size * sizeof(u32));
	}
	for (i = 0; i < ho->num_queues; i++) {
		const struct xenvif_ho_queue *hq = &ho->queues[i];
		struct ncmig_vif_queue *q = &v->queues[i];

		q->tx_ref = hq->tx_ring_ref;
		q->rx_ref = hq->rx_ring_ref;
		q->tx_evtchn = hq->tx_evtchn;
		q->rx_evtchn = hq->rx_evtchn;
		q->tx_req_cons = hq->tx_req_cons;
		q->tx_rsp_prod = hq->tx_rsp_prod;
		q->rx_req_cons = hq->rx_req_cons;
		q->rx_rsp_prod = hq->rx_rsp_prod;
	}
	v->has_mcast = true;
	v->mcast_count = ho->mcast_count;
	memcpy(v->mcast, ho->mcast, ho->mcast_count * ETH_ALEN);
	v->has_rate = true;
	v->credit_bytes = ho->credit_bytes;
	v->credit_usec = ho->credit_usec;
	v->has_stats = true;
	v->drain_ns = hs->drain_ns;
	v->rx_dropped = hs->rx_dropped;
	v->tx_copied = 0;	/* a stuck packet fails the quiesce */
}

static int net_snapshot(struct xenbus_device *dev, void **rec, size_t *len,
			struct xbq_msg *msg)
{
	struct xenvif_ho_msg why = {};
	struct xenvif_ho_state *ho;
	struct xenvif_ho_stats hs;
	struct ncmig_snap *snap;
	u32 domid, devid;
	size_t need;
	void *buf;
	int err;

	ho = kvzalloc(sizeof(*ho), GFP_KERNEL);
	snap = kvzalloc(sizeof(*snap), GFP_KERNEL);
	if (!ho || !snap) {
		err = -ENOMEM;
		net_msg(msg, dev, "snapshot: out of memory");
		goto out;
	}
	err = net_ho_info(dev, &hs);
	if (!err)
		err = net_call(save, dev, ho, &why);
	if (err) {
		net_fail(dev, err, "snapshot", &why, msg);
		goto out;
	}
	if (ho->num_queues > XBQ_NET_MAX_QUEUES) {
		err = -E2BIG;
		net_msg(msg, dev, "snapshot: %u queues, the record carries %u",
			ho->num_queues, XBQ_NET_MAX_QUEUES);
		goto out;
	}

	net_id(dev, &domid, &devid);
	snap->kind = XEN_NCMIG_KIND_VIF;
	snap->domid = domid;
	snap->devid = devid;
	net_ho_to_snap(ho, &hs, &snap->vif);

	need = ncmig_snap_encoded_len(snap);
	buf = need ? kvmalloc(need, GFP_KERNEL) : NULL;
	if (!buf || ncmig_snap_encode(snap, buf, need) != need) {
		kvfree(buf);
		err = need ? -ENOMEM : -EINVAL;
		net_msg(msg, dev, "snapshot: cannot encode the record (%d)", err);
		goto out;
	}
	net_place_note(dev);
	*rec = buf;
	*len = need;
out:
	kvfree(snap);
	kvfree(ho);
	return err;
}

static int net_release(struct xenbus_device *dev, struct xbq_msg *msg)
{
	struct xenvif_ho_msg why = {};
	int err;

	err = net_call(release, dev, &why);
	return err ? net_fail(dev, err, "release", &why, msg) : 0;
}

/* The decoded (validated) record as the handover API takes it. */
static void net_snap_to_ho(const struct ncmig_vif_state *v,
			   struct xenvif_ho_state *ho)
{
	unsigned int i;

	memcpy(ho->mac, v->mac, sizeof(ho->mac));
	ho->mtu = v->mtu;
	ho->features = v->features;
	ho->num_queues = v->nr_queues;
	ho->ctrl_ring_ref = v->ctrl_ref;
	ho->ctrl_evtchn = v->ctrl_evtchn;
	ho->ctrl_req_cons = v->ctrl_req_cons;
	ho->ctrl_rsp_prod = v->ctrl_rsp_prod;
	if (v->has_hash) {
		ho->hash_alg = v->hash_alg;
		ho->hash_flags = v->hash_flags;
		memcpy(ho->hash_key, v->hash_key, v->hash_key_len);
		ho->hash_mapping_size = v->hash_map_size;
		memcpy(ho->hash_mapping, v->hash_map,
		       v->hash_map_size * sizeof(u32));
	}
	for (i = 0; i < v->nr_queues; i++) {
		const struct ncmig_vif_queue *q = &v->queues[i];
		struct xenvif_ho_queue *hq = &ho->queues[i];

		hq->tx_ring_ref = q->tx_ref;
		hq->rx_ring_ref = q->rx_ref;
		hq->tx_evtchn = q->tx_evtchn;
		hq->rx_evtchn = q->rx_evtchn;
		hq->tx_req_cons = q->tx_req_cons;
		hq->tx_rsp_prod = q->tx_rsp_prod;
		hq->rx_req_cons = q->rx_req_cons;
		hq->rx_rsp_prod = q->rx_rsp_prod;
	}
	if (v->has_mcast) {
		ho->mcast_count = v->mcast_count;
		memcpy(ho->mcast, v->mcast, v->mcast_count * ETH_ALEN);
	}
	/* No rate item: unlimited, as netback reads a missing "rate". */
	ho->credit_bytes = v->has_rate ? v->credit_bytes : ~0ULL;
	ho->credit_usec = v->has_rate ? v->credit_usec : 0;
}

static int net_attach(struct xenbus_device *dev, const struct ncmig_snap *snap,
		      struct xbq_msg *msg)
{
	const struct ncmig_vif_state *v = &snap->vif;
	struct xenvif_ho_msg why = {};
	struct xenvif_ho_state *ho;
	int err;

	if (snap->kind != XEN_NCMIG_KIND_VIF || !v->nr_queues ||
	    v->nr_queues > XBQ_NET_MAX_QUEUES ||
	    (v->has_mcast && v->mcast_count > XENVIF_HO_MAX_MCAST) ||
	    (v->has_hash && (v->hash_key_len > XENVIF_HO_HASH_KEY_SIZE ||
			     v->hash_map_size > XENVIF_HO_HASH_MAPPING_SIZE))) {
		net_msg(msg, dev, "attach: not a vif record this adapter can use");
		return -EINVAL;
	}

	ho = kvzalloc(sizeof(*ho), GFP_KERNEL);
	if (!ho) {
		net_msg(msg, dev, "attach: out of memory");
		return -ENOMEM;
	}
	net_snap_to_ho(v, ho);
	/*
	 * Bind xen-netback if nothing did (a live vif parks on probe): with
	 * two slots loaded (a rolling update), the preferred one's.
	 */
	err = xbq_backend_bind(XBQ_KIND_VIF, dev);
	if (err) {
		kvfree(ho);
		net_msg(msg, dev, "attach: no driver bound (%d)", err);
		return err;
	}
	err = net_call(attach, dev, ho, &why);
	kvfree(ho);
	if (err)
		return net_fail(dev, err, "attach", &why, msg);

	/* Attached but quiesced: place the netdev before the guest sees it. */
	err = net_place_restore(dev, msg);
	if (err)
		dev_warn(&dev->dev, "%s\n", msg->text);

	err = net_call(resume, dev, &why);
	if (err)
		return net_fail(dev, err, "attach: resume", &why, msg);
	return 0;
}

static void net_info(struct xenbus_device *dev, struct xbq_dev_info *info)
{
	struct xenvif_ho_stats hs;

	if (net_ho_info(dev, &hs))
		return;
	info->answered = true;
	info->quiesced = hs.quiesced;
	info->parked = hs.parked;
	info->nr_rings = hs.num_queues;
	info->inflight = hs.tx_pending;
	info->drain_ns = hs.drain_ns;
	info->dropped = hs.rx_dropped;
}

#ifdef NCMIG_TEST_HOOKS
/*
 * Lab only (NCMIG_TEST_HOOKS): writing N to the test_net_rtnl_hold_ms
 * parameter holds the RTNL for N ms (at most 10 s) in the writer's
 * context, as any busy `ip` or bridge tool does on a real host. It makes
 * the window in which netback's queue 0 thread disables a rogue vif (it
 * waits for the RTNL in xenvif_carrier_off()) wide enough for a quiesce
 * to land in it every time: the race-net-rogue scenario.
 */
static int net_test_rtnl_hold(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int err;

	err = kstrtouint(val, 0, &ms);
	if (err)
		return err;
	if (ms > 10000)
		return -ERANGE;
	rtnl_lock();
	msleep(ms);
	rtnl_unlock();
	return 0;
}

static const struct kernel_param_ops net_test_rtnl_hold_ops = {
	.set = net_test_rtnl_hold,
};
module_param_cb(test_net_rtnl_hold_ms, &net_test_rtnl_hold_ops, NULL, 0200);
MODULE_PARM_DESC(test_net_rtnl_hold_ms,
		 "(lab tests only) hold the RTNL this many ms");
#endif /* NCMIG_TEST_HOOKS */

const struct xbq_kind_ops xbq_net_ops = {
	.type = "vif",
	.kind = XEN_NCMIG_KIND_VIF,
	.quiesce = net_quiesce,
	.resume = net_resume,
	.snapshot = net_snapshot,
	.release = net_release,
	.attach = net_attach,
	.info = net_info,
};
