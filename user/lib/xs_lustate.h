/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * C xenstored's live-update state file (Xen 4.20's
 * tools/xenstored/xenstore_state.h, written by lu_dump_state() into
 * <rundir>/state_dump and read back by lu_read_state()): the preamble
 * "xenstore", version 1 (big endian), flags (0: little endian), then
 * records { u32 type; u32 length; body, length a multiple of 8 } in the
 * host's byte order up to END.  Only the little-endian form is read.
 *
 * ncmig reads one domain's watches out of it and, for a live update it
 * drives itself (xs_lu.c), writes a copy with that domain's watches
 * dropped or added.  Everything in the file is checked first, as
 * xenstored would need it: a copy that ncmig writes is one xenstored
 * reads without barf()ing (a WATCH names an earlier CONN; lengths fit).
 */
#ifndef NCMIGD_XS_LUSTATE_H
#define NCMIGD_XS_LUSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "ncmig.h"

#define NCMIG_LU_PREAMBLE	16
#define NCMIG_LU_HDR		8
#define NCMIG_LU_T_END		0
#define NCMIG_LU_T_GLOBAL	1
#define NCMIG_LU_T_CONN		2
#define NCMIG_LU_T_WATCH	3
#define NCMIG_LU_T_TA		4
#define NCMIG_LU_T_NODE		5
#define NCMIG_LU_CONN_FIXED	24	/* conn_id .. data_out_len */
#define NCMIG_LU_WATCH_FIXED	8	/* conn_id, path_length, token_length */
#define NCMIG_LU_CONN_RING	0
#define NCMIG_LU_CONN_SOCKET	1
/* A file larger than this is refused (xenstored's own is far smaller). */
#define NCMIG_LU_STATE_MAX	(256U << 20)

struct ncmig_lu_summary {
	unsigned int conns, ring_conns, socket_conns, watches, nodes, tas;
	unsigned int other;		/* records of a type we do not know */
	/* The domain asked for: its ring connection and its watches. */
	int found;			/* 1 if the domain has a ring conn */
	uint32_t conn_id;
	uint32_t evtchn;
	unsigned int dom_watches;
};

/*
 * Check the whole file and list @domid's watches (path as xenstored
 * dumps it: relative to the domain's home for a relative watch) in
 * *w (malloc()ed, ncmig_xs_free_watches()).  0; -EINVAL with *why
 * naming what is wrong; -ENOMEM.  A domain with no ring connection in
 * the file gives 0 with s->found 0 and no watches.
 */
int ncmig_lu_state_parse(const unsigned char *buf, size_t len,
			 uint16_t domid, struct ncmig_lu_summary *s,
			 struct ncmig_xs_watch_pair **w, unsigned int *nr,
			 const char **why);

enum ncmig_lu_edit_mode {
	NCMIG_LU_EDIT_ADD = 1,		/* add @w, except pairs it has */
	NCMIG_LU_EDIT_DROP = 2,		/* drop every watch of the domain */
};

/*
 * A copy of the state file with @domid's watches changed.  The domain
 * must have a ring connection in it (-ENOENT).  New WATCH records go
 * right after its CONN record.  *added, *dropped count what changed.
 * 0, -EINVAL (*why), -ENOENT, -E2BIG (a path or token too long for a
 * record), -ENOMEM.
 */
int ncmig_lu_state_edit(const unsigned char *buf, size_t len, uint16_t domid,
			enum ncmig_lu_edit_mode mode,
			const struct ncmig_xs_watch_pair *w, unsigned int nr,
			unsigned char **out, size_t *out_len,
			unsigned int *added, unsigned int *dropped,
			const char **why);

/*
 * The edit request a live update carries to the helper that runs in
 * its window (ncmigd __lu-window): "ncmig-lu-edit 1\n", then
 * "domid D\nmode add|drop\n", then per watch "w <path-hex> <token-hex>\n".
 */
int ncmig_lu_edit_format(uint16_t domid, enum ncmig_lu_edit_mode mode,
			 const struct ncmig_xs_watch_pair *w, unsigned int nr,
			 char **out, size_t *out_len);
int ncmig_lu_edit_parse(const char *text, size_t len, uint16_t *domid,
			enum ncmig_lu_edit_mode *mode,
			struct ncmig_xs_watch_pair **w, unsigned int *nr,
			const char **why);

#endif /* NCMIGD_XS_LUSTATE_H */
