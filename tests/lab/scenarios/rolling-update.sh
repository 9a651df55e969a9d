#!/bin/sh
# rolling-update (issue 12 item 3): a rolling update of the backends, with
# no all-guest stop, by `ncmigd roll`.
#
# Two PV guests: ra with two disks under verified I/O, a TCP stream both
# ways and UDP pings with dom0 (wl_all), rb with one disk under verified
# I/O (wl_blk); each has a vif, which dom0 pings 20 times a second.
# Slot a (xen-blkback, xen-netback: drivers vbd, vif) serves them.
#
# 1. `ncmigd roll --module-dir /ncmig/backends` (with the lab's hidden
#    --hold-ms between its batches) loads slot b (xen-blkback-b,
#    xen-netback-b: drivers vbd-b, vif-b) beside slot a, and moves ra,
#    then rb, each with its own plain handover. While it holds after ra:
#    ra's devices are on vbd-b/vif-b, rb's still on vbd/vif, both slots
#    loaded and xen-backend-quiesce prefers slot b; a new guest rc is
#    created then, and its vbd and vif must bind to vbd-b and vif-b.
#    Then roll moves rb, unloads slot a, and exits 0 saying
#    old_unloaded=1. Every guest is served after it (I/O, ping).
#    Then the stop-all reload (`ncmigd update-backends`) still works with
#    slot b running: it reloads xen-blkback-b and xen-netback-b.
# 2. `ncmigd roll` again moves everything back to slot a (the slot the
#    rollout starts from is whichever runs), and unloads slot b.
# At the end: no write to any state node of ra's and rb's devices (no
# reconnect), frontends still Connected, 0 I/O errors and 0 verify errors
# in ra and rb, the TCP stream intact (no reset, no lost connection).
#
# Ends with: rolling-update: devices=N moved=N new_guest_on_new=0|1
#            old_unloaded=0|1 reconnects=N io_errors=N max_blackout_ms=X
# (devices: ra's and rb's; moved: by roll 1; old_unloaded=1: both rolls
# unloaded their old slot; max_blackout_ms: over every device of both)
. /ncmig/dom0/lib.sh
. /ncmig/dom0/lib-rolling.sh
export NCMIG_TIMES=${NCMIG_TIMES:-1}

WL_SECONDS=${ROLL_WL_SECONDS:-600}	# at most: stopped once both rollouts are done
HOLD_MS=${ROLL_HOLD_MS:-120000}	# the lab run took 79 s to create and check rc
W=/run/ncmig-lab/rolling-update
rm -rf "$W"; mkdir -p "$W"
rc_d=
devices=0 moved=0 new_on_new=0 unloaded=0 reconnects=0 io_errors=0 maxbo=0

summary() {
	echo "rolling-update: devices=$devices moved=$moved new_guest_on_new=$new_on_new old_unloaded=$unloaded reconnects=$reconnects io_errors=$io_errors max_blackout_ms=$maxbo"
}
# bail: stop here, leaving dom0 with slot a only for the next scenario.
bail() {
	for g in ra rb rc; do [ -z "$(lab_guest_domid $g)" ] || lab_guest_destroy $g; done
	roll_reset || tap_diag "could not go back to slot a only: $(roll_tables)"
	tap_done; summary; exit 1
}
# on_and_served NAME SUFFIX: every device of NAME on the SUFFIX slot's
# drivers, its disks doing I/O, and it answers ping.
on_and_served() { roll_all_on "$1" "$2" && roll_served "$1"; }

if lab_use_patched_backends; then tap_ok "patched backends (slot a) loaded"; else
	tap_not_ok "patched backends (slot a) loaded"; bail; fi
tap_run "xen-backend-quiesce and xen-ncmig loaded" lab_load_ncmig_modules
tap_run "slot b in the payload" test -f /ncmig/backends/xen-blkback-b.ko -a -f /ncmig/backends/xen-netback-b.ko
tap_is "$(roll_tables)" "vbd=xen_blkback vif=xen_netback" "the core has slot a's tables only"
lab_netserver_start || tap_diag "netstream server did not start"

ra=$(lab_guest_start ra --disks 2 --workload "wl_all $WL_SECONDS")
rb=$(lab_guest_start rb --disks 1 --vcpus 1 --workload "wl_blk $WL_SECONDS")
if [ -n "$ra" ] && [ -n "$rb" ]; then tap_ok "guests ra (d$ra) and rb (d$rb) created"; else
	tap_not_ok "guests ra and rb created"; bail; fi
for g in ra rb; do
	lab_guest_result $g guest.ready 180 >/dev/null || tap_diag "$g never said guest.ready"
	for kind in vbd vif; do
		for v in $(lab_devids $g $kind); do
			fe=$(lab_fe_path $g $kind "$v") be=$(lab_be_path $g $kind "$v")
			lab_xs_wait 60 "$be/state" 4
			lab_xs_wait 60 "$fe/state" 4
			tap_is "$(lab_xs_read "$fe/state")/$(lab_xs_read "$be/state")" 4/4 "$g $kind $v: Connected"
			echo "$fe" >>"$W/fe.paths"
			devices=$((devices + 1))
		done
	done
	roll_watch_states $g "$W"
done
for b in $(roll_busdevs ra) $(roll_busdevs rb); do
	case $b in vbd-*) lab_wait 60 sh -c "[ \$(cat /sys/bus/xen-backend/devices/$b/statistics/wr_req) -gt 0 ]" ;; esac
done
for g in ra rb; do
	tap_run "$g on slot a, served before the rollout" on_and_served $g ""
	roll_ping_start $g "$W"
done

# ---- 1. slot a -> slot b, a guest created halfway --------------------------
timeout 600 ncmigd roll --module-dir /ncmig/backends --hold-ms "$HOLD_MS" \
	>"$W/roll1.out" 2>&1 &
rollpid=$!
if lab_wait 120 grep -q "^roll: d$ra: on " "$W/roll1.out"; then
	tap_ok "roll moved ra (d$ra) first"
	tap_is "$(roll_tables)" "vbd=xen_blkback_b,xen_blkback vif=xen_netback_b,xen_netback" \
		"halfway: both slots registered, slot b preferred"
	tap_run "halfway: ra is on vbd-b/vif-b" roll_all_on ra -b
	tap_run "halfway: rb still on vbd/vif" roll_all_on rb ''
	# Two slots per kind: a third vbd table is refused.
	if insmod /ncmig/modules/xbq-test-badver.ko version=1 2>/dev/null; then
		tap_not_ok "halfway: a third vbd table is refused"; rmmod xbq_test_badver
	else
		tap_run "halfway: a third vbd table is refused" sh -c \
			"dmesg | grep -q 'xbq_test_badver: refused: two other modules serve these handover operations'"
	fi
	tap_run "halfway: ra served" roll_served ra
	tap_run "halfway: rb served" roll_served rb
	t0=$(cut -d' ' -f1 /proc/uptime)
	rc_d=$(lab_guest_start rc --disks 1 --vcpus 1 --memory 256 --workload "wl_blk $WL_SECONDS")
	if [ -n "$rc_d" ]; then
		# Bound as xl created the devices (InitWait), while both slots
		# are loaded; checked again once connected.
		roll_all_on rc -b >"$W/rc.on" 2>&1; on_created=$?
		lab_log "rc's devices at creation: $(for b in $(roll_busdevs rc); do printf '%s:%s ' "$b" "$(roll_drv "$b")"; done)"
		lab_xs_wait 60 "$(lab_be_path rc vbd 51712)/state" 4
		lab_xs_wait 60 "$(lab_be_path rc vif 0)/state" 4
		if [ "$on_created" = 0 ] && roll_all_on rc -b >>"$W/rc.on" 2>&1; then
			tap_ok "new guest rc (d$rc_d) created halfway: its vbd and vif bound to vbd-b and vif-b"
			new_on_new=1
		else
			tap_not_ok "new guest rc (d$rc_d) created halfway: its vbd and vif bound to vbd-b and vif-b"
			sed 's/^/#   /' "$W/rc.on"
		fi
		tap_run "new guest rc served" roll_served rc
		lab_log "rc created and checked in $(awk -v t="$t0" '{ printf "%.1f", $1 - t }' /proc/uptime) s"
		grep -q "^roll: holding" "$W/roll1.out" && ! grep -q "^roll: d$rb: on " "$W/roll1.out" &&
			tap_diag "roll was still holding (rb not moved yet) when rc was checked" ||
			tap_diag "roll went on (rb moved) before rc was checked: ROLL_HOLD_MS too short"
	else
		tap_not_ok "new guest rc created halfway"
	fi
else
	tap_not_ok "roll moved ra (d$ra) first"
fi
if timeout 600 sh -c "while kill -0 $rollpid 2>/dev/null; do sleep 0.5; done"; then
	wait $rollpid; rc1=$?
else
	lab_hang "ncmigd roll did not end in 600 s"; rc1=124
fi
sed 's/^/# roll1: /' "$W/roll1.out"
tap_is "$rc1" 0 "roll 1 (slot a -> b) exits 0"
tap_run "roll 1 says it moved both domains and unloaded slot a" \
	grep -q "^roll: domains=2 moved_domains=2 .* old_unloaded=1 new=xen_blkback_b,xen_netback_b " "$W/roll1.out"
tap_run "slot a unloaded" sh -c "! [ -d /sys/module/xen_blkback ] && ! [ -d /sys/module/xen_netback ]"
tap_is "$(roll_tables)" "vbd=xen_blkback_b vif=xen_netback_b" "the core has slot b's tables only"
for g in ra rb rc; do
	[ -n "$(lab_guest_domid $g)" ] || continue
	tap_run "after roll 1: $g on vbd-b/vif-b and served" on_and_served $g -b
done
m1=$(sed -n 's/^roll: domains=.* devices_moved=\([0-9]*\) .*/\1/p' "$W/roll1.out")
u1=$(grep -c "^roll: domains=.* old_unloaded=1 " "$W/roll1.out")
if [ -n "$rc_d" ]; then
	tap_run "roll 1 never had to move rc (it started on slot b)" sh -c "! grep -q '^roll: d${rc_d}[:,]' $W/roll1.out"
fi
lab_guest_destroy rc

# ---- the stop-all reload on slot b: it replaces the running slot ----------
if timeout 600 ncmigd update-backends --module-dir /ncmig/backends >"$W/stopall.out" 2>&1; then rcs=0; else rcs=$?; fi
sed 's/^/# stop-all: /' "$W/stopall.out"
tap_is "$rcs" 0 "stop-all update-backends on slot b exits 0"
tap_run "it reloaded slot b for both domains" \
	grep -q "^update-backends: domains=2 devices=$devices reload=1 " "$W/stopall.out"
tap_is "$(roll_tables)" "vbd=xen_blkback_b vif=xen_netback_b" "slot b's tables only after the stop-all reload"
for g in ra rb; do
	tap_run "after the stop-all reload: $g on vbd-b/vif-b and served" on_and_served $g -b
done
tap_diag "stop-all reload: $(grep -o 'max_blackout_ms=[0-9.]*' "$W/stopall.out")" \
	"vs roll 1: $(grep -o '^roll: .*max_blackout_ms=[0-9.]*' "$W/roll1.out" | grep -o 'max_blackout_ms=[0-9.]*')"

# ---- 2. and back: slot b -> slot a -----------------------------------------
if timeout 600 ncmigd roll --module-dir /ncmig/backends >"$W/roll2.out" 2>&1; then rc2=0; else rc2=$?; fi
sed 's/^/# roll2: /' "$W/roll2.out"
tap_is "$rc2" 0 "roll 2 (slot b -> a) exits 0"
tap_run "roll 2 unloaded slot b" \
	grep -q "^roll: domains=2 moved_domains=2 .* old_unloaded=1 new=xen_blkback,xen_netback " "$W/roll2.out"
tap_is "$(roll_tables)" "vbd=xen_blkback vif=xen_netback" "the core has slot a's tables only again"
for g in ra rb; do
	tap_run "after roll 2: $g on vbd/vif and served" on_and_served $g ""
done
m2=$(sed -n 's/^roll: domains=.* devices_moved=\([0-9]*\) .*/\1/p' "$W/roll2.out")
u2=$(grep -c "^roll: domains=.* old_unloaded=1 " "$W/roll2.out")
moved=${m1:-0}
[ "${u1:-0}" = 1 ] && [ "${u2:-0}" = 1 ] && unloaded=1
tap_is "$moved" "$devices" "roll 1 moved every device of ra and rb"
tap_is "${m2:-0}" "$devices" "roll 2 moved every device of ra and rb back"

# Per-device blackouts, from the handover lines of both rolls.
cat "$W/roll1.out" "$W/roll2.out" | sed -n 's/^d[0-9]* v[bi][df] [0-9]*: .*blackout_ms=\([0-9.]*\).*/\1/p' >"$W/blackouts"
maxbo=$(sort -n "$W/blackouts" | tail -1)
maxbo=${maxbo:-0}
tap_diag "per-device blackout_ms: $(tr '\n' ' ' <"$W/blackouts")"
for g in ra rb; do
	tap_diag "dom0 pings to $g (sent lost): $(roll_ping_stop $g "$W")"
done

# ---- the guests saw nothing but the blackouts --------------------------------
reconnects=$(roll_state_writes "$W")
tap_is "$reconnects" 0 "no write to any state node of ra's and rb's devices (no reconnect)"
while read -r fe; do
	tap_is "$(lab_xs_read "$fe/state")" 4 "$fe still Connected"
done <"$W/fe.paths"
for g in ra rb; do
	lab_guest_stop_wl $g || tap_diag "$g: its workload did not say it stopped"
done
for g in ra rb; do
	lab_guest_wait_done $g 300 || tap_diag "$g: workload not finished"
	e=$(lab_guest_result $g blk.io_errors 5) v=$(lab_guest_result $g blk.verify_errors 5)
	tap_is "${e:-missing}" 0 "$g: 0 I/O errors"
	tap_is "${v:-missing}" 0 "$g: 0 verify errors"
	io_errors=$((io_errors + ${e:-1} + ${v:-1}))
	tap_diag "$g blk: ops=$(lab_guest_result $g blk.ops 5) max_lat_ms=$(lab_guest_result $g blk.max_lat_ms 5)"
done
tap_is "$(lab_guest_result ra tcp.ok 5)" 1 "ra: TCP stream intact both ways"
tap_is "$(lab_guest_result ra tcp.resets 5)" 0 "ra: no TCP reset"
tap_is "$(lab_guest_result ra tcp.lost_conns 5)" 0 "ra: no TCP connection lost"
tap_diag "ra: udp sent=$(lab_guest_result ra udp.sent 5) lost=$(lab_guest_result ra udp.lost 5)" \
	"longest_loss_ms=$(lab_guest_result ra udp.longest_loss_ms 5); tcp max_gap_ms=$(lab_guest_result ra tcp.max_gap_ms 5)"
conns=$(lab_guest_result ra tcp.conns 5)
reconnects=$((reconnects + ${conns:-1} - 1))
lab_netserver_stop | sed 's/^/# dom0 /'

lab_guest_destroy ra
lab_guest_destroy rb
tap_run "back to slot a only" roll_reset
tap_done
rc=$?
summary
exit $rc
