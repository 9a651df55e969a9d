#!/bin/sh
# bench: issue 12's benchmark (`make bench`), in one boot. Numbers, not a
# verdict: its TAP tests only say that each part ran; every measurement is
# a "# BENCH-..." comment line (dom0/lib-bench.sh) that
# tests/lab/bench-report turns into build(-trixie)/bench/{bench.csv,
# bench.md,*.png} and the closing "bench: ..." line.
#
# The load, the same for every variant: every vbd does verified I/O at
# QD 16 (blkverify, 16 threads per disk), and a guest with a vif keeps a
# paced TCP stream both ways (1 MiB/s each way) and a 100/s UDP ping with
# dom0 (wl_all). Rings: blkfront max_ring_page_order=BENCH_RING_ORDER (2:
# 4-page rings, as blk-handover).
#
# Parts, in this order (each guest set created, measured, destroyed):
#  1. stock: Debian's xen-blkback/xen-netback. Guest b0 (2 vCPUs, 1 vbd,
#     1 vif): the data path (BENCH_DP_SECONDS of blkverify alone, then of
#     an unpaced TCP stream alone, before any other load), then under the
#     load Linux's own unbind/rebind of its vbd and of its vif
#     (BENCH_BASELINE_CYCLES each; the steps of blk-baseline and
#     net-baseline, with no pause between unbind and bind unless
#     BENCH_BASELINE_PAUSE): the time from the unbind to the backend
#     serving again (vbd: Connected and its request counters moving; vif:
#     the hotplug step redone, Connected, the guest answering ping).
#  2. ours: the patched backends. Guest b0 again, same shape: the data
#     path, then under the load BENCH_HANDOVERS plain handovers, the same
#     number with a module reload, as many rolling updates (`ncmigd roll`,
#     or `rolling: not built` until ncmigd has the verb and the payload
#     the slot-b modules), one snapshot (`ncmigd save
#     --backends`: record octets and persistent grants per device), and
#     the floor of its vbd and of its vif (xenfloor: map the ring pages,
#     bind the event channels, one notify).
#  3. scale: 8 guests (1 vCPU, BENCH_SCALE_MEM MB) with 1 vbd each, all
#     loaded; BENCH_SCALE_HANDOVERS plain handovers of the first 1, 2, 4
#     and 8 together (one ncmigd, one --domid each), and (once it exists)
#     rolling updates of all 8 in one batch; then the same with 4 vbds
#     each; then one guest with 16 vbds.
# BENCH_BUDGET_S (seconds, 0: none): a part or variant that would start
# after it is skipped and said so (BENCH-SKIP), so that a short boot still
# ends and reports.
. /ncmig/dom0/lib.sh
. /ncmig/dom0/lib-bench.sh
lab_kernel_reports_expected "bench: Linux's plain rebind under load, as the baselines"

BENCH_HANDOVERS=${BENCH_HANDOVERS:-20}
BENCH_SCALE_HANDOVERS=${BENCH_SCALE_HANDOVERS:-$BENCH_HANDOVERS}
BENCH_BASELINE_CYCLES=${BENCH_BASELINE_CYCLES:-10}
BENCH_BASELINE_PAUSE=${BENCH_BASELINE_PAUSE:-0}
BENCH_DP_SECONDS=${BENCH_DP_SECONDS:-20}
BENCH_RING_ORDER=${BENCH_RING_ORDER:-2}
BENCH_SCALE_MEM=${BENCH_SCALE_MEM:-192}
BENCH_SCALE_DOMAINS=${BENCH_SCALE_DOMAINS:-"1 2 4 8"}
BENCH_SCALE_DEVS=${BENCH_SCALE_DEVS:-"1 4"}
BENCH_BUDGET_S=${BENCH_BUDGET_S:-0}
BENCH_PARTS=${BENCH_PARTS:-"stock ours scale"}
WL_MAX=${BENCH_WL_SECONDS:-3000}	# a ceiling: dom0 stops every workload itself
BW=/run/ncmig-lab/bench
rm -rf "$BW"; mkdir -p "$BW"
BENCH_T0=$(bench_ms)
export BENCH_DP_SECONDS

RING="ncmig.opt.xen-blkfront=max_ring_page_order=$BENCH_RING_ORDER"
# b0's workload: the data path alone first, then the load until stopped.
B0_WL="wl_blk $BENCH_DP_SECONDS --tag dpblk; wl_tcp $BENCH_DP_SECONDS --rate 4194304 --tag dptcp; wl_result bench.dp=1; wl_all $WL_MAX"

echo "# BENCH-RUN handovers=$BENCH_HANDOVERS scale_handovers=$BENCH_SCALE_HANDOVERS baseline_cycles=$BENCH_BASELINE_CYCLES baseline_pause=$BENCH_BASELINE_PAUSE dp_seconds=$BENCH_DP_SECONDS ring_order=$BENCH_RING_ORDER scale_mem=$BENCH_SCALE_MEM budget_s=$BENCH_BUDGET_S parts=$(echo $BENCH_PARTS | tr ' ' ,)"
echo "# BENCH-RUN host_mem_mib=$(xl info 2>/dev/null | sed -n 's/^total_memory *: //p') free_mem_mib=$(xl info 2>/dev/null | sed -n 's/^free_memory *: //p') dom0_mem_mib=$(xl list 0 2>/dev/null | awk 'NR == 2 { print $3 }') nr_cpus=$(xl info 2>/dev/null | sed -n 's/^nr_cpus *: //p')"

has_part() { case " $BENCH_PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
# Rolling updates exist once ncmigd has the verb and the payload slot b.
ROLL= ROLL_WHY=
if ! timeout 10 ncmigd "${BENCH_ROLLING_VERB:-roll}" --help >/dev/null 2>&1; then
	ROLL_WHY="no ncmigd ${BENCH_ROLLING_VERB:-roll}"
elif [ ! -f /ncmig/backends/xen-blkback-b.ko ] || [ ! -f /ncmig/backends/xen-netback-b.ko ]; then
	ROLL_WHY="no slot-b modules in /ncmig/backends"
else
	ROLL=1
fi
skip() { echo "# BENCH-SKIP variant=$1 reason=$2"; tap_skip "$1" "$2"; }

lab_netserver_start || tap_diag "netstream server did not start"

# start_b0 SIDE: guest b0 and its data path; prints the domid.
start_b0() {
	_b0d=$(lab_guest_start b0 --disks 1 --vcpus 2 --memory 320 --cmdline "$RING" --workload "$B0_WL")
	[ -n "$_b0d" ] || return 1
	lab_guest_result b0 guest.ready 240 >/dev/null
	lab_xs_wait 60 "$(lab_be_path b0 vbd 51712)/state" 4
	lab_xs_wait 60 "$(lab_be_path b0 vif 0)/state" 4
	echo "# BENCH-G set=b0-$1 guests=1 vcpus=2 mem_mib=320 vbds=1 vifs=1 queues=$(lab_xs_read "$(lab_fe_path b0 vbd 51712)/multi-queue-num-queues")/$(lab_xs_read "$(lab_fe_path b0 vif 0)/multi-queue-num-queues")" >&9
	if lab_guest_result b0 bench.dp $((BENCH_DP_SECONDS * 4 + 120)) >/dev/null; then
		bench_dp "$1" b0 >&9
	else
		echo "# BENCH-SKIP variant=dp-$1 reason=no_result" >&9
	fi
	# The load has begun: wait for the vbd to be busy again.
	lab_wait 60 sh -c "[ \$(cat /sys/bus/xen-backend/devices/vbd-$_b0d-51712/statistics/wr_req) -gt 0 ]"
	sleep 2
	echo "$_b0d"
}

# end_b0 SIDE: stop b0's load; its errors and losses; destroy it.
end_b0() {
	lab_guest_stop_wl b0 || tap_diag "b0: stop not acknowledged"
	lab_guest_wait_done b0 180 >/dev/null || tap_diag "b0: workload did not finish"
	echo "# BENCH-L side=$1 blk_io_errors=$(lab_guest_result b0 blk.io_errors 5) blk_verify_errors=$(lab_guest_result b0 blk.verify_errors 5) blk_max_lat_ms=$(lab_guest_result b0 blk.max_lat_ms 5) tcp_resets=$(lab_guest_result b0 tcp.resets 5) tcp_max_gap_ms=$(lab_guest_result b0 tcp.max_gap_ms 5) udp_sent=$(lab_guest_result b0 udp.sent 5) udp_lost=$(lab_guest_result b0 udp.lost 5) udp_longest_loss_ms=$(lab_guest_result b0 udp.longest_loss_ms 5)"
	lab_guest_destroy b0
}

# ---- 1. stock: data path, Linux's unbind/rebind ---------------------------
if has_part stock; then
	if lab_use_stock_backends; then tap_ok "stock backends loaded"; else tap_not_ok "stock backends loaded"; fi
	t=$(bench_ms)
	d=$(start_b0 stock)
	if [ -n "$d" ]; then
		tap_ok "stock: guest b0 (d$d) up, data path measured"
		drv=/sys/bus/xen-backend/drivers
		ip=$(lab_guest_ip b0)
		bevbd=$(lab_be_path b0 vbd 51712) bevif=$(lab_be_path b0 vif 0)
		i=0
		while [ $i -lt "$BENCH_BASELINE_CYCLES" ]; do
			i=$((i + 1))
			t0=$(bench_ms)
			echo "vbd-$d-51712" >"$drv/vbd/unbind"
			[ "$BENCH_BASELINE_PAUSE" = 0 ] || sleep "$BENCH_BASELINE_PAUSE"
			echo "vbd-$d-51712" >"$drv/vbd/bind" 2>>"$BW/bind.err"
			ok=0
			# Serving again: Connected and the new instance's counters move.
			if lab_wait 60 sh -c "[ -e /sys/bus/xen-backend/devices/vbd-$d-51712/driver ] && [ \$(xenstore-read $bevbd/state) = 4 ] && s=/sys/bus/xen-backend/devices/vbd-$d-51712/statistics && [ \$((\$(cat \$s/rd_req) + \$(cat \$s/wr_req))) -gt 0 ]"; then ok=1; fi
			t1=$(bench_ms)
			echo "# BENCH-B kind=vbd cycle=$i ok=$ok outage_ms=$((t1 - t0)) pause_s=$BENCH_BASELINE_PAUSE"
		done
		i=0
		while [ $i -lt "$BENCH_BASELINE_CYCLES" ]; do
			i=$((i + 1))
			t0=$(bench_ms)
			echo "vif-$d-0" >"$drv/vif/unbind"
			[ "$BENCH_BASELINE_PAUSE" = 0 ] || sleep "$BENCH_BASELINE_PAUSE"
			echo "vif-$d-0" >"$drv/vif/bind" 2>>"$BW/bind.err"
			# The hotplug step nothing else would redo (net-baseline's).
			lab_wait 20 test -e "/sys/class/net/vif$d.0" &&
				ip link set "vif$d.0" master "$LAB_BRIDGE" && ip link set "vif$d.0" up
			lab_xs_write "$bevif/hotplug-status" connected
			ok=0
			if lab_xs_wait 60 "$bevif/state" 4 && lab_wait 60 ping -c 1 -W 1 "$ip"; then ok=1; fi
			t1=$(bench_ms)
			echo "# BENCH-B kind=vif cycle=$i ok=$ok outage_ms=$((t1 - t0)) pause_s=$BENCH_BASELINE_PAUSE"
			sleep 1
		done
		[ ! -s "$BW/bind.err" ] || tap_diag "bind errors: $(sort -u "$BW/bind.err" | tr '\n' ' ')"
		tap_ok "stock: $BENCH_BASELINE_CYCLES unbind/rebind cycles of the vbd and of the vif"
		end_b0 stock
	else
		tap_not_ok "stock: guest b0 up"
	fi
	echo "# BENCH-T part=stock seconds=$((($(bench_ms) - t) / 1000))"
fi

# ---- 2. ours: data path, plain, reload, rolling, snapshot, floor ----------
if has_part ours; then
	if lab_use_patched_backends && lab_load_ncmig_modules; then tap_ok "patched backends and ncmig loaded"; else
		tap_not_ok "patched backends and ncmig loaded"; fi
	t=$(bench_ms)
	d=$(start_b0 ours)
	if [ -n "$d" ]; then
		tap_ok "ours: guest b0 (d$d) up, data path measured"
		for kind in plain reload; do
			r=0; [ $kind = plain ] || r=1
			if bench_over_budget; then skip "$kind" budget; continue; fi
			i=0 bad=0
			while [ $i -lt "$BENCH_HANDOVERS" ]; do
				i=$((i + 1))
				bench_handover "$kind" $r "$d:51712" "$d" || bad=$((bad + 1))
				sleep 0.5
			done
			tap_ok "ours: $i $kind handovers ($bad failed)"
		done
		# The rolling slot (issue 12 item 3, branch rolling): `ncmigd
		# roll` moves every domain to the other module slot (b0 alone
		# here), each roll the other way. Until ncmigd has the verb and
		# the payload the slot-b modules, it says so and measures
		# nothing. Written against the branch's documented interface
		# (roll prints handover's per-device lines); not yet run.
		if [ -n "$ROLL" ] && ! bench_over_budget; then
			i=0 bad=0
			while [ $i -lt "$BENCH_HANDOVERS" ]; do
				i=$((i + 1))
				bench_roll rolling "$d:51712" 1 || bad=$((bad + 1))
				sleep 0.5
			done
			tap_ok "ours: $i rolling updates ($bad failed)"
		elif [ -n "$ROLL" ]; then
			skip rolling budget
		else
			echo "# BENCH-SKIP variant=rolling reason=not_built"
			tap_diag "rolling: not built ($ROLL_WHY)"
			tap_skip "rolling handovers" "rolling: not built"
		fi
		bench_snapshot b0
		tap_ok "ours: snapshot sizes"
		bench_floor b0 vbd 51712
		bench_floor b0 vif 0
		tap_ok "ours: floor"
		end_b0 ours
	else
		tap_not_ok "ours: guest b0 up"
	fi
	echo "# BENCH-T part=ours seconds=$((($(bench_ms) - t) / 1000))"
fi

# ---- 3. scale: 1..8 domains with 1 and 4 vbds, one with 16 ----------------
# scale_set NGUESTS NDISKS: start sN guests, hand over the first k for each
# k in DOMAINS, destroy them.
scale_set() {
	_sn=$1 _sdk=$2 _sdoms=$3
	_names=
	# Not _i: lab_guest_start counts its disks in _i (dash has no locals).
	_si=1
	while [ $_si -le "$_sn" ]; do
		if lab_guest_start "s$_si" --disks "$_sdk" --disk-mib 32 --vcpus 1 --memory "$BENCH_SCALE_MEM" \
			--no-vif --cmdline "$RING" --workload "wl_blk $WL_MAX" >/dev/null; then
			_names="$_names s$_si"
		else
			tap_diag "scale: guest s$_si ($_sdk disks) not created"
		fi
		_si=$((_si + 1))
	done
	# shellcheck disable=SC2086
	bench_guests_ready $_names
	echo "# BENCH-G set=scale-${_sn}x$_sdk guests=$(echo $_names | wc -w) vcpus=1 mem_mib=$BENCH_SCALE_MEM vbds=$_sdk vifs=0 free_mem_mib=$(xl info 2>/dev/null | sed -n 's/^free_memory *: //p')"
	for _k in $_sdoms; do
		_v=d${_k}x$_sdk
		if bench_over_budget; then skip "$_v" budget; continue; fi
		if [ "$(echo $_names | wc -w)" -lt "$_k" ]; then skip "$_v" guests_missing; continue; fi
		_doms=
		for _g in $(echo $_names | cut -d' ' -f1-"$_k"); do _doms="$_doms $(lab_guest_domid "$_g")"; done
		_j=0 _bad=0
		while [ $_j -lt "$BENCH_SCALE_HANDOVERS" ]; do
			_j=$((_j + 1))
			# shellcheck disable=SC2086
			bench_handover "$_v" 0 - $_doms || _bad=$((_bad + 1))
			sleep 0.5
		done
		tap_ok "scale: $_j plain handovers of $_k domain(s) x $_sdk vbd(s) ($_bad failed)"
	done
	# Rolling: every domain of the set (roll moves all the host's) in
	# one batch, against the plain dNxM of the same size.
	if [ -n "$ROLL" ] && [ "$_sn" -gt 1 ]; then
		_v=rolling-d$(echo $_names | wc -w)x$_sdk
		if bench_over_budget; then skip "$_v" budget; else
			_j=0 _bad=0
			while [ $_j -lt "$BENCH_SCALE_HANDOVERS" ]; do
				_j=$((_j + 1))
				bench_roll "$_v" - "$(echo $_names | wc -w)" --batch "$_sn" || _bad=$((_bad + 1))
				sleep 0.5
			done
			tap_ok "scale: $_j rolling updates of every domain x $_sdk vbd(s) ($_bad failed)"
		fi
	fi
	# One snapshot of a guest with many vbds: record octets against
	# persistent grants (octets per grant).
	if [ "$_sdk" -ge 4 ] && [ -n "$_names" ] && ! bench_over_budget; then
		bench_snapshot "$(echo $_names | cut -d' ' -f1)"
	fi
	for _g in $_names; do
		lab_guest_stop_wl "$_g" >/dev/null 2>&1
	done
	for _g in $_names; do
		lab_guest_wait_done "$_g" 120 || tap_diag "scale: $_g workload did not finish"
		echo "# BENCH-L side=scale-${_sn}x$_sdk guest=$_g blk_io_errors=$(lab_guest_result "$_g" blk.io_errors 5) blk_verify_errors=$(lab_guest_result "$_g" blk.verify_errors 5) blk_max_lat_ms=$(lab_guest_result "$_g" blk.max_lat_ms 5)"
		lab_guest_destroy "$_g"
	done
}

if has_part scale; then
	has_part ours || { lab_use_patched_backends; lab_load_ncmig_modules; }
	nmax=$(echo $BENCH_SCALE_DOMAINS | tr ' ' '\n' | sort -n | tail -1)
	for nd in $BENCH_SCALE_DEVS; do
		if bench_over_budget; then skip "scale-x$nd" budget; continue; fi
		t=$(bench_ms)
		scale_set "$nmax" "$nd" "$BENCH_SCALE_DOMAINS"
		echo "# BENCH-T part=scale-x$nd seconds=$((($(bench_ms) - t) / 1000))"
	done
	if bench_over_budget; then skip d1x16 budget; else
		t=$(bench_ms)
		scale_set 1 16 1
		echo "# BENCH-T part=scale-1x16 seconds=$((($(bench_ms) - t) / 1000))"
	fi
fi

lab_netserver_stop | sed 's/^/# dom0 /'
echo "# BENCH-T part=all seconds=$(bench_elapsed)"
tap_ok "bench ran to its end ($(bench_elapsed) s)"
tap_done
rc=$?
echo "bench-lab: seconds=$(bench_elapsed) handovers=$BENCH_N"
exit $rc
