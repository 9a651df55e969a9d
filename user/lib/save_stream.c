// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnttab.h"
#include "ncmig.h"

int ncmig_save_ahead(struct ncmig_xs *x, uint16_t domid, bool backends,
		     struct ncmig_save_ahead *a)
{
	int rc;

	memset(a, 0, sizeof(*a));
	/* Who the stream belongs to, when it can be told (libxl's vm node,
	 * /etc/machine-id); backend records are useless without it.
	 */
	a->identity = !ncmig_xs_domain_uuid(x, domid, a->id.uuid) &&
		      !ncmig_host_id(a->id.host);
	if (!backends)
		return 0;
	/* Asked for explicitly: no family is an error, not "none". */
	rc = ncmig_backends->family();
	if (rc) {
		ncmig_dom_err(domid, "--backends: %s", rc == -EOPNOTSUPP ?
			       "no xen_ncmig netlink family (is "
			       "xen-ncmig.ko loaded?)" : strerror(-rc));
		return rc;
	}
	rc = ncmig_backends->probe(domid);
	if (rc < 0) {
		ncmig_dom_err(domid, "kernel backends: %s", strerror(-rc));
		return rc;
	}
	a->backends = rc > 0;
	if (a->backends && !a->identity) {
		ncmig_dom_err(domid, "backend records need the domain's UUID "
			       "(/local/domain/%u/vm) and the host's "
			       "(/etc/machine-id)", domid);
		return -ENOENT;
	}
	return 0;
}

int ncmig_save_stream_taken(uint16_t domid, const struct ncmig_save_ahead *a,
			    struct ncmig_xs_capture *cap,
			    struct ncmig_writer *w, struct ncmig_save_report *r)
{
	uint32_t flags;
	int rc;

	memset(r, 0, sizeof(*r));
	r->backends = -1;
	r->gnttab_entries = -1;
	r->cap = *cap;		/* the report owns it now */
	memset(cap, 0, sizeof(*cap));
	flags = ncmig_xs_capture_flags(&r->cap);
	if (a->backends)
		flags |= NCMIG_DOM_F_BACKENDS;
	ncmig_write_header(w);
	if (a->identity)
		ncmig_write_domain_id(w, domid, flags, &a->id);
	else
		ncmig_write_domain(w, domid, flags);
	ncmig_xs_capture_write(&r->cap, w);
	if (a->backends) {
		rc = ncmig_backends->write(domid, w);
		if (rc < 0) {
			ncmig_dom_err(domid, "kernel backends: %s",
				       strerror(-rc));
			return rc;
		}
		r->backends = rc;
	}
	if (a->gnttab) {
		unsigned char *body;
		const char *why;
		size_t len;
		struct ncmig_gnttab g;

		rc = ncmig_gnttab_capture(domid, &body, &len, &why);
		if (!rc && !ncmig_gnttab_decode(body, len, &g, NULL)) {
			ncmig_write_record(w, NCMIG_REC_GNTTAB, body, len);
			r->gnttab_entries = g.nr_entries;
		} else {
			/* Evidence only: the rest of the stream stands. */
			snprintf(r->gnttab_why, sizeof(r->gnttab_why), "%s: %s",
				 why, strerror(rc ? -rc : EINVAL));
		}
		if (!rc)
			free(body);
	}
	rc = ncmig_write_end(w);
	if (rc)
		ncmig_dom_err(domid, "writing the stream: %s", strerror(-rc));
	return rc;
}

int ncmig_save_stream(struct ncmig_xs *x, uint16_t domid, bool backends,
		       struct ncmig_writer *w, struct ncmig_save_report *r)
{
	return ncmig_save_stream_opts(x, domid, backends, false, w, r);
}

int ncmig_save_stream_opts(struct ncmig_xs *x, uint16_t domid, bool backends,
			   bool gnttab, struct ncmig_writer *w,
			   struct ncmig_save_report *r)
{
	struct ncmig_xs_capture cap;
	struct ncmig_save_ahead a;
	int rc;

	memset(r, 0, sizeof(*r));
	r->backends = -1;
	rc = ncmig_xs_capture(x, domid, &cap);
	if (rc) {
		ncmig_dom_err(domid, "capturing /local/domain/%u: %s", domid,
			       strerror(-rc));
		return rc;
	}
	rc = ncmig_save_ahead(x, domid, backends, &a);
	if (rc) {
		ncmig_xs_capture_free(&cap);
		return rc;
	}
	a.gnttab = gnttab;
	return ncmig_save_stream_taken(domid, &a, &cap, w, r);
}

void ncmig_save_report_free(struct ncmig_save_report *r)
{
	ncmig_xs_capture_free(&r->cap);
}
