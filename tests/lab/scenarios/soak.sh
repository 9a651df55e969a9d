#!/bin/sh
# soak: many handovers in one boot under the full load. Two PV guests,
# sa and sb, each with two disks under verified I/O at QD 16 (blkverify),
# a TCP stream both ways with dom0 and a 100/s UDP ping (wl_all). dom0
# runs SOAK_HANDOVERS `ncmigd handover` rounds (default 100, the bounded
# variant in make check; `make soak` runs 1000):
#   - most rounds hand over one guest (sa and sb in turn);
#   - every SOAK_MULTI_EVERY-th round hands over both guests at once;
#   - every SOAK_RELOAD_EVERY-th round does so across a module reload
#     (a reload needs every bound domain, so it is always multi-domain).
# After each round the handed-over disks must serve I/O again.
#
# Counted: handovers (ncmigd handover runs that exited 0), reloads, multi
# (runs naming both guests), I/O and verify errors (by kind: stale,
# misplaced, corrupt), frontend reconnects (writes to any state node, new
# TCP connections), TCP resets, lost pings, the largest TCP gap, dom0
# kernel reports since the scenario began, persistent grants lost across
# attaches, and dom0's unreclaimable slab + vmalloc before and after the
# rounds, with the same guests and load (leaked_kib: the growth, 0 if it
# shrank). Asserted: all zero, except a leak within SOAK_LEAK_SLACK_KIB
# (allocator noise of a busy dom0) that must not grow with the rounds.
#
# Ends with: soak: handovers=N reloads=N multi=N io_errors=N
#   verify_errors=N reconnects=N tcp_resets=N dmesg_reports=N leaked_kib=N hours=X
. /ncmig/dom0/lib.sh
. /ncmig/dom0/kreports.sh

ROUNDS=${SOAK_HANDOVERS:-100}
MULTI_EVERY=${SOAK_MULTI_EVERY:-5}
RELOAD_EVERY=${SOAK_RELOAD_EVERY:-10}
# The load's ceiling: dom0 ends it once the rounds are done.
CEIL=${SOAK_WL_SECONDS:-$((ROUNDS * 30 + 600))}
LEAK_SLACK_KIB=${SOAK_LEAK_SLACK_KIB:-2048}
W=/run/ncmig-lab/soak
rm -rf "$W"; mkdir -p "$W"
done_n=0 reloads=0 multi=0 failed=0 io_errors=0 verify_errors=0 reconnects=0
tcp_resets=0 dmesg_reports=0 leaked_kib=0 hours=0

summary() {
	echo "soak: handovers=$done_n reloads=$reloads multi=$multi io_errors=$io_errors" \
		"verify_errors=$verify_errors reconnects=$reconnects tcp_resets=$tcp_resets" \
		"dmesg_reports=$dmesg_reports leaked_kib=$leaked_kib hours=$hours"
}
give_up() { tap_not_ok "$1"; tap_done; summary; exit 1; }

lab_use_patched_backends || give_up "patched backends loaded"
lab_load_ncmig_modules || give_up "xen-backend-quiesce and xen-ncmig loaded"
lab_netserver_start || give_up "netstream server started"
for g in sa sb; do
	d=$(lab_guest_start $g --disks 2 --workload "wl_all $CEIL")
	[ -n "$d" ] || give_up "guest $g created"
	tap_ok "guest $g created (domid $d, 2 disks, 1 vif)"
done
A=$(lab_guest_domid sa) B=$(lab_guest_domid sb)

# io DOMID: reads + writes served on both of the domain's vbds.
io() {
	_n=0
	for _v in 51712 51728; do
		_s=/sys/bus/xen-backend/devices/vbd-$1-$_v/statistics
		_n=$((_n + $(cat $_s/rd_req 2>/dev/null || echo 0) + $(cat $_s/wr_req 2>/dev/null || echo 0)))
	done
	echo "$_n"
}
# io_moves DOMID BEFORE: I/O served since BEFORE, within 30 s.
io_moves() {
	_end=$(($(date +%s) + 30))
	while [ "$(io "$1")" = "$2" ]; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.2
	done
}
# Memory our code and the backends hold outside the page cache, in KiB.
# (No sync or drop_caches: neither touches these, and a sync under the
# guests' writes can take minutes.)
mem_kib() {
	awk '/^SUnreclaim:/ { s = $2 } /^VmallocUsed:/ { v = $2 } END { print s + v }' /proc/meminfo
}

for g in sa sb; do
	lab_guest_result $g guest.ready 180 >/dev/null || tap_diag "$g never said guest.ready"
	d=$(lab_guest_domid $g)
	for p in $(lab_fe_path $g vbd 51712) $(lab_fe_path $g vbd 51728) $(lab_fe_path $g vif 0); do
		lab_xs_wait 60 "$p/state" 4
		for q in "$p" "$(lab_xs_read "$p/backend")"; do
			f=$W/watch.$(echo "$q" | tr / _)
			xenstore-watch "$q/state" >"$f" 2>&1 &
			echo $! >>"$W/watch.pids"
		done
	done
	lab_wait 60 sh -c "[ \$(cat /sys/bus/xen-backend/devices/vbd-$d-51728/statistics/wr_req) -gt 0 ]" ||
		tap_diag "$g: no write on its second disk yet"
done
lab_wait 60 sh -c "ping -c 1 -W 1 $(lab_guest_ip sa) && ping -c 1 -W 1 $(lab_guest_ip sb)" >/dev/null

# One warm-up round with a reload, so that first-use allocations
# (workqueues, caches of the new instance) are in the baseline.
if timeout 300 ncmigd handover --domid "$A" --domid "$B" --reload-modules \
	--module-dir /ncmig/backends >"$W/warmup" 2>&1; then
	tap_ok "warm-up handover of both guests with a reload"
	sed 's/^/# warm-up: /' "$W/warmup"
else
	sed 's/^/# warm-up: /' "$W/warmup"; give_up "warm-up handover of both guests with a reload"
fi
mem0=$(mem_kib)
t0=$(date +%s)

i=0 fails_row=0
while [ $i -lt "$ROUNDS" ]; do
	i=$((i + 1))
	if [ $((i % RELOAD_EVERY)) = 0 ]; then
		set -- --domid "$A" --domid "$B" --reload-modules --module-dir /ncmig/backends
		doms="$A $B" kind=reload
	elif [ $((i % MULTI_EVERY)) = 0 ]; then
		set -- --domid "$A" --domid "$B"; doms="$A $B" kind=multi
	elif [ $((i % 2)) = 1 ]; then
		set -- --domid "$A"; doms=$A kind=single
	else
		set -- --domid "$B"; doms=$B kind=single
	fi
	for d in $doms; do eval "io_$d=\$(io $d)"; done
	if timeout 300 ncmigd handover "$@" >"$W/out" 2>&1; then
		done_n=$((done_n + 1)) fails_row=0
		[ $kind = single ] || multi=$((multi + 1))
		[ $kind != reload ] || reloads=$((reloads + 1))
		grep -o 'blackout_ms=[0-9.]*' "$W/out" | cut -d= -f2 >>"$W/blackout.$kind"
	else
		failed=$((failed + 1)) fails_row=$((fails_row + 1))
		tap_diag "round $i ($kind, d$(echo "$doms" | sed 's/ /, d/g')) failed:"
		sed 's/^/#   /' "$W/out"
		for d in $doms; do
			for v in 51712 51728; do
				tap_diag "  vbd-$d-$v: backend $(lab_xs_read "/local/domain/0/backend/vbd/$d/$v/state")," \
					"frontend $(lab_xs_read "/local/domain/$d/device/vbd/$v/state")"
			done
		done
		lab_kmsg_slice soak | grep -a -E "vbd-|blkback|ncmig|xbq" | tail -25 | sed 's/^/#   kernel: /'
	fi
	for d in $doms; do
		b=0; eval "b=\$io_$d"
		if ! io_moves "$d" "$b"; then
			failed=$((failed + 1))
			tap_diag "round $i: d$d's disks served no I/O within 30 s after it"
		fi
	done
	[ $((i % 50)) != 0 ] || lab_log "soak: $i rounds, $done_n handovers, $failed failures"
	[ "$fails_row" -lt 3 ] || { tap_diag "3 rounds in a row failed: stopping"; break; }
done
t1=$(date +%s)
mem1=$(mem_kib)
tap_is "$done_n" "$ROUNDS" "all $ROUNDS handovers succeeded"
tap_is "$failed" 0 "the disks served I/O after every round"
busy=0
for g in sa sb; do
	! grep -q "NCMIG-RESULT.* wl.done=" "$LAB_CONSOLE_DIR/guest-$g.log" || busy=1
done
tap_is "$busy" 0 "every round ran under the guests' load"

sleep 5
for g in sa sb; do
	lab_guest_stop_wl $g || tap_diag "$g: the workload did not say it stopped"
done
while read -r p; do kill "$p" 2>/dev/null; done <"$W/watch.pids"
lost_pings=0 max_gap=0 stale=0 misplaced=0 corrupt=0
for g in sa sb; do
	if lab_guest_wait_done $g 600; then tap_ok "$g: workload finished"; else
		tap_not_ok "$g: workload finished"; fi
	r() { _v=$(lab_guest_result $g "$1" 5); echo "${_v:-0}"; }
	io_errors=$((io_errors + $(r blk.io_errors)))
	verify_errors=$((verify_errors + $(r blk.verify_errors)))
	stale=$((stale + $(r blk.stale))) misplaced=$((misplaced + $(r blk.misplaced)))
	corrupt=$((corrupt + $(r blk.corrupt)))
	tcp_resets=$((tcp_resets + $(r tcp.resets)))
	[ "$(r tcp.conns)" -le 1 ] || reconnects=$((reconnects + $(r tcp.conns) - 1))
	tap_is "$(r tcp.ok)" 1 "$g: TCP stream intact both ways (one connection, clean end)"
	tap_cmp "$(r blk.final_units)" -gt 0 "$g: final verify pass read back written blocks"
	lost_pings=$((lost_pings + $(r udp.lost)))
	gap=$(r tcp.max_gap_ms)
	[ "$gap" -le "$max_gap" ] || max_gap=$gap
	tap_diag "$g: blk ops=$(r blk.ops) max_lat_ms=$(r blk.max_lat_ms); udp sent=$(r udp.sent)" \
		"lost=$(r udp.lost) longest_loss_ms=$(r udp.longest_loss_ms); tcp max_gap_ms=$gap"
done
for f in "$W"/watch.*; do
	n=$(($(grep -c state "$f") - 1))
	[ "$n" -le 0 ] || { reconnects=$((reconnects + n)); tap_diag "${f##*/watch.}: $n state writes"; }
done
# Persistent grants: each attach adopts what its snapshot carried.
pg_lost=$(lab_kmsg_slice soak | sed -n 's/.*attached from snapshot: pgrants before=\([0-9]*\) after=\([0-9]*\).*/\1 \2/p' |
	awk '{ l += $1 - $2 } END { print l + 0 }')
attaches=$(lab_kmsg_slice soak | grep -c 'attached from snapshot: pgrants')
dmesg_reports=$(lab_kreports_since soak | wc -l)
leaked_kib=$((mem1 - mem0)); [ "$leaked_kib" -ge 0 ] || leaked_kib=0
hours=$(awk -v s=$((t1 - t0)) 'BEGIN { printf "%.2f", s / 3600 }')

tap_is "$io_errors" 0 "0 guest I/O errors"
tap_is "$verify_errors" 0 "0 verify errors (stale=$stale misplaced=$misplaced corrupt=$corrupt)"
tap_is "$reconnects" 0 "no frontend reconnect (state node writes, new TCP connections)"
tap_is "$tcp_resets" 0 "no TCP reset"
tap_is "$pg_lost" 0 "no persistent grant lost in $attaches attaches"
tap_is "$dmesg_reports" 0 "no dom0 kernel report"
tap_cmp "$leaked_kib" -le "$LEAK_SLACK_KIB" \
	"dom0 unreclaimable slab + vmalloc: $mem0 KiB before, $mem1 KiB after $done_n handovers"
for kind in single multi reload; do
	[ -s "$W/blackout.$kind" ] || continue
	tap_diag "blackout_ms per device, $kind: $(sort -n "$W/blackout.$kind" |
		awk '{ v[NR] = $1 } END { printf "median=%s max=%s (n=%d)", v[int((NR + 1) / 2)], v[NR], NR }')"
done
tap_diag "lost_pings=$lost_pings max_gap_ms=$max_gap rounds_s=$((t1 - t0))"
lab_netserver_stop | sed 's/^/# dom0 /'
for g in sa sb; do lab_guest_destroy $g; done
tap_done
rc=$?
summary
exit $rc
