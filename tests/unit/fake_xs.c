// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_xs.h"

#define MAX_NODES 4096
#define MAX_WATCHES 64
#define MAX_EVENTS 4096

struct fnode {
	char *path;
	unsigned char *val;
	unsigned int len;
	struct ncmig_xs_perm perms[8];
	unsigned int nperms;
};

struct store {
	struct fnode n[MAX_NODES];
	unsigned int nr;
};

struct fake {
	struct ncmig_xs x;
	struct store main, tx;
	bool in_tx;
	unsigned int fail_commits;
	bool watches_on;
	int add_rc;
	unsigned int writes, tx_writes;
	struct {
		unsigned int domid;
		char text[256];
	} w[MAX_WATCHES];
	unsigned int nr_w;
	/* Our own XS_WATCH (one), its events, and those a transaction holds. */
	bool no_watch;
	char *watch_path;
	char *ev[MAX_EVENTS], *tx_ev[MAX_EVENTS];
	unsigned int nr_ev, nr_tx_ev;
	unsigned int requests;
};

static struct fake *F(struct ncmig_xs *x)
{
	return (struct fake *)x;
}

static struct store *cur(struct ncmig_xs *x)
{
	return F(x)->in_tx ? &F(x)->tx : &F(x)->main;
}

/* An event for @path if our watch covers it (held by a transaction). */
static void fire(struct ncmig_xs *x, const char *path)
{
	struct fake *f = F(x);
	size_t wl;

	if (!f->watch_path)
		return;
	wl = strlen(f->watch_path);
	if (strncmp(path, f->watch_path, wl) || (path[wl] && path[wl] != '/'))
		return;
	if (f->in_tx) {
		if (f->nr_tx_ev < MAX_EVENTS)
			f->tx_ev[f->nr_tx_ev++] = strdup(path);
	} else if (f->nr_ev < MAX_EVENTS) {
		f->ev[f->nr_ev++] = strdup(path);
	}
}

static void drop_tx_events(struct fake *f, bool keep)
{
	unsigned int i;

	for (i = 0; i < f->nr_tx_ev; i++) {
		if (keep && f->nr_ev < MAX_EVENTS)
			f->ev[f->nr_ev++] = f->tx_ev[i];
		else
			free(f->tx_ev[i]);
	}
	f->nr_tx_ev = 0;
}

static struct fnode *find(struct store *s, const char *path)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->n[i].path, path))
			return &s->n[i];
	return NULL;
}

static void clear(struct store *s)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++) {
		free(s->n[i].path);
		free(s->n[i].val);
	}
	s->nr = 0;
}

static void copy(struct store *d, const struct store *s)
{
	unsigned int i;

	clear(d);
	for (i = 0; i < s->nr; i++) {
		d->n[i] = s->n[i];
		d->n[i].path = strdup(s->n[i].path);
		d->n[i].val = malloc(s->n[i].len + 1);
		memcpy(d->n[i].val, s->n[i].val, s->n[i].len + 1);
	}
	d->nr = s->nr;
}

/* Create @path (and missing parents, inheriting perms) if absent. */
static struct fnode *make(struct store *s, const char *path)
{
	struct fnode *n = find(s, path), *parent = NULL;
	bool has_parent = false;
	char *up;

	if (n)
		return n;
	up = strdup(path);
	if (strrchr(up, '/') && strrchr(up, '/') != up) {
		*strrchr(up, '/') = 0;
		parent = make(s, up);
		has_parent = true;
	}
	free(up);
	/* Full (like xenstored's quota): ENOSPC for the writer. */
	if (s->nr == MAX_NODES || (has_parent && !parent))
		return NULL;
	n = &s->n[s->nr++];
	memset(n, 0, sizeof(*n));
	n->path = strdup(path);
	n->val = calloc(1, 1);
	if (parent) {
		memcpy(n->perms, parent->perms, sizeof(n->perms));
		n->nperms = parent->nperms;
	} else {
		n->perms[0].perm = 'n';
		n->nperms = 1;
	}
	return n;
}

static int f_directory(struct ncmig_xs *x, const char *path, char ***names,
		       unsigned int *num)
{
	struct store *s = cur(x);
	size_t pl = strlen(path), total = 0;
	unsigned int i, k = 0;
	char **arr, *p;

	F(x)->requests++;
	if (!find(s, path))
		return -ENOENT;
	for (i = 0; i < s->nr; i++) {
		const char *q = s->n[i].path;

		if (!strncmp(q, path, pl) && q[pl] == '/' &&
		    !strchr(q + pl + 1, '/')) {
			k++;
			total += strlen(q + pl + 1) + 1;
		}
	}
	arr = malloc(k * sizeof(char *) + total + 1);
	p = (char *)(arr + k);
	k = 0;
	for (i = 0; i < s->nr; i++) {
		const char *q = s->n[i].path;

		if (!strncmp(q, path, pl) && q[pl] == '/' &&
		    !strchr(q + pl + 1, '/')) {
			arr[k++] = p;
			strcpy(p, q + pl + 1);
			p += strlen(p) + 1;
		}
	}
	*names = arr;
	*num = k;
	return 0;
}

static int f_read(struct ncmig_xs *x, const char *path, void **val,
		  unsigned int *len)
{
	struct fnode *n = find(cur(x), path);

	F(x)->requests++;
	if (!n)
		return -ENOENT;
	*val = malloc(n->len + 1);
	memcpy(*val, n->val, n->len + 1);
	*len = n->len;
	return 0;
}

static int f_write(struct ncmig_xs *x, const char *path, const void *val,
		   unsigned int len)
{
	struct fnode *n = make(cur(x), path);

	F(x)->requests++;
	if (!n)
		return -ENOSPC;
	fire(x, path);
	free(n->val);
	n->val = malloc(len + 1);
	memcpy(n->val, val, len);
	n->val[len] = 0;
	n->len = len;
	if (F(x)->in_tx)
		F(x)->tx_writes++;
	else
		F(x)->writes++;
	return 0;
}

static int f_rm(struct ncmig_xs *x, const char *path)
{
	struct store *s = cur(x);
	size_t pl = strlen(path);
	unsigned int i = 0;

	F(x)->requests++;
	if (find(s, path))
		fire(x, path);
	while (i < s->nr) {
		const char *q = s->n[i].path;

		if (!strncmp(q, path, pl) && (!q[pl] || q[pl] == '/')) {
			free(s->n[i].path);
			free(s->n[i].val);
			s->n[i] = s->n[--s->nr];
			continue;
		}
		i++;
	}
	if (F(x)->in_tx)
		F(x)->tx_writes++;
	else
		F(x)->writes++;
	return 0;
}

static int f_get_perms(struct ncmig_xs *x, const char *path,
		       struct ncmig_xs_perm **perms, unsigned int *num)
{
	struct fnode *n = find(cur(x), path);

	F(x)->requests++;
	if (!n)
		return -ENOENT;
	*perms = malloc(sizeof(n->perms));
	memcpy(*perms, n->perms, sizeof(n->perms));
	*num = n->nperms;
	return 0;
}

static int f_set_perms(struct ncmig_xs *x, const char *path,
		       const struct ncmig_xs_perm *perms, unsigned int num)
{
	struct fnode *n = find(cur(x), path);

	if (!n)
		return -ENOENT;
	if (num > 8 || num < 1)
		return -EINVAL;
	F(x)->requests++;
	memcpy(n->perms, perms, num * sizeof(*perms));
	n->nperms = num;
	fire(x, path);
	return 0;
}

static int f_tx_start(struct ncmig_xs *x)
{
	F(x)->requests++;
	if (F(x)->in_tx)
		return -EBUSY;
	copy(&F(x)->tx, &F(x)->main);
	F(x)->in_tx = true;
	F(x)->tx_writes = 0;
	return 0;
}

static int f_tx_end(struct ncmig_xs *x, bool abort_)
{
	struct fake *f = F(x);

	f->requests++;
	if (!f->in_tx)
		return -EINVAL;
	f->in_tx = false;
	if (abort_) {
		drop_tx_events(f, false);
		return 0;
	}
	if (f->fail_commits) {
		f->fail_commits--;
		drop_tx_events(f, false);
		return -EAGAIN;
	}
	drop_tx_events(f, true);
	copy(&f->main, &f->tx);
	f->writes += f->tx_writes;
	return 0;
}

static int f_supported(struct ncmig_xs *x)
{
	F(x)->requests++;
	return F(x)->watches_on ? 0 : -EOPNOTSUPP;
}

static int f_get_watches(struct ncmig_xs *x, uint16_t domid,
			 struct ncmig_xs_watch_pair **w, unsigned int *num)
{
	struct fake *f = F(x);
	unsigned int i, k = 0;

	if (!f->watches_on)
		return -EOPNOTSUPP;
	*w = calloc(f->nr_w + 1, sizeof(**w));
	for (i = 0; i < f->nr_w; i++) {
		char *bar;

		if (f->w[i].domid != domid)
			continue;
		bar = strchr(f->w[i].text, '|');
		(*w)[k].path = strndup(f->w[i].text, (size_t)(bar - f->w[i].text));
		(*w)[k].token = strdup(bar + 1);
		k++;
	}
	*num = k;
	return 0;
}

static int f_add_watches(struct ncmig_xs *x, uint16_t domid,
			 const struct ncmig_xs_watch_pair *w, unsigned int num)
{
	unsigned int i;

	if (!F(x)->watches_on)
		return -EOPNOTSUPP;
	if (F(x)->add_rc)
		return F(x)->add_rc;
	for (i = 0; i < num; i++)
		fake_xs_add_watch(x, domid, w[i].path, w[i].token);
	return 0;
}

static int f_watch(struct ncmig_xs *x, const char *path, const char *token)
{
	struct fake *f = F(x);

	(void)token;
	f->requests++;
	if (f->no_watch)
		return -EOPNOTSUPP;
	if (f->watch_path)
		return -EEXIST;
	f->watch_path = strdup(path);
	fire(x, path);	/* xenstored's first event names the path */
	return 0;
}

static int f_unwatch(struct ncmig_xs *x, const char *path, const char *token)
{
	struct fake *f = F(x);

	(void)token;
	f->requests++;
	if (!f->watch_path || strcmp(f->watch_path, path))
		return -ENOENT;
	free(f->watch_path);
	f->watch_path = NULL;
	return 0;
}

/* Not a request: libxenstore hands out what it has already read. */
static int f_next_event(struct ncmig_xs *x, char **path)
{
	struct fake *f = F(x);

	if (!f->nr_ev)
		return 0;
	*path = f->ev[0];
	memmove(f->ev, f->ev + 1, --f->nr_ev * sizeof(f->ev[0]));
	return 1;
}

static const struct ncmig_xs_ops fake_ops = {
	.directory = f_directory,
	.read = f_read,
	.write = f_write,
	.rm = f_rm,
	.get_perms = f_get_perms,
	.set_perms = f_set_perms,
	.tx_start = f_tx_start,
	.tx_end = f_tx_end,
	.domain_watches_supported = f_supported,
	.get_domain_watches = f_get_watches,
	.add_domain_watches = f_add_watches,
	.watch = f_watch,
	.unwatch = f_unwatch,
	.next_event = f_next_event,
};

struct ncmig_xs *fake_xs_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	f->x.ops = &fake_ops;
	f->x.priv = f;
	return &f->x;
}

void fake_xs_free(struct ncmig_xs *x)
{
	struct fake *f = F(x);

	clear(&f->main);
	clear(&f->tx);
	while (f->nr_ev)
		free(f->ev[--f->nr_ev]);
	drop_tx_events(f, false);
	free(f->watch_path);
	free(f);
}

void fake_xs_set(struct ncmig_xs *x, const char *path, const void *val,
		 unsigned int len, const char *perms)
{
	struct fnode *n;
	const char *p = perms;
	unsigned int k = 0;

	if (f_write(x, path, val, len))
		abort();
	n = find(cur(x), path);
	while (p && *p && k < 8) {
		n->perms[k].perm = *p;
		n->perms[k].domid = (uint16_t)strtoul(p + 1, (char **)&p, 10);
		k++;
		while (*p == ' ')
			p++;
	}
	if (k)
		n->nperms = k;
}

const void *fake_xs_get(struct ncmig_xs *x, const char *path,
			unsigned int *len, char *perms, size_t cap)
{
	struct fnode *n = find(&F(x)->main, path);
	size_t off = 0;
	unsigned int i;

	if (!n)
		return NULL;
	*len = n->len;
	if (perms) {
		perms[0] = 0;
		for (i = 0; i < n->nperms; i++)
			off += (size_t)snprintf(perms + off, cap - off, "%s%c%u",
						i ? " " : "", n->perms[i].perm,
						n->perms[i].domid);
	}
	return n->val;
}

unsigned int fake_xs_count(struct ncmig_xs *x, const char *prefix)
{
	unsigned int i, k = 0;
	size_t pl = strlen(prefix);

	for (i = 0; i < F(x)->main.nr; i++)
		if (!strncmp(F(x)->main.n[i].path, prefix, pl) &&
		    (F(x)->main.n[i].path[pl] == 0 ||
		     F(x)->main.n[i].path[pl] == '/'))
			k++;
	return k;
}

void fake_xs_fail_commits(struct ncmig_xs *x, unsigned int n)
{
	F(x)->fail_commits = n;
}

void fake_xs_support_watches(struct ncmig_xs *x, bool on)
{
	F(x)->watches_on = on;
}

void fake_xs_add_watch(struct ncmig_xs *x, unsigned int domid,
		       const char *path, const char *token)
{
	struct fake *f = F(x);

	f->w[f->nr_w].domid = domid;
	snprintf(f->w[f->nr_w].text, sizeof(f->w[0].text), "%s|%s", path,
		 token);
	f->nr_w++;
}

const char *fake_xs_watch(struct ncmig_xs *x, unsigned int domid,
			  unsigned int i)
{
	struct fake *f = F(x);
	unsigned int k;

	for (k = 0; k < f->nr_w; k++)
		if (f->w[k].domid == domid && i-- == 0)
			return f->w[k].text;
	return NULL;
}

unsigned int fake_xs_writes(struct ncmig_xs *x)
{
	return F(x)->writes;
}

void fake_xs_fail_add_watches(struct ncmig_xs *x, int rc)
{
	F(x)->add_rc = rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *fake_xs_dump(struct ncmig_xs *x, const char *skip)
{
	struct store *s = &F(x)->main;
	size_t sl = skip ? strlen(skip) : 0, total = 1, off = 0;
	char **lines = calloc(s->nr + 1, sizeof(*lines)), *out;
	unsigned int i, k = 0, j;

	for (i = 0; i < s->nr; i++) {
		const struct fnode *n = &s->n[i];
		size_t cap, o;

		if (skip && !strncmp(n->path, skip, sl) &&
		    (!n->path[sl] || n->path[sl] == '/'))
			continue;
		cap = strlen(n->path) + 2 * n->len + 16 * n->nperms + 8;
		lines[k] = malloc(cap);
		o = (size_t)snprintf(lines[k], cap, "%s", n->path);
		for (j = 0; j < n->nperms; j++)
			o += (size_t)snprintf(lines[k] + o, cap - o, " %c%u",
					      n->perms[j].perm,
					      n->perms[j].domid);
		o += (size_t)snprintf(lines[k] + o, cap - o, " =");
		for (j = 0; j < n->len; j++)
			o += (size_t)snprintf(lines[k] + o, cap - o, "%02x",
					      n->val[j]);
		total += o + 1;
		k++;
	}
	qsort(lines, k, sizeof(*lines), cmp_str);
	out = malloc(total);
	out[0] = 0;
	for (i = 0; i < k; i++) {
		size_t l = strlen(lines[i]);

		memcpy(out + off, lines[i], l);
		out[off + l] = '\n';
		off += l + 1;
		free(lines[i]);
	}
	out[off] = 0;
	free(lines);
	return out;
}

unsigned int fake_xs_room(struct ncmig_xs *x)
{
	return MAX_NODES - F(x)->main.nr;
}

unsigned int fake_xs_requests(struct ncmig_xs *x)
{
	return F(x)->requests;
}

void fake_xs_no_watch(struct ncmig_xs *x, bool on)
{
	F(x)->no_watch = on;
}

unsigned int fake_xs_pending_events(struct ncmig_xs *x)
{
	return F(x)->nr_ev;
}

void fake_xs_set_perms(struct ncmig_xs *x, const char *path,
		       const char *perms)
{
	struct ncmig_xs_perm p[8];
	const char *q = perms;
	unsigned int k = 0;

	while (*q && k < 8) {
		p[k].perm = *q;
		p[k].domid = (uint16_t)strtoul(q + 1, (char **)&q, 10);
		k++;
		while (*q == ' ')
			q++;
	}
	if (f_set_perms(x, path, p, k))
		abort();
}

void fake_xs_rm(struct ncmig_xs *x, const char *path)
{
	f_rm(x, path);
}
