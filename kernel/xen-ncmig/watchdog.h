/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The watchdog that resumes a quiesced domain by itself when the session's
 * owner closes its netlink socket or the session's deadline passes.
 */
#ifndef NCMIG_WATCHDOG_H
#define NCMIG_WATCHDOG_H

int ncmig_watchdog_init(void);
void ncmig_watchdog_exit(void);

/* Re-evaluate the sessions now (a deadline was armed or a socket closed). */
void ncmig_watchdog_kick(void);

struct xbq_dev_id;
/*
 * @id is released and its attach found no backend: request its
 * kind's backend module, from a work item (watchdog.c). Takes only a
 * spinlock: callable under the session lock.
 */
void ncmig_watchdog_want_backend(const struct xbq_dev_id *id);

#endif /* NCMIG_WATCHDOG_H */
