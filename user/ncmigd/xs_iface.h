/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The few xenstore operations ncmigd needs, behind a table of functions
 * so that capture and restore can be unit-tested against a fake
 * (tests/unit/fake_xs.c).  xs_real.c implements them with libxenstore.
 *
 * Conventions: 0 or a negative errno; returned memory is malloc()ed and
 * the caller frees it (a directory is one block, like libxenstore's).
 * Between tx_start() and tx_end() every operation is in the transaction.
 */
#ifndef NCMIGD_XS_IFACE_H
#define NCMIGD_XS_IFACE_H

#include <stdbool.h>
#include <stdint.h>

#include "stream.h"

struct ncmig_xs;

struct ncmig_xs_watch_pair {
	char *path;
	char *token;
};

struct ncmig_xs_ops {
	int (*directory)(struct ncmig_xs *x, const char *path, char ***names,
			 unsigned int *num);
	/* Binary-safe: *len is the value's length; a NUL follows it. */
	int (*read)(struct ncmig_xs *x, const char *path, void **val,
		    unsigned int *len);
	int (*write)(struct ncmig_xs *x, const char *path, const void *val,
		     unsigned int len);
	/* The node and everything under it; 0 if it did not exist. */
	int (*rm)(struct ncmig_xs *x, const char *path);
	int (*get_perms)(struct ncmig_xs *x, const char *path,
			 struct ncmig_xs_perm **perms, unsigned int *num);
	int (*set_perms)(struct ncmig_xs *x, const char *path,
			 const struct ncmig_xs_perm *perms, unsigned int num);
	int (*tx_start)(struct ncmig_xs *x);
	/* -EAGAIN: the transaction lost a race; start again. */
	int (*tx_end)(struct ncmig_xs *x, bool abort);
	/*
	 * A domain's watches, listed or registered on its behalf (the
	 * GET/ADD_DOMAIN_WATCHES of Xen's xenstore-migration design).
	 * -EOPNOTSUPP when this xenstored does not offer them, which
	 * domain_watches_supported() finds out by asking it.
	 */
	int (*domain_watches_supported)(struct ncmig_xs *x);
	int (*get_domain_watches)(struct ncmig_xs *x, uint16_t domid,
				  struct ncmig_xs_watch_pair **w,
				  unsigned int *num);
	int (*add_domain_watches)(struct ncmig_xs *x, uint16_t domid,
				  const struct ncmig_xs_watch_pair *w,
				  unsigned int num);
};

struct ncmig_xs {
	const struct ncmig_xs_ops *ops;
	void *priv;
};

/* libxenstore, through the xenstored socket or /dev/xen/xenbus. */
struct ncmig_xs *ncmig_xs_open(void);
void ncmig_xs_close(struct ncmig_xs *x);
/*
 * Tests only: when set, ncmig_xs_open() returns what open() gives (a
 * fake) and ncmig_xs_close() hands it to close(), so a verb can run
 * whole against tests/unit/fake_xs.c.
 */
struct ncmig_xs_hooks {
	struct ncmig_xs *(*open)(void);
	void (*close)(struct ncmig_xs *x);
};
extern const struct ncmig_xs_hooks *ncmig_xs_hooks;

/* "/local/domain/<domid>" plus "/rel" unless rel is empty. */
int ncmig_xs_abs_path(char *buf, size_t cap, uint16_t domid, const char *rel);

void ncmig_xs_free_watches(struct ncmig_xs_watch_pair *w, unsigned int num);

#endif /* NCMIGD_XS_IFACE_H */
