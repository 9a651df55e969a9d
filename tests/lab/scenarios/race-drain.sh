#!/bin/sh
# race-drain: a drain on a slow disk must not stop dom0's xenstore watches
# (issue 9, H3).
#
# Guest "slow" has a disk on /dev/nbd0, served by dom0/slow-nbd.py, under
# verified I/O. Guest "other" has one ordinary disk. Baseline: the time
# for `xl block-attach` of a new disk to "other" until its backend and
# frontend read Connected (the xenwatch thread runs blkback's callbacks).
# Then the nbd server is made to hold each request 300 ms, requests pile
# up, and `ncmigd quiesce --timeout-ms 30000 --hold-s 1` drains "slow". During the
# drain: "slow"'s frontend state node is written (blkback's
# frontend_changed() runs on xenwatch), and another disk is block-attached
# to "other". Asserted: the drain lasted (>= 3 s), the attach during it
# took less than baseline + 3 s, "slow" resumed and its I/O verified.
# Ends `race-drain: drain_ms=N attach_base_ms=N attach_during_ms=N`.
. /ncmig/dom0/lib.sh
. /ncmig/dom0/lib-blk.sh

W=/run/ncmig-lab/race-drain
rm -rf "$W"; mkdir -p "$W"
echo 0 >"$W/delay"

if lab_use_patched_backends; then tap_ok "patched xen-blkback loaded"; else
	tap_not_ok "patched xen-blkback loaded"; tap_done; exit 1; fi
tap_run "xen-backend-quiesce and xen-ncmig loaded" lab_load_ncmig_modules
modprobe nbd nbds_max=2 2>/dev/null
mkdir -p "$LAB_STATE/nbd"
python3 /ncmig/dom0/slow-nbd.py /dev/nbd0 "$LAB_STATE/nbd/disk.img" 128 "$W/delay" \
	>"$W/nbd.log" 2>&1 &
nbd=$!
lab_wait 20 sh -c '[ "$(cat /sys/block/nbd0/size 2>/dev/null)" -gt 0 ]'
tap_cmp "$(cat /sys/block/nbd0/size 2>/dev/null)" -gt 0 "slow nbd device up"

# attach_ms NAME VDEV: block-attach a fresh loop disk; ms until both ends Connected.
attach_ms() {
	_img=$LAB_STATE/$1/extra-$2.img
	truncate -s 16M "$_img"
	_l=$(losetup -f --show "$_img")
	echo "$_l" >>"$LAB_STATE/$1/loops"
	_t0=$(blk_now_ms)
	timeout 60 xl block-attach "$1" "format=raw,vdev=$2,access=rw,script=$LAB_HOTPLUG/block,target=$_l" \
		>/dev/null 2>&1
	_dev=$(timeout 10 xl block-list "$1" 2>/dev/null | awk 'NR > 1 { d = $1 } END { print d }')
	_fe=/local/domain/$(lab_guest_domid "$1")/device/vbd/$_dev
	lab_xs_wait 60 "$_fe/state" 4
	_be=$(lab_xs_read "$_fe/backend")
	lab_xs_wait 60 "$_be/state" 4
	echo $(( $(blk_now_ms) - _t0 ))
}

# "slow": the nbd disk, attached once its PV drivers are up.
sdom=$(lab_guest_start slow --disks 0 --vcpus 2 --no-vif \
	--workload 'n=0; while [ ! -e /sys/block/xvda ] && [ $n -lt 120 ]; do sleep 1; n=$((n + 1)); done; wl_blk 240 --threads 32')
odom=$(lab_guest_start other --disks 1 --vcpus 1 --no-vif --workload 'sleep 600')
if [ -n "$sdom" ] && [ -n "$odom" ]; then tap_ok "guests slow ($sdom) and other ($odom) created"; else
	tap_not_ok "guests created"; tap_done; exit 1; fi
lab_guest_result slow guest.ready 180 >/dev/null
lab_guest_result other guest.ready 180 >/dev/null
timeout 60 xl block-attach slow "format=raw,vdev=xvda,access=rw,script=$LAB_HOTPLUG/block,target=/dev/nbd0" \
	>/dev/null 2>&1
sfe=/local/domain/$sdom/device/vbd/51712
lab_xs_wait 60 "$sfe/state" 4
tap_is "$(lab_xs_read "$sfe/state")" 4 "slow's nbd disk Connected"
st=/sys/bus/xen-backend/devices/vbd-$sdom-51712/statistics
lab_wait 60 sh -c "[ \$(cat $st/wr_req) -gt 50 ]"

base=$(attach_ms other xvdb)
tap_diag "baseline block-attach: ${base} ms"

# Slow the disk down and let requests pile up.
echo 300 >"$W/delay"
sleep 3
inflight=$(cat /sys/block/nbd0/inflight 2>/dev/null | awk '{ print $1 + $2 }')
tap_diag "nbd0 in flight: $inflight"
t0=$(blk_now_ms)
# Held 1 s once drained, then resumed (--hold-s 0 would hold until killed).
ncmigd quiesce --domid "$sdom" --timeout-ms 30000 --hold-s 1 >"$W/quiesce" 2>&1 &
q=$!
sleep 1
# The frontend "writes" its state again: frontend_changed() on xenwatch.
lab_xs_write "$sfe/state" 4
during=$(attach_ms other xvdc)
drain_running=0; kill -0 $q 2>/dev/null && drain_running=1
if blk_wait_pid 90 $q; then
	wait $q; qrc=$?
else
	lab_hang "quiesce still running after 90 s"; kill -9 $q 2>/dev/null; qrc=124
fi
took=$(( $(blk_now_ms) - t0 ))
# The kernel's own measure of the drain (QUIESCE's reply).
drain=$(sed -n 's/.*drain_ms=\([0-9]*\).*/\1/p' "$W/quiesce" | head -1)
echo 0 >"$W/delay"
sed 's/^/#   /' "$W/quiesce" | tail -3
tap_diag "drain: ${drain} ms; quiesce command ${took} ms (rc=$qrc, held 1 s); block-attach during it: ${during} ms, the command still running then: $drain_running"
tap_cmp "${drain:-0}" -ge 3000 "the drain was slow"
tap_cmp "$during" -lt $((base + 3000)) "block-attach to another domain during the drain (baseline ${base} ms)"
tap_is "$(lab_xs_read "$sfe/state")" 4 "slow's frontend still Connected"

if lab_guest_wait_done slow 400; then tap_ok "slow's workload finished"; else
	tap_not_ok "slow's workload finished"; fi
tap_is "$(lab_guest_result slow blk.io_errors 5)" 0 "0 I/O errors on the slow disk"
tap_is "$(lab_guest_result slow blk.verify_errors 5)" 0 "0 verify errors on the slow disk"
echo "race-drain: drain_ms=$drain attach_base_ms=$base attach_during_ms=$during"

lab_guest_destroy slow
lab_guest_destroy other
python3 /ncmig/dom0/slow-nbd.py --disconnect /dev/nbd0 2>/dev/null
blk_wait_pid 20 $nbd || kill $nbd 2>/dev/null
tap_done
