// SPDX-License-Identifier: GPL-2.0
/*
 * netctl: a test frontend for one vif that programs the state only netback
 * holds, the way the Windows PV drivers do and Linux's netfront never
 * does: the Toeplitz hash configuration over the control ring, and a
 * multicast filter through Tx extra-info slots. It connects with two
 * queues when the backend offers them (per-queue rings and event channels
 * under queue-N/, as netfront does), so that the hash mapping table it
 * programs spreads over both. It does nothing else: no packet is sent or
 * received, the rings are polled.
 *
 * Load it, unbind netfront from the vif and bind this driver instead:
 *   insmod xen-netctl.ko
 *   echo vif-1 > /sys/bus/xen/drivers/vif/unbind
 *   echo vif-1 > /sys/bus/xen/drivers/netctl/bind
 * It reports on the kernel log ("netctl: NCMIG-RESULT ..."); dom0 then
 * reads netback's view of the same state.
 *
 * For the race scenarios, dom0 can also make it misbehave: it watches
 * data/netctl in its domain's xenstore area (it creates the node itself,
 * so dom0 may write it), and runs "COMMAND SEQ" once per SEQ, reporting
 * "netctl.done=SEQ" with the outcome. Commands:
 *   badtx      post one malformed Tx request on queue 0 (a slot running
 *              past its page), which makes netback disable the vif
 *   reconnect  close and connect again on fresh rings (a frontend's
 *              recovery); programs the hash and filter again
 *   ctrlpost   post SET_HASH_FLAGS and SET_HASH_MAPPING without waiting,
 *              then report their answers when they come (up to 120 s):
 *              for requests posted while the backend is away
 *   scribble   rewind queue 0's shared Tx rsp_prod by 5, as a hostile
 *              frontend can
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <xen/events.h>
#include <xen/grant_table.h>
#include <xen/interface/io/netif.h>
#include <xen/page.h>
#include <xen/xenbus.h>

#define NETCTL_MAPPING_SIZE	16
#define NETCTL_MAX_QUEUES	2
#define NETCTL_HASH_FLAGS	(XEN_NETIF_CTRL_HASH_TYPE_IPV4 | \
				 XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP | \
				 XEN_NETIF_CTRL_HASH_TYPE_IPV6 | \
				 XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP)

/* The groups it asks netback to let through. */
static const u8 netctl_mcast[][ETH_ALEN] = {
	{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb },
	{ 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 },
};

struct netctl_queue {
	struct xen_netif_tx_front_ring tx;
	struct xen_netif_rx_front_ring rx;
	grant_ref_t tx_ref, rx_ref;
	evtchn_port_t evtchn;
};

struct netctl {
	struct xenbus_device *dev;
	struct netctl_queue q[NETCTL_MAX_QUEUES];
	unsigned int num_queues;
	struct xen_netif_ctrl_front_ring ctrl;
	grant_ref_t ctrl_ref;
	evtchn_port_t ctrl_evtchn;
	struct work_struct work;
	bool programmed;
	unsigned int generation;	/* times programmed */
};

/* The instance commands apply to: the one bound last. */
static struct netctl *netctl_cur;
static DEFINE_MUTEX(netctl_lock);
static struct workqueue_struct *netctl_wq;

struct netctl_cmd {
	struct work_struct work;
	char name[16];
	unsigned int seq;
};

/* A page of key or mapping the backend copies from: granted read-only. */
static int netctl_grant_page(struct netctl *nc, const void *data, size_t len,
			     void **page, grant_ref_t *ref)
{
	int r;

	*page = (void *)get_zeroed_page(GFP_KERNEL);
	if (!*page)
		return -ENOMEM;
	memcpy(*page, data, len);
	r = gnttab_grant_foreign_access(nc->dev->otherend_id,
					virt_to_gfn(*page), 1);
	if (r < 0) {
		free_page((unsigned long)*page);
		return r;
	}
	*ref = r;
	return 0;
}

static void netctl_ungrant_page(void *page, grant_ref_t ref)
{
	gnttab_end_foreign_access(ref, virt_to_page(page));
}

/* Post one control request without waiting; returns its id. */
static u16 netctl_ctrl_post(struct netctl *nc, u16 type, u32 d0, u32 d1,
			    u32 d2)
{
	struct xen_netif_ctrl_request *req;
	static u16 id;

	req = RING_GET_REQUEST(&nc->ctrl, nc->ctrl.req_prod_pvt);
	req->id = ++id;
	req->type = type;
	req->data[0] = d0;
	req->data[1] = d1;
	req->data[2] = d2;
	nc->ctrl.req_prod_pvt++;
	RING_PUSH_REQUESTS(&nc->ctrl);
	notify_remote_via_evtchn(nc->ctrl_evtchn);
	return id;
}

/* The next response, which must answer request @id of @type: its
 * status, or -ETIMEDOUT after @ms.
 */
static int netctl_ctrl_wait(struct netctl *nc, u16 id, u16 type,
			    unsigned int ms)
{
	struct xen_netif_ctrl_response rsp;
	unsigned int i;

	for (i = 0; i < ms / 20; i++) {
		if (RING_HAS_UNCONSUMED_RESPONSES(&nc->ctrl)) {
			RING_COPY_RESPONSE(&nc->ctrl, nc->ctrl.rsp_cons, &rsp);
			nc->ctrl.rsp_cons++;
			if (rsp.id != id || rsp.type != type)
				return -EPROTO;
			return rsp.status;
		}
		msleep(20);
	}
	return -ETIMEDOUT;
}

/* One control request; the backend's status, or -ETIMEDOUT. */
static int netctl_ctrl(struct netctl *nc, u16 type, u32 d0, u32 d1, u32 d2)
{
	return netctl_ctrl_wait(nc, netctl_ctrl_post(nc, type, d0, d1, d2),
				type, 5000);
}

/* Ask for @addr through a Tx request on queue 0 that carries only an
 * extra slot.
 */
static int netctl_mcast_add(struct netctl *nc, const u8 *addr)
{
	struct netctl_queue *q = &nc->q[0];
	struct xen_netif_extra_info *extra;
	struct xen_netif_tx_request *req;
	struct xen_netif_tx_response rsp;
	RING_IDX prod = q->tx.req_prod_pvt;
	int i, status;

	req = RING_GET_REQUEST(&q->tx, prod);
	memset(req, 0, sizeof(*req));
	req->id = prod & 0xffff;
	req->flags = XEN_NETTXF_extra_info;
	extra = (struct xen_netif_extra_info *)RING_GET_REQUEST(&q->tx,
								 prod + 1);
	memset(extra, 0, sizeof(*extra));
	extra->type = XEN_NETIF_EXTRA_TYPE_MCAST_ADD;
	ether_addr_copy(extra->u.mcast.addr, addr);
	q->tx.req_prod_pvt = prod + 2;
	RING_PUSH_REQUESTS(&q->tx);
	notify_remote_via_evtchn(q->evtchn);

	/* A response for the request, then a NULL one for the extra slot. */
	for (i = 0; i < 250; i++) {
		if (q->tx.sring->rsp_prod - q->tx.rsp_cons >= 2) {
			RING_COPY_RESPONSE(&q->tx, q->tx.rsp_cons, &rsp);
			status = rsp.status;
			q->tx.rsp_cons += 2;
			return status == XEN_NETIF_RSP_OKAY ? 0 : -EIO;
		}
		msleep(20);
	}
	return -ETIMEDOUT;
}

static void netctl_program(struct work_struct *work)
{
	struct netctl *nc = container_of(work, struct netctl, work);
	u32 mapping[NETCTL_MAPPING_SIZE] = {};
	void *kpage = NULL, *mpage = NULL;
	grant_ref_t kref, mref;
	u8 key[40];
	int st[5] = { -1, -1, -1, -1, -1 }, mc[2] = { -1, -1 };
	unsigned int i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = 0x6d + 7 * i;
	/* Every queue in turn, so that the table names each of them. */
	for (i = 0; i < NETCTL_MAPPING_SIZE; i++)
		mapping[i] = i % nc->num_queues;
	if (netctl_grant_page(nc, key, sizeof(key), &kpage, &kref) ||
	    netctl_grant_page(nc, mapping, sizeof(mapping), &mpage, &mref)) {
		pr_err("NCMIG-RESULT netctl.ok=0 netctl.error=grant\n");
		goto out;
	}

	st[0] = netctl_ctrl(nc, XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM,
			    XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ, 0, 0);
	st[1] = netctl_ctrl(nc, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS,
			    NETCTL_HASH_FLAGS, 0, 0);
	st[2] = netctl_ctrl(nc, XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, kref,
			    sizeof(key), 0);
	st[3] = netctl_ctrl(nc, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE,
			    NETCTL_MAPPING_SIZE, 0, 0);
	st[4] = netctl_ctrl(nc, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, mref,
			    NETCTL_MAPPING_SIZE, 0);
	for (i = 0; i < ARRAY_SIZE(netctl_mcast); i++)
		mc[i] = netctl_mcast_add(nc, netctl_mcast[i]);

	nc->programmed = !st[0] && !st[1] && !st[2] && !st[3] && !st[4] &&
			 !mc[0] && !mc[1];
	nc->generation++;
	pr_err("NCMIG-RESULT netctl.ok=%d netctl.gen=%u netctl.queues=%u netctl.hash=%d,%d,%d,%d,%d netctl.mcast=%d,%d\n",
	       nc->programmed, nc->generation, nc->num_queues, st[0], st[1],
	       st[2], st[3], st[4], mc[0], mc[1]);
out:
	if (kpage)
		netctl_ungrant_page(kpage, kref);
	if (mpage)
		netctl_ungrant_page(mpage, mref);
}

/* One queue's rings and event channel: at the top level for a single
 * queue, under queue-N/ otherwise, as netfront writes them.
 */
static int netctl_publish_queue(struct netctl *nc, struct xenbus_transaction xbt,
				unsigned int id)
{
	struct netctl_queue *q = &nc->q[id];
	struct xenbus_device *dev = nc->dev;
	char *path;
	int err;

	if (nc->num_queues == 1)
		path = kstrdup(dev->nodename, GFP_KERNEL);
	else
		path = kasprintf(GFP_KERNEL, "%s/queue-%u", dev->nodename, id);
	if (!path)
		return -ENOMEM;
	err = xenbus_printf(xbt, path, "tx-ring-ref", "%u", q->tx_ref) ?:
	      xenbus_printf(xbt, path, "rx-ring-ref", "%u", q->rx_ref) ?:
	      xenbus_printf(xbt, path, "event-channel", "%u", q->evtchn);
	kfree(path);
	return err;
}

static int netctl_publish(struct netctl *nc)
{
	struct xenbus_device *dev = nc->dev;
	struct xenbus_transaction xbt;
	const char *what;
	unsigned int i;
	int err;

again:
	err = xenbus_transaction_start(&xbt);
	if (err)
		return err;
	/* What netfront left from before: its queues and split channels. */
	xenbus_rm(xbt, dev->nodename, "queue-0");
	xenbus_rm(xbt, dev->nodename, "queue-1");
	xenbus_rm(xbt, dev->nodename, "event-channel-tx");
	xenbus_rm(xbt, dev->nodename, "event-channel-rx");
	what = "queues";
	for (i = 0, err = 0; i < nc->num_queues && !err; i++)
		err = netctl_publish_queue(nc, xbt, i);
	if (err)
		goto fail;
	what = "keys";
	err = xenbus_printf(xbt, dev->nodename, "multi-queue-num-queues", "%u",
			    nc->num_queues) ?:
	      xenbus_printf(xbt, dev->nodename, "feature-sg", "0") ?:
	      xenbus_printf(xbt, dev->nodename, "feature-gso-tcpv4", "0") ?:
	      xenbus_printf(xbt, dev->nodename, "feature-gso-tcpv6", "0") ?:
	      xenbus_printf(xbt, dev->nodename, "feature-rx-notify", "0") ?:
	      xenbus_printf(xbt, dev->nodename, "request-rx-copy", "1") ?:
	      xenbus_printf(xbt, dev->nodename, "request-multicast-control",
			    "1") ?:
	      xenbus_printf(xbt, dev->nodename, "ctrl-ring-ref", "%u",
			    nc->ctrl_ref) ?:
	      xenbus_printf(xbt, dev->nodename, "event-channel-ctrl", "%u",
			    nc->ctrl_evtchn);
	if (err)
		goto fail;
	err = xenbus_transaction_end(xbt, 0);
	if (err == -EAGAIN)
		goto again;
	return err;

fail:
	xenbus_transaction_end(xbt, 1);
	xenbus_dev_fatal(dev, err, "writing %s", what);
	return err;
}

/* Polled: the ports are never bound to an interrupt here. */
static int netctl_setup_queue(struct netctl *nc, struct netctl_queue *q)
{
	struct xenbus_device *dev = nc->dev;
	void *p;
	int err;

	err = xenbus_setup_ring(dev, GFP_KERNEL, &p, 1, &q->tx_ref);
	if (err)
		return err;
	XEN_FRONT_RING_INIT(&q->tx, (struct xen_netif_tx_sring *)p,
			    XEN_PAGE_SIZE);
	err = xenbus_setup_ring(dev, GFP_KERNEL, &p, 1, &q->rx_ref);
	if (err)
		return err;
	XEN_FRONT_RING_INIT(&q->rx, (struct xen_netif_rx_sring *)p,
			    XEN_PAGE_SIZE);
	return xenbus_alloc_evtchn(dev, &q->evtchn);
}

static int netctl_setup(struct netctl *nc)
{
	struct xenbus_device *dev = nc->dev;
	unsigned int i;
	void *p;
	int err;

	/* As many queues as we want and the backend offers. */
	nc->num_queues = min_t(unsigned int, NETCTL_MAX_QUEUES,
			       xenbus_read_unsigned(dev->otherend,
						    "multi-queue-max-queues",
						    1));
	if (!nc->num_queues)
		nc->num_queues = 1;
	for (i = 0; i < nc->num_queues; i++) {
		err = netctl_setup_queue(nc, &nc->q[i]);
		if (err)
			return err;
	}
	err = xenbus_setup_ring(dev, GFP_KERNEL, &p, 1, &nc->ctrl_ref);
	if (err)
		return err;
	XEN_FRONT_RING_INIT(&nc->ctrl, (struct xen_netif_ctrl_sring *)p,
			    XEN_PAGE_SIZE);
	err = xenbus_alloc_evtchn(dev, &nc->ctrl_evtchn);
	if (!err)
		err = netctl_publish(nc);
	return err;
}

static void netctl_backend_changed(struct xenbus_device *dev,
				   enum xenbus_state state)
{
	struct netctl *nc = dev_get_drvdata(&dev->dev);

	switch (state) {
	case XenbusStateInitWait:
		if (dev->state != XenbusStateInitialising)
			break;
		if (netctl_setup(nc)) {
			xenbus_dev_fatal(dev, -EIO, "setting up netctl");
			break;
		}
		xenbus_switch_state(dev, XenbusStateConnected);
		break;
	case XenbusStateConnected:
		if (dev->state == XenbusStateConnected && !nc->programmed)
			schedule_work(&nc->work);
		break;
	default:
		break;
	}
}

/* ---- misbehaviour on dom0's command ---- */

/* A Tx request whose data runs past the end of its page: netback calls
 * that fatal (xenvif_fatal_tx_err()) and disables the vif.
 */
static int netctl_badtx(struct netctl *nc)
{
	struct netctl_queue *q = &nc->q[0];
	struct xen_netif_tx_request *req;
	RING_IDX prod = q->tx.req_prod_pvt;

	req = RING_GET_REQUEST(&q->tx, prod);
	memset(req, 0, sizeof(*req));
	req->id = prod & 0xffff;
	req->offset = XEN_PAGE_SIZE - 8;
	req->size = 64;
	q->tx.req_prod_pvt = prod + 1;
	RING_PUSH_REQUESTS(&q->tx);
	notify_remote_via_evtchn(q->evtchn);
	return 0;
}

/* The other end's state, polled for up to @ms. */
static bool netctl_wait_otherend(struct netctl *nc, enum xenbus_state want,
				 unsigned int ms)
{
	unsigned int i;

	for (i = 0; i < ms / 20; i++) {
		if (xenbus_read_driver_state(nc->dev->otherend) == want)
			return true;
		msleep(20);
	}
	return false;
}

/* Closing, Closed, then Initialising: netback tears the vif down and
 * connects it again on the rings netctl_setup() makes at InitWait. The
 * old rings are leaked (a test module).
 */
static int netctl_reconnect(struct netctl *nc)
{
	struct xenbus_device *dev = nc->dev;

	nc->programmed = false;
	xenbus_switch_state(dev, XenbusStateClosing);
	if (!netctl_wait_otherend(nc, XenbusStateClosing, 10000) &&
	    xenbus_read_driver_state(dev->otherend) != XenbusStateClosed)
		return -ETIMEDOUT;
	xenbus_switch_state(dev, XenbusStateClosed);
	if (!netctl_wait_otherend(nc, XenbusStateClosed, 10000))
		return -ETIMEDOUT;
	return xenbus_switch_state(dev, XenbusStateInitialising);
}

/* Two requests posted at once (possibly while no backend listens), the
 * mapping spread over every queue; the answers as they come.
 */
static void netctl_ctrlpost(struct netctl *nc, unsigned int seq)
{
	u32 mapping[NETCTL_MAPPING_SIZE] = {};
	void *mpage = NULL;
	grant_ref_t mref;
	int st[2] = { -1, -1 };
	unsigned int i;
	u16 id[2];

	for (i = 0; i < NETCTL_MAPPING_SIZE; i++)
		mapping[i] = (i + 1) % nc->num_queues;
	if (netctl_grant_page(nc, mapping, sizeof(mapping), &mpage, &mref)) {
		pr_err("NCMIG-RESULT netctl.done=%u netctl.ctrlpost=grant\n", seq);
		return;
	}
	id[0] = netctl_ctrl_post(nc, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS,
				 NETCTL_HASH_FLAGS, 0, 0);
	id[1] = netctl_ctrl_post(nc, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING,
				 mref, NETCTL_MAPPING_SIZE, 0);
	pr_err("NCMIG-RESULT netctl.posted=%u\n", seq);
	st[0] = netctl_ctrl_wait(nc, id[0], XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS,
				 120000);
	if (st[0] != -ETIMEDOUT)
		st[1] = netctl_ctrl_wait(nc, id[1],
					 XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING,
					 10000);
	pr_err("NCMIG-RESULT netctl.done=%u netctl.ctrlpost=%d,%d\n", seq,
	       st[0], st[1]);
	netctl_ungrant_page(mpage, mref);
}

/* A hostile frontend moves the backend's index under it. */
static void netctl_scribble(struct netctl *nc, unsigned int seq)
{
	struct xen_netif_tx_sring *sring = nc->q[0].tx.sring;
	RING_IDX was = READ_ONCE(sring->rsp_prod);

	WRITE_ONCE(sring->rsp_prod, was - 5);
	pr_err("NCMIG-RESULT netctl.done=%u netctl.scribble=%u,%u\n", seq,
	       was, was - 5);
}

static void netctl_cmd_run(struct work_struct *work)
{
	struct netctl_cmd *cmd = container_of(work, struct netctl_cmd, work);
	struct netctl *nc;
	int err = -ENODEV;

	mutex_lock(&netctl_lock);
	nc = netctl_cur;
	if (!nc || !nc->num_queues) {
		pr_err("NCMIG-RESULT netctl.done=%u netctl.%s=nodev\n",
		       cmd->seq, cmd->name);
	} else if (!strcmp(cmd->name, "ctrlpost")) {
		netctl_ctrlpost(nc, cmd->seq);
	} else if (!strcmp(cmd->name, "scribble")) {
		netctl_scribble(nc, cmd->seq);
	} else {
		if (!strcmp(cmd->name, "badtx"))
			err = netctl_badtx(nc);
		else if (!strcmp(cmd->name, "reconnect"))
			err = netctl_reconnect(nc);
		else
			err = -EINVAL;
		pr_err("NCMIG-RESULT netctl.done=%u netctl.%s=%d\n", cmd->seq,
		       cmd->name, err);
	}
	mutex_unlock(&netctl_lock);
	kfree(cmd);
}

static unsigned int netctl_last_seq;

/* data/netctl changed: run "COMMAND SEQ" once per SEQ. */
static void netctl_cmd_watch(struct xenbus_watch *watch, const char *path,
			     const char *token)
{
	struct netctl_cmd *cmd;
	unsigned int seq;
	char name[16];
	char *val;

	val = xenbus_read(XBT_NIL, "data", "netctl", NULL);
	if (IS_ERR(val))
		return;
	if (sscanf(val, "%15s %u", name, &seq) != 2 ||
	    seq == netctl_last_seq) {
		kfree(val);
		return;
	}
	kfree(val);
	netctl_last_seq = seq;
	cmd = kzalloc(sizeof(*cmd), GFP_KERNEL);
	if (!cmd)
		return;
	INIT_WORK(&cmd->work, netctl_cmd_run);
	strscpy(cmd->name, name, sizeof(cmd->name));
	cmd->seq = seq;
	queue_work(netctl_wq, &cmd->work);
}

static struct xenbus_watch netctl_watch = {
	.node = "data/netctl",
	.callback = netctl_cmd_watch,
};

static int netctl_probe(struct xenbus_device *dev,
			const struct xenbus_device_id *id)
{
	struct netctl *nc;

	nc = kzalloc(sizeof(*nc), GFP_KERNEL);
	if (!nc)
		return -ENOMEM;
	nc->dev = dev;
	INIT_WORK(&nc->work, netctl_program);
	dev_set_drvdata(&dev->dev, nc);
	mutex_lock(&netctl_lock);
	netctl_cur = nc;
	mutex_unlock(&netctl_lock);
	/* netback reconnects from Closed on seeing Initialising. */
	return xenbus_switch_state(dev, XenbusStateInitialising);
}

/* Test-only: the rings and grants stay until the domain goes. */
static void netctl_remove(struct xenbus_device *dev)
{
	struct netctl *nc = dev_get_drvdata(&dev->dev);

	mutex_lock(&netctl_lock);
	if (netctl_cur == nc)
		netctl_cur = NULL;
	mutex_unlock(&netctl_lock);
	cancel_work_sync(&nc->work);
	xenbus_switch_state(dev, XenbusStateClosed);
	dev_set_drvdata(&dev->dev, NULL);
	kfree(nc);
}

static const struct xenbus_device_id netctl_ids[] = {
	{ "vif" },
	{ "" }
};

static struct xenbus_driver netctl_driver = {
	.name = "netctl",
	.ids = netctl_ids,
	.probe = netctl_probe,
	.remove = netctl_remove,
	.otherend_changed = netctl_backend_changed,
};

static int __init netctl_init(void)
{
	int err;

	if (!xen_domain())
		return -ENODEV;
	netctl_wq = alloc_workqueue("netctl", 0, 0);
	if (!netctl_wq)
		return -ENOMEM;
	err = xenbus_register_frontend(&netctl_driver);
	if (err) {
		destroy_workqueue(netctl_wq);
		return err;
	}
	/* Ours, so that dom0 can write it and we can read it. */
	xenbus_write(XBT_NIL, "data", "netctl", "none 0");
	if (register_xenbus_watch(&netctl_watch))
		pr_warn("no watch on data/netctl: commands disabled\n");
	return 0;
}
module_init(netctl_init);

static void __exit netctl_exit(void)
{
	unregister_xenbus_watch(&netctl_watch);
	destroy_workqueue(netctl_wq);
	xenbus_unregister_driver(&netctl_driver);
}
module_exit(netctl_exit);

MODULE_DESCRIPTION("ncmig test frontend: programs netback's hash and multicast state");
MODULE_LICENSE("GPL");
