#!/bin/sh
# park-fallback: the patched backends park a device bound while its backend
# state node reads Connected (a live device rebound), waiting for a
# handover to attach it; if none comes in time they fall back to what
# Linux does without ncmig (InitWait, then Connected again on the
# frontend's rings). Here nothing attaches: a PV guest with one vbd and
# one vif reads its disk (O_DIRECT, one 4 KiB block a second) while dom0
# unbinds both backend devices through sysfs and binds them again with a
# short park timeout (blkback's park_timeout_ms, netback's
# handover_park_ms: PF_PARK_MS, default 3000), then does by hand the
# vif's hotplug step, as net-baseline does (no udev in the lab).
#
# Asserted, per device: the rebind parks (the driver says so, and nothing
# is written to the backend's state node for a second); it falls back (the
# driver says so; the backend state node is written again, InitWait then
# Connected) and ends Connected with its frontend Connected; then the
# guest answers dom0's ping and reads its disk through the new instance.
# The default parameters are restored at the end.
. /ncmig/dom0/lib.sh

PARK_MS=${PF_PARK_MS:-3000}
NAME=pf
OUT=/run/ncmig-lab/park-fallback
rm -rf "$OUT"; mkdir -p "$OUT"
BLK_PARAM=/sys/module/xen_blkback/parameters/park_timeout_ms
NET_PARAM=/sys/module/xen_netback/parameters/handover_park_ms

lab_use_patched_backends || tap_diag "could not load the patched backends"
tap_run "patched backends with a park timeout parameter are loaded" \
	test -w $BLK_PARAM -a -w $NET_PARAM
blk_default=$(cat $BLK_PARAM 2>/dev/null)
net_default=$(cat $NET_PARAM 2>/dev/null)
restore_params() {
	[ -z "$blk_default" ] || echo "$blk_default" >$BLK_PARAM
	[ -z "$net_default" ] || echo "$net_default" >$NET_PARAM
}

wl="n=0 e=0; while [ \$n -lt 1200 ]; do dd if=/dev/xvda of=/dev/null bs=4096 count=1 skip=\$((n % 4096)) iflag=direct 2>/dev/null || e=\$((e + 1)); n=\$((n + 1)); wl_result pf.reads=\$n pf.read_errors=\$e; sleep 1; done"
domid=$(lab_guest_start $NAME --disks 1 --vcpus 2 --workload "$wl")
if [ -z "$domid" ]; then
	tap_not_ok "guest $NAME created"; restore_params; tap_done; exit 1
fi
tap_ok "guest $NAME created (domid $domid)"
ip=$(lab_guest_ip $NAME)
vif=vif$domid.0
vbd=vbd-$domid-51712
vifdev=vif-$domid-0
fe_b=$(lab_fe_path $NAME vbd 51712)
be_b=$(lab_be_path $NAME vbd 51712)
fe_n=$(lab_fe_path $NAME vif 0)
be_n=$(lab_be_path $NAME vif 0)
lab_xs_wait 60 "$be_b/state" 4
lab_xs_wait 60 "$be_n/state" 4
lab_wait 60 sh -c "ping -c 1 -W 1 $ip >/dev/null"
tap_cmp "$(lab_guest_result $NAME pf.reads 120)" -ge 1 "guest reads its disk"
tap_run "dom0 pings the guest" ping -c 3 -W 2 "$ip"

echo "$PARK_MS" >$BLK_PARAM
echo "$PARK_MS" >$NET_PARAM
tap_is "$(cat $BLK_PARAM)/$(cat $NET_PARAM)" "$PARK_MS/$PARK_MS" "park timeouts set to $PARK_MS ms"

# Every write to a state node fires its watch; the first event is the
# watch's own registration.
for p in fe_b be_b fe_n be_n; do
	eval "timeout 300 xenstore-watch \"\$$p/state\"" >"$OUT/$p.watch" 2>&1 &
	echo $! >>"$OUT/watch.pids"
done
sleep 1
dmesg_from=$(dmesg | wc -l)
kmsg() { dmesg | tail -n +$((dmesg_from + 1)); }
writes() { echo $(($(wc -l <"$OUT/$1.watch") - 1)); }

reads0=$(lab_guest_result $NAME pf.reads 5)
echo "$vbd" >/sys/bus/xen-backend/drivers/vbd/unbind
echo "$vifdev" >/sys/bus/xen-backend/drivers/vif/unbind
sleep 0.5
echo "$vbd" >/sys/bus/xen-backend/drivers/vbd/bind
echo "$vifdev" >/sys/bus/xen-backend/drivers/vif/bind
lab_log "unbound and bound again: $vbd $vifdev"
sleep 1

# Parked: bound, nothing written, waiting for an attach that never comes.
tap_run "vbd: the rebind parked" sh -c \
	"dmesg | tail -n +$((dmesg_from + 1)) | grep -q '$vbd: connected device parked for a handover'"
tap_run "vif: the rebind parked" sh -c \
	"dmesg | tail -n +$((dmesg_from + 1)) | grep -q '$vifdev: live vif: waiting $PARK_MS ms'"
tap_is "$(writes be_b)/$(writes be_n)" 0/0 "nothing written to the backends' state nodes while parked"

# The fallback: InitWait, and Connected once the device is set up again.
tap_run "vbd: fell back to a reconnect after $PARK_MS ms" lab_wait 60 sh -c \
	"dmesg | tail -n +$((dmesg_from + 1)) | grep -q '$vbd: no handover within $PARK_MS ms, reconnecting'"
tap_run "vif: fell back to a reconnect after $PARK_MS ms" lab_wait 60 sh -c \
	"dmesg | tail -n +$((dmesg_from + 1)) | grep -q '$vifdev: not attached from a saved state, reconnecting'"
# The hotplug step nothing else redoes here: a new vifD.0, outside the
# bridge; netback waits for hotplug-status before it reads Connected.
if lab_wait 30 test -e "/sys/class/net/$vif"; then
	vif=$vif XENBUS_PATH=$be_n "$LAB_HOTPLUG/vif" online 2>&1 | sed 's/^/# hotplug: /'
else
	tap_diag "no $vif after the fallback"
fi
lab_xs_wait 60 "$be_b/state" 4 || tap_diag "vbd backend state: $(lab_xs_read "$be_b/state")"
lab_xs_wait 60 "$be_n/state" 4 || tap_diag "vif backend state: $(lab_xs_read "$be_n/state")"
sleep 1
# Stopped before counting, so that everything they saw is written out.
while read -r p; do kill "$p" 2>/dev/null; wait "$p"; done <"$OUT/watch.pids"
tap_cmp "$(writes be_b)" -ge 2 "vbd: backend state node written again (InitWait, Connected)"
tap_cmp "$(writes be_n)" -ge 2 "vif: backend state node written again (InitWait, Connected)"
tap_is "$(lab_xs_read "$fe_b/state")/$(lab_xs_read "$be_b/state")" 4/4 "vbd: frontend and backend Connected"
tap_is "$(lab_xs_read "$fe_n/state")/$(lab_xs_read "$be_n/state")" 4/4 "vif: frontend and backend Connected"
tap_diag "state node writes: vbd fe=$(writes fe_b) be=$(writes be_b); vif fe=$(writes fe_n) be=$(writes be_n)"

# Working again, through the new instances.
tap_run "dom0 pings the guest after the fallback" lab_wait 30 ping -c 1 -W 1 "$ip"
tap_run "guest reads its disk after the fallback" lab_wait 60 sh -c \
	"[ \$(grep -a -o 'pf.reads=[0-9]*' $LAB_CONSOLE_DIR/guest-$NAME.log | tail -1 | cut -d= -f2) -ge $((reads0 + 5)) ]"
tap_cmp "$(cat "/sys/bus/xen-backend/devices/$vbd/statistics/rd_req" 2>/dev/null)" -gt 0 \
	"vbd: the new blkback instance served reads"
tap_is "$(lab_guest_result $NAME pf.read_errors 5)" 0 "no read error in the guest"
kmsg | grep -i "$vbd\|$vifdev\|blkfront\|netfront" | tail -12 | sed 's/^/#   dom0: /'
# parked_ms DEV PARKED_MSG FALLBACK_MSG: the kernel's time between the two.
parked_ms() {
	kmsg | awk -v d="$1: " -v p="$2" -v f="$3" '
		index($0, d p) && !t0 { t0 = substr($0, 2, index($0, "]") - 2) }
		index($0, d f) && t0 && !t1 { t1 = substr($0, 2, index($0, "]") - 2) }
		END { if (t0 && t1) printf "%d\n", (t1 - t0) * 1000 }'
}
tap_cmp "$(parked_ms "$vbd" "connected device parked" "no handover within")" -ge "$PARK_MS" \
	"vbd: stayed parked for park_timeout_ms"
tap_cmp "$(parked_ms "$vifdev" "live vif: waiting" "not attached from a saved state")" -ge "$PARK_MS" \
	"vif: stayed parked for handover_park_ms"

restore_params
tap_is "$(cat $BLK_PARAM)/$(cat $NET_PARAM)" "$blk_default/$net_default" "park timeouts restored"
lab_guest_destroy $NAME
tap_done
