#!/bin/sh
# blk-baseline: what Linux's own sysfs unbind/rebind of xen-blkback (the
# stock modules) does under the load blk-handover runs: a PV guest with
# two disks, 2 queues of 4-page rings each, doing verified I/O at QD 16.
# Evidence, not a verdict:
# the numbers (state node writes, errors, latency, time to reconnect) are
# TAP diagnostics; the tests only assert that the experiment ran.
. /ncmig/dom0/lib.sh
lab_kernel_reports_expected "Linux's plain rebind under load (the evidence this baseline collects)"

CYCLES=${BLK_BASELINE_CYCLES:-10}
PAUSE=${BLK_BASELINE_PAUSE:-0.5}	# between unbind and bind, as in LAB.md
WL_SECONDS=${BLK_BASELINE_WL_SECONDS:-150}
DISK_MIB=${BLK_DISK_MIB:-128}
RING_ORDER=${BLK_RING_ORDER:-2}	# as blk-handover
NAME=bb
W=/run/ncmig-lab/blk-baseline
DRV=/sys/bus/xen-backend/drivers/vbd
rm -rf "$W"; mkdir -p "$W"

ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
med_max() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (!NR) { print "- -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%d %d\n", m, v[NR] }'
}

tap_run "stock xen-blkback loaded" lab_use_stock_backends
wl="b=\$(dmesg | grep -c -i blkfront); wl_blk $WL_SECONDS;"
wl="$wl wl_result fe.blkfront_lines=\$((\$(dmesg | grep -c -i blkfront) - b))"
domid=$(lab_guest_start $NAME --disks 2 --disk-mib "$DISK_MIB" --vcpus 2 --no-vif --workload "$wl" \
	--cmdline "ncmig.opt.xen-blkfront=max_ring_page_order=$RING_ORDER")
if [ -n "$domid" ]; then tap_ok "guest $NAME created (domid $domid)"; else
	tap_not_ok "guest $NAME created"; tap_done; exit 1; fi
lab_guest_result $NAME guest.ready 180 >/dev/null

devs="51712 51728"
for v in $devs; do
	fe=$(lab_fe_path $NAME vbd $v)
	be=$(lab_be_path $NAME vbd $v)
	lab_xs_wait 60 "$be/state" 4
	tap_is "$(lab_xs_read "$fe/multi-queue-num-queues")" 2 "vbd $v: 2 queues"
	for side in fe be; do
		eval "p=\$$side"
		xenstore-watch "$p/state" >"$W/watch.$side.$v" 2>&1 &
		echo $! >>"$W/watch.pids"
	done
done
lab_wait 60 sh -c "[ \$(cat /sys/bus/xen-backend/devices/vbd-$domid-51712/statistics/wr_req) -gt 0 ]"

i=0 stuck=0
while [ $i -lt "$CYCLES" ]; do
	i=$((i + 1))
	t0=$(ms)
	for v in $devs; do echo "vbd-$domid-$v" >"$DRV/unbind"; done
	t1=$(ms)
	sleep "$PAUSE"
	t2=$(ms)
	for v in $devs; do echo "vbd-$domid-$v" >"$DRV/bind" 2>>"$W/bind.err"; done
	t3=$(ms)
	# Back at Connected: the new instance wrote InitWait, then Connected.
	ok=1
	for v in $devs; do
		lab_wait 30 sh -c "[ -e /sys/bus/xen-backend/devices/vbd-$domid-$v/driver ] && [ \$(xenstore-read $(lab_be_path $NAME vbd $v)/state) = 4 ] && [ -e /sys/bus/xen-backend/devices/vbd-$domid-$v/statistics ]" || ok=0
	done
	t4=$(ms)
	[ $ok = 1 ] || stuck=$((stuck + 1))
	echo $((t1 - t0)) >>"$W/unbind"
	echo $((t3 - t2)) >>"$W/bind"
	echo $((t4 - t2)) >>"$W/reconnect"
	echo $((t4 - t0)) >>"$W/outage"
	grep -q "NCMIG-RESULT.* wl.done=" "$LAB_CONSOLE_DIR/guest-$NAME.log" && break
done
tap_ok "ran $i unbind/rebind cycles (pause ${PAUSE}s)"
tap_diag "evidence: $stuck cycle(s) not back at Connected within 30 s"

guest_done=0
lab_guest_wait_done $NAME $((WL_SECONDS + 300)) && guest_done=1
while read -r p; do kill "$p" 2>/dev/null; done <"$W/watch.pids"
tap_ok "observations collected (guest workload finished: $guest_done)"

writes=0
for v in $devs; do
	for side in fe be; do
		n=$(grep -c state "$W/watch.$side.$v")
		tap_diag "evidence: vbd $v $side state node written $((n - 1)) times in $i cycles"
		writes=$((writes + n - 1))
	done
done
set -- $(med_max "$W/unbind"); tap_diag "evidence: unbind_ms median=$1 max=$2"
set -- $(med_max "$W/bind"); tap_diag "evidence: bind_ms median=$1 max=$2"
set -- $(med_max "$W/reconnect"); tap_diag "evidence: bind to Connected ms median=$1 max=$2"
set -- $(med_max "$W/outage"); tap_diag "evidence: unbind to Connected ms median=$1 max=$2"
tap_diag "evidence: guest io_errors=$(lab_guest_result $NAME blk.io_errors 5) verify_errors=$(lab_guest_result $NAME blk.verify_errors 5) max_lat_ms=$(lab_guest_result $NAME blk.max_lat_ms 5) ops=$(lab_guest_result $NAME blk.ops 5)"
tap_diag "evidence: blkfront lines in the guest's kernel log: $(lab_guest_result $NAME fe.blkfront_lines 5)"
tap_diag "evidence: dom0 kernel: $(dmesg | grep -c 'pending I/O\|xen-blkback.*EBUSY\|WARNING') pending-I/O/warning lines"
[ ! -s "$W/bind.err" ] || tap_diag "evidence: bind errors: $(sort -u "$W/bind.err" | tr '\n' ' ')"
tap_diag "evidence: state node writes in total: $writes"

lab_guest_destroy $NAME
tap_done
