#!/bin/sh
# race-net-park-collide (issue 9, M2): a vifD.N netdev that a handover
# RELEASE keeps for the next instance must not get in the way of any
# other bind. Only the handover attach adopted it; a plain bind, or the
# park timer's fallback to a plain reconnect, made a new netdev of the
# same name, which collided, and the vif was left with no netdev serving
# its rings.
#
# A PV guest with a netfront vif (pinged by dom0), one per case. dom0 runs
# `ncmigd handover --pause-after release` (the vif released, its netdev
# kept), and then, with the session held:
#  1. "expiry": binds netback again with handover_park_ms=2000: the bind
#     parks, nothing attaches, the fallback reconnects;
#  2. "plain": binds it with handover_park_ms=0: a plain connect at once.
# Then it runs the vif's hotplug step by hand (no udev in the lab, as in
# park-fallback) and kills ncmigd (the kernel then tries its RESTORE,
# which is refused: the device is served).
# Asserted each time: a vifD.0 exists and is a new netdev, netback's
# backend and the frontend end Connected, dom0 pings the guest through
# it, and dom0's log has no "creating interface" failure.
# Ends with: race-net-park-collide: cases=N served=N collisions=N
. /ncmig/dom0/lib.sh

NAME=pc
OUT=/run/ncmig-lab/race-net-park-collide
rm -rf "$OUT"; mkdir -p "$OUT"
PARAM=/sys/module/xen_netback/parameters/handover_park_ms
cases=0 served=0 collisions=0

lab_use_patched_backends || tap_diag "could not load the patched backends"
lab_load_ncmig_modules || tap_diag "could not load the ncmig modules"
default=$(cat $PARAM 2>/dev/null)

# one CASE PARK_MS: on a guest of its own (the held session of a case ends
# only with its domain: the kernel retries the RESTORE until then).
one() {
	cases=$((cases + 1))
	NAME=$NAME-$1
	domid=$(lab_guest_start $NAME --disks 0 --workload "sleep 100000")
	if [ -z "$domid" ]; then
		tap_not_ok "$1: guest $NAME created"; return 1
	fi
	tap_ok "$1: guest $NAME created (domid $domid)"
	ip=$(lab_guest_ip $NAME)
	vif=vif$domid.0
	dev=vif-$domid-0
	fe=$(lab_fe_path $NAME vif 0)
	be=$(lab_be_path $NAME vif 0)
	lab_xs_wait 60 "$be/state" 4
	tap_run "$1: dom0 pings the guest" lab_wait 60 ping -c 1 -W 1 "$ip"
	echo "$2" >$PARAM
	from=$(dmesg | wc -l)
	old=$(cat /sys/class/net/$vif/ifindex 2>/dev/null)
	ncmigd handover --domid "$domid" --pause-after release >"$OUT/ho.$1" 2>&1 &
	hp=$!
	if ! lab_wait 60 sh -c "[ ! -e /sys/bus/xen-backend/devices/$dev/driver ]"; then
		tap_not_ok "$1: released"; kill $hp; return 1
	fi
	tap_is "$(cat /sys/class/net/$vif/ifindex 2>/dev/null)" "$old" "$1: released, $vif kept (ifindex $old)"
	echo "$dev" >/sys/bus/xen-backend/drivers/vif/bind
	# Parked then reconnected, or reconnected at once: a new netdev.
	lab_wait 30 sh -c "i=\$(cat /sys/class/net/$vif/ifindex 2>/dev/null); [ -n \"\$i\" ] && [ \"\$i\" != $old ]"
	new=$(cat /sys/class/net/$vif/ifindex 2>/dev/null)
	if [ -n "$new" ] && [ "$new" != "$old" ]; then
		vif=$vif XENBUS_PATH=$be "$LAB_HOTPLUG/vif" online 2>&1 | sed 's/^/# hotplug: /'
	fi
	lab_xs_wait 30 "$be/state" 4
	dmesg | tail -n +$((from + 1)) | grep "$dev\|$vif" | tail -6 | sed 's/^/#   dom0: /'
	if dmesg | tail -n +$((from + 1)) | grep -q "$dev.*creating interface"; then
		collisions=$((collisions + 1))
		tap_not_ok "$1: no netdev name collision"
	else
		tap_ok "$1: no netdev name collision"
	fi
	tap_cmp "${new:-0}" -ne "$old" "$1: $vif is a new netdev"
	tap_is "$(lab_xs_read "$fe/state")/$(lab_xs_read "$be/state")" 4/4 "$1: frontend and backend Connected"
	if lab_wait 30 ping -c 1 -W 1 "$ip"; then
		served=$((served + 1))
		tap_ok "$1: dom0 pings the guest through the new $vif"
	else
		tap_not_ok "$1: dom0 pings the guest through the new $vif"
	fi
	# The session's RESTORE then finds the device served by a plain
	# connect (attach refused: "bound, not waiting for a saved state");
	# the kernel retries it until the domain is gone.
	kill $hp 2>/dev/null
	timeout 30 sh -c "while kill -0 $hp 2>/dev/null; do sleep 0.2; done"
	wait $hp 2>/dev/null
	sleep 2
	ncmigd status 2>&1 | head -5 | sed 's/^/#   status: /'
	lab_guest_destroy $NAME
	lab_wait 90 sh -c "! ncmigd status 2>/dev/null | grep -q \"d$domid session:\"" ||
		tap_diag "$1: d$domid's session still listed 90 s after its domain went"
	NAME=pc
}

one expiry 2000
one plain 0

[ -z "$default" ] || echo "$default" >$PARAM
echo "race-net-park-collide: cases=$cases served=$served collisions=$collisions"
tap_done
