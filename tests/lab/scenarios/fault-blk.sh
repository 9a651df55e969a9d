#!/bin/sh
# fault-blk (issue 11, section 3 and 4): the fault matrix for block
# devices. Each case ends with the guest served and its data intact, or
# cleanly refused with an error naming the domain and device; with no
# session left; and, at the end, with the modules unloadable and no dom0
# kernel report. Cases:
#  1-3. ncmigd SIGKILLed after QUIESCE, SNAPSHOT, RELEASE (handover
#       --pause-after): the kernel brings the disk back; the wait from the
#       kill until the backend serves a request again is reported.
#  4.   a deadline that passes (quiesce --deadline-ms 1000): resumed by
#       the kernel within a second of it.
#  5.   a caller without CAP_NET_ADMIN, 6. one in another network
#       namespace: refused, no session.
#  7.   a second client on a domain with a session: EBUSY, named.
#  8.   an unconnected vbd (its hotplug never names a device: backend
#       InitWait): handovers of its domain, with and without a module
#       reload, succeed (the reload unbinds it before the rmmod, the new
#       module probes it), the connected disk is served, and once its
#       hotplug names a device it connects to the new module.
#  9.   xl block-detach of a disk under I/O while its domain is quiesced:
#       the detach ends, the guest answers (or fails) what it queued and
#       can hot-plug a disk again (a block-attach reaches Connected).
# 10.   xl destroy of a guest whose disk is released (handover
#       --pause-after release): it ends within 5 s (libxl's own timeout
#       is 10 s), without "unable to remove device".
# 11.   a hostile ring: every attach of vbd 51712 finds ring 0's shared
#       rsp_prod moved (test knob attach_rsp_skew_devid, as after a guest
#       moved it while released): only that vbd is refused, named; it is closed and not
#       reconnected on its ring after the park timeout; the other disk is
#       handed over and verified; the session ends.
# Ends: faults: cases=N survived=N data_errors=0 dmesg_reports=0 leftovers=0
. /ncmig/dom0/lib.sh
. /ncmig/dom0/lib-blk.sh
. /ncmig/dom0/lib-faults.sh

# A measurement of the unfixed code in the same boot: if the payload has
# dom0/before/ (xen-blkback, xen-netback, xen-backend-quiesce, xen-ncmig
# .ko of the code before a fix; never committed), the cases run first on
# those, their output as "# before: " comments, then on the payload's own.
if [ -d /ncmig/dom0/before ] && [ -z "${FAULT_MODDIR:-}" ]; then
	lab_log "fault-blk: first on the modules in /ncmig/dom0/before"
	FAULT_MODDIR=/ncmig/dom0/before sh "$0" 2>&1 | sed 's/^/# before: /'
	for g in fk fd fr fh; do lab_guest_destroy $g 2>/dev/null; done
fi

W=/run/ncmig-lab/fault-blk
rm -rf "$W"; mkdir -p "$W"
PARK=/sys/module/xen_blkback/parameters/park_timeout_ms
MODDIR=${FAULT_MODDIR:-/ncmig/backends}
fault_mark

if fault_load_modules; then tap_ok "patched backends and ncmig modules loaded ($MODDIR)"; else
	tap_not_ok "patched backends and ncmig modules loaded"; tap_done; exit 1; fi
blk_hooks || tap_diag "no test knobs (not a NCMIG_TEST_HOOKS build)"
park_ms=$(cat $PARK 2>/dev/null || echo 10000)

# ---- 1-3: SIGKILL after each phase --------------------------------------
# The wait is measured twice: by polling the backend's request counters
# and the session from here (each poll costs about a second under TCG:
# an upper bound), and from the kernel log's timestamps, kill to
# xen-ncmig's "backends running again".
dk=$(lab_guest_start fk --disks 1 --no-vif --workload 'wl_blk 150')
if [ -z "$dk" ]; then tap_not_ok "guest fk started"; tap_done; exit 1; fi
lab_xs_wait 60 "$(lab_fe_path fk vbd 51712)/state" 4
sleep 5
for phase in quiesce snapshot release; do
	fault_case "SIGKILL after $phase"
	ncmigd handover --domid "$dk" --pause-after $phase >"$W/ho.$phase" 2>&1 &
	hp=$!
	if ! lab_wait 60 grep -q "paused after" "$W/ho.$phase"; then
		tap_not_ok "$FAULT_NAME: handover paused"
		sed 's/^/#   /' "$W/ho.$phase"; kill -9 $hp 2>/dev/null; fault_end; continue
	fi
	before=$(fault_reqs "$dk" 51712)
	fault_kill "$phase" $hp
	ms=$(fault_wait_served 30 "$dk" 51712 "$before")
	wait $hp 2>/dev/null
	kms=$(fault_kernel_wait_ms "$phase")
	if [ -n "$ms" ]; then
		tap_ok "$FAULT_NAME: the disk is served again, $ms ms after the kill (seen by polling)"
		FAULT_WAITS="$FAULT_WAITS $phase=${kms:-?}ms(kernel)/${ms}ms(poll)"
		tap_cmp "${kms:-99999}" -le 500 "$FAULT_NAME: the kernel brought it back ${kms:-?} ms after the kill (kernel log; target 500 ms)"
	else
		tap_not_ok "$FAULT_NAME: the disk is served again within 30 s"
		FAULT_WAITS="$FAULT_WAITS $phase=never"
	fi
	tap_is "$(lab_xs_read "$(lab_fe_path fk vbd 51712)/state")" 4 "$FAULT_NAME: frontend still Connected"
	lab_wait 10 sh -c "! ncmigd status 2>/dev/null | grep -q session"
	# ncmigd status says how the session ended (issue 9, M3).
	e=$(ncmigd status --domid "$dk" 2>/dev/null | grep "^d$dk ended: " | tail -1)
	case $e in *"end=auto-resumed errno=0 "*"owner closed its socket"*)
		tap_ok "$FAULT_NAME: status says the session ended auto-resumed" ;;
	*)	tap_not_ok "$FAULT_NAME: status says the session ended auto-resumed"
		tap_diag "  $e" ;;
	esac
	fault_end
done

# ---- 4: a deadline that passes ------------------------------------------
fault_case "deadline passes"
t0=$(blk_now_ms)
ncmigd quiesce --domid "$dk" --deadline-ms 1000 --hold-s 0 >"$W/deadline" 2>&1 &
qp=$!
lab_wait 30 sh -c "ncmigd status --domid $dk 2>/dev/null | grep -q session" ||
	tap_diag "never saw the session"
if lab_wait 20 sh -c "! ncmigd status --domid $dk 2>/dev/null | grep -q session"; then
	took=$(($(blk_now_ms) - t0))
	tap_cmp "$took" -lt 5000 "$FAULT_NAME: resumed by the kernel ($took ms after the quiesce began, deadline 1000 ms)"
else
	tap_not_ok "$FAULT_NAME: resumed by the kernel within 20 s"
fi
kill $qp 2>/dev/null; wait $qp 2>/dev/null
before=$(fault_reqs "$dk" 51712)
ms=$(fault_wait_served 10 "$dk" 51712 "$before")
tap_cmp "${ms:-99999}" -lt 10000 "$FAULT_NAME: the disk is served (${ms:-never} ms)"
fault_end

# ---- 5-7: callers that must be refused ----------------------------------
fault_case "caller without CAP_NET_ADMIN"
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all ncmigd quiesce --domid "$dk" --hold-s 1 >"$W/noadmin" 2>&1
rc=$?
tap_cmp "$rc" -ne 0 "$FAULT_NAME: refused (rc=$rc)"
grep -q "Operation not permitted" "$W/noadmin" && tap_ok "$FAULT_NAME: EPERM" ||
	{ tap_not_ok "$FAULT_NAME: EPERM"; sed 's/^/#   /' "$W/noadmin"; }
fault_end

fault_case "caller in another network namespace"
unshare -n ncmigd quiesce --domid "$dk" --hold-s 1 >"$W/netns" 2>&1
rc=$?
tap_cmp "$rc" -ne 0 "$FAULT_NAME: refused (rc=$rc)"
grep -q "initial network namespace" "$W/netns" && tap_ok "$FAULT_NAME: says why" ||
	{ tap_not_ok "$FAULT_NAME: says why"; sed 's/^/#   /' "$W/netns"; }
fault_end

fault_case "second client (EBUSY)"
ncmigd quiesce --domid "$dk" --hold-s 0 >"$W/first" 2>&1 &
qp=$!
lab_wait 30 sh -c "ncmigd status --domid $dk 2>/dev/null | grep -q session"
ncmigd quiesce --domid "$dk" --hold-s 1 >"$W/second" 2>&1
rc=$?
tap_cmp "$rc" -ne 0 "$FAULT_NAME: the second quiesce is refused (rc=$rc)"
grep -q "d$dk: handover session held by netlink port" "$W/second" &&
	tap_ok "$FAULT_NAME: the error names d$dk and its owner" ||
	{ tap_not_ok "$FAULT_NAME: the error names d$dk and its owner"; sed 's/^/#   /' "$W/second"; }
before=$(fault_reqs "$dk" 51712)
kill $qp; wait $qp 2>/dev/null
ms=$(fault_wait_served 30 "$dk" 51712 "$before")
tap_cmp "${ms:-99999}" -lt 30000 "$FAULT_NAME: the first client's end resumes the disk (${ms:-never} ms)"
fault_end

# ---- 8: an unconnected device ------------------------------------------
# A vbd whose hotplug never names a physical device (script /bin/true):
# the backend waits in InitWait, never Connected.
fault_case "an unconnected device"
blk_bounded 60 timeout 50 xl block-attach fk "format=raw,vdev=xvdd,access=ro,backendtype=phy,script=/bin/true,target=/dev/null" >"$W/uc-attach" 2>&1 ||
	sed 's/^/#   /' "$W/uc-attach"
uc=$(lab_xs_read "/local/domain/$dk/device/vbd/51760/backend")
tap_diag "  unconnected vbd: backend state $(lab_xs_read "$uc/state"), frontend $(lab_xs_read "/local/domain/$dk/device/vbd/51760/state")"
timeout 120 ncmigd handover --domid "$dk" >"$W/ho.uc" 2>&1
rc=$?
sed 's/^/#   /' "$W/ho.uc" | tail -3
tap_is "$rc" 0 "$FAULT_NAME: a handover of the domain succeeds"
timeout 180 ncmigd handover --domid "$dk" --reload-modules --module-dir "$MODDIR" >"$W/ho.ucr" 2>&1
rc=$?
sed 's/^/#   /' "$W/ho.ucr" | tail -3
tap_is "$rc" 0 "$FAULT_NAME: a handover with a module reload succeeds"
# The reload unbound the idle vbd before the rmmod; the new module took it.
grep -q "d$dk vbd 51760: not connected to its frontend (InitWait): probed by the new xen_blkback" "$W/ho.ucr" &&
	tap_ok "$FAULT_NAME: the reload names d$dk vbd 51760, probed by the new module" ||
	tap_not_ok "$FAULT_NAME: the reload names d$dk vbd 51760, probed by the new module"
ucs=/sys/bus/xen-backend/devices/vbd-$dk-51760
if [ -e "$ucs/driver" ] && [ "$(cat "$ucs/state" 2>/dev/null)" = InitWait ]; then
	tap_ok "$FAULT_NAME: vbd 51760 bound to the new xen-blkback, InitWait"
else
	tap_not_ok "$FAULT_NAME: vbd 51760 bound to the new xen-blkback, InitWait"
	tap_diag "  driver $(readlink "$ucs/driver" 2>/dev/null), state $(cat "$ucs/state" 2>/dev/null)"
fi
before=$(fault_reqs "$dk" 51712)
ms=$(fault_wait_served 30 "$dk" 51712 "$before")
tap_cmp "${ms:-99999}" -lt 30000 "$FAULT_NAME: xvda served after it (${ms:-never} ms)"
# Its hotplug names a device only now: the disk connects to the new
# module (the frontend, Initialised before the reload, was not lost).
img=$LAB_STATE/fk/late.img
truncate -s 16M "$img"
l=$(losetup -f --show "$img"); echo "$l" >>"$LAB_STATE/fk/loops"
xenstore-write "$uc/physical-device" "$(stat -L -c '%t:%T' "$l")" \
	"$uc/physical-device-path" "$l"
if lab_xs_wait 30 "/local/domain/$dk/device/vbd/51760/state" 4; then
	tap_ok "$FAULT_NAME: vbd 51760 connects to the new module once it has a device"
else
	tap_not_ok "$FAULT_NAME: vbd 51760 connects to the new module once it has a device"
	tap_diag "  backend $(lab_xs_read "$uc/state"), frontend $(lab_xs_read "/local/domain/$dk/device/vbd/51760/state")"
fi
blk_bounded 40 timeout 30 xl block-detach fk xvdd >/dev/null 2>&1
fault_end

if lab_guest_wait_done fk 300; then tap_ok "fk's workload finished"; else
	tap_not_ok "fk's workload finished"; fi
FAULT_NAME="SIGKILL cases (fk)"
fault_data fk
lab_guest_destroy fk

# ---- 9: detach while quiesced -------------------------------------------
fault_case "block-detach while quiesced"
# xvda verified; xvdb (the one detached) under unverified I/O at QD 16.
dd=$(lab_guest_start fd --disks 2 --no-vif \
	--workload '(blkverify --seconds 60 --tag junk /dev/xvdb >/dev/null 2>&1 &); blkverify --seconds 90 /dev/xvda')
if [ -z "$dd" ]; then tap_not_ok "guest fd started"; tap_done; exit 1; fi
lab_xs_wait 60 "$(lab_fe_path fd vbd 51728)/state" 4
sleep 5
ncmigd quiesce --domid "$dd" --hold-s 0 >"$W/q-detach" 2>&1 &
qp=$!
lab_wait 30 sh -c "ncmigd status --domid $dd 2>/dev/null | grep -q session"
sleep 1	# requests queue up on the stopped rings
t0=$(blk_now_ms)
blk_bounded 40 timeout 30 xl block-detach fd xvdb >"$W/detach" 2>&1
rc=$?
took=$(($(blk_now_ms) - t0))
tap_is "$rc" 0 "$FAULT_NAME: xl block-detach ended ($took ms)"
sed 's/^/#   /' "$W/detach"
# The quiesce's owner goes: xvda resumes.
before=$(fault_reqs "$dd" 51712)
kill $qp; wait $qp 2>/dev/null
ms=$(fault_wait_served 30 "$dd" 51712 "$before")
tap_cmp "${ms:-99999}" -lt 30000 "$FAULT_NAME: xvda served again (${ms:-never} ms)"
# The guest can hot-plug again: its xenwatch thread is not stuck.
img=$LAB_STATE/fd/extra.img
truncate -s 16M "$img"
l=$(losetup -f --show "$img"); echo "$l" >>"$LAB_STATE/fd/loops"
blk_bounded 40 timeout 30 xl block-attach fd "format=raw,vdev=xvdc,access=rw,script=$LAB_HOTPLUG/block,target=$l" >/dev/null 2>&1
fe=/local/domain/$dd/device/vbd/51744
if lab_xs_wait 30 "$fe/state" 4; then
	tap_ok "$FAULT_NAME: a disk attached after it reaches Connected"
else
	tap_not_ok "$FAULT_NAME: a disk attached after it reaches Connected"
	tap_diag "  frontend state $(lab_xs_read "$fe/state"), backend $(lab_xs_read "$(lab_xs_read "$fe/backend")/state")"
	lab_guest_log fd | tr -d '\r' | grep -A12 "blocked for more than" | head -30 | sed 's/^/#   guest: /'
fi
if lab_guest_wait_done fd 200; then tap_ok "$FAULT_NAME: fd's workload finished"; else
	tap_not_ok "$FAULT_NAME: fd's workload finished"; fi
fault_data fd
fault_end
lab_guest_destroy fd

# ---- 10: xl destroy of a released guest ---------------------------------
fault_case "xl destroy while released"
dr=$(lab_guest_start fr --disks 1 --no-vif --workload 'wl_blk 120')
if [ -z "$dr" ]; then tap_not_ok "guest fr started"; tap_done; exit 1; fi
lab_xs_wait 60 "$(lab_fe_path fr vbd 51712)/state" 4
sleep 3
ncmigd handover --domid "$dr" --pause-after release >"$W/ho.rel" 2>&1 &
hp=$!
if lab_wait 60 grep -q "paused after" "$W/ho.rel"; then
	t0=$(blk_now_ms)
	blk_bounded 60 timeout 50 xl destroy fr >"$W/destroy" 2>&1
	rc=$?
	took=$(($(blk_now_ms) - t0))
	sed 's/^/#   /' "$W/destroy"
	tap_is "$rc" 0 "$FAULT_NAME: xl destroy succeeded"
	tap_cmp "$took" -lt 5000 "$FAULT_NAME: xl destroy took $took ms (libxl's timeout is 10 s)"
	grep -q "unable to remove" "$W/destroy" &&
		tap_not_ok "$FAULT_NAME: no 'unable to remove device'" ||
		tap_ok "$FAULT_NAME: no 'unable to remove device'"
else
	tap_not_ok "$FAULT_NAME: handover paused after release"
	sed 's/^/#   /' "$W/ho.rel"
fi
kill -9 $hp 2>/dev/null; wait $hp 2>/dev/null
lab_wait 30 sh -c "! ncmigd status 2>/dev/null | grep -q session"
lab_guest_destroy fr
fault_end

# ---- 11: a hostile ring -------------------------------------------------
fault_case "hostile ring"
dh=$(lab_guest_start fh --disks 2 --no-vif --workload 'blkverify --seconds 120 /dev/xvdb')
if [ -z "$dh" ]; then tap_not_ok "guest fh started"; tap_done; exit 1; fi
lab_xs_wait 60 "$(lab_fe_path fh vbd 51728)/state" 4
sleep 5
if [ -w "$XBQ_DBG/attach_rsp_skew_devid" ]; then
	bad=51712 good=51728
	blk_hook attach_rsp_skew_devid $bad
	ncmigd handover --domid "$dh" >"$W/ho.hostile" 2>&1
	rc=$?
	sed 's/^/#   /' "$W/ho.hostile"
	tap_cmp "$rc" -ne 0 "$FAULT_NAME: the handover reports a failure"
	grep -q "d$dh vbd $bad: attach refused" "$W/ho.hostile" &&
		tap_ok "$FAULT_NAME: the error names d$dh vbd $bad" ||
		tap_not_ok "$FAULT_NAME: the error names d$dh vbd $bad"
	sleep $((park_ms / 1000 + 3))
	blk_hook attach_rsp_skew_devid 0
	sb=$(lab_xs_read "backend/vbd/$dh/$bad/state")
	case $sb in
	5|6) tap_ok "$FAULT_NAME: vbd $bad closed, not reconnected on its ring (state $sb)" ;;
	*) tap_not_ok "$FAULT_NAME: vbd $bad closed, not reconnected on its ring"
	   tap_diag "  backend state $sb"; dmesg | grep "vbd-$dh-$bad" | tail -5 | sed 's/^/#   dom0: /' ;;
	esac
	# No connect_ring() on the refused rings after the refusal, not even
	# for a frontend state change queued while parked.
	n=$(dmesg | sed -n "/vbd-$dh-$bad: .*handover attach refused/,\$p" |
		grep -c "backend/vbd/$dh/$bad: using ")
	tap_is "$n" 0 "$FAULT_NAME: no connect on vbd $bad's refused rings"
	tap_is "$(lab_xs_read "backend/vbd/$dh/$good/state")" 4 "$FAULT_NAME: vbd $good Connected"
	lab_wait 30 sh -c "! ncmigd status --domid $dh 2>/dev/null | grep -q session" ||
		tap_diag "  the session is still there"
	if lab_guest_wait_done fh 200; then tap_ok "$FAULT_NAME: fh's workload finished"; else
		tap_not_ok "$FAULT_NAME: fh's workload finished"; fi
	fault_data fh
	t0=$(blk_now_ms)
	lab_guest_destroy fh
	tap_diag "  xl destroy took $(($(blk_now_ms) - t0)) ms"
else
	tap_skip "$FAULT_NAME" "no attach_rsp_skew_devid knob"
	lab_guest_destroy fh
fi
fault_end

# ---- the end: nothing left behind ---------------------------------------
lab_wait 30 sh -c "! ncmigd status 2>/dev/null | grep -q session"
if fault_modules_unload; then tap_ok "modules unload"; else
	tap_not_ok "modules unload"; FAULT_LEFTOVERS=$((FAULT_LEFTOVERS + 1))
	lsmod | grep xen | sed 's/^/#   /'; fi
fault_summary
tap_done
