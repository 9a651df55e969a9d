#!/bin/sh
# race-parallel: one domain's slow drain must not hold up another
# domain's handover (issue 12, item 2).
#
# Guest "slow" has a disk on /dev/nbd0, served by dom0/slow-nbd.py, under
# verified I/O (32 threads). Guest "other" has one ordinary disk under
# verified I/O. Baseline: the wall time of `ncmigd handover --domid
# OTHER` (its own netlink socket, its own session). Then the nbd server
# holds each request 300 ms, requests pile up, and `ncmigd quiesce
# --domid SLOW --timeout-ms 30000 --hold-s 1` drains "slow"; one second
# into that drain "other" is handed over again.
#
# Asserted: slow's drain lasted >= 3 s (the race is real); other's
# handover during it exits 0 and takes less than its baseline + 2 s, and
# it ended while slow was still draining (waited=0); both guests end with
# 0 I/O and 0 verify errors. On a build where one lock serialises every
# session, other's QUIESCE waits for slow's whole drain (waited=1).
#
# Ends `race-parallel: domains=2 slow_drain_ms=N other_blackout_ms=N
# other_base_ms=N other_during_ms=N waited=0|1`.
. /ncmig/dom0/lib.sh
. /ncmig/dom0/lib-blk.sh

W=/run/ncmig-lab/race-parallel
rm -rf "$W"; mkdir -p "$W"
echo 0 >"$W/delay"
drain='' blk='' base='' during='' waited=''

summary() {
	echo "race-parallel: domains=2 slow_drain_ms=${drain:-0} other_blackout_ms=${blk:-0} other_base_ms=${base:-0} other_during_ms=${during:-0} waited=${waited:-1}"
}

if lab_use_patched_backends; then tap_ok "patched xen-blkback loaded"; else
	tap_not_ok "patched xen-blkback loaded"; tap_done; summary; exit 1; fi
tap_run "xen-backend-quiesce and xen-ncmig loaded" lab_load_ncmig_modules
modprobe nbd nbds_max=2 2>/dev/null
mkdir -p "$LAB_STATE/nbd"
python3 /ncmig/dom0/slow-nbd.py /dev/nbd0 "$LAB_STATE/nbd/disk.img" 128 "$W/delay" \
	>"$W/nbd.log" 2>&1 &
nbd=$!
lab_wait 20 sh -c '[ "$(cat /sys/block/nbd0/size 2>/dev/null)" -gt 0 ]'
tap_cmp "$(cat /sys/block/nbd0/size 2>/dev/null)" -gt 0 "slow nbd device up"

sdom=$(lab_guest_start slow --disks 0 --vcpus 2 --no-vif \
	--workload 'n=0; while [ ! -e /sys/block/xvda ] && [ $n -lt 120 ]; do sleep 1; n=$((n + 1)); done; wl_blk 600 --threads 32')
odom=$(lab_guest_start other --disks 1 --vcpus 1 --no-vif --workload 'wl_blk 600')
if [ -n "$sdom" ] && [ -n "$odom" ]; then tap_ok "guests slow ($sdom) and other ($odom) created"; else
	tap_not_ok "guests created"; tap_done; summary; exit 1; fi
lab_guest_result slow guest.ready 180 >/dev/null
lab_guest_result other guest.ready 180 >/dev/null
timeout 60 xl block-attach slow "format=raw,vdev=xvda,access=rw,script=$LAB_HOTPLUG/block,target=/dev/nbd0" \
	>/dev/null 2>&1
sfe=/local/domain/$sdom/device/vbd/51712
lab_xs_wait 60 "$sfe/state" 4
tap_is "$(lab_xs_read "$sfe/state")" 4 "slow's nbd disk Connected"
lab_wait 60 sh -c "[ \$(cat /sys/bus/xen-backend/devices/vbd-$sdom-51712/statistics/wr_req) -gt 50 ]"
lab_wait 60 sh -c "[ \$(cat /sys/bus/xen-backend/devices/vbd-$odom-51712/statistics/wr_req) -gt 0 ]"

# handover_ms OUT: hand "other" over; ms it took (empty if it failed).
handover_ms() {
	_t0=$(blk_now_ms)
	if timeout 120 ncmigd handover --domid "$odom" >"$1" 2>&1; then
		echo $(( $(blk_now_ms) - _t0 ))
	fi
}

base=$(handover_ms "$W/base")
sed 's/^/#   base: /' "$W/base"
tap_cmp "${base:-0}" -gt 0 "baseline handover of other (d$odom) exits 0"

# Slow the disk down and let requests pile up.
echo 300 >"$W/delay"
sleep 3
inflight=$(awk '{ print $1 + $2 }' /sys/block/nbd0/inflight 2>/dev/null)
# None in flight (the disk never connected): the case fails below, not here.
[ "${inflight:-0}" -gt 0 ] 2>/dev/null || inflight=1
# A drain of about 6 s whatever piled up: trixie's guest kept 3 requests
# in flight (1.2 s at 300 ms each), bookworm's about 50 (15 s).
per=$((6000 / ${inflight:-1}))
[ "$per" -ge 300 ] || per=300
[ "$per" -le 3000 ] || per=3000
echo "$per" >"$W/delay"
tap_diag "nbd0 in flight: $inflight; each request held $per ms"
ncmigd quiesce --domid "$sdom" --timeout-ms 30000 --hold-s 1 >"$W/quiesce" 2>&1 &
q=$!
sleep 1
lab_log "slow (d$sdom) draining; handing other (d$odom) over"
during=$(handover_ms "$W/during")
# slow's QUIESCE has not answered yet: other did not wait for its drain.
if grep -q "drain_ms=" "$W/quiesce"; then still=0; else still=1; fi
sed 's/^/#   during: /' "$W/during"
if blk_wait_pid 90 $q; then
	wait $q; qrc=$?
else
	lab_hang "slow's quiesce still running after 90 s"; kill -9 $q 2>/dev/null; qrc=124
fi
echo 0 >"$W/delay"
sed 's/^/#   slow: /' "$W/quiesce" | tail -3
drain=$(sed -n 's/.*drain_ms=\([0-9]*\).*/\1/p' "$W/quiesce" | head -1)
blk=$(sed -n "s/^d$odom vbd [0-9]*: .*blackout_ms=\([0-9]*\).*/\1/p" "$W/during" | head -1)
waited=1
if [ -n "$during" ] && [ -n "$base" ] && [ "$during" -lt $((base + 2000)) ] &&
	[ "$still" = 1 ]; then waited=0; fi
tap_diag "slow drain ${drain} ms (quiesce rc=$qrc); other's handover: baseline ${base} ms, during the drain ${during} ms (blackout ${blk} ms), slow still draining when it ended: $still"
tap_is "$qrc" 0 "slow's quiesce (held 1 s, resumed) exits 0"
tap_cmp "${drain:-0}" -ge 3000 "slow's drain was slow"
tap_cmp "${during:-0}" -gt 0 "other's handover during slow's drain exits 0"
tap_is "$waited" 0 "other's handover did not wait for slow's drain (${during} ms, baseline ${base} ms)"
tap_is "$(lab_xs_read "$sfe/state")" 4 "slow's frontend still Connected"
tap_is "$(lab_xs_read "/local/domain/$odom/device/vbd/51712/state")" 4 "other's frontend still Connected"

for g in slow other; do
	lab_guest_stop_wl $g || tap_diag "$g: no answer to the stop"
	if lab_guest_wait_done $g 300; then tap_ok "$g's workload finished"; else
		tap_not_ok "$g's workload finished"; fi
	tap_is "$(lab_guest_result $g blk.io_errors 5)" 0 "0 I/O errors in $g"
	tap_is "$(lab_guest_result $g blk.verify_errors 5)" 0 "0 verify errors in $g"
done
summary

lab_guest_destroy slow
lab_guest_destroy other
python3 /ncmig/dom0/slow-nbd.py --disconnect /dev/nbd0 2>/dev/null
blk_wait_pid 20 $nbd || kill $nbd 2>/dev/null
tap_done
