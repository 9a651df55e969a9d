/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ncmigd's audit trail (audit.c): every QUIESCE, RELEASE, module reload,
 * RESTORE and resume it made, with the domain, the devices and the
 * outcome, to syslog (the journal on a systemd dom0), so that "what
 * happened to domain 7 at 03:12?" can be answered from the log alone.
 * The kernel logs what it does on its own (watchdog resumes).
 */
#ifndef NCMIGD_AUDIT_H
#define NCMIGD_AUDIT_H

#include "ncmig.h"

/* One line, LOG_NOTICE (@fail: LOG_ERR), tagged "ncmigd[pid]". */
void ncmigd_audit(bool fail, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A phase of @ho ended well for every domain: one line per domain. */
void ncmigd_audit_phase(const struct ncmig_ho *ho, enum ncmig_ho_phase p);
/* @d was restored: its devices and their blackouts. */
void ncmigd_audit_restored(const struct ncmig_ho_dom *d);
/* The run ended with @err: each domain's outcome, if it failed. */
void ncmigd_audit_end(const struct ncmig_ho *ho, int err);

/* Unit tests: the last line audited (NCMIGD_NO_KERNEL builds). */
const char *ncmigd_audit_last(void);

#endif /* NCMIGD_AUDIT_H */
