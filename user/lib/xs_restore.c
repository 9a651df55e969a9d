// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Restore a stream's xenstore area onto a target domid. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "ncmig.h"
#include "xs_record.h"


/*
 * Nodes only the toolstack may create or own: the home itself, what
 * names the domain (name, domid, vm), what drives it (control/,
 * memory/) and, for each frontend, where its backend is (backend,
 * backend-id).  A stream never writes them, not even with --overwrite:
 * they are the target's, and a guest's stream must not be able to
 * rename it, re-own its home or point its frontends elsewhere.
 */
bool ncmig_xs_toolstack_node(const char *rel)
{
	static const char *const top[] = { "name", "domid", "vm", "control",
					   "memory" };
	const char *slash, *leaf;
	size_t i, n;
	int depth = 0;

	if (!rel[0])
		return true;
	slash = strchr(rel, '/');
	n = slash ? (size_t)(slash - rel) : strlen(rel);
	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		if (strlen(top[i]) == n && !strncmp(rel, top[i], n))
			return true;
	/* device/<type>/<devid>/backend{,-id} (and anything under them) */
	if (strncmp(rel, "device/", 7))
		return false;
	for (leaf = rel; (slash = strchr(leaf, '/')); leaf = slash + 1)
		if (++depth == 3)
			break;
	if (depth != 3)
		return false;
	leaf = slash + 1;
	slash = strchr(leaf, '/');
	n = slash ? (size_t)(slash - leaf) : strlen(leaf);
	return (n == 7 && !strncmp(leaf, "backend", 7)) ||
	       (n == 10 && !strncmp(leaf, "backend-id", 10));
}

/* A frontend's own nodes: device/ and below. */
static bool device_node(const char *rel)
{
	return !strcmp(rel, "device") || !strncmp(rel, "device/", 7);
}

static bool skipped(const struct ncmig_xs_node *n,
		    const struct ncmig_xs_restore_opts *o)
{
	return ncmig_xs_toolstack_node(n->path) ||
	       (o->keep_device && device_node(n->path));
}

/*
 * The domid an ACL entry naming @d gets on the target: the saved domain
 * becomes @to, dom0 stays dom0, any other only by the operator's map.
 * -EPERM for the rest: on another host (or later on this one) that
 * number belongs to an unrelated domain.
 */
static int map_domid(uint16_t d, uint16_t from, uint16_t to,
		     const struct ncmig_xs_restore_opts *o, uint16_t *out)
{
	size_t i;

	if (d == from) {
		*out = to;
		return 0;
	}
	for (i = 0; i < o->nr_map; i++)
		if (o->map[i].from == d) {
			*out = o->map[i].to;
			return 0;
		}
	if (d == 0) {
		*out = 0;
		return 0;
	}
	return -EPERM;
}

/* Owner and ACL entries mapped; -EPERM naming the first foreign one. */
static int rewrite_perms(const struct ncmig_xs_node *n,
			 struct ncmig_xs_perm *out,
			 const struct ncmig_xs_restore_opts *o,
			 struct ncmig_xs_restore *r, unsigned int *changed)
{
	unsigned int i;

	*changed = 0;
	for (i = 0; i < n->nr_perms; i++) {
		uint16_t d;

		out[i] = ncmig_xs_node_perm(n, (uint16_t)i);
		if (map_domid(out[i].domid, r->from, r->to, o, &d)) {
			snprintf(r->refused, sizeof(r->refused),
				 "node \"%.60s\": permission entry %u names "
				 "d%u, neither the saved domain d%u nor dom0 "
				 "(--map-domid %u=D maps it)", n->path, i,
				 out[i].domid, r->from, out[i].domid);
			return -EPERM;
		}
		if (d != out[i].domid)
			(*changed)++;
		out[i].domid = d;
	}
	return 0;
}

/* Before anything is written: every ACL entry can be mapped. */
static int check_perms(const struct ncmig_stream *s,
		       const struct ncmig_xs_restore_opts *o,
		       struct ncmig_xs_restore *r)
{
	struct ncmig_xs_perm perms[NCMIG_XS_PERMS_MAX];
	unsigned int changed;
	size_t i;
	int rc;

	for (i = 0; i < s->nr_nodes; i++) {
		if (skipped(&s->nodes[i], o))
			continue;
		rc = rewrite_perms(&s->nodes[i], perms, o, r, &changed);
		if (rc)
			return rc;
	}
	return 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Does @v at @i hold decimal @d as a whole number? Its length, or 0. */
static size_t match_domid(const char *v, size_t len, size_t i, uint16_t d)
{
	size_t j = i;
	unsigned long n = 0;

	while (j < len && is_digit(v[j]) && j - i < 6)
		n = n * 10 + (unsigned long)(v[j++] - '0');
	if (j == i || (j < len && is_digit(v[j])) || n != d ||
	    (v[i] == '0' && j - i > 1))
		return 0;
	return j - i;
}

int ncmig_xs_rebase(const char *v, size_t len, uint16_t from, uint16_t to,
		    char **out, size_t *out_len)
{
	static const char home[] = "/local/domain/", be[] = "backend/";
	char *o = NULL, num[8];
	size_t i = 0, k = 0, nl, dl, cap;
	int hits = 0;

	*out = NULL;
	if (memchr(v, 0, len))
		return 0;
	nl = (size_t)snprintf(num, sizeof(num), "%u", to);
	cap = len + 1 + 8 * (len / 8 + 1);
	o = malloc(cap);
	if (!o)
		return -ENOMEM;
	while (i < len) {
		size_t at = 0;	/* where the domid starts, if a match */
		bool elem = !i || v[i - 1] == '/' || v[i - 1] == ' ';

		if (len - i > sizeof(home) - 1 &&
		    !memcmp(v + i, home, sizeof(home) - 1)) {
			at = i + sizeof(home) - 1;
		} else if (elem && len - i > sizeof(be) - 1 &&
			   !memcmp(v + i, be, sizeof(be) - 1)) {
			size_t j = i + sizeof(be) - 1;

			while (j < len && v[j] != '/' && v[j] != ' ')
				j++;
			if (j > i + sizeof(be) - 1 && j < len && v[j] == '/')
				at = j + 1;
		}
		dl = at ? match_domid(v, len, at, from) : 0;
		if (dl && (at + dl == len || v[at + dl] == '/' ||
			   v[at + dl] == ' ')) {
			memcpy(o + k, v + i, at - i);
			k += at - i;
			memcpy(o + k, num, nl);
			k += nl;
			i = at + dl;
			hits++;
			continue;
		}
		o[k++] = v[i++];
	}
	o[k] = 0;
	if (!hits) {
		free(o);
		return 0;
	}
	*out = o;
	*out_len = k;
	return hits;
}

static void undo_clear(struct ncmig_xs_restore *r)
{
	size_t i;

	for (i = 0; i < r->nr_undo; i++) {
		free(r->undo[i].path);
		free(r->undo[i].val);
		free(r->undo[i].perms);
	}
	r->nr_undo = 0;
}

void ncmig_xs_restore_free(struct ncmig_xs_restore *r)
{
	undo_clear(r);
	free(r->undo);
	r->undo = NULL;
	r->cap_undo = 0;
}

static int undo_push(struct ncmig_xs_restore *r, const char *path,
		     struct ncmig_xs_undo **u)
{
	if (ncmig_grow(&r->undo, &r->cap_undo, r->nr_undo + 1,
		       sizeof(*r->undo), 32))
		return -ENOMEM;
	*u = &r->undo[r->nr_undo];
	memset(*u, 0, sizeof(**u));
	(*u)->path = strdup(path);
	if (!(*u)->path)
		return -ENOMEM;
	r->nr_undo++;
	return 0;
}

/*
 * Before @abs is written: note what it was, or, if it is new, the
 * highest of its ancestors that is new too (xenstored creates missing
 * parents; removing that one removes them all).
 */
static int journal(struct ncmig_xs *x, struct ncmig_xs_restore *r,
		   const char *abs)
{
	struct ncmig_xs_undo *u;
	char up[NCMIG_XS_PATH_MAX + 32], home[32];
	unsigned int len;
	size_t hl;
	void *v;
	char *slash;
	int rc;

	rc = x->ops->read(x, abs, &v, &len);
	if (!rc) {
		rc = undo_push(r, abs, &u);
		if (rc) {
			free(v);
			return rc;
		}
		u->existed = true;
		u->val = v;
		u->len = len;
		return x->ops->get_perms(x, abs, &u->perms, &u->nr_perms);
	}
	if (rc != -ENOENT)
		return rc;
	hl = (size_t)snprintf(home, sizeof(home), "/local/domain/%u", r->to);
	snprintf(up, sizeof(up), "%s", abs);
	/* Walk down from the home: the first missing element. */
	for (slash = strchr(up + hl + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = 0;
		rc = x->ops->read(x, up, &v, &len);
		if (rc == -ENOENT)
			break;
		*slash = '/';
		if (rc)
			return rc;
		free(v);
	}
	rc = undo_push(r, up, &u);
	if (!rc)
		u->existed = false;
	return rc;
}

static int undo_tx(struct ncmig_xs *x, struct ncmig_xs_restore *r)
{
	size_t i = r->nr_undo;
	int rc = 0;

	while (!rc && i--) {
		struct ncmig_xs_undo *u = &r->undo[i];

		if (!u->existed) {
			rc = x->ops->rm(x, u->path);
			continue;
		}
		rc = x->ops->write(x, u->path, u->val, u->len);
		if (!rc && u->nr_perms)
			rc = x->ops->set_perms(x, u->path, u->perms,
					       u->nr_perms);
	}
	return rc;
}

static int undo_body(struct ncmig_xs *x, void *arg)
{
	return undo_tx(x, arg);
}

int ncmig_xs_restore_undo(struct ncmig_xs *x, struct ncmig_xs_restore *r)
{
	return ncmig_xs_transaction(x, undo_body, NULL, r);
}

/* The target is a domain the toolstack made: its home exists, dom0's. */
static int check_home(struct ncmig_xs *x, struct ncmig_xs_restore *r)
{
	struct ncmig_xs_perm *p = NULL;
	unsigned int n = 0;
	char home[32];
	int rc;

	snprintf(home, sizeof(home), "/local/domain/%u", r->to);
	rc = x->ops->get_perms(x, home, &p, &n);
	if (rc == -ENOENT)
		snprintf(r->refused, sizeof(r->refused),
			 "d%u does not exist (no %s): restore writes only into "
			 "a domain the toolstack made", r->to, home);
	else if (!rc && (!n || p[0].domid != 0)) {
		snprintf(r->refused, sizeof(r->refused),
			 "%s is owned by d%u, not dom0: not a domain the "
			 "toolstack made", home, n ? p[0].domid : 0);
		rc = -EPERM;
	}
	free(p);
	return rc;
}

static int restore_nodes(struct ncmig_xs *x, const struct ncmig_stream *s,
			 const struct ncmig_xs_restore_opts *o,
			 struct ncmig_xs_restore *r)
{
	struct ncmig_xs_perm perms[NCMIG_XS_PERMS_MAX];
	char abs[NCMIG_XS_PATH_MAX + 32];
	unsigned int changed;
	size_t i;
	int rc = 0;

	rc = check_home(x, r);
	if (rc)
		return rc;
	for (i = 0; !rc && i < s->nr_nodes; i++) {
		const struct ncmig_xs_node *n = &s->nodes[i];
		const void *value = n->value;
		size_t value_len = n->value_len;
		char *rebased = NULL;
		unsigned int vlen;
		void *old;

		if (skipped(n, o)) {
			r->nr_toolstack += ncmig_xs_toolstack_node(n->path);
			r->nr_device += !ncmig_xs_toolstack_node(n->path);
			continue;
		}
		rc = ncmig_xs_abs_path(abs, sizeof(abs), r->to, n->path);
		if (rc)
			break;
		if (!o->overwrite) {
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
		rc = rewrite_perms(n, perms, o, r, &changed);
		if (rc)
			break;
		rc = ncmig_xs_rebase((const char *)n->value, n->value_len,
				     r->from, r->to, &rebased, &value_len);
		if (rc < 0)
			break;
		if (rc > 0) {
			value = rebased;
			r->values_rebased++;
		}
		rc = journal(x, r, abs);
		if (!rc)
			rc = x->ops->write(x, abs, value,
					   (unsigned int)value_len);
		free(rebased);
		if (rc)
			break;
		r->perms_rewritten += changed;
		rc = x->ops->set_perms(x, abs, perms, n->nr_perms);
		if (!rc)
			r->nr_nodes++;
	}
	if (rc)
		fprintf(stderr, "ncmigd: d%u: %s: %s\n", r->to, abs,
			strerror(-rc));
	return rc;
}

/* A watch on the old home or backend directory follows the domain. */
static char *move_wpath(const char *p, uint16_t from, uint16_t to)
{
	size_t n;
	char *out;

	if (ncmig_xs_rebase(p, strlen(p), from, to, &out, &n) > 0)
		return out;
	return strdup(p);
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

struct restore_tx {
	const struct ncmig_stream *s;
	const struct ncmig_xs_restore_opts *o;
	struct ncmig_xs_restore *r;
};

static int restore_body(struct ncmig_xs *x, void *arg)
{
	struct restore_tx *t = arg;

	return restore_nodes(x, t->s, t->o, t->r);
}

/* Lost a race: nothing was written; count afresh. */
static void restore_again(void *arg)
{
	struct ncmig_xs_restore *r = ((struct restore_tx *)arg)->r;

	r->nr_nodes = r->nr_existing = r->perms_rewritten = 0;
	r->nr_toolstack = r->nr_device = r->values_rebased = 0;
	undo_clear(r);
	r->existing[0] = 0;
	r->tx_retries++;
}

int ncmig_xs_restore_opts(struct ncmig_xs *x, const struct ncmig_stream *s,
			  uint16_t to, const struct ncmig_xs_restore_opts *o,
			  struct ncmig_xs_restore *r)
{
	struct restore_tx t = { .s = s, .o = o, .r = r };
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->from = s->domid;
	r->to = to;
	/* A phantom first (and again in the transaction, for races). */
	rc = check_home(x, r);
	if (!rc)
		rc = check_perms(s, o, r);
	if (rc)
		return rc;
	rc = ncmig_xs_transaction(x, restore_body, restore_again, &t);
	if (!rc) {
		rc = restore_watches(x, s, r);
		/* All or nothing: the committed nodes go again. */
		if (rc && ncmig_xs_restore_undo(x, r))
			fprintf(stderr, "ncmigd: d%u: undoing the restored nodes "
				"failed too\n", r->to);
	}
	if (!o->keep_undo)
		ncmig_xs_restore_free(r);
	return rc;
}

int ncmig_xs_domain_uuid(struct ncmig_xs *x, uint16_t domid,
			 unsigned char uuid[16])
{
	char path[48];
	unsigned int len;
	void *v;
	int rc;

	snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
	rc = x->ops->read(x, path, &v, &len);
	if (rc)
		return rc;
	rc = len > 4 && !memcmp(v, "/vm/", 4) ?
		ncmig_parse_uuid((const char *)v + 4, len - 4, uuid) : -EINVAL;
	free(v);
	return rc;
}
