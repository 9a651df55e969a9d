// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Capture one domain's xenstore area as NODE_DATA/WATCH_DATA bodies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "ncmig.h"
#include "xs_lu.h"
#include "xs_record.h"


static int push(struct ncmig_xs_capture *c, size_t *cap, uint32_t type,
		unsigned char *body, size_t len, const char *rel)
{
	char *r = rel ? strdup(rel) : NULL;

	if ((rel && !r) || ncmig_grow(&c->bodies, cap, c->nr_bodies + 1,
				      sizeof(*c->bodies), 64)) {
		free(r);
		free(body);
		return -ENOMEM;
	}
	c->bodies[c->nr_bodies++] = (struct ncmig_xs_body){ type, body, len, r };
	return 0;
}

static void drop_bodies(struct ncmig_xs_capture *c)
{
	size_t i;

	for (i = 0; i < c->nr_bodies; i++) {
		free(c->bodies[i].body);
		free(c->bodies[i].rel);
	}
	free(c->bodies);
	c->bodies = NULL;
	c->nr_bodies = 0;
	c->nr_nodes = 0;
	c->value_bytes = 0;
}

/* One node and, depth first, everything under it. */
static int walk(struct ncmig_xs *x, struct ncmig_xs_capture *c, size_t *cap,
		const char *rel)
{
	char abs[NCMIG_XS_PATH_MAX + 32];
	struct ncmig_xs_perm *perms = NULL;
	unsigned int nperms = 0, vlen = 0, nkids = 0, i;
	char **kids = NULL;
	unsigned char *body;
	size_t blen;
	void *val = NULL;
	int rc;

	if (strlen(rel) > NCMIG_XS_PATH_MAX ||
	    ncmig_xs_abs_path(abs, sizeof(abs), c->domid, rel))
		return -ENAMETOOLONG;
	rc = x->ops->read(x, abs, &val, &vlen);
	if (rc)
		return rc;
	rc = x->ops->get_perms(x, abs, &perms, &nperms);
	if (rc)
		goto out;
	if (vlen > 0xffff || nperms > NCMIG_XS_PERMS_MAX || !nperms) {
		fprintf(stderr, "ncmigd: d%u: %s: %u octets, %u permissions: "
			"cannot be carried\n", c->domid, abs, vlen, nperms);
		rc = -E2BIG;
		goto out;
	}
	rc = ncmig_xs_node_encode(rel, val, vlen, perms, nperms, &body, &blen);
	if (rc)
		goto out;
	rc = push(c, cap, NCMIG_REC_XS_NODE, body, blen, rel);
	if (rc)
		goto out;
	c->nr_nodes++;
	c->value_bytes += vlen;
	rc = x->ops->directory(x, abs, &kids, &nkids);
	for (i = 0; !rc && i < nkids; i++) {
		size_t n = strlen(rel) + strlen(kids[i]) + 2;
		char *child = malloc(n);

		if (!child) {
			rc = -ENOMEM;
			break;
		}
		snprintf(child, n, "%s%s%s", rel, *rel ? "/" : "", kids[i]);
		rc = walk(x, c, cap, child);
		free(child);
	}
out:
	free(kids);
	free(perms);
	free(val);
	return rc;
}

static int capture_watches(struct ncmig_xs *x, struct ncmig_xs_capture *c,
			   size_t *cap)
{
	struct ncmig_xs_watch_pair *w = NULL;
	unsigned int n = 0, i;
	unsigned char *body;
	size_t blen;
	int rc;

	if (x->ops->domain_watches_supported(x)) {
		c->watches = NCMIG_WATCHES_UNSUPPORTED;
		return 0;
	}
	rc = x->ops->get_domain_watches(x, c->domid, &w, &n);
	if (rc == -EOPNOTSUPP) {
		c->watches = NCMIG_WATCHES_UNSUPPORTED;
		return 0;
	}
	for (i = 0; !rc && i < n; i++) {
		rc = ncmig_xs_watch_encode(w[i].path, w[i].token, &body, &blen);
		if (!rc)
			rc = push(c, cap, NCMIG_REC_XS_WATCH, body, blen, NULL);
	}
	ncmig_xs_free_watches(w, n);
	if (!rc) {
		c->watches = NCMIG_WATCHES_CARRIED;
		c->nr_watches = n;
	}
	return rc;
}

struct capture_tx {
	struct ncmig_xs_capture *c;
	size_t cap;
};

static int capture_body(struct ncmig_xs *x, void *arg)
{
	struct capture_tx *t = arg;

	return walk(x, t->c, &t->cap, "");
}

/* Lost a race: what was read goes, it is read again. */
static void capture_again(void *arg)
{
	struct capture_tx *t = arg;

	drop_bodies(t->c);
	t->cap = 0;
	t->c->tx_retries++;
}

int ncmig_xs_capture(struct ncmig_xs *x, uint16_t domid,
		     struct ncmig_xs_capture *c)
{
	struct capture_tx t = { .c = c };
	int rc;

	memset(c, 0, sizeof(*c));
	c->domid = domid;
	rc = ncmig_xs_transaction(x, capture_body, capture_again, &t);
	if (!rc)
		rc = capture_watches(x, c, &t.cap);
	if (rc)
		drop_bodies(c);
	return rc;
}

uint32_t ncmig_xs_capture_flags(const struct ncmig_xs_capture *c)
{
	return NCMIG_DOM_F_XS_NODES |
	       (c->watches == NCMIG_WATCHES_CARRIED ? NCMIG_DOM_F_XS_WATCHES : 0);
}

int ncmig_xs_capture_write(const struct ncmig_xs_capture *c,
			   struct ncmig_writer *w)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < c->nr_bodies; i++)
		rc = ncmig_write_record(w, c->bodies[i].type, c->bodies[i].body,
					c->bodies[i].len);
	return rc;
}

void ncmig_xs_capture_free(struct ncmig_xs_capture *c)
{
	drop_bodies(c);
}

const char *ncmig_watch_method(enum ncmig_watch_status st)
{
	const struct ncmig_lu_result *lu = ncmig_lu_last();

	if (st != NCMIG_WATCHES_CARRIED)
		return "none";
	return lu && lu->ok ? "lu-state" : "xs-control";
}

const char *ncmig_watch_status_text(enum ncmig_watch_status st, bool save)
{
	const struct ncmig_lu_result *lu = ncmig_lu_last();
	static char text[768];

	if (lu && st == NCMIG_WATCHES_CARRIED && lu->ok) {
		snprintf(text, sizeof(text), "%s %s", save ? "listed from" :
			 "added through", lu->detail);
		return text;
	}
	if (lu && !lu->ok && lu->detail[0]) {
		snprintf(text, sizeof(text), "NOT %s: %s", save ? "carried" :
			 "restored", lu->detail);
		return text;
	}
	switch (st) {
	case NCMIG_WATCHES_CARRIED:
		return save ? "listed through the xenstored's get-domain-watches" :
			      "registered through the xenstored's add-domain-watches";
	case NCMIG_WATCHES_UNSUPPORTED:
		return save ? "NOT carried: this xenstored cannot list a domain's "
			      "watches (Xen 4.17 has no GET_DOMAIN_WATCHES)" :
			      "NOT restored: this xenstored cannot register watches "
			      "for a domain (Xen 4.17 has no ADD_DOMAIN_WATCHES)";
	case NCMIG_WATCHES_NOT_IN_STREAM:
		return "NOT carried: the source xenstored could not list the "
		       "domain's watches";
	}
	return "unknown";
}

/* ---- A live capture: taken ahead, kept current by a watch ---- */

/* @q is @rel or a node under it. */
static bool under(const char *q, const char *rel)
{
	size_t l = strlen(rel);

	if (!l)
		return true;
	return !strncmp(q, rel, l) && (!q[l] || q[l] == '/');
}

static bool find_rel(const struct ncmig_xs_capture *c, const char *rel,
		     size_t *at)
{
	size_t i;

	for (i = 0; i < c->nr_bodies; i++)
		if (!strcmp(c->bodies[i].rel, rel)) {
			*at = i;
			return true;
		}
	return false;
}

/* The end of the subtree that starts at @i (bodies are in DFS order). */
static size_t subtree_end(const struct ncmig_xs_capture *c, size_t i)
{
	size_t j = i + 1;

	while (j < c->nr_bodies && under(c->bodies[j].rel, c->bodies[i].rel))
		j++;
	return j;
}

/* Replace bodies [i, j) of @l by all of @t's (which @l then owns). */
static int splice_bodies(struct ncmig_xs_live *l, size_t i, size_t j,
			 struct ncmig_xs_capture *t)
{
	struct ncmig_xs_capture *c = &l->c;
	size_t need = c->nr_bodies - (j - i) + t->nr_bodies, k;

	if (ncmig_grow(&c->bodies, &l->cap, need, sizeof(*c->bodies), 64))
		return -ENOMEM;
	for (k = i; k < j; k++) {
		free(c->bodies[k].body);
		free(c->bodies[k].rel);
	}
	memmove(&c->bodies[i + t->nr_bodies], &c->bodies[j],
		(c->nr_bodies - j) * sizeof(*c->bodies));
	if (t->nr_bodies)
		memcpy(&c->bodies[i], t->bodies,
		       t->nr_bodies * sizeof(*c->bodies));
	c->nr_bodies = need;
	c->nr_nodes = need;
	l->nodes_reread += (unsigned int)t->nr_bodies;
	free(t->bodies);
	t->bodies = NULL;
	t->nr_bodies = 0;
	return 0;
}

/*
 * Read @rel's subtree again into @l: replaced where @l has it, dropped
 * if it is gone, added after its parent's subtree if new (or, when @l
 * lacks the parent too, the parent's subtree read instead: a write
 * creates missing parents without an event of their own).
 */
static int reread(struct ncmig_xs *x, struct ncmig_xs_live *l,
		  const char *rel, unsigned int depth)
{
	struct ncmig_xs_capture t = { .domid = l->c.domid };
	size_t tcap = 0, at, pat = 0;
	bool have = find_rel(&l->c, rel, &at), parent_known = false;
	int rc;

	if (!have && *rel) {
		char parent[NCMIG_XS_PATH_MAX + 1];
		const char *slash = strrchr(rel, '/');
		size_t plen = slash ? (size_t)(slash - rel) : 0;

		memcpy(parent, rel, plen);
		parent[plen] = 0;
		parent_known = find_rel(&l->c, parent, &pat);
		if (!parent_known) {
			if (depth > NCMIG_XS_PATH_MAX)
				return -ELOOP;
			return reread(x, l, parent, depth + 1);
		}
	}
	l->rereads++;
	rc = walk(x, &t, &tcap, rel);
	if (rc == -ENOENT && t.nr_bodies) {
		/* Something under it went while we read: read it all again. */
		drop_bodies(&t);
		return -EAGAIN;
	}
	if (rc == -ENOENT)	/* gone (or never there) */
		return have ? splice_bodies(l, at, subtree_end(&l->c, at), &t) :
			      0;
	if (rc) {
		drop_bodies(&t);
		return rc;
	}
	if (have)
		return splice_bodies(l, at, subtree_end(&l->c, at), &t);
	if (!parent_known)	/* the home itself, new */
		return splice_bodies(l, 0, l->c.nr_bodies, &t);
	at = subtree_end(&l->c, pat);
	return splice_bodies(l, at, at, &t);
}

struct live_batch {
	struct ncmig_xs_live *l;
	char **rels;
	size_t n;
};

static int batch_body(struct ncmig_xs *x, void *arg)
{
	struct live_batch *b = arg;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < b->n; i++)
		rc = reread(x, b->l, b->rels[i], 0);
	return rc;
}

/* The event's path relative to the home, or NULL if it is not under it. */
static const char *event_rel(const struct ncmig_xs_live *l, const char *path)
{
	size_t hl = strlen(l->home);

	if (strncmp(path, l->home, hl) || (path[hl] && path[hl] != '/'))
		return NULL;
	return path[hl] ? path + hl + 1 : "";
}

/* Add @rel to @rels unless it or one of its ancestors is there already. */
static int add_rel(char ***rels, size_t *n, size_t *cap, const char *rel)
{
	size_t i = 0;
	char *r;

	while (i < *n) {
		if (under(rel, (*rels)[i]))
			return 0;
		if (under((*rels)[i], rel)) {	/* @rel covers it */
			free((*rels)[i]);
			(*rels)[i] = (*rels)[--*n];
			continue;
		}
		i++;
	}
	r = strdup(rel);
	if (!r || ncmig_grow(rels, cap, *n + 1, sizeof(**rels), 16)) {
		free(r);
		return -ENOMEM;
	}
	(*rels)[(*n)++] = r;
	return 0;
}

int ncmig_xs_live_poll(struct ncmig_xs_live *l)
{
	struct live_batch b = { .l = l };
	struct ncmig_xs *x = l->x;
	size_t cap = 0, i;
	char *path;
	int rc, tries;

	if (!l->ok)
		return -ESTALE;
	while ((rc = x->ops->next_event(x, &path)) > 0) {
		const char *rel = event_rel(l, path);

		l->events++;
		rc = rel ? add_rel(&b.rels, &b.n, &cap, rel) : 0;
		free(path);
		if (rc)
			break;
	}
	for (tries = 0; !rc && b.n && tries < NCMIG_XS_TX_TRIES; tries++) {
		rc = ncmig_xs_transaction(x, batch_body, NULL, &b);
		if (rc != -EAGAIN)
			break;
	}
	for (i = 0; i < b.n; i++)
		free(b.rels[i]);
	free(b.rels);
	if (rc)
		l->ok = false;
	return rc;
}

int ncmig_xs_live_start(struct ncmig_xs *x, uint16_t domid,
			struct ncmig_xs_live *l)
{
	struct capture_tx t;
	unsigned int len;
	char *path;
	void *v;
	int rc;

	memset(l, 0, sizeof(*l));
	l->x = x;
	l->c.domid = domid;
	if (!x->ops->watch || !x->ops->unwatch || !x->ops->next_event)
		return -EOPNOTSUPP;
	if (ncmig_xs_abs_path(l->home, sizeof(l->home), domid, ""))
		return -ENAMETOOLONG;
	snprintf(l->token, sizeof(l->token), "ncmig-live-%u", domid);
	rc = x->ops->watch(x, l->home, l->token);
	if (rc)
		return rc;
	/*
	 * One round trip: its reply comes after the watch's first event
	 * and every other of what was done so far, all of which the
	 * capture below (whose requests come later) reads anyway.
	 */
	rc = x->ops->read(x, l->home, &v, &len);
	if (!rc)
		free(v);
	while (!rc && (rc = x->ops->next_event(x, &path)) > 0) {
		free(path);
		rc = 0;
	}
	if (!rc) {
		t = (struct capture_tx){ .c = &l->c };
		rc = ncmig_xs_transaction(x, capture_body, capture_again, &t);
		l->cap = t.cap;
	}
	if (rc) {
		x->ops->unwatch(x, l->home, l->token);
		drop_bodies(&l->c);
		return rc;
	}
	l->watches_supported = !x->ops->domain_watches_supported(x);
	l->ok = true;
	return 0;
}

/* Each node's value length, for the report (the bodies carry it). */
static size_t value_bytes(const struct ncmig_xs_capture *c)
{
	struct ncmig_xs_node n;
	const char *why;
	size_t i, sum = 0;

	for (i = 0; i < c->nr_bodies; i++)
		if (c->bodies[i].type == NCMIG_REC_XS_NODE &&
		    !ncmig_xs_node_decode(c->bodies[i].body, c->bodies[i].len,
					  &n, &why))
			sum += n.value_len;
	return sum;
}

int ncmig_xs_live_sync(struct ncmig_xs_live *l)
{
	struct ncmig_xs *x = l->x;
	unsigned int ev = l->events, nodes = l->nodes_reread, len;
	void *v;
	int rc;

	if (!l->ok)
		return -ESTALE;
	/* After this reply, every event of what was done before it is in. */
	rc = x->ops->read(x, l->home, &v, &len);
	if (!rc) {
		free(v);
		rc = ncmig_xs_live_poll(l);
	}
	l->take_events = l->events - ev;
	l->take_nodes = l->nodes_reread - nodes;
	if (!rc && (!l->c.nr_bodies || l->c.bodies[0].rel[0]))
		rc = -ENOENT;
	if (rc)
		l->ok = false;
	return rc;
}

int ncmig_xs_live_take(struct ncmig_xs_live *l, struct ncmig_xs_capture *out)
{
	int rc = ncmig_xs_live_sync(l);

	if (rc) {
		memset(out, 0, sizeof(*out));
		out->domid = l->c.domid;
		return rc;
	}
	return ncmig_xs_live_copy(l, out);
}

int ncmig_xs_live_copy(struct ncmig_xs_live *l, struct ncmig_xs_capture *out)
{
	struct ncmig_xs *x = l->x;
	size_t cap = 0, i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->domid = l->c.domid;
	if (!l->ok)
		return -ESTALE;
	if (ncmig_grow(&out->bodies, &cap, l->c.nr_bodies, sizeof(*out->bodies),
		       64))
		return -ENOMEM;
	for (i = 0; i < l->c.nr_bodies; i++) {
		const struct ncmig_xs_body *b = &l->c.bodies[i];
		unsigned char *body = malloc(b->len ? b->len : 1);

		if (!body) {
			rc = -ENOMEM;
			break;
		}
		memcpy(body, b->body, b->len);
		rc = push(out, &cap, b->type, body, b->len, b->rel);
		if (rc)
			break;
	}
	if (!rc) {
		out->nr_nodes = out->nr_bodies;
		out->value_bytes = value_bytes(out);
		if (l->watches_supported)
			rc = capture_watches(x, out, &cap);
		else
			out->watches = NCMIG_WATCHES_UNSUPPORTED;
	}
	if (rc)
		drop_bodies(out);
	return rc;
}

int ncmig_xs_live_fd(const struct ncmig_xs_live *l)
{
	if (!l->ok || !l->x->ops->event_fd)
		return -1;
	return l->x->ops->event_fd(l->x);
}

void ncmig_xs_live_free(struct ncmig_xs_live *l)
{
	if (l->x && l->home[0] && l->x->ops->unwatch)
		l->x->ops->unwatch(l->x, l->home, l->token);
	drop_bodies(&l->c);
	l->cap = 0;
	l->ok = false;
}
