# shellcheck shell=sh
# Helpers for the bench scenario (issue 12, item 4; sourced after lib.sh).
# They measure and print; they assert nothing. Every measurement goes to
# the serial log as one TAP comment line "# BENCH-<TYPE> key=value ...",
# which tests/lab/bench-report turns into CSV, markdown and plots on the
# host:
#   BENCH-S  one device of one handover: variant, kind, drain_ms,
#            blackout_ms (the kernel's: its quiesce began to its restore
#            done), attach_ms (its RESTORE step in the kernel), quiesce_ms
#   BENCH-P  one handover: ncmigd's steps (NCMIG_TIMES): quiesce,
#            snapshot, release, reload, restore (attach of every device),
#            total; rc; first_io_ms (single-domain variants)
#   BENCH-B  one Linux unbind/rebind cycle of one device (stock backends)
#   BENCH-DP a data-path measurement (stock or ours)
#   BENCH-SNAP one device's snapshot record: octets, persistent grants
#   BENCH-F  the floor of one device (xenfloor)
#   BENCH-G  a guest set: how many, memory, vCPUs, disks
#   BENCH-SKIP a variant not run, and why
#   BENCH-RUN  what the whole run was (knobs, seconds)

BW=${BW:-/run/ncmig-lab/bench}
BENCH_N=0

# bench_ms: dom0's uptime in ms (10 ms resolution), with no process forked.
bench_ms() {
	read -r _bu _ </proc/uptime
	_bi=${_bu%.*} _bf=${_bu#*.}
	echo $((_bi * 1000 + ${_bf#0} * 10))
}

# bench_elapsed: seconds since the scenario began (BENCH_T0, ms).
bench_elapsed() { echo $((($(bench_ms) - BENCH_T0) / 1000)); }

# bench_over_budget: true once BENCH_BUDGET_S has passed (0: no budget).
bench_over_budget() {
	[ "${BENCH_BUDGET_S:-0}" -gt 0 ] && [ "$(bench_elapsed)" -ge "$BENCH_BUDGET_S" ]
}

# bench_vbd_reqs DOMID DEVID: the vbd's rd_req + wr_req (builtin reads).
bench_vbd_reqs() {
	_bs=/sys/bus/xen-backend/devices/vbd-$1-$2/statistics
	_br=0 _bw=0
	{ read -r _br <"$_bs/rd_req"; } 2>/dev/null
	{ read -r _bw <"$_bs/wr_req"; } 2>/dev/null
	echo $((${_br:-0} + ${_bw:-0}))
}

# bench_first_io DOMID DEVID BOUND_S: ms until the vbd's request counters
# move from what they are now (polled with no sleep; -1 at the bound).
bench_first_io() {
	_fc=$(bench_vbd_reqs "$1" "$2") _ft0=$(bench_ms)
	_fend=$((_ft0 + $3 * 1000))
	while :; do
		_fn=$(bench_ms)
		[ "$(bench_vbd_reqs "$1" "$2")" = "$_fc" ] || { echo $((_fn - _ft0)); return 0; }
		[ "$_fn" -lt "$_fend" ] || { echo -1; return 1; }
	done
}

# bench_handover VARIANT RELOAD(0|1) FIRST_IO_DEVS DOMID...: one `ncmigd
# handover` of the domains together, NCMIG_TIMES=1; prints its BENCH-S
# and BENCH-P lines. FIRST_IO_DEVS: "DOMID:DEVID" vbds whose first
# request after ncmigd's return is timed ("-": none). Returns ncmigd's
# status.
bench_handover() {
	_hv=$1 _hr=$2 _hf=$3; shift 3
	_ha="handover"
	for _hd in "$@"; do _ha="$_ha --domid $_hd"; done
	[ "$_hr" = 0 ] || _ha="$_ha --reload-modules --module-dir /ncmig/backends"
	# shellcheck disable=SC2086 # a list of options
	bench_run "$_hv" "$_hr" "$_hf" "$#" $_ha
}

# bench_roll VARIANT FIRST_IO_DEVS NDOMAINS [OPTIONS]: one `ncmigd roll
# --module-dir /ncmig/backends OPTIONS` (issue 12 item 3's rolling
# update: every domain on the host moves to the other module slot, in
# batches), measured as bench_handover measures (roll prints the same
# per-device lines, one set per batch).
bench_roll() {
	_rv=$1 _rfi=$2 _rnd=$3; shift 3
	bench_run "$_rv" 0 "$_rfi" "$_rnd" roll --module-dir /ncmig/backends "$@"
}

# bench_run VARIANT RELOAD FIRST_IO_DEVS NDOMAINS NCMIGD-ARGS...: run
# ncmigd with NCMIG_TIMES=1 and print its BENCH-S and BENCH-P lines.
bench_run() {
	_hv=$1 _hr=$2 _hf=$3 _hnd=$4; shift 4
	BENCH_N=$((BENCH_N + 1))
	_ho=$BW/ho.$BENCH_N
	_ht0=$(bench_ms)
	NCMIG_TIMES=1 timeout -k 5 300 ncmigd "$@" >"$_ho.out" 2>"$_ho.err"
	_hrc=$?
	_ht1=$(bench_ms)
	_hfirst=
	if [ "$_hf" != - ]; then
		for _hx in $_hf; do
			_hfirst="$_hfirst${_hfirst:+,}$(bench_first_io "${_hx%%:*}" "${_hx#*:}" 5)"
		done
	fi
	# Per device: the kernel's blackout and drain (stdout), its attach and
	# quiesce steps (stderr's "ncmig-time: dev" lines).
	awk -v v="$_hv" -v n="$BENCH_N" -v r="$_hr" '
		FILENAME == ARGV[1] {
			if ($0 ~ /^ncmig-time: dev d[0-9]+ (vbd|vif) [0-9]+: (quiesce|restore) /) {
				k = $3 " " $4 " " $5; sub(":", "", k)
				s = $7; sub("start_at_ms=", "", s)
				e = $8; sub("done_at_ms=", "", e)
				if ($6 == "restore") att[k] = e - s; else qui[k] = e - s
			}
			next
		}
		/^d[0-9]+ (vbd|vif) [0-9]+: drain_ms=[0-9.]+ blackout_ms=[0-9.]+$/ {
			k = $1 " " $2 " " $3; sub(":", "", k)
			d = $4; sub("drain_ms=", "", d)
			b = $5; sub("blackout_ms=", "", b)
			dom = $1; sub("^d", "", dom); dev = $3; sub(":", "", dev)
			printf "# BENCH-S variant=%s ho=%d reload=%d dom=%s kind=%s dev=%s drain_ms=%s blackout_ms=%s attach_ms=%s quiesce_ms=%s\n",
				v, n, r, dom, $2, dev, d, b,
				(k in att) ? sprintf("%.1f", att[k]) : "NA",
				(k in qui) ? sprintf("%.1f", qui[k]) : "NA"
		}' "$_ho.err" "$_ho.out"
	awk -v v="$_hv" -v n="$BENCH_N" -v r="$_hr" -v rc="$_hrc" -v nd="$_hnd" \
		-v wall="$((_ht1 - _ht0))" -v first="${_hfirst:-NA}" '
		function took(line) { sub(/.*took_ms=/, "", line); sub(/ .*/, "", line); return line }
		/^ncmig-time: .* quiesce: [0-9]+ domain/ { q = took($0) }
		/^ncmig-time: .* snapshot: [0-9]+ domain/ { s = took($0) }
		/^ncmig-time: .* release: [0-9]+ domain/ { rl = took($0) }
		/^ncmig-time: .* reload: every module/ { ld = took($0) }
		/^ncmig-time: .* check: every new module/ { ck = took($0) }
		/^ncmig-time: .* restore: every domain/ { rs = took($0) }
		/^ncmig-time: .* the run returned/ { t = $2; sub("at_ms=", "", t) }
		END {
			printf "# BENCH-P variant=%s ho=%d reload=%d domains=%d rc=%d check_ms=%s quiesce_ms=%s snapshot_ms=%s release_ms=%s reload_ms=%s restore_ms=%s total_ms=%s wall_ms=%d first_io_ms=%s\n",
				v, n, r, nd, rc, ck == "" ? "NA" : ck, q == "" ? "NA" : q,
				s == "" ? "NA" : s, rl == "" ? "NA" : rl,
				ld == "" ? "NA" : ld, rs == "" ? "NA" : rs,
				t == "" ? "NA" : t, wall, first
		}' "$_ho.err"
	if [ "$_hrc" != 0 ]; then
		sed "s/^/# bench: ho $BENCH_N out: /" "$_ho.out" | tail -10
		grep -v '^ncmig-time' "$_ho.err" | sed "s/^/# bench: ho $BENCH_N err: /" | tail -10
	fi
	return "$_hrc"
}

# bench_guests_ready NAME...: wait (bounded) for each guest's workload to
# be doing I/O on its first disk.
bench_guests_ready() {
	for _gn in "$@"; do
		lab_guest_result "$_gn" guest.ready 240 >/dev/null || echo "# bench: $_gn never said guest.ready"
		_gd=$(lab_guest_domid "$_gn")
		lab_wait 120 sh -c "[ \$(cat /sys/bus/xen-backend/devices/vbd-$_gd-51712/statistics/wr_req) -gt 0 ]" ||
			echo "# bench: $_gn (d$_gd) did no I/O within 120 s"
	done
}

# bench_devids N: the vbd ids of xvda.. (N disks).
bench_devids() {
	_di=0
	while [ $_di -lt "$1" ]; do echo $((51712 + _di * 16)); _di=$((_di + 1)); done
}

# bench_dp SIDE NAME: the guest's data-path results (its workload's first
# two steps, tags dpblk and dptcp) as a BENCH-DP line.
bench_dp() {
	_pn=$2
	_pops=$(lab_guest_result "$_pn" dpblk.ops 5) _pby=$(lab_guest_result "$_pn" dpblk.bytes 5)
	_psec=$(lab_guest_result "$_pn" dpblk.seconds 5) _pqd=$(lab_guest_result "$_pn" dpblk.qd 5)
	_pio=$(lab_guest_result "$_pn" dpblk.io_errors 5)
	_ptx=$(lab_guest_result "$_pn" dptcp.tx_bytes 5) _prx=$(lab_guest_result "$_pn" dptcp.rx_bytes 5)
	awk -v side="$1" -v ops="${_pops:-0}" -v by="${_pby:-0}" -v sec="${_psec:-0}" -v qd="${_pqd:-NA}" \
		-v tx="${_ptx:-0}" -v rx="${_prx:-0}" -v ts="$BENCH_DP_SECONDS" -v io="${_pio:-NA}" 'BEGIN {
		printf "# BENCH-DP side=%s blk_qd=%s blk_seconds=%s blk_iops=%.1f blk_mib_s=%.2f blk_io_errors=%s tcp_seconds=%s tcp_tx_mib_s=%.2f tcp_rx_mib_s=%.2f tcp_mib_s=%.2f\n",
			side, qd, sec, (sec > 0 ? ops / sec : 0), (sec > 0 ? by / sec / 1048576 : 0), io, ts,
			tx / ts / 1048576, rx / ts / 1048576, (tx + rx) / ts / 1048576 }'
}

# bench_ring_refs NAME vbd|vif DEVID: "REFS EVTCHNS" of the device, from
# its frontend's xenstore (comma-separated grant refs of every ring page;
# the number of event channels).
bench_ring_refs() {
	_rf=$(lab_fe_path "$1" "$2" "$3")
	_rq=$(lab_xs_read "$_rf/multi-queue-num-queues")
	_rrefs= _rev=0
	if [ -n "$_rq" ]; then _rdirs=$(seq 0 $((_rq - 1)) | sed "s|^|$_rf/queue-|"); else _rdirs=$_rf; fi
	for _rd in $_rdirs; do
		if [ "$2" = vbd ]; then
			_ro=$(lab_xs_read "$_rf/ring-page-order")
			if [ -n "$_ro" ]; then
				for _rk in $(seq 0 $(((1 << _ro) - 1))); do
					_rrefs="$_rrefs${_rrefs:+,}$(lab_xs_read "$_rd/ring-ref$_rk")"
				done
			else
				_rrefs="$_rrefs${_rrefs:+,}$(lab_xs_read "$_rd/ring-ref")"
			fi
			_rev=$((_rev + 1))
		else
			_rrefs="$_rrefs${_rrefs:+,}$(lab_xs_read "$_rd/tx-ring-ref"),$(lab_xs_read "$_rd/rx-ring-ref")"
			if [ -n "$(lab_xs_read "$_rd/event-channel-rx")" ]; then _rev=$((_rev + 2)); else _rev=$((_rev + 1)); fi
		fi
	done
	echo "$_rrefs $_rev"
}

# bench_floor NAME vbd|vif DEVID: xenfloor on the device's ring pages.
bench_floor() {
	set -- "$1" "$2" "$3" $(bench_ring_refs "$1" "$2" "$3")
	if [ -z "$4" ] || ! command -v xenfloor >/dev/null; then
		echo "# BENCH-SKIP variant=floor-$2 reason=no_refs_or_no_xenfloor"; return 1
	fi
	_fo=$(timeout 60 xenfloor --domid "$(lab_guest_domid "$1")" --refs "$4" --evtchns "$5" \
		--rounds "${BENCH_FLOOR_ROUNDS:-100}" 2>&1)
	case $_fo in
	xenfloor:*) echo "# BENCH-F kind=$2 dev=$3 ${_fo#xenfloor: }" ;;
	*) echo "# BENCH-SKIP variant=floor-$2 reason=xenfloor_failed"; echo "$_fo" | sed 's/^/# bench: xenfloor: /' ;;
	esac
}

# bench_snapshot NAME: `ncmigd save --backends` (QUIESCE, SNAPSHOT,
# RESUME), then each backend record's octets and persistent grants.
bench_snapshot() {
	_sf=$BW/snap.$1
	if ! timeout 60 ncmigd save --domid "$(lab_guest_domid "$1")" --backends -o "$_sf" >"$_sf.out" 2>&1; then
		echo "# BENCH-SKIP variant=snapshot reason=save_failed"
		sed 's/^/# bench: save: /' "$_sf.out"
		return 1
	fi
	timeout 60 ncmigd inspect "$_sf" 2>&1 | awk '
		function flush() { if (kind != "") printf "# BENCH-SNAP kind=%s dev=%s octets=%s pgrants=%d rings=%d\n", kind, dev, len, pg, rings; kind = "" }
		/^ *[0-9]+ @[0-9]+ +BACKEND +[0-9]+ +(vbd|vif) [0-9]+/ { flush(); len = $4; kind = $5; dev = $6; pg = 0; rings = 0; next }
		/^ *[0-9]+ @[0-9]+ / { flush(); next }
		kind != "" && / ring [0-9]+: .* persistent grants/ { rings++; for (i = 1; i <= NF; i++) if ($(i + 1) == "persistent") pg += $i }
		END { flush() }'
}
