#!/bin/sh
# blk-handover: a PV guest (2 vCPUs) runs verified I/O at QD 16 on two
# disks, each with 2 queues of 4-page rings (BLK_RING_ORDER), while dom0
# hands its vbds from one xen-blkback instance to the next with `ncmigd
# handover`, some of the times across a reload of the module. Nothing in the guest may notice: no I/O or verify
# error, the frontend's and backend's state nodes never written (xenstore
# watches), no blkfront line in the guest's kernel log, and every attach
# has exactly the persistent grants its snapshot carried (handed over
# still mapped, so blkfront's 10 s purge cannot revoke them meanwhile).
. /ncmig/dom0/lib.sh

HANDOVERS=${BLK_HANDOVERS:-20}
RELOAD_EVERY=${BLK_RELOAD_EVERY:-4}	# every 4th handover reloads: 5 of 20
# The longest the workload may run (20 handovers take ~14 s each on a
# loaded 2-core machine); dom0 ends it TAIL_SECONDS after the last one.
WL_SECONDS=${BLK_WL_SECONDS:-900}	# at most: stopped TAIL_SECONDS after the last handover
TAIL_SECONDS=${BLK_TAIL_SECONDS:-10}
DISK_MIB=${BLK_DISK_MIB:-128}
# Multi-page rings: the guest's init loads blkfront with this
# max_ring_page_order (ncmig.opt.xen-blkfront= on its command line), so each
# ring has 1 << RING_ORDER pages (2: 4 pages, 128 requests); 0 is Linux's
# default, single-page rings. blkback advertises max-ring-page-order 4.
RING_ORDER=${BLK_RING_ORDER:-2}
NAME=bh
# BLK_GUEST=pv|pvh: the guest's type (default PV, or PVH under run --pvh).
GUEST_TYPE=${BLK_GUEST:+--$BLK_GUEST}
W=/run/ncmig-lab/blk-handover
rm -rf "$W"; mkdir -p "$W"

# The median and the maximum of the numbers in file $1, "- -" if empty.
med_max() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (!NR) { print "- -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f %.1f\n", m, v[NR] }'
}

summary() {
	echo "blk-handover: handovers=${done_n:-0} reloads=${reloads:-0} reconnects=${reconnects:-0} io_errors=${io_errors:-0} verify_errors=${verify_errors:-0}"
}

if lab_use_patched_backends; then tap_ok "patched xen-blkback loaded"; else
	tap_not_ok "patched xen-blkback loaded"; tap_done; summary; exit 1; fi
tap_run "xen-backend-quiesce and xen-ncmig loaded" lab_load_ncmig_modules
tap_run "ncmigd present" test -x /ncmig/bin/ncmigd

wl="wl_result fe.ring_order=\$(cat /sys/module/xen_blkfront/parameters/max_ring_page_order);"
# Count the guest's blkfront kernel lines before and after the load.
wl="$wl b=\$(dmesg | grep -c -i blkfront); wl_blk $WL_SECONDS;"
wl="$wl wl_result fe.blkfront_lines=\$((\$(dmesg | grep -c -i blkfront) - b))"
domid=$(lab_guest_start $NAME $GUEST_TYPE --disks 2 --disk-mib "$DISK_MIB" --vcpus 2 --no-vif --workload "$wl" \
	--cmdline "ncmig.opt.xen-blkfront=max_ring_page_order=$RING_ORDER")
if [ -n "$domid" ]; then tap_ok "guest $NAME created (domid $domid, $(lab_guest_type $NAME))"; else
	tap_not_ok "guest $NAME created"; tap_done; summary; exit 1; fi
lab_guest_result $NAME guest.ready 180 >/dev/null
tap_is "$(lab_guest_result $NAME fe.ring_order 180)" "$RING_ORDER" "guest blkfront loaded with max_ring_page_order=$RING_ORDER"

devs="51712 51728"
ndevs=$(echo $devs | wc -w)
for v in $devs; do
	fe=$(lab_fe_path $NAME vbd $v)
	be=$(lab_be_path $NAME vbd $v)
	echo "$be" >"$W/be.$v"
	lab_xs_wait 60 "$be/state" 4
	lab_xs_wait 60 "$fe/state" 4
	tap_is "$(lab_xs_read "$be/state")" 4 "vbd $v: blkback Connected"
	tap_is "$(lab_xs_read "$fe/state")" 4 "vbd $v: blkfront Connected"
	tap_is "$(lab_xs_read "$fe/multi-queue-num-queues")" 2 "vbd $v: 2 queues"
	tap_cmp "$(lab_xs_read "$be/max-ring-page-order")" -ge "$RING_ORDER" "vbd $v: blkback advertises max-ring-page-order"
	# blkfront writes no ring-page-order node for single-page rings.
	want=$RING_ORDER; [ "$RING_ORDER" != 0 ] || want=
	tap_is "$(lab_xs_read "$fe/ring-page-order")" "$want" "vbd $v: rings of $((1 << RING_ORDER)) pages"
	tap_diag "vbd $v: ring-page-order=$(lab_xs_read "$fe/ring-page-order") feature-persistent=$(lab_xs_read "$be/feature-persistent")/$(lab_xs_read "$fe/feature-persistent")"
	# Every write to a state node fires its watch; only the first
	# (registration) firing may appear.
	for side in fe be; do
		eval "p=\$$side"
		xenstore-watch "$p/state" >"$W/watch.$side.$v" 2>&1 &
		echo $! >>"$W/watch.pids"
	done
done
# Wait for the guest to be doing I/O before the first handover.
lab_wait 60 sh -c "[ \$(cat /sys/bus/xen-backend/devices/vbd-$domid-51712/statistics/wr_req) -gt 0 ]"

dmesg -c >/dev/null	# only this run's attach lines below
done_n=0 reloads=0 failed=0 i=0
while [ $i -lt "$HANDOVERS" ]; do
	i=$((i + 1))
	set -- --domid "$domid"
	what=handover kind=plain
	if [ $((i % RELOAD_EVERY)) = 0 ]; then
		set -- "$@" --reload-modules --module-dir /ncmig/backends
		what="handover with reload" kind=reload
	fi
	t0=$(date +%s%3N)
	if timeout -k 5 120 ncmigd handover "$@" >"$W/out.$i" 2>&1; then
		echo "$t0 $(date +%s%3N)" >>"$W/windows"
		# Both vbds, every time (trixie's CI run of 2026-12-02 once
		# quiesced none, then hung: say what the backends were then).
		if ! grep -q "handover devices=$ndevs " "$W/out.$i"; then
			tap_not_ok "$what $i: both vbds handed over"
			sed 's/^/# /' "$W/out.$i"
			lab_diag_backends "$domid"
			lab_guest_log $NAME | tail -30 | tr -d '\r' | sed 's/^/#   guest: /'
			failed=1
			break
		fi
		done_n=$((done_n + 1))
		[ "$what" = handover ] || reloads=$((reloads + 1))
		sed "s/^/# $i: /" "$W/out.$i"
		sed -n 's/.*drain_ms=\([0-9.]*\).*/\1/p' "$W/out.$i" >>"$W/drain"
		sed -n 's/.*blackout_ms=\([0-9.]*\).*/\1/p' "$W/out.$i" |
			tee -a "$W/blackout.$kind" >>"$W/blackout"
		# The new instance serves I/O on both disks.
		ok=1
		for v in $devs; do
			lab_wait 30 sh -c "s=/sys/bus/xen-backend/devices/vbd-$domid-$v/statistics; [ \$((\$(cat \$s/rd_req) + \$(cat \$s/wr_req))) -gt 0 ]" || ok=0
		done
		if [ $ok = 1 ]; then tap_ok "$what $i: I/O flows on both disks after it"; else
			tap_not_ok "$what $i: I/O flows on both disks after it"; failed=1; fi
	else
		tap_not_ok "$what $i: ncmigd handover exit 0"
		sed 's/^/# /' "$W/out.$i"
		failed=1
		break
	fi
	if grep -q "NCMIG-RESULT.* wl.done=" "$LAB_CONSOLE_DIR/guest-$NAME.log"; then
		tap_diag "the guest's I/O ended after $i handovers"
		break
	fi
done
# 20 and 5 by default, the figures issue 11 asks for; a shortened boot
# (BLK_HANDOVERS) asks for its own.
tap_cmp "$done_n" -ge "$HANDOVERS" "at least $HANDOVERS handovers"
tap_cmp "$reloads" -ge $((HANDOVERS / RELOAD_EVERY)) "at least $((HANDOVERS / RELOAD_EVERY)) with a module reload"
if grep -q "NCMIG-RESULT.* wl.done=" "$LAB_CONSOLE_DIR/guest-$NAME.log"; then
	tap_not_ok "every handover ran while the guest did I/O"; else
	tap_ok "every handover ran while the guest did I/O"; fi
# I/O on the last instance for a while, then the final verify pass.
sleep "$TAIL_SECONDS"
if lab_guest_stop_wl $NAME; then tap_ok "dom0 ended the guest's I/O ${TAIL_SECONDS} s after the last handover"
else tap_not_ok "dom0 ended the guest's I/O ${TAIL_SECONDS} s after the last handover"; fi

wait_s=$((WL_SECONDS + 300))
[ "$failed" = 0 ] || wait_s=30	# a failed round: the guest may be gone
if lab_guest_wait_done $NAME "$wait_s"; then
	tap_ok "guest workload finished"; else tap_not_ok "guest workload finished"; fi
while read -r p; do kill "$p" 2>/dev/null; done <"$W/watch.pids"

io_errors=$(lab_guest_result $NAME blk.io_errors 5)
verify_errors=$(lab_guest_result $NAME blk.verify_errors 5)
tap_is "$io_errors" 0 "0 guest I/O errors"
tap_is "$verify_errors" 0 "0 verify errors"
tap_cmp "$(lab_guest_result $NAME blk.final_units 5)" -gt 0 "final verify pass read back written blocks"
tap_cmp "$(lab_guest_result $NAME blk.qd 5)" -ge 16 "queue depth >= 16 per disk"
tap_diag "blk: ops=$(lab_guest_result $NAME blk.ops 5) bytes=$(lab_guest_result $NAME blk.bytes 5) max_lat_ms=$(lab_guest_result $NAME blk.max_lat_ms 5)"
# Slow guest I/O (blkverify reports each over 1 s with its wall-clock end,
# the same Xen wallclock as dom0's): during a handover, or not?
tr -d '\r' <"$LAB_CONSOLE_DIR/guest-$NAME.log" |
	sed -n 's/.*NCMIG-SLOW .*end_ms=\([0-9]*\) lat_ms=\([0-9]*\).*/\1 \2/p' >"$W/slow"
touch "$W/windows"
set -- $(awk 'NR == FNR { s[NR] = $1; e[NR] = $2; n = NR; next }
	{ during = 0
	  for (i = 1; i <= n; i++) if ($1 - $2 <= e[i] + 500 && $1 >= s[i]) during = 1
	  if (during) { d++; if ($2 > dm) dm = $2 } else { o++; if ($2 > om) om = $2 } }
	END { print d + 0, dm + 0, o + 0, om + 0 }' "$W/windows" "$W/slow")
tap_diag "guest I/O over 1 s: $1 overlapping a handover (max $2 ms), $3 outside any (max $4 ms)"

# Reconnects: any write to a state node, any blkfront kernel line.
writes=0
for v in $devs; do
	for side in fe be; do
		n=$(grep -c state "$W/watch.$side.$v")
		tap_is "$n" 1 "vbd $v: $side state node never written (watch fired $n times)"
		[ "$n" -le 1 ] || writes=$((writes + n - 1))
	done
	tap_is "$(lab_xs_read "$(lab_fe_path $NAME vbd $v)/state")" 4 "vbd $v: blkfront still Connected"
done
fe_lines=$(lab_guest_result $NAME fe.blkfront_lines 5)
tap_is "$fe_lines" 0 "no blkfront lines in the guest's kernel log"
reconnects=$((writes + ${fe_lines:-1}))

# Persistent grants: the release hands them over still mapped and the
# attach adopts them, so the frontend cannot revoke any meanwhile and
# every attach has exactly the set its snapshot carried.
dmesg | grep "attached from snapshot" >"$W/attach"
n=$(wc -l <"$W/attach")
tap_is "$n" $((done_n * 2)) "one attach line per device and handover"
set -- $(awk '{ for (i = 1; i <= NF; i++) {
		if ($i ~ /^before=/) b = substr($i, 8)
		if ($i ~ /^after=/) a = substr($i, 7)
		if ($i ~ /^revoked=/) r = substr($i, 9)
		if ($i ~ /^kept=/) k = substr($i, 6) }
	if (a != b) bad++
	if (k == b) kept++
	if (r + 0) { rev++; revn += r } }
	END { print bad + 0, kept + 0, rev + 0, revn + 0 }' "$W/attach")
tap_is "$1" 0 "persistent grant count after attach = before, in every attach"
tap_is "$3" 0 "no persistent grant revoked during a blackout"
tap_diag "attaches that adopted every grant still mapped: $2 of $n; revoked: $4 grants in $3 attaches"
tap_diag "persistent grants per attach (count x attaches): $(sed -n 's/.*before=\([0-9]*\).*/\1/p' "$W/attach" | sort -n | uniq -c | awk '{ printf "%s x%s ", $2, $1 }')"

set -- $(med_max "$W/drain"); tap_diag "drain_ms: median=$1 max=$2 (n=$(wc -l <"$W/drain"))"
set -- $(med_max "$W/blackout"); tap_diag "blackout_ms: median=$1 max=$2 (n=$(wc -l <"$W/blackout"))"
for kind in plain reload; do
	[ -f "$W/blackout.$kind" ] || continue
	set -- $(med_max "$W/blackout.$kind")
	tap_diag "blackout_ms $kind: median=$1 max=$2 (n=$(wc -l <"$W/blackout.$kind"))"
done

lab_guest_destroy $NAME
tap_done
rc=$?
summary
exit $rc
