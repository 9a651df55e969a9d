// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A module reload's modules: checked before anything is unloaded, and
 * the running one's file found, to load it again (reload_mod.h).
 */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ncmig.h"
#include "reload_idle.h"
#include "reload_mod.h"

/* Enough for any backend's modinfo (xen-netback's is about 3 KiB). */
#define MODINFO_MAX	32768

/* Unit and fuzz builds run no command but a test's hooks. */
static bool no_commands(void)
{
#ifdef NCMIGD_NO_KERNEL
	return true;
#else
	return false;
#endif
}

/* @path ends with @suffix. */
static bool ends_with(const char *path, const char *suffix)
{
	size_t l = strlen(path), n = strlen(suffix);

	return l > n && !strcmp(path + l - n, suffix);
}

/* A file finit_module() takes as it is (kmod decompresses the others). */
static bool plain_ko(const char *path)
{
	return ends_with(path, ".ko");
}

/* A file read here: plain, or xz as Debian's and DKMS's modules are. */
static bool readable_ko(const char *path)
{
	return plain_ko(path) || ends_with(path, ".ko.xz");
}

/* The child gets the signals the reload blocks in its parent. */
static void child_exec(char *const argv[])
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], argv);
	_exit(127);
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int ncmig_mod_run(const struct ncmig_mod_env *env, char *const argv[])
{
	pid_t pid;

	if (env->run)
		return env->run(argv, env->arg);
	if (no_commands())
		return 127;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		child_exec(argv);
	return wait_child(pid);
}

static int capture(const struct ncmig_mod_env *env, char *const argv[],
		   char *out, size_t cap)
{
	size_t len = 0;
	int fd[2], rc;
	pid_t pid;
	ssize_t n;

	out[0] = 0;
	if (env->capture)
		return env->capture(argv, out, cap, env->arg);
	if (no_commands())
		return 127;
	if (pipe2(fd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(fd[0]);
		close(fd[1]);
		return rc;
	}
	if (!pid) {
		dup2(fd[1], STDOUT_FILENO);	/* dup2 clears O_CLOEXEC */
		child_exec(argv);
	}
	close(fd[1]);
	for (;;) {
		n = read(fd[0], out + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == cap - 1) {	/* the rest is drained and dropped */
			char sink[512];

			while (read(fd[0], sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	out[len] = 0;
	close(fd[0]);
	return wait_child(pid);
}

bool ncmig_mod_loaded(const struct ncmig_mod_env *env, const char *name)
{
	char path[512], *p;
	int n;

	n = snprintf(path, sizeof(path), "%s/module/", ncmig_reload_sysfs(env->sysfs));
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	snprintf(path + n, sizeof(path) - (size_t)n, "%s", name);
	for (p = path + n; *p; p++)
		if (*p == '-')
			*p = '_';
	return !access(path, F_OK);
}

/* The value of modinfo's FIELD: line into @val (the first such line). */
static bool field(const char *info, const char *key, char *val, size_t cap)
{
	size_t kl = strlen(key);
	const char *l, *v, *end;
	size_t len;

	for (l = info; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, kl) || l[kl] != ':')
			continue;
		v = l + kl + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		end = strchr(v, '\n');
		len = end ? (size_t)(end - v) : strlen(v);
		while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		if (len >= cap)
			len = cap - 1;
		memcpy(val, v, len);
		val[len] = 0;
		return true;
	}
	return false;
}

static const char *release(const struct ncmig_mod_env *env, struct utsname *u)
{
	if (env->release)
		return env->release;
	return uname(u) ? "?" : u->release;
}

/* "a-b" and "a_b" name the same module. */
static bool same_module(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !((*a == '-' || *a == '_') &&
				  (*b == '-' || *b == '_')))
			return false;
	return *a == *b;
}

/*
 * Check modinfo's @info of file @file for @m; 0, or -errno with @why set.
 */
static int check_info(const struct ncmig_mod_env *env,
		      const struct ncmig_mod *m, const char *file,
		      const char *info, char *why, size_t cap)
{
	char val[1024], *dep, *save = NULL;
	bool core = false;
	struct utsname u;
	const char *rel = release(env, &u);
	size_t rl = strlen(rel);

	if (!field(info, "vermagic", val, sizeof(val))) {
		snprintf(why, cap, "%s: modinfo finds no vermagic: not a kernel module", file);
		return -ENOEXEC;
	}
	if (strncmp(val, rel, rl) || (val[rl] && val[rl] != ' ')) {
		snprintf(why, cap, "%s: built for another kernel (vermagic %.*s), this one is %s",
			 file, (int)strcspn(val, " "), val, rel);
		return -EINVAL;
	}
	if (field(info, "name", val, sizeof(val)) && !same_module(val, m->name)) {
		snprintf(why, cap, "%s: is module %s, not %s", file, val, m->name);
		return -ENOEXEC;
	}
	if (!field(info, "depends", val, sizeof(val)))
		val[0] = 0;
	for (dep = strtok_r(val, ",", &save); dep; dep = strtok_r(NULL, ",", &save)) {
		if (same_module(dep, "xen_backend_quiesce"))
			core = true;
		if (!ncmig_mod_loaded(env, dep)) {
			snprintf(why, cap, "%s: needs module %s, which is not loaded", file, dep);
			return -ENOPKG;
		}
	}
	if (!core) {
		snprintf(why, cap, "%s: does not depend on xen-backend-quiesce: not a patched backend, it cannot take a handover",
			 file);
		return -ENOPKG;
	}
	return 0;
}

/* ---- modinfo without modinfo ---------------------------------------------- */

/*
 * A .modinfo key as MODULE_INFO() makes one: a C identifier's characters.
 * Anything else (a ':' above all) would make a "key: value" line that
 * reads as another key; such an entry is left out, as a stray string.
 */
static bool key_ok(const char *k, size_t n)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '_')
			return false;
	return true;
}

/*
 * modinfo's output for a .ko or .ko.xz file, made here from its .modinfo
 * section ("key=value" strings): "key: value" lines into @out, after
 * "filename: @path".  A fork and exec of kmod costs far more (it maps its
 * libraries); anything this does not read as a 64-bit ELF relocatable
 * with a .modinfo section returns -1 and modinfo itself is asked, so
 * that what is refused is refused as before, in modinfo's words.
 */
static int elf_info(const struct ncmig_mod_image *im, const char *path,
		    char *out, size_t cap)
{
	const unsigned char *map = im->data;
	const Elf64_Shdr *sh, *strs;
	const Elf64_Ehdr *eh;
	size_t size = im->len, len = 0, i;
	int rc = -1;

	if (cap < 2)
		return -1;
	out[0] = 0;
	if (size < sizeof(*eh))
		goto out;
	eh = (const Elf64_Ehdr *)map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_type != ET_REL ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || !eh->e_shnum ||
	    eh->e_shstrndx >= eh->e_shnum || eh->e_shoff > size ||
	    (size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum ||
	    eh->e_shoff % 8)
		goto out;
	sh = (const Elf64_Shdr *)(map + eh->e_shoff);
	strs = &sh[eh->e_shstrndx];
	if (strs->sh_offset > size || strs->sh_size > size - strs->sh_offset)
		goto out;
	len = (size_t)snprintf(out, cap, "filename: %s\n", path);
	if (len >= cap)
		goto out;
	for (i = 0; i < eh->e_shnum; i++) {
		const char *name = (const char *)map + strs->sh_offset +
				   sh[i].sh_name;
		const char *p, *end;

		if (sh[i].sh_name >= strs->sh_size ||
		    !memchr(name, 0, strs->sh_size - sh[i].sh_name) ||
		    strcmp(name, ".modinfo"))
			continue;
		if (sh[i].sh_type == SHT_NOBITS || sh[i].sh_offset > size ||
		    sh[i].sh_size > size - sh[i].sh_offset)
			goto out;
		p = (const char *)map + sh[i].sh_offset;
		end = p + sh[i].sh_size;
		while (p < end) {
			const char *z = memchr(p, 0, (size_t)(end - p));
			size_t n = z ? (size_t)(z - p) : (size_t)(end - p);
			const char *eq = memchr(p, '=', n);
			int w;

			if (eq && key_ok(p, (size_t)(eq - p)) &&
			    !memchr(p, '\n', n)) {
				w = snprintf(out + len, cap - len, "%.*s: %.*s\n",
					     (int)(eq - p), p,
					     (int)(n - (size_t)(eq - p) - 1),
					     eq + 1);
				if (w < 0 || (size_t)w >= cap - len)
					goto out;
				len += (size_t)w;
			}
			p += n + 1;
		}
		rc = 0;
		break;
	}
out:
	if (rc)
		out[0] = 0;
	return rc;
}

int ncmig_mod_elf_info(const char *path, char *out, size_t cap)
{
	struct ncmig_mod_image im;
	int rc;

	if (cap)
		out[0] = 0;
	if (ncmig_mod_image_read(path, &im))
		return -1;
	rc = elf_info(&im, path, out, cap);
	ncmig_mod_image_free(&im);
	return rc;
}

/*
 * The module a module file's path names ("a/xen-blkback.ko.xz":
 * xen-blkback) into @name; its suffix from the first dot (".ko.xz"), or
 * NULL if it has none or the name does not fit.
 */
static const char *file_module(const char *path, char *name, size_t cap)
{
	const char *base = strrchr(path, '/'), *dot;

	base = base ? base + 1 : path;
	dot = strchr(base, '.');
	if (!dot || (size_t)(dot - base) >= cap)
		return NULL;
	memcpy(name, base, (size_t)(dot - base));
	name[dot - base] = 0;
	return dot;
}

int ncmig_mod_dep_file(const char *dir, const char *name, char *path,
		       size_t cap)
{
	char *line = NULL;
	size_t lcap = 0;
	int rc = -1;
	FILE *f;

	snprintf(path, cap, "%s/modules.dep", dir);
	f = fopen(path, "re");
	path[0] = 0;
	if (!f)
		return -1;
	while (getline(&line, &lcap, f) > 0) {
		char *colon = strchr(line, ':');
		const char *dot;
		char mod[256];

		if (!colon)
			continue;
		*colon = 0;
		dot = file_module(line, mod, sizeof(mod));
		if (!dot || !same_module(mod, name))
			continue;
		if ((!strcmp(dot, ".ko") || !strcmp(dot, ".ko.xz")) &&
		    (size_t)snprintf(path, cap, "%s%s%s",
				     line[0] == '/' ? "" : dir,
				     line[0] == '/' ? "" : "/", line) < cap)
			rc = 0;
		break;	/* depmod lists a module once: modprobe's file */
	}
	free(line);
	fclose(f);
	if (rc)
		path[0] = 0;
	return rc;
}

/*
 * modinfo @what's output into @out, read here if it can be (above); with
 * @keep, a decoded (.ko.xz) image is left there for the load.
 */
static int modinfo_here(const struct ncmig_mod_env *env, const char *what,
			char *out, size_t cap, struct ncmig_mod_image *keep)
{
	char file[NCMIG_MOD_PATH_MAX], dir[512];
	struct ncmig_mod_image im;
	struct utsname u;
	int rc;

	if (env->capture || no_commands())
		return -1;
	if (strchr(what, '/')) {
		if (!readable_ko(what))
			return -1;
		snprintf(file, sizeof(file), "%s", what);
	} else {
		snprintf(dir, sizeof(dir), "/lib/modules/%s", release(env, &u));
		if (ncmig_mod_dep_file(dir, what, file, sizeof(file)))
			return -1;
	}
	if (ncmig_mod_image_read(file, &im))
		return -1;
	rc = elf_info(&im, file, out, cap);
	if (!rc && keep && !im.mapped)
		*keep = im;
	else
		ncmig_mod_image_free(&im);
	return rc;
}

/*
 * Check the module file modinfo resolves @what to (a path, or a name for
 * modprobe's file); its path into @path.
 */
static int check_file(const struct ncmig_mod_env *env,
		      const struct ncmig_mod *m, const char *what, char *path,
		      char *why, size_t cap, struct ncmig_mod_image *keep)
{
	char *argv[] = { "modinfo", (char *)what, NULL };
	char *info;
	int fd, rc;

	path[0] = 0;
	if (strchr(what, '/')) {
		fd = open(what, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			snprintf(why, cap, "%s: %s", what, strerror(-rc));
			return rc;
		}
		close(fd);
	}
	info = malloc(MODINFO_MAX);
	if (!info) {
		snprintf(why, cap, "%s: %s", what, strerror(ENOMEM));
		return -ENOMEM;
	}
	rc = modinfo_here(env, what, info, MODINFO_MAX, keep);
	if (rc)
		rc = capture(env, argv, info, MODINFO_MAX);
	if (rc) {
		if (strchr(what, '/'))
			snprintf(why, cap, "%s: modinfo cannot read it (exit %d): not a kernel module", what, rc);
		else
			snprintf(why, cap, "%s: modprobe finds no such module (modinfo exit %d)", what, rc);
		free(info);
		return strchr(what, '/') ? -ENOEXEC : -ENOENT;
	}
	if (strchr(what, '/')) {
		snprintf(path, NCMIG_MOD_PATH_MAX, "%s", what);
	} else if (!field(info, "filename", path, NCMIG_MOD_PATH_MAX) ||
		   path[0] != '/') {
		snprintf(why, cap, "%s: modprobe finds no module file for it (%s)",
			 what, path[0] ? path : "no filename");
		free(info);
		return -ENOENT;
	} else {
		/* modprobe's file: readable too? */
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			snprintf(why, cap, "%s: %s", path, strerror(-rc));
			free(info);
			return rc;
		}
		close(fd);
	}
	rc = check_info(env, m, path, info, why, cap);
	free(info);
	return rc;
}

int ncmig_mod_verify(const struct ncmig_mod_env *env, const char *dir,
		     struct ncmig_mod *m)
{
	char file[NCMIG_MOD_PATH_MAX];
	int rc;

	ncmig_mod_drop(m);
	m->checked = false;
	m->why[0] = 0;
	if (dir)
		snprintf(file, sizeof(file), "%s/%s", dir, m->file);
	rc = check_file(env, m, dir ? file : m->name, m->path, m->why,
			sizeof(m->why), &m->img);
	if (rc) {
		m->path[0] = 0;
		ncmig_mod_drop(m);
	} else {
		m->checked = true;
	}
	return rc;
}

int ncmig_mod_find_prev(const struct ncmig_mod_env *env, struct ncmig_mod *m)
{
	int rc;

	m->prev_looked = true;
	m->why[0] = 0;
	rc = check_file(env, m, m->name, m->prev, m->why, sizeof(m->why),
			NULL);
	if (rc)
		m->prev[0] = 0;
	return rc;
}

/* ---- unload and load: the syscalls rmmod and insmod make -------------- */

/*
 * rmmod's and insmod's own calls, without their processes: a fork and
 * exec of kmod costs more than the call itself (it maps its libraries,
 * reads its configuration), and it ran with every backend stopped.
 */
static int sys_delete_module(const char *name)
{
	/* O_NONBLOCK, as rmmod: fail at once if the module is in use. */
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static int sys_finit_module(const char *path, const char *opts)
{
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = syscall(SYS_finit_module, fd, opts, 0) ? -errno : 0;
	close(fd);
	return rc;
}

/*
 * A compressed module as insmod loads it: decoded here (unless the check
 * kept it decoded: @im, NULL or empty if not), then init_module(2) (finit_module's
 * MODULE_INIT_COMPRESSED_FILE is 6.4's).
 */
static int sys_init_module(const char *path, const struct ncmig_mod_image *im,
			   const char *opts)
{
	struct ncmig_mod_image own;
	int rc;

	if (!im || !im->data) {
		rc = ncmig_mod_image_read(path, &own);
		if (rc)
			return rc;
		im = &own;
	}
	rc = syscall(SYS_init_module, im->data, im->len, opts) ? -errno : 0;
	if (im == &own)
		ncmig_mod_image_free(&own);
	return rc;
}

int ncmig_mod_unload(const struct ncmig_mod_env *env, const char *name)
{
	char *argv[] = { "rmmod", (char *)name, NULL };

	if (env->run || no_commands())
		return ncmig_mod_run(env, argv);
	return sys_delete_module(name);
}

/* insmod @path @opts; @im: its decoded bytes, if the check kept them. */
static int load(const struct ncmig_mod_env *env, const char *path,
		const struct ncmig_mod_image *im, const char *opts)
{
	char *argv[] = { "insmod", (char *)path, *opts ? (char *)opts : NULL,
			 NULL };
	int err;

	if (env->run || no_commands() || !readable_ko(path))
		return ncmig_mod_run(env, argv);
	err = plain_ko(path) ? sys_finit_module(path, opts) :
	      sys_init_module(path, im, opts);
	if (err == -ENOSYS)	/* a kernel without it: insmod's init_module */
		return ncmig_mod_run(env, argv);
	return err;
}

int ncmig_mod_load(const struct ncmig_mod_env *env, const char *path)
{
	return load(env, path, NULL, "");
}

int ncmig_mod_load_checked(const struct ncmig_mod_env *env,
			   struct ncmig_mod *m)
{
	int err = load(env, m->path, &m->img, m->direct ? m->opts : "");

	ncmig_mod_drop(m);
	return err;
}

void ncmig_mod_drop(struct ncmig_mod *m)
{
	if (m->img.data)
		ncmig_mod_image_free(&m->img);
}

int ncmig_mod_plan(const struct ncmig_mod_env *env, struct ncmig_mod *m)
{
	char *argv[] = { "modprobe", "--show-depends", (char *)m->name, NULL };
	size_t pl = strlen(m->path);
	char *out, *l, *save = NULL;
	int rc;

	m->direct = false;
	m->opts[0] = 0;
	if (!m->checked || !pl)
		return -EINVAL;
	out = malloc(MODINFO_MAX);
	if (!out)
		return -ENOMEM;
	if (capture(env, argv, out, MODINFO_MAX)) {
		free(out);
		return -ENOENT;
	}
	rc = -ENOENT;	/* until a line names @m->path */
	for (l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char mod[256];
		const char *p;

		if (!strncmp(l, "install ", 8) || !strncmp(l, "builtin ", 8)) {
			rc = -ENOEXEC;	/* modprobe's own work, not a load */
			break;
		}
		if (strncmp(l, "insmod ", 7))
			continue;
		p = l + 7;
		if (strncmp(p, m->path, pl) || (p[pl] && p[pl] != ' ')) {
			/* Another module: modprobe would load it first. */
			if (!file_module(p, mod, sizeof(mod)) ||
			    !ncmig_mod_loaded(env, mod)) {
				rc = -ENOPKG;
				break;
			}
			continue;
		}
		for (p += pl; *p == ' '; p++)
			;
		if (strlen(p) >= sizeof(m->opts)) {
			rc = -E2BIG;
			break;
		}
		snprintf(m->opts, sizeof(m->opts), "%s", p);
		rc = 0;
	}
	free(out);
	if (rc)
		m->opts[0] = 0;
	m->direct = !rc;
	return rc;
}

const char *ncmig_mod_strerror(int err)
{
	/* What insmod and rmmod say for the errors they name. */
	switch (err) {
	case -ENOEXEC:
		return "Invalid module format";
	case -ENOENT:
		return "Unknown symbol in module, or no such module";
	case -ESRCH:
		return "Unknown symbol in module";
	case -EEXIST:
		return "Module already loaded";
	case -EBUSY:
		return "Module is being loaded or unloaded";
	default:
		return strerror(-err);
	}
}
