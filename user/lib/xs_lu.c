// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A domain's watches through C xenstored's live update (no patched
 * xenstored): one live update into the SAME binary, through a wrapper
 * that keeps a copy of the state file (and, to add or drop a domain's
 * watches, rewrites it) before it execs the real xenstored.
 *
 * Xen 4.20's xenstored (tools/xenstored/lu.c, lu_daemon.c): on
 * "live-update -f BIN" then "-s -t T" it waits (up to T s) for no
 * transaction to be open, writes <rundir>/state_dump (every connection,
 * its watches, every node), unbinds VIRQ_DOM_EXC and execvp()s BIN with
 * its own argv plus -U.  The new process reads state_dump, unlinks it,
 * and answers "OK" on the requester's connection (which, like every
 * other, survives the exec).  While that runs no domain is served.
 *
 * The wrapper (a shell script in a private 0700 directory under /run)
 * runs "ncmigd __lu-window DIR STATE" (bounded by alarm(); it never
 * talks to xenstored, which is not there), then "exec REAL "$@"".  The
 * window helper copies STATE to DIR/state and, if DIR/edit exists,
 * writes the edited state next to STATE and rename()s it over STATE,
 * only once the edit parsed back whole: on any failure STATE is left as
 * xenstored wrote it.  See doc/cross-host.md, section 12, for why this
 * is for a lab and not for a production host.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "ncmig.h"
#include "xs_lu.h"
#include "xs_lustate.h"

static struct ncmig_lu_result last;

const struct ncmig_lu_result *ncmig_lu_last(void)
{
	return last.runs ? &last : NULL;
}

static int read_all(const char *path, unsigned char **buf, size_t *len,
		    size_t max)
{
	struct stat st;
	size_t got = 0;
	unsigned char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size < 0 || (size_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n <= 0) {
			free(b);
			close(fd);
			return n ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	close(fd);
	b[got] = 0;
	*buf = b;
	*len = got;
	return 0;
}

static int write_new(const char *path, const void *buf, size_t len, mode_t m)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, m);
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, (const char *)buf + off, len - off);

		if (n <= 0) {
			close(fd);
			unlink(path);
			return n ? -errno : -EIO;
		}
		off += (size_t)n;
	}
	if (close(fd)) {
		unlink(path);
		return -errno;
	}
	return 0;
}

/* ---- in the window: xenstored is gone, its successor not yet there ---- */

int ncmig_lu_window(const char *dir, const char *state)
{
	char copy[PATH_MAX], editf[PATH_MAX], tmp[PATH_MAX];
	unsigned char *buf = NULL, *out = NULL;
	char *edit = NULL;
	size_t len, elen, olen;
	struct ncmig_xs_watch_pair *w = NULL;
	unsigned int nr = 0, added, dropped;
	enum ncmig_lu_edit_mode mode;
	const char *why = "";
	uint16_t domid;
	int rc;

	/* Whatever happens here, the wrapper execs xenstored after it. */
	alarm(5);
	if (snprintf(copy, sizeof(copy), "%s/state", dir) >= (int)sizeof(copy) ||
	    snprintf(editf, sizeof(editf), "%s/edit", dir) >= (int)sizeof(editf) ||
	    snprintf(tmp, sizeof(tmp), "%s.ncmig", state) >= (int)sizeof(tmp))
		return 2;
	rc = read_all(state, &buf, &len, NCMIG_LU_STATE_MAX);
	if (rc) {
		printf("window: cannot read %s: %s\n", state, strerror(-rc));
		return 1;
	}
	rc = write_new(copy, buf, len, 0600);
	printf("window: state %zu octets, copy %s\n", len, rc ? strerror(-rc) : "kept");
	rc = read_all(editf, (unsigned char **)&edit, &elen, 64U << 20);
	if (rc == -ENOENT) {
		free(buf);
		return 0;
	}
	if (!rc)
		rc = ncmig_lu_edit_parse(edit, elen, &domid, &mode, &w, &nr, &why);
	if (!rc)
		rc = ncmig_lu_state_edit(buf, len, domid, mode, w, nr, &out, &olen,
					 &added, &dropped, &why);
	if (!rc) {
		unlink(tmp);
		rc = write_new(tmp, out, olen, 0600);
		why = "writing the edited state";
	}
	if (!rc && rename(tmp, state)) {
		rc = -errno;
		unlink(tmp);
		why = "renaming the edited state";
	}
	if (rc)
		printf("window: edit NOT applied (%s: %s); xenstored reads its own state\n",
		       why, strerror(-rc));
	else
		printf("window: edit applied: d%u added=%u dropped=%u octets=%zu\n",
		       domid, added, dropped, olen);
	ncmig_xs_free_watches(w, nr);
	free(out);
	free(edit);
	free(buf);
	return rc ? 1 : 0;
}

/* ---- the requester ---- */

static int read_line(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	int rc = -ENOENT;

	if (!f)
		return -errno;
	if (fgets(buf, (int)cap, f)) {
		buf[strcspn(buf, "\n")] = 0;
		rc = 0;
	}
	fclose(f);
	return rc;
}

/* The dom0 xenstored: pid, real binary, run directory. */
static int find_xenstored(pid_t *pid, char *exe, size_t exe_cap, char *rundir,
			  size_t rd_cap)
{
	static const char *const pidfiles[] = {
		"/run/xenstored.pid", "/var/run/xenstored.pid",
	};
	char path[64], buf[64];
	unsigned char *env = NULL;
	size_t elen, i;
	ssize_t n;
	long p = 0;

	for (i = 0; i < sizeof(pidfiles) / sizeof(pidfiles[0]); i++) {
		if (read_line(pidfiles[i], buf, sizeof(buf)))
			continue;
		p = strtol(buf, NULL, 10);
		snprintf(path, sizeof(path), "/proc/%ld/comm", p);
		if (p > 1 && !read_line(path, buf, sizeof(buf)) &&
		    !strcmp(buf, "xenstored"))
			break;
		p = 0;
	}
	if (!p) {	/* no pid file: the one process called xenstored */
		DIR *d = opendir("/proc");
		struct dirent *e;
		int found = 0;

		while (d && (e = readdir(d))) {
			long q = strtol(e->d_name, NULL, 10);

			if (q <= 1)
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/comm", q);
			if (!read_line(path, buf, sizeof(buf)) &&
			    !strcmp(buf, "xenstored")) {
				p = q;
				found++;
			}
		}
		if (d)
			closedir(d);
		if (found != 1)
			return -ESRCH;
	}
	snprintf(path, sizeof(path), "/proc/%ld/exe", p);
	n = readlink(path, exe, exe_cap - 1);
	if (n <= 0)
		return -errno;
	exe[n] = 0;
	if (strstr(exe, " (deleted)") || strchr(exe, '\''))
		return -ESTALE;
	snprintf(rundir, rd_cap, "/var/run/xenstored");
	snprintf(path, sizeof(path), "/proc/%ld/environ", p);
	if (!read_all(path, &env, &elen, 1U << 20)) {
		size_t off = 0;

		while (off < elen) {
			const char *e = (const char *)env + off;

			if (!strncmp(e, "XENSTORED_RUNDIR=", 17))
				snprintf(rundir, rd_cap, "%s", e + 17);
			off += strlen(e) + 1;
		}
		free(env);
	}
	if (strchr(rundir, '\''))
		return -EINVAL;
	*pid = (pid_t)p;
	return 0;
}

/*
 * A private directory for the wrapper, on a file system that allows
 * exec (a host may mount /run noexec; xenstored's execvp() of a script
 * there would fail, and that failure leaves xenstored without its
 * VIRQ_DOM_EXC binding: domain_deinit() ran first).
 */
static int make_dir(char *dir, size_t cap)
{
	static const char *const bases[] = { "/run", "/var/lib/ncmig", "/tmp" };
	struct statvfs v;
	size_t i;

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (statvfs(bases[i], &v) || (v.f_flag & ST_NOEXEC))
			continue;
		snprintf(dir, cap, "%s/ncmig-lu.XXXXXX", bases[i]);
		if (mkdtemp(dir))
			return 0;
	}
	return -ENOEXEC;
}

static double now_ms(void)
{
	return ncmig_now_ns() / 1e6;
}

static void cleanup_dir(const char *dir)
{
	static const char *const f[] = { "xenstored", "edit", "state", "log" };
	char p[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, f[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* NCMIG_LU_KEEP=DIR (diagnostics): a copy of each state file goes there. */
static void keep_copy(const char *dir, const unsigned char *buf, size_t len,
		      const char *what)
{
	const char *keep = getenv("NCMIG_LU_KEEP");
	char p[PATH_MAX];

	(void)dir;
	if (!keep || !*keep)
		return;
	snprintf(p, sizeof(p), "%s/lu-%ld-%u-%s", keep, (long)getpid(),
		 last.runs, what);
	unlink(p);
	if (write_new(p, buf, len, 0600))
		fprintf(stderr, "ncmigd: NCMIG_LU_KEEP: cannot write %s\n", p);
}

int ncmig_lu_run(struct ncmig_xs *x, uint16_t domid, int mode,
		 const struct ncmig_xs_watch_pair *w, unsigned int nr,
		 unsigned int timeout_s, struct ncmig_xs_watch_pair **got,
		 unsigned int *nr_got)
{
	char dir[64], exe[PATH_MAX], rundir[PATH_MAX];
	char self[PATH_MAX], wrapper[PATH_MAX + 16], path[PATH_MAX + 16];
	char *script = NULL, *edit = NULL, *reply = NULL, args[PATH_MAX + 32];
	unsigned char *state = NULL;
	size_t slen = 0, elen, alen;
	const char *why = "";
	pid_t pid;
	ssize_t n;
	double t0;
	int rc, len;

	if (got) {
		*got = NULL;
		*nr_got = 0;
	}
	memset(&last.sum, 0, sizeof(last.sum));
	last.runs++;
	last.ok = false;
	last.ms = 0;
	last.added = last.dropped = 0;
	last.log[0] = last.detail[0] = 0;
	rc = find_xenstored(&pid, exe, sizeof(exe), rundir, sizeof(rundir));
	if (rc) {
		snprintf(last.detail, sizeof(last.detail),
			 "no dom0 C xenstored found (pid file, /proc): %s",
			 strerror(-rc));
		return -EOPNOTSUPP;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || strchr(self, '\''))
		return -EINVAL;
	self[n] = 0;
	rc = make_dir(dir, sizeof(dir));
	if (rc) {
		snprintf(last.detail, sizeof(last.detail),
			 "no directory that allows exec for the wrapper");
		return rc;
	}
	snprintf(wrapper, sizeof(wrapper), "%s/xenstored", dir);
	len = asprintf(&script,
		       "#!/bin/sh\n"
		       "# ncmig: a live update of xenstored into the same binary\n"
		       "# (%s): keep a copy of its state, then run it.\n"
		       "'%s' __lu-window '%s' '%s/state_dump' </dev/null >'%s/log' 2>&1\n"
		       "exec '%s' \"$@\"\n",
		       exe, self, dir, rundir, dir, exe);
	if (len < 0) {
		rc = -ENOMEM;
		goto out;
	}
	rc = write_new(wrapper, script, (size_t)len, 0700);
	if (!rc && mode) {
		rc = ncmig_lu_edit_format(domid, mode, w, nr, &edit, &elen);
		snprintf(path, sizeof(path), "%s/edit", dir);
		if (!rc)
			rc = write_new(path, edit, elen, 0600);
	}
	if (rc)
		goto out;
	/* "-f" names the binary: xenstored checks only that it is executable. */
	alen = (size_t)snprintf(args, sizeof(args), "-f%c%s", 0, wrapper) + 1;
	rc = ncmig_xs_control(x, "live-update", args, (unsigned int)alen, &reply);
	if (!rc && strcmp(reply, "OK")) {
		snprintf(last.detail, sizeof(last.detail),
			 "xenstored refused live-update -f: %.300s", reply);
		rc = -EOPNOTSUPP;
	}
	free(reply);
	reply = NULL;
	if (rc)
		goto out;
	alen = (size_t)snprintf(args, sizeof(args), "-s%c-t%c%u", 0, 0,
				timeout_s) + 1;
	t0 = now_ms();
	rc = ncmig_xs_control(x, "live-update", args, (unsigned int)alen, &reply);
	last.ms = now_ms() - t0;
	if (!rc && strcmp(reply, "OK")) {
		snprintf(last.detail, sizeof(last.detail),
			 "the live update did not happen: %.300s", reply);
		rc = -EBUSY;
		free(reply);
		reply = NULL;
		/* No exec happened: end the session (as xenstore-control does). */
		if (!ncmig_xs_control(x, "live-update", "-a", 3, &reply))
			free(reply);
		reply = NULL;
		goto out;
	}
	if (rc) {
		snprintf(last.detail, sizeof(last.detail),
			 "no answer to live-update -s: %s", strerror(-rc));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/log", dir);
	{
		unsigned char *lg;
		size_t ll;

		if (!read_all(path, &lg, &ll, 1U << 16)) {
			snprintf(last.log, sizeof(last.log), "%s", (char *)lg);
			free(lg);
		}
	}
	snprintf(path, sizeof(path), "%s/state", dir);
	rc = read_all(path, &state, &slen, NCMIG_LU_STATE_MAX);
	if (rc) {
		snprintf(last.detail, sizeof(last.detail),
			 "the live update ran but left no copy of its state: %s",
			 strerror(-rc));
		goto out;
	}
	keep_copy(dir, state, slen, mode == NCMIG_LU_EDIT_ADD ? "add" :
		  mode == NCMIG_LU_EDIT_DROP ? "drop" : "get");
	last.state_len = slen;
	{
		struct ncmig_xs_watch_pair *pw;
		unsigned int pn;

		rc = ncmig_lu_state_parse(state, slen, domid, &last.sum, &pw,
					  &pn, &why);
		if (rc) {
			snprintf(last.detail, sizeof(last.detail),
				 "the state copy does not parse: %s", why);
			goto out;
		}
		if (got) {
			*got = pw;
			*nr_got = pn;
		} else {
			ncmig_xs_free_watches(pw, pn);
		}
		if (!last.sum.found) {
			snprintf(last.detail, sizeof(last.detail),
				 "d%u has no xenstore connection in xenstored's state",
				 domid);
			rc = -ENOENT;
			goto out;
		}
	}
	if (mode) {
		unsigned int a, d;

		if (sscanf(strstr(last.log, "edit applied") ?
			   strstr(last.log, "edit applied") : "",
			   "edit applied: d%*u added=%u dropped=%u", &a, &d) == 2) {
			last.added = a;
			last.dropped = d;
		} else {
			snprintf(last.detail, sizeof(last.detail),
				 "the edit was not applied: %.400s", last.log);
			rc = -EIO;
			goto out;
		}
	}
	last.ok = true;
	snprintf(last.detail, sizeof(last.detail),
		 "xenstored's live-update state (one live update into %.300s, %.0f ms)",
		 exe, last.ms);
out:
	if (rc && got && *got) {
		ncmig_xs_free_watches(*got, *nr_got);
		*got = NULL;
		*nr_got = 0;
	}
	free(state);
	free(edit);
	free(script);
	cleanup_dir(dir);
	return rc;
}
