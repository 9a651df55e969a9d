/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * One domain's xenstore area as stream records: capture the whole
 * /local/domain/<domid> subtree (values binary-safe, complete permission
 * lists, paths relative to the home), and restore it onto a target
 * domid, rewriting owner and ACL entries that named the old domid.
 */
#ifndef NCMIGD_XS_DOMAIN_H
#define NCMIGD_XS_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stream.h"
#include "xs_iface.h"

/* What happened to the watches, for the report. */
enum ncmig_watch_status {
	NCMIG_WATCHES_CARRIED,		/* listed (save) / registered (restore) */
	NCMIG_WATCHES_UNSUPPORTED,	/* this xenstored cannot do it */
	NCMIG_WATCHES_NOT_IN_STREAM,	/* restore: the source could not list */
};

struct ncmig_xs_capture {
	uint16_t domid;
	size_t nr_nodes;
	size_t value_bytes;
	enum ncmig_watch_status watches;
	size_t nr_watches;
	unsigned int tx_retries;
	/* NODE_DATA and WATCH_DATA bodies, in stream order. */
	struct ncmig_xs_body {
		uint32_t type;
		unsigned char *body;
		size_t len;
	} *bodies;
	size_t nr_bodies;
};

/*
 * Read the domain's area in one transaction (retried on a race) into
 * @c.  Watches are listed only when the xenstored offers it.
 */
int ncmig_xs_capture(struct ncmig_xs *x, uint16_t domid,
		     struct ncmig_xs_capture *c);
/* NCMIG_DOM_F_XS_* flags that describe @c for the DOMAIN record. */
uint32_t ncmig_xs_capture_flags(const struct ncmig_xs_capture *c);
/* Append @c's records to @w (after the DOMAIN record). */
int ncmig_xs_capture_write(const struct ncmig_xs_capture *c,
			   struct ncmig_writer *w);
void ncmig_xs_capture_free(struct ncmig_xs_capture *c);

/* An operator's --map-domid A=B: ACL entries naming A name B. */
struct ncmig_domid_map {
	uint16_t from, to;
};

struct ncmig_xs_restore_opts {
	bool overwrite;		/* replace nodes the target already has */
	/* Leave the frontend's device/ nodes alone (backend records present) */
	bool keep_device;
	const struct ncmig_domid_map *map;
	size_t nr_map;
	/* Keep what ncmig_xs_restore_undo() needs (free it with
	 * ncmig_xs_restore_free()); without it the journal is dropped.
	 */
	bool keep_undo;
};

/* A node as it was before restore wrote it. */
struct ncmig_xs_undo {
	char *path;
	bool existed;		/* else restore created it: remove it */
	void *val;
	unsigned int len;
	struct ncmig_xs_perm *perms;
	unsigned int nr_perms;
};

struct ncmig_xs_restore {
	uint16_t from, to;
	size_t nr_nodes;
	size_t nr_existing;	/* target nodes that already existed */
	size_t perms_rewritten;	/* entries that named @from */
	enum ncmig_watch_status watches;
	size_t nr_watches;
	unsigned int tx_retries;
	char existing[128];	/* first node left alone */
	size_t nr_toolstack;	/* toolstack-owned nodes not written */
	size_t nr_device;	/* device/ nodes not written (keep_device) */
	size_t values_rebased;	/* values naming the old home or backend dir */
	struct ncmig_xs_undo *undo;	/* in the order written */
	size_t nr_undo, cap_undo;
	char refused[192];	/* why, when -EPERM */
};

/*
 * Write @s's nodes under /local/domain/@to in one transaction, parents
 * first, with permissions rewritten.  A node that already exists there
 * is left alone (counted in nr_existing, the first named in r->existing)
 * unless @overwrite.
 */
int ncmig_xs_restore(struct ncmig_xs *x, const struct ncmig_stream *s,
		     uint16_t to, bool overwrite, struct ncmig_xs_restore *r);
/* The same with every option. */
int ncmig_xs_restore_opts(struct ncmig_xs *x, const struct ncmig_stream *s,
			  uint16_t to, const struct ncmig_xs_restore_opts *o,
			  struct ncmig_xs_restore *r);

/*
 * A node (path relative to the home) only the toolstack creates and
 * owns: "", name, domid, vm, control/..., memory/...,
 * device/<type>/<devid>/backend and backend-id.  Restore never writes
 * them.
 */
bool ncmig_xs_toolstack_node(const char *rel);

/*
 * Put every node restore wrote back as it was (a node it created is
 * removed), in one transaction: for a failure after the commit (the
 * watches, the kernel's RESTORE).  Watches already added stay: no
 * xenstored can remove a domain's watches on its behalf.
 */
int ncmig_xs_restore_undo(struct ncmig_xs *x, struct ncmig_xs_restore *r);
void ncmig_xs_restore_free(struct ncmig_xs_restore *r);

/*
 * @v with "/local/domain/<from>" and "backend/<type>/<from>" (each a
 * whole path element) naming @to instead: a malloc()ed string in *out,
 * the number of replacements returned (0: *out is NULL), or -ENOMEM.
 * Binary values (a NUL inside) are left as they are.
 */
int ncmig_xs_rebase(const char *v, size_t len, uint16_t from, uint16_t to,
		    char **out, size_t *out_len);

/*
 * The domain's UUID, from /local/domain/@domid/vm ("/vm/<uuid>", which
 * libxl writes and only dom0 may change).  -ENOENT, -EINVAL.
 */
int ncmig_xs_domain_uuid(struct ncmig_xs *x, uint16_t domid,
			 unsigned char uuid[16]);

/* One line for people: why watches were or were not carried. */
const char *ncmig_watch_status_text(enum ncmig_watch_status st, bool save);

#endif /* NCMIGD_XS_DOMAIN_H */
