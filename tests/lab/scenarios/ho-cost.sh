#!/bin/sh
# ho-cost: where an `ncmigd handover` run's wall time goes besides the
# handover (a diagnostic, in no make target). The soak's rounds took 6.7 s
# of ncmigd for a handover whose total_ms was 2.2 s. A PV guest with two
# disks under I/O and a vif; dom0 times, from /proc/uptime:
#   - processes alone: /bin/true, `ncmigd --version`, `ncmigd status`;
#   - HO_COST_ROUNDS handovers, plain and with a reload, each split by
#     NCMIG_TIMES into: start (fork to main), main to the engine's open,
#     the engine (open to its return, per phase), the verb's end, exit.
# Asserts only that the handovers succeeded.
. /ncmig/dom0/lib.sh

ROUNDS=${HO_COST_ROUNDS:-4}
W=/run/ncmig-lab/ho-cost
rm -rf "$W"; mkdir -p "$W"

up() { read -r _u _ </proc/uptime; echo "$_u"; }
# run OUT CMD...: CMD's wall time in ms (the shell's view), output in OUT.
run() {
	_o=$1; shift
	_a=$(up)
	"$@" >"$_o" 2>&1; _rc=$?
	_b=$(up)
	echo "$_a $_b" >"$_o.t"
	awk -v a="$_a" -v b="$_b" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }'
	return $_rc
}
# split OUT: the parts of one NCMIG_TIMES run, from its marks.
split() {
	read -r _a _b <"$1.t"
	awk -v a="$_a" -v b="$_b" '
		/ncmig-time: handover began/ { sub(/.*uptime_s=/, ""); m0 = $1 }
		/ncmig-time: handover ended/ { sub(/.*uptime_s=/, ""); m1 = $1 }
		/ncmig-time: at_ms=.* the run returned/ { r = $2; sub(/at_ms=/, "", r) }
		/ncmig-time: at_ms=.* open:/ { o = $3; sub(/took_ms=/, "", o) }
		END {
			printf "start_ms=%.0f main_to_verb_end_ms=%.0f exit_ms=%.0f engine_ms=%.0f open_ms=%s\n",
				(m0 - a) * 1000, (m1 - m0) * 1000, (b - m1) * 1000, r, o
		}' "$1"
}

lab_use_patched_backends || { tap_not_ok "patched backends loaded"; tap_done; exit 1; }
lab_load_ncmig_modules || { tap_not_ok "our modules loaded"; tap_done; exit 1; }
lab_netserver_start || tap_diag "netstream server did not start"
d=$(lab_guest_start hc --disks 2 --workload "wl_all 900")
if [ -n "$d" ]; then tap_ok "guest hc created (d$d, 2 disks, 1 vif)"; else
	tap_not_ok "guest hc created"; tap_done; exit 1; fi
lab_guest_result hc guest.ready 180 >/dev/null
lab_xs_wait 60 "$(lab_be_path hc vbd 51728)/state" 4

for i in 1 2 3; do
	tap_diag "/bin/true: $(run "$W/x" /bin/true) ms;" \
		"ncmigd --version: $(run "$W/x" ncmigd --version) ms;" \
		"ncmigd status: $(run "$W/x" ncmigd status) ms;" \
		"timeout 300 ncmigd --version: $(run "$W/x" timeout 300 ncmigd --version) ms"
done
ok=0 i=0
while [ $i -lt "$ROUNDS" ]; do
	i=$((i + 1))
	set -- --domid "$d"
	kind=plain
	if [ $((i % 2)) = 0 ]; then
		set -- "$@" --reload-modules --module-dir /ncmig/backends; kind=reload
	fi
	if ms=$(export NCMIG_TIMES=1; run "$W/ho$i" timeout 300 ncmigd handover "$@"); then
		ok=$((ok + 1))
	fi
	tap_diag "round $i ($kind): wall_ms=$ms $(split "$W/ho$i")"
	sed 's/^/#   /' "$W/ho$i"
done
tap_is "$ok" "$ROUNDS" "all $ROUNDS handovers succeeded"
lab_guest_stop_wl hc || true
lab_netserver_stop >/dev/null
lab_guest_destroy hc
tap_done
