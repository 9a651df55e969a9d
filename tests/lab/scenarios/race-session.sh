#!/bin/sh
# race-session: every handover session ends (issue 9, M3; issue 11 §4).
#
#  1. park fallback: a handover held after RELEASE (--pause-after
#     release); the vbd is bound again by hand with park_timeout_ms=1000,
#     so blkback falls back to a normal reconnect; the daemon is killed
#     (SIGKILL). The watchdog's attach is refused ("not parked"): the
#     session must end within 10 s (the device reconnected on its own),
#     the guest's disk works, and a new handover succeeds (no -EALREADY);
#  2. a domain destroyed while its session is released and held, then the
#     daemon killed: the ownerless session must end within 10 s.
# Ends `race-session: cases=N ended=N`.
. /ncmig/dom0/lib.sh
. /ncmig/dom0/lib-blk.sh

W=/run/ncmig-lab/race-session
rm -rf "$W"; mkdir -p "$W"
cases=0 ended=0
PARK=/sys/module/xen_blkback/parameters/park_timeout_ms

if lab_use_patched_backends; then tap_ok "patched xen-blkback loaded"; else
	tap_not_ok "patched xen-blkback loaded"; tap_done; exit 1; fi
tap_run "xen-backend-quiesce and xen-ncmig loaded" lab_load_ncmig_modules

nsess() { blk_bounded 10 ncmigd status | grep -cE "^d$1 session:"; }
# ends DOMID WHAT: the session of DOMID must be gone within 10 s.
ends() {
	cases=$((cases + 1))
	_n=0
	while [ "$(nsess "$1")" != 0 ] && [ $_n -lt 50 ]; do sleep 0.2; _n=$((_n + 1)); done
	if [ "$(nsess "$1")" = 0 ]; then
		ended=$((ended + 1)); tap_ok "$2: the session ended ($((_n * 200)) ms)"
	else
		tap_not_ok "$2: the session ended within 10 s"
		blk_bounded 10 ncmigd status | sed 's/^/#   /'
	fi
}

# 1. Park fallback while released.
domid=$(lab_guest_start rs1 --disks 1 --vcpus 2 --no-vif --workload "wl_blk 120")
lab_guest_result rs1 guest.ready 180 >/dev/null
fe=$(lab_fe_path rs1 vbd 51712)
lab_xs_wait 60 "$fe/state" 4
st=/sys/bus/xen-backend/devices/vbd-$domid-51712/statistics
lab_wait 60 sh -c "[ \$(cat $st/wr_req) -gt 20 ]"
old_park=$(cat $PARK)
ncmigd handover --domid "$domid" --pause-after release >"$W/held1" 2>&1 &
held=$!
lab_wait 60 grep -q "paused after release" "$W/held1"
tap_run "released, the daemon holding" grep -q "paused after release" "$W/held1"
echo 1000 >$PARK
echo "vbd-$domid-51712" >/sys/bus/xen-backend/drivers/vbd/bind
lab_wait 30 sh -c "dmesg | grep -q 'no handover within 1000 ms'"
tap_run "blkback fell back to a reconnect" sh -c "dmesg | grep -q 'no handover within 1000 ms'"
echo "$old_park" >$PARK
kill -9 $held; wait $held 2>/dev/null
ends "$domid" "park fallback, daemon killed"
blk_bounded 10 ncmigd status | sed 's/^/#   /'
dmesg | grep -E "left the handover|not parked" | tail -3 | sed 's/^/#   /'
lab_xs_wait 60 "$fe/state" 4
tap_is "$(lab_xs_read "$fe/state")" 4 "the frontend is Connected again"
if timeout 120 ncmigd handover --domid "$domid" >"$W/ho2" 2>&1; then
	tap_ok "a new handover succeeds"
else
	tap_not_ok "a new handover succeeds"; sed 's/^/#   /' "$W/ho2" | tail -3
fi
if lab_guest_wait_done rs1 300; then tap_ok "rs1's workload finished"; else
	tap_not_ok "rs1's workload finished"; fi
tap_is "$(lab_guest_result rs1 blk.verify_errors 5)" 0 "0 verify errors"
lab_guest_destroy rs1

# 2. Destroyed while released and held.
domid=$(lab_guest_start rs2 --disks 1 --vcpus 2 --no-vif --workload "wl_blk 600")
lab_guest_result rs2 guest.ready 180 >/dev/null
lab_xs_wait 60 "$(lab_fe_path rs2 vbd 51712)/state" 4
ncmigd handover --domid "$domid" --pause-after release >"$W/held2" 2>&1 &
held=$!
lab_wait 60 grep -q "paused after release" "$W/held2"
tap_run "released, the daemon holding" grep -q "paused after release" "$W/held2"
timeout 60 xl destroy rs2 >/dev/null 2>&1
kill -9 $held; wait $held 2>/dev/null
ends "$domid" "domain destroyed while released, daemon killed"
dmesg | grep -E "left the handover|no device left|no driver bound" | tail -3 | sed 's/^/#   /'
lab_guest_destroy rs2

echo "race-session: cases=$cases ended=$ended"
tap_done
