#!/bin/sh
# blk-keep: the persistent grants a released vbd hands over still mapped
# are held by xen-backend-quiesce only for a while (keep_grants_ms) and
# never past the backend device's removal, since each mapping pins a page
# of the guest (a destroyed guest could not go away).
#
# Under verified I/O on one disk:
#  1. keep_grants_ms=1000 and 3 s between release and restore: the kept
#     grants are unmapped when they expire, and the attach maps the
#     persistent grants again from the record (after + revoked = before);
#  2. default keep_grants_ms: the attach adopts every grant (kept = before);
#  3. the guest, idle, is released and destroyed before any restore: the
#     kept grants are unmapped when the device goes, and the domain is gone.
# No I/O or verify error; the state nodes are never written.
. /ncmig/dom0/lib.sh

NAME=bk
W=/run/ncmig-lab/blk-keep
P=/sys/module/xen_backend_quiesce/parameters/keep_grants_ms
rm -rf "$W"; mkdir -p "$W"

if lab_use_patched_backends; then tap_ok "patched xen-blkback loaded"; else
	tap_not_ok "patched xen-blkback loaded"; tap_done; exit 1; fi
tap_run "xen-backend-quiesce and xen-ncmig loaded" lab_load_ncmig_modules
default_ms=$(cat $P)

domid=$(lab_guest_start $NAME --disks 1 --vcpus 2 --no-vif --workload "wl_blk 900")	# at most: dom0 ends it after the handovers
if [ -n "$domid" ]; then tap_ok "guest $NAME created (domid $domid)"; else
	tap_not_ok "guest $NAME created"; tap_done; exit 1; fi
lab_guest_result $NAME guest.ready 180 >/dev/null
fe=$(lab_fe_path $NAME vbd 51712)
be=$(lab_be_path $NAME vbd 51712)
lab_xs_wait 60 "$fe/state" 4
for side in fe be; do
	eval "p=\$$side"
	xenstore-watch "$p/state" >"$W/watch.$side" 2>&1 &
	echo $! >>"$W/watch.pids"
done
st=/sys/bus/xen-backend/devices/vbd-$domid-51712/statistics
lab_wait 60 sh -c "[ \$(cat $st/wr_req) -gt 100 ]"

# field NAME LINE: the value of NAME=... in LINE.
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# 1. Expired before the attach.
dmesg -c >/dev/null
echo 1000 >$P
tap_run "handover with 3 s between release and restore" \
	timeout 120 ncmigd handover --domid "$domid" --hold-ms 3000
expired=$(dmesg | sed -n 's/.*no attach within 1000 ms: unmapping \([0-9]*\) kept.*/\1/p')
attach=$(dmesg | grep "attached from snapshot" | tail -1)
tap_diag "expiry: unmapped ${expired:-none}; $attach"
tap_cmp "${expired:-0}" -gt 0 "the kept grants were unmapped when they expired"
tap_is "$(field kept "$attach")" 0 "the attach had nothing kept to adopt"
tap_is "$(($(field after "$attach") + $(field revoked "$attach")))" "$(field before "$attach")" \
	"the attach mapped again every grant the frontend still grants"
echo "$default_ms" >$P

# 2. Adopted.
dmesg -c >/dev/null
tap_run "handover" timeout 120 ncmigd handover --domid "$domid"
attach=$(dmesg | grep "attached from snapshot" | tail -1)
tap_diag "$attach"
tap_cmp "$(field kept "$attach")" -gt 0 "the attach adopted kept grants"
tap_is "$(field kept "$attach")" "$(field before "$attach")" "it adopted every grant of the record"

sleep 3
lab_guest_stop_wl $NAME || tap_diag "$NAME: no answer to the stop"
if lab_guest_wait_done $NAME 300; then tap_ok "guest workload finished"; else
	tap_not_ok "guest workload finished"; fi
tap_is "$(lab_guest_result $NAME blk.io_errors 5)" 0 "0 guest I/O errors"
tap_is "$(lab_guest_result $NAME blk.verify_errors 5)" 0 "0 verify errors"
while read -r p; do kill "$p" 2>/dev/null; done <"$W/watch.pids"
for side in fe be; do
	tap_is "$(grep -c state "$W/watch.$side")" 1 "$side state node never written"
done

# 3. Destroyed while released, the grants still kept.
dmesg -c >/dev/null
ncmigd handover --domid "$domid" --pause-after release >"$W/held" 2>&1 &
held=$!
lab_wait 60 grep -q "paused after release" "$W/held"
tap_run "released, the daemon holding" grep -q "paused after release" "$W/held"
timeout 120 xl destroy $NAME >/dev/null 2>&1
lab_wait 60 sh -c "dmesg | grep -q 'removed: unmapping'"
removed=$(dmesg | sed -n 's/.*removed: unmapping \([0-9]*\) kept.*/\1/p' | tail -1)
tap_cmp "${removed:-0}" -gt 0 "the kept grants were unmapped when the device went away"
# Listed while it exists, as "(null)" while dying (pages still mapped).
listed() { xl list 2>/dev/null | awk -v d="$domid" '$2 == d { f = 1 } END { exit !f }'; }
n=0
while listed && [ $n -lt 120 ]; do sleep 0.5; n=$((n + 1)); done
if ! listed; then tap_ok "domain $domid is gone, not a zombie"; else
	tap_not_ok "domain $domid is gone, not a zombie"; xl list | sed 's/^/#   /'; fi
kill "$held" 2>/dev/null
wait "$held" 2>/dev/null

lab_guest_destroy $NAME
tap_done
