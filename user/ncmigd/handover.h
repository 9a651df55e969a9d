/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ncmigd handover, shared by the single-domain flow (cmd_handover.c) and
 * the multi-domain driver (handover_multi.c): one struct handover per
 * domain, and the steps each runs. Every step reports its own failure
 * (naming the domain, and the device when there is one) and leaves the
 * recovery to its caller.
 */
#ifndef NCMIGD_HANDOVER_H
#define NCMIGD_HANDOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "json.h"
#include "ncmig.h"

/* --domid may be given this many times, each a distinct domain. */
#define HANDOVER_DOMS_MAX	64

struct handover {
	uint16_t domid;
	bool reload, json;
	const char *module_dir;
	uint32_t timeout_ms, deadline_ms;
	struct ncmig_nl_sock *nl;		/* shared by every domain of a run */
	struct ncmig_nl_status st;
	struct ncmig_nl_reply *quiesce;	/* reply: per device drain, start */
	struct ncmig_nl_reply *restore;	/* reply: per device done, blackout */
	struct ncmig_writer w;
	unsigned int nr_records;
	bool released;			/* RELEASE was sent */
	const char *pause_after;	/* tests: stop here until killed */
	uint32_t hold_ms;		/* tests: wait between release and restore */
	uint64_t t_start, t_end;
};

uint64_t ho_now_ns(void);

/* QUIESCE (sets t_start); on failure the kernel resumed what it quiesced. */
int ho_quiesce(struct handover *h);
/* SNAPSHOT every device into h->w, a stream of its own. */
int ho_snapshot(struct handover *h);
/* RELEASE; h->released is set even if it fails (restore from the stream). */
int ho_release(struct handover *h);
/* RESTORE from the stream, once more after 200 ms if it fails. */
int ho_restore(struct handover *h);
/* Leave the guest running, whatever step failed. */
void ho_recover(struct handover *h);
/*
 * Unload and load again the backend modules any of the @n domains uses,
 * once. Returns 0, -EBUSY (an rmmod failed) or -EIO (a load failed).
 */
int ho_reload_modules(struct handover *hs, unsigned int n);
/* Per-device lines and the domain's line; with @j, one object into it. */
void ho_print_result(const struct handover *h, struct json *j);

/* The multi-domain driver: phase by phase over @n domains. */
int handover_multi(struct handover *hs, unsigned int n);

#endif /* NCMIGD_HANDOVER_H */
