// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A rolling update of the backends (ncmig_roll_run(), `ncmigd roll`):
 * no all-guest stop.
 *
 * Each backend has two slots, two modules built from one patched source
 * (kernel/backends): xen-blkback (driver "vbd") and xen-blkback-b (driver
 * "vbd-b"), xen-netback ("vif") and xen-netback-b ("vif-b").  Both drivers
 * of a kind match its device type; xen-backend-quiesce prefers the one
 * whose operations table registered last: a device nothing is bound to
 * is bound to its driver by the core's attach, and the older driver
 * declines new devices, so that guests created meanwhile start on the new
 * one.  The core lists the tables, preferred first, in its module
 * parameter "backends" ("vbd=xen_blkback_b,xen_blkback vif=...").
 *
 * The run, for each kind whose devices exist:
 *  1. the running slot is the old one; the other slot (DIR/FILE.ko with
 *     a module directory, else modprobe) is checked as a reload's module
 *     is (reload_mod.h) and loaded beside it, and must then be the
 *     preferred one.  Two slots loaded already (a rollout that stopped):
 *     the preferred one is the new one, and the rollout goes on;
 *  2. the domains with devices on an old driver, in domid order, a batch
 *     of them (opts.batch, 1 by default) at a time: a plain handover of
 *     those domains (ncmig_ho_run(), no reload): each device's own short
 *     blackout, and its attach binds it to the new driver.  A vbd that
 *     never connected (InitWait) is unbound from the old driver and bound
 *     to the new one instead (it has nothing to hand over);
 *  3. once no device is left on an old driver, that module is unloaded.
 *
 * A failure stops the rollout at once: the batch's recovery is the
 * engine's (its domains resume in place on the old driver, or, past
 * RELEASE, are attached from their records), the domains moved before
 * stay on the new driver and the others on the old one, served, and the
 * old module stays loaded; `ncmigd roll` again goes on from there.  A
 * device the rollout cannot move (a vif that never connected: netback's
 * remove would drop its hotplug state) is named and keeps its old module
 * loaded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/uapi/linux/xen_ncmig.h"
#include "ncmig.h"
#include "reload_idle.h"
#include "reload_mod.h"

struct slot_def {
	const char *mod;	/* as /sys/module has it */
	const char *file;	/* in a module directory */
	const char *drv;	/* its driver on the xen-backend bus */
};

/* [kind index][slot]: index 0 vbd, 1 vif. */
static const struct slot_def slot_defs[2][NCMIG_ROLL_SLOTS] = {
	{ { "xen_blkback", "xen-blkback.ko", "vbd" },
	  { "xen_blkback_b", "xen-blkback-b.ko", "vbd-b" } },
	{ { "xen_netback", "xen-netback.ko", "vif" },
	  { "xen_netback_b", "xen-netback-b.ko", "vif-b" } },
};

static const char *kind_type(unsigned int ki)
{
	return ki ? "vif" : "vbd";
}

static const char *root(const struct ncmig_roll *r)
{
	return ncmig_reload_sysfs(r->o.ho.sysfs_root);
}

static struct ncmig_mod_env mod_env(const struct ncmig_roll *r)
{
	struct ncmig_mod_env env = {
		.run = r->o.ho.run, .capture = r->o.ho.capture,
		.arg = r->o.ho.arg, .sysfs = r->o.ho.sysfs_root,
		.release = r->o.ho.kernel_release,
	};

	return env;
}

/* The slot (0, 1) module @name is, or -1. */
static int slot_of(unsigned int ki, const char *name)
{
	int s;

	for (s = 0; s < NCMIG_ROLL_SLOTS; s++)
		if (!strcmp(slot_defs[ki][s].mod, name))
			return s;
	return -1;
}

/*
 * The core's tables of kind @ki, preferred first, from its "backends"
 * parameter, into @mods (NCMIG_ROLL_SLOTS of them): how many, or -errno.
 */
static int read_tables(const struct ncmig_roll *r, unsigned int ki,
		       char mods[][NCMIG_ROLL_NAME_MAX])
{
	char path[512], buf[512], *tok, *save = NULL;
	const char *type = kind_type(ki);
	size_t tl = strlen(type);
	int fd, n = 0;
	ssize_t len;

	snprintf(path, sizeof(path),
		 "%s/module/xen_backend_quiesce/parameters/backends", root(r));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return -errno;
	buf[len] = 0;
	for (tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		char *m, *msave = NULL;

		if (strncmp(tok, type, tl) || tok[tl] != '=')
			continue;
		for (m = strtok_r(tok + tl + 1, ",", &msave); m;
		     m = strtok_r(NULL, ",", &msave)) {
			if (n == NCMIG_ROLL_SLOTS ||
			    strlen(m) >= NCMIG_ROLL_NAME_MAX)
				return -EPROTO;
			snprintf(mods[n++], NCMIG_ROLL_NAME_MAX, "%s", m);
		}
	}
	return n;
}

/* A guest's device of type @type (ncmig_bus_dev_parse(), not dom0's). */
static bool parse_dev(const char *name, const char *type, unsigned int *domid,
		      uint32_t *devid)
{
	return ncmig_bus_dev_parse(name, type, domid, devid) && *domid;
}

/* A device's xenbus state as sysfs shows it ("Connected"), or "". */
static void read_state(const struct ncmig_roll *r, const char *name,
		       char *buf, size_t cap)
{
	char path[512];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/bus/xen-backend/devices/%s/state",
		 root(r), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, cap - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

/* What a device on an old driver is to the rollout. */
enum dev_class {
	DEV_HANDOVER,		/* Connected: a handover moves it */
	DEV_REBIND,		/* a vbd in InitWait: unbind and bind */
	DEV_STUCK,		/* neither: it stays, named */
};

static enum dev_class classify(const struct ncmig_roll *r, unsigned int ki,
			       const char *name)
{
	char st[32];

	read_state(r, name, st, sizeof(st));
	if (!strcmp(st, "Connected"))
		return DEV_HANDOVER;
	if (!ki && !strcmp(st, "InitWait"))
		return DEV_REBIND;
	return DEV_STUCK;
}

/*
 * Call @fn for every device of kind @ki bound to its old driver (of
 * domain @domid, or every domain for -1) until it returns non-zero;
 * that value, 0, or -errno if the driver cannot be read (no such driver:
 * 0, nothing bound to it).
 */
static int for_each_old(const struct ncmig_roll *r, unsigned int ki,
			long domid,
			int (*fn)(const struct ncmig_roll *r, unsigned int ki,
				  const char *name, unsigned int domid,
				  uint32_t devid, void *arg),
			void *arg)
{
	const struct ncmig_roll_kind *k = &r->k[ki];
	struct dirent *de;
	char path[512];
	int ret = 0;
	DIR *dir;

	if (!k->active)
		return 0;
	snprintf(path, sizeof(path), "%s/bus/xen-backend/drivers/%s",
		 root(r), k->old_drv);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(dir))) {
		unsigned int d;
		uint32_t devid;

		if (!parse_dev(de->d_name, kind_type(ki), &d, &devid) ||
		    (domid >= 0 && d != (unsigned int)domid))
			continue;
		ret = fn(r, ki, de->d_name, d, devid, arg);
	}
	closedir(dir);
	return ret;
}

struct dom_set {
	uint16_t *domids;
	unsigned int n, cap;
	bool movable_only;
};

static int add_dom(const struct ncmig_roll *r, unsigned int ki,
		   const char *name, unsigned int domid, uint32_t devid,
		   void *arg)
{
	struct dom_set *s = arg;
	unsigned int i;

	(void)devid;
	if (s->movable_only && classify(r, ki, name) == DEV_STUCK)
		return 0;
	for (i = 0; i < s->n && s->domids[i] != domid; i++)
		;
	if (i < s->n)
		return 0;
	if (s->n == s->cap)
		return -E2BIG;
	s->domids[s->n++] = (uint16_t)domid;
	return 0;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* The domains with a device on an old driver (a movable one): sorted. */
static int old_domains(const struct ncmig_roll *r, uint16_t *domids,
		       unsigned int cap, bool movable_only)
{
	struct dom_set s = { domids, 0, cap, movable_only };
	unsigned int ki;
	int err;

	for (ki = 0; ki < 2; ki++) {
		err = for_each_old(r, ki, -1, add_dom, &s);
		if (err)
			return err;
	}
	qsort(domids, s.n, sizeof(*domids), cmp_u16);
	return (int)s.n;
}

struct dom_count {
	unsigned int handover, rebind, stuck;
};

static int count_dev(const struct ncmig_roll *r, unsigned int ki,
		     const char *name, unsigned int domid, uint32_t devid,
		     void *arg)
{
	struct dom_count *c = arg;

	(void)domid;
	(void)devid;
	switch (classify(r, ki, name)) {
	case DEV_HANDOVER:
		c->handover++;
		break;
	case DEV_REBIND:
		c->rebind++;
		break;
	case DEV_STUCK:
		c->stuck++;
		break;
	}
	return 0;
}

static int drv_write(const struct ncmig_roll *r, const char *drv,
		     const char *file, const char *name)
{
	return ncmig_bus_drv_write(root(r), drv, file, name);
}

/* A vbd that never connected: nothing to hand over, only to rebind. */
static int rebind_dev(const struct ncmig_roll *r, unsigned int ki,
		      const char *name, unsigned int domid, uint32_t devid,
		      void *arg)
{
	const struct ncmig_roll_kind *k = &r->k[ki];
	int *failed = arg, err;

	if (classify(r, ki, name) != DEV_REBIND)
		return 0;
	err = drv_write(r, k->old_drv, "unbind", name);
	if (!err) {
		err = drv_write(r, k->new_drv, "bind", name);
		if (err) {
			/* Not left without a driver: back to the old one. */
			drv_write(r, k->old_drv, "bind", name);
		}
	}
	if (err) {
		ncmig_dev_err(domid, kind_type(ki), devid,
			      "not connected to its frontend: moving it from %s to %s failed: %s",
			      k->old_drv, k->new_drv, strerror(-err));
		*failed = err;
		return err;
	}
	ncmig_dev_err(domid, kind_type(ki), devid,
		      "not connected to its frontend: bound to %s (nothing to hand over)",
		      k->new_drv);
	return 0;
}

static int name_stuck(const struct ncmig_roll *r, unsigned int ki,
		      const char *name, unsigned int domid, uint32_t devid,
		      void *arg)
{
	char st[32];

	(void)arg;
	read_state(r, name, st, sizeof(st));
	ncmig_dev_err(domid, kind_type(ki), devid,
		      "%s: not moved, still on %s (it keeps %s loaded)",
		      st[0] ? st : "state unknown", r->k[ki].old_drv,
		      r->k[ki].old_mod);
	return 0;
}

/* The largest blackout of a run's restored devices. */
static void note_blackouts(struct ncmig_roll *r, const struct ncmig_ho *ho)
{
	unsigned int i, j;

	for (i = 0; i < ho->n; i++) {
		const struct ncmig_nl_reply *rr = ho->doms[i].restore;

		for (j = 0; rr && j < rr->nr_devs; j++)
			if (rr->devs[j].blackout_ns > r->max_blackout_ns)
				r->max_blackout_ns = rr->devs[j].blackout_ns;
	}
}

static int engine(struct ncmig_roll *r, const uint16_t *domids,
		  unsigned int n)
{
	struct ncmig_ho_opts o = r->o.ho;
	struct ncmig_ho ho;
	int err;

	if (r->o.handover)
		return r->o.handover(r, domids, n, r->o.arg);
	o.reload = false;
	o.module_dir = NULL;
	err = ncmig_ho_init(&ho, domids, n, &o, NULL);
	if (err)
		return err;
	err = ncmig_ho_run(&ho);
	note_blackouts(r, &ho);
	ncmig_ho_fini(&ho);
	return err;
}

/* Move the domains @domids (a batch): 0 or the failure. */
static int move_batch(struct ncmig_roll *r, const uint16_t *domids,
		      unsigned int n)
{
	struct dom_count before = { 0 }, after = { 0 };
	unsigned int i, ki;
	int err = 0;

	for (i = 0; i < n; i++)
		for (ki = 0; ki < 2; ki++)
			for_each_old(r, ki, domids[i], count_dev, &before);
	if (before.handover)
		err = engine(r, domids, n);
	for (i = 0; !err && i < n; i++)
		for (ki = 0; ki < 2 && !err; ki++)
			for_each_old(r, ki, domids[i], rebind_dev, &err);
	for (i = 0; i < n; i++)
		for (ki = 0; ki < 2; ki++)
			for_each_old(r, ki, domids[i], count_dev, &after);
	if (before.handover + before.rebind >= after.handover + after.rebind)
		r->nr_moved += before.handover + before.rebind -
			       after.handover - after.rebind;
	if (!err && (after.handover || after.rebind)) {
		ncmig_dom_err(domids[0],
			      "%u device(s) of the batch still on the old driver after their handover",
			      after.handover + after.rebind);
		err = -EIO;
	}
	if (!err)
		r->nr_moved_doms += n;
	if (r->o.step)
		r->o.step(r, domids, n, err, r->o.arg);
	return err;
}

/* Load slot @s of kind @ki beside the running one; 0 or -errno (said). */
static int load_slot(struct ncmig_roll *r, unsigned int ki, int s)
{
	const struct slot_def *def = &slot_defs[ki][s];
	struct ncmig_mod_env env = mod_env(r);
	char *modprobe[] = { "modprobe", (char *)def->mod, NULL };
	struct ncmig_mod m = {
		.kind = ki ? XEN_NCMIG_KIND_VIF : XEN_NCMIG_KIND_VBD,
		.name = def->mod, .file = def->file,
	};
	int err;

	err = ncmig_mod_verify(&env, r->o.module_dir, &m);
	if (err) {
		ncmig_err("roll: the new %s slot is refused: %s",
			  kind_type(ki), m.why);
		return err;
	}
	err = r->o.module_dir ? ncmig_mod_load_checked(&env, &m) :
	      ncmig_mod_run(&env, modprobe);
	ncmig_mod_drop(&m);
	if (err) {
		ncmig_err("roll: loading %s failed: %s", m.path,
			  err < 0 ? ncmig_mod_strerror(err) : "its command failed");
		return err < 0 ? err : -EIO;
	}
	r->k[ki].loaded_new = true;
	return 0;
}

/* Whether a bus device of type @ki exists at all. */
static bool any_device(const struct ncmig_roll *r, unsigned int ki)
{
	struct dirent *de;
	char path[512];
	bool found = false;
	unsigned int d;
	uint32_t v;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/bus/xen-backend/devices", root(r));
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (de = readdir(dir)))
		found = parse_dev(de->d_name, kind_type(ki), &d, &v);
	closedir(dir);
	return found;
}

/* Step 1 for kind @ki: the old and the new slot, loading the new one. */
static int set_slots(struct ncmig_roll *r, unsigned int ki)
{
	char mods[NCMIG_ROLL_SLOTS][NCMIG_ROLL_NAME_MAX];
	struct ncmig_roll_kind *k = &r->k[ki];
	int n, s_old, s_new;

	n = read_tables(r, ki, mods);
	if (n < 0) {
		ncmig_err("roll: cannot read xen-backend-quiesce's backends (%s): is it loaded?",
			  strerror(-n));
		return n;
	}
	if (!n) {
		if (!any_device(r, ki))
			return 0;	/* nothing of this kind to move */
		ncmig_err("roll: no patched %s backend registered its handover operations",
			  kind_type(ki));
		return -ENOPKG;
	}
	s_old = slot_of(ki, mods[n - 1]);
	s_new = n == 2 ? slot_of(ki, mods[0]) : !s_old;
	if (s_old < 0 || s_new < 0 || s_old == s_new) {
		ncmig_err("roll: %s: %s%s%s are not the two slots of the backend (%s, %s)",
			  kind_type(ki), mods[0], n == 2 ? " and " : "",
			  n == 2 ? mods[1] : "", slot_defs[ki][0].mod,
			  slot_defs[ki][1].mod);
		return -EINVAL;
	}
	k->active = true;
	snprintf(k->old_mod, sizeof(k->old_mod), "%s", slot_defs[ki][s_old].mod);
	snprintf(k->new_mod, sizeof(k->new_mod), "%s", slot_defs[ki][s_new].mod);
	snprintf(k->old_drv, sizeof(k->old_drv), "%s", slot_defs[ki][s_old].drv);
	snprintf(k->new_drv, sizeof(k->new_drv), "%s", slot_defs[ki][s_new].drv);
	if (n == 2)
		return 0;	/* a rollout that stopped goes on */
	n = load_slot(r, ki, s_new);
	if (n)
		return n;
	n = read_tables(r, ki, mods);
	if (n != 2 || strcmp(mods[0], k->new_mod)) {
		ncmig_err("roll: %s loaded, but xen-backend-quiesce does not prefer it (refused its operations? see the kernel log)",
			  k->new_mod);
		return -ENOPKG;
	}
	return 0;
}

/* Step 3: unload each old module that serves nothing. */
static void unload_old(struct ncmig_roll *r)
{
	struct ncmig_mod_env env = mod_env(r);
	unsigned int ki;

	r->old_unloaded = true;
	for (ki = 0; ki < 2; ki++) {
		struct ncmig_roll_kind *k = &r->k[ki];
		struct dom_count c = { 0 };
		int err;

		if (!k->active)
			continue;
		for_each_old(r, ki, -1, count_dev, &c);
		k->left = c.handover + c.rebind + c.stuck;
		if (k->left) {
			for_each_old(r, ki, -1, name_stuck, NULL);
			r->old_unloaded = false;
			continue;
		}
		err = ncmig_mod_unload(&env, k->old_mod);
		if (err && ncmig_mod_loaded(&env, k->old_mod)) {
			ncmig_err("roll: unloading %s failed: %s", k->old_mod,
				  err < 0 ? strerror(-err) : "rmmod failed");
			r->old_unloaded = false;
			continue;
		}
		k->old_unloaded = true;
	}
}

int ncmig_roll_run(struct ncmig_roll *r, const struct ncmig_roll_opts *o)
{
	uint16_t domids[NCMIG_HO_DOMS_MAX];
	unsigned int ki, batch, i, pass;
	int n, err = 0;

	memset(r, 0, sizeof(*r));
	if (o)
		r->o = *o;
	r->failed_domid = -1;
	r->t0 = ncmig_now_ns();
	batch = r->o.batch ? r->o.batch : 1;
	if (batch > NCMIG_HO_DOMS_MAX)
		batch = NCMIG_HO_DOMS_MAX;
	for (ki = 0; ki < 2; ki++) {
		r->k[ki].kind = ki ? XEN_NCMIG_KIND_VIF : XEN_NCMIG_KIND_VBD;
		err = set_slots(r, ki);
		if (err)
			return err;
	}
	if (!r->k[0].active && !r->k[1].active)
		return 0;
	n = old_domains(r, domids, NCMIG_HO_DOMS_MAX, false);
	r->nr_doms = n > 0 ? (unsigned int)n : 0;
	/*
	 * A guest created meanwhile binds to the new driver; one created
	 * while the new slot was registering may have bound to the old one
	 * and is found by the next pass. Bounded: each pass moves or stops.
	 */
	for (pass = 0; pass < 3; pass++) {
		n = old_domains(r, domids, NCMIG_HO_DOMS_MAX, true);
		if (n == -E2BIG)
			n = NCMIG_HO_DOMS_MAX;	/* the others, next pass */
		if (n < 0) {
			ncmig_err("roll: cannot list the old drivers' devices: %s",
				  strerror(-n));
			return n;
		}
		if (!n)
			break;
		for (i = 0; i < (unsigned int)n; i += batch) {
			unsigned int m = (unsigned int)n - i < batch ?
					 (unsigned int)n - i : batch;

			r->more = i + m < (unsigned int)n;
			err = move_batch(r, domids + i, m);
			if (err) {
				r->failed_domid = domids[i];
				goto stopped;
			}
		}
	}
	unload_old(r);
	r->t_end = ncmig_now_ns();
	return r->old_unloaded ? 0 : -EBUSY;
stopped:
	for (ki = 0; ki < 2; ki++) {
		struct dom_count c = { 0 };

		for_each_old(r, ki, -1, count_dev, &c);
		r->k[ki].left = c.handover + c.rebind + c.stuck;
	}
	r->t_end = ncmig_now_ns();
	return err;
}
