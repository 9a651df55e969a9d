// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Capture one domain's xenstore area as NODE_DATA/WATCH_DATA bodies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "ncmig.h"
#include "xs_record.h"


static int push(struct ncmig_xs_capture *c, size_t *cap, uint32_t type,
		unsigned char *body, size_t len)
{
	if (ncmig_grow(&c->bodies, cap, c->nr_bodies + 1,
		       sizeof(*c->bodies), 64)) {
		free(body);
		return -ENOMEM;
	}
	c->bodies[c->nr_bodies++] = (struct ncmig_xs_body){ type, body, len };
	return 0;
}

static void drop_bodies(struct ncmig_xs_capture *c)
{
	size_t i;

	for (i = 0; i < c->nr_bodies; i++)
		free(c->bodies[i].body);
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
	rc = push(c, cap, NCMIG_REC_XS_NODE, body, blen);
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
			rc = push(c, cap, NCMIG_REC_XS_WATCH, body, blen);
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

const char *ncmig_watch_status_text(enum ncmig_watch_status st, bool save)
{
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
