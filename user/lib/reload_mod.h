/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A module reload's modules (reload_mod.c): is a backend module file one
 * that will load into this kernel, checked before anything is unloaded,
 * and which file the running one came from, so that it can be loaded
 * again if the new one does not load.
 *
 * A module file passes if it can be opened for reading, modinfo parses
 * it, it is the module asked for (its name: field), it was built for the
 * running kernel (the first word of its vermagic: field is uname -r), it
 * depends on xen-backend-quiesce (the core a patched backend registers
 * its handover operations with: a stock backend cannot take a handover)
 * and every module it depends on is loaded (/sys/module/NAME), so that
 * an insmod cannot fail on a missing symbol.  The version of the
 * operations table a backend registers is not in its modinfo: the core
 * refuses another version at registration (ops-version), which is then a
 * load failure like any other.
 *
 * The commands (modinfo here; rmmod, insmod and modprobe in handover.c)
 * run through struct ncmig_mod_env's hooks, which tests replace.  With
 * no hook, the unload and the load of a .ko file are rmmod's and
 * insmod's own system calls (delete_module(2) with O_NONBLOCK,
 * finit_module(2)), made by the tool itself: they run while every
 * backend is stopped, and a fork and exec of kmod costs more than the
 * call (ncmig_mod_unload(), ncmig_mod_load()).  A load by name (no
 * --module-dir: DKMS's modules, update-backends) is the same call when
 * modprobe's own plan, read before QUIESCE, is one insmod of the checked
 * file (ncmig_mod_plan()); a .ko.xz the check decoded is loaded from
 * those bytes, not decoded again in the window.
 */
#ifndef NCMIG_RELOAD_MOD_H
#define NCMIG_RELOAD_MOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NCMIG_MOD_PATH_MAX	4096
#define NCMIG_MOD_WHY_MAX	(NCMIG_MOD_PATH_MAX + 256)

struct ncmig_mod_env {
	/* A command's exit status (NULL: fork and exec it). */
	int (*run)(char *const argv[], void *arg);
	/* Its exit status and its stdout into @out (NUL-terminated). */
	int (*capture)(char *const argv[], char *out, size_t cap, void *arg);
	void *arg;
	const char *sysfs;	/* "/sys" or a test's tree; NULL: /sys */
	const char *release;	/* uname -r; NULL: uname()'s */
};

/* A module file's bytes, mapped or decoded (mod_image.c). */
struct ncmig_mod_image {
	unsigned char *data;
	size_t len;
	bool mapped;
};

#define NCMIG_MOD_OPTS_MAX	1024

/* One backend module of a reload. */
struct ncmig_mod {
	uint32_t kind;		/* XEN_NCMIG_KIND_* */
	const char *name;	/* "xen_blkback", as /sys/module has it */
	const char *file;	/* "xen-blkback.ko" */
	const char *drv;	/* its driver on the bus, "vbd" ("vbd-b": slot b) */
	bool checked;		/* ncmig_mod_verify() passed */
	char path[NCMIG_MOD_PATH_MAX];	/* the new module's file */
	char prev[NCMIG_MOD_PATH_MAX];	/* the running one's, "" unknown */
	bool prev_looked;	/* ncmig_mod_find_prev() ran, found or not */
	char why[NCMIG_MOD_WHY_MAX];	/* why a check failed */
	/*
	 * modprobe's own plan for @name, read before QUIESCE
	 * (ncmig_mod_plan()): load @path with @opts here rather than run
	 * modprobe while every backend is stopped.
	 */
	bool direct;
	char opts[NCMIG_MOD_OPTS_MAX];
	/* The checked file decoded (.ko.xz), so the load decodes nothing. */
	struct ncmig_mod_image img;
};

/* Run @argv with @env's hook (or fork and exec it): its exit status. */
int ncmig_mod_run(const struct ncmig_mod_env *env, char *const argv[]);

/*
 * rmmod @name: delete_module(2) (O_NONBLOCK: a module in use is not
 * waited for), or @env's run hook with "rmmod NAME".  0; a negative
 * errno of the call (-EWOULDBLOCK: in use; -ENOENT: not loaded); or the
 * hook's (or command's) exit status, > 0.
 */
int ncmig_mod_unload(const struct ncmig_mod_env *env, const char *name);

/*
 * insmod @path: finit_module(2) of a .ko file, init_module(2) of a
 * .ko.xz decoded here (another compression, or a kernel without the
 * call, runs insmod), or @env's run hook with "insmod PATH".  0, a
 * negative errno of the call, or an exit status > 0.
 */
int ncmig_mod_load(const struct ncmig_mod_env *env, const char *path);

/*
 * Load the module ncmig_mod_verify() checked: @m->path, from the bytes
 * the check decoded if it kept them, with @m->opts if ncmig_mod_plan()
 * found modprobe's; as ncmig_mod_load().  The kept bytes are dropped.
 */
int ncmig_mod_load_checked(const struct ncmig_mod_env *env,
			   struct ncmig_mod *m);

/* Free what the check kept of @m's file (ncmig_mod_verify()). */
void ncmig_mod_drop(struct ncmig_mod *m);

/*
 * Before QUIESCE, for a load without --module-dir: what modprobe would
 * do for @m->name (modprobe --show-depends).  If that is one insmod of
 * the checked @m->path (every other module it lists loaded already, no
 * install command), its options go to @m->opts and @m->direct is set:
 * the reload loads the file itself, not a modprobe's fork and exec with
 * every backend stopped.  0, or -errno with @m->direct false (modprobe
 * is then run in the window, as before).
 */
int ncmig_mod_plan(const struct ncmig_mod_env *env, struct ncmig_mod *m);

/* What insmod says for a load's negative errno ("Invalid module format"). */
const char *ncmig_mod_strerror(int err);

/* @p starts with xz's magic. */
bool ncmig_mod_is_xz(const void *p, size_t len);

/*
 * One whole xz stream @in into a malloc'd @out: 0; -1 if it is not one
 * (corrupt, cut, followed by other bytes, or past 64 MiB), -ENOMEM.
 */
int ncmig_xz_decode(const void *in, size_t len, unsigned char **out,
		    size_t *out_len);

/*
 * @path's module image into @im: the file mapped, or decoded if it is xz;
 * 0, or -errno (-ENOEXEC: empty, too big, not a regular file, bad xz).
 * ncmig_mod_image_free() releases it.
 */
int ncmig_mod_image_read(const char *path, struct ncmig_mod_image *im);
void ncmig_mod_image_free(struct ncmig_mod_image *im);

/*
 * modinfo's lines for a .ko or .ko.xz @path ("filename: PATH", then one
 * "key: value" per string of its .modinfo section), read without running
 * modinfo; -1 (and "") if it is not read as a 64-bit ELF relocatable
 * with a .modinfo section: modinfo is then run, and says why.
 */
int ncmig_mod_elf_info(const char *path, char *out, size_t cap);

/*
 * The file modprobe loads for the module @name, from depmod's
 * @dir/modules.dep (@dir: /lib/modules/RELEASE), into @path: 0 if that
 * is a .ko or .ko.xz; -1 if there is none (modinfo is then asked:
 * aliases, other compressions, no modules.dep).
 */
int ncmig_mod_dep_file(const char *dir, const char *name, char *path,
		       size_t cap);

/* /sys/module/@name exists (@name with '-' or '_'). */
bool ncmig_mod_loaded(const struct ncmig_mod_env *env, const char *name);

/*
 * Check the module @m would be loaded from: @dir/@m->file, or without
 * @dir the file modprobe resolves for @m->name (modinfo's filename:).
 * Sets @m->path (what to insmod) and @m->checked; on failure @m->why is
 * "FILE: reason" and a negative errno is returned (-ENOENT, -EACCES,
 * -ENOEXEC: not a module, or not this one; -EINVAL: another kernel;
 * -ENOPKG: a dependency is not loaded, or not a patched backend).
 */
int ncmig_mod_verify(const struct ncmig_mod_env *env, const char *dir,
		     struct ncmig_mod *m);

/*
 * Before the rmmod: the file modprobe resolves for @m->name, if it passes
 * the same checks, into @m->prev (else "" and @m->why says why): what to
 * load again if the new module does not load.
 */
int ncmig_mod_find_prev(const struct ncmig_mod_env *env, struct ncmig_mod *m);

#endif
