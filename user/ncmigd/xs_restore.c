// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Restore a stream's xenstore area onto a target domid. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_domain.h"
#include "xs_record.h"

#define RESTORE_TX_TRIES 8

/* Owner and ACL entries that named @from name @to. */
static unsigned int rewrite_perms(const struct ncmig_xs_node *n,
				  struct ncmig_xs_perm *out, uint16_t from,
				  uint16_t to)
{
	unsigned int i, changed = 0;

	for (i = 0; i < n->nr_perms; i++) {
		out[i] = ncmig_xs_node_perm(n, (uint16_t)i);
		if (out[i].domid == from) {
			out[i].domid = to;
			changed++;
		}
	}
	return changed;
}

static int restore_nodes(struct ncmig_xs *x, const struct ncmig_stream *s,
			 bool overwrite, struct ncmig_xs_restore *r)
{
	struct ncmig_xs_perm perms[NCMIG_XS_PERMS_MAX];
	char abs[NCMIG_XS_PATH_MAX + 32];
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < s->nr_nodes; i++) {
		const struct ncmig_xs_node *n = &s->nodes[i];
		unsigned int vlen;
		void *old;

		rc = ncmig_xs_abs_path(abs, sizeof(abs), r->to, n->path);
		if (rc)
			break;
		if (!overwrite) {
			rc = x->ops->read(x, abs, &old, &vlen);
			if (!rc) {
				free(old);
				if (!r->nr_existing++)
					snprintf(r->existing, sizeof(r->existing),
						 "%.120s", abs);
				continue;
			}
			if (rc != -ENOENT)
				break;
		}
		rc = x->ops->write(x, abs, n->value, n->value_len);
		if (rc)
			break;
		r->perms_rewritten += rewrite_perms(n, perms, r->from, r->to);
		rc = x->ops->set_perms(x, abs, perms, n->nr_perms);
		if (!rc)
			r->nr_nodes++;
	}
	if (rc)
		fprintf(stderr, "ncmigd: d%u: %s: %s\n", r->to, abs,
			strerror(-rc));
	return rc;
}

/* An absolute watch path in the old home moves to the new home. */
static char *move_wpath(const char *p, uint16_t from, uint16_t to)
{
	char old[32], *out;
	size_t ol, n;

	ol = (size_t)snprintf(old, sizeof(old), "/local/domain/%u", from);
	if (strncmp(p, old, ol) || (p[ol] && p[ol] != '/'))
		return strdup(p);
	n = strlen(p) - ol + 32;
	out = malloc(n);
	if (out)
		snprintf(out, n, "/local/domain/%u%s", to, p + ol);
	return out;
}

static int restore_watches(struct ncmig_xs *x, const struct ncmig_stream *s,
			   struct ncmig_xs_restore *r)
{
	struct ncmig_xs_watch_pair *w;
	size_t i;
	int rc = 0;

	if (!(s->dom_flags & NCMIG_DOM_F_XS_WATCHES)) {
		r->watches = NCMIG_WATCHES_NOT_IN_STREAM;
		return 0;
	}
	if (x->ops->domain_watches_supported(x)) {
		r->watches = NCMIG_WATCHES_UNSUPPORTED;
		return 0;
	}
	w = calloc(s->nr_watches + 1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (i = 0; i < s->nr_watches; i++) {
		w[i].path = move_wpath(s->watches[i].path, r->from, r->to);
		w[i].token = strdup(s->watches[i].token);
		if (!w[i].path || !w[i].token) {
			rc = -ENOMEM;
			i++;
			break;
		}
	}
	if (!rc)
		rc = x->ops->add_domain_watches(x, r->to, w,
						(unsigned int)s->nr_watches);
	ncmig_xs_free_watches(w, (unsigned int)i);
	if (rc == -EOPNOTSUPP) {
		r->watches = NCMIG_WATCHES_UNSUPPORTED;
		return 0;
	}
	if (!rc) {
		r->watches = NCMIG_WATCHES_CARRIED;
		r->nr_watches = s->nr_watches;
	}
	return rc;
}

int ncmig_xs_restore(struct ncmig_xs *x, const struct ncmig_stream *s,
		     uint16_t to, bool overwrite, struct ncmig_xs_restore *r)
{
	struct ncmig_xs_restore_opts o = { .overwrite = overwrite };

	return ncmig_xs_restore_opts(x, s, to, &o, r);
}

int ncmig_xs_restore_opts(struct ncmig_xs *x, const struct ncmig_stream *s,
			  uint16_t to, const struct ncmig_xs_restore_opts *o,
			  struct ncmig_xs_restore *r)
{
	bool overwrite = o->overwrite;

	int rc = 0, tries;

	memset(r, 0, sizeof(*r));
	r->from = s->domid;
	r->to = to;
	for (tries = 0; tries < RESTORE_TX_TRIES; tries++) {
		rc = x->ops->tx_start(x);
		if (rc)
			return rc;
		rc = restore_nodes(x, s, overwrite, r);
		if (rc) {
			x->ops->tx_end(x, true);
			break;
		}
		rc = x->ops->tx_end(x, false);
		if (rc != -EAGAIN)
			break;
		/* Lost a race: nothing was written; count afresh. */
		r->nr_nodes = r->nr_existing = r->perms_rewritten = 0;
		r->existing[0] = 0;
		r->tx_retries++;
	}
	if (!rc)
		rc = restore_watches(x, s, r);
	return rc;
}
