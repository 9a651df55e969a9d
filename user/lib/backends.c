// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The stream commands' way to the kernel's backends (ncmig.h), through
 * the xen_ncmig family (nl*.c).
 *
 * save takes a checkpoint through the handover engine
 * (ncmig_ho_checkpoint(), handover.c, which owns its recovery): it
 * quiesces the domain's backends, snapshots them and resumes them in
 * place, all on one socket, so the records are consistent (no request in
 * flight) and the guest goes on. restore hands
 * the records to RESTORE: a fresh restore of backends that were released
 * (or never bound) on this host.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncmig.h"

static struct ncmig_nl_sock *open_family(struct ncmig_nl_status *st)
{
	struct ncmig_nl_sock *nl = ncmig_nl_open(st);

	if (!nl && st->err != -ENOENT)
		ncmig_err("%s", st->msg);
	return nl;
}

static void kernel_err(uint16_t domid, const char *step,
		       const struct ncmig_nl_status *st)
{
	ncmig_dom_err(domid, "%s: %s (%s)", step,
		       st->msg[0] ? st->msg : "failed", strerror(-st->err));
}

static int count_cb(const struct ncmig_nl_reply *r, void *arg)
{
	(*(unsigned int *)arg) += r->nr_devs ? 1 : 0;
	return 0;
}

int ncmig_backends_probe(uint16_t domid)
{
	unsigned int nr = 0;
	struct ncmig_nl_status st;
	struct ncmig_nl_sock *nl;
	int err;

	nl = open_family(&st);
	if (!nl)
		return st.err == -ENOENT ? 0 : st.err;
	err = ncmig_nl_devices(nl, domid, count_cb, &nr, &st);
	if (err)
		kernel_err(domid, "DEV_GET", &st);
	ncmig_nl_close(nl);
	return err ? err : nr > 0;
}

/* A checkpoint by the handover engine, its records copied into @w. */
int ncmig_backends_write(uint16_t domid, struct ncmig_writer *w)
{
	struct ncmig_stream_err serr;
	struct ncmig_stream s;
	struct ncmig_ho_dom *d;
	struct ncmig_ho ho;
	const void **recs = NULL;
	size_t *lens = NULL;
	size_t i;
	int err;

	err = ncmig_ho_init(&ho, &domid, 1, NULL, NULL);
	if (err)
		return err;
	err = ncmig_ho_checkpoint(&ho);
	d = &ho.doms[0];
	if (err)
		goto out;
	err = ncmig_stream_parse(d->w.buf, d->w.len, &s, &serr);
	if (err) {
		ncmig_dom_err(domid, "stream: %s", serr.msg);
		goto out;
	}
	err = ncmig_stream_backend_arrays(&s, &recs, &lens);
	for (i = 0; !err && i < s.nr_backends; i++) {
		err = ncmig_write_backend(w, recs[i], lens[i]);
		if (err)
			ncmig_dom_err(domid, "record %zu refused: %s", i,
				      strerror(-err));
	}
	if (!err)
		err = (int)s.nr_backends;
	free(recs);
	free(lens);
	ncmig_stream_free(&s);
out:
	ncmig_ho_fini(&ho);
	return err;
}

int ncmig_backends_restore(uint16_t domid, const struct ncmig_stream *s)
{
	const void **recs = NULL;
	struct ncmig_nl_reply *r = NULL;
	size_t *lens = NULL;
	struct ncmig_nl_status st;
	struct ncmig_nl_sock *nl;
	int err;

	if (!s->nr_backends)
		return 0;
	nl = open_family(&st);
	if (!nl)
		return st.err == -ENOENT ? -EOPNOTSUPP : st.err;
	r = malloc(sizeof(*r));
	err = r ? ncmig_stream_backend_arrays(s, &recs, &lens) : -ENOMEM;
	if (err)
		goto out;
	err = ncmig_nl_restore(nl, domid, recs, lens,
			       (unsigned int)s->nr_backends, r, &st);
	if (err)
		kernel_err(domid, "RESTORE", &st);
out:
	ncmig_nl_close(nl);
	free(recs);
	free(lens);
	free(r);
	return err ? err : (int)s->nr_backends;
}

int ncmig_backends_family(void)
{
	struct ncmig_nl_status st;
	struct ncmig_nl_sock *nl = open_family(&st);

	if (!nl)
		return st.err == -ENOENT ? -EOPNOTSUPP : st.err;
	ncmig_nl_close(nl);
	return 0;
}

static const struct ncmig_backends_ops real_backends = {
	.probe = ncmig_backends_probe,
	.write = ncmig_backends_write,
	.restore = ncmig_backends_restore,
	.family = ncmig_backends_family,
};

const struct ncmig_backends_ops *ncmig_backends = &real_backends;
