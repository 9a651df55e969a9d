#!/bin/sh
# race-net-drain: a slow netback drain must not stop dom0's xenstore
# watches (issue 9, H3, netback's half; race-drain is blkback's).
#
# Guest na pings guest nb on the same bridge with 1000-byte packets, whose
# frags netback maps from na's Tx slots (zerocopy). dom0 puts a netem
# qdisc on nb's vif that holds every packet DRAIN_S (default 40) seconds:
# na's packets wait in it, still mapped, out of reach of netback's copy
# at the bound (which reaches other vifs' Rx queues only). So a quiesce of
# na drains for DRAIN_S seconds, every time (a real mechanism, no test
# knob). Guest "other" has no vif; a disk hot-plugged to it measures
# dom0's xenwatch (blkback's probe runs from it: xenwatch_probe).
#
# Baseline: one probe while nothing drains. Then `ncmigd quiesce --domid na
# --timeout-ms 55000 --hold-s 1`; 1 s into the drain na's frontend state
# node is written (netback's frontend_changed() runs on xenwatch and takes
# be->ho_lock) and another probe is made. Asserted: the drain lasted
# (>= DRAIN_S/2 s), the probe during it took less than baseline + 3 s, the
# quiesce succeeded, na stayed Connected and both guests answer dom0's
# ping once the netem is gone; no kernel report (a xenwatch blocked on
# be->ho_lock for more than 20 s is a hung task) and no session left (lib).
# Ends `race-net-drain: drain_ms=N xenwatch_base_ms=N xenwatch_during_ms=N`.
. /ncmig/dom0/lib.sh
. /ncmig/dom0/lib-net.sh
. /ncmig/dom0/lib-blk.sh

DRAIN_S=${NET_DRAIN_S:-40}
OUT=/run/ncmig-lab/race-net-drain
rm -rf "$OUT"; mkdir -p "$OUT"
drain=-1 base=-1 during=-1
summary() {
	echo "race-net-drain: drain_ms=$drain xenwatch_base_ms=$base xenwatch_during_ms=$during"
}

if lab_use_patched_backends; then tap_ok "patched backends loaded"; else
	tap_not_ok "patched backends loaded"; tap_done; summary; exit 1; fi
tap_run "xen-backend-quiesce and xen-ncmig loaded" lab_load_ncmig_modules
tap_run "netem available" modprobe sch_netem

ipa=169.254.99.40 ipb=169.254.99.41
macb=$(printf '00:16:3e:99:%02x:%02x' "${ipb##*.}" 0)
# nb speaks first, so that the bridge learns its port and forwards na's
# packets to it alone (a flooded packet is cloned, and a clone copies).
nb=$(lab_guest_start nb --disks 0 --vcpus 1 --memory 256 --ip "$ipb" \
	--workload "ping -c 3 \$NCMIG_PEER >/dev/null; wl_result nb.hello=1; sleep 100000")
na=$(lab_guest_start na --disks 0 --vcpus 1 --memory 256 --ip "$ipa" \
	--workload "arp -s $ipb $macb; ping -q -s 1000 -i 0.2 $ipb >/dev/null 2>&1 & wl_result na.pinging=1; wait")
other=$(lab_guest_start other --disks 0 --no-vif --vcpus 1 --memory 256 --workload "sleep 100000")
if [ -z "$na" ] || [ -z "$nb" ] || [ -z "$other" ]; then
	tap_not_ok "guests na, nb and other created"; tap_done; summary; exit 1
fi
tap_ok "guests na (d$na), nb (d$nb) and other (d$other) created"
tap_is "$(lab_guest_result nb nb.hello 120)" 1 "nb reached dom0"
tap_is "$(lab_guest_result na na.pinging 120)" 1 "na pings nb"
lab_guest_result other guest.ready 180 >/dev/null
fe=$(lab_fe_path na vif 0)
be=$(lab_be_path na vif 0)
lab_xs_wait 60 "$be/state" 4
tap_is "$(lab_xs_read "$fe/state")/$(lab_xs_read "$be/state")" 4/4 "na's vif Connected"

if base=$(xenwatch_probe other); then tap_ok "baseline: a disk hot-plugged to other reached its backend in $base ms"; else
	base=-1; tap_not_ok "baseline xenwatch probe"; fi

# na's packets to nb now wait DRAIN_S s in nb's qdisc, mapped.
vb=vif$nb.0
tap_run "netem holds packets to nb for $DRAIN_S s" \
	tc qdisc replace dev "$vb" root netem delay "${DRAIN_S}s" limit 100000
sleep 5
tap_diag "qdisc of $vb: $(tc -s qdisc show dev "$vb" | tr '\n' ' ' | cut -c1-200)"

t0=$(blk_now_ms)
ncmigd quiesce --domid "$na" --timeout-ms 55000 --hold-s 1 >"$OUT/quiesce" 2>&1 &
q=$!
sleep 1
# The frontend "writes" its state again: frontend_changed() on xenwatch.
lab_xs_write "$fe/state" 4
if during=$(xenwatch_probe other); then
	tap_ok "during the drain: a disk hot-plugged to other reached its backend in $during ms"
else
	during=-1
	lab_hang "during the drain: a disk hot-plugged to other never reached its backend in 40 s (xenwatch stuck)"
fi
running=0; kill -0 $q 2>/dev/null && running=1
if blk_wait_pid $((DRAIN_S + 60)) $q; then
	wait $q; qrc=$?
else
	lab_hang "quiesce still running after $((DRAIN_S + 60)) s"; kill -9 $q 2>/dev/null; qrc=124
fi
took=$(( $(blk_now_ms) - t0 ))
drain=$(sed -n 's/.*drain_ms=\([0-9]*\).*/\1/p' "$OUT/quiesce" | head -1)
drain=${drain:--1}
sed 's/^/#   /' "$OUT/quiesce" | tail -3
tap_diag "drain: $drain ms; quiesce command $took ms (rc=$qrc, held 1 s); probe during it: $during ms (baseline $base), the quiesce still running then: $running"
tap_is "$qrc" 0 "the quiesce of na succeeded"
tap_cmp "$drain" -ge $((DRAIN_S * 500)) "the drain was slow (>= $((DRAIN_S / 2)) s)"
tap_cmp "$during" -ge 0 "xenwatch served a hot-plug during the drain"
tap_cmp "$during" -lt $((base + 3000)) "xenwatch latency during the drain below baseline + 3 s"
tap_is "$running" 1 "the probe ran while the quiesce still drained"

tc qdisc del dev "$vb" root 2>/dev/null
tap_is "$(lab_xs_read "$fe/state")" 4 "na's frontend still Connected"
tap_run "na answers dom0's ping" lab_wait 30 ping -c 1 -W 1 "$ipa"
tap_run "nb answers dom0's ping" lab_wait 30 ping -c 1 -W 1 "$ipb"

lab_guest_destroy na
lab_guest_destroy nb
lab_guest_destroy other
tap_done
rc=$?
summary
exit $rc
