// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The handover engine: hand the backends of any number of domains (one
 * is no special case) from one backend instance to the next, on this
 * host, without the frontends noticing.  Phase by phase over every
 * domain, on the one netlink socket that owns all their sessions (the
 * kernel resumes them all if the caller dies):
 *
 *   QUIESCE each     a failure: RESUME the ones already quiesced (the
 *                    kernel resumed the failed one itself)
 *   SNAPSHOT each    into a stream of its own; a failure: RESUME all
 *   RELEASE each     a failure: RESTORE the ones released (the failed one
 *                    too: RESTORE resumes its devices still quiesced) from
 *                    their streams, RESUME the rest
 *   RELOAD, once     (if asked) the modules any of them uses, one after
 *                    the other.  Each new module file is checked before
 *                    anything is touched (before QUIESCE: a failure
 *                    refuses the run, naming the file and why); an rmmod
 *                    that fails (another domain still bound) is reported
 *                    with the domains that still use it; a new module
 *                    that does not load is replaced by the previous one
 *                    again (its file found before the rmmod); RESTORE
 *                    follows whatever happened, and the run then fails
 *   RESTORE each     from its stream, re-read and validated, once more
 *                    after a moment if it fails; every domain is tried
 *                    and each is reported
 *
 * A checkpoint (ncmig_ho_checkpoint(), save's) runs QUIESCE and SNAPSHOT
 * with the same recovery, then RESUME each instead of RELEASE: every
 * domain is tried and each failure reported.
 *
 * Every step reports its own failure on stderr, naming the domain (and
 * the device when there is one); ho->paths records which recovery ran.
 *
 * With several domains and a socket of its own (no caller's socket, no
 * test transport), the engine opens one netlink socket per domain, each
 * owning that domain's session, and runs each phase (QUIESCE, SNAPSHOT,
 * RELEASE, RESTORE) for every domain at once, one thread per domain: the
 * kernel answers a request in the sending thread, so one domain's drain
 * would otherwise hold up every other domain, and the first domain's
 * deadline (--deadline-ms, armed when its QUIESCE returns) would run out
 * while the others drain. A phase then waits for every domain; a failure
 * recovers every domain as far as it got (the ones quiesced are resumed,
 * the ones released restored). The workers only speak netlink and build
 * streams; their messages are replayed by the caller's thread, domain by
 * domain, once the phase is over (msg_defer.h), and every callback of
 * ncmig_ho_opts runs on the caller's thread. Otherwise (one domain, or a
 * caller's socket) each phase goes domain by domain, stopping at the
 * first failure, on the one socket.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "include/uapi/linux/xen_ncmig.h"
#include "msg_defer.h"
#include "ncmig.h"
#include "reload_idle.h"
#include "reload_mod.h"

const char *ncmig_ho_phase_name(enum ncmig_ho_phase p)
{
	static const char *const names[] = {
		[NCMIG_HO_QUIESCE] = "quiesce",
		[NCMIG_HO_SNAPSHOT] = "snapshot",
		[NCMIG_HO_RELEASE] = "release",
		[NCMIG_HO_RELOAD] = "reload",
		[NCMIG_HO_RESTORE] = "restore",
		[NCMIG_HO_RESUME] = "resume",
	};

	return (unsigned int)p < sizeof(names) / sizeof(names[0]) ?
	       names[p] : "?";
}

/*
 * NCMIG_TIMES=1 in the environment: each step of a run on stderr, as
 * "ncmig-time: at_ms=T took_ms=D STEP" (T since the run began, D since
 * @since), to see where a blackout goes.  The caller's thread only.
 */
static bool times_on(void)
{
	const char *e = getenv("NCMIG_TIMES");

	return e && *e && strcmp(e, "0");
}

static void tmark(const struct ncmig_ho *ho, uint64_t since,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void tmark(const struct ncmig_ho *ho, uint64_t since,
		  const char *fmt, ...)
{
	uint64_t now = ncmig_now_ns();
	char what[160];
	va_list ap;

	if (!times_on())
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ncmig-time: at_ms=%.1f took_ms=%.1f %s\n",
		(now - ho->t0) / 1e6, (now - since) / 1e6, what);
}

/*
 * With NCMIG_TIMES: each device's times in the kernel's reply to @p
 * (CLOCK_MONOTONIC, as ncmig_now_ns()): its step began, ended.
 */
static void dev_times(const struct ncmig_ho *ho, enum ncmig_ho_phase p)
{
	unsigned int i, k;

	if (!times_on())
		return;
	for (i = 0; i < ho->n; i++) {
		const struct ncmig_ho_dom *d = &ho->doms[i];
		const struct ncmig_nl_reply *r =
			p == NCMIG_HO_QUIESCE ? d->quiesce : d->restore;

		for (k = 0; r && k < r->nr_devs; k++) {
			const struct ncmig_nl_dev *v = &r->devs[k];
			double s0 = v->start_ns > ho->t0 ?
				    (v->start_ns - ho->t0) / 1e6 : -1;
			double s1 = v->done_ns > ho->t0 ?
				    (v->done_ns - ho->t0) / 1e6 : -1;

			fprintf(stderr, "ncmig-time: dev d%u %s %u: %s start_at_ms=%.1f done_at_ms=%.1f drain_ms=%.1f blackout_ms=%.1f\n",
				d->domid, ncmig_kind_name(v->kind), v->devid,
				ncmig_ho_phase_name(p), s0, s1,
				v->drain_ns / 1e6, v->blackout_ns / 1e6);
		}
	}
}

/* Also from a worker thread. */
static void took(struct ncmig_ho *ho, enum ncmig_ho_path p)
{
	__atomic_fetch_or(&ho->paths, 1U << p, __ATOMIC_RELAXED);
}

/* The kernel's message names domain and device; say which step failed. */
static void report(const struct ncmig_ho_dom *d, const char *step)
{
	const char *msg = d->st.msg[0] ? d->st.msg : strerror(-d->st.err);
	char prefix[16];

	snprintf(prefix, sizeof(prefix), "d%u", d->domid);
	if (!strncmp(msg, prefix, strlen(prefix)))
		ncmig_err("%s: %s failed (%s)", msg, step,
			  strerror(-d->st.err));
	else
		ncmig_dom_err(d->domid, "%s failed: %s (%s)", step, msg,
			      strerror(-d->st.err));
}

/* ---- the steps, one domain each ----------------------------------------- */

static int record_cb(uint32_t kind, uint32_t devid, const void *rec,
		     size_t len, void *arg)
{
	struct ncmig_ho_dom *d = arg;
	int err;

	err = ncmig_write_backend(&d->w, rec, len);
	if (err) {
		ncmig_dev_err(d->domid, ncmig_kind_name(kind), devid,
			      "kernel record refused by the stream writer: %s",
			      strerror(-err));
		d->refused = true;
		return err;
	}
	d->nr_records++;
	return 0;
}

/* Re-read the stream and RESTORE every backend record in it. */
static int restore_from_stream(struct ncmig_ho *ho, struct ncmig_ho_dom *d)
{
	struct ncmig_stream_err serr;
	struct ncmig_stream s;
	const void **recs;
	size_t *lens;
	int err;

	(void)ho;	/* d->nl: the socket that owns d's session */
	err = ncmig_stream_parse(d->w.buf, d->w.len, &s, &serr);
	if (err) {
		ncmig_dom_err(d->domid, "stream: %s", serr.msg);
		return err;
	}
	err = ncmig_stream_backend_arrays(&s, &recs, &lens);
	if (!err) {
		err = ncmig_nl_restore(d->nl, d->domid, recs, lens,
				       (unsigned int)s.nr_backends, d->restore,
				       &d->st);
		if (err)
			report(d, "RESTORE");
	}
	free(recs);
	free(lens);
	ncmig_stream_free(&s);
	return err;
}

static int quiesce(struct ncmig_ho *ho, struct ncmig_ho_dom *d)
{
	int err;

	d->t_start = ncmig_now_ns();
	err = ncmig_nl_quiesce(d->nl, d->domid, ho->o.timeout_ms,
			       ho->o.deadline_ms, d->quiesce, &d->st);
	d->quiesced = !err;
	if (err)
		report(d, "QUIESCE");
	return err;
}

static int snapshot(struct ncmig_ho *ho, struct ncmig_ho_dom *d)
{
	int err;

	ncmig_writer_free(&d->w);
	ncmig_writer_init_mem(&d->w);
	ncmig_write_header(&d->w);
	ncmig_write_domain(&d->w, d->domid, NCMIG_DOM_F_BACKENDS);
	err = ncmig_nl_snapshot(d->nl, d->domid, record_cb, d, &d->st);
	if (err) {
		report(d, "SNAPSHOT");
		took(ho, d->refused ? NCMIG_HO_PATH_SNAPSHOT_RECORD :
			 NCMIG_HO_PATH_SNAPSHOT_FAIL);
		return err;
	}
	err = ncmig_write_end(&d->w);
	if (!err)
		err = d->w.err;
	if (err)	/* out of memory: nothing else fails a memory writer */
		ncmig_dom_err(d->domid, "stream: %s", strerror(-err));
	return err;
}

static int release(struct ncmig_ho *ho, struct ncmig_ho_dom *d)
{
	int err;

	(void)ho;
	d->released = true;
	err = ncmig_nl_release(d->nl, d->domid, d->restore, &d->st);
	if (err)
		report(d, "RELEASE");
	return err;
}

/*
 * Whether the kernel still has @d's session after a failed RESTORE.  A
 * RESTORE that failed on a device which then left the handover (its
 * attach refused, then found reconnected by its driver, closed or gone)
 * ends the session once nothing is left released: a second RESTORE would
 * make a fresh session and try to attach every device again, the ones
 * the first attached too, which are running: each refused "not parked",
 * each then reported reconnected.  Only a real answer "no session" says
 * so; any other (an old kernel) lets the retry go on.
 */
static bool session_ended(struct ncmig_ho_dom *d)
{
	struct ncmig_nl_reply *r = malloc(sizeof(*r));
	struct ncmig_nl_status st = { 0 };
	int err;

	if (!r)
		return false;
	err = ncmig_nl_session(d->nl, d->domid, r, &st);
	free(r);
	return err == -ENOENT;
}

static int restore(struct ncmig_ho *ho, struct ncmig_ho_dom *d)
{
	unsigned int ms = ho->o.restore_retry_ms ? ho->o.restore_retry_ms : 200;

	if (restore_from_stream(ho, d)) {
		if (session_ended(d)) {
			ncmig_dom_err(d->domid, "RESTORE not retried: its session ended with it (each device attached or out of the handover, as said above)");
			took(ho, NCMIG_HO_PATH_RESTORE_ENDED);
			took(ho, NCMIG_HO_PATH_RESTORE_FAIL);
			return -EIO;
		}
		/* Once more: a freshly loaded backend may need a moment. */
		usleep(ms * 1000U);
		if (restore_from_stream(ho, d)) {
			took(ho, NCMIG_HO_PATH_RESTORE_FAIL);
			return -EIO;
		}
		took(ho, NCMIG_HO_PATH_RESTORE_RETRY);
	}
	d->t_end = ncmig_now_ns();
	d->restored = true;
	return 0;
}

/* Leave the guest running, whatever step failed. */
static void recover(struct ncmig_ho *ho, struct ncmig_ho_dom *d)
{
	struct ncmig_nl_status st0 = d->st;
	int err;

	if (!d->released) {
		err = ncmig_nl_resume(d->nl, d->domid, d->restore, &d->st);
		if (err && err != -ENOENT) {
			report(d, "RESUME (recovery)");
			took(ho, NCMIG_HO_PATH_RECOVER_RESUME_FAIL);
		} else {
			ncmig_dom_err(d->domid, "resumed in place");
			took(ho, err ? NCMIG_HO_PATH_RECOVER_RESUME_GONE :
				 NCMIG_HO_PATH_RECOVER_RESUME);
		}
	} else if (!restore_from_stream(ho, d)) {
		ncmig_dom_err(d->domid, "restored from the records");
		took(ho, NCMIG_HO_PATH_RECOVER_RESTORE);
	} else {
		took(ho, NCMIG_HO_PATH_RECOVER_RESTORE_FAIL);
	}
	d->st = st0;
}

/* RESUME or RESTORE each of the first @n, as far as each got. */
static void recover_all(struct ncmig_ho *ho, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		recover(ho, &ho->doms[i]);
}

/* ---- every domain at once ----------------------------------------------- */

struct worker {
	pthread_t t;
	struct ncmig_ho *ho;
	struct ncmig_ho_dom *d;
	int (*fn)(struct ncmig_ho *ho, struct ncmig_ho_dom *d);
	int err;
	struct ncmig_msg_defer msgs;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	ncmig_msg_defer_start(&w->msgs);
	w->err = w->fn(w->ho, w->d);
	ncmig_msg_defer_stop();
	return NULL;
}

/*
 * @fn for every domain, its result in @errs[i]. Parallel: all at once,
 * one thread each (one the system refuses runs here, in its turn), then
 * their messages in domain order. Otherwise one after the other, stopping
 * at the first failure unless @all. Returns the index of the first
 * failure, or ho->n.
 */
static unsigned int each(struct ncmig_ho *ho,
			 int (*fn)(struct ncmig_ho *ho, struct ncmig_ho_dom *d),
			 bool all, int *errs)
{
	unsigned int i, first = ho->n;
	struct worker *w = NULL;
	bool *up = NULL;

	if (ho->parallel) {
		w = calloc(ho->n, sizeof(*w));
		up = calloc(ho->n, sizeof(*up));
	}
	if (!w || !up) {
		free(w);
		free(up);
		for (i = 0; i < ho->n; i++) {
			errs[i] = fn(ho, &ho->doms[i]);
			if (errs[i] && first == ho->n)
				first = i;
			if (errs[i] && !all)
				break;
		}
		return first;
	}
	for (i = 0; i < ho->n; i++) {
		w[i] = (struct worker){ .ho = ho, .d = &ho->doms[i], .fn = fn };
		up[i] = !pthread_create(&w[i].t, NULL, worker_run, &w[i]);
	}
	for (i = 0; i < ho->n; i++) {
		if (up[i])
			pthread_join(w[i].t, NULL);
		else
			worker_run(&w[i]);
	}
	for (i = 0; i < ho->n; i++) {
		ncmig_msg_defer_flush(&w[i].msgs);
		errs[i] = w[i].err;
		if (errs[i] && first == ho->n)
			first = i;
	}
	free(w);
	free(up);
	return first;
}

/* ---- module reload ------------------------------------------------------ */

static const struct ncmig_mod mod_defs[NCMIG_HO_MODS] = {
	{ .kind = XEN_NCMIG_KIND_VBD, .name = "xen_blkback", .file = "xen-blkback.ko",
	  .drv = "vbd" },
	{ .kind = XEN_NCMIG_KIND_VIF, .name = "xen_netback", .file = "xen-netback.ko",
	  .drv = "vif" },
};

/* The second slot of each (roll.c), which may be the one running. */
static const struct ncmig_mod mod_defs_b[NCMIG_HO_MODS] = {
	{ .kind = XEN_NCMIG_KIND_VBD, .name = "xen_blkback_b",
	  .file = "xen-blkback-b.ko", .drv = "vbd-b" },
	{ .kind = XEN_NCMIG_KIND_VIF, .name = "xen_netback_b",
	  .file = "xen-netback-b.ko", .drv = "vif-b" },
};

static struct ncmig_mod_env mod_env(const struct ncmig_ho *ho)
{
	struct ncmig_mod_env env = {
		.run = ho->o.run, .capture = ho->o.capture, .arg = ho->o.arg,
		.sysfs = ho->o.sysfs_root, .release = ho->o.kernel_release,
	};

	return env;
}

static int run(struct ncmig_ho *ho, char *const argv[])
{
	struct ncmig_mod_env env = mod_env(ho);

	return ncmig_mod_run(&env, argv);
}

/*
 * The modules a reload replaces: each backend's running slot (slot b,
 * xen-blkback-b, after a rolling update onto it; else slot a). Both
 * slots loaded is a rolling update under way: a reload would replace
 * only one of them, so it is refused (-EBUSY, said) before QUIESCE.
 * 0, -EBUSY or -ENOMEM.
 */
static int mods_init(struct ncmig_ho *ho)
{
	struct ncmig_mod_env env = mod_env(ho);
	unsigned int i;
	int rc = 0;

	if (ho->mods)
		return 0;
	ho->mods = malloc(sizeof(mod_defs));
	if (!ho->mods) {
		ncmig_err("reload: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	memcpy(ho->mods, mod_defs, sizeof(mod_defs));
	for (i = 0; i < NCMIG_HO_MODS; i++) {
		bool a = ncmig_mod_loaded(&env, mod_defs[i].name);
		bool b = ncmig_mod_loaded(&env, mod_defs_b[i].name);

		if (a && b) {
			ncmig_err("reload refused, nothing unloaded: %s and %s are both loaded (a rolling update is under way: finish it with ncmigd roll)",
				  mod_defs[i].name, mod_defs_b[i].name);
			rc = -EBUSY;
		} else if (b) {
			ho->mods[i] = mod_defs_b[i];
		}
	}
	return rc;
}

static bool any_has_kind(const struct ncmig_ho *ho, uint32_t kind)
{
	unsigned int i, k;

	for (i = 0; i < ho->n; i++)
		for (k = 0; k < ho->doms[i].quiesce->nr_devs; k++)
			if (ho->doms[i].quiesce->devs[k].kind == kind)
				return true;
	return false;
}

static bool in_run(const struct ncmig_ho *ho, uint32_t domid)
{
	unsigned int i;

	for (i = 0; i < ho->n; i++)
		if (ho->doms[i].domid == domid)
			return true;
	return false;
}

/* "d5" or "d5,d7,...": the domains an error line is about. */
static void dom_list(const struct ncmig_ho *ho, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < ho->n && off < len; i++)
		off += snprintf(buf + off, len - off, "%sd%u", i ? "," : "",
				ho->doms[i].domid);
}

#define DEV_LIST_MAX	(NCMIG_HO_DOMS_MAX * 24)

/* "d5 vbd 51712, d7 vbd 51712": the run's devices of @kind (QUIESCE's). */
static void dev_list(const struct ncmig_ho *ho, uint32_t kind, char *buf,
		     size_t len)
{
	unsigned int i, k;
	size_t off = 0;

	buf[0] = 0;
	for (i = 0; i < ho->n; i++) {
		const struct ncmig_nl_reply *q = ho->doms[i].quiesce;

		for (k = 0; k < q->nr_devs && off < len; k++)
			if (q->devs[k].kind == kind)
				off += snprintf(buf + off, len - off, "%sd%u %s %u",
						off ? ", " : "", ho->doms[i].domid,
						ncmig_kind_name(kind), q->devs[k].devid);
	}
}

/* The bound devices of one kind: outside the run (@in false) or in it. */
struct users {
	const struct ncmig_ho *ho;
	uint32_t kind;
	bool in;
	char list[DEV_LIST_MAX];
	size_t off;
};

static int users_cb(const struct ncmig_nl_reply *r, void *arg)
{
	struct users *u = arg;
	const struct ncmig_nl_dev *d = &r->devs[0];

	if (r->nr_devs != 1 || !r->has_domid || d->kind != u->kind ||
	    !d->bound || in_run(u->ho, r->domid) != u->in)
		return 0;
	if (u->off < sizeof(u->list))
		u->off += snprintf(u->list + u->off, sizeof(u->list) - u->off,
				   "%sd%u %s %u", u->off ? ", " : "",
				   r->domid, ncmig_kind_name(d->kind),
				   d->devid);
	return 0;
}

static void rmmod_failed(struct ncmig_ho *ho, const char *doms,
			 uint32_t kind, const char *mod)
{
	struct users u = { .ho = ho, .kind = kind };
	struct ncmig_nl_status st = { 0 };

	ncmig_nl_devices(ho->nl, -1, users_cb, &u, &st);
	if (u.off) {
		ncmig_err("%s: rmmod %s failed: other domains still use it (%s)",
			  doms, mod, u.list);
		took(ho, NCMIG_HO_PATH_RELOAD_BUSY);
	} else {
		ncmig_err("%s: rmmod %s failed (other domains may still use it)",
			  doms, mod);
		took(ho, NCMIG_HO_PATH_RELOAD_BUSY_UNKNOWN);
	}
}

/*
 * Before QUIESCE: each backend module that is loaded (a device can only
 * be bound to a loaded one) is replaced only by a file that passes
 * ncmig_mod_verify().  A failure refuses the run with nothing touched,
 * naming the file, why, and the devices the loaded module goes on
 * serving.  0 or the first failure's negative errno.
 */
static int reload_check(struct ncmig_ho *ho)
{
	struct ncmig_mod_env env = mod_env(ho);
	char doms[NCMIG_HO_DOMS_MAX * 8];
	unsigned int i;
	int err, rc = 0;

	err = mods_init(ho);
	if (err) {
		if (err == -EBUSY) {
			took(ho, NCMIG_HO_PATH_RELOAD_REFUSED);
			ho->failed = NCMIG_HO_RELOAD;
		}
		return err;
	}
	dom_list(ho, doms, sizeof(doms));
	for (i = 0; i < NCMIG_HO_MODS; i++) {
		struct ncmig_mod *m = &ho->mods[i];
		struct users u = { .ho = ho, .kind = m->kind, .in = true };
		struct ncmig_nl_status st = { 0 };

		uint64_t t = ncmig_now_ns();

		if (!ncmig_mod_loaded(&env, m->name))
			continue;
		err = ncmig_mod_verify(&env, ho->o.module_dir, m);
		tmark(ho, t, "check %s: verify the new file", m->name);
		if (!err) {
			/*
			 * Where the running one came from, to load it again
			 * if the new one fails: looked for here, as it runs
			 * modinfo, not in the window where the backends are
			 * stopped (found or not: it is not looked for again
			 * in the window).
			 */
			t = ncmig_now_ns();
			ncmig_mod_find_prev(&env, m);
			tmark(ho, t, "check %s: find the running one's file (%s)",
			      m->name, m->prev[0] ? m->prev : "none");
			/* And what modprobe would load, for the window. */
			if (!ho->o.module_dir) {
				t = ncmig_now_ns();
				ncmig_mod_plan(&env, m);
				tmark(ho, t, "check %s: modprobe's plan (%s)",
				      m->name, m->direct ? "loaded here" : "modprobe runs");
			}
			continue;
		}
		ncmig_nl_devices(ho->nl, -1, users_cb, &u, &st);
		ncmig_err("%s: reload refused, nothing unloaded: %s; the loaded %s goes on serving %s",
			  doms, m->why, m->name, u.off ? u.list : "the domains");
		rc = rc ? rc : err;
	}
	if (rc) {
		took(ho, NCMIG_HO_PATH_RELOAD_REFUSED);
		ho->failed = NCMIG_HO_RELOAD;
	}
	return rc;
}

/*
 * The new module of @m did not load (@load exited @how): load the
 * previous one again, from the file found before the rmmod, so that the
 * RESTORE that follows attaches the devices to it.  0 if it loaded.
 */
static int reload_rollback(struct ncmig_ho *ho, struct ncmig_mod *m,
			   const char *doms, const char *load,
			   const char *what, int how)
{
	struct ncmig_mod_env env = mod_env(ho);
	char devs[DEV_LIST_MAX];
	int err;

	dev_list(ho, m->kind, devs, sizeof(devs));
	if (how > 0)
		ncmig_err("%s: loading %s failed: %s %s exited %d", doms,
			  m->name, load, what, how);
	else
		ncmig_err("%s: loading %s failed: %s %s: %s", doms, m->name,
			  load, what, ncmig_mod_strerror(how));
	took(ho, NCMIG_HO_PATH_RELOAD_LOAD_FAIL);
	if (!m->prev[0]) {
		ncmig_err("%s: no previous %s to load again (%s): %s left without a backend until xen-ncmig loads one (request_module) or an operator does",
			  doms, m->name, m->why[0] ? m->why : "its file is unknown",
			  devs);
		took(ho, NCMIG_HO_PATH_RELOAD_ROLLBACK_FAIL);
		return -ENOENT;
	}
	err = ncmig_mod_load(&env, m->prev);
	if (err) {
		char why[96];

		if (err > 0)
			snprintf(why, sizeof(why), "exit %d", err);
		else
			snprintf(why, sizeof(why), "%s", ncmig_mod_strerror(err));
		ncmig_err("%s: loading the previous %s again from %s failed too (%s): %s left without a backend until xen-ncmig loads one (request_module) or an operator does",
			  doms, m->name, m->prev, why, devs);
		took(ho, NCMIG_HO_PATH_RELOAD_ROLLBACK_FAIL);
		return -EIO;
	}
	ncmig_err("%s: loaded the previous %s again from %s: %s restored onto it",
		  doms, m->name, m->prev, devs);
	took(ho, NCMIG_HO_PATH_RELOAD_ROLLBACK);
	return 0;
}

/*
 * Unload and load again, once, the backend modules the domains use, one
 * module after the other (the other keeps serving meanwhile): the new
 * module's file is checked first (reload_check() did for the loaded
 * ones) and a failure leaves that module alone; the running module's
 * file is found before the rmmod, and loaded again if the new one does
 * not load.  rmmod fails while any other domain's device is bound to the
 * module: that is the safety net, not an error to force through.  A
 * device with nothing to hand over (a vbd that never connected) is
 * unbound first and probed by the new module, or bound again to the old
 * one if the rmmod fails (reload_idle.h).  If the tool dies between an
 * rmmod and the load, xen-ncmig's watchdog loads the backend itself
 * (request_module) and attaches the released devices.
 * 0, -EBUSY (an rmmod failed), -EIO (a check or a load failed) or -ENOMEM.
 */
static int reload_modules(struct ncmig_ho *ho)
{
	struct ncmig_mod_env env = mod_env(ho);
	char doms[NCMIG_HO_DOMS_MAX * 8];
	struct ncmig_idle *idle;
	int rc = 0;
	size_t i;

	idle = calloc(1, sizeof(*idle));
	if (!idle) {
		ncmig_err("reload: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if (mods_init(ho)) {
		free(idle);
		return ho->mods ? -EBUSY : -ENOMEM;
	}
	idle->sysfs = ho->o.sysfs_root;
	idle->drv_vbd = ho->mods[0].drv;
	idle->drv_vif = ho->mods[1].drv;
	dom_list(ho, doms, sizeof(doms));
	for (i = 0; i < NCMIG_HO_MODS; i++) {
		struct ncmig_mod *m = &ho->mods[i];
		char *modprobe[] = { "modprobe", (char *)m->name, NULL };
		bool here = ho->o.module_dir || m->direct;
		const char *load = here ? "insmod" : "modprobe";
		const char *what = here ? m->path : m->name;
		uint64_t t;
		int err;

		if (!any_has_kind(ho, m->kind))
			continue;
		if (!m->checked &&
		    ncmig_mod_verify(&env, ho->o.module_dir, m)) {
			char devs[DEV_LIST_MAX];

			dev_list(ho, m->kind, devs, sizeof(devs));
			ncmig_err("%s: %s not reloaded: %s; %s restored onto the loaded one",
				  doms, m->name, m->why, devs);
			took(ho, NCMIG_HO_PATH_RELOAD_REFUSED);
			rc = rc ? rc : -EIO;
			continue;
		}
		/*
		 * Looked for before QUIESCE (reload_check(), found or not:
		 * modinfo would say the same now); only a module that was
		 * not loaded then is looked for here.
		 */
		t = ncmig_now_ns();
		if (!m->prev_looked) {
			ncmig_mod_find_prev(&env, m);
			tmark(ho, t, "reload %s: find the running one's file", m->name);
		}
		/*
		 * Only a vbd is ever unbound (reload_idle.h); the devices of
		 * another kind that hold the module are looked for only to
		 * name them, if the rmmod fails.
		 */
		t = ncmig_now_ns();
		if (m->kind == XEN_NCMIG_KIND_VBD) {
			ncmig_idle_unbind(idle, m->kind);
			tmark(ho, t, "reload %s: idle devices unbound", m->name);
		}
		t = ncmig_now_ns();
		err = ncmig_mod_unload(&env, m->name);
		tmark(ho, t, "reload %s: rmmod (%d)", m->name, err);
		if (err && ncmig_mod_loaded(&env, m->name)) {
			if (err < 0 && err != -EWOULDBLOCK && err != -EBUSY)
				ncmig_err("%s: rmmod %s: %s", doms, m->name,
					  strerror(-err));
			rmmod_failed(ho, doms, m->kind, m->name);
			if (m->kind != XEN_NCMIG_KIND_VBD)
				ncmig_idle_unbind(idle, m->kind);
			ncmig_idle_report_kept(idle, m->kind, m->name);
			/* Still loaded: the unbound go back to it. */
			ncmig_idle_rebind(idle, m->kind, m->name, false);
			rc = -EBUSY;
			continue;
		}
		t = ncmig_now_ns();
		err = here ? ncmig_mod_load_checked(&env, m) : run(ho, modprobe);
		tmark(ho, t, "reload %s: %s (%d)", m->name, load, err);
		if (err) {
			reload_rollback(ho, m, doms, load, what, err);
			rc = rc ? rc : -EIO;
		}
		/*
		 * The driver probed the unbound devices as it registered;
		 * bind any it did not take (each failure is named).
		 */
		t = ncmig_now_ns();
		if (ncmig_idle_rebind(idle, m->kind, m->name, !err))
			rc = rc ? rc : -EIO;
		tmark(ho, t, "reload %s: idle devices bound again", m->name);
	}
	free(idle);
	return rc;
}

/* Hold off the signals a user or a unit stop sends while no backend may
 * be loaded; SIGKILL is xen-ncmig's watchdog's to handle.
 */
static void reload_signals(bool block, sigset_t *old)
{
	sigset_t set;

	if (!block) {
		sigprocmask(SIG_SETMASK, old, NULL);
		return;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* ---- the phases --------------------------------------------------------- */

static void phase(struct ncmig_ho *ho, enum ncmig_ho_phase p, bool begin)
{
	if (ho->o.phase)
		ho->o.phase(ho, p, begin, ho->o.arg);
}

/*
 * QUIESCE failed for d[i] (the first that failed): the kernel resumed the
 * failed ones; resume the ones quiesced (before it, domain by domain; any
 * other, in a parallel run).
 */
static void quiesce_failed(struct ncmig_ho *ho, unsigned int i)
{
	unsigned int k;

	took(ho, i ? NCMIG_HO_PATH_QUIESCE_FAIL_LATER :
		 NCMIG_HO_PATH_QUIESCE_FAIL_FIRST);
	for (k = 0; k < ho->n; k++)
		if (ho->doms[k].quiesced)
			recover(ho, &ho->doms[k]);
}

/* SNAPSHOT failed: every domain is quiesced, resume them all. */
static void snapshot_failed(struct ncmig_ho *ho, unsigned int i)
{
	(void)i;
	recover_all(ho, ho->n);
}

/* RELEASE failed: the released (d[i] in part) RESTORE, the rest RESUME. */
static void release_failed(struct ncmig_ho *ho, unsigned int i)
{
	(void)i;
	took(ho, NCMIG_HO_PATH_RELEASE_FAIL);
	recover_all(ho, ho->n);
}

/*
 * A RESTORE that succeeded may name devices that had left the handover
 * before it (XEN_NCMIG_DEV_A_LEFT): gone, closed, or connected again by
 * their driver on its own (its park timeout fell back, or it probed
 * them afresh), which the frontend saw as a reconnect.  None was
 * attached from its record: each is named, with what happened, and
 * counted in d->nr_left.
 */
static void left_devices(struct ncmig_ho *ho, struct ncmig_ho_dom *d)
{
	const struct ncmig_nl_reply *r = d->restore;
	unsigned int i;

	for (i = 0; i < r->nr_devs; i++) {
		const struct ncmig_nl_dev *v = &r->devs[i];
		const char *kind = ncmig_kind_name(v->kind);
		char when[64] = "";

		if (!v->left)
			continue;
		d->nr_left++;
		if (v->left_after_ns)
			snprintf(when, sizeof(when), "found %.0f ms after its release, ",
				 v->left_after_ns / 1e6);
		switch (v->left) {
		case XEN_NCMIG_LEFT_RECONNECTED:
			ncmig_dev_err(d->domid, kind, v->devid,
				      "fell back to a reconnect (%snot attached from its snapshot: its driver connected it on its own, after its park timeout or from a fresh probe)",
				      when);
			break;
		case XEN_NCMIG_LEFT_CLOSED:
			ncmig_dev_err(d->domid, kind, v->devid,
				      "closed (%snot attached from its snapshot: its frontend or the toolstack closed it)",
				      when);
			break;
		case XEN_NCMIG_LEFT_GONE:
			ncmig_dev_err(d->domid, kind, v->devid,
				      "gone (%snot attached from its snapshot: its domain was destroyed or the device removed)",
				      when);
			break;
		default:
			ncmig_dev_err(d->domid, kind, v->devid,
				      "left the handover (%snot attached from its snapshot; how: %u)",
				      when, v->left);
			break;
		}
	}
	if (d->nr_left) {
		ncmig_dom_err(d->domid, "%u of %u device(s) not handed over",
			      d->nr_left, r->nr_devs);
		ho->nr_left += d->nr_left;
		took(ho, NCMIG_HO_PATH_RESTORE_LEFT);
	}
}

/*
 * RESTORE each; every domain is tried, each reported as it is done (in a
 * parallel run: all at once, then reported in order).  A domain some of
 * whose devices had left the handover is reported (its devices that were
 * restored too) but not counted handed over: the run then returns
 * -ENOLINK, unless something failed.
 */
static int restore_all(struct ncmig_ho *ho)
{
	int errs[NCMIG_HO_DOMS_MAX];
	uint64_t t = ncmig_now_ns();
	unsigned int i;
	int rc = 0;

	if (ho->parallel)
		each(ho, restore, true, errs);
	for (i = 0; i < ho->n; i++) {
		struct ncmig_ho_dom *d = &ho->doms[i];

		d->err = ho->parallel ? errs[i] : restore(ho, d);
		if (!d->err && times_on())
			fprintf(stderr, "ncmig-time: at_ms=%.1f took_ms=%.1f restore: d%u (%u device(s))\n",
				(d->t_end - ho->t0) / 1e6, (d->t_end - t) / 1e6,
				d->domid, d->quiesce->nr_devs);
		if (d->err) {
			rc = d->err;
			continue;
		}
		left_devices(ho, d);
		if (!d->nr_left)
			ho->nr_ok++;
		if (d->quiesce->nr_devs > d->nr_left)
			ho->nr_devs += d->quiesce->nr_devs - d->nr_left;
		if (ho->o.restored) {
			uint64_t t1 = ncmig_now_ns();

			ho->o.restored(ho, d, ho->o.arg);
			tmark(ho, t1, "restore: d%u: the caller's callback",
			      d->domid);
		}
	}
	if (!rc && ho->nr_left)
		rc = -ENOLINK;
	return rc;
}

/*
 * One phase of quiesce, snapshot, release: @fn for each domain (each(): in
 * turn, the first that fails stopping the phase, or all at once); if one
 * failed, @failed recovers with the index of the first.
 */
static int step(struct ncmig_ho *ho, enum ncmig_ho_phase p,
		int (*fn)(struct ncmig_ho *ho, struct ncmig_ho_dom *d),
		void (*failed)(struct ncmig_ho *ho, unsigned int i))
{
	int errs[NCMIG_HO_DOMS_MAX];
	uint64_t t = ncmig_now_ns();
	unsigned int i;

	phase(ho, p, true);
	i = each(ho, fn, false, errs);
	tmark(ho, t, "%s: %u domain(s)%s", ncmig_ho_phase_name(p), ho->n,
	      ho->parallel ? ", at once" : "");
	if (p == NCMIG_HO_QUIESCE || p == NCMIG_HO_RELEASE)
		dev_times(ho, p);
	if (i < ho->n) {
		failed(ho, i);
		ho->failed = p;
		return errs[i];
	}
	t = ncmig_now_ns();
	phase(ho, p, false);
	tmark(ho, t, "%s: the caller's end-of-phase callback",
	      ncmig_ho_phase_name(p));
	return 0;
}

/*
 * A socket for each domain but the first (which takes ho->nl), so that
 * the phases run for all at once; with one domain, a caller's socket or
 * the test transport, every domain's is ho->nl. 0, or a negative errno.
 */
static int open_sockets(struct ncmig_ho *ho)
{
	struct ncmig_nl_status st;
	unsigned int i;

	for (i = 0; i < ho->n; i++)
		ho->doms[i].nl = ho->nl;
	if (!ho->own_nl || ho->n < 2 || ncmig_nl_test_transport)
		return 0;
	for (i = 1; i < ho->n; i++) {
		ho->doms[i].nl = ncmig_nl_open(&st);
		if (!ho->doms[i].nl) {
			ncmig_dom_err(ho->doms[i].domid, "%s", st.msg);
			ho->open_st = st;
			return st.err ? st.err : -EIO;
		}
	}
	ho->parallel = true;
	return 0;
}

/*
 * The socket, unless the caller gave one, and one per other domain; then
 * (@reload) the new modules' check, QUIESCE and SNAPSHOT.
 */
static int open_and_snapshot(struct ncmig_ho *ho, bool reload)
{
	int err;

	ho->t0 = ncmig_now_ns();
	if (!ho->nl) {
		ho->nl = ncmig_nl_open(&ho->open_st);
		if (!ho->nl) {
			ncmig_err("%s", ho->open_st.msg);
			ho->failed = NCMIG_HO_OPEN;
			took(ho, NCMIG_HO_PATH_OPEN_FAIL);
			return ho->open_st.err ? ho->open_st.err : -EIO;
		}
		ho->own_nl = true;
	}
	err = open_sockets(ho);
	tmark(ho, ho->t0, "open: %u socket(s)", ho->parallel ? ho->n : 1);
	if (err) {
		ho->failed = NCMIG_HO_OPEN;
		took(ho, NCMIG_HO_PATH_OPEN_FAIL);
		return err;
	}
	if (reload) {
		uint64_t t = ncmig_now_ns();

		err = reload_check(ho);
		tmark(ho, t, "check: every new module");
		if (err)
			return err;
	}
	err = step(ho, NCMIG_HO_QUIESCE, quiesce, quiesce_failed);
	if (!err)
		err = step(ho, NCMIG_HO_SNAPSHOT, snapshot, snapshot_failed);
	return err;
}

/* RESUME each, a checkpoint's end; every domain is tried. */
static int resume_all(struct ncmig_ho *ho)
{
	unsigned int i;
	int rc = 0;

	for (i = 0; i < ho->n; i++) {
		struct ncmig_ho_dom *d = &ho->doms[i];

		d->err = ncmig_nl_resume(d->nl, d->domid, d->restore, &d->st);
		if (d->err) {
			report(d, "RESUME");
			took(ho, NCMIG_HO_PATH_CHECKPOINT_RESUME_FAIL);
			rc = rc ? rc : d->err;
			continue;
		}
		d->t_end = ncmig_now_ns();
		ho->nr_ok++;
		ho->nr_devs += d->quiesce->nr_devs;
	}
	return rc;
}

int ncmig_ho_checkpoint(struct ncmig_ho *ho)
{
	int err = open_and_snapshot(ho, false);

	if (err)
		return err;
	phase(ho, NCMIG_HO_RESUME, true);
	err = resume_all(ho);
	if (err)
		ho->failed = NCMIG_HO_RESUME;
	phase(ho, NCMIG_HO_RESUME, false);
	if (!err)
		took(ho, NCMIG_HO_PATH_OK);
	return err;
}

int ncmig_ho_run(struct ncmig_ho *ho)
{
	sigset_t old;
	uint64_t t;
	int err, rc;

	err = open_and_snapshot(ho, ho->o.reload);
	if (!err)
		err = step(ho, NCMIG_HO_RELEASE, release, release_failed);
	if (err)
		return err;

	if (ho->o.reload) {
		uint64_t t = ncmig_now_ns();

		phase(ho, NCMIG_HO_RELOAD, true);
		reload_signals(true, &old);
		rc = reload_modules(ho);
		reload_signals(false, &old);
		tmark(ho, t, "reload: every module");
		if (rc) {
			err = -EIO;	/* still restore, then fail */
			ho->failed = NCMIG_HO_RELOAD;
		}
		phase(ho, NCMIG_HO_RELOAD, false);
	}
	if (ho->o.hold_ms)
		usleep(ho->o.hold_ms * 1000ULL);

	phase(ho, NCMIG_HO_RESTORE, true);
	t = ncmig_now_ns();
	rc = restore_all(ho);
	tmark(ho, t, "restore: every domain, each reported");
	dev_times(ho, NCMIG_HO_RESTORE);
	if (rc && !err)
		ho->failed = NCMIG_HO_RESTORE;
	phase(ho, NCMIG_HO_RESTORE, false);
	if (!err && !rc)
		took(ho, NCMIG_HO_PATH_OK);
	return err ? err : rc;
}

int ncmig_ho_init(struct ncmig_ho *ho, const uint16_t *domids, unsigned int n,
		  const struct ncmig_ho_opts *o, struct ncmig_nl_sock *nl)
{
	unsigned int i, k;

	memset(ho, 0, sizeof(*ho));
	if (!n || n > NCMIG_HO_DOMS_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		for (k = 0; k < i; k++)
			if (domids[k] == domids[i])
				return -EINVAL;
	if (o)
		ho->o = *o;
	ho->nl = nl;
	ho->failed = NCMIG_HO_NONE;
	ho->doms = calloc(n, sizeof(*ho->doms));
	if (!ho->doms)
		return -ENOMEM;
	ho->n = n;
	for (i = 0; i < n; i++) {
		struct ncmig_ho_dom *d = &ho->doms[i];

		d->domid = domids[i];
		ncmig_writer_init_mem(&d->w);
		d->quiesce = calloc(1, sizeof(*d->quiesce));
		d->restore = calloc(1, sizeof(*d->restore));
		if (!d->quiesce || !d->restore) {
			ncmig_ho_fini(ho);
			return -ENOMEM;
		}
	}
	return 0;
}

void ncmig_ho_fini(struct ncmig_ho *ho)
{
	unsigned int i;

	for (i = 0; ho->doms && i < ho->n; i++) {
		if (ho->doms[i].nl && ho->doms[i].nl != ho->nl)
			ncmig_nl_close(ho->doms[i].nl);
		ncmig_writer_free(&ho->doms[i].w);
		free(ho->doms[i].quiesce);
		free(ho->doms[i].restore);
	}
	free(ho->doms);
	ho->doms = NULL;
	for (i = 0; ho->mods && i < NCMIG_HO_MODS; i++)
		ncmig_mod_drop(&ho->mods[i]);
	free(ho->mods);
	ho->mods = NULL;
	if (ho->own_nl)
		ncmig_nl_close(ho->nl);
	ho->nl = NULL;
	ho->own_nl = false;
}
