#!/bin/sh
# Helpers for the rolling-update scenario (issue 12 item 3): the two slots
# of each backend (xen-blkback and xen-blkback-b, driver "vbd" and
# "vbd-b"; xen-netback and xen-netback-b, "vif" and "vif-b"), which
# device is bound to which, and what a guest's devices saw meanwhile.
# Source after lib.sh.

# roll_drv BUSDEV: the driver "vbd-5-51712" is bound to ("vbd", "vbd-b"),
# or "-" if none.
roll_drv() {
	_l=$(readlink "/sys/bus/xen-backend/devices/$1/driver" 2>/dev/null)
	if [ -n "$_l" ]; then echo "${_l##*/}"; else echo -; fi
}

# roll_tables: what xen-backend-quiesce says it has registered, preferred
# first ("vbd=xen_blkback_b,xen_blkback vif=...").
roll_tables() {
	cat /sys/module/xen_backend_quiesce/parameters/backends 2>/dev/null
}

# roll_loaded MOD: the module (as lsmod names it) is loaded.
roll_loaded() { [ -d "/sys/module/$1" ]; }

# roll_busdevs NAME: the bus devices of guest NAME ("vbd-5-51712 vif-5-0").
roll_busdevs() {
	_d=$(lab_guest_domid "$1")
	for _k in vbd vif; do
		for _v in $(lab_devids "$1" $_k); do
			echo "$_k-$_d-$_v"
		done
	done
}

# roll_all_on NAME SUFFIX: every device of guest NAME is bound to the
# driver of its type with SUFFIX ("" slot a, "-b" slot b). Prints the
# devices that are not, with their driver.
roll_all_on() {
	_bad=
	for _b in $(roll_busdevs "$1"); do
		_want=${_b%%-*}$2
		_got=$(roll_drv "$_b")
		[ "$_got" = "$_want" ] || _bad="$_bad $_b:$_got"
	done
	[ -z "$_bad" ] || { echo "not on the ${2:-slot a} driver:$_bad"; return 1; }
}

# roll_watch_states NAME DIR: a xenstore-watch on the frontend and backend
# state node of each of guest NAME's devices; pids in DIR/watch.pids,
# outputs in DIR/watch.files. Each write fires it: only the first
# (registration) firing may appear if nothing reconnected.
roll_watch_states() {
	for _k in vbd vif; do
		for _v in $(lab_devids "$1" $_k); do
			for _p in "$(lab_fe_path "$1" $_k "$_v")" "$(lab_be_path "$1" $_k "$_v")"; do
				_f=$2/watch.$(echo "$_p" | tr / _)
				xenstore-watch "$_p/state" >"$_f" 2>&1 &
				echo $! >>"$2/watch.pids"
				echo "$_f" >>"$2/watch.files"
			done
		done
	done
}

# roll_state_writes DIR: stop the watches; print how many writes to a
# state node they saw in all (0: no reconnect, no state change).
roll_state_writes() {
	while read -r _p; do kill "$_p" 2>/dev/null; done <"$1/watch.pids"
	_n=0
	while read -r _f; do
		_c=$(grep -c state "$_f")
		[ "$_c" -le 1 ] || tap_diag "${_f##*/watch.}: $((_c - 1)) state write(s)"
		_n=$((_n + (_c > 1 ? _c - 1 : 0)))
	done <"$1/watch.files"
	echo "$_n"
}

# roll_io_sum BUSDEV: requests a vbd's backend has served.
roll_io_sum() {
	_s=/sys/bus/xen-backend/devices/$1/statistics
	echo $(($(cat "$_s/rd_req" 2>/dev/null || echo 0) + $(cat "$_s/wr_req" 2>/dev/null || echo 0)))
}

# roll_served NAME: each of the guest's vbds serves I/O (its request count
# moves within 30 s) and the guest answers ping.
roll_served() {
	for _b in $(roll_busdevs "$1"); do
		case $_b in vbd-*) ;; *) continue ;; esac
		_s0=$(roll_io_sum "$_b")
		lab_wait 30 sh -c "[ \$(( \$(cat /sys/bus/xen-backend/devices/$_b/statistics/rd_req) + \$(cat /sys/bus/xen-backend/devices/$_b/statistics/wr_req) )) != $_s0 ]" ||
			{ echo "$_b: no I/O served in 30 s"; return 1; }
	done
	lab_wait 30 ping -c 1 -W 1 "$(lab_guest_ip "$1")" || { echo "no ping answer"; return 1; }
}

# roll_ping_start NAME DIR: dom0 pings the guest 20 times a second until
# roll_ping_stop; the count goes to DIR/ping.NAME.
roll_ping_start() {
	ping -i 0.05 -W 1 "$(lab_guest_ip "$1")" >"$2/ping.$1" 2>&1 &
	echo $! >"$2/ping.$1.pid"
}
# roll_ping_stop NAME DIR: print "sent lost" of the pings.
roll_ping_stop() {
	kill -INT "$(cat "$2/ping.$1.pid")" 2>/dev/null
	sleep 1
	_l=$(grep 'packets transmitted' "$2/ping.$1")
	_tx=$(echo "$_l" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
	_rx=$(echo "$_l" | sed -n 's/.* \([0-9]*\) \(packets \)\{0,1\}received.*/\1/p')
	echo "${_tx:-0} $((${_tx:-0} - ${_rx:-0}))"
}

# roll_reset: back to slot a only (the state every other scenario starts
# from): with no guest left, unload whatever slot is loaded and load the
# payload's xen-blkback and xen-netback.
roll_reset() {
	for _m in xen_netback_b xen_blkback_b; do
		! roll_loaded $_m || rmmod $_m || return 1
	done
	lab_use_patched_backends
}
