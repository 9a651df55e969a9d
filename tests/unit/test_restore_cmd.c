// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * `ncmigd restore` whole, against tests/unit/fake_xs.c (through
 * ncmig_xs_hooks) and fake kernel backends (through ncmig_backends):
 * no test here reaches a real xenstored or kernel.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "ncmig.h"
#include "capture.h"
#include "commands.h"
#include "fake_xs.h"
#include "ncmig_snap.h"
#include "snap_util.h"
#include "xs_record.h"

static char out[65536];
static char spath[] = "/tmp/ncmig-test-restore-XXXXXX";
static char hpath[] = "/tmp/ncmig-test-host-XXXXXX";
static struct ncmig_xs *xs;

static struct ncmig_xs *fx_open(void)
{
	return xs;
}

static void fx_close(struct ncmig_xs *x)
{
	(void)x;
}

static const struct ncmig_xs_hooks fx_hooks = { fx_open, fx_close };

/* The fake kernel. */
static int k_family;		/* 0 present, -EOPNOTSUPP absent */
static int k_restore_rc;	/* what RESTORE answers */
static unsigned int k_restores;	/* RESTORE calls */

static unsigned int k_probes, k_writes;	/* save's calls */

static int k_probe(uint16_t domid)
{
	(void)domid;
	k_probes++;
	return k_family ? 0 : 1;	/* a session whose devices can be taken */
}

static int k_write(uint16_t domid, struct ncmig_writer *w)
{
	static unsigned char rec[XEN_NCMIG_RECORD_MAX];
	static struct ncmig_snap sn;
	size_t len;

	k_writes++;
	snap_util_vbd(&sn, 1, 0);
	sn.domid = domid;
	sn.devid = 51712;
	len = ncmig_snap_encode(&sn, rec, sizeof(rec));
	return ncmig_write_backend(w, rec, len) ? -EIO : 1;
}

static int k_restore(uint16_t domid, const struct ncmig_stream *s)
{
	(void)domid;
	k_restores++;
	if (k_family)
		return k_family;
	return k_restore_rc ? k_restore_rc : (int)s->nr_backends;
}

static int k_fam(void)
{
	return k_family;
}

static const struct ncmig_backends_ops k_ops = {
	k_probe, k_write, k_restore, k_fam,
};

#define UUID_A "01234567-89ab-cdef-0123-456789abcdef"
#define UUID_B "01234567-89ab-cdef-0123-456789abcdee"
#define HOST_H "fedcba9876543210fedcba9876543210"

static const struct ncmig_identity id_a = {
	.uuid = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		  0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef },
	.host = { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
		  0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 },
};

static void set_host(const char *hex)
{
	FILE *f = fopen(hpath, "w");

	assert_non_null(f);
	fprintf(f, "%s\n", hex);
	fclose(f);
	setenv("NCMIGD_HOST_ID_FILE", hpath, 1);
}

/* d5 as the toolstack made it, with one frontend connected. */
static void target5(const char *uuid)
{
	char vm[64];

	xs = fake_xs_new();
	snprintf(vm, sizeof(vm), "/vm/%s", uuid);
	fake_xs_set(xs, "/local/domain/5", "", 0, "n0 r5");
	fake_xs_set(xs, "/local/domain/5/name", "guest", 5, "n0 r5");
	fake_xs_set(xs, "/local/domain/5/vm", vm, (unsigned int)strlen(vm),
		    "n0 r5");
	fake_xs_set(xs, "/local/domain/5/device", "", 0, "n0 r5");
	fake_xs_set(xs, "/local/domain/5/device/vbd", "", 0, "n0 r5");
	fake_xs_set(xs, "/local/domain/5/device/vbd/51712", "", 0, "n5 r0");
	fake_xs_set(xs, "/local/domain/5/device/vbd/51712/ring-ref", "8", 1,
		    "n5 r0");
	fake_xs_set(xs, "/local/domain/5/device/vbd/51712/backend",
		    "/local/domain/0/backend/vbd/5/51712", 35, "n5 r0");
	ncmig_xs_hooks = &fx_hooks;
	ncmig_backends = &k_ops;
	k_family = 0;
	k_restore_rc = 0;
	k_restores = 0;
	k_probes = k_writes = 0;
}

static void node(struct ncmig_writer *w, const char *path, const char *val,
		 const char *perms)
{
	struct ncmig_xs_perm p[4];
	unsigned int np = 0;
	unsigned char *body;
	size_t blen;

	while (*perms) {
		char *end;

		p[np].perm = *perms;
		p[np].domid = (uint16_t)strtoul(perms + 1, &end, 10);
		perms = *end ? end + 1 : end;
		np++;
	}
	assert_int_equal(ncmig_xs_node_encode(path, val, strlen(val), p, np,
					      &body, &blen), 0);
	ncmig_write_record(w, NCMIG_REC_XS_NODE, body, blen);
	free(body);
}

/* A stream of d5: its frontend's nodes, a data node, one vbd record. */
static void write_stream(bool with_id, bool backends)
{
	static unsigned char rec[XEN_NCMIG_RECORD_MAX];
	static struct ncmig_snap sn;
	uint32_t flags = NCMIG_DOM_F_XS_NODES;
	struct ncmig_writer w;
	size_t len;
	int fd;

	if (backends)
		flags |= NCMIG_DOM_F_BACKENDS;
	ncmig_writer_init_mem(&w);
	ncmig_write_header(&w);
	if (with_id)
		ncmig_write_domain_id(&w, 5, flags, &id_a);
	else
		ncmig_write_domain(&w, 5, flags);
	node(&w, "device", "", "n0 r5");
	node(&w, "device/vbd", "", "n0 r5");
	node(&w, "device/vbd/51712", "", "n5 r0");
	node(&w, "device/vbd/51712/ring-ref", "999", "n5 r0");
	node(&w, "device/vbd/51712/event-channel", "77", "n5 r0");
	node(&w, "data", "", "b5");
	node(&w, "data/x", "1", "b5");
	if (backends) {
		snap_util_vbd(&sn, 1, 0);
		sn.domid = 5;
		sn.devid = 51712;
		len = ncmig_snap_encode(&sn, rec, sizeof(rec));
		assert_int_equal(ncmig_write_backend(&w, rec, len), 0);
	}
	assert_int_equal(ncmig_write_end(&w), 0);
	strcpy(spath, "/tmp/ncmig-test-restore-XXXXXX");
	fd = mkstemp(spath);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, w.buf, w.len), (ssize_t)w.len);
	close(fd);
	ncmig_writer_free(&w);
}

static int restore(const char *extra)
{
	char *argv[] = { "restore", "--domid", "5", "-i", spath, "--overwrite",
			 (char *)extra, NULL };

	return capture_run(cmd_restore, extra ? 7 : 6, argv, out, sizeof(out));
}

static const char *val(const char *path)
{
	unsigned int len;
	const char *v = fake_xs_get(xs, path, &len, NULL, 0);

	return v ? v : "(absent)";
}

static void done(void)
{
	unlink(spath);
	fake_xs_free(xs);
	xs = NULL;
	ncmig_xs_hooks = NULL;
}

/*
 * Backend records present: the frontend's device/ nodes are the target's
 * (the kernel checks the records against them), never the stream's.
 */
static void test_device_nodes_kept(void **st)
{
	(void)st;
	set_host(HOST_H);
	target5(UUID_A);
	write_stream(true, true);
	if (restore(NULL))
		fail_msg("restore failed: %s", out);
	assert_int_equal(k_restores, 1);
	assert_string_equal(val("/local/domain/5/device/vbd/51712/ring-ref"), "8");
	assert_string_equal(val("/local/domain/5/device/vbd/51712/event-channel"),
			    "(absent)");
	assert_string_equal(val("/local/domain/5/data/x"), "1");
	done();
}

/* The records are bound to the domain's UUID and to this host. */
static void test_identity_required(void **st)
{
	unsigned int before;

	(void)st;
	/* Another domain that got domid 5 (another UUID). */
	set_host(HOST_H);
	target5(UUID_B);
	write_stream(true, true);
	before = fake_xs_count(xs, "/local/domain/5");
	assert_int_equal(restore(NULL), 1);
	assert_non_null(strstr(out, "UUID"));
	assert_int_equal(k_restores, 0);
	assert_int_equal(fake_xs_count(xs, "/local/domain/5"), before);
	assert_string_equal(val("/local/domain/5/data/x"), "(absent)");
	done();

	/* Another host. */
	set_host("00000000000000000000000000000001");
	target5(UUID_A);
	write_stream(true, true);
	assert_int_equal(restore(NULL), 1);
	assert_non_null(strstr(out, "host"));
	assert_int_equal(k_restores, 0);
	assert_string_equal(val("/local/domain/5/data/x"), "(absent)");
	done();

	/* A stream without identity (version-1 DOMAIN) carries none. */
	set_host(HOST_H);
	target5(UUID_A);
	write_stream(false, true);
	assert_int_equal(restore(NULL), 1);
	assert_non_null(strstr(out, "no identity"));
	assert_int_equal(k_restores, 0);
	assert_string_equal(val("/local/domain/5/data/x"), "(absent)");
	/* --no-backends restores its xenstore part, device/ nodes aside. */
	assert_int_equal(restore("--no-backends"), 0);
	assert_string_equal(val("/local/domain/5/data/x"), "1");
	assert_string_equal(val("/local/domain/5/device/vbd/51712/ring-ref"), "8");
	assert_string_equal(val("/local/domain/5/device/vbd/51712/event-channel"),
			    "(absent)");
	done();
}

/*
 * Backend records, no --no-backends, and no xen-ncmig family: refused
 * before anything is written (the probe used to say "0 devices" and
 * let the xenstore part through).
 */
static void test_no_family_refused(void **st)
{
	unsigned int before;

	(void)st;
	set_host(HOST_H);
	target5(UUID_A);
	k_family = -EOPNOTSUPP;
	write_stream(true, true);
	before = fake_xs_count(xs, "/local/domain/5");
	assert_int_equal(restore(NULL), 1);
	assert_non_null(strstr(out, "xen-ncmig"));
	assert_non_null(strstr(out, "nothing restored"));
	assert_int_equal(fake_xs_count(xs, "/local/domain/5"), before);
	assert_string_equal(val("/local/domain/5/data/x"), "(absent)");
	assert_int_equal(k_restores, 0);
	done();
}

/* The kernel refuses RESTORE: what restore wrote to xenstore is undone. */
static void test_kernel_failure_undone(void **st)
{
	unsigned int before;

	(void)st;
	set_host(HOST_H);
	target5(UUID_A);
	fake_xs_set(xs, "/local/domain/5/data", "old", 3, "b5 r0");
	k_restore_rc = -EINVAL;
	write_stream(true, true);
	before = fake_xs_count(xs, "/local/domain/5");
	assert_int_equal(restore(NULL), 1);
	assert_int_equal(k_restores, 1);
	assert_non_null(strstr(out, "undone"));
	assert_int_equal(fake_xs_count(xs, "/local/domain/5"), before);
	assert_string_equal(val("/local/domain/5/data"), "old");
	assert_string_equal(val("/local/domain/5/data/x"), "(absent)");
	done();
}

/*
 * save never quiesces a guest unless told: backend capture (QUIESCE,
 * SNAPSHOT, RESUME) only with --backends, even with xen-ncmig loaded.
 */
static void test_save_backends_explicit(void **st)
{
	char *plain[] = { "save", "--domid", "5", "-o", spath, NULL };
	char *with[] = { "save", "--domid", "5", "-o", spath, "--backends",
			 NULL };
	struct ncmig_stream_err err;
	struct ncmig_stream s;
	int fd;

	(void)st;
	set_host(HOST_H);
	target5(UUID_A);
	strcpy(spath, "/tmp/ncmig-test-restore-XXXXXX");
	fd = mkstemp(spath);
	close(fd);
	if (capture_run(cmd_save, 5, plain, out, sizeof(out)))
		fail_msg("save: %s", out);
	assert_int_equal(k_probes + k_writes, 0);
	fd = open(spath, O_RDONLY);
	assert_int_equal(ncmig_stream_read_file(fd, &s, &err), 0);
	close(fd);
	assert_int_equal(s.nr_backends, 0);
	assert_false(s.dom_flags & NCMIG_DOM_F_BACKENDS);
	/* The identity is there, from the vm node and the host file. */
	assert_true(s.dom_flags & NCMIG_DOM_F_IDENTITY);
	assert_memory_equal(&s.id, &id_a, sizeof(id_a));
	ncmig_stream_free(&s);

	if (capture_run(cmd_save, 6, with, out, sizeof(out)))
		fail_msg("save --backends: %s", out);
	assert_int_equal(k_writes, 1);
	fd = open(spath, O_RDONLY);
	assert_int_equal(ncmig_stream_read_file(fd, &s, &err), 0);
	close(fd);
	assert_int_equal(s.nr_backends, 1);
	ncmig_stream_free(&s);
	done();
}

int main(void)
{
	static const struct CMUnitTest t[] = {
		cmocka_unit_test(test_device_nodes_kept),
		cmocka_unit_test(test_identity_required),
		cmocka_unit_test(test_no_family_refused),
		cmocka_unit_test(test_kernel_failure_undone),
		cmocka_unit_test(test_save_backends_explicit),
	};
	int fd, rc;

	setenv("XENSTORED_PATH", "/nonexistent/ncmig-test-xenstored", 1);
	fd = mkstemp(hpath);
	assert_true(fd >= 0);
	close(fd);
	rc = cmocka_run_group_tests_name("restore verb", t, NULL, NULL);
	unlink(hpath);
	return rc;
}
