// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd update-backends: the host-wide live update an operator runs
 * after upgrading the backend modules (the ncmig-dkms package): every
 * domain with a vbd or vif backend on this host is handed over, in one
 * run of the engine, onto the newly loaded modules (rmmod, then modprobe,
 * which takes the new ones from updates/dkms).  The output is
 * handover's, per domain and per device, closed by
 *   update-backends: domains=N devices=N reload=1 total_ms=X max_blackout_ms=X
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "commands.h"
#include "handover.h"
#include "ncmig.h"
#include "opts.h"
#include "util.h"

const char update_backends_usage[] =
	"usage: ncmigd update-backends [--module-dir DIR] [--timeout-ms N]\n"
	"                              [--deadline-ms N] [--json]\n"
	"  Hand every domain with backend devices on this host over onto\n"
	"  freshly loaded backend modules (xen-blkback, xen-netback), as\n"
	"  handover --reload-modules does for the domains it is given: one\n"
	"  short blackout per device, no reconnect.  Run it after upgrading\n"
	"  the modules.  With no domain, it says so and changes nothing.\n"
	"  --module-dir DIR  insmod DIR/xen-blkback.ko... (else modprobe)\n"
	"  --timeout-ms N    drain bound per device (kernel default 5000)\n"
	"  --deadline-ms N   resume by itself if not released by then\n"
	"  --json            an array, one object per domain\n"
	"exit status as handover's: 3 if some device had left the handover\n";

static int update_opt(int c, const char *arg, void *ctx)
{
	return ho_engine_opt(c, arg, ctx);
}

int cmd_update_backends(int argc, char **argv)
{
	static const struct option own[] = {
		{ "module-dir", required_argument, NULL, 'm' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "deadline-ms", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	struct ncmig_ho_opts o = { .reload = true };
	const struct ncmigd_verb v = {
		.name = "update-backends", .usage = update_backends_usage,
		.own = own, .shared = NCMIGD_OPT_JSON, .opt = update_opt,
		.ctx = &o,
	};
	uint16_t domids[NCMIG_HO_DOMS_MAX];
	struct ncmigd_args a;
	int n, rc;

	rc = ncmigd_parse(&v, argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (optind != argc)
		return ncmigd_usage_error(&v);
	n = ncmig_backend_domains(getenv("NCMIGD_BACKEND_DEVICES"), domids,
				  NCMIG_HO_DOMS_MAX);
	if (n == -E2BIG) {
		ncmig_err("update-backends: more than %d domains have backends; "
			  "hand them over in groups with handover --reload-modules",
			  NCMIG_HO_DOMS_MAX);
		return 1;
	}
	if (n < 0) {
		ncmig_err("update-backends: cannot list the backend devices: %s",
			  strerror(-n));
		return 1;
	}
	if (!n) {
		printf("update-backends: no domain has backend devices: nothing to hand over\n");
		return 0;
	}
	ncmigd_audit(false, "update-backends: %d domain(s) onto reloaded backends", n);
	return ho_run_verb("update-backends", domids, (unsigned int)n, &o,
			   a.json, NULL);
}
