#!/bin/sh
# lab-selftest: the lab's own negative checks. A PV guest with two disks runs
# blkverify and a TCP stream; dom0 corrupts xvdb behind the guest's back and
# kills its stream server. The guest must report exactly that: verify errors
# on xvdb only, and a lost TCP connection. Also checks lib.sh's bounds, and
# that dom0/after-scenario.sh counts kernel reports (on a made-up log: a
# real report would fail this scenario).
. /ncmig/dom0/lib.sh

tap_plan 15
t0=$(date +%s)
lab_wait 2 false
rc=$?
tap_cmp "$rc" -ne 0 "lab_wait fails on timeout"
tap_cmp $(($(date +%s) - t0)) -le 6 "lab_wait honours its bound"

fake=/run/ncmig-lab/fake-kmsg.log
{
	echo "6,1,1,-;ncmig-lab: scenario probe begin"
	echo "4,2,2,-;WARNING: CPU: 0 PID: 1 at drivers/x.c:1 f+0x0/0x0"
	echo "3,3,3,-;INFO: task xenwatch:42 blocked for more than 20 seconds."
	echo "6,4,4,-;an ordinary line"
} >"$fake"
out=$(NCMIG_KMSG=$fake sh /ncmig/dom0/after-scenario.sh probe | grep '^NCMIG-CHECK' | sed 's/^NCMIG-CHECK/probe-check/')
tap_is "$(echo "$out" | tr ' ' '\n' | sed -n 's/^dmesg_reports=//p')" 2 "after-scenario check counts a WARNING and a hung task"
tap_is "$(echo "$out" | tr ' ' '\n' | sed -n 's/^hung_tasks=//p')" 1 "after-scenario check counts the hung task as one"

lab_netserver_start || tap_diag "netstream server did not start"
domid=$(lab_guest_start selftest --pv --disks 2 --disk-mib 64 \
	--workload "wl_blk 45 --progress 5 & wl_tcp 45; wait")
if [ -n "$domid" ]; then tap_ok "guest with 2 disks created (domid $domid)"; else
	tap_not_ok "guest with 2 disks created"; tap_done; exit 1; fi
tap_is "$(lab_guest_result selftest guest.disks 180)" "xvda,xvdb" "guest sees xvda and xvdb"
for id in 51712 51728; do
	lab_xs_wait 60 "$(lab_be_path selftest vbd $id)/state" 4
	tap_is "$(lab_xs_read "$(lab_be_path selftest vbd $id)/state")" 4 "blkback vbd $id Connected"
done
if lab_guest_result selftest no.such.key 2 >/dev/null; then
	tap_not_ok "lab_guest_result fails on a missing key"; else
	tap_ok "lab_guest_result fails on a missing key"; fi

# Wait until blkverify has written for a while, then strike.
lab_wait 120 grep -q "blkverify: t=10s" "$LAB_CONSOLE_DIR/guest-selftest.log"
loop_b=$(sed -n 2p "$LAB_STATE/selftest/loops")
dd if=/dev/urandom of="$loop_b" bs=1M count=32 oflag=direct 2>/dev/null
lab_log "overwrote 32 MiB of xvdb ($loop_b)"
kill -9 "$(cat /run/ncmig-lab/netserver.pid)"
lab_log "killed the stream server"

if lab_guest_wait_done selftest 300; then tap_ok "workload finished"; else
	tap_not_ok "workload finished"; fi
tap_cmp "$(lab_guest_result selftest blk.xvdb.verify_errors 5)" -gt 0 "corruption of xvdb detected"
tap_is "$(lab_guest_result selftest blk.xvda.verify_errors 5)" 0 "xvda stays clean"
tap_is "$(lab_guest_result selftest blk.io_errors 5)" 0 "no I/O errors"
tap_is "$(lab_guest_result selftest tcp.ok 5)" 0 "killed server makes the TCP stream fail"
tap_cmp "$(lab_guest_result selftest tcp.lost_conns 5)" -ge 1 "lost connection counted"

lab_guest_destroy selftest
tap_done
