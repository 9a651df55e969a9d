// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A guest suspended on us: between libxc's END (or a checkpoint's end)
 * arriving and its being passed on, every ms that the splice filter
 * waits for a CPU is the guest's downtime.  In the lab send's windows
 * of 16-44 ms waited 4-29 ms of it for a CPU, behind the receiving
 * libxc and xl on dom0's two vCPUs; at real-time 0-1.2 ms (once 8 ms).
 * Run that short stretch at the lowest real-time priority, then go
 * back; and count the time spent
 * on the CPU and runnable but not running (/proc/thread-self/schedstat,
 * CONFIG_SCHED_INFO), so that the rest (blocked, or the vCPU not run by
 * Xen) can be told apart.  NCMIG_NO_REALTIME in the environment keeps
 * the policy as it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ncmig.h"

static uint64_t run_delay_fd(int fd)
{
	unsigned long long on_cpu, waited;
	char b[96];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);

	if (n <= 0)
		return 0;
	b[n] = 0;
	return sscanf(b, "%llu %llu", &on_cpu, &waited) == 2 ? waited : 0;
}

/*
 * Not schedstat's own first field: for the running thread it is brought
 * up to date only at a tick or a switch, and a window is a few ticks.
 */
static uint64_t cpu_ns(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t))
		return 0;
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/*
 * Before any window: what to go back to, and the counter's file kept
 * open, so that a window costs no more system calls than it must (in
 * the nested lab each one costs the guest about a millisecond).
 */
void ncmig_urgent_prepare(struct ncmig_urgent *u)
{
	struct sched_param was;

	u->fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	u->raised = false;
	u->policy = sched_getscheduler(0);
	u->can = u->policy >= 0 && !sched_getparam(0, &was) &&
		 u->policy != SCHED_FIFO && u->policy != SCHED_RR &&
		 !getenv("NCMIG_NO_REALTIME");	/* the operator's choice */
	u->priority = u->can ? was.sched_priority : 0;
}

/* SCHED_FIFO 1; SCHED_RESET_ON_FORK: a child started now does not inherit it. */
static int raise_rt(struct ncmig_urgent *u)
{
	struct sched_param rt = { .sched_priority = 1 };

	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &rt))
		return -errno;
	u->raised = true;
	return 0;
}

/* Back to the policy before, if raised. */
static void lower(struct ncmig_urgent *u)
{
	struct sched_param was = { .sched_priority = u->priority };

	if (u->raised && !sched_setscheduler(0, u->policy, &was))
		u->raised = false;
}

void ncmig_urgent_release(struct ncmig_urgent *u)
{
	lower(u);	/* a stream that failed between _raise() and _end() */
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}

/*
 * The domain is suspended and a window is sure to come: raise now, so
 * that the system call is not in the window (in the nested lab each
 * one costs the guest about a millisecond).
 */
int ncmig_urgent_raise(struct ncmig_urgent *u)
{
	int rc;

	if (u->raised)
		return 0;
	rc = u->can ? raise_rt(u) : -EPERM;
	return rc ? rc : 1;
}

int ncmig_urgent_begin(struct ncmig_urgent *u)
{
	int rc;

	u->paused = false;
	u->run_delay0 = u->fd >= 0 ? run_delay_fd(u->fd) : 0;
	u->cpu0 = cpu_ns();
	rc = ncmig_urgent_raise(u);
	return rc < 0 ? rc : 0;
}

/*
 * While the caller waits for another process to catch up: back to the
 * policy before, so that its polls do not take the CPU from the process
 * it waits for.
 */
void ncmig_urgent_pause(struct ncmig_urgent *u)
{
	bool was_raised = u->raised;

	lower(u);
	u->paused = was_raised && !u->raised;
}

void ncmig_urgent_resume(struct ncmig_urgent *u)
{
	if (u->paused)
		raise_rt(u);
	u->paused = false;
}

void ncmig_urgent_end(struct ncmig_urgent *u, uint64_t *runq_us,
		      uint64_t *cpu_us)
{
	uint64_t c = cpu_ns(), d = u->fd >= 0 ? run_delay_fd(u->fd) : 0;

	lower(u);
	u->raised = u->paused = false;
	*runq_us = d > u->run_delay0 ? (d - u->run_delay0) / 1000 : 0;
	*cpu_us = c > u->cpu0 ? (c - u->cpu0) / 1000 : 0;
}
