// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ncmigd's audit trail to syslog (audit.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "audit.h"

static char last[512];

void ncmigd_audit(bool fail, const char *fmt, ...)
{
	static bool opened;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last, sizeof(last), fmt, ap);
	va_end(ap);
#ifndef NCMIGD_NO_KERNEL
	if (!opened) {
		openlog("ncmigd", LOG_PID, LOG_DAEMON);
		opened = true;
	}
	syslog(fail ? LOG_ERR : LOG_NOTICE, "%s", last);
#else
	(void)opened;
	(void)fail;
#endif
}

const char *ncmigd_audit_last(void)
{
	return last;
}

/* "vbd 51712, vif 0" from a QUIESCE reply. */
static void dev_list(const struct ncmig_nl_reply *r, char *buf, size_t cap)
{
	size_t off = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; r && i < r->nr_devs && off < cap; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s%s %u",
					i ? ", " : "",
					ncmig_kind_name(r->devs[i].kind),
					r->devs[i].devid);
	if (!r || !r->nr_devs)
		snprintf(buf, cap, "no device");
}

void ncmigd_audit_phase(const struct ncmig_ho *ho, enum ncmig_ho_phase p)
{
	char devs[256];
	unsigned int i;

	if (p == NCMIG_HO_RELOAD) {
		ncmigd_audit(false, "backend modules reloaded for %u domain(s)",
			     ho->n);
		return;
	}
	if (p != NCMIG_HO_QUIESCE && p != NCMIG_HO_RELEASE)
		return;
	for (i = 0; i < ho->n; i++) {
		dev_list(ho->doms[i].quiesce, devs, sizeof(devs));
		ncmigd_audit(false, "d%u: %s done: %s", ho->doms[i].domid,
			     ncmig_ho_phase_name(p), devs);
	}
}

void ncmigd_audit_restored(const struct ncmig_ho_dom *d)
{
	const struct ncmig_nl_reply *r = d->restore;
	char devs[384];
	size_t off = 0;
	unsigned int i;

	devs[0] = '\0';
	for (i = 0; r && i < r->nr_devs && off < sizeof(devs); i++) {
		if (r->devs[i].left)
			off += (size_t)snprintf(devs + off, sizeof(devs) - off,
						"%s%s %u left=%s (not handed over)",
						i ? ", " : "",
						ncmig_kind_name(r->devs[i].kind),
						r->devs[i].devid,
						ncmig_nl_left_name(r->devs[i].left));
		else
			off += (size_t)snprintf(devs + off, sizeof(devs) - off,
						"%s%s %u blackout_ms=%.1f",
						i ? ", " : "",
						ncmig_kind_name(r->devs[i].kind),
						r->devs[i].devid,
						r->devs[i].blackout_ns / 1e6);
	}
	ncmigd_audit(d->nr_left > 0, "d%u: restore done: %s", d->domid,
		     off ? devs : "no device");
}

void ncmigd_audit_end(const struct ncmig_ho *ho, int err)
{
	const struct ncmig_ho_dom *d;
	unsigned int i;

	if (!err)
		return;
	for (i = 0; i < ho->n; i++) {
		d = &ho->doms[i];
		if (d->restored && !d->err)
			continue;
		ncmigd_audit(true, "d%u: handover failed in %s: %s; %s",
			     d->domid, ncmig_ho_phase_name(ho->failed),
			     d->st.msg[0] ? d->st.msg : strerror(-err),
			     d->released ? (d->restored ? "restored" :
					    "left to the kernel's watchdog") :
			     "resumed in place");
	}
}
