// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The verbs that need no xenstore: inspect (text and --json, valid and
 * damaged streams) and the usage errors of save, restore and splice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "commands.h"
#include "ncmig_snap.h"
#include "snap_util.h"
#include "ncmig.h"
#include "xs_record.h"
#include "capture.h"

static char path[] = "/tmp/ncmig-test-cli-XXXXXX";
static char out[65536];

/* Run @fn with stdout and stderr captured into out[]. */
static int capture(int (*fn)(int, char **), int argc, char **argv)
{
	return capture_run(fn, argc, argv, out, sizeof(out));
}

static void write_stream(bool damage)
{
	static const struct ncmig_xs_perm perms[2] = { { 'n', 0 }, { 'b', 5 } };
	static unsigned char rec[XEN_NCMIG_RECORD_MAX];
	static struct ncmig_snap s;
	struct ncmig_writer w;
	unsigned char *b;
	size_t len;
	int fd;

	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain(&w, 5, NCMIG_DOM_F_XS_NODES | NCMIG_DOM_F_BACKENDS);
	assert_int_equal(ncmig_xs_node_encode("", "", 0, perms, 1, &b, &len), 0);
	ncmig_write_record(&w, NCMIG_REC_XS_NODE, b, len);
	free(b);
	assert_int_equal(ncmig_xs_node_encode("data/q", "say \"hi\"\n\x01", 10,
					      perms, 2, &b, &len), 0);
	ncmig_write_record(&w, NCMIG_REC_XS_NODE, b, len);
	free(b);
	snap_util_vif(&s, 2);
	s.domid = 5;
	len = ncmig_snap_encode(&s, rec, sizeof(rec));
	assert_int_equal(ncmig_write_backend(&w, rec, len), 0);
	ncmig_write_end(&w);
	if (damage)
		w.buf[w.len - 24 - 3] ^= 0x20;	/* inside the backend record */
	strcpy(path, "/tmp/ncmig-test-cli-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, w.buf, w.len), (ssize_t)w.len);
	close(fd);
	ncmig_writer_free(&w);
}

static void test_inspect_text(void **st)
{
	char *argv[] = { "inspect", path, NULL };

	(void)st;
	write_stream(false);
	assert_int_equal(capture(cmd_inspect, 2, argv), 0);
	unlink(path);
	assert_non_null(strstr(out, "saved from d5"));
	assert_non_null(strstr(out, "watches: NOT carried"));
	assert_non_null(strstr(out, "data/q [n0 b5] = \"say \\\"hi\\\"\\x0a\\x01\""));
	assert_non_null(strstr(out, "vif 0: mac 00:16:3e:01:02:03 mtu 1500"));
}

static void test_inspect_json(void **st)
{
	char *argv[] = { "inspect", path, "--json", NULL };

	(void)st;
	write_stream(false);
	assert_int_equal(capture(cmd_inspect, 3, argv), 0);
	unlink(path);
	assert_non_null(strstr(out, "{\"valid\":true,\"version\":1,"));
	assert_non_null(strstr(out, "\"path\":\"data/q\",\"value_hex\":\"7361792022686922"
				    "0a01\",\"value\":\"say \\\"hi\\\"\\n\\u0001\""));
	assert_non_null(strstr(out, "\"perms\":[{\"perm\":\"n\",\"domid\":0},"
				    "{\"perm\":\"b\",\"domid\":5}]"));
	assert_non_null(strstr(out, "\"kind\":\"vif\",\"devid\":0,\"mac\":\"00163e010203\""));
}

static void test_inspect_damaged(void **st)
{
	char *argv[] = { "inspect", path, "--json", NULL };

	(void)st;
	write_stream(true);
	assert_int_equal(capture(cmd_inspect, 3, argv), 1);
	unlink(path);
	assert_non_null(strstr(out, "{\"valid\":false,\"error\":\"record 3 (BACKEND, type 0x101) at offset"));
	assert_non_null(strstr(out, "bad checksum"));
	/* --json: the error is a JSON object too. */
	assert_non_null(strstr(out, "{\"error\":\"/tmp/ncmig-test-cli-"));
}

static void test_usage_errors(void **st)
{
	char *save1[] = { "save", NULL };
	char *save2[] = { "save", "--domid", "0", NULL };
	char *save3[] = { "save", "--domid", "5", "-o", "x", "--fd", "1", NULL };
	char *rest1[] = { "restore", "--domid", "32752", NULL };
	char *rest2[] = { "restore", "--domid", "5", "--map-domid", "3", NULL };
	char *rest3[] = { "restore", "--domid", "5", "--map-domid", "0=4",
			  NULL };
	char *spl1[] = { "splice", "sideways", NULL };
	char *spl2[] = { "splice", "send", "localhost", "xl", NULL };
	char *insp[] = { "inspect", NULL };
	/* removed: it restored after xl had finished (issue 10) */
	char *spl3[] = { "splice", "recv", "--restore", "--", "true", NULL };

	(void)st;
	assert_int_equal(capture(cmd_save, 1, save1), 2);
	assert_non_null(strstr(out, "usage: ncmigd save"));
	assert_int_equal(capture(cmd_save, 3, save2), 2);
	assert_non_null(strstr(out, "bad domid \"0\""));
	assert_int_equal(capture(cmd_save, 7, save3), 2);
	assert_int_equal(capture(cmd_restore, 3, rest1), 2);
	assert_non_null(strstr(out, "bad domid \"32752\""));
	assert_int_equal(capture(cmd_restore, 5, rest2), 2);
	assert_non_null(strstr(out, "bad --map-domid \"3\""));
	assert_int_equal(capture(cmd_restore, 5, rest3), 2);
	assert_non_null(strstr(out, "bad --map-domid \"0=4\""));
	assert_int_equal(capture(cmd_splice, 2, spl1), 2);
	assert_int_equal(capture(cmd_splice, 4, spl2), 2);	/* no --domid */
	assert_int_equal(capture(cmd_inspect, 1, insp), 2);
	assert_int_equal(capture(cmd_splice, 5, spl3), 2);
	assert_non_null(strstr(out, "usage: ncmigd splice"));
	assert_non_null(strstr(out, "unrecognized option '--restore'"));
}

/*
 * restore of a stream saved from d5 onto d7: its backend record is
 * refused before anything is applied (no xenstore connection is even
 * tried), unless --no-backends skips the backend records. No test here
 * may reach a real xenstore: main() points libxenstore at a path that
 * does not exist, so "cannot open xenstore" marks how far restore went.
 */
static void test_restore_backends_of_another_domain(void **st)
{
	char *other[] = { "restore", "--domid", "7", "-i", path, NULL };
	char *skip[] = { "restore", "--domid", "7", "-i", path,
			 "--no-backends", NULL };
	char *same[] = { "restore", "--domid", "5", "-i", path, NULL };

	(void)st;
	write_stream(false);
	assert_int_equal(capture(cmd_restore, 5, other), 1);
	assert_non_null(strstr(out, "ncmigd: d7: refusing stream /tmp/ncmig-test-cli-"));
	assert_non_null(strstr(out, ": record 3 (BACKEND, type 0x101) at offset "));
	assert_non_null(strstr(out, ": vif 0 is a snapshot of d5, the restore "
				    "target is d7; nothing restored (--no-backends"));
	assert_null(strstr(out, "cannot open xenstore"));
	assert_null(strstr(out, "restored 1"));

	assert_int_equal(capture(cmd_restore, 6, skip), 1);
	assert_null(strstr(out, "refusing"));
	assert_non_null(strstr(out, "cannot open xenstore"));

	/* Records of the target itself pass the check. */
	capture(cmd_restore, 5, same);
	assert_null(strstr(out, "refusing"));
	unlink(path);
}

int main(void)
{
	static const struct CMUnitTest t[] = {
		cmocka_unit_test(test_inspect_text),
		cmocka_unit_test(test_inspect_json),
		cmocka_unit_test(test_inspect_damaged),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_restore_backends_of_another_domain),
	};

	/* Never a real xenstore (libxenstore's socket and device path). */
	setenv("XENSTORED_PATH", "/nonexistent/ncmig-test-xenstored", 1);

	return cmocka_run_group_tests_name("cli", t, NULL, NULL);
}
