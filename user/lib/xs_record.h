/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * NODE_DATA and WATCH_DATA bodies in the layouts of Xen's
 * docs/designs/xenstore-migration.md, as ncmig uses them:
 * committed nodes only (conn-id, tx-id and access are 0), paths relative
 * to the domain's home /local/domain/<domid>.
 */
#ifndef NCMIGD_XS_RECORD_H
#define NCMIGD_XS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ncmig.h"

#define NCMIG_XS_NODE_FIXED	16	/* conn-id, tx-id, 4 x u16 */
#define NCMIG_XS_WATCH_FIXED	8	/* conn-id, wpath-len, token-len */
#define NCMIG_XS_PATH_MAX	3072	/* XENSTORE_ABS_PATH_MAX */
/* The longest home, "/local/domain/32751/": a relative node path must
 * fit XENSTORE_ABS_PATH_MAX under any of them.
 */
#define NCMIG_XS_HOME_MAX	20
#define NCMIG_XS_RELPATH_MAX	(NCMIG_XS_PATH_MAX - NCMIG_XS_HOME_MAX)
#define NCMIG_XS_VALUE_MAX	4096	/* XENSTORE_PAYLOAD_MAX */
#define NCMIG_XS_PAYLOAD_MAX	4096	/* XENSTORE_PAYLOAD_MAX */
#define NCMIG_XS_PERMS_MAX	1024	/* more than a 4096-octet SET_PERMS holds */
#define NCMIG_XS_TOKEN_MAX	4096	/* XENSTORE_PAYLOAD_MAX */

/* A relative node path: "" or a/b/c, xenstore's characters only. */
bool ncmig_xs_relpath_valid(const char *p, size_t len);
/* A watch path: absolute, relative or "@special", NUL-free. */
bool ncmig_xs_wpath_valid(const char *p, size_t len);
bool ncmig_xs_perm_char_valid(char c);

/*
 * Validate a NODE_DATA body of exactly @len octets and point @n into it.
 * Returns 0, or -EINVAL with *why naming the rule broken.
 */
int ncmig_xs_node_decode(const unsigned char *body, size_t len,
			 struct ncmig_xs_node *n, const char **why);
int ncmig_xs_watch_decode(const unsigned char *body, size_t len,
			  struct ncmig_xs_watch *w, const char **why);

/*
 * Build a NODE_DATA / WATCH_DATA body in a malloc()ed buffer.  Refuse
 * (-EINVAL) what the decoder would refuse; -ENOMEM.
 */
int ncmig_xs_node_encode(const char *relpath, const void *value,
			 size_t value_len, const struct ncmig_xs_perm *perms,
			 size_t nr_perms, unsigned char **out, size_t *out_len);
int ncmig_xs_watch_encode(const char *wpath, const char *token,
			  unsigned char **out, size_t *out_len);

#endif /* NCMIGD_XS_RECORD_H */
