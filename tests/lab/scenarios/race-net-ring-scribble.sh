#!/bin/sh
# race-net-ring-scribble (issue 9, M8): a guest that writes its vif's ring
# indices must only spoil its own handover. The shared rsp_prod is written
# by netback but lives in guest memory; netback used to check it at
# SNAPSHOT, so one tenant could fail every multi-domain handover (and with
# it every reload of xen-netback) on its host. Netback now checks it at
# attach, where a bad ring is refused for that guest alone, and the
# refused vif is closed: it never falls back to a plain connect on the
# same rings.
#
# PV guests, each with one vif driven by the test frontend xen-netctl
# (hostile: rs-a1, then rs-a2; healthy: rs-b). Twice, a two-domain
# `ncmigd handover --domid A --domid B --reload-modules`:
#  1. A rewinds its queue 0 Tx rsp_prod by 5 before the handover;
#  2. A does it while released (--hold-ms RSR_HOLD_MS, default 4000),
#     after A reconnected on fresh rings.
# Asserted each time: the handover names d(A) vif 0 in its error and hands
# B over (domains=1), B's vif stays Connected and keeps its hash state;
# A's backend is closed (Closing or Closed) and stays so past the park
# timeout (no reconnect on those rings); then A reconnects by itself on
# fresh rings and works. No kernel report, no session left (lib).
# Ends with: race-net-ring-scribble: rounds=N refused=N others_ok=N
#            fallbacks=N
. /ncmig/dom0/lib.sh
. /ncmig/dom0/lib-net.sh

HOLD_MS=${RSR_HOLD_MS:-4000}
OUT=/run/ncmig-lab/race-net-ring-scribble
rm -rf "$OUT"; mkdir -p "$OUT"
PARK=/sys/module/xen_netback/parameters/handover_park_ms
refused=0 others_ok=0 fallbacks=0 rounds=0

lab_use_patched_backends || tap_diag "could not load the patched backends"
lab_load_ncmig_modules || tap_diag "could not load the ncmig modules"
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

db=$(netctl_guest_start rs-b) || db=
if [ -z "$db" ]; then
	tap_not_ok "the healthy guest with a xen-netctl vif connected"; tap_done; exit 1
fi
tap_ok "the healthy guest with a xen-netctl vif connected (d$db)"
beb=$(lab_be_path rs-b vif 0)
park_ms=$(cat $PARK 2>/dev/null || echo 10000)
hashb() { cat "/sys/kernel/debug/xen-netback/vif$db.0/ctrl" 2>/dev/null; }
hashb >"$OUT/hash-b.before"

# round TAG HOW: one two-domain handover with a reload while A (a new
# guest: a refused A's session waits, ownerless, until its domain goes, and
# its closed vif keeps xen-netback in use) is hostile.
round() {
	rounds=$((rounds + 1))
	A=rs-a$rounds
	da=$(netctl_guest_start $A) || da=
	if [ -z "$da" ]; then
		tap_not_ok "$1: the hostile guest $A connected"; return 1
	fi
	bea=$(lab_be_path $A vif 0)
	[ "$1" = released ] ||
		tap_is "$(netctl_cmd $A scribble | cut -d, -f1 | grep -c .)" 1 "$1: A (d$da) rewound its Tx rsp_prod"
	# shellcheck disable=SC2086 # $2: extra options or none
	timeout -s KILL 180 ncmigd handover --domid "$da" --domid "$db" \
		--reload-modules --module-dir /ncmig/backends $2 >"$OUT/ho.$1" 2>&1 &
	_hp=$!
	if [ "$1" = released ]; then
		# Scribble once A is released (its driver unbound).
		lab_wait 60 sh -c "[ ! -e /sys/bus/xen-backend/devices/vif-$da-0/driver ]" ||
			tap_diag "$1: A never released"
		tap_is "$(netctl_cmd $A scribble | cut -d, -f1 | grep -c .)" 1 \
			"$1: A rewound its Tx rsp_prod while released"
	fi
	timeout 200 sh -c "while kill -0 $_hp 2>/dev/null; do sleep 0.5; done"
	wait $_hp
	_hrc=$?
	sed 's/^/#   /' "$OUT/ho.$1"
	tap_cmp "$_hrc" -ne 0 "$1: the handover reports a failure"
	if grep -q "d$da vif 0" "$OUT/ho.$1"; then
		refused=$((refused + 1))
		tap_ok "$1: the error names d$da vif 0"
	else
		tap_not_ok "$1: the error names d$da vif 0"
	fi
	if grep -q "handover: domains=1 " "$OUT/ho.$1" &&
	   [ "$(lab_xs_read "$beb/state")" = 4 ]; then
		others_ok=$((others_ok + 1))
		tap_ok "$1: d$db was handed over and is Connected"
	else
		tap_not_ok "$1: d$db was handed over and is Connected"
	fi
	hashb >"$OUT/hash-b.$1"
	tap_run "$1: d$db keeps its hash configuration" cmp "$OUT/hash-b.before" "$OUT/hash-b.$1"
	# A: closed, and not connected again on the same rings past the park
	# timeout.
	sleep $((park_ms / 1000 + 3))
	_sa=$(lab_xs_read "$bea/state")
	case $_sa in
	5|6) tap_ok "$1: d$da's vif closed, not reconnected on its rings (state $_sa)" ;;
	*) fallbacks=$((fallbacks + 1))
	   tap_not_ok "$1: d$da's vif closed, not reconnected on its rings"
	   tap_diag "  backend state $_sa" ;;
	esac
	dmesg | grep "vif-$da-0" | tail -4 | sed 's/^/#   dom0: /'
	tap_run "$1: d$da reconnects on fresh rings" netctl_reconnect $A
	lab_guest_destroy $A
}

# 1. scribbled before: the snapshot used to fail, the whole handover with it.
round before ""
# 2. scribbled while released.
round released "--hold-ms $HOLD_MS"

lab_guest_destroy rs-b
# A refused A's session ends once its domain is gone (the kernel's next
# retry of its RESTORE).
lab_wait 90 sh -c "! ncmigd status 2>/dev/null | grep -q 'session:'" ||
	ncmigd status 2>&1 | head -5 | sed 's/^/#   status: /'
echo "race-net-ring-scribble: rounds=$rounds refused=$refused others_ok=$others_ok fallbacks=$fallbacks"
tap_done
