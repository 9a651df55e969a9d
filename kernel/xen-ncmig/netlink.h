/* SPDX-License-Identifier: GPL-2.0 */
/* The xen_ncmig generic netlink family: the only speaker of the uapi. */
#ifndef NCMIG_NETLINK_H
#define NCMIG_NETLINK_H

#include <linux/types.h>

int ncmig_nl_init(void);
void ncmig_nl_exit(void);

/* Multicast an event (enum xen_ncmig_event_kind) to the "events" group. */
void ncmig_nl_event(u16 domid, u32 event, u32 state, int err,
		    const char *text);

#endif /* NCMIG_NETLINK_H */
