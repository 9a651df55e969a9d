# shellcheck shell=sh
# Helpers for the fault-matrix scenarios (tests/lab/scenarios/fault-*.sh),
# sourced after lib.sh and lib-blk.sh. Each case calls fault_case NAME
# first and fault_end at its end; fault_summary prints the faults: line.

. /ncmig/dom0/kreports.sh

FAULT_CASES=0 FAULT_SURVIVED=0 FAULT_DATA_ERRORS=0 FAULT_LEFTOVERS=0
FAULT_WAITS=''

# fault_case NAME: a new case; remembers the TAP failures so far.
fault_case() {
	FAULT_NAME=$1
	FAULT_FAILED0=$TAP_FAILED
	FAULT_CASES=$((FAULT_CASES + 1))
	lab_log "fault case $FAULT_CASES: $1"
}

# fault_end: the case survived if none of its tests failed and no session
# is left (a left session counts as a leftover).
fault_end() {
	if ncmigd status 2>/dev/null | grep -q 'session'; then
		FAULT_LEFTOVERS=$((FAULT_LEFTOVERS + 1))
		tap_not_ok "$FAULT_NAME: no session left"
		ncmigd status 2>&1 | head -5 | sed 's/^/#   status: /'
	fi
	if [ "$TAP_FAILED" = "$FAULT_FAILED0" ]; then
		FAULT_SURVIVED=$((FAULT_SURVIVED + 1))
	fi
}

# fault_data NAME: add guest NAME's blkverify I/O and verify errors (its
# workload must have finished).
fault_data() {
	_io=$(lab_guest_result "$1" blk.io_errors 5)
	_ve=$(lab_guest_result "$1" blk.verify_errors 5)
	tap_is "${_io:-missing}" 0 "$FAULT_NAME: $1: 0 I/O errors"
	tap_is "${_ve:-missing}" 0 "$FAULT_NAME: $1: 0 verify errors"
	case $_io in ''|*[!0-9]*) _io=1 ;; esac
	case $_ve in ''|*[!0-9]*) _ve=1 ;; esac
	FAULT_DATA_ERRORS=$((FAULT_DATA_ERRORS + _io + _ve))
}

# fault_reqs DOMID DEVID: requests a vbd's backend has served (-1 unbound).
fault_reqs() {
	_st=/sys/bus/xen-backend/devices/vbd-$1-$2/statistics
	cat "$_st/rd_req" "$_st/wr_req" 2>/dev/null |
		awk '{ s += $1; n++ } END { print n == 2 ? s : -1 }'
}

# fault_wait_served SECONDS DOMID DEVID BEFORE: ms until the vbd's backend
# is bound and has served requests past BEFORE (a count from fault_reqs),
# then waits (within SECONDS too) until no session is left; empty if
# either is not within SECONDS. Only the counters are polled until they
# move (a cat every 20 ms: the ms are the guest's wait to within a poll),
# not `ncmigd status`, which costs about a second under TCG.
fault_wait_served() {
	_t0=$(blk_now_ms) _end=$(($(blk_now_ms) + $1 * 1000)) _ms=
	while [ "$(blk_now_ms)" -lt "$_end" ]; do
		_r=$(fault_reqs "$2" "$3")
		# Unbound before (-1): its new statistics start at 0.
		if [ "$_r" -gt 0 ] && [ "$_r" != "$4" ]; then
			_ms=$(($(blk_now_ms) - _t0))
			break
		fi
		sleep 0.02
	done
	[ -n "$_ms" ] || return 1
	while [ "$(blk_now_ms)" -lt "$_end" ]; do
		if ! ncmigd status --domid "$2" 2>/dev/null | grep -q 'session'; then
			echo "$_ms"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# fault_mark: the kernel log is judged from here on.
fault_mark() {
	FAULT_MARK="ncmig-lab: fault matrix pass $$"
	echo "$FAULT_MARK" >/dev/kmsg
}

# fault_kill TAG PID: SIGKILL PID, marking the moment in the kernel log.
fault_kill() {
	echo "ncmig-fault: kill $1" >/dev/kmsg
	kill -9 "$2"
}

# fault_kernel_wait_ms TAG: ms from fault_kill TAG to the kernel's
# "backends running again" (xen-ncmig's watchdog brought the domain
# back), from the kernel log's own timestamps; empty if not seen.
fault_kernel_wait_ms() {
	dmesg | tr -d '[]' | awk -v tag="ncmig-fault: kill $1" '
		index($0, tag) { t0 = $1; next }
		t0 != "" && /backends running again/ { printf "%d\n", ($1 - t0) * 1000 + 0.5; exit }'
}

# fault_dmesg_reports: kernel reports since fault_mark.
fault_dmesg_reports() { lab_kmsg_since "$FAULT_MARK" | grep -cE "$LAB_KREPORTS"; }

# fault_load_modules: unload ours and the backends, then load our core
# (from $MODDIR if it has it: the patched backends need its symbols), the
# backends from $MODDIR (the payload's patched ones by default) and
# xen-ncmig (from $MODDIR too if it has it).
fault_load_modules() {
	for _m in xen_ncmig xen_blkback xen_netback xen_backend_quiesce; do
		if lsmod | grep -q "^$_m "; then rmmod "$_m" || return 1; fi
	done
	if [ -f "$MODDIR/xen-ncmig.ko" ]; then
		modprobe -q libcrc32c 2>/dev/null || :	# crc32c(), 6.1/6.12
		insmod "$MODDIR/xen-backend-quiesce.ko" || return 1
	else
		lab_load_xbq || return 1
	fi
	insmod "$MODDIR/xen-blkback.ko" && insmod "$MODDIR/xen-netback.ko" || return 1
	if [ -f "$MODDIR/xen-ncmig.ko" ]; then
		insmod "$MODDIR/xen-ncmig.ko"
	else
		lab_load_ncmig_modules
	fi
}

# fault_modules_unload: our modules and the backends unload (nothing is
# left holding them), then are loaded again.
fault_modules_unload() {
	_ok=0
	for _m in xen_ncmig xen_blkback xen_netback xen_backend_quiesce; do
		if lsmod | grep -q "^$_m "; then rmmod "$_m" 2>/dev/null || _ok=1; fi
	done
	fault_load_modules >/dev/null 2>&1
	return $_ok
}

fault_summary() {
	echo "# guest waits after the tool died: ${FAULT_WAITS# }"
	echo "faults: cases=$FAULT_CASES survived=$FAULT_SURVIVED data_errors=$FAULT_DATA_ERRORS dmesg_reports=$(fault_dmesg_reports) leftovers=$FAULT_LEFTOVERS"
}
