#!/bin/sh
# net-handover: a PV guest with one 2-queue vif keeps a TCP stream both ways
# and a 100/s UDP ping with dom0 while dom0 hands its netback over
# NET_HANDOVERS times (default 20), every NET_RELOAD_EVERY-th one (default
# 4th: 5 of 20) with xen-netback unloaded and loaded again in between.
#
# Asserted: every handover succeeds; no TCP reset, no lost connection;
# nothing written to the vif's state nodes (xenstore-watch on both: no
# reconnect, no state change the frontend could see); the vif stays on the
# bridge, up, and keeps its netdev (ifindex) across handovers without a
# reload. Reported: lost pings, the largest stream gap, and per handover
# the kernel's blackout and dom0's own 100/s ping loss (median, max).
#
# Ends with: net-handover: handovers=N reloads=N reconnects=N tcp_resets=N
#            lost_pings=N max_gap_ms=N
. /ncmig/dom0/lib.sh

HANDOVERS=${NET_HANDOVERS:-20}
RELOAD_EVERY=${NET_RELOAD_EVERY:-4}
PAUSE=${NET_PAUSE:-1.5}
# Long enough for every handover under TCG; the guest stops on its own.
LOAD=${NET_LOAD_SECONDS:-$((HANDOVERS * 9 + 30))}
OUT=/run/ncmig-lab/net-handover
rm -rf "$OUT"; mkdir -p "$OUT"

# median FILE: the middle value of a column of numbers (0 if none).
median() { sort -n "$1" | awk '{v[NR]=$1} END {print NR ? v[int((NR+1)/2)] : 0}'; }
maxof() { sort -n "$1" | tail -1 | awk '{print $1+0}'; }

tap_plan 16

lab_use_patched_backends || tap_diag "could not load the patched backends"
lab_load_ncmig_modules || tap_diag "could not load the ncmig modules"
tap_run "patched xen-netback with the handover API is loaded" \
	sh -c "grep -q xenvif_ho_attach /proc/kallsyms"

lab_netserver_start || tap_diag "netstream server did not start"
domid=$(lab_guest_start nh --disks 0 --vcpus 2 \
	--workload "wl_tcp $LOAD & wl_ping $LOAD --pps 100 & wait")
if [ -z "$domid" ]; then
	tap_not_ok "guest nh created"; tap_done; exit 1
fi
tap_ok "guest nh created (domid $domid)"
vif=vif$domid.0
ip=$(lab_guest_ip nh)
fe=$(lab_fe_path nh vif 0)
be=$(lab_be_path nh vif 0)
lab_xs_wait 60 "$be/state" 4
lab_xs_wait 60 "$fe/state" 4
tap_is "$(lab_xs_read "$fe/multi-queue-num-queues")" 2 "netfront uses 2 queues"
# Let the stream and the pings start before the first handover.
lab_wait 60 sh -c "ping -c 1 -W 1 $ip >/dev/null"
sleep 3

# Every write to a state node fires its watch; the first event is the
# watch's own registration.
timeout $((LOAD + 120)) xenstore-watch "$fe/state" >"$OUT/fe-state.watch" 2>&1 &
w1=$!
timeout $((LOAD + 120)) xenstore-watch "$be/state" >"$OUT/be-state.watch" 2>&1 &
w2=$!
ifindex0=$(cat /sys/class/net/$vif/ifindex)

ok=0 reloads=0 bridge_bad=0 ifindex_bad=0 i=1
while [ $i -le "$HANDOVERS" ]; do
	reload=
	if [ $((i % RELOAD_EVERY)) -eq 0 ]; then
		reload="--reload-modules --module-dir /ncmig/backends"
	fi
	before=$(cat /sys/class/net/$vif/ifindex 2>/dev/null)
	# dom0's own view of the blackout: a 100/s ping across the handover.
	ping -q -i 0.01 -W 1 -w 6 "$ip" >"$OUT/ping.$i" 2>&1 &
	pp=$!
	sleep 0.5
	# shellcheck disable=SC2086 # $reload is a list of options
	if timeout 60 ncmigd handover --domid "$domid" $reload >"$OUT/ho.$i" 2>&1; then
		ok=$((ok + 1))
		[ -z "$reload" ] || reloads=$((reloads + 1))
	else
		tap_diag "handover $i failed:"; sed 's/^/#   /' "$OUT/ho.$i"
	fi
	wait $pp
	sed -n 's/.*vif 0: .*blackout_ms=\([0-9.]*\).*/\1/p' "$OUT/ho.$i" >>"$OUT/blackout"
	tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$OUT/ping.$i")
	rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$OUT/ping.$i")
	echo $((${tx:-0} - ${rx:-0})) >>"$OUT/loss"
	sed -n 's|^rtt .* = [0-9.]*/[0-9.]*/\([0-9.]*\)/.*|\1|p' "$OUT/ping.$i" >>"$OUT/maxrtt"
	link=$(ip -o link show "$vif" 2>&1)
	case "$link" in
	*"master $LAB_BRIDGE "*"<"*) ;;
	*"<"*UP*">"*"master $LAB_BRIDGE "*) ;;
	*) bridge_bad=$((bridge_bad + 1)); tap_diag "after handover $i: $link" ;;
	esac
	after=$(cat /sys/class/net/$vif/ifindex 2>/dev/null)
	if [ -z "$reload" ] && [ "$before" != "$after" ]; then
		ifindex_bad=$((ifindex_bad + 1))
		tap_diag "handover $i without reload: ifindex $before -> $after"
	fi
	lab_log "handover $i${reload:+ (reload)}: $(grep 'vif 0' "$OUT/ho.$i" | head -1)" \
		"ping loss $(tail -1 "$OUT/loss")"
	sleep "$PAUSE"
	i=$((i + 1))
done

tap_is "$ok" "$HANDOVERS" "all $HANDOVERS handovers succeeded"
tap_cmp "$reloads" -ge $((HANDOVERS / RELOAD_EVERY)) "handovers with a module reload"
tap_is "$bridge_bad" 0 "$vif on $LAB_BRIDGE and up after every handover"
tap_is "$ifindex_bad" 0 "$vif kept its netdev across every handover without reload"
tap_diag "$vif ifindex: $ifindex0 at start, $(cat /sys/class/net/$vif/ifindex) at end"

if lab_guest_wait_done nh $((LOAD + 240)); then
	tap_ok "guest workload finished"
else
	tap_not_ok "guest workload finished"
fi
kill $w1 $w2 2>/dev/null
wait $w1 $w2 2>/dev/null
fe_writes=$(($(wc -l <"$OUT/fe-state.watch") - 1))
be_writes=$(($(wc -l <"$OUT/be-state.watch") - 1))
tap_is "$fe_writes" 0 "no write to the frontend's state node ($fe/state)"
tap_is "$be_writes" 0 "no write to the backend's state node ($be/state)"
tap_is "$(lab_xs_read "$fe/state")/$(lab_xs_read "$be/state")" 4/4 "frontend and backend still Connected"

resets=$(lab_guest_result nh tcp.resets 5)
conns=$(lab_guest_result nh tcp.conns 5)
tap_is "$(lab_guest_result nh tcp.ok 5)" 1 "TCP stream intact both ways (one connection, clean end)"
tap_is "$resets" 0 "no TCP reset"
tap_is "$(lab_guest_result nh tcp.lost_conns 5)" 0 "no TCP connection lost"
tap_cmp "$(lab_guest_result nh udp.recv 5)" -gt 0 "UDP pings answered"
lost=$(lab_guest_result nh udp.lost 5)
gap=$(lab_guest_result nh tcp.max_gap_ms 5)
tap_diag "guest: udp sent=$(lab_guest_result nh udp.sent 5) lost=$lost" \
	"longest_loss_ms=$(lab_guest_result nh udp.longest_loss_ms 5)" \
	"max_rtt_ms=$(lab_guest_result nh udp.max_rtt_ms 5); tcp max_gap_ms=$gap" \
	"rx_bytes=$(lab_guest_result nh tcp.rx_bytes 5)"
lab_netserver_stop | sed 's/^/# dom0 /'

tap_diag "per handover: blackout_ms median $(median "$OUT/blackout") max $(maxof "$OUT/blackout")" \
	"(kernel: quiesce to restored, $(wc -l <"$OUT/blackout") samples)"
tap_diag "per handover: dom0 100/s ping lost median $(median "$OUT/loss") max $(maxof "$OUT/loss");" \
	"max rtt ms median $(median "$OUT/maxrtt") max $(maxof "$OUT/maxrtt")"
tap_diag "ping loss per handover: $(tr '\n' ' ' <"$OUT/loss")"
tap_diag "blackout_ms per handover: $(tr '\n' ' ' <"$OUT/blackout")"

# A reconnect shows as writes to the state nodes, or as a new connection.
reconnects=$((fe_writes + be_writes + ${conns:-1} - 1))
lab_guest_destroy nh
echo "net-handover: handovers=$ok reloads=$reloads reconnects=$reconnects" \
	"tcp_resets=${resets:-0} lost_pings=${lost:-0} max_gap_ms=${gap:-0}"
tap_done
