#!/bin/sh
# net-paused-peer: guest pa pings guest pb on the same bridge with 1 KiB
# packets, whose frags netback maps from pa's Tx slots (zerocopy). dom0
# pauses pb: once pb's Rx ring is full, pa's packets wait in pb's vif,
# still mapped, for up to netback's rx_drain_timeout (10 s). A handover of
# pa must not wait on them nor fail: at the quiesce bound netback copies
# them, which answers pa's slots.
#
# Asserted: the packets were held in pb's vif when each handover began;
# every handover of pa succeeds with a 1 s bound, and netback says it
# copied held packets; pa's vif state nodes are never written; both guests
# answer dom0's ping once pb runs again.
#
# No module reload here: pb's vif pins xen-netback (stock netback takes a
# module reference per vif), so rmmod would refuse.
#
# Ends with: net-paused-peer: handovers=N copied=N failed=N
. /ncmig/dom0/lib.sh

HANDOVERS=${PEER_HANDOVERS:-4}
BOUND_MS=${PEER_BOUND_MS:-1000}
OUT=/run/ncmig-lab/net-paused-peer
rm -rf "$OUT"; mkdir -p "$OUT"
done_n=0 copied=0 failed=0

summary() {
	echo "net-paused-peer: handovers=$done_n copied=$copied failed=$failed"
}

lab_use_patched_backends || tap_diag "could not load the patched backends"
lab_load_ncmig_modules || tap_diag "could not load the ncmig modules"
tap_run "patched xen-netback copies held packets" \
	sh -c "grep -q xenvif_copy_held_tx /proc/kallsyms"
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

ipa=169.254.99.30 ipb=169.254.99.31
# lab_guest_start's MAC for an address.
macb=$(printf '00:16:3e:99:%02x:%02x' "${ipb##*.}" 0)
# pb speaks first, so that the bridge learns its port and forwards pa's
# packets to it alone (a flooded packet is cloned, and a clone copies).
pb=$(lab_guest_start pb --disks 0 --vcpus 1 --memory 256 --ip "$ipb" \
	--workload "ping -c 3 \$NCMIG_PEER >/dev/null; wl_result pb.hello=1")
pa=$(lab_guest_start pa --disks 0 --vcpus 1 --memory 256 --ip "$ipa" \
	--workload "arp -s $ipb $macb; for i in 1 2; do ping -q -s 1000 -i 0.05 $ipb >/dev/null 2>&1 & done; wl_result pa.pinging=1; wait")
if [ -z "$pa" ] || [ -z "$pb" ]; then
	tap_not_ok "guests pa and pb created"; tap_done; summary; exit 1
fi
tap_ok "guests pa (domid $pa) and pb (domid $pb) created"
tap_is "$(lab_guest_result pb pb.hello 120)" 1 "pb reached dom0"
tap_is "$(lab_guest_result pa pa.pinging 120)" 1 "pa pings pb"
fe=$(lab_fe_path pa vif 0)
be=$(lab_be_path pa vif 0)
lab_xs_wait 60 "$be/state" 4
xenstore-watch "$fe/state" >"$OUT/watch.frontend" 2>&1 &
echo $! >>"$OUT/watch.pids"
xenstore-watch "$be/state" >"$OUT/watch.backend" 2>&1 &
echo $! >>"$OUT/watch.pids"

# Packets waiting in pb's vif, as netback's debugfs counts them.
held() {
	cat /sys/kernel/debug/xen-netback/vif$pb.0/io_ring_q* 2>/dev/null |
		sed -n 's/^Rx internal queue: .* pkts \([0-9]*\).*/\1/p' |
		awk '{ n += $1 } END { print n + 0 }'
}
# wait_held N SECONDS: until at least N packets wait in pb's vif.
wait_held() {
	_end=$(($(date +%s) + $2))
	while [ "$(held)" -lt "$1" ]; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.5
	done
}
# The guest's xl state column, e.g. "--p---" when paused.
xl_state() { xl list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }'; }

sleep 2
timeout 30 xl pause pb
case $(xl_state pb) in *p*) tap_ok "pb paused" ;; *) tap_not_ok "pb paused" ;; esac
dmesg -c >/dev/null
i=0
while [ $i -lt "$HANDOVERS" ]; do
	i=$((i + 1))
	# pb's Rx ring (256 slots) fills first, then its vif queues.
	wait_held 40 60 || tap_diag "fewer than 40 packets held in pb's vif after 60 s"
	n=$(held)
	tap_cmp "$n" -gt 0 "handover $i: pa's packets wait in paused pb's vif"
	if timeout 120 ncmigd handover --domid "$pa" --timeout-ms "$BOUND_MS" \
	    >"$OUT/out.$i" 2>&1; then
		done_n=$((done_n + 1))
		tap_ok "handover $i of pa with $n packets held, bound $BOUND_MS ms"
	else
		failed=$((failed + 1))
		tap_not_ok "handover $i of pa with $n packets held, bound $BOUND_MS ms"
	fi
	sed "s/^/# $i: /" "$OUT/out.$i"
	c=$(dmesg | sed -n 's/.*copied \([0-9]*\) held by other vifs.*/\1/p' | tail -1)
	dmesg -c | grep -i "quiesce" | sed 's/^/#   dmesg: /'
	tap_cmp "${c:-0}" -gt 0 "handover $i: netback copied held packets at the bound"
	copied=$((copied + ${c:-0}))
	sleep 2
done

timeout 30 xl unpause pb
case $(xl_state pb) in *p*) tap_not_ok "pb runs again" ;; *) tap_ok "pb runs again" ;; esac
tap_run "pa answers dom0's ping" lab_wait 30 ping -c 1 -W 1 "$ipa"
tap_run "pb answers dom0's ping" lab_wait 30 ping -c 1 -W 1 "$ipb"
while read -r p; do kill "$p" 2>/dev/null; done <"$OUT/watch.pids"
for side in frontend backend; do
	tap_is "$(grep -c state "$OUT/watch.$side")" 1 "pa's $side state node never written"
done
tap_is "$(lab_xs_read "$fe/state")" 4 "pa's netfront still Connected"

lab_guest_destroy pa
lab_guest_destroy pb
tap_done
rc=$?
summary
exit $rc
