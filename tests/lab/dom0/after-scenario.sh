#!/bin/sh
# Run by dom0/init after every scenario, whatever became of it, so that no
# scenario can forget it: dom0's kernel log since the scenario began must
# hold no report, and no handover session may be left behind.
#   after-scenario.sh NAME
# Prints "# " diagnostics and one line tests/lab/run reads:
#   NCMIG-CHECK: scenario=NAME dmesg_reports=N hung_tasks=N stuck_sessions=N expected=0|1
# A scenario that provokes reports on purpose (Linux's own rebind, as the
# baselines do) says so with lab_kernel_reports_expected; they are counted
# and shown but do not fail it.
name=$1
. /ncmig/dom0/kreports.sh
. /ncmig/dom0/lib-diag.sh
reports=$LAB_KREPORTS
slice() { lab_kmsg_slice "$name"; }

# A task stuck in D state is only reported once the detector's timeout has
# passed: if one stays in D state, wait that long before reading the log.
dstate() {
	for s in /proc/[0-9]*; do
		[ "$(lab_proc_state "${s#/proc/}")" = D ] && echo "${s#/proc/}"
	done | sort
}
d1=$(dstate); sleep 2; d2=$(dstate)
stuck_d=$(printf '%s\n%s\n' "$d1" "$d2" | sed '/^$/d' | sort | uniq -d)
if [ -n "$stuck_d" ]; then
	t=$(cat /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null || echo 20)
	echo "# after $name: tasks in D state ($(echo $stuck_d | tr '\n' ' ')); waiting $((t + 5)) s for the hung-task detector"
	for p in $stuck_d; do
		echo "#   $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-60) [$(cat "/proc/$p/comm" 2>/dev/null)]"
	done
	sleep $((t + 5))
fi
sleep 1	# the scenario's last kernel lines
n_rep=$(slice | grep -cE "$reports")
n_hung=$(slice | grep -cE 'blocked for more than')
if [ "$n_rep" -gt 0 ]; then
	echo "# after $name: dom0 kernel reports:"
	slice | grep -E -A12 "$reports" | head -60 | sed 's/^/#   /'
fi

# Sessions: the watchdog may still be resuming one whose owner just died.
sessions() {
	command -v ncmigd >/dev/null 2>&1 || return 0
	lsmod | grep -q '^xen_ncmig ' || return 0
	timeout 10 ncmigd status 2>/dev/null | grep -E '^d[0-9]+ session:'
}
n_sess=0
if [ -n "$(sessions)" ]; then
	timeout 15 sh -c 'while ncmigd status 2>/dev/null | grep -qE "^d[0-9]+ session:"; do sleep 0.5; done'
	left=$(sessions)
	if [ -n "$left" ]; then
		n_sess=$(printf '%s\n' "$left" | wc -l)
		echo "# after $name: sessions left 15 s after its end:"
		printf '%s\n' "$left" | sed 's/^/#   /'
	fi
fi
exp=0
if [ -f /run/ncmig-lab/kernel-reports-expected ]; then
	exp=1
	echo "# after $name: kernel reports expected: $(cat /run/ncmig-lab/kernel-reports-expected)"
fi
echo "NCMIG-CHECK: scenario=$name dmesg_reports=$n_rep hung_tasks=$n_hung stuck_sessions=$n_sess expected=$exp"
