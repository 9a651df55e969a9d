#!/bin/sh
# net-baseline: what Linux 6.1 does without ncmig, for comparison with
# net-handover. Debian's stock xen-netback; a PV guest with one 2-queue vif
# keeps a TCP stream and a 100/s UDP ping with dom0 while dom0 unbinds and
# rebinds netback NET_CYCLES times (default 5), doing by hand the hotplug
# step nothing else would redo (vif back on the bridge, up).
#
# Reported, not asserted: the frontend's and backend's state-node writes
# (the reconnects), TCP resets, lost pings, the largest stream gap, and
# dom0's own 100/s ping loss per cycle (median, max). Asserted: the stock
# driver rebinds and the guest's vif works again after every cycle.
#
# Ends with: net-baseline: cycles=N reconnects=N tcp_resets=N lost_pings=N
#            max_gap_ms=N
. /ncmig/dom0/lib.sh
lab_kernel_reports_expected "Linux's plain rebind under load (the evidence this baseline collects)"

CYCLES=${NET_CYCLES:-5}
LOAD=${NET_LOAD_SECONDS:-$((CYCLES * 20 + 60))}
OUT=/run/ncmig-lab/net-baseline
rm -rf "$OUT"; mkdir -p "$OUT"
median() { sort -n "$1" | awk '{v[NR]=$1} END {print NR ? v[int((NR+1)/2)] : 0}'; }
maxof() { sort -n "$1" | tail -1 | awk '{print $1+0}'; }

lab_use_stock_backends || tap_diag "could not load the stock backends"
tap_run "stock xen-netback (no handover API) is loaded" \
	sh -c "lsmod | grep -q '^xen_netback ' && ! grep -q xenvif_ho_attach /proc/kallsyms"

lab_netserver_start || tap_diag "netstream server did not start"
domid=$(lab_guest_start nb --disks 0 --vcpus 2 \
	--workload "wl_tcp $LOAD & wl_ping $LOAD --pps 100 & wait")
if [ -z "$domid" ]; then
	tap_not_ok "guest nb created"; tap_done; exit 1
fi
tap_ok "guest nb created (domid $domid)"
vif=vif$domid.0
dev=vif-$domid-0
ip=$(lab_guest_ip nb)
fe=$(lab_fe_path nb vif 0)
be=$(lab_be_path nb vif 0)
lab_xs_wait 60 "$be/state" 4
lab_wait 60 sh -c "ping -c 1 -W 1 $ip >/dev/null"
sleep 3

timeout $((LOAD + 120)) xenstore-watch "$fe/state" >"$OUT/fe.watch" 2>&1 &
w1=$!
timeout $((LOAD + 120)) xenstore-watch "$be/state" >"$OUT/be.watch" 2>&1 &
w2=$!

drv=/sys/bus/xen-backend/drivers/vif
back=0 i=1
while [ $i -le "$CYCLES" ]; do
	ping -q -i 0.01 -W 1 -w 8 "$ip" >"$OUT/ping.$i" 2>&1 &
	pp=$!
	sleep 0.5
	echo "$dev" >"$drv/unbind"
	sleep 0.5
	echo "$dev" >"$drv/bind"
	# The hotplug step: a new vifD.N, down and outside the bridge.
	lab_wait 10 test -e /sys/class/net/$vif &&
		ip link set "$vif" master "$LAB_BRIDGE" && ip link set "$vif" up
	lab_xs_write "$be/hotplug-status" connected
	lab_xs_wait 30 "$be/state" 4 && back=$((back + 1))
	wait $pp
	tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$OUT/ping.$i")
	rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$OUT/ping.$i")
	echo $((${tx:-0} - ${rx:-0})) >>"$OUT/loss"
	lab_log "cycle $i: dom0 ping lost $(tail -1 "$OUT/loss")/${tx:-0}"
	sleep 1.5
	i=$((i + 1))
done
tap_is "$back" "$CYCLES" "backend Connected again after every rebind"

if lab_guest_wait_done nb $((LOAD + 240)); then
	tap_ok "guest workload finished"
else
	tap_not_ok "guest workload finished"
fi
kill $w1 $w2 2>/dev/null
wait $w1 $w2 2>/dev/null
writes=$(($(wc -l <"$OUT/fe.watch") + $(wc -l <"$OUT/be.watch") - 2))
resets=$(lab_guest_result nb tcp.resets 5)
conns=$(lab_guest_result nb tcp.conns 5)
lost=$(lab_guest_result nb udp.lost 5)
gap=$(lab_guest_result nb tcp.max_gap_ms 5)
tap_diag "state-node writes seen: $writes (frontend $(($(wc -l <"$OUT/fe.watch") - 1)), backend $(($(wc -l <"$OUT/be.watch") - 1)))"
tap_diag "guest: tcp ok=$(lab_guest_result nb tcp.ok 5) resets=$resets conns=$conns max_gap_ms=$gap;" \
	"udp sent=$(lab_guest_result nb udp.sent 5) lost=$lost longest_loss_ms=$(lab_guest_result nb udp.longest_loss_ms 5)"
tap_diag "per cycle: dom0 pings lost median $(median "$OUT/loss") max $(maxof "$OUT/loss")" \
	"($(tr '\n' ' ' <"$OUT/loss"))"
lab_netserver_stop | sed 's/^/# dom0 /'
lab_guest_destroy nb
lab_use_patched_backends 2>/dev/null || true

summary="net-baseline: cycles=$CYCLES reconnects=$writes tcp_resets=${resets:-0} lost_pings=${lost:-0} max_gap_ms=${gap:-0}"
tap_done
rc=$?
# The last line, after the TAP plan.
echo "$summary"
exit $rc
