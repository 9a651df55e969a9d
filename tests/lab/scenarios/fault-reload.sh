#!/bin/sh
# fault-reload (issue 11, item 4, "The reload window has no way back"): a
# handover with a module reload that cannot load the new modules, or whose
# tool dies between the rmmod and the load, must leave the guest served.
# One PV guest, fm: a disk under verified I/O (wl_blk) and a vif (dom0
# pings it). After every case: the disk serves requests again (the wait
# is reported), the guest answers ping, both xen-blkback and xen-netback
# are loaded, no session is left (`ncmigd status`); at the end, 0 I/O and
# 0 verify errors in the guest and no dom0 kernel report. Cases:
#  0. a reload handover onto the payload's modules: succeeds.
#  1. --module-dir with no module in it: refused before any rmmod, the
#     error names the missing file.
#  2. --module-dir whose xen-blkback.ko is not a module: refused before
#     any rmmod, the error names the file.
#  3-5. the tool SIGKILLed (with its process group, as systemd kills a
#     unit) as xen-blkback is unloaded, as xen-netback is unloaded, and
#     0.3 s into the handover: the kernel brings the domain back, loading
#     a backend that is missing itself (request_module, from updates/).
# A measurement of the unfixed code in the same boot: if the payload has
# dom0/before/ (the .ko files and ncmigd of the code before the fix; never
# committed), the cases run first on those, as "# before: " comments; a
# backend they leave unloaded is then loaded by hand (as an operator had
# to) so the next case can run.
# Ends: fault-reload: cases=N survived=N data_errors=N leftovers=N kernel_loads=N max_wait_ms=N
. /ncmig/dom0/lib.sh
. /ncmig/dom0/lib-blk.sh
. /ncmig/dom0/lib-faults.sh
. /ncmig/dom0/lib-reload.sh

if [ -d /ncmig/dom0/before ] && [ -z "${FAULT_MODDIR:-}" ]; then
	lab_log "fault-reload: first on the code in /ncmig/dom0/before"
	FAULT_MODDIR=/ncmig/dom0/before PATH=/ncmig/dom0/before:$PATH \
		sh "$0" 2>&1 | sed 's/^/# before: /'
	lab_guest_destroy fm 2>/dev/null
	reload_uninstall
fi

W=/run/ncmig-lab/fault-reload
rm -rf "$W"; mkdir -p "$W"
MODDIR=${FAULT_MODDIR:-/ncmig/backends}
KLOADS=0 MAXW=0 WAITS=''
summary() {
	echo "# guest waits (disk served again, from ncmigd's exit or the kill): ${WAITS# }"
	echo "fault-reload: cases=$FAULT_CASES survived=$FAULT_SURVIVED data_errors=$FAULT_DATA_ERRORS leftovers=$FAULT_LEFTOVERS kernel_loads=$KLOADS max_wait_ms=$MAXW"
}
fault_mark

if fault_load_modules; then tap_ok "patched backends and ncmig modules loaded ($MODDIR)"; else
	tap_not_ok "patched backends and ncmig modules loaded"; summary; tap_done; exit 1; fi
if reload_install "$MODDIR"; then tap_ok "backends installed under updates/ for modprobe"; else
	tap_not_ok "backends installed under updates/ for modprobe"; fi
tap_diag "modprobe would load: $(modinfo -n xen-blkback 2>&1) $(modinfo -n xen-netback 2>&1)"

dm=$(lab_guest_start fm --disks 1 --workload 'wl_blk 900')
if [ -z "$dm" ]; then tap_not_ok "guest fm started"; summary; tap_done; exit 1; fi
ip=$(lab_guest_ip fm)
lab_xs_wait 60 "$(lab_fe_path fm vbd 51712)/state" 4
lab_xs_wait 60 "$(lab_fe_path fm vif 0)/state" 4
lab_wait 60 ping -c 1 -W 1 "$ip" >/dev/null || tap_diag "fm does not answer ping yet"
sleep 3

# served TAG BEFORE [SECONDS]: the case's end. The disk serves requests
# past BEFORE (fault_reqs) within SECONDS (default 30) and no session is
# left, the guest answers ping, both backends are loaded. A backend left
# unloaded is loaded by hand afterwards (the unfixed code needs it).
served() {
	_ms=$(fault_wait_served "${3:-30}" "$dm" 51712 "$2")
	if [ -n "$_ms" ]; then
		tap_ok "$FAULT_NAME: the disk is served, $_ms ms after"
		[ "$_ms" -gt "$MAXW" ] && MAXW=$_ms
	else
		tap_not_ok "$FAULT_NAME: the disk is served within ${3:-30} s"
		MAXW=99999
	fi
	WAITS="$WAITS $1=${_ms:-never}"
	if reload_loaded; then tap_ok "$FAULT_NAME: xen-blkback and xen-netback loaded"; else
		tap_not_ok "$FAULT_NAME: xen-blkback and xen-netback loaded"
		tap_diag "  loaded: $(lsmod | awk '/^xen_(blk|net)back /{ printf "%s ", $1 }')"
	fi
	if lab_wait 30 ping -c 1 -W 1 "$ip" >/dev/null; then
		tap_ok "$FAULT_NAME: the guest answers ping"
	else
		tap_not_ok "$FAULT_NAME: the guest answers ping within 30 s"
	fi
	if reload_rescue "$MODDIR"; then
		tap_diag "  a backend was left unloaded: loaded by hand (insmod) to go on"
		lab_wait 90 sh -c "! ncmigd status 2>/dev/null | grep -q session" ||
			tap_diag "  a session is still there after the rescue"
	fi
	fault_end
}

# reload_ho OUT DIR: a handover of fm with a reload from DIR, bounded.
reload_ho() {
	timeout 180 ncmigd handover --domid "$dm" --reload-modules --module-dir "$2" >"$W/$1" 2>&1
}

# ---- 0: a reload that works ---------------------------------------------
fault_case "reload onto the payload's modules"
reload_ho ho.ok "$MODDIR"
rc=$?
sed 's/^/#   /' "$W/ho.ok" | tail -4
tap_is "$rc" 0 "$FAULT_NAME: the handover succeeds"
served ok "$(fault_reqs "$dm" 51712)"

# ---- 1: no module file --------------------------------------------------
fault_case "module file missing"
mkdir -p "$W/none"
reload_ho ho.none "$W/none"
rc=$?
before=$(fault_reqs "$dm" 51712)
sed 's/^/#   /' "$W/ho.none"
tap_cmp "$rc" -ne 0 "$FAULT_NAME: the handover fails (rc=$rc)"
grep -q "$W/none/xen-blkback.ko" "$W/ho.none" &&
	tap_ok "$FAULT_NAME: the error names $W/none/xen-blkback.ko" ||
	tap_not_ok "$FAULT_NAME: the error names $W/none/xen-blkback.ko"
served missing "$before"

# ---- 2: a file that is no module ----------------------------------------
fault_case "module file corrupt"
mkdir -p "$W/bad"
head -c 65536 /dev/urandom >"$W/bad/xen-blkback.ko"
cp "$MODDIR/xen-netback.ko" "$W/bad/"
reload_ho ho.bad "$W/bad"
rc=$?
before=$(fault_reqs "$dm" 51712)
sed 's/^/#   /' "$W/ho.bad"
tap_cmp "$rc" -ne 0 "$FAULT_NAME: the handover fails (rc=$rc)"
grep -q "$W/bad/xen-blkback.ko" "$W/ho.bad" &&
	tap_ok "$FAULT_NAME: the error names $W/bad/xen-blkback.ko" ||
	tap_not_ok "$FAULT_NAME: the error names $W/bad/xen-blkback.ko"
served corrupt "$before"

# ---- 3-5: SIGKILL in the window -----------------------------------------
# kill_case TAG HOW: a reload handover in its own process group, killed
# (the whole group) when HOW says: "gone:MODULE" as /sys/module/MODULE
# disappears (the rmmod), "after:SECONDS" that long after it began.
kill_case() {
	fault_case "SIGKILL $1"
	tag=$1.$$	# the before pass's kernel log has the same cases
	before=$(fault_reqs "$dm" 51712)
	setsid ncmigd handover --domid "$dm" --reload-modules --module-dir "$MODDIR" \
		>"$W/ho.$1" 2>&1 &
	hp=$!
	case $2 in
	gone:*)	timeout 60 sh -c "while [ -e /sys/module/${2#gone:} ]; do :; done" ||
			tap_diag "  /sys/module/${2#gone:} never went away" ;;
	after:*) sleep "${2#after:}" ;;
	esac
	echo "ncmig-fault: kill $tag" >/dev/kmsg
	kill -9 "-$hp"	# dash: no "--"; a negative pid is the group
	at=$(lsmod | awk '/^xen_(blk|net)back /{ printf "%s ", $1 }')
	wait $hp 2>/dev/null
	tap_is "$?" 137 "$FAULT_NAME: ncmigd was killed (exit status 137)"
	tap_diag "  loaded right after the kill: ${at:-none}; ncmigd said:"
	sed 's/^/#     /' "$W/ho.$1" | tail -4
	served "$1" "$before" 30
	kms=$(fault_kernel_wait_ms "$tag")
	tap_diag "  the kernel's \"backends running again\": ${kms:-not seen} ms after the kill"
	n=$(dmesg | sed -n "/ncmig-fault: kill $tag/,\$p" | grep -c "not loaded: requesting")
	[ "$n" -gt 0 ] && KLOADS=$((KLOADS + 1))
	dmesg | sed -n "/ncmig-fault: kill $tag/,\$p" | grep "xen_ncmig" | head -6 | sed 's/^/#   dom0: /'
}
kill_case blkback-gone gone:xen_blkback
kill_case netback-gone gone:xen_netback
kill_case at-300ms after:0.3

# ---- the end --------------------------------------------------------------
FAULT_NAME="reload cases (fm)"
lab_guest_stop_wl fm || tap_diag "fm's workload did not stop on request"
if lab_guest_wait_done fm 300; then tap_ok "fm's workload finished"; else
	tap_not_ok "fm's workload finished"; fi
fault_data fm
lab_guest_destroy fm
reload_uninstall
tap_is "$(fault_dmesg_reports)" 0 "no dom0 kernel report since the first case"
summary
tap_done
