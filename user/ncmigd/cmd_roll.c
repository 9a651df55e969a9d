// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd roll: the rolling update of the backends, with no all-guest
 * stop (libncmig's ncmig_roll_run(), roll.c): the new build is loaded as
 * the other slot beside the running one, the domains move over a batch
 * at a time, each device with its own short blackout, and the old slot
 * is unloaded once it serves nothing.  The output is handover's per
 * domain and per device, a line per batch, closed by
 *   roll: domains=N moved_domains=N devices_moved=N left=N old_unloaded=0|1
 *         new=MOD,MOD total_ms=X max_blackout_ms=X
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "commands.h"
#include "handover.h"
#include "ncmig.h"
#include "opts.h"
#include "util.h"

const char roll_usage[] =
	"usage: ncmigd roll [--module-dir DIR] [--batch N] [--timeout-ms N]\n"
	"                   [--deadline-ms N]\n"
	"  Rolling update of the backends, with no all-guest stop: load the\n"
	"  new build as the other slot (xen-blkback-b beside xen-blkback, or\n"
	"  the other way round; xen-netback likewise), move the domains onto\n"
	"  it a batch at a time, each with a plain handover (one short\n"
	"  blackout per device, no module unload meanwhile), then unload the\n"
	"  old slot once it serves nothing.  Guests created meanwhile start on\n"
	"  the new slot.  A failure stops the rollout: the domains moved stay\n"
	"  on the new slot, the others on the old one, served, and the old\n"
	"  slot stays loaded; roll again goes on from there.  update-backends\n"
	"  is the stop-all reload.\n"
	"  --module-dir DIR  insmod DIR/xen-blkback-b.ko... (else modprobe)\n"
	"  --batch N         domains per handover (default 1, at most 64)\n"
	"  --timeout-ms N    drain bound per device (kernel default 5000)\n"
	"  --deadline-ms N   resume by itself if not released by then\n"
	"exit status: 0 every device moved and the old slot unloaded,\n"
	"  1 the rollout stopped (a failure, said), 3 all went well but some\n"
	"  device could not be moved (named): the old slot stays loaded\n";

/*
 * Not in the help, for the lab's tests only:
 *   --hold-ms N   wait N ms after each batch that another follows (a
 *                 guest can be created while both slots are loaded).
 */
struct roll_args {
	struct ncmig_roll_opts o;
	uint32_t hold_ms;	/* lab: wait between two batches */
};

static int roll_opt(int c, const char *arg, void *ctx)
{
	struct roll_args *a = ctx;

	switch (c) {
	case 'm':
		a->o.module_dir = arg;
		return 0;
	case 'b':
		return ncmigd_parse_u32(arg, &a->o.batch) && a->o.batch &&
		       a->o.batch <= NCMIG_HO_DOMS_MAX ? 0 : 2;
	case 't':
	case 'D':
		return ho_engine_opt(c, arg, &a->o.ho);
	case 'H':
		return ncmigd_parse_u32(arg, &a->hold_ms) &&
		       a->hold_ms <= 600000 ? 0 : 2;
	}
	return 2;
}

static void restored(const struct ncmig_ho *ho, const struct ncmig_ho_dom *d,
		     void *arg)
{
	(void)arg;
	ho_print_result(d, ho->o.reload, false, NULL);
	ncmigd_audit_restored(d);
}

static void step(const struct ncmig_roll *r, const uint16_t *domids,
		 unsigned int n, int err, void *arg)
{
	const struct roll_args *a = arg;
	unsigned int i;

	printf("roll: d%u", domids[0]);
	for (i = 1; i < n; i++)
		printf(",d%u", domids[i]);
	if (err)
		printf(": stopped the rollout (%s)\n", strerror(-err));
	else
		printf(": on %s%s%s\n", r->k[0].active ? r->k[0].new_drv : "",
		       r->k[0].active && r->k[1].active ? "," : "",
		       r->k[1].active ? r->k[1].new_drv : "");
	fflush(stdout);
	if (!err && r->more && a->hold_ms) {
		struct timespec ts = { a->hold_ms / 1000,
				       (long)(a->hold_ms % 1000) * 1000000L };

		printf("roll: holding %u ms before the next batch\n", a->hold_ms);
		fflush(stdout);
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
}

int cmd_roll(int argc, char **argv)
{
	static const struct option own[] = {
		{ "module-dir", required_argument, NULL, 'm' },
		{ "batch", required_argument, NULL, 'b' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "deadline-ms", required_argument, NULL, 'D' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	static struct roll_args a;
	const struct ncmigd_verb v = {
		.name = "roll", .usage = roll_usage, .own = own,
		.opt = roll_opt, .ctx = &a,
	};
	struct ncmigd_args args;
	struct ncmig_roll r;
	unsigned int ki;
	int rc, err;

	memset(&a, 0, sizeof(a));
	rc = ncmigd_parse(&v, argc, argv, &args);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (optind != argc)
		return ncmigd_usage_error(&v);
	a.o.ho.restored = restored;
	a.o.step = step;
	a.o.arg = &a;
	ncmigd_audit(false, "roll: a rolling update of the backends");
	err = ncmig_roll_run(&r, &a.o);
	if (!r.k[0].active && !r.k[1].active && !err) {
		printf("roll: no backend is loaded and no device exists: nothing to update\n");
		return 0;
	}
	for (ki = 0; ki < 2; ki++)
		if (r.k[ki].active)
			ncmigd_audit(!r.k[ki].old_unloaded,
				     "roll: %s: %s -> %s, %u left on %s%s",
				     ki ? "vif" : "vbd", r.k[ki].old_mod,
				     r.k[ki].new_mod, r.k[ki].left,
				     r.k[ki].old_drv,
				     r.k[ki].old_unloaded ? ", unloaded" : "");
	printf("roll: domains=%u moved_domains=%u devices_moved=%u left=%u old_unloaded=%d new=%s%s%s total_ms=%.3f max_blackout_ms=%.3f\n",
	       r.nr_doms, r.nr_moved_doms, r.nr_moved,
	       r.k[0].left + r.k[1].left, r.old_unloaded,
	       r.k[0].active ? r.k[0].new_mod : "",
	       r.k[0].active && r.k[1].active ? "," : "",
	       r.k[1].active ? r.k[1].new_mod : "",
	       (r.t_end > r.t0 ? r.t_end - r.t0 : 0) / 1e6,
	       r.max_blackout_ns / 1e6);
	if (!err)
		return 0;
	return err == -EBUSY && r.failed_domid < 0 ? NCMIGD_EXIT_LEFT : 1;
}
