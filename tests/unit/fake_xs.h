/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * An in-memory xenstore behind the ncmigd xenstore interface
 * (ncmig.h): nodes with binary values and permission lists, parents
 * created on write like xenstored does, transactions that can be made
 * to lose races, and optional domain-watch support.
 */
#ifndef FAKE_XS_H
#define FAKE_XS_H

#include <stdbool.h>

#include "ncmig.h"

struct ncmig_xs *fake_xs_new(void);
void fake_xs_free(struct ncmig_xs *x);

/* Set a node (outside any transaction). perms like "n0 r5 b7". */
void fake_xs_set(struct ncmig_xs *x, const char *path, const void *val,
		 unsigned int len, const char *perms);
/* A node's value (NULL if absent) and its perms as "n0 r5" text. */
const void *fake_xs_get(struct ncmig_xs *x, const char *path,
			unsigned int *len, char *perms, size_t cap);
unsigned int fake_xs_count(struct ncmig_xs *x, const char *prefix);
/* The next @n transaction commits fail with -EAGAIN. */
void fake_xs_fail_commits(struct ncmig_xs *x, unsigned int n);
/*
 * Offer GET/ADD_DOMAIN_WATCHES, and the watches a domain has.
 * INVENTED: no released xenstored (Xen 4.17 included) can list or add a
 * domain's watches; this fake stands for the invented XS_CONTROL
 * commands of user/lib/xs_real.c.  A test that turns this on tests
 * ncmigd against a xenstored that does not exist, not against Xen; what
 * real xenstored does (no watch support: watches not carried) is the
 * default, and the lab's xs-roundtrip checks it against Xen 4.17.
 */
void fake_xs_support_watches(struct ncmig_xs *x, bool on);
void fake_xs_add_watch(struct ncmig_xs *x, unsigned int domid,
		       const char *path, const char *token);
/* "path|token" of the i-th watch registered for @domid, or NULL. */
const char *fake_xs_watch(struct ncmig_xs *x, unsigned int domid,
			  unsigned int i);
/* add_domain_watches fails with @rc (0: works again). */
void fake_xs_fail_add_watches(struct ncmig_xs *x, int rc);
/*
 * Every node outside a transaction as sorted text, one line each:
 * "path perms hexvalue"; malloc()ed.  Nodes under @skip (NULL: none)
 * are left out.
 */
char *fake_xs_dump(struct ncmig_xs *x, const char *skip);
/* Nodes in the store (MAX_NODES at most) and room left. */
unsigned int fake_xs_room(struct ncmig_xs *x);
/* Writes made (outside and inside committed transactions). */
unsigned int fake_xs_writes(struct ncmig_xs *x);

/*
 * Requests made (each operation but next_event, which hands out what
 * libxenstore has already read), for what a step costs in round trips.
 */
unsigned int fake_xs_requests(struct ncmig_xs *x);
/* XS_WATCH refused with -EOPNOTSUPP. */
void fake_xs_no_watch(struct ncmig_xs *x, bool on);
/* Events our watch has queued and nobody has taken yet. */
unsigned int fake_xs_pending_events(struct ncmig_xs *x);
/* Outside a transaction, as another client would (events fire). */
void fake_xs_set_perms(struct ncmig_xs *x, const char *path,
		       const char *perms);
void fake_xs_rm(struct ncmig_xs *x, const char *path);

#endif
