# shellcheck shell=sh
# Helpers for the race-net-* scenarios (sourced after lib.sh): guests whose
# vif is driven by the test frontend xen-netctl (tests/guest/netctl), and
# the commands dom0 gives it through the guest's data/netctl node.

# netctl_guest_start NAME [lab_guest_start options]: a PV guest with no
# disk and no netfront; it loads xen-netctl and turns xenbus autoprobe off,
# then dom0 hot-plugs one vif (vif 0) that xen-netctl binds, connects with
# 2 queues and programs (hash over the control ring, multicast filter).
# Prints the domid once netback's vif is Connected and programmed.
netctl_guest_start() {
	_ng=$1; shift
	_nd=$(lab_guest_start "$_ng" --disks 0 --no-vif --vcpus 2 "$@" \
		--workload "insmod /mod/xen-netctl.ko && echo 0 >/sys/bus/xen/drivers_autoprobe && wl_result netctl.armed=1; n=0; while [ ! -e /sys/bus/xen/devices/vif-0 ] && [ \$n -lt 900 ]; do sleep 0.1; n=\$((n+1)); done; echo vif-0 >/sys/bus/xen/drivers/netctl/bind") || return 1
	lab_guest_result "$_ng" netctl.armed 150 >/dev/null || return 1
	_nip=$(lab_guest_ip "$_ng")
	_nmac=$(printf '00:16:3e:99:%02x:01' "${_nip##*.}")
	lab_vif_attach "$_ng" "$_nmac" || return 1
	[ "$(lab_guest_result "$_ng" netctl.ok 180)" = 1 ] || return 1
	lab_xs_wait 60 "$(lab_be_path "$_ng" vif 0)/state" 4 || return 1
	echo "$_nd"
}

# netctl_gen NAME: how many times xen-netctl has programmed its vif.
netctl_gen() { lab_guest_result "$1" netctl.gen 1 2>/dev/null || echo 0; }

# netctl_send NAME CMD: post CMD to the guest's xen-netctl; prints the SEQ
# that its answer carries (netctl.done=SEQ).
netctl_send() {
	_nf=$LAB_STATE/$1/netctl.seq
	_ns=$(( $(cat "$_nf" 2>/dev/null || echo 0) + 1 ))
	echo "$_ns" >"$_nf"
	lab_xs_write "/local/domain/$(lab_guest_domid "$1")/data/netctl" "$2 $_ns" || return 1
	echo "$_ns"
}

# netctl_line NAME KEY SEQ [SECONDS]: wait (default 30 s) for the guest's
# result line with KEY=SEQ and print that line.
netctl_line() {
	_nl=$LAB_CONSOLE_DIR/guest-$1.log
	lab_wait "${4:-30}" sh -c "tr -d '\r' <'$_nl' | grep -Eq 'NCMIG-RESULT.* $2=$3( |\$)'" || return 1
	tr -d '\r' <"$_nl" | grep -E "NCMIG-RESULT.* $2=$3( |\$)" | tail -1
}

# netctl_cmd NAME CMD [SECONDS]: run CMD, wait for its answer, print the
# value the guest reported for it (netctl.CMD=VALUE); 1 if none came.
netctl_cmd() {
	_nq=$(netctl_send "$1" "$2") || return 1
	netctl_line "$1" netctl.done "$_nq" "${3:-30}" | tr ' ' '\n' | sed -n "s/^netctl\.$2=//p"
}

# netctl_reconnect NAME: the guest closes and connects its vif again on
# fresh rings; waits until netback is Connected and the vif programmed.
# Which step failed goes to stderr.
netctl_reconnect() {
	_ngen=$(netctl_gen "$1")
	_nr=$(netctl_cmd "$1" reconnect 40)
	[ "$_nr" = 0 ] || { echo "netctl_reconnect $1: the reconnect command answered '$_nr'" >&2; return 1; }
	lab_wait 60 sh -c "[ \"\$(tr -d '\r' <'$LAB_CONSOLE_DIR/guest-$1.log' | grep -o 'netctl.gen=[0-9]*' | tail -1)\" = netctl.gen=$((_ngen + 1)) ]" ||
		{ echo "netctl_reconnect $1: no netctl.gen=$((_ngen + 1)) within 60 s (last: $(netctl_gen "$1"))" >&2; return 1; }
	lab_xs_wait 60 "$(lab_be_path "$1" vif 0)/state" 4 ||
		{ echo "netctl_reconnect $1: backend state $(lab_xs_read "$(lab_be_path "$1" vif 0)/state"), not 4, after 60 s; frontend $(lab_xs_read "$(lab_fe_path "$1" vif 0)/state")" >&2; return 1; }
}

# xenwatch_probe NAME: time (ms) dom0's xenwatch takes to serve a new
# backend: a disk hot-plugged to NAME must reach InitWait or Connected at
# its backend (blkback's probe runs from xenwatch). Prints the time, or
# returns 1 if it did not within 40 s. Detaches it again (the guest may
# not answer: each probe uses the next name, xvdh to xvdz).
xenwatch_probe() {
	_xd=$LAB_STATE/$1
	_xk=$(cat "$_xd/probe.n" 2>/dev/null || echo 0)
	[ "$_xk" -lt 19 ] || _xk=0
	echo $((_xk + 1)) >"$_xd/probe.n"
	_xv=xvd$(echo hijklmnopqrstuvwxyz | cut -c$((_xk + 1)))
	truncate -s 16M "$_xd/probe$_xk.img"
	_xl=$(losetup -f --show "$_xd/probe$_xk.img") || return 1
	echo "$_xl" >>"$_xd/loops"
	_xt0=$(date +%s%N)
	timeout 40 xl block-attach "$1" \
		"format=raw,vdev=$_xv,access=rw,script=$LAB_HOTPLUG/block,target=$_xl" >/dev/null 2>&1 &
	_xp=$!
	_xbe=/local/domain/0/backend/vbd/$(lab_guest_domid "$1")/$((51824 + 16 * _xk))/state
	if ! lab_wait 40 sh -c "s=\$(xenstore-read $_xbe 2>/dev/null); [ \"\$s\" = 2 ] || [ \"\$s\" = 4 ]"; then
		kill "$_xp" 2>/dev/null
		return 1
	fi
	_xt1=$(date +%s%N)
	wait "$_xp" 2>/dev/null
	timeout 40 xl block-detach "$1" "$_xv" >/dev/null 2>&1 &
	echo $(( (_xt1 - _xt0) / 1000000 ))
}

# dmesg_count PATTERN: how many lines of dom0's kernel log match.
dmesg_count() { dmesg | grep -c -- "$1"; }
