// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The rolling update (roll.c, ncmig_roll_run()) over a fake /sys: the
 * core's "backends" parameter, the xen-backend bus's devices (their
 * state) and drivers (who is bound to which), /sys/module.  The module
 * commands go through the run/capture hooks (insmod of the new slot
 * makes the fake core prefer it, rmmod drops it), and a batch's
 * handover through the handover hook, which moves the batch's devices
 * from the old drivers' directories to the new ones', or fails.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "capture.h"
#include "commands.h"
#include "ncmig.h"

static char tree[] = "/tmp/ncmig-roll-XXXXXX";
#define RELEASE	"6.12.0-test-amd64"
#define PARAM	"module/xen_backend_quiesce/parameters/backends"

static struct {
	char log[1024];		/* module commands and handovers, in order */
	int fail_dom;		/* the handover of this domain fails */
	bool refuse;		/* the core does not take the new slot */
} F;

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static void put(const char *rel, const char *content)
{
	sh("mkdir -p \"$(dirname '%s/%s')\" && printf '%%s' '%s' >'%s/%s'",
	   tree, rel, content, tree, rel);
}

static bool there(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	return !access(p, F_OK);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	size_t off = strlen(F.log);
	va_list ap;

	if (off)
		off += (size_t)snprintf(F.log + off, sizeof(F.log) - off, "; ");
	va_start(ap, fmt);
	vsnprintf(F.log + off, sizeof(F.log) - off, fmt, ap);
	va_end(ap);
}

/* The core's parameter as the kernel writes it, from the loaded modules. */
static void write_param(void)
{
	const char *vbd[2] = { NULL, NULL }, *vif[2] = { NULL, NULL };
	char buf[256];

	/* The slot loaded last (b here) first, as the core prefers it. */
	if (there("module/xen_blkback_b") && !F.refuse)
		vbd[0] = "xen_blkback_b";
	if (there("module/xen_blkback"))
		vbd[vbd[0] ? 1 : 0] = "xen_blkback";
	if (there("module/xen_netback_b") && !F.refuse)
		vif[0] = "xen_netback_b";
	if (there("module/xen_netback"))
		vif[vif[0] ? 1 : 0] = "xen_netback";
	snprintf(buf, sizeof(buf), "vbd=%s%s%s vif=%s%s%s\n",
		 vbd[0] ? vbd[0] : "", vbd[1] ? "," : "", vbd[1] ? vbd[1] : "",
		 vif[0] ? vif[0] : "", vif[1] ? "," : "", vif[1] ? vif[1] : "");
	put(PARAM, buf);
}

static int fake_run(char *const argv[], void *arg)
{
	const char *base;

	(void)arg;
	note("%s %s", argv[0], argv[1]);
	if (!strcmp(argv[0], "rmmod")) {
		sh("rm -rf '%s/module/%s'", tree, argv[1]);
		write_param();
		return 0;
	}
	base = strrchr(argv[1], '/');
	base = base ? base + 1 : argv[1];
	if (!strcmp(base, "xen-blkback-b.ko"))
		sh("mkdir -p '%s/module/xen_blkback_b'", tree);
	else if (!strcmp(base, "xen-netback-b.ko"))
		sh("mkdir -p '%s/module/xen_netback_b'", tree);
	else
		return 1;
	write_param();
	return 0;
}

static int fake_capture(char *const argv[], char *o, size_t cap, void *arg)
{
	const char *what = argv[1];
	bool blk = strstr(what, "blk") != NULL;

	(void)arg;
	assert_string_equal(argv[0], "modinfo");
	snprintf(o, cap,
		 "filename:       %s\nalias:          xen-backend:%s\n"
		 "depends:        xen-backend-quiesce\nname:           %s\n"
		 "vermagic:       %s SMP preempt mod_unload modversions \n",
		 what, blk ? "vbd" : "vif", blk ? "xen_blkback_b" : "xen_netback_b",
		 RELEASE);
	return 0;
}

/* A batch's handover: its devices move to the new drivers, or it fails. */
static int fake_handover(struct ncmig_roll *r, const uint16_t *domids,
			 unsigned int n, void *arg)
{
	char doms[128] = "";
	unsigned int i, ki;
	size_t off = 0;

	(void)arg;
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(doms + off, sizeof(doms) - off, "%s%u",
					i ? "," : "", domids[i]);
	note("H%s", doms);
	for (i = 0; i < n; i++) {
		if (domids[i] == F.fail_dom)
			return -ETIMEDOUT;
		for (ki = 0; ki < 2; ki++) {
			const struct ncmig_roll_kind *k = &r->k[ki];
			const char *type = ki ? "vif" : "vbd";

			if (!k->active)
				continue;
			sh("cd '%s/bus/xen-backend/drivers' && for f in %s/%s-%u-*; do "
			   "[ -e \"$f\" ] || continue; "
			   "[ \"$(cat ../devices/${f#*/}/state)\" = Connected ] || continue; "
			   "mv \"$f\" %s/; done",
			   tree, k->old_drv, type, domids[i], k->new_drv);
		}
	}
	return 0;
}

/* A device NAME in STATE bound to driver DRV. */
static void dev(const char *name, const char *state, const char *drv)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "bus/xen-backend/devices/%s/state", name);
	put(rel, state);
	snprintf(rel, sizeof(rel), "bus/xen-backend/drivers/%s/%s", drv, name);
	put(rel, "");
}

/* Slot a running with domains 5 and 6 (a vbd and a vif each). */
static void setup(bool both_slots)
{
	sh("rm -rf '%s'/* && mkdir -p '%s/m' '%s/module/xen_backend_quiesce' "
	   "'%s/module/xen_blkback' '%s/module/xen_netback' "
	   "'%s/bus/xen-backend/drivers/vbd-b' '%s/bus/xen-backend/drivers/vif-b'",
	   tree, tree, tree, tree, tree, tree, tree);
	put("m/xen-blkback-b.ko", "");
	put("m/xen-netback-b.ko", "");
	memset(&F, 0, sizeof(F));
	if (both_slots) {
		sh("mkdir -p '%s/module/xen_blkback_b' '%s/module/xen_netback_b'",
		   tree, tree);
	}
	write_param();
	dev("vbd-5-51712", "Connected", "vbd");
	dev("vif-5-0", "Connected", "vif");
	dev("vbd-6-51712", "Connected", "vbd");
	dev("vif-6-0", "Connected", "vif");
}

static int run(struct ncmig_roll *r, unsigned int batch)
{
	char mdir[128];
	struct ncmig_roll_opts o = {
		.ho = { .run = fake_run, .capture = fake_capture,
			.kernel_release = RELEASE, .sysfs_root = tree },
		.module_dir = mdir, .batch = batch, .handover = fake_handover,
	};

	snprintf(mdir, sizeof(mdir), "%s/m", tree);
	return ncmig_roll_run(r, &o);
}

static void test_roll_all(void **st)
{
	struct ncmig_roll r;
	char want[1024];

	(void)st;
	setup(false);
	assert_int_equal(run(&r, 0), 0);
	snprintf(want, sizeof(want),
		 "insmod %s/m/xen-blkback-b.ko; insmod %s/m/xen-netback-b.ko; "
		 "H5; H6; rmmod xen_blkback; rmmod xen_netback", tree, tree);
	assert_string_equal(F.log, want);
	assert_string_equal(r.k[0].old_mod, "xen_blkback");
	assert_string_equal(r.k[0].new_drv, "vbd-b");
	assert_string_equal(r.k[1].new_mod, "xen_netback_b");
	assert_int_equal(r.nr_doms, 2);
	assert_int_equal(r.nr_moved_doms, 2);
	assert_int_equal(r.nr_moved, 4);
	assert_true(r.old_unloaded);
	assert_true(r.k[0].loaded_new && r.k[1].loaded_new);
	assert_false(there("module/xen_blkback"));
	assert_true(there("bus/xen-backend/drivers/vif-b/vif-6-0"));
}

static void test_roll_batch(void **st)
{
	struct ncmig_roll r;

	(void)st;
	setup(false);
	assert_int_equal(run(&r, 2), 0);
	assert_non_null(strstr(F.log, "; H5,6; rmmod xen_blkback"));
	assert_int_equal(r.nr_moved, 4);
}

/* A failure stops it: d5 stays moved, d6 on the old slot, which stays. */
static void test_roll_failure_stops(void **st)
{
	struct ncmig_roll r;

	(void)st;
	setup(false);
	F.fail_dom = 6;
	assert_int_equal(run(&r, 1), -ETIMEDOUT);
	assert_null(strstr(F.log, "rmmod"));
	assert_non_null(strstr(F.log, "H5; H6"));
	assert_int_equal(r.failed_domid, 6);
	assert_int_equal(r.nr_moved_doms, 1);
	assert_int_equal(r.nr_moved, 2);
	assert_int_equal(r.k[0].left, 1);
	assert_int_equal(r.k[1].left, 1);
	assert_false(r.old_unloaded);
	assert_true(there("bus/xen-backend/drivers/vbd-b/vbd-5-51712"));
	assert_true(there("bus/xen-backend/drivers/vbd/vbd-6-51712"));
	assert_true(there("module/xen_blkback"));

	/* Run again: both slots loaded, the preferred is the new one. */
	F.fail_dom = 0;
	F.log[0] = 0;
	assert_int_equal(run(&r, 1), 0);
	assert_string_equal(F.log, "H6; rmmod xen_blkback; rmmod xen_netback");
	assert_false(r.k[0].loaded_new);
	assert_int_equal(r.nr_moved, 2);
	assert_true(r.old_unloaded);
}

/* A vif that never connected cannot move: named, its module stays. */
static void test_roll_stuck_vif(void **st)
{
	struct ncmig_roll r;

	(void)st;
	setup(false);
	dev("vif-7-0", "InitWait", "vif");
	assert_int_equal(run(&r, 1), -EBUSY);
	assert_non_null(strstr(F.log, "H5; H6; rmmod xen_blkback"));
	assert_null(strstr(F.log, "rmmod xen_netback"));
	assert_null(strstr(F.log, "H7"));
	assert_true(r.k[0].old_unloaded);
	assert_false(r.k[1].old_unloaded);
	assert_int_equal(r.k[1].left, 1);
	assert_int_equal(r.failed_domid, -1);
}

/* The core does not prefer the new slot (it refused its table). */
static void test_roll_refused(void **st)
{
	struct ncmig_roll r;

	(void)st;
	setup(false);
	F.refuse = true;
	assert_int_equal(run(&r, 1), -ENOPKG);
	assert_null(strstr(F.log, "H5"));
	assert_null(strstr(F.log, "rmmod"));
}

/* No core: said, nothing touched. */
static void test_roll_no_core(void **st)
{
	struct ncmig_roll r;

	(void)st;
	setup(false);
	sh("rm -f '%s/%s'", tree, PARAM);
	assert_int_equal(run(&r, 1), -ENOENT);
	assert_string_equal(F.log, "");
}

static void test_roll_cli(void **st)
{
	char *bad[] = { "roll", "--batch", "0", NULL };
	char *extra[] = { "roll", "5", NULL };
	char *help[] = { "roll", "--help", NULL };
	char out[4096];

	(void)st;
	assert_int_equal(capture_run(cmd_roll, 3, bad, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--batch"));
	assert_int_equal(capture_run(cmd_roll, 2, extra, out, sizeof(out)), 2);
	assert_int_equal(capture_run(cmd_roll, 2, help, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "usage: ncmigd roll"));
}

int main(void)
{
	static const struct CMUnitTest t[] = {
		cmocka_unit_test(test_roll_all),
		cmocka_unit_test(test_roll_batch),
		cmocka_unit_test(test_roll_failure_stops),
		cmocka_unit_test(test_roll_stuck_vif),
		cmocka_unit_test(test_roll_refused),
		cmocka_unit_test(test_roll_no_core),
		cmocka_unit_test(test_roll_cli),
	};
	int rc;

	assert_non_null(mkdtemp(tree));
	rc = cmocka_run_group_tests(t, NULL, NULL);
	sh("rm -rf '%s'", tree);
	return rc;
}
