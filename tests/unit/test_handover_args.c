// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd handover's options, without a kernel: --domid given several
 * times (up to 64, each distinct), and the usage text. A valid command
 * line gets as far as opening the netlink socket, which this build
 * (NCMIGD_NO_KERNEL) never opens: ncmig_nl_open() fails, or goes to an
 * injected ncmig_nl_test_transport. Exit 1 and no usage text, where a usage error
 * exits 2 with the usage on stderr. And the per-domain output, text
 * and --json (an array of the per-domain objects with several domains).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "capture.h"
#include "commands.h"
#include "handover.h"
#include "include/uapi/linux/xen_ncmig.h"
#include "json.h"
#include "ncmig.h"
#include <linux/genetlink.h>
#include <linux/netlink.h>

static char out[65536];

static struct ncmig_ho_dom *print_hs;
static bool print_json;
static struct json *print_j;

static int print_one(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ho_print_result(print_hs, true, print_json, print_j);
	return 0;
}

/* print_hs[0] and [1] into one array. */
static int print_array(int argc, char **argv)
{
	struct json j;

	(void)argc;
	(void)argv;
	json_init(&j, stdout);
	json_arr_begin(&j);
	ho_print_result(&print_hs[0], true, print_json, &j);
	ho_print_result(&print_hs[1], true, print_json, &j);
	json_arr_end(&j);
	return json_finish(&j);
}

/* Run @fn with stdout and stderr captured into out[]. */
static int capture_fn(int (*fn)(int, char **), int argc, char **argv)
{
	return capture_run(fn, argc, argv, out, sizeof(out));
}

static int capture(int argc, char **argv)
{
	return capture_fn(cmd_handover, argc, argv);
}

/* argv of "handover" and @n times "--domid first+i" (+ @extra). */
static int run_domids(unsigned int first, unsigned int n, const char *extra)
{
	static char num[200][8];
	char *argv[2 * 200 + 3];
	int argc = 0;
	unsigned int i;

	argv[argc++] = "handover";
	for (i = 0; i < n; i++) {
		snprintf(num[i], sizeof(num[i]), "%u", first + i);
		argv[argc++] = "--domid";
		argv[argc++] = num[i];
	}
	if (extra)
		argv[argc++] = (char *)extra;
	argv[argc] = NULL;
	return capture(argc, argv);
}

static void test_usage_text(void **st)
{
	char *help[] = { "handover", "--help", NULL };
	char *none[] = { "handover", NULL };

	(void)st;
	assert_int_equal(capture(2, help), 0);
	assert_non_null(strstr(out, "usage: ncmigd handover --domid D [--domid D2]... [--reload-modules]\n"));
	assert_non_null(strstr(out, "up to 64, each distinct"));
	assert_non_null(strstr(out, "one reload, RESTORE all"));
	assert_non_null(strstr(out, "--json            one object (one domain) or an array of them"));
	assert_int_equal(capture(1, none), 2);
	assert_non_null(strstr(out, "usage: ncmigd handover"));
}

static void test_repeated_domid(void **st)
{
	(void)st;
	/* Accepted: it goes on to the socket, which fails without usage. */
	assert_int_equal(run_domids(5, 1, NULL), 1);
	assert_null(strstr(out, "usage:"));
	assert_int_equal(run_domids(5, 2, NULL), 1);
	assert_null(strstr(out, "usage:"));
	assert_int_equal(run_domids(1, 64, "--reload-modules"), 1);
	assert_null(strstr(out, "usage:"));
	assert_null(strstr(out, "at most"));
}

static void test_duplicate_domid(void **st)
{
	char *dup2x[] = { "handover", "--domid", "5", "--domid", "6",
			  "--domid", "5", NULL };

	(void)st;
	assert_int_equal(capture(7, dup2x), 2);
	assert_non_null(strstr(out, "ncmigd: handover: --domid 5 given twice\n"));
	assert_non_null(strstr(out, "usage: ncmigd handover"));
}

static void test_too_many_domids(void **st)
{
	(void)st;
	assert_int_equal(run_domids(1, 65, NULL), 2);
	assert_non_null(strstr(out, "ncmigd: handover: at most 64 --domid\n"));
	assert_non_null(strstr(out, "usage: ncmigd handover"));
	assert_int_equal(run_domids(100, 200, NULL), 2);
	assert_non_null(strstr(out, "at most 64 --domid"));
}

static void test_other_usage_errors(void **st)
{
	char *bad[] = { "handover", "--domid", "5", "--domid", "0", NULL };
	char *pause[] = { "handover", "--domid", "5", "--domid", "6",
			  "--pause-after", "quiesce", NULL };
	char *stray[] = { "handover", "--domid", "5", "6", NULL };

	(void)st;
	assert_int_equal(capture(5, bad), 2);
	assert_non_null(strstr(out, "usage: ncmigd handover"));
	assert_int_equal(capture(7, pause), 2);
	assert_non_null(strstr(out, "--pause-after takes one --domid"));
	assert_int_equal(capture(4, stray), 2);
	assert_non_null(strstr(out, "usage: ncmigd handover"));
}

/* A domain with a vbd and a vif, quiesced at 1 ms and restored at 3 ms. */
static void fake_domain(struct ncmig_ho_dom *h, uint16_t domid, bool json)
{
	static struct ncmig_nl_reply q[2], r[2];
	unsigned int k = domid & 1, i;

	memset(h, 0, sizeof(*h));
	memset(&q[k], 0, sizeof(q[k]));
	memset(&r[k], 0, sizeof(r[k]));
	h->domid = domid;
	print_json = json;
	h->quiesce = &q[k];
	h->restore = &r[k];
	h->t_start = 1000000;
	h->t_end = 4000000;
	q[k].nr_devs = r[k].nr_devs = 2;
	for (i = 0; i < 2; i++) {
		q[k].devs[i].kind = r[k].devs[i].kind =
			i ? XEN_NCMIG_KIND_VIF : XEN_NCMIG_KIND_VBD;
		q[k].devs[i].devid = r[k].devs[i].devid = i ? 0 : 51712;
		q[k].devs[i].drain_ns = 500000;
		q[k].devs[i].start_ns = 1000000;
		r[k].devs[i].done_ns = 3000000;
	}
}

static void test_print_result(void **st)
{
	struct ncmig_ho_dom h[2];

	(void)st;
	fake_domain(&h[0], 5, false);
	print_hs = &h[0];
	print_j = NULL;
	capture_fn(print_one, 0, NULL);
	assert_string_equal(out,
		"d5 vbd 51712: drain_ms=0.500 blackout_ms=2.000\n"
		"d5 vif 0: drain_ms=0.500 blackout_ms=2.000\n"
		"d5: handover devices=2 reload=1 total_ms=3.000\n");

	/* One domain: one object, as before. */
	fake_domain(&h[0], 5, true);
	capture_fn(print_one, 0, NULL);
	assert_string_equal(out,
		"{\"domid\":5,\"reload\":true,\"total_ns\":3000000,\"devices\":["
		"{\"kind\":\"vbd\",\"devid\":51712,\"drain_ns\":500000,\"blackout_ns\":2000000},"
		"{\"kind\":\"vif\",\"devid\":0,\"drain_ns\":500000,\"blackout_ns\":2000000}]}\n");

	/* Several: an array of them, as cmd_handover writes it for several. */
	fake_domain(&h[1], 6, true);
	print_hs = h;
	capture_fn(print_array, 0, NULL);
	assert_non_null(strstr(out, "[{\"domid\":5,"));
	assert_non_null(strstr(out, "\"blackout_ns\":2000000}]},{\"domid\":6,"));
	assert_non_null(strstr(out, "\"blackout_ns\":2000000}]}]\n"));
}

/*
 * A unit test never reaches a real kernel: in the unit and fuzz builds
 * (-DNCMIGD_NO_KERNEL) ncmig_nl_open() opens no socket unless a test gave it
 * a transport (ncmig_nl_test_transport), even as root on a dom0 with
 * xen-ncmig loaded.
 */
static void test_no_real_netlink(void **st)
{
	struct ncmig_nl_status s;
	struct ncmig_nl_sock *nl;

	(void)st;
	nl = ncmig_nl_open(&s);
	assert_null(nl);
	assert_int_equal(s.err, -ENOENT);
	if (!strstr(s.msg, "no kernel in this test build"))
		fail_msg("ncmig_nl_open went to the kernel: \"%s\"", s.msg);
}

/* A kernel without the family: every request is answered -ENOENT. */
struct fake_kernel {
	unsigned int requests, ctrl_requests;
	unsigned char reply[256];
	size_t reply_len;
};

static int fk_send(void *ctx, const void *buf, size_t len)
{
	struct fake_kernel *k = ctx;
	const struct nlmsghdr *req = buf;
	struct nlmsghdr *h = (struct nlmsghdr *)k->reply;
	struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(h);

	assert_true(len >= sizeof(*req));
	k->requests++;
	k->ctrl_requests += req->nlmsg_type == GENL_ID_CTRL;
	memset(k->reply, 0, sizeof(k->reply));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*e));
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_seq = req->nlmsg_seq;
	h->nlmsg_pid = 4242;
	e->error = -ENOENT;
	e->msg = *req;
	k->reply_len = h->nlmsg_len;
	return 0;
}

static ssize_t fk_recv(void *ctx, void *buf, size_t cap)
{
	struct fake_kernel *k = ctx;

	assert_true(k->reply_len && k->reply_len <= cap);
	memcpy(buf, k->reply, k->reply_len);
	k->reply_len = 0;
	return (ssize_t)sizeof(struct nlmsghdr) + sizeof(struct nlmsgerr);
}

/* The verb's requests go to the injected transport, none elsewhere. */
static void test_handover_through_transport(void **st)
{
	struct fake_kernel k = { 0 };
	const struct ncmig_nl_transport tr = { fk_send, fk_recv, &k };

	(void)st;
	ncmig_nl_test_transport = &tr;
	assert_int_equal(run_domids(5, 1, NULL), 1);
	ncmig_nl_test_transport = NULL;
	assert_int_equal(k.requests, 1);
	assert_int_equal(k.ctrl_requests, 1);
	assert_non_null(strstr(out, "no xen_ncmig netlink family"));
}

int main(void)
{
	static const struct CMUnitTest t[] = {
		cmocka_unit_test(test_no_real_netlink),
		cmocka_unit_test(test_handover_through_transport),
		cmocka_unit_test(test_usage_text),
		cmocka_unit_test(test_repeated_domid),
		cmocka_unit_test(test_duplicate_domid),
		cmocka_unit_test(test_too_many_domids),
		cmocka_unit_test(test_other_usage_errors),
		cmocka_unit_test(test_print_result),
	};

	return cmocka_run_group_tests_name("handover_args", t, NULL, NULL);
}
