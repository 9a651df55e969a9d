# shellcheck shell=sh
# Helpers for the block race scenarios (tests/lab/scenarios/race-*.sh),
# sourced after lib.sh.

# The test-only knobs of xen-backend-quiesce (NCMIG_TEST_HOOKS builds).
XBQ_DBG=/sys/kernel/debug/xen-backend-quiesce

# blk_hooks: mount debugfs; 0 if the knobs exist.
blk_hooks() {
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	[ -w "$XBQ_DBG/unbind_delay_ms" ]
}
# blk_hook NAME MS
blk_hook() { echo "$2" >"$XBQ_DBG/$1"; }

# blk_dom_gone DOMID: 0 once xl lists no such domain (nor a dying one).
blk_dom_gone() {
	! xl list 2>/dev/null | awk -v d="$1" '$2 == d { f = 1 } END { exit !f }'
}

# blk_wait_pid SECONDS PID: 0 if PID exited within SECONDS.
blk_wait_pid() {
	_n=0
	while kill -0 "$2" 2>/dev/null; do
		[ $_n -lt $(($1 * 5)) ] || return 1
		sleep 0.2; _n=$((_n + 1))
	done
}

# blk_now_ms: a monotonic clock in ms.
blk_now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# blk_bounded SECONDS CMD...: run CMD with its output on stdout, never
# waiting for it past SECONDS even if it sits in D state (a deadlocked
# kernel); 124 then, and CMD is left behind.
blk_bounded() {
	_bt=$1; shift
	_bo=/run/ncmig-lab/bounded.$$
	"$@" >"$_bo" 2>&1 &
	_bp=$!
	if blk_wait_pid "$_bt" $_bp; then
		wait $_bp; _brc=$?
	else
		_brc=124
	fi
	cat "$_bo"; rm -f "$_bo"
	return $_brc
}

# blk_wedged WHAT: dom0 is deadlocked (a hang the scenario proved): show
# the evidence (tasks in D state, their kernel stacks, the hung-task
# reports) and reset the machine at once (sysrq b; QEMU runs with
# -no-reboot, so it exits): nothing after this could end, not even a
# poweroff, whose device_shutdown() waits for the same device locks.
blk_wedged() {
	lab_hang "$*"
	echo "# dom0 wedged: $*"
	for _s in /proc/[0-9]*/stat; do
		_st=$(sed 's/^.*) //' "$_s" 2>/dev/null | cut -d' ' -f1)
		[ "$_st" = D ] || continue
		_p=${_s#/proc/}; _p=${_p%/stat}
		echo "# D state: $_p [$(cat /proc/$_p/comm 2>/dev/null)]"
		sed 's/^/#     /' /proc/$_p/stack 2>/dev/null | head -25
	done
	_n=0
	while ! dmesg | grep -q "blocked for more than" && [ $_n -lt 60 ]; do
		sleep 1; _n=$((_n + 1))
	done
	dmesg | grep -A25 "blocked for more than" | head -120 | sed 's/^/# kernel: /'
	echo "# resetting the lab machine (dom0 deadlocked)"
	sleep 2
	echo b >/proc/sysrq-trigger
	sleep 30
}
