// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A guest suspended on us: between libxc's END (or a checkpoint's end)
 * arriving and its being passed on, every ms that the splice filter
 * waits for a CPU is the guest's downtime.  In the lab the filter with
 * both ends spent 23 ms of a 27 ms window so, behind the receiving
 * libxc and xl on dom0's two vCPUs.  Run that short stretch at the
 * lowest real-time priority, then go back; and count the time spent
 * on the CPU and runnable but not running (/proc/thread-self/schedstat,
 * CONFIG_SCHED_INFO), so that the rest (blocked, or the vCPU not run by
 * Xen) can be told apart.  NCMIG_NO_REALTIME in the environment keeps
 * the policy as it is.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ncmig.h"

/* Time this thread has waited on a run queue (ns), or 0 if unknown. */
uint64_t ncmig_run_delay_ns(void)
{
	unsigned long long on_cpu, waited;
	FILE *f = fopen("/proc/thread-self/schedstat", "re");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%llu %llu", &on_cpu, &waited);
	fclose(f);
	return n == 2 ? waited : 0;
}

static uint64_t cpu_ns(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t))
		return 0;
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

int ncmig_urgent_begin(struct ncmig_urgent *u)
{
	struct sched_param rt = { .sched_priority = 1 }, was;

	u->policy = sched_getscheduler(0);
	u->raised = false;
	u->run_delay0 = ncmig_run_delay_ns();
	u->cpu0 = cpu_ns();
	if (u->policy < 0 || sched_getparam(0, &was))
		return -errno;
	u->priority = was.sched_priority;
	if (u->policy == SCHED_FIFO || u->policy == SCHED_RR)
		return 0;	/* already real-time: the caller's choice */
	if (getenv("NCMIG_NO_REALTIME"))	/* the operator's choice */
		return -EPERM;
	/* SCHED_RESET_ON_FORK: a child started now does not inherit it. */
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &rt))
		return -errno;
	u->raised = true;
	return 0;
}

void ncmig_urgent_end(struct ncmig_urgent *u, uint64_t *runq_us,
		      uint64_t *cpu_us)
{
	struct sched_param was = { .sched_priority = u->priority };
	uint64_t d = ncmig_run_delay_ns(), c = cpu_ns();

	if (u->raised)
		sched_setscheduler(0, u->policy, &was);
	u->raised = false;
	*runq_us = d > u->run_delay0 ? (d - u->run_delay0) / 1000 : 0;
	*cpu_us = c > u->cpu0 ? (c - u->cpu0) / 1000 : 0;
}
