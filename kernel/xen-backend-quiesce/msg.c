// SPDX-License-Identifier: GPL-2.0
/*
 * xbq_msg(): the one way the core and the adapters report a failure. The
 * text names the domain and device ("d5 vbd 51712: ..."); it goes to the
 * kernel log and, through xen-ncmig, to userspace as the extack message.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>

#include "xbq.h"

void xbq_msg(struct xbq_msg *msg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vscnprintf(msg->text, sizeof(msg->text), fmt, ap);
	va_end(ap);
	pr_warn("xen-backend-quiesce: %s\n", msg->text);
}
EXPORT_SYMBOL_GPL(xbq_msg);
