// SPDX-License-Identifier: GPL-2.0 OR MIT
/* GNTTAB records (gnttab.c): from a raw v1 table, and every decode rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gnttab.h"
#include "le.h"
#include "ncmig.h"

static unsigned char raw[2 * 4096];

static void grant(uint32_t ref, uint16_t flags, uint16_t domid, uint32_t frame)
{
	le16_st(raw + ref * 8, flags);
	le16_st(raw + ref * 8 + 2, domid);
	le32_st(raw + ref * 8 + 4, frame);
}

/* Entries 0 and 1 as the toolstack seeds them, a ring, a read-only grant. */
static void table(void)
{
	memset(raw, 0, sizeof(raw));
	grant(0, 1, 0, 0x10f0);		/* GTF_permit_access: console */
	grant(1, 1, 0, 0x10f1);		/* xenstore */
	grant(8, 0x19, 0, 0x2000);	/* permit_access|reading|writing */
	grant(700, 5, 3, 0x3000);	/* readonly, to d3, frame 1 */
	grant(9, 0, 0, 0x4000);		/* GTF_invalid: not in use */
	grant(10, 1, 0x7ff2, 0x4001);	/* DOMID_IO: never listed */
}

static void test_encode_decode(void **st)
{
	struct ncmig_gnttab_peer peers[4];
	struct ncmig_gnttab_entry e;
	struct ncmig_gnttab g;
	const char *why = NULL;
	unsigned char *b;
	size_t len;

	(void)st;
	table();
	assert_int_equal(ncmig_gnttab_encode_v1(raw, 2, 64, &b, &len), 0);
	assert_int_equal(len, NCMIG_GNTTAB_FIXED + 4 * NCMIG_GNTTAB_ENTRY);
	assert_int_equal(ncmig_gnttab_decode(b, len, &g, &why), 0);
	assert_int_equal(g.version, 1);
	assert_int_equal(g.nr_frames, 2);
	assert_int_equal(g.max_frames, 64);
	assert_int_equal(g.nr_slots, 1024);
	assert_int_equal(g.nr_entries, 4);
	ncmig_gnttab_entry(&g, 0, &e);
	assert_int_equal(e.ref, 0);
	assert_int_equal(e.frame, 0x10f0);
	ncmig_gnttab_entry(&g, 2, &e);
	assert_int_equal(e.ref, 8);
	assert_int_equal(e.flags, 0x19);
	ncmig_gnttab_entry(&g, 3, &e);
	assert_int_equal(e.ref, 700);
	assert_int_equal(e.domid, 3);
	assert_int_equal(e.frame, 0x3000);
	assert_int_equal(ncmig_gnttab_peers(&g, peers, 4), 2);
	assert_int_equal(peers[0].domid, 0);
	assert_int_equal(peers[0].entries, 3);
	assert_int_equal(peers[1].domid, 3);
	assert_int_equal(peers[1].entries, 1);
	free(b);
	/* Frame counts the encoder refuses. */
	assert_int_equal(ncmig_gnttab_encode_v1(raw, 0, 64, &b, &len), -EINVAL);
	assert_int_equal(ncmig_gnttab_encode_v1(raw, 3, 2, &b, &len), -EINVAL);
}

static void expect_bad(unsigned char *b, size_t len, const char *frag)
{
	struct ncmig_gnttab g;
	const char *why = NULL;

	assert_int_equal(ncmig_gnttab_decode(b, len, &g, &why), -EINVAL);
	assert_non_null(why);
	assert_non_null(strstr(why, frag));
}

static void test_rules(void **st)
{
	unsigned char *b, c[256];
	size_t len;

	(void)st;
	table();
	assert_int_equal(ncmig_gnttab_encode_v1(raw, 2, 64, &b, &len), 0);
	assert_true(len <= sizeof(c));
#define FRESH() memcpy(c, b, len)
	expect_bad(b, 31, "shorter");
	FRESH(); le32_st(c, 2);
	expect_bad(c, len, "not version 1");
	FRESH(); le32_st(c + 24, 1);
	expect_bad(c, len, "reserved");
	FRESH(); le32_st(c + 20, 2);
	expect_bad(c, len, "flags");
	FRESH(); le32_st(c + 4, 0);
	expect_bad(c, len, "frame counts");
	FRESH(); le32_st(c + 8, 1);
	expect_bad(c, len, "frame counts");
	FRESH(); le32_st(c + 12, 1000);
	expect_bad(c, len, "512 per frame");
	FRESH(); le32_st(c + 16, 5);
	expect_bad(c, len, "length does not match");
	FRESH(); le32_st(c + 16, 2000);
	expect_bad(c, len, "more entries");
	expect_bad(b, len - 16, "length does not match");
	FRESH(); le32_st(c + 32 + 16, 0);	/* second ref 0 after 0 */
	expect_bad(c, len, "ascending");
	FRESH(); le32_st(c + 32 + 48, 1024);	/* past the slots */
	expect_bad(c, len, "ascending");
	FRESH(); le16_st(c + 32 + 4, 0x18);	/* type invalid */
	expect_bad(c, len, "not in use");
	FRESH(); le16_st(c + 32 + 6, 0x7ff0);
	expect_bad(c, len, "reserved domid");
	FRESH(); le32_st(c + 32 + 12, 1);
	expect_bad(c, len, "reserved field");
#undef FRESH
	free(b);
}

/* In a stream: inspect's reader takes one GNTTAB, and refuses a second. */
static void test_in_stream(void **st)
{
	struct ncmig_stream_err err;
	struct ncmig_writer w;
	struct ncmig_stream s;
	unsigned char *b;
	size_t len;

	(void)st;
	table();
	assert_int_equal(ncmig_gnttab_encode_v1(raw, 2, 64, &b, &len), 0);
	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain(&w, 5, NCMIG_DOM_F_XS_NODES);
	ncmig_write_record(&w, NCMIG_REC_GNTTAB, b, len);
	assert_int_equal(ncmig_write_end(&w), 0);
	assert_int_equal(ncmig_stream_parse(w.buf, w.len, &s, &err), 0);
	assert_non_null(s.gnttab);
	assert_int_equal(s.gnttab_len, len);
	assert_int_equal(s.nr_skipped, 0);
	assert_string_equal(ncmig_rec_type_name(NCMIG_REC_GNTTAB), "GNTTAB");
	ncmig_stream_free(&s);
	ncmig_writer_free(&w);
	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain(&w, 5, NCMIG_DOM_F_XS_NODES);
	ncmig_write_record(&w, NCMIG_REC_GNTTAB, b, len);
	ncmig_write_record(&w, NCMIG_REC_GNTTAB, b, len);
	assert_int_equal(ncmig_write_end(&w), 0);
	assert_int_equal(ncmig_stream_parse(w.buf, w.len, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "second GNTTAB"));
	ncmig_writer_free(&w);
	/* A damaged one is refused with the decoder's reason. */
	le32_st(b, 2);
	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	ncmig_write_domain(&w, 5, NCMIG_DOM_F_XS_NODES);
	ncmig_write_record(&w, NCMIG_REC_GNTTAB, b, len);
	assert_int_equal(ncmig_write_end(&w), 0);
	assert_int_equal(ncmig_stream_parse(w.buf, w.len, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not version 1"));
	ncmig_writer_free(&w);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_decode),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_in_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
