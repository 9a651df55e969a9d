#!/bin/sh
# soak: many handovers in one boot under the full load. Two PV guests,
# sa and sb, each with two disks under verified I/O at QD 16 (blkverify),
# a TCP stream both ways with dom0 and a 100/s UDP ping (wl_all). dom0
# runs SOAK_HANDOVERS `ncmigd handover` rounds (default 100, the bounded
# variant; `make soak` runs 1000):
#   - most rounds hand over one guest (sa and sb in turn);
#   - every SOAK_MULTI_EVERY-th round hands over both guests at once;
#   - every SOAK_RELOAD_EVERY-th round does so across a module reload
#     (a reload needs every bound domain, so it is always multi-domain).
# Each disk of a handed-over guest must serve I/O again after its round:
# checked before that guest's next round (and after the last one), so
# that a round does not wait for it.
#
# Counted: handovers (ncmigd handover runs that exited 0), reloads, multi
# (runs naming both guests), I/O and verify errors (by kind: stale,
# misplaced, corrupt), frontend reconnects (writes to any frontend or
# backend state node, seen by watches that run for the whole soak; new
# TCP connections), TCP resets, lost pings, the largest TCP gap, dom0
# kernel reports since the scenario began, persistent grants lost across
# attaches, and dom0's memory held by the backends and our modules before
# and after the rounds, with the same guests and load: unreclaimable slab
# + vmalloc + the pool of pages for grant mappings (leaked_kib: the
# growth, 0 if it shrank). Asserted: all zero, except a leak within SOAK_LEAK_SLACK_KIB
# (allocator noise of a busy dom0).
#
# A round costs what the handover costs: the loop forks nothing but
# `timeout ncmigd` (and `sleep 0.2` while a disk has not served I/O yet;
# counters, times and the memory are read with shell builtins);
# everything else is counted from logs after the rounds. Under the
# nested TCG lab a round took 7.8 s (21 s before), of which ncmigd ran
# 6.7 s and reported total_ms=2241 on average: starting a process in
# that dom0 is most of what is left.
#
# Ends with: soak: handovers=N reloads=N multi=N io_errors=N
#   verify_errors=N reconnects=N tcp_resets=N dmesg_reports=N leaked_kib=N hours=X
. /ncmig/dom0/lib.sh
. /ncmig/dom0/kreports.sh
. /ncmig/dom0/lib-watch.sh

ROUNDS=${SOAK_HANDOVERS:-100}
MULTI_EVERY=${SOAK_MULTI_EVERY:-5}
RELOAD_EVERY=${SOAK_RELOAD_EVERY:-10}
# Memory samples between the first and the last (diagnostics).
MEM_EVERY=${SOAK_MEM_EVERY:-$(((ROUNDS + 3) / 4))}
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
give_up() { watch_stop "$W/w"; tap_not_ok "$1"; tap_done; summary; exit 1; }

# ---- builtins only (no fork): used in the rounds ---------------------------
# now_cs: dom0's uptime in centiseconds, in $now.
now_cs() {
	read -r _up _ </proc/uptime
	now=$((${_up%.*} * 100 + 1${_up#*.} - 100))
}
# served DOMID VBD: requests served on that vbd, in $n.
served() {
	_s=/sys/bus/xen-backend/devices/vbd-$1-$2/statistics
	_r=0 _w=0
	read -r _r <"$_s/rd_req" 2>/dev/null || _r=0
	read -r _w <"$_s/wr_req" 2>/dev/null || _w=0
	n=$((_r + _w))
}
# mark DOMID ROUND: after DOMID's handover in ROUND, each disk must serve
# more than it has now.
mark() {
	for _v in 51712 51728; do
		served "$1" $_v
		eval "io_${1}_$_v=$n"
	done
	eval "io_round_$1=$2"
}
# check DOMID: did each of its disks serve I/O since its last mark? Polls
# (0.2 s) only if not yet, for at most 30 s; a failure is counted.
check() {
	eval "_rd=\${io_round_$1:-}"
	[ -n "$_rd" ] || return 0
	eval "io_round_$1="
	now_cs; _end=$((now + 3000))
	for _v in 51712 51728; do
		_b=0; eval "_b=\$io_${1}_$_v"
		while served "$1" $_v; [ "$n" -le "$_b" ]; do
			now_cs
			if [ "$now" -ge "$_end" ]; then
				failed=$((failed + 1))
				tap_diag "round $_rd: d$1 vbd $_v served no I/O within 30 s after it"
				break
			fi
			sleep 0.2
		done
	done
}
# mem_sample LABEL: dom0's unreclaimable slab and vmalloc, and the pool
# of pages for grant mappings (KiB), appended to $W/mem as "LABEL SLAB
# VMALLOC GRANT_POOL"; their sum in $mem. The pool: a PV dom0 maps
# foreign grants into "Xen scratch" regions of /proc/iomem
# (xen_alloc_unpopulated_pages); they are never given back, and a new
# one (a 128 MiB section) is added only when every page of the others is
# in use, so it grows only if mappings pile up (a coarse leak check).
mem_sample() {
	_sl=0 _vm=0 _gp=0
	while read -r _k _val _; do
		case $_k in
		SUnreclaim:) _sl=$_val ;;
		VmallocUsed:) _vm=$_val ;;
		esac
	done </proc/meminfo
	while read -r _rg _ _nm; do
		case $_nm in
		"Xen scratch") _gp=$((_gp + (0x${_rg#*-} - 0x${_rg%-*} + 1) / 1024)) ;;
		esac
	done </proc/iomem
	echo "$1 $_sl $_vm $_gp" >>"$W/mem"
	mem=$((_sl + _vm + _gp))
}

lab_use_patched_backends || give_up "patched backends loaded"
lab_load_ncmig_modules || give_up "xen-backend-quiesce and xen-ncmig loaded"
lab_netserver_start || give_up "netstream server started"
for g in sa sb; do
	d=$(lab_guest_start $g --disks 2 --workload "wl_all $CEIL")
	[ -n "$d" ] || give_up "guest $g created"
	tap_ok "guest $g created (domid $d, 2 disks, 1 vif)"
done
A=$(lab_guest_domid sa) B=$(lab_guest_domid sb)

# Every frontend and backend state node of both guests, watched from
# here to the end of the rounds: any write to one is a reconnect.
for g in sa sb; do
	lab_guest_result $g guest.ready 180 >/dev/null || tap_diag "$g never said guest.ready"
	d=$(lab_guest_domid $g)
	for dev in vbd/51712 vbd/51728 vif/0; do
		p=/local/domain/$d/device/$dev
		lab_xs_wait 60 "$p/state" 4
		watch_start "$W/w" "d$d-fe-${dev%/*}-${dev#*/}" "$p/state" $((CEIL + 600))
		watch_start "$W/w" "d$d-be-${dev%/*}-${dev#*/}" "$(lab_xs_read "$p/backend")/state" $((CEIL + 600))
	done
	lab_wait 60 sh -c "[ \$(cat /sys/bus/xen-backend/devices/vbd-$d-51728/statistics/wr_req) -gt 0 ]" ||
		tap_diag "$g: no write on its second disk yet"
done
watch_armed "$W/w" 60 || tap_diag "not every state-node watch fired its first event within 60 s"
lab_wait 60 sh -c "ping -c 1 -W 1 $(lab_guest_ip sa) && ping -c 1 -W 1 $(lab_guest_ip sb)" >/dev/null

# One warm-up round with a reload, so that first-use allocations
# (workqueues, caches of the new instance) are in the baseline.
watch_tag "$W/w" warm-up reload
if timeout 300 ncmigd handover --domid "$A" --domid "$B" --reload-modules \
	--module-dir /ncmig/backends >"$W/warmup" 2>&1; then
	tap_ok "warm-up handover of both guests with a reload"
	sed 's/^/# warm-up: /' "$W/warmup"
else
	sed 's/^/# warm-up: /' "$W/warmup"; give_up "warm-up handover of both guests with a reload"
fi
mark "$A" 0; mark "$B" 0
mem_sample start; mem0=$mem
now_cs; t0=$now

# The rounds. Per round: "ROUND KIND HANDOVER_CS ROUND_CS" in $W/rounds,
# ncmigd's output after a "== round ROUND KIND" line in $W/ho.
i=0 fails_row=0
while [ $i -lt "$ROUNDS" ]; do
	i=$((i + 1))
	now_cs; r0=$now
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
	# Its disks served I/O since their last handover.
	for d in $doms; do check "$d"; done
	watch_tag "$W/w" "$i" "$kind" "$doms"
	echo "== round $i $kind" >>"$W/ho"
	now_cs; h0=$now
	if timeout 300 ncmigd handover "$@" >>"$W/ho" 2>&1; then
		now_cs; h1=$now
		done_n=$((done_n + 1)) fails_row=0
		[ $kind = single ] || multi=$((multi + 1))
		[ $kind != reload ] || reloads=$((reloads + 1))
	else
		now_cs; h1=$now
		failed=$((failed + 1)) fails_row=$((fails_row + 1))
		tap_diag "round $i ($kind, d$(echo "$doms" | sed 's/ /, d/g')) failed:"
		sed -n "/^== round $i /,\$p" "$W/ho" | sed '1d; s/^/#   /'
		for d in $doms; do
			for v in 51712 51728; do
				tap_diag "  vbd-$d-$v: backend $(lab_xs_read "/local/domain/0/backend/vbd/$d/$v/state")," \
					"frontend $(lab_xs_read "/local/domain/$d/device/vbd/$v/state")"
			done
		done
		lab_kmsg_slice soak | grep -a -E "vbd-|blkback|ncmig|xbq" | tail -25 | sed 's/^/#   kernel: /'
	fi
	for d in $doms; do mark "$d" $i; done
	[ $((i % MEM_EVERY)) != 0 ] || [ $i = "$ROUNDS" ] || mem_sample "round-$i"
	now_cs
	echo "$i $kind $((h1 - h0)) $((now - r0))" >>"$W/rounds"
	# Every 50 rounds, where the last 50 went: $W is lost if the lab is stopped.
	[ $((i % 50)) != 0 ] || lab_log "soak: $i rounds, $done_n handovers, $failed failures;" \
		"$(tail -n 50 "$W/rounds" | awk '{ h += $3; r += $4; if ($4 > m) m = $4 }
			END { printf "last %d: round mean_s=%.1f max_s=%.1f, ncmigd handover mean_s=%.1f", NR, r / NR / 100, m / 100, h / NR / 100 }')"
	[ "$fails_row" -lt 3 ] || { tap_diag "3 rounds in a row failed: stopping"; break; }
done
# Each disk served I/O after the last round too.
check "$A"; check "$B"
now_cs; t1=$now
mem_sample end; mem1=$mem
watch_tag "$W/w" after the rounds
tap_is "$done_n" "$ROUNDS" "all $ROUNDS handovers succeeded"
tap_is "$failed" 0 "every disk served I/O after every round"
busy=0
for g in sa sb; do
	! grep -q "NCMIG-RESULT.* wl.done=" "$LAB_CONSOLE_DIR/guest-$g.log" || busy=1
done
tap_is "$busy" 0 "every round ran under the guests' load"

# Where a round's time went.
awk '{ n++; h += $3; r += $4; if ($4 > m) m = $4; k[$2] += $4; c[$2]++ }
	END {
		if (!n) exit
		printf "# round time: mean_s=%.2f max_s=%.2f (n=%d); of which ncmigd handover mean_s=%.2f, the rest mean_s=%.2f\n",
			r / n / 100, m / 100, n, h / n / 100, (r - h) / n / 100
		for (x in k) printf "# round time, %s: mean_s=%.2f (n=%d)\n", x, k[x] / c[x] / 100, c[x]
	}' "$W/rounds"
# ...and how much of ncmigd's run its own total_ms covers (the rest is
# starting it under timeout).
awk '/^== round / { r = $3; next }
	match($0, / total_ms=[0-9.]+/) { t[r] = substr($0, RSTART + 10, RLENGTH - 10) }
	END { for (x in t) { n++; s += t[x] } if (n) printf "# ncmigd total_ms: mean=%.0f (n=%d)\n", s / n, n }' "$W/ho"

sleep 5
for g in sa sb; do
	lab_guest_stop_wl $g || tap_diag "$g: the workload did not say it stopped"
done
watch_stop "$W/w"
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
# State-node writes, each with the round (and its kind) it fell in.
while read -r name; do
	n=$(watch_count "$W/w" "$name")
	[ "$n" -gt 0 ] || continue
	reconnects=$((reconnects + n))
	tap_diag "$name: $n state writes (uptime, round, kind, domains):"
	watch_events "$W/w" "$name" | head -20 | sed 's/^/#   /'
	watch_events "$W/w" "$name" | awk '{ print $2 }' >>"$W/write-rounds"
done <"$W/w/names"
# What the rounds with a state write did: ncmigd's own words, and the
# kernel's lines about devices leaving a handover or falling back to a
# connect, with dom0's uptime (the watches' clock).
if [ -s "$W/write-rounds" ]; then
	for rd in $(sort -u "$W/write-rounds" | grep -E '^[0-9]+$' | head -5); do
		tap_diag "ncmigd in round $rd:"
		sed -n "/^== round $rd /,/^== round /p" "$W/ho" | sed '1d; /^== round /d; s/^/#   /'
	done
	sed -n '/ncmig-lab: scenario soak begin/,$p' /run/ncmig-kmsg.log 2>/dev/null |
		grep -a -E 'left the handover|no handover within|not attached from a saved state|no attach within|reconnecting|refused' |
		head -40 | awk -F'[,;]' '{ printf "#   kernel [%.2f] %s\n", $3 / 1e6, substr($0, index($0, ";") + 1) }'
fi
# Persistent grants: each attach adopts what its snapshot carried.
pg_lost=$(lab_kmsg_slice soak | sed -n 's/.*attached from snapshot: pgrants before=\([0-9]*\) after=\([0-9]*\).*/\1 \2/p' |
	awk '{ l += $1 - $2 } END { print l + 0 }')
attaches=$(lab_kmsg_slice soak | grep -c 'attached from snapshot: pgrants')
# The persistent grants each vbd held mapped at its first and last attach.
lab_kmsg_slice soak | sed -n 's/.*vbd \(vbd-[0-9]*-[0-9]*\): attached from snapshot: .* kept=\([0-9]*\).*/\1 \2/p' |
	awk '!($1 in f) { f[$1] = $2 } { l[$1] = $2 } END { for (d in f) printf "# %s: persistent grants kept first=%d last=%d\n", d, f[d], l[d] }' | sort
dmesg_reports=$(lab_kreports_since soak | wc -l)
leaked_kib=$((mem1 - mem0)); [ "$leaked_kib" -ge 0 ] || leaked_kib=0
hours=$(awk -v s=$((t1 - t0)) 'BEGIN { printf "%.2f", s / 360000 }')

tap_is "$io_errors" 0 "0 guest I/O errors"
tap_is "$verify_errors" 0 "0 verify errors (stale=$stale misplaced=$misplaced corrupt=$corrupt)"
tap_is "$reconnects" 0 "no frontend reconnect (state node writes, new TCP connections)"
tap_is "$tcp_resets" 0 "no TCP reset"
tap_is "$pg_lost" 0 "no persistent grant lost in $attaches attaches"
tap_is "$dmesg_reports" 0 "no dom0 kernel report"
tap_diag "dom0 memory (KiB: unreclaimable slab, vmalloc, grant-mapping pool):"
sed 's/^/#   /' "$W/mem"
tap_cmp "$leaked_kib" -le "$LEAK_SLACK_KIB" \
	"dom0 slab + vmalloc + grant-mapping pool: $mem0 KiB before, $mem1 KiB after $done_n handovers"
# Blackouts per device, by the kind of the round they fell in.
awk '/^== round / { k = $4; next }
	{ if (match($0, / blackout_ms=[0-9.]+/)) print k, substr($0, RSTART + 13, RLENGTH - 13) }' \
	"$W/ho" | sort -k1,1 -k2,2n | awk '
	$1 != k { if (k != "") out(); k = $1; n = 0 }
	{ v[++n] = $2 }
	function out() { printf "# blackout_ms per device, %s: median=%s max=%s (n=%d)\n", k, v[int((n + 1) / 2)], v[n], n }
	END { if (k != "") out() }'
tap_diag "lost_pings=$lost_pings max_gap_ms=$max_gap rounds_s=$(((t1 - t0) / 100))"
lab_netserver_stop | sed 's/^/# dom0 /'
for g in sa sb; do lab_guest_destroy $g; done
tap_done
rc=$?
summary
exit $rc
