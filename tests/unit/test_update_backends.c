// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * update-backends: the domains with backends (ncmig_backend_domains()
 * over a fake xen-backend bus), the verb's empty-host case, and the
 * audit lines a handover leaves in syslog.
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

#include "audit.h"
#include "capture.h"
#include "commands.h"
#include "ncmig.h"
#include "include/uapi/linux/xen_ncmig.h"

static char dir[] = "/tmp/ncmig-test-bus-XXXXXX";
static char out[8192];

static void touch(const char *name)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
}

static void clear(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -f %s/*", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_domains(void **st)
{
	uint16_t d[4];

	(void)st;
	clear();
	touch("vbd-5-51712");
	touch("vif-5-0");
	touch("vif-3-0");
	touch("console-3-0");	/* not ours */
	touch("vbd-x-1");	/* malformed */
	touch("vif-0-0");	/* dom0 is never a guest */
	touch("vbd-32752-1");	/* beyond the last guest domid */
	assert_int_equal(ncmig_backend_domains(dir, d, 4), 2);
	assert_int_equal(d[0], 3);
	assert_int_equal(d[1], 5);
	assert_int_equal(ncmig_backend_domains(dir, d, 1), -E2BIG);
	assert_int_equal(ncmig_backend_domains("/nonexistent/ncmig", d, 4), -ENOENT);
}

static void test_no_domain(void **st)
{
	char *argv[] = { "update-backends", NULL };

	(void)st;
	clear();
	setenv("NCMIGD_BACKEND_DEVICES", dir, 1);
	assert_int_equal(capture_run(cmd_update_backends, 1, argv, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "update-backends: no domain has backend devices"));
	unsetenv("NCMIGD_BACKEND_DEVICES");
}

static void test_audit_lines(void **st)
{
	struct ncmig_nl_reply q = { 0 }, r = { 0 };
	struct ncmig_ho_dom dom = { 0 };
	struct ncmig_ho ho = { 0 };

	(void)st;
	q.nr_devs = r.nr_devs = 2;
	q.devs[0].kind = r.devs[0].kind = XEN_NCMIG_KIND_VBD;
	q.devs[0].devid = r.devs[0].devid = 51712;
	q.devs[1].kind = r.devs[1].kind = XEN_NCMIG_KIND_VIF;
	q.devs[1].devid = r.devs[1].devid = 0;
	r.devs[0].blackout_ns = 95400000;
	r.devs[1].blackout_ns = 120000000;
	dom.domid = 7;
	dom.quiesce = &q;
	dom.restore = &r;
	ho.n = 1;
	ho.doms = &dom;
	ncmigd_audit_phase(&ho, NCMIG_HO_QUIESCE);
	assert_string_equal(ncmigd_audit_last(), "d7: quiesce done: vbd 51712, vif 0");
	ncmigd_audit_restored(&dom);
	assert_string_equal(ncmigd_audit_last(),
			    "d7: restore done: vbd 51712 blackout_ms=95.4, vif 0 blackout_ms=120.0");
	ho.failed = NCMIG_HO_RELEASE;
	dom.released = true;
	snprintf(dom.st.msg, sizeof(dom.st.msg), "d7 vif 0: release: busy");
	ncmigd_audit_end(&ho, -EBUSY);
	assert_string_equal(ncmigd_audit_last(),
			    "d7: handover failed in release: d7 vif 0: release: busy; "
			    "left to the kernel's watchdog");
}

int main(void)
{
	static const struct CMUnitTest t[] = {
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_no_domain),
		cmocka_unit_test(test_audit_lines),
	};
	int rc;

	assert_non_null(mkdtemp(dir));
	rc = cmocka_run_group_tests(t, NULL, NULL);
	clear();
	rmdir(dir);
	return rc;
}
