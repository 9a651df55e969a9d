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
