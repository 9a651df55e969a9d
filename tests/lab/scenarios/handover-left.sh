#!/bin/sh
# handover-left (issue 11): a device that leaves a handover before its
# RESTORE must never be reported handed over. In the soak of 2026-12-01 a
# two-guest reload left d2's devices out (judged reconnected while
# parked), RESTORE skipped them and answered like a complete one, and
# `ncmigd handover` printed their blackout and exited 0; their park
# timeouts reconnected them 10 s later.
#
# One PV guest with 3 disks (blkverify on xvda the whole time), one with
# 2 (wl_blk on both), no vif. `ncmigd handover --hold-ms` holds the
# released devices before RESTORE, as a slow module load would:
#  1. closed while released: `xl block-detach` of an idle disk during the
#     hold. RESTORE finds it closed (or gone): ncmigd must name it, say it
#     was not handed over, exit 3, and hand the other disk over;
#  2. reconnected while released: the vbd is bound again by hand with
#     park_timeout_ms=1000, so blkback falls back to a plain reconnect
#     during the hold. RESTORE's attach is refused ("not parked") and the
#     kernel says the device reconnected: ncmigd must name it, exit
#     non-zero, and not retry RESTORE on a session that ended (a retry made
#     a fresh session and called the healthy disk reconnected too).
# Each case first runs, if the payload has one, the ncmigd of the code
# before the fix (dom0/before/ncmigd, never committed, as fault-reload's;
# or HL_BASE) and only reports what it said, against this tree's kernel
# side (an old ncmigd ignores the new LEFT attribute, as it did the skip);
# then this tree's ncmigd, asserted.
# Ends `handover-left: cases=N named=N exit3=N misreports=N base_exit0=N`.
. /ncmig/dom0/lib.sh
. /ncmig/dom0/lib-blk.sh

W=/run/ncmig-lab/handover-left
rm -rf "$W"; mkdir -p "$W"
BASE=${HL_BASE:-/ncmig/dom0/before/ncmigd}
[ -x "$BASE" ] || BASE=
PARK=/sys/module/xen_blkback/parameters/park_timeout_ms
HOLD_MS=${HL_HOLD_MS:-6000}
cases=0 named=0 exit3=0 misreports=0 base_exit0=0

if lab_use_patched_backends; then tap_ok "patched backends loaded"; else
	tap_not_ok "patched backends loaded"; tap_done; exit 1; fi
tap_run "xen-backend-quiesce and xen-ncmig loaded" lab_load_ncmig_modules
if [ -n "$BASE" ]; then tap_diag "baseline ncmigd: $BASE"; else
	tap_diag "no baseline ncmigd in the payload"; fi

# released DOMID DEVID: wait (30 s) until the vbd has no driver.
released() {
	lab_wait 30 sh -c "[ ! -e /sys/bus/xen-backend/devices/vbd-$1-$2/driver ]"
}
kmsg_from() { dmesg | tail -n +$(($1 + 1)); }

# handover_held BIN DOMID OUT: a handover held HOLD_MS after RELEASE, in
# the background; waits until vbd 51712 is released. Sets hp.
handover_held() {
	"$1" handover --domid "$2" --hold-ms "$HOLD_MS" >"$3" 2>&1 &
	hp=$!
	released "$2" 51712 || tap_diag "d$2 vbd 51712 never released"
}
# finish OUT: wait for the held handover; sets hrc.
finish() {
	blk_wait_pid 60 $hp || { lab_hang "ncmigd handover held $HOLD_MS ms"; kill -9 $hp 2>/dev/null; }
	wait $hp
	hrc=$?
	sed 's/^/#   /' "$1"
}

# ---- 1: closed while released ------------------------------------------
dc=$(lab_guest_start hl1 --disks 3 --no-vif --workload 'blkverify --seconds 90 /dev/xvda')
if [ -z "$dc" ]; then tap_not_ok "guest hl1 started"; tap_done; exit 1; fi
tap_ok "guest hl1 started (d$dc, 3 disks)"
lab_xs_wait 60 "$(lab_fe_path hl1 vbd 51744)/state" 4
sleep 5
# one_closed BIN DEV VDEV OUT: the handover; DEV detached while held.
one_closed() {
	from=$(dmesg | wc -l)
	handover_held "$1" "$dc" "$4"
	released "$dc" "$2" || tap_diag "d$dc vbd $2 never released"
	blk_bounded 40 timeout 30 xl block-detach hl1 "$3" >"$4.detach" 2>&1 ||
		tap_diag "xl block-detach hl1 $3 failed: $(cat "$4.detach")"
	finish "$4"
	kmsg_from "$from" | grep -E "d$dc vbd $2|vbd-$dc-$2" | tail -4 | sed 's/^/#   dom0: /'
}
if [ -n "$BASE" ]; then
	one_closed "$BASE" 51744 xvdc "$W/ho1.base"
	tap_diag "baseline: exit $hrc with d$dc vbd 51744 detached during the hold"
	[ "$hrc" != 0 ] || base_exit0=$((base_exit0 + 1))
fi
cases=$((cases + 1))
one_closed ncmigd 51728 xvdb "$W/ho1"
tap_is "$hrc" 3 "closed: ncmigd exits 3 (a device was not handed over)"
[ "$hrc" != 3 ] || exit3=$((exit3 + 1))
if grep -Eq "^ncmigd: d$dc vbd 51728: (closed|gone) \(.*not attached from its snapshot" "$W/ho1"; then
	named=$((named + 1)); tap_ok "closed: d$dc vbd 51728 named, not attached from its snapshot"
else
	tap_not_ok "closed: d$dc vbd 51728 named, not attached from its snapshot"
fi
tap_run "closed: its line says left=" grep -Eq "^d$dc vbd 51728: drain_ms=[0-9.]+ left=(closed|gone) " "$W/ho1"
tap_run "closed: d$dc vbd 51712 handed over" grep -Eq "^d$dc vbd 51712: drain_ms=[0-9.]+ blackout_ms=" "$W/ho1"
# xvda and, unless the baseline's round detached it, xvdc handed over.
kept=1; [ -n "$BASE" ] || kept=2
tap_run "closed: the domain's line counts $kept handed over, 1 left" \
	grep -Eq "^d$dc: handover devices=$kept reload=0 total_ms=[0-9.]+ left=1$" "$W/ho1"
tap_run "closed: the kernel logs it not attached" sh -c \
	"dmesg | grep -Eq 'd$dc vbd 51728: (closed|gone).*not attached from its record'"
e=$(ncmigd status --domid "$dc" 2>/dev/null | grep "^d$dc ended: " | tail -1)
tap_diag "  $e"
case $e in *"end=failed"*) tap_ok "closed: the session ended failed, not restored" ;;
*) tap_not_ok "closed: the session ended failed, not restored" ;; esac
tap_is "$(lab_xs_read "$(lab_fe_path hl1 vbd 51712)/state")/$(lab_xs_read "backend/vbd/$dc/51712/state")" 4/4 \
	"closed: xvda Connected"
if lab_guest_wait_done hl1 240; then tap_ok "hl1's workload finished"; else
	tap_not_ok "hl1's workload finished"; fi
tap_is "$(lab_guest_result hl1 blk.verify_errors 5)/$(lab_guest_result hl1 blk.io_errors 5)" 0/0 \
	"hl1: no verify or I/O error on xvda"
lab_guest_destroy hl1

# ---- 2: reconnected while released --------------------------------------
dr=$(lab_guest_start hl2 --disks 2 --no-vif --workload "wl_blk 90")
if [ -z "$dr" ]; then tap_not_ok "guest hl2 started"; tap_done; exit 1; fi
tap_ok "guest hl2 started (d$dr, 2 disks)"
lab_xs_wait 60 "$(lab_fe_path hl2 vbd 51728)/state" 4
lab_guest_result hl2 guest.ready 120 >/dev/null
sleep 5
old_park=$(cat $PARK)
# one_reconnected BIN OUT: the handover; vbd 51712 falls back while held.
one_reconnected() {
	from=$(dmesg | wc -l)
	handover_held "$1" "$dr" "$2"
	echo 1000 >$PARK
	echo "vbd-$dr-51712" >/sys/bus/xen-backend/drivers/vbd/bind
	lab_wait 10 sh -c "dmesg | tail -n +$((from + 1)) | grep -q 'vbd-$dr-51712: no handover within 1000 ms'" ||
		tap_diag "vbd-$dr-51712 did not fall back"
	echo "$old_park" >$PARK
	finish "$2"
	kmsg_from "$from" | grep -E "d$dr vbd|vbd-$dr-" | tail -6 | sed 's/^/#   dom0: /'
	lab_xs_wait 60 "$(lab_fe_path hl2 vbd 51712)/state" 4
}
if [ -n "$BASE" ]; then
	one_reconnected "$BASE" "$W/ho2.base"
	tap_diag "baseline: exit $hrc after vbd 51712 fell back during the hold"
	[ "$hrc" != 0 ] || base_exit0=$((base_exit0 + 1))
	! grep -q "d$dr vbd 51728: .*\(not parked\|reconnected\)" "$W/ho2.base" ||
		tap_diag "baseline: called the healthy d$dr vbd 51728 refused or reconnected"
fi
cases=$((cases + 1))
one_reconnected ncmigd "$W/ho2"
tap_cmp "$hrc" -ne 0 "reconnected: ncmigd exits non-zero ($hrc)"
if grep -q "d$dr vbd 51712: reconnected by its driver" "$W/ho2"; then
	named=$((named + 1)); tap_ok "reconnected: d$dr vbd 51712 named reconnected by its driver"
else
	tap_not_ok "reconnected: d$dr vbd 51712 named reconnected by its driver"
fi
if grep -q "d$dr vbd 51728: .*\(not parked\|reconnected\)" "$W/ho2"; then
	misreports=$((misreports + 1))
	tap_not_ok "reconnected: the healthy d$dr vbd 51728 not called refused or reconnected"
else
	tap_ok "reconnected: the healthy d$dr vbd 51728 not called refused or reconnected"
fi
tap_run "reconnected: RESTORE not retried on the ended session" grep -q "d$dr: RESTORE not retried" "$W/ho2"
tap_is "$(lab_xs_read "$(lab_fe_path hl2 vbd 51728)/state")/$(lab_xs_read "backend/vbd/$dr/51728/state")" 4/4 \
	"reconnected: xvdb Connected"
tap_is "$(lab_xs_read "$(lab_fe_path hl2 vbd 51712)/state")/$(lab_xs_read "backend/vbd/$dr/51712/state")" 4/4 \
	"reconnected: xvda Connected again (its own reconnect)"
lab_wait 30 sh -c "! ncmigd status 2>/dev/null | grep -q '^d$dr session:'" ||
	tap_diag "d$dr's session still listed"
if lab_guest_wait_done hl2 240; then tap_ok "hl2's workload finished"; else
	tap_not_ok "hl2's workload finished"; fi
tap_is "$(lab_guest_result hl2 blk.verify_errors 5)/$(lab_guest_result hl2 blk.io_errors 5)" 0/0 \
	"hl2: no verify or I/O error"
lab_guest_destroy hl2

echo "handover-left: cases=$cases named=$named exit3=$exit3 misreports=$misreports base_exit0=$base_exit0"
tap_done
