#!/bin/sh
# net-handover: a PV guest with two vifs. On vif 0 (2 queues, netfront) it
# keeps a TCP stream both ways and a 100/s UDP ping with dom0; vif 1 is
# driven by the guest's test module xen-netctl, which connects it with 2
# queues and programs a Toeplitz hash configuration (a mapping table over
# both queues) over the control ring and a multicast filter through Tx
# extra info, as the Windows PV drivers do and netfront never does.
# Meanwhile dom0 hands the guest's backends over NET_HANDOVERS times
# (default 20), every NET_RELOAD_EVERY-th one (default 4th: 5 of 20) with
# xen-netback unloaded and loaded again in between.
#
# Asserted: every handover succeeds; no TCP reset, no lost connection;
# nothing written to the vif's state nodes (xenstore-watch on both: no
# reconnect, no state change the frontend could see); the vif stays on the
# bridge, up, and keeps its netdev (ifindex) across handovers without a
# reload; netback reports vif 1's hash configuration and multicast filter
# (debugfs: 2 queues, a mapping with non-zero entries) the same after
# every handover as before the first; after every handover dom0 sees
# (anncount: an AF_PACKET capture on every interface) at least one
# gratuitous ARP and one RARP from each vif's MAC, netback's announcement.
# Reported: lost pings, the largest stream gap, and per handover the
# kernel's blackout and dom0's own 100/s ping loss (median, max).
#
# Ends with: net-handover: handovers=N reloads=N reconnects=N tcp_resets=N
#            lost_pings=N max_gap_ms=N
. /ncmig/dom0/lib.sh

HANDOVERS=${NET_HANDOVERS:-20}
RELOAD_EVERY=${NET_RELOAD_EVERY:-4}
PAUSE=${NET_PAUSE:-0.5}
# dom0's ping runs from PING_LEAD s before each handover to PING_TAIL s
# after it returns (interrupted, so a round costs the handover, not a
# fixed window: rounds were 13-21 s under TCG with a 6 s one).
PING_LEAD=${NET_PING_LEAD:-0.5}
PING_TAIL=${NET_PING_TAIL:-1}
# The longest the traffic may run (handovers take about 10 s each under
# TCG, 20 s with a reload); dom0 ends it TAIL_SECONDS after the last one.
LOAD=${NET_LOAD_SECONDS:-$((HANDOVERS * 40 + 120))}
TAIL_SECONDS=${NET_TAIL_SECONDS:-10}
OUT=/run/ncmig-lab/net-handover
rm -rf "$OUT"; mkdir -p "$OUT"

# median FILE: the middle value of a column of numbers (0 if none).
median() { sort -n "$1" | awk '{v[NR]=$1} END {print NR ? v[int((NR+1)/2)] : 0}'; }
maxof() { sort -n "$1" | tail -1 | awk '{print $1+0}'; }

lab_use_patched_backends || tap_diag "could not load the patched backends"
lab_load_ncmig_modules || tap_diag "could not load the ncmig modules"
tap_run "patched xen-netback with the handover API is loaded" \
	sh -c "grep -q xenvif_ho_attach /proc/kallsyms"

lab_netserver_start || tap_diag "netstream server did not start"
# vif 1 is hot-plugged once xen-netctl is loaded and the guest's xenbus no
# longer binds new devices by itself, so that netfront never touches it.
ip=${NET_GUEST_IP:-169.254.99.20}
# NET_GUEST=pv|pvh: the guest's type (default PV, or PVH under run --pvh).
mac=$(printf '00:16:3e:99:%02x' "${ip##*.}")
domid=$(lab_guest_start nh ${NET_GUEST:+--$NET_GUEST} --disks 0 --vcpus 2 --ip "$ip" \
	--workload "insmod /mod/xen-netctl.ko && echo 0 >/sys/bus/xen/drivers_autoprobe && wl_result netctl.armed=1; n=0; while [ ! -e /sys/bus/xen/devices/vif-1 ] && [ \$n -lt 600 ]; do sleep 0.1; n=\$((n+1)); done; echo vif-1 >/sys/bus/xen/drivers/netctl/bind; wl_tcp $LOAD & wl_ping $LOAD --pps 100 & wait")
if [ -z "$domid" ]; then
	tap_not_ok "guest nh created"; tap_done; exit 1
fi
tap_ok "guest nh created (domid $domid, $(lab_guest_type nh))"
vif=vif$domid.0
fe=$(lab_fe_path nh vif 0)
be=$(lab_be_path nh vif 0)
fe1=$(lab_fe_path nh vif 1)
be1=$(lab_be_path nh vif 1)
lab_xs_wait 60 "$be/state" 4
lab_xs_wait 60 "$fe/state" 4
tap_is "$(lab_xs_read "$fe/multi-queue-num-queues")" 2 "netfront uses 2 queues"

# vif 1: what xen-netctl programmed, as netback reports it.
lab_guest_result nh netctl.armed 120 >/dev/null || tap_diag "guest never armed xen-netctl"
lab_vif_attach nh "$mac:01" 2>&1
tap_is "$(lab_guest_result nh netctl.ok 180)" 1 "xen-netctl programmed vif 1's hash and multicast filter"
tap_is "$(lab_guest_result nh netctl.queues 5)/$(lab_xs_read "$fe1/multi-queue-num-queues")" 2/2 \
	"xen-netctl connected vif 1 with 2 queues"
tr -d '\r' <"$LAB_CONSOLE_DIR/guest-nh.log" | grep -a 'netctl\|vif-1' | tail -5 | sed 's/^/#   guest: /'
lab_xs_wait 30 "$be1/state" 4
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
nbdir=/sys/kernel/debug/xen-netback/vif$domid.1
# Its queues (one io_ring_qN per queue), hash configuration and filter.
nb_state() {
	for f in "$nbdir"/io_ring_q*; do [ ! -e "$f" ] || echo "${f##*/}"; done
	cat "$nbdir/ctrl" "$nbdir/mcast" 2>&1
}
nb_state >"$OUT/nb.before"
sed 's/^/#   /' "$OUT/nb.before"
tap_run "netback has vif 1's Toeplitz key and mapping and its 2 groups" sh -c \
	"grep -q TOEPLITZ $OUT/nb.before && grep -q 'Hash Mapping' $OUT/nb.before &&
	 grep -q 'Multicast control: on' $OUT/nb.before &&
	 grep -q 01:00:5e:00:00:fb $OUT/nb.before && grep -q 33:33:00:00:00:01 $OUT/nb.before"
tap_is "$(grep -c '^io_ring_q' "$OUT/nb.before")" 2 "netback's vif 1 has 2 queues"
# Mapping rows read "[   0 -    7]:    0    1 ...": the queues after the ']:'.
tap_cmp "$(sed -n '/Hash Mapping/,$s/^\[.*\]://p' "$OUT/nb.before" | tr -s ' ' '\n' | grep -c '^[1-9]')" \
	-gt 0 "vif 1's hash mapping has non-zero entries"
# Let the stream and the pings start before the first handover.
lab_wait 60 sh -c "ping -c 1 -W 1 $ip >/dev/null"
sleep 3

# Every write to a state node fires its watch; the first event is the
# watch's own registration.
timeout $((LOAD + 120)) xenstore-watch "$fe/state" >"$OUT/fe-state.watch" 2>&1 &
w1=$!
timeout $((LOAD + 120)) xenstore-watch "$be/state" >"$OUT/be-state.watch" 2>&1 &
w2=$!
timeout $((LOAD + 120)) xenstore-watch "$fe1/state" >"$OUT/fe1-state.watch" 2>&1 &
w3=$!
timeout $((LOAD + 120)) xenstore-watch "$be1/state" >"$OUT/be1-state.watch" 2>&1 &
w4=$!
ifindex0=$(cat /sys/class/net/$vif/ifindex)

# The guest's MACs, which netback announces after every attach.
mac0=$(printf '00:16:3e:99:%02x:00' "${ip##*.}")
mac1=$mac:01
ok=0 reloads=0 bridge_bad=0 ifindex_bad=0 nb_bad=0 failed_row=0 i=1
ann_bad0=0 ann_bad1=0
: >"$OUT/rounds"
# Each round only records (its files in $OUT, named by the round): what
# it found is worked out in analyse_round once the traffic has stopped.
# Under TCG every fork in a loaded dom0 costs ~0.5 s, and the checks in
# the loop made a round's after-handover part 10-16 s of its ~25.
while [ $i -le "$HANDOVERS" ]; do
	reload=
	if [ $((i % RELOAD_EVERY)) -eq 0 ]; then
		reload="--reload-modules --module-dir /ncmig/backends"
	fi
	read -r t_round _ </proc/uptime
	read -r before </sys/class/net/$vif/ifindex 2>/dev/null || before=
	# dom0's own view of the blackout: a 100/s ping across the handover
	# (-w: the bound if the interrupt below were lost).
	ping -q -i 0.01 -W 1 -w 90 "$ip" >"$OUT/ping.$i" 2>&1 &
	pp=$!
	# The announcements: captured on every interface (vif, bridge).
	anncount "$mac0" "$mac1" >"$OUT/ann.$i" 2>&1 &
	ap=$!
	lab_wait 10 grep -q '^ready' "$OUT/ann.$i" || tap_diag "anncount $i not ready"
	sleep "$PING_LEAD"
	read -r t_ho _ </proc/uptime
	# shellcheck disable=SC2086 # $reload is a list of options
	if timeout -k 5 60 ncmigd handover --domid "$domid" $reload >"$OUT/ho.$i" 2>&1; then
		ok=$((ok + 1)) failed_row=0
		[ -z "$reload" ] || reloads=$((reloads + 1))
	else
		tap_diag "handover $i failed:"; sed 's/^/#   /' "$OUT/ho.$i"
		failed_row=$((failed_row + 1))
	fi
	read -r t_hoend _ </proc/uptime
	# ping prints its counts when interrupted.
	sleep "$PING_TAIL"
	kill -INT $pp 2>/dev/null
	wait $pp
	# netback queued them on the netdev at the resume: long seen by now.
	kill -TERM $ap 2>/dev/null; wait $ap
	ip -o link show "$vif" >"$OUT/link.$i" 2>&1
	nb_state >"$OUT/nb.$i"
	read -r after </sys/class/net/$vif/ifindex 2>/dev/null || after=
	read -r t_end _ </proc/uptime
	echo "$i ${reload:+reload} ${before:--} ${after:--} $t_round $t_ho $t_hoend $t_end" >>"$OUT/rounds"
	echo "# [$t_end] handover $i${reload:+ (reload)} returned"
	if [ "$failed_row" -ge 3 ]; then
		tap_diag "3 handovers in a row failed: stopping"
		break
	fi
	sleep "$PAUSE"
	i=$((i + 1))
done

# analyse_round I RELOAD BEFORE AFTER T_ROUND T_HO T_HOEND T_END: round I's
# records checked and summed, as the loop did them before.
analyse_round() {
	_i=$1 reload=$2 before=$3 after=$4
	for v in 0 1; do
		m=$mac0; [ "$v" = 0 ] || m=$mac1
		g=$(grep -c "^garp $m " "$OUT/ann.$_i")
		r=$(grep -c "^rarp $m " "$OUT/ann.$_i")
		if [ "$g" -lt 1 ] || [ "$r" -lt 1 ]; then
			eval "ann_bad$v=\$((ann_bad$v + 1))"
			tap_diag "after handover $_i vif $v ($m): $g gratuitous ARP, $r RARP seen"
		fi
		echo "$g $r" >>"$OUT/ann.count$v"
	done
	kind=plain; [ -z "$reload" ] || kind=reload
	sed -n 's/.*vif 0: .*blackout_ms=\([0-9.]*\).*/\1/p' "$OUT/ho.$_i" |
		tee -a "$OUT/blackout" >>"$OUT/blackout.$kind"
	tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$OUT/ping.$_i")
	rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$OUT/ping.$_i")
	echo $((${tx:-0} - ${rx:-0})) | tee -a "$OUT/loss" >>"$OUT/loss.$kind"
	sed -n 's|^rtt .* = [0-9.]*/[0-9.]*/\([0-9.]*\)/.*|\1|p' "$OUT/ping.$_i" >>"$OUT/maxrtt"
	link=$(cat "$OUT/link.$_i")
	case "$link" in
	*"master $LAB_BRIDGE "*"<"*) ;;
	*"<"*UP*">"*"master $LAB_BRIDGE "*) ;;
	*) bridge_bad=$((bridge_bad + 1)); tap_diag "after handover $_i: $link" ;;
	esac
	if ! cmp -s "$OUT/nb.$_i" "$OUT/nb.before"; then
		nb_bad=$((nb_bad + 1))
		tap_diag "after handover $_i netback reports for vif 1:"
		diff "$OUT/nb.before" "$OUT/nb.$_i" | sed 's/^/#   /'
	fi
	if [ -z "$reload" ] && [ "$before" != "$after" ]; then
		ifindex_bad=$((ifindex_bad + 1))
		tap_diag "handover $_i without reload: ifindex $before -> $after"
	fi
	# Where a round's wall time went: setting up, ncmigd, the rest.
	lab_log "handover $_i${reload:+ (reload)}: $(grep 'vif 0' "$OUT/ho.$_i" | head -1)" \
		"$(grep -o 'total_ms=[0-9.]*' "$OUT/ho.$_i")" \
		"dom0 ping lost $(tail -1 "$OUT/loss")/$((${tx:-0}))" \
		"$(echo "$5 $6 $7 $8" |
			awk '{ printf "round_s: setup=%.1f ncmigd=%.1f after=%.1f", $2 - $1, $3 - $2, $4 - $3 }')"
}

wait_s=$((LOAD + 240))
[ "$failed_row" -lt 3 ] || wait_s=5	# gave up: do not wait for the load
sleep "$TAIL_SECONDS"
if lab_guest_stop_wl nh; then tap_ok "dom0 ended the guest's traffic ${TAIL_SECONDS} s after the last handover"
else tap_not_ok "dom0 ended the guest's traffic ${TAIL_SECONDS} s after the last handover"; fi
if lab_guest_wait_done nh "$wait_s"; then
	tap_ok "guest workload finished"
else
	tap_not_ok "guest workload finished"
fi
while read -r r_i r_rest; do
	case $r_rest in reload\ *) r_reload=reload; r_rest=${r_rest#reload } ;; *) r_reload= ;; esac
	# shellcheck disable=SC2086 # the round's fields, one word each
	analyse_round "$r_i" "$r_reload" $r_rest
done <"$OUT/rounds"
tap_is "$ok" "$HANDOVERS" "all $HANDOVERS handovers succeeded"
tap_cmp "$reloads" -ge $((HANDOVERS / RELOAD_EVERY)) "handovers with a module reload"
tap_is "$bridge_bad" 0 "$vif on $LAB_BRIDGE and up after every handover"
tap_is "$ifindex_bad" 0 "$vif kept its netdev across every handover without reload"
tap_diag "$vif ifindex: $ifindex0 at start, $(cat /sys/class/net/$vif/ifindex) at end"
tap_is "$nb_bad" 0 "netback reports vif 1's queues, hash configuration and multicast filter unchanged after every handover"
tap_is "$ann_bad0" 0 "gratuitous ARP and RARP from vif 0's MAC ($mac0) seen after every handover"
tap_is "$ann_bad1" 0 "gratuitous ARP and RARP from vif 1's MAC ($mac1) seen after every handover"
tap_diag "announcements seen per handover (garp rarp, all interfaces): vif 0: $(tr '\n' ',' <"$OUT/ann.count0")" \
	"vif 1: $(tr '\n' ',' <"$OUT/ann.count1")"
tap_diag "handover 1's capture: $(grep -v '^ready' "$OUT/ann.1" 2>/dev/null | sort | uniq -c | tr -s ' \n' ' ')"

kill $w1 $w2 $w3 $w4 2>/dev/null
wait $w1 $w2 $w3 $w4 2>/dev/null
fe_writes=$(($(wc -l <"$OUT/fe-state.watch") - 1))
be_writes=$(($(wc -l <"$OUT/be-state.watch") - 1))
tap_is "$fe_writes" 0 "no write to the frontend's state node ($fe/state)"
tap_is "$be_writes" 0 "no write to the backend's state node ($be/state)"
fe_writes=$((fe_writes + $(wc -l <"$OUT/fe1-state.watch") - 1))
be_writes=$((be_writes + $(wc -l <"$OUT/be1-state.watch") - 1))
tap_is "$(($(wc -l <"$OUT/fe1-state.watch") + $(wc -l <"$OUT/be1-state.watch") - 2))" 0 \
	"no write to vif 1's state nodes"
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

# The kernel's blackout runs from QUIESCE to the device restored; dom0's
# own 100/s ping (from PING_LEAD s before each handover to PING_TAIL s
# after) counts what was lost, the few in flight at its interrupt too.
for kind in plain reload; do
	[ -s "$OUT/blackout.$kind" ] || continue
	tap_diag "per $kind handover: blackout_ms median $(median "$OUT/blackout.$kind")" \
		"max $(maxof "$OUT/blackout.$kind"); dom0 pings lost median" \
		"$(median "$OUT/loss.$kind") max $(maxof "$OUT/loss.$kind")" \
		"($(wc -l <"$OUT/blackout.$kind") handovers)"
done
tap_diag "per handover (all): blackout_ms median $(median "$OUT/blackout") max $(maxof "$OUT/blackout");" \
	"dom0 pings lost median $(median "$OUT/loss") max $(maxof "$OUT/loss");" \
	"max rtt ms median $(median "$OUT/maxrtt") max $(maxof "$OUT/maxrtt")"
tap_diag "ping loss per handover: $(tr '\n' ' ' <"$OUT/loss")"
tap_diag "blackout_ms per handover: $(tr '\n' ' ' <"$OUT/blackout")"

# A reconnect shows as writes to the state nodes, or as a new connection.
reconnects=$((fe_writes + be_writes + ${conns:-1} - 1))
lab_guest_destroy nh
summary="net-handover: handovers=$ok reloads=$reloads reconnects=$reconnects tcp_resets=${resets:-0} lost_pings=${lost:-0} max_gap_ms=${gap:-0}"
tap_done
rc=$?
# The last line, after the TAP plan.
echo "$summary"
exit $rc
