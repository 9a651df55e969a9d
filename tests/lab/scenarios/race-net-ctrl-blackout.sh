#!/bin/sh
# race-net-ctrl-blackout (issue 9, M5): control-ring requests a frontend
# posts while its backend is away are answered correctly by the instance
# that attaches. Xen sets the new port pending when the attach binds the
# control ring's event channel, so netback used to run them at once,
# before the vif had its queues (num_queues == 0): a valid
# SET_HASH_MAPPING was answered INVALID_PARAMETER, and the answers moved
# rsp_prod under the attach's own check.
#
# A PV guest's only device is a vif driven by the test frontend xen-netctl
# (2 queues, Toeplitz hash programmed). RCB_HANDOVERS times (default 3,
# the last with a module reload) dom0 runs `ncmigd handover --hold-ms
# RCB_HOLD_MS` (default 3000) and, once the vif is released, the guest
# posts SET_HASH_FLAGS and SET_HASH_MAPPING (a mapping onto both queues)
# without waiting.
# Asserted each time: the handover succeeds; both requests are answered
# SUCCESS (0) after the restore; netback's hash mapping is the one posted.
# Ends with: race-net-ctrl-blackout: handovers=N answered_ok=N wrong=N
. /ncmig/dom0/lib.sh
. /ncmig/dom0/lib-net.sh

N=${RCB_HANDOVERS:-3}
HOLD_MS=${RCB_HOLD_MS:-3000}
NAME=cb
OUT=/run/ncmig-lab/race-net-ctrl-blackout
rm -rf "$OUT"; mkdir -p "$OUT"
ok=0 answered_ok=0 wrong=0

lab_use_patched_backends || tap_diag "could not load the patched backends"
lab_load_ncmig_modules || tap_diag "could not load the ncmig modules"
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

domid=$(netctl_guest_start $NAME)
if [ -z "$domid" ]; then
	tap_not_ok "guest $NAME with a xen-netctl vif connected"; tap_done; exit 1
fi
tap_ok "guest $NAME with a xen-netctl vif connected (domid $domid)"
ctrl=/sys/kernel/debug/xen-netback/vif$domid.0/ctrl

i=1
while [ $i -le "$N" ]; do
	reload=
	[ $i -lt "$N" ] || reload="--reload-modules --module-dir /ncmig/backends"
	# shellcheck disable=SC2086 # $reload is two options or none
	timeout -s KILL 120 ncmigd -v handover --domid "$domid" --hold-ms "$HOLD_MS" \
		$reload >"$OUT/ho.$i" 2>&1 &
	hp=$!
	# The hold starts after the release (and the reload): -v says when.
	# (A reload's unbound moment is a few ms since rmmod and insmod are
	# syscalls; the reloaded driver then holds the vif parked.)
	mark="done release"; [ -z "$reload" ] || mark="done reload"
	if lab_wait 60 grep -q "^$mark" "$OUT/ho.$i"; then
		seq=$(netctl_send $NAME ctrlpost)
		netctl_line $NAME netctl.posted "$seq" 20 >/dev/null ||
			tap_diag "$i: the guest did not post"
		# Posted before the RESTORE, which ends the handover (a reloaded
		# driver binds the device at once, parked: nothing serves the
		# rings before the attach).
		released=$(kill -0 $hp 2>/dev/null && echo yes || echo no)
	else
		released=never seq=
	fi
	timeout 150 sh -c "while kill -0 $hp 2>/dev/null; do sleep 0.5; done"
	wait $hp
	rc=$?
	sed 's/^/#   /' "$OUT/ho.$i"
	tap_is "$rc/$released" 0/yes "handover $i${reload:+ (reload)}: succeeded, requests posted while released"
	[ "$rc" = 0 ] && ok=$((ok + 1))
	answer=$(netctl_line $NAME netctl.done "$seq" 60 | tr ' ' '\n' | sed -n 's/^netctl\.ctrlpost=//p')
	if tap_is "$answer" 0,0 "handover $i: SET_HASH_FLAGS and SET_HASH_MAPPING answered SUCCESS"; then
		answered_ok=$((answered_ok + 1))
	else
		wrong=$((wrong + 1))
	fi
	# The mapping posted is (i + 1) % 2: row 0 starts "1 0 1 0".
	sed -n '/Hash Mapping/,$p' "$ctrl" 2>/dev/null | head -3 | sed 's/^/#   /'
	tap_run "handover $i: netback maps hash 0 to queue 1 (the posted table)" sh -c \
		"sed -n '/Hash Mapping/,\$s/^\[ *0 -.*\]: *//p' $ctrl | awk '{exit !(\$1 == 1 && \$2 == 0)}'"
	i=$((i + 1))
done

lab_guest_destroy $NAME
echo "race-net-ctrl-blackout: handovers=$ok answered_ok=$answered_ok wrong=$wrong"
tap_done
