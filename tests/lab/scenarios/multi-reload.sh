#!/bin/sh
# multi-reload: a live update of the dom0 backends on a host with two PV
# guests, ma and mb, each with one disk under verified I/O (wl_blk) and one
# vif (dom0 pings each guest).
#
# Asserted: a single-domain `ncmigd handover --domid A --reload-modules`
# cannot reload while B's devices are bound (exits non-zero, says rmmod
# failed) and A is still served afterwards (its disk does I/O, it answers
# ping); then MULTI_HANDOVERS (default 5) `ncmigd handover --domid A
# --domid B --reload-modules` each exit 0 with both domains' lines and the
# closing `handover: domains=2 ...` line, and after each both guests' disks
# serve I/O and both answer ping; no write to any frontend or backend state
# node of either guest's vbd and vif (xenstore-watch) across all of it;
# both frontends still Connected; at the end 0 I/O and 0 verify errors in
# both guests.
# Then one `ncmigd update-backends` (the operator's host-wide update: it
# finds both domains itself) exits 0 with both domains' lines and its
# closing line, under the same watches; and syslog (busybox syslogd, as
# journald would) holds ncmigd's audit lines for both domains: quiesce,
# release, the reload, restore with each device's blackout.
#
# Each ncmigd prints where its time goes (NCMIG_TIMES: "ncmig-time:"
# lines, each step's end since the run began and its length), kept as
# TAP comments with the rest of its output.
#
# Ends with: multi-reload: handovers=N domains=2 reloads=N failed=N
. /ncmig/dom0/lib.sh
export NCMIG_TIMES=${NCMIG_TIMES:-1}

HANDOVERS=${MULTI_HANDOVERS:-5}
# Long enough for the single handover and all the multi-domain ones with
# their reloads under TCG (up to ~40 s each on a loaded 2-core machine).
WL_SECONDS=${MULTI_WL_SECONDS:-900}	# at most: stopped TAIL_SECONDS after the last handover
TAIL_SECONDS=${MULTI_TAIL_SECONDS:-10}
W=/run/ncmig-lab/multi-reload
rm -rf "$W"; mkdir -p "$W"
done_n=0 reloads=0 failed=0

summary() {
	echo "multi-reload: handovers=$done_n domains=2 reloads=$reloads failed=$failed"
}

if lab_use_patched_backends; then tap_ok "patched backends loaded"; else
	tap_not_ok "patched backends loaded"; tap_done; summary; exit 1; fi
tap_run "xen-backend-quiesce and xen-ncmig loaded" lab_load_ncmig_modules
tap_run "ncmigd present" test -x /ncmig/bin/ncmigd

# ncmigd's audit trail goes to syslog: a syslogd on /dev/log keeps it.
if [ ! -S /dev/log ]; then
	busybox syslogd -n -O "$W/syslog" &
	echo $! >"$W/syslogd.pid"
fi

for g in ma mb; do
	d=$(lab_guest_start $g --disks 1 --workload "wl_blk $WL_SECONDS")
	if [ -n "$d" ]; then tap_ok "guest $g created (domid $d)"; else
		tap_not_ok "guest $g created"; failed=1; tap_done; summary; exit 1; fi
done
A=$(lab_guest_domid ma) B=$(lab_guest_domid mb)

# io_sum DOMID: reads + writes the guest's vbd 51712 backend has served.
io_sum() {
	s=/sys/bus/xen-backend/devices/vbd-$1-51712/statistics
	echo $(($(cat $s/rd_req 2>/dev/null || echo 0) + $(cat $s/wr_req 2>/dev/null || echo 0)))
}
# io_moves DOMID: the count changes within 30 s (the backend serves I/O).
io_moves() {
	s0=$(io_sum "$1")
	lab_wait 30 sh -c "s=/sys/bus/xen-backend/devices/vbd-$1-51712/statistics; [ \$((\$(cat \$s/rd_req) + \$(cat \$s/wr_req))) != $s0 ]"
}
pings() { lab_wait 30 ping -c 1 -W 1 "$(lab_guest_ip "$1")"; }
# served WHEN: assert both (or the named) guests' disks do I/O and answer ping.
served() {
	_when=$1; shift
	for g in "$@"; do
		d=$(lab_guest_domid $g)
		if io_moves "$d" && pings $g; then tap_ok "$_when: $g (d$d) does disk I/O and answers ping"; else
			tap_not_ok "$_when: $g (d$d) does disk I/O and answers ping"
			tap_diag "  io=$(io_sum "$d") ping: $(ping -c 1 -W 1 "$(lab_guest_ip $g)" 2>&1 | tail -2 | tr '\n' ' ')"
			failed=$((failed + 1))
		fi
	done
}

for g in ma mb; do
	lab_guest_result $g guest.ready 180 >/dev/null || tap_diag "$g never said guest.ready"
	for kind in vbd vif; do
		v=51712; [ $kind = vbd ] || v=0
		fe=$(lab_fe_path $g $kind $v)
		be=$(lab_be_path $g $kind $v)
		lab_xs_wait 60 "$be/state" 4
		lab_xs_wait 60 "$fe/state" 4
		tap_is "$(lab_xs_read "$fe/state")/$(lab_xs_read "$be/state")" 4/4 "$g $kind $v: frontend and backend Connected"
		echo "$fe" >>"$W/fe.paths"
		# Every write to a state node fires its watch; only the first
		# (registration) firing may appear.
		for p in "$fe" "$be"; do
			f=$W/watch.$(echo "$p" | tr / _)
			xenstore-watch "$p/state" >"$f" 2>&1 &
			echo $! >>"$W/watch.pids"
			echo "$f" >>"$W/watch.files"
		done
	done
done
lab_wait 60 sh -c "[ \$(cat /sys/bus/xen-backend/devices/vbd-$A-51712/statistics/wr_req) -gt 0 ]"
lab_wait 60 sh -c "[ \$(cat /sys/bus/xen-backend/devices/vbd-$B-51712/statistics/wr_req) -gt 0 ]"
served "before any handover" ma mb

# 1. One domain cannot reload the modules while the other is bound.
if timeout 180 ncmigd handover --domid "$A" --reload-modules --module-dir /ncmig/backends \
	>"$W/single.out" 2>&1; then rc=0; else rc=$?; fi
sed 's/^/# single: /' "$W/single.out"
tap_cmp "$rc" -ne 0 "single-domain handover of d$A with a reload while d$B is bound exits non-zero"
tap_run "it says rmmod failed" grep -q "d$A: rmmod xen_.*back failed" "$W/single.out"
tap_run "it still restored d$A" grep -q "^d$A: handover devices=2 reload=1 " "$W/single.out"
served "after the refused reload" ma mb

# 2. Both at once: the modules reload.
i=0
while [ $i -lt "$HANDOVERS" ]; do
	i=$((i + 1))
	if timeout 300 ncmigd handover --domid "$A" --domid "$B" --reload-modules \
		--module-dir /ncmig/backends >"$W/out.$i" 2>&1; then
		tap_ok "multi-domain handover $i (d$A d$B, reload) exits 0"
		done_n=$((done_n + 1)) reloads=$((reloads + 1))
	else
		tap_not_ok "multi-domain handover $i (d$A d$B, reload) exits 0"
		failed=$((failed + 1))
	fi
	sed "s/^/# $i: /" "$W/out.$i"
	tap_run "handover $i: lines of both domains and the closing line" sh -c \
		"grep -q '^d$A: handover devices=2 reload=1 ' $W/out.$i &&
		 grep -q '^d$B: handover devices=2 reload=1 ' $W/out.$i &&
		 grep -q '^handover: domains=2 devices=4 reload=1 total_ms=' $W/out.$i"
	lab_log "handover $i: $(grep -o '^handover: .*' "$W/out.$i")"
	served "after multi-domain handover $i" ma mb
	for g in ma mb; do
		if grep -q "NCMIG-RESULT.* wl.done=" "$LAB_CONSOLE_DIR/guest-$g.log"; then
			tap_diag "$g's I/O ended after $i handovers"
		fi
	done
done
tap_is "$done_n" "$HANDOVERS" "all $HANDOVERS multi-domain handovers succeeded"

# 3. The operator's one command: every domain with backends, found by
# ncmigd itself, onto reloaded modules.
if timeout 300 ncmigd update-backends --module-dir /ncmig/backends >"$W/update.out" 2>&1; then
	tap_ok "update-backends exits 0"
	reloads=$((reloads + 1))
else
	tap_not_ok "update-backends exits 0"
	failed=$((failed + 1))
fi
sed "s/^/# update: /" "$W/update.out"
tap_run "update-backends handed both domains over, with its closing line" sh -c \
	"grep -q '^d$A: handover devices=2 reload=1 ' $W/update.out &&
	 grep -q '^d$B: handover devices=2 reload=1 ' $W/update.out &&
	 grep -q '^update-backends: domains=2 devices=4 reload=1 total_ms=.* max_blackout_ms=' $W/update.out"
served "after update-backends" ma mb
if [ -f "$W/syslog" ]; then
	# audited D STEP: a line of ncmigd's for domain D's STEP naming both
	# its devices (in whichever order the kernel listed them).
	audited() {
		grep "ncmigd\[[0-9]*\]: d$1: $2 done: " "$W/syslog" | grep "vbd 51712" | grep -q "vif 0"
	}
	for d in $A $B; do
		if audited $d quiesce && audited $d release && audited $d restore &&
			grep "ncmigd\[[0-9]*\]: d$d: restore done: " "$W/syslog" | grep -q "blackout_ms=[0-9]"; then
			tap_ok "syslog: ncmigd's audit of d$d (quiesce, release, restore with blackouts)"
		else
			tap_not_ok "syslog: ncmigd's audit of d$d (quiesce, release, restore with blackouts)"
			grep "d$d:" "$W/syslog" | tail -5 | sed 's/^/#   /'
		fi
	done
	tap_run "syslog: ncmigd's audit of the module reload" \
		grep -q 'ncmigd\[[0-9]*\]: backend modules reloaded for 2 domain' "$W/syslog"
	tap_run "syslog: ncmigd's audit of update-backends" \
		grep -q 'ncmigd\[[0-9]*\]: update-backends: 2 domain(s) onto reloaded backends' "$W/syslog"
else
	tap_diag "dom0 already has a /dev/log: the audit lines are in its syslog"
fi
busy=0
for g in ma mb; do
	! grep -q "NCMIG-RESULT.* wl.done=" "$LAB_CONSOLE_DIR/guest-$g.log" || busy=1
done
tap_is "$busy" 0 "every handover ran while both guests did I/O"
# I/O on the last instance for a while, then the final verify pass.
sleep "$TAIL_SECONDS"
for g in ma mb; do
	if lab_guest_stop_wl $g; then tap_ok "$g: dom0 ended its I/O ${TAIL_SECONDS} s after the last handover"
	else tap_not_ok "$g: dom0 ended its I/O ${TAIL_SECONDS} s after the last handover"; fi
done

for g in ma mb; do
	if lab_guest_wait_done $g $((WL_SECONDS + 300)); then tap_ok "$g: workload finished"; else
		tap_not_ok "$g: workload finished"; fi
done
while read -r p; do kill "$p" 2>/dev/null; done <"$W/watch.pids"
while read -r f; do
	n=$(grep -c state "$f")
	tap_is "$n" 1 "${f##*/watch.}: state node never written (watch fired $n times)"
done <"$W/watch.files"
while read -r fe; do
	tap_is "$(lab_xs_read "$fe/state")" 4 "$fe still Connected"
done <"$W/fe.paths"
for g in ma mb; do
	tap_is "$(lab_guest_result $g blk.io_errors 5)" 0 "$g: 0 I/O errors"
	tap_is "$(lab_guest_result $g blk.verify_errors 5)" 0 "$g: 0 verify errors"
	tap_cmp "$(lab_guest_result $g blk.final_units 5)" -gt 0 "$g: final verify pass read back written blocks"
	tap_diag "$g blk: ops=$(lab_guest_result $g blk.ops 5) max_lat_ms=$(lab_guest_result $g blk.max_lat_ms 5)"
done

lab_guest_destroy ma
lab_guest_destroy mb
if [ -f "$W/syslogd.pid" ]; then
	kill "$(cat "$W/syslogd.pid")" 2>/dev/null
	rm -f /dev/log
fi
tap_done
rc=$?
summary
exit $rc
