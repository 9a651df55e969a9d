// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ncmigd handover with several --domid: phase by phase over every domain,
 * on the one netlink socket that owns all their sessions (the kernel
 * resumes them all if ncmigd dies):
 *
 *   QUIESCE each     a failure: RESUME the ones already quiesced
 *   SNAPSHOT each    into a stream of its own; a failure: RESUME all
 *   RELEASE each     a failure: RESTORE the ones released (the failed one
 *                    too: RESTORE resumes its devices still quiesced) from
 *                    their streams, RESUME the rest
 *   reload, once     the modules any of them uses; an rmmod that fails
 *                    (another domain still bound) still restores all
 *   RESTORE each     once more after 200 ms, as for one domain
 *
 * and also the module reload itself, shared with the single-domain flow:
 * a live update of the backends needs every domain using them released.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "handover.h"
#include "include/uapi/linux/xen_ncmig.h"
#include "json.h"
#include "ncmig.h"
#include "util.h"

/* ---- module reload ------------------------------------------------------ */

static int run(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (!pid) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static bool any_has_kind(const struct handover *hs, unsigned int n,
			 uint32_t kind)
{
	unsigned int i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < hs[i].quiesce->nr_devs; k++)
			if (hs[i].quiesce->devs[k].kind == kind)
				return true;
	return false;
}

static bool in_run(const struct handover *hs, unsigned int n, uint32_t domid)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (hs[i].domid == domid)
			return true;
	return false;
}

/* "d5" or "d5,d7,...": the domains an error line is about. */
static void dom_list(const struct handover *hs, unsigned int n, char *buf,
		     size_t len)
{
	size_t off = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%sd%u", i ? "," : "",
				hs[i].domid);
}

/* The domains outside the run with a device of one kind still bound. */
struct users {
	const struct handover *hs;
	unsigned int n;
	uint32_t kind;
	char list[HANDOVER_DOMS_MAX * 8];
	size_t off;
};

static int users_cb(const struct ncmig_nl_reply *r, void *arg)
{
	struct users *u = arg;
	const struct ncmig_nl_dev *d = &r->devs[0];

	if (r->nr_devs != 1 || !r->has_domid || d->kind != u->kind ||
	    !d->bound || in_run(u->hs, u->n, r->domid))
		return 0;
	if (u->off < sizeof(u->list))
		u->off += snprintf(u->list + u->off, sizeof(u->list) - u->off,
				   "%sd%u %s %u", u->off ? ", " : "",
				   r->domid, ncmig_kind_name(d->kind),
				   d->devid);
	return 0;
}

static void rmmod_failed(const struct handover *hs, unsigned int n,
			 const char *doms, uint32_t kind, const char *mod)
{
	struct users u = { .hs = hs, .n = n, .kind = kind };
	struct ncmig_nl_status st = { 0 };

	if (n == 1) {
		ncmig_err("%s: rmmod %s failed", doms, mod);
		return;
	}
	ncmig_nl_devices(hs[0].nl, -1, users_cb, &u, &st);
	if (u.off)
		ncmig_err("%s: rmmod %s failed: other domains still use it (%s)",
			   doms, mod, u.list);
	else
		ncmig_err("%s: rmmod %s failed (other domains may still use it)",
			   doms, mod);
}

/*
 * Unload and load again, once, the backend modules the domains use.
 * rmmod fails while any other domain's device is bound to the module:
 * that is the safety net, not an error to force through.
 */
int ho_reload_modules(struct handover *hs, unsigned int n)
{
	static const struct { uint32_t kind; const char *mod, *file; } mods[] = {
		{ XEN_NCMIG_KIND_VBD, "xen_blkback", "xen-blkback.ko" },
		{ XEN_NCMIG_KIND_VIF, "xen_netback", "xen-netback.ko" },
	};
	bool busy[sizeof(mods) / sizeof(mods[0])] = { false };
	char path[4096], doms[HANDOVER_DOMS_MAX * 8];
	int rc = 0;
	size_t i;

	dom_list(hs, n, doms, sizeof(doms));
	for (i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		char *rmmod[] = { "rmmod", (char *)mods[i].mod, NULL };

		if (!any_has_kind(hs, n, mods[i].kind))
			continue;
		if (run(rmmod)) {
			rmmod_failed(hs, n, doms, mods[i].kind, mods[i].mod);
			busy[i] = true;
			rc = -EBUSY;
		}
	}
	/* Load even after a failed rmmod: RESTORE needs the backends. */
	for (i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		char *insmod[] = { "insmod", path, NULL };
		char *modprobe[] = { "modprobe", (char *)mods[i].mod, NULL };
		int err;

		if (!any_has_kind(hs, n, mods[i].kind))
			continue;
		if (hs[0].module_dir) {
			snprintf(path, sizeof(path), "%s/%s", hs[0].module_dir,
				 mods[i].file);
			err = run(insmod);
			/* Still loaded (rmmod failed) is fine for insmod. */
			if (err && busy[i])
				err = 0;
		} else {
			err = run(modprobe);
		}
		if (err) {
			ncmig_err("%s: loading %s failed", doms, mods[i].mod);
			rc = rc ? rc : -EIO;
		}
	}
	return rc;
}

/* ---- the multi-domain driver ------------------------------------------- */

/* RESUME or RESTORE each of the first @n, as far as each got. */
static void recover_all(struct handover *hs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		ho_recover(&hs[i]);
}

static int quiesce_all(struct handover *hs, unsigned int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		err = ho_quiesce(&hs[i]);
		if (err) {
			/* The kernel resumed d[i]; resume the ones before. */
			recover_all(hs, i);
			return err;
		}
	}
	return 0;
}

static int snapshot_all(struct handover *hs, unsigned int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		err = ho_snapshot(&hs[i]);
		if (err) {
			recover_all(hs, n);
			return err;
		}
	}
	return 0;
}

static int release_all(struct handover *hs, unsigned int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		err = ho_release(&hs[i]);
		if (err) {
			/* Released (d[i] in part): RESTORE; the rest: RESUME. */
			recover_all(hs, n);
			return err;
		}
	}
	return 0;
}

/* RESTORE each, printing its lines; every domain is tried. */
static int restore_all(struct handover *hs, unsigned int n, struct json *j,
		       unsigned int *nr_ok, unsigned int *nr_devs)
{
	unsigned int i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (ho_restore(&hs[i])) {
			rc = -EIO;
			continue;
		}
		ho_print_result(&hs[i], j);
		(*nr_ok)++;
		*nr_devs += hs[i].quiesce->nr_devs;
	}
	return rc;
}

int handover_multi(struct handover *hs, unsigned int n)
{
	unsigned int nr_ok = 0, nr_devs = 0;
	uint64_t t0 = ho_now_ns();
	struct json j;
	int err, rc;

	err = quiesce_all(hs, n);
	if (!err)
		err = snapshot_all(hs, n);
	if (!err)
		err = release_all(hs, n);
	if (err)
		return err;

	if (hs[0].reload && ho_reload_modules(hs, n))
		err = -EIO;	/* still restore, then fail */
	if (hs[0].hold_ms)
		usleep(hs[0].hold_ms * 1000ULL);

	if (hs[0].json) {
		json_init(&j, stdout);
		json_arr_begin(&j);
	}
	rc = restore_all(hs, n, hs[0].json ? &j : NULL, &nr_ok, &nr_devs);
	if (hs[0].json) {
		json_arr_end(&j);
		json_finish(&j);
	} else {
		printf("handover: domains=%u devices=%u reload=%d total_ms=%.3f\n",
		       nr_ok, nr_devs, hs[0].reload,
		       (ho_now_ns() - t0) / 1e6);
	}
	return err ? err : rc;
}
