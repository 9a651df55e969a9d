#!/bin/sh
# race-net-talk (issue 9, M1): two guests that talk to each other through
# dom0's bridge, handed over together with a module reload.
#
# Guests ta and tb, one vif each (no disk: only xen-netback reloads). ta
# runs a paced TCP stream both ways to tb (netstream tcp-client, tb
# serves) and UDP pings to it; both ping each other with 1000-byte
# packets. Their packets to each other are mapped from the sender's Tx
# slots (zerocopy) all the way into the receiver's vif. Then TALK_ROUNDS
# (default 3) `ncmigd handover --domid ta --domid tb --reload-modules`.
# ncmigd quiesces ta, then tb: once ta's vif is quiesced, what tb sends it
# waits in ta's stopped queues, where netback's copy at the bound does not
# reach it, and tb's quiesce can only time out.
#
# Asserted: every handover exits 0 with both domains' lines; after each,
# both guests answer dom0's ping; at the end of the workload the TCP
# stream had no reset, lost connection or sequence error on either side,
# UDP pings went through after the handovers, and each guest pings the
# other; no state node of either vif written; no hang, no kernel report,
# no session left (lib).
# Ends with: race-net-talk: rounds=N handovers=N failed=N tcp_resets=N
#            udp_lost=N held_timeouts=N (quiesces that reached their bound)
. /ncmig/dom0/lib.sh

ROUNDS=${TALK_ROUNDS:-3}
S=${TALK_SECONDS:-$((ROUNDS * 45 + 60))}
OUT=/run/ncmig-lab/race-net-talk
rm -rf "$OUT"; mkdir -p "$OUT"
ok_n=0 failed=0 resets=-1 lost=-1 held=0
summary() {
	echo "race-net-talk: rounds=$ROUNDS handovers=$ok_n failed=$failed tcp_resets=$resets udp_lost=$lost held_timeouts=$held"
}

# NET_BACKENDS_DIR: load xen-blkback.ko and xen-netback.ko from another
# directory (another build of the series, e.g. without its last fix).
BK=${NET_BACKENDS_DIR:-/ncmig/backends}
if lab_use_patched_backends "$BK"; then tap_ok "patched backends loaded from $BK"; else
	tap_not_ok "patched backends loaded"; tap_done; summary; exit 1; fi
tap_run "xen-backend-quiesce and xen-ncmig loaded" lab_load_ncmig_modules

ipa=169.254.99.50 ipb=169.254.99.51
tb=$(lab_guest_start tb --disks 0 --vcpus 2 --memory 256 --ip "$ipb" \
	--workload "netstream serve --seconds $((S + 60)) & ping -q -s 1000 -i 0.1 -w $S $ipa >/dev/null 2>&1 & wl_result tb.serving=1; wait \$!; ping -c 3 -W 2 $ipa >/dev/null && wl_result tb.final_ping=1; wait")
ta=$(lab_guest_start ta --disks 0 --vcpus 2 --memory 256 --ip "$ipa" \
	--workload "ping -q -s 1000 -i 0.1 -w $S $ipb >/dev/null 2>&1 & netstream udp-ping $ipb --seconds $S --pps 50 & netstream tcp-client $ipb --seconds $S --rate 2048; wait; ping -c 3 -W 2 $ipb >/dev/null && wl_result ta.final_ping=1")
if [ -z "$ta" ] || [ -z "$tb" ]; then
	tap_not_ok "guests ta and tb created"; tap_done; summary; exit 1
fi
tap_ok "guests ta (d$ta) and tb (d$tb) created"
tap_is "$(lab_guest_result tb tb.serving 150)" 1 "tb serves"
lab_guest_result ta guest.ready 150 >/dev/null
for g in ta tb; do
	fe=$(lab_fe_path $g vif 0)
	be=$(lab_be_path $g vif 0)
	lab_xs_wait 60 "$be/state" 4
	tap_is "$(lab_xs_read "$fe/state")/$(lab_xs_read "$be/state")" 4/4 "$g's vif Connected"
	for p in "$fe" "$be"; do
		f=$OUT/watch.$(echo "$p" | tr / _)
		xenstore-watch "$p/state" >"$f" 2>&1 &
		echo $! >>"$OUT/watch.pids"
		echo "$f" >>"$OUT/watch.files"
	done
done
# The stream is under way (tb's vif carries traffic from ta).
sleep 8
st=/sys/class/net/vif$ta.0/statistics
tap_cmp "$(cat $st/rx_bytes 2>/dev/null || echo 0)" -gt 100000 "ta sends (its vif received $(cat $st/rx_bytes 2>/dev/null) bytes)"

pings() { lab_wait 30 ping -c 1 -W 1 "$(lab_guest_ip "$1")"; }
dmesg_held0=$(dmesg | grep -c 'held by other vifs')
i=0
while [ $i -lt "$ROUNDS" ]; do
	i=$((i + 1))
	if timeout 300 ncmigd handover --domid "$ta" --domid "$tb" --reload-modules \
		--module-dir "$BK" >"$OUT/out.$i" 2>&1; then
		tap_ok "round $i: two-domain handover with a reload, both talking, exits 0"
		ok_n=$((ok_n + 1))
	else
		tap_not_ok "round $i: two-domain handover with a reload, both talking, exits 0"
		failed=$((failed + 1))
	fi
	sed "s/^/# $i: /" "$OUT/out.$i"
	grep -q '^handover: domains=2 ' "$OUT/out.$i" && lab_log "round $i: $(grep -o '^handover: .*' "$OUT/out.$i")"
	for g in ta tb; do
		if pings $g; then tap_ok "round $i: $g answers dom0's ping"; else
			tap_not_ok "round $i: $g answers dom0's ping"; fi
	done
	sleep 3
done
held=$(( $(dmesg | grep -c 'held by other vifs') - dmesg_held0 ))
dmesg | grep 'quiesce:' | tail -6 | sed 's/^/#   dmesg: /'
tap_is "$ok_n" "$ROUNDS" "all $ROUNDS two-domain handovers succeeded"
busy=0
grep -q "NCMIG-RESULT.* tcp.ok=" "$LAB_CONSOLE_DIR/guest-ta.log" && busy=1
tap_is "$busy" 0 "every handover ran while the guests talked"

if lab_guest_wait_done ta $((S + 240)); then tap_ok "ta's workload finished"; else
	tap_not_ok "ta's workload finished"; fi
resets=$(lab_guest_result ta tcp.resets 5)
lost=$(lab_guest_result ta udp.lost 5)
tap_is "$resets" 0 "ta: 0 TCP resets"
tap_is "$(lab_guest_result ta tcp.ok 5)" 1 "ta: TCP stream both ways ok (no lost connection, no sequence error)"
tap_cmp "$(lab_guest_result ta udp.recv 5)" -gt 0 "ta: UDP pings answered by tb"
tap_diag "ta: tcp max_gap_ms=$(lab_guest_result ta tcp.max_gap_ms 5) udp lost=$lost longest_loss_ms=$(lab_guest_result ta udp.longest_loss_ms 5)"
tap_is "$(lab_guest_result ta ta.final_ping 30)" 1 "ta pings tb after the handovers"
tap_is "$(lab_guest_result tb tb.final_ping 60)" 1 "tb pings ta after the handovers"
srv=$(lab_guest_result tb srv.tcp.resets 120)
tap_is "${srv:-x}" 0 "tb (server): 0 TCP resets"
while read -r p; do kill "$p" 2>/dev/null; done <"$OUT/watch.pids"
while read -r f; do
	tap_is "$(grep -c state "$f")" 1 "${f##*/watch.}: state node never written"
done <"$OUT/watch.files"

lab_guest_destroy ta
lab_guest_destroy tb
tap_done
rc=$?
summary
exit $rc
