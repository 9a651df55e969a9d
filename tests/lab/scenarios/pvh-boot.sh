#!/bin/sh
# pvh-boot: PVH guests start together, as a new user's scripts do, and must
# boot: PVH_ROUNDS rounds of PVH_GUESTS guests created at once, each with a
# disk and a vif, each running a short verified I/O and ping workload.
# Counts Xen's "Triple fault" reports (xl dmesg) and guests that never got
# ready. Ends with: pvh-boot: guests=N ready=N triple_faults=N crashed=N
. /ncmig/dom0/lib.sh
# Boot faults are what is counted here: none is hidden by a second create.
LAB_GUEST_RETRY=0

ROUNDS=${PVH_ROUNDS:-3}
GUESTS=${PVH_GUESTS:-2}
W=/run/ncmig-lab/pvh-boot
rm -rf "$W"; mkdir -p "$W"
triples() { lab_xen_triple_faults | wc -l; }

lab_netserver_start || tap_diag "netstream server did not start"
t0=$(triples)
total=0 ready=0 crashed=0
r=1
while [ $r -le "$ROUNDS" ]; do
	g=1 pids=
	while [ $g -le "$GUESTS" ]; do
		name=pvh$r$g
		( lab_guest_start "$name" --pvh --disks 1 --disk-mib 64 \
			--ip "169.254.99.$((100 + 10 * r + g))" \
			--workload "wl_blk 10 & wl_ping 10; wait" >"$W/$name.domid" 2>"$W/$name.err" ) &
		pids="$pids $!"
		g=$((g + 1))
	done
	# Not a bare wait: the netstream server is a background job too.
	for p in $pids; do wait "$p"; done
	g=1
	while [ $g -le "$GUESTS" ]; do
		name=pvh$r$g
		total=$((total + 1))
		if [ -s "$W/$name.domid" ] && lab_guest_result "$name" guest.ready 180 >/dev/null &&
			lab_guest_wait_done "$name" 120; then
			ready=$((ready + 1))
		else
			tap_diag "$name: not ready; xl list: $(timeout 20 xl list "$name" 2>&1 | tail -1)"
			sed 's/^/#   /' "$W/$name.err"
			lab_guest_log "$name" | tail -15 | tr -d '\r' | sed 's/^/#   console: /'
		fi
		if timeout 20 xl list "$name" 2>/dev/null | awk 'NR == 2 && $5 ~ /c/ { f = 1 } END { exit !f }'; then
			crashed=$((crashed + 1))
		fi
		g=$((g + 1))
	done
	tap_diag "round $r: $ready of $total ready so far, triple faults so far: $(($(triples) - t0))"
	g=1
	while [ $g -le "$GUESTS" ]; do lab_guest_destroy "pvh$r$g"; g=$((g + 1)); done
	r=$((r + 1))
done
lab_netserver_stop >/dev/null
tf=$(($(triples) - t0))
[ "$tf" = 0 ] || timeout 20 xl dmesg | grep -B3 -A10 "Triple fault" | head -60 | sed 's/^/#   xen: /'
tap_is "$ready" "$total" "every PVH guest booted and ran its workload"
tap_is "$tf" 0 "no PVH guest triple-faulted"
tap_is "$crashed" 0 "no PVH guest crashed"
# A recipe to try: NCMIG_LAB_PVH_CMDLINE (lib.sh), e.g. nox2apic.
tap_diag "PVH guests' added kernel arguments: ${LAB_PVH_CMDLINE:-none}"
echo "pvh-boot: guests=$total ready=$ready triple_faults=$tf crashed=$crashed"
tap_done
