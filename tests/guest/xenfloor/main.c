/*
 * xenfloor: dom0's cost of the steps no backend handover can avoid for
 * one device, for make bench's floor (issue 12): map the device's ring
 * pages, bind its event channels, send one notification.
 *
 *   xenfloor --domid D --refs R1,R2,... [--evtchns N] [--rounds N]
 *
 * Each round, timed with CLOCK_MONOTONIC:
 *   map     the guest's grant refs R1... (its ring pages, read from the
 *           frontend's xenstore) mapped in one call, read-only
 *           (xengnttab_map_domain_grant_refs: the gntdev ioctl, then the
 *           map hypercall at its mmap); the backend keeps its own
 *           mapping, so nothing is written and the guest sees nothing;
 *   bind    N interdomain event channel binds (EVTCHNOP_bind_interdomain)
 *           to ports dom0 allocated for itself beforehand (loopback: the
 *           guest's own ports are bound to the running backend and cannot
 *           be bound twice; the allocation is not timed);
 *   notify  one EVTCHNOP_send on one of them.
 * then everything is undone (not timed).  It is a userspace measurement:
 * each step carries a system call and gntdev's bookkeeping that a
 * backend's in-kernel attach does not, so the floor is an upper bound of
 * the kernel's own cost and blackout / floor errs low, never high.
 *
 * Prints one line (microseconds; p50 over the rounds, and the minimum):
 *   xenfloor: rounds=N pages=P evtchns=E map_us=X bind_us=X notify_us=X
 *             floor_us=X floor_us_min=X
 * Exit 0, or 1 with the failing call named.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#define MAX_REFS 64
#define MAX_EVTCHNS 64
#define MAX_ROUNDS 10000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double p50_us(uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(n - 1) / 2] / 1e3;
}

static void usage(void)
{
	fprintf(stderr, "usage: xenfloor --domid D --refs R1,R2,... [--evtchns N] [--rounds N]\n");
	exit(2);
}

static unsigned long num(const char *s)
{
	char *e;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &e, 0);
	if (errno || e == s || *e)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	static uint64_t t_map[MAX_ROUNDS], t_bind[MAX_ROUNDS], t_notify[MAX_ROUNDS],
		t_all[MAX_ROUNDS];
	uint32_t refs[MAX_REFS], domid = 0;
	int nrefs = 0, nev = 1, rounds = 50, have_dom = 0, i, r;
	xengnttab_handle *xgt;
	xenevtchn_handle *xce;
	uint64_t min_all = UINT64_MAX;

	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		if (!strcmp(o, "--domid")) {
			domid = num(v);
			have_dom = 1;
		} else if (!strcmp(o, "--refs")) {
			char *s = strdup(v), *tok, *save = NULL;

			for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (nrefs == MAX_REFS)
					usage();
				refs[nrefs++] = num(tok);
			}
			free(s);
		} else if (!strcmp(o, "--evtchns")) {
			nev = num(v);
		} else if (!strcmp(o, "--rounds")) {
			rounds = num(v);
		} else {
			usage();
		}
		i++;
	}
	if (!have_dom || !nrefs || nev < 1 || nev > MAX_EVTCHNS || rounds < 1 ||
	    rounds > MAX_ROUNDS)
		usage();
	xgt = xengnttab_open(NULL, 0);
	xce = xenevtchn_open(NULL, 0);
	if (!xgt || !xce) {
		fprintf(stderr, "xenfloor: open gntdev/evtchn: %s\n", strerror(errno));
		return 1;
	}
	if (xengnttab_set_max_grants(xgt, nrefs) < 0)
		fprintf(stderr, "xenfloor: set_max_grants: %s (continuing)\n", strerror(errno));

	for (r = 0; r < rounds; r++) {
		xenevtchn_port_or_error_t remote[MAX_EVTCHNS], local[MAX_EVTCHNS];
		uint64_t t0, t1, t2, t3;
		void *p;

		for (i = 0; i < nev; i++) {
			remote[i] = xenevtchn_bind_unbound_port(xce, 0);
			if (remote[i] < 0) {
				fprintf(stderr, "xenfloor: alloc unbound port: %s\n", strerror(errno));
				return 1;
			}
		}
		t0 = now_ns();
		p = xengnttab_map_domain_grant_refs(xgt, nrefs, domid, refs, PROT_READ);
		t1 = now_ns();
		if (!p) {
			fprintf(stderr, "xenfloor: map %d grant refs of d%u: %s\n", nrefs, domid,
				strerror(errno));
			return 1;
		}
		for (i = 0; i < nev; i++) {
			local[i] = xenevtchn_bind_interdomain(xce, 0, remote[i]);
			if (local[i] < 0) {
				fprintf(stderr, "xenfloor: bind interdomain: %s\n", strerror(errno));
				return 1;
			}
		}
		t2 = now_ns();
		if (xenevtchn_notify(xce, local[0]) < 0) {
			fprintf(stderr, "xenfloor: notify: %s\n", strerror(errno));
			return 1;
		}
		t3 = now_ns();
		t_map[r] = t1 - t0;
		t_bind[r] = t2 - t1;
		t_notify[r] = t3 - t2;
		t_all[r] = t3 - t0;
		if (t_all[r] < min_all)
			min_all = t_all[r];
		xengnttab_unmap(xgt, p, nrefs);
		for (i = 0; i < nev; i++) {
			xenevtchn_unbind(xce, local[i]);
			xenevtchn_unbind(xce, remote[i]);
		}
	}
	printf("xenfloor: rounds=%d pages=%d evtchns=%d map_us=%.1f bind_us=%.1f notify_us=%.1f floor_us=%.1f floor_us_min=%.1f\n",
	       rounds, nrefs, nev, p50_us(t_map, rounds), p50_us(t_bind, rounds),
	       p50_us(t_notify, rounds), p50_us(t_all, rounds), min_all / 1e3);
	xenevtchn_close(xce);
	xengnttab_close(xgt);
	return 0;
}
