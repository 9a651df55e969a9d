// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The JSON writer and the option/number helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <cmocka.h>

#include "json.h"
#include "util.h"

static char *out;
static size_t outlen;

static FILE *mem(void)
{
	FILE *f = open_memstream(&out, &outlen);

	assert_non_null(f);
	return f;
}

static void test_json_shapes(void **st)
{
	struct json j;
	FILE *f = mem();

	(void)st;
	json_init(&j, f);
	json_obj_begin(&j);
	json_kv_u64(&j, "a", 18446744073709551615ULL);
	json_key(&j, "b");
	json_arr_begin(&j);
	json_i64(&j, -5);
	json_bool(&j, true);
	json_null(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_arr_end(&j);
	json_key(&j, "h");
	json_hex(&j, "\x00\xab", 2);
	json_obj_end(&j);
	assert_int_equal(json_finish(&j), 0);
	fclose(f);
	assert_string_equal(out, "{\"a\":18446744073709551615,"
				 "\"b\":[-5,true,null,{},[]],\"h\":\"00ab\"}\n");
	free(out);
}

static void test_json_escaping(void **st)
{
	struct json j;
	FILE *f = mem();

	(void)st;
	json_init(&j, f);
	json_arr_begin(&j);
	json_str(&j, "q\"b\\n\n\t\r\x01\x7f");
	/* NUL inside a binary value; valid UTF-8 passes; invalid does not. */
	json_strn(&j, "a\0b", 3);
	json_str(&j, "caf\xc3\xa9 \xe2\x82\xac");
	json_str(&j, "bad\xc3(\xff\xc0\xaf\xed\xa0\x80");
	json_arr_end(&j);
	assert_int_equal(json_finish(&j), 0);
	fclose(f);
	assert_string_equal(out,
		"[\"q\\\"b\\\\n\\n\\t\\r\\u0001\\u007f\","
		"\"a\\u0000b\","
		"\"caf\xc3\xa9 \xe2\x82\xac\","
		"\"bad\\u00c3(\\u00ff\\u00c0\\u00af\\u00ed\\u00a0\\u0080\"]\n");
	free(out);
}

static void test_json_misuse(void **st)
{
	struct json j;
	FILE *f = mem();

	(void)st;
	json_init(&j, f);
	json_obj_begin(&j);
	assert_int_equal(json_finish(&j), -1);	/* unclosed */
	json_init(&j, f);
	json_arr_end(&j);
	assert_int_equal(json_finish(&j), -1);	/* closes nothing */
	fclose(f);
	free(out);
}

static void test_numbers(void **st)
{
	uint32_t v;
	uint16_t d;
	int fd;

	(void)st;
	assert_true(ncmigd_parse_u32("0", &v) && v == 0);
	assert_true(ncmigd_parse_u32("4294967295", &v) && v == 4294967295U);
	assert_true(ncmigd_parse_u32("0x10", &v) && v == 16);
	assert_false(ncmigd_parse_u32("4294967296", &v));
	assert_false(ncmigd_parse_u32("-1", &v));
	assert_false(ncmigd_parse_u32(" 1", &v));
	assert_false(ncmigd_parse_u32("1x", &v));
	assert_false(ncmigd_parse_u32("", &v));
	assert_true(ncmigd_parse_domid("5", &d) && d == 5);
	assert_true(ncmigd_parse_domid("32751", &d) && d == 0x7fef);
	assert_false(ncmigd_parse_domid("0", &d));
	assert_false(ncmigd_parse_domid("32752", &d));	/* DOMID_FIRST_RESERVED */
	assert_true(ncmigd_parse_fd("2", &fd) && fd == 2);
	assert_false(ncmigd_parse_fd("1000000", &fd));
	assert_string_equal(ncmig_kind_name(1), "vbd");
	assert_string_equal(ncmig_kind_name(2), "vif");
	assert_string_equal(ncmig_kind_name(9), "kind9");
}

/* A file appears whole or not at all; its .tmp never stays. */
static void test_write_file(void **st)
{
	char dir[] = "/tmp/ncmig-test-wf-XXXXXX", path[64], tmp[72], buf[8];
	FILE *f;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(ncmigd_write_file(path, "abc", 3), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf), f), 3);
	fclose(f);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(access(tmp, F_OK), -1);
	/* rename onto a directory fails: nothing left behind */
	assert_int_equal(ncmigd_write_file(dir, "x", 1), -EISDIR);
	snprintf(tmp, sizeof(tmp), "%s.tmp", dir);
	assert_int_equal(access(tmp, F_OK), -1);
	/* PATH.tmp cannot be opened: 1 (said on stderr) */
	assert_int_equal(ncmigd_write_file("/nonexistent/dir/out", "x", 1), 1);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	static const struct CMUnitTest t[] = {
		cmocka_unit_test(test_json_shapes),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_misuse),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_write_file),
	};

	return cmocka_run_group_tests_name("json and util", t, NULL, NULL);
}
