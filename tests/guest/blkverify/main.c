/*
 * blkverify: a verifying block load generator for raw guest disks.
 *
 * Each device is split into one slice per thread, so a thread owns its
 * blocks and knows the generation it last wrote to each; threads keep one
 * O_DIRECT request in flight each, so the queue depth per device equals
 * --threads. Errors are counted, never fatal: the point is to measure what
 * a backend handover does to the guest. A full verify pass ends the run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"
#include "stamp.h"

#define GEN_UNKNOWN UINT64_MAX	/* a write failed: contents undefined */
#define MAX_ERROR_REPORTS 20
/* An I/O this slow is reported with its wall-clock end, which dom0 (same
 * Xen wallclock) can set against its handover windows. */
#define SLOW_NS (1000ull * 1000000ull)
#define MAX_SLOW_REPORTS 50

struct device {
	const char *path;
	const char *name;
	int fd;
	uint32_t idx;
	uint64_t units;
};

struct worker {
	pthread_t tid;
	struct device *dev;
	uint64_t first, count;	/* slice of units this thread owns */
	uint64_t *gen;		/* last generation written, 0 = never */
	uint64_t next_gen;
	uint64_t rng;
	unsigned char *buf;
	uint64_t ops, bytes, io_errors, verify_errors, final_units, max_lat_ns;
	uint64_t by_verdict[STAMP_WRONG_GEN + 1];	/* verify errors by kind */
};

static struct {
	unsigned threads;
	unsigned max_units;
	long seconds;
	long progress;
	uint64_t size_units;
	const char *tag;
} opt = { 16, 64, 30, 10, 0, "blk" };

static atomic_int stop;
static atomic_int reports;
static atomic_int slow_reports;
static atomic_uint_fast64_t live_ops, live_errors;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, 1);
}

static void report_error(struct worker *w, const char *what, uint64_t lba,
			 const char *detail)
{
	if (atomic_fetch_add(&reports, 1) < MAX_ERROR_REPORTS)
		fprintf(stderr, "blkverify: %s %s unit %llu: %s\n", what,
			w->dev->path, (unsigned long long)lba, detail);
}

static uint64_t timed_io(struct worker *w, int write, uint64_t unit, unsigned n,
			 ssize_t *ret)
{
	size_t len = (size_t)n * UNIT_SIZE;
	off_t off = (off_t)((w->first + unit) * UNIT_SIZE);
	uint64_t t0 = now_ns(), dt;

	*ret = write ? pwrite(w->dev->fd, w->buf, len, off) :
		       pread(w->dev->fd, w->buf, len, off);
	dt = now_ns() - t0;
	if (dt > w->max_lat_ns)
		w->max_lat_ns = dt;
	if (dt >= SLOW_NS && atomic_fetch_add(&slow_reports, 1) < MAX_SLOW_REPORTS) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(stderr, "NCMIG-SLOW dev=%s op=%s end_ms=%lld lat_ms=%llu\n",
			w->dev->name, write ? "write" : "read",
			(long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
			(unsigned long long)(dt / 1000000));
	}
	w->ops++;
	atomic_fetch_add(&live_ops, 1);
	if (*ret == (ssize_t)len)
		w->bytes += len;
	return dt;
}

static int io_failed(struct worker *w, const char *what, uint64_t unit,
		     unsigned n, ssize_t ret)
{
	char detail[96];

	if (ret == (ssize_t)n * UNIT_SIZE)
		return 0;
	snprintf(detail, sizeof(detail), "%u units: %s", n,
		 ret < 0 ? strerror(errno) : "short transfer");
	report_error(w, what, w->first + unit, detail);
	w->io_errors++;
	atomic_fetch_add(&live_errors, 1);
	return 1;
}

static void do_write(struct worker *w, uint64_t unit, unsigned n)
{
	ssize_t ret;
	int failed;

	for (unsigned i = 0; i < n; i++)
		stamp_fill(w->buf + (size_t)i * UNIT_SIZE, w->dev->idx,
			   w->first + unit + i, w->next_gen + i);
	timed_io(w, 1, unit, n, &ret);
	failed = io_failed(w, "write-error", unit, n, ret);
	for (unsigned i = 0; i < n; i++)
		w->gen[unit + i] = failed ? GEN_UNKNOWN : w->next_gen + i;
	w->next_gen += n;
}

static void do_verify(struct worker *w, uint64_t unit, unsigned n, int final)
{
	ssize_t ret;

	timed_io(w, 0, unit, n, &ret);
	if (io_failed(w, "read-error", unit, n, ret))
		return;
	for (unsigned i = 0; i < n; i++) {
		uint64_t want = w->gen[unit + i], found;
		enum stamp_verdict v;
		char detail[128];

		if (want == 0 || want == GEN_UNKNOWN)
			continue;
		if (final)
			w->final_units++;
		v = stamp_check(w->buf + (size_t)i * UNIT_SIZE, w->dev->idx,
				w->first + unit + i, want, &found);
		if (v == STAMP_OK)
			continue;
		snprintf(detail, sizeof(detail), "%s (want gen %llu, found %llu)",
			 stamp_verdict_name(v), (unsigned long long)want,
			 (unsigned long long)found);
		report_error(w, "verify-error", w->first + unit + i, detail);
		w->verify_errors++;
		w->by_verdict[v]++;
		atomic_fetch_add(&live_errors, 1);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t deadline = opt.seconds ? now_ns() + (uint64_t)opt.seconds * 1000000000ull : 0;

	while (!atomic_load(&stop) && (!deadline || now_ns() < deadline)) {
		unsigned n = 1 + (unsigned)(xorshift64(&w->rng) % opt.max_units);
		uint64_t unit;

		if (n > w->count)
			n = (unsigned)w->count;
		unit = xorshift64(&w->rng) % (w->count - n + 1);
		if (xorshift64(&w->rng) & 1)
			do_write(w, unit, n);
		else
			do_verify(w, unit, n, 0);
	}
	/* Final pass: every block this thread ever wrote must read back. */
	for (uint64_t u = 0; u < w->count; u += opt.max_units) {
		unsigned n = (unsigned)(w->count - u < opt.max_units ? w->count - u : opt.max_units);
		unsigned written = 0;

		for (unsigned i = 0; i < n; i++)
			written += w->gen[u + i] != 0;
		if (written)	/* never-written stretches hold nothing to check */
			do_verify(w, u, n, 1);
	}
	return NULL;
}

static void open_device(struct device *d)
{
	struct stat st;
	uint64_t size = 0;

	d->fd = open(d->path, O_RDWR | O_DIRECT);
	if (d->fd < 0 || fstat(d->fd, &st)) {
		fprintf(stderr, "blkverify: %s: %s\n", d->path, strerror(errno));
		exit(2);
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(d->fd, BLKGETSIZE64, &size)) {
			perror("BLKGETSIZE64");
			exit(2);
		}
	} else {
		size = (uint64_t)st.st_size;
	}
	d->units = size / UNIT_SIZE;
	if (opt.size_units && d->units > opt.size_units)
		d->units = opt.size_units;
	if (d->units < opt.threads * (uint64_t)opt.max_units) {
		fprintf(stderr, "blkverify: %s: too small for %u threads\n",
			d->path, opt.threads);
		exit(2);
	}
	d->name = strrchr(d->path, '/') ? strrchr(d->path, '/') + 1 : d->path;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: blkverify [--seconds N (0: until SIGTERM)] [--threads N per device]\n"
		"                 [--max-kib N] [--size-mib N] [--progress N] [--tag KEY]\n"
		"                 DEVICE...\n");
	exit(2);
}

static void parse_args(int argc, char **argv, int *first_dev)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--seconds"))
			opt.seconds = parse_num(o, v);
		else if (!strcmp(o, "--threads"))
			opt.threads = (unsigned)parse_num(o, v);
		else if (!strcmp(o, "--max-kib"))
			opt.max_units = (unsigned)parse_num(o, v) / (UNIT_SIZE / 1024);
		else if (!strcmp(o, "--size-mib"))
			opt.size_units = (uint64_t)parse_num(o, v) * (1048576 / UNIT_SIZE);
		else if (!strcmp(o, "--progress"))
			opt.progress = parse_num(o, v);
		else if (!strcmp(o, "--tag") && v)
			opt.tag = v;
		else
			usage();
		i++;
	}
	if (i >= argc || !opt.threads || !opt.max_units)
		usage();
	*first_dev = i;
}

int main(int argc, char **argv)
{
	int first, ndev;
	struct device *devs;
	struct worker *ws;
	unsigned nw;
	uint64_t t0 = now_ns(), next_progress;
	/* SA_RESTART: a signal must not turn an in-flight I/O into an error. */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	parse_args(argc, argv, &first);
	ndev = argc - first;
	devs = calloc((size_t)ndev, sizeof(*devs));
	nw = (unsigned)ndev * opt.threads;
	ws = calloc(nw, sizeof(*ws));
	if (!devs || !ws)
		return 2;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	for (int d = 0; d < ndev; d++) {
		devs[d].path = argv[first + d];
		devs[d].idx = (uint32_t)d + 1;
		open_device(&devs[d]);
	}
	for (unsigned i = 0; i < nw; i++) {
		struct worker *w = &ws[i];
		struct device *d = &devs[i / opt.threads];
		uint64_t per = d->units / opt.threads;

		w->dev = d;
		w->first = per * (i % opt.threads);
		w->count = per;
		w->gen = calloc(per, sizeof(*w->gen));
		w->next_gen = 1;
		w->rng = 0x2545f4914f6cdd1dull ^ ((uint64_t)i << 32) ^ t0;
		if (!w->gen || posix_memalign((void **)&w->buf, UNIT_SIZE,
					      (size_t)opt.max_units * UNIT_SIZE))
			return 2;
		if (pthread_create(&w->tid, NULL, worker_main, w))
			return 2;
	}
	fprintf(stderr, "blkverify: %d device(s), %u threads each, %ld s\n",
		ndev, opt.threads, opt.seconds);

	/* Progress on the console while the workers run. */
	next_progress = t0 + (uint64_t)opt.progress * 1000000000ull;
	for (unsigned i = 0; i < nw; i++) {
		while (pthread_tryjoin_np(ws[i].tid, NULL) == EBUSY) {
			usleep(200000);
			if (opt.progress && now_ns() >= next_progress) {
				fprintf(stderr, "blkverify: t=%llus ops=%llu errors=%llu\n",
					(unsigned long long)((now_ns() - t0) / 1000000000ull),
					(unsigned long long)atomic_load(&live_ops),
					(unsigned long long)atomic_load(&live_errors));
				next_progress += (uint64_t)opt.progress * 1000000000ull;
			}
		}
	}

	uint64_t tot[6] = { 0 };	/* ops bytes io verify final maxlat */
	uint64_t kinds[STAMP_WRONG_GEN + 1] = { 0 };

	for (unsigned i = 0; i < nw; i++)
		for (int k = 0; k <= STAMP_WRONG_GEN; k++)
			kinds[k] += ws[i].by_verdict[k];
	for (int d = 0; d < ndev; d++) {
		uint64_t s[6] = { 0 };

		for (unsigned i = 0; i < nw; i++) {
			struct worker *w = &ws[i];

			if (w->dev != &devs[d])
				continue;
			s[0] += w->ops;
			s[1] += w->bytes;
			s[2] += w->io_errors;
			s[3] += w->verify_errors;
			s[4] += w->final_units;
			if (w->max_lat_ns > s[5])
				s[5] = w->max_lat_ns;
		}
		result_line("%s.%s.ops=%llu %s.%s.bytes=%llu %s.%s.io_errors=%llu "
			    "%s.%s.verify_errors=%llu %s.%s.final_units=%llu %s.%s.max_lat_ms=%llu",
			    opt.tag, devs[d].name, (unsigned long long)s[0],
			    opt.tag, devs[d].name, (unsigned long long)s[1],
			    opt.tag, devs[d].name, (unsigned long long)s[2],
			    opt.tag, devs[d].name, (unsigned long long)s[3],
			    opt.tag, devs[d].name, (unsigned long long)s[4],
			    opt.tag, devs[d].name, (unsigned long long)(s[5] / 1000000));
		for (int k = 0; k < 5; k++)
			tot[k] += s[k];
		if (s[5] > tot[5])
			tot[5] = s[5];
	}
	result_line("%s.devices=%d %s.qd=%u %s.ops=%llu %s.bytes=%llu %s.io_errors=%llu "
		    "%s.verify_errors=%llu %s.final_units=%llu %s.max_lat_ms=%llu %s.seconds=%llu",
		    opt.tag, ndev, opt.tag, opt.threads,
		    opt.tag, (unsigned long long)tot[0], opt.tag, (unsigned long long)tot[1],
		    opt.tag, (unsigned long long)tot[2], opt.tag, (unsigned long long)tot[3],
		    opt.tag, (unsigned long long)tot[4], opt.tag, (unsigned long long)(tot[5] / 1000000),
		    opt.tag, (unsigned long long)((now_ns() - t0) / 1000000000ull));
	/* stale: an older write of the right block; misplaced: another block's
	 * data; corrupt: no valid stamp (torn, zeroed or foreign data). */
	result_line("%s.stale=%llu %s.misplaced=%llu %s.corrupt=%llu", opt.tag,
		    (unsigned long long)kinds[STAMP_WRONG_GEN], opt.tag,
		    (unsigned long long)(kinds[STAMP_WRONG_LBA] + kinds[STAMP_WRONG_DEVICE]),
		    opt.tag, (unsigned long long)(kinds[STAMP_BAD_MAGIC] + kinds[STAMP_BAD_CRC]));
	result_line("%s.done=1", opt.tag);
	return tot[2] || tot[3] ? 1 : 0;
}
