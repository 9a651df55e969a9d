#!/bin/sh
# race-release: a vbd's RELEASE against the removal of the same device
# (issue 9, H2 and M7).
#
# RELEASE unbinds xen-blkback: the driver core takes the device lock and
# xenbus_dev_remove() then unregisters the device's watches, which needs
# xenwatch_mutex. The xenwatch thread holds xenwatch_mutex while a watch
# callback unregisters the device (domain destroyed; frontend state 0),
# and device_del() takes the device lock: ABBA.
#
#  1. M7: the knob keep_store_delay_ms=10000 (between the unbind and
#     storing the kept grants) and `xl destroy` meanwhile, so the device
#     is removed before the store: the domain must be gone within 20 s,
#     not pinned by kept grants until they expire (30 s);
#  2. deterministic, with the test knob unbind_delay_ms=3000 (the release
#     sleeps with the device lock held, before the driver's remove): during
#     the release of a guest under verified I/O, (a) `xl destroy`, (b) the
#     frontend's state node set to 0 (Unknown). Each time: the handover
#     ends (restored or failed, no hang) within 60 s, the domain goes away,
#     no hung task;
#  3. random: RACE_N (default 8) guests, each under verified I/O with
#     handovers looping, destroyed by `xl destroy` or powering itself off
#     (poweroff -f) at a random moment: no hang, domain gone, no session.
# Ends `race-release: destroys=N handovers=N hangs=N zombies=N`.
. /ncmig/dom0/lib.sh
. /ncmig/dom0/lib-blk.sh

W=/run/ncmig-lab/race-release
rm -rf "$W"; mkdir -p "$W"
N=${RACE_N:-8}
hangs=0 zombies=0 destroys=0 handovers=0

if lab_use_patched_backends; then tap_ok "patched xen-blkback loaded"; else
	tap_not_ok "patched xen-blkback loaded"; tap_done; exit 1; fi
tap_run "xen-backend-quiesce and xen-ncmig loaded" lab_load_ncmig_modules
if blk_hooks; then tap_ok "test knobs present"; else
	tap_not_ok "test knobs present (NCMIG_TEST_HOOKS build)"; tap_done; exit 1; fi

# start NAME [WORKLOAD]: a guest with one disk under verified I/O; domid.
start() {
	_d=$(lab_guest_start "$1" --disks 1 --vcpus 2 --no-vif \
		--workload "${2:-wl_blk 600}") || return 1
	lab_guest_result "$1" guest.ready 180 >/dev/null || return 1
	lab_xs_wait 60 "$(lab_fe_path "$1" vbd 51712)/state" 4 || return 1
	_st=/sys/bus/xen-backend/devices/vbd-$_d-51712/statistics
	lab_wait 60 sh -c "[ \$(cat $_st/wr_req) -gt 20 ]" || return 1
	echo "$_d"
}

# finish NAME DOMID HOPID WHAT: the handover and the domain must end.
finish() {
	if ! blk_wait_pid 60 "$3"; then
		hangs=$((hangs + 1))
		echo "race-release: destroys=$destroys handovers=$handovers hangs=$hangs zombies=$zombies"
		blk_wedged "$4: handover still running after 60 s"
		return 1
	fi
	wait "$3" 2>/dev/null
	_n=0
	while ! blk_dom_gone "$2" && [ $_n -lt 150 ]; do sleep 0.2; _n=$((_n + 1)); done
	if ! blk_dom_gone "$2"; then
		zombies=$((zombies + 1)); tap_not_ok "$4: domain $2 gone"
		xl list | sed 's/^/#   /'
		return 1
	fi
	tap_ok "$4: handover ended, domain $2 gone"
	lab_guest_destroy "$1"
}

# 1. Destroyed between the unbind and storing the kept grants.
{
	name=rrkeep
	if domid=$(start $name); then
		dmesg -c >/dev/null
		blk_hook keep_store_delay_ms 10000
		ncmigd handover --domid "$domid" >"$W/ho.keep" 2>&1 &
		ho=$!
		if lab_wait 30 sh -c "dmesg | grep -q 'test hook: released, storing'"; then
			t0=$(blk_now_ms)
			timeout 120 xl destroy $name >/dev/null 2>&1 &
			destroys=$((destroys + 1))
			blk_wait_pid 60 $ho || blk_wedged "handover with a destroy before the store"
			n=0
			while ! blk_dom_gone "$domid" && [ $n -lt 300 ]; do sleep 0.2; n=$((n + 1)); done
			gone=$(( $(blk_now_ms) - t0 ))
			tap_diag "domain gone ${gone} ms after xl destroy; $(dmesg | grep -m1 'kept persistent grants')"
			# Fixed: gone once the store (10 s) is done. Else pinned
			# until the kept grants expire (keep_grants_ms, 30 s).
			tap_cmp "$gone" -lt 20000 "kept grants do not pin a destroyed domain"
			dmesg | grep -E "kept persistent grants|no attach within" | sed 's/^/#   /'
			sed 's/^/#   /' "$W/ho.keep" | tail -3
		else
			tap_not_ok "the release reached the store"
		fi
		blk_hook keep_store_delay_ms 0
		lab_guest_destroy $name
	else
		tap_not_ok "guest $name up"
	fi
}


# 2. Deterministic: during the unbind.
for how in destroy state0; do
	name=rr$how
	domid=$(start $name) || { tap_not_ok "guest $name up"; continue; }
	fe=$(lab_fe_path $name vbd 51712)
	dmesg -c >/dev/null
	blk_hook unbind_delay_ms 3000
	ncmigd handover --domid "$domid" >"$W/ho.$how" 2>&1 &
	ho=$!
	if ! lab_wait 30 sh -c "dmesg | grep -q 'test hook: unbinding'"; then
		tap_not_ok "$how: the release reached the unbind"
		blk_hook unbind_delay_ms 0; wait $ho; lab_guest_destroy $name; continue
	fi
	case $how in
	destroy) timeout 120 xl destroy $name >/dev/null 2>&1 & ;;
	state0) lab_xs_write "$fe/state" 0; timeout 120 xl destroy $name >/dev/null 2>&1 & ;;
	esac
	destroys=$((destroys + 1))
	sleep 4
	blk_hook unbind_delay_ms 0
	finish $name "$domid" $ho "$how during RELEASE" || break
	sed 's/^/#   /' "$W/ho.$how" | tail -3
done

# 3. Random moments, handovers looping.
i=0
while [ $hangs = 0 ] && [ $i -lt "$N" ]; do
	i=$((i + 1))
	name=rr$i
	r=$(awk -v s="$i$$" 'BEGIN { srand(s); printf "%.2f\n", 0.5 + rand() * 4 }')
	if [ $((i % 2)) = 0 ]; then
		domid=$(start $name "wl_blk 600 & sleep $((8 + i % 5)).$((i * 37 % 100)); poweroff -f") || {
			tap_not_ok "guest $name up"; continue; }
		how="guest poweroff"
	else
		domid=$(start $name) || { tap_not_ok "guest $name up"; continue; }
		how="xl destroy after ${r}s"
		(sleep "$r"; timeout 120 xl destroy $name >/dev/null 2>&1) &
	fi
	destroys=$((destroys + 1))
	(
		k=0
		while [ $k -lt 30 ] && ! blk_dom_gone "$domid"; do
			timeout 90 ncmigd handover --domid "$domid" >/dev/null 2>&1 &&
				echo ok >>"$W/hos.$i"
			k=$((k + 1))
		done
	) &
	loop=$!
	if ! blk_wait_pid 120 $loop; then
		hangs=$((hangs + 1))
		echo "race-release: destroys=$destroys handovers=$handovers hangs=$hangs zombies=$zombies"
		blk_wedged "$name ($how): handover loop still running after 120 s"
		break
	fi
	n=$(cat "$W/hos.$i" 2>/dev/null | wc -l)
	handovers=$((handovers + n))
	finish $name "$domid" $loop "$name, $how, $n handovers"
done

tap_is "$(blk_bounded 10 ncmigd status | grep -cE '^d[0-9]+ session:')" 0 "no session left"
echo "race-release: destroys=$destroys handovers=$handovers hangs=$hangs zombies=$zombies"
tap_done
