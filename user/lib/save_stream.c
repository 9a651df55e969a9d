// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <errno.h>
#include <string.h>

#include "ncmig.h"

int ncmig_save_stream(struct ncmig_xs *x, uint16_t domid, bool backends,
		       struct ncmig_writer *w, struct ncmig_save_report *r)
{
	struct ncmig_identity id;
	uint32_t flags;
	int rc;

	memset(r, 0, sizeof(*r));
	r->backends = -1;
	rc = ncmig_xs_capture(x, domid, &r->cap);
	if (rc) {
		ncmig_dom_err(domid, "capturing /local/domain/%u: %s", domid,
			       strerror(-rc));
		return rc;
	}
	flags = ncmig_xs_capture_flags(&r->cap);
	if (backends) {
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
			ncmig_dom_err(domid, "kernel backends: %s",
				       strerror(-rc));
			return rc;
		}
		if (rc > 0)
			flags |= NCMIG_DOM_F_BACKENDS;
	}
	ncmig_write_header(w);
	/* Who the stream belongs to, when it can be told (libxl's vm node,
	 * /etc/machine-id); backend records are useless without it.
	 */
	if (!ncmig_xs_domain_uuid(x, domid, id.uuid) && !ncmig_host_id(id.host))
		ncmig_write_domain_id(w, domid, flags, &id);
	else if (flags & NCMIG_DOM_F_BACKENDS) {
		ncmig_dom_err(domid, "backend records need the domain's UUID "
			       "(/local/domain/%u/vm) and the host's "
			       "(/etc/machine-id)", domid);
		return -ENOENT;
	} else
		ncmig_write_domain(w, domid, flags);
	ncmig_xs_capture_write(&r->cap, w);
	if (flags & NCMIG_DOM_F_BACKENDS) {
		rc = ncmig_backends->write(domid, w);
		if (rc < 0) {
			ncmig_dom_err(domid, "kernel backends: %s",
				       strerror(-rc));
			return rc;
		}
		r->backends = rc;
	}
	rc = ncmig_write_end(w);
	if (rc)
		ncmig_dom_err(domid, "writing the stream: %s", strerror(-rc));
	return rc;
}

void ncmig_save_report_free(struct ncmig_save_report *r)
{
	ncmig_xs_capture_free(&r->cap);
}
