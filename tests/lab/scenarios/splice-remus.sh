#!/bin/sh
# splice-remus: can Xen's `xl remus` (Debian's Xen 4.17 / 4.20) run to
# localhost in the lab, and do ncmig's per-checkpoint records travel in
# it?  Exploratory (not for make check): it records what happens.
#
# `xl remus -F -n -d` (no network buffering, no disk replication, which
# libxl allows only in its unsafe mode, -F: the guest's
# disks are the same files on this one host) checkpoints a PV guest (PVH
# where Xen cannot migrate PV guests: dom0/lib-migrate.sh) every 500 ms
# through `ncmigd splice send` / `recv`, which insert and remove one
# NCMIG_STREAM record per checkpoint (doc/stream-format.md,
# "Checkpointed streams").  After ~15 s the primary's `xl remus` is
# killed: the stream ends (a cut after the first CHECKPOINT, its normal
# end), the secondary's `xl migrate-receive -r` fails over, and recv keeps
# the latest complete set.  Both copies are destroyed at the end (two
# copies of one guest on one host share its disks: nothing is checked
# inside the guest after the failover).
. /ncmig/dom0/lib.sh
. /ncmig/dom0/lib-migrate.sh

tap_plan 6
W=/run/ncmig-lab/splice-remus
rm -rf "$W"; mkdir -p "$W"
checkpoints=0 sets=0 failover=0 remus_ran=0

# shellcheck disable=SC2046 # one option or none
d=$(lab_guest_start rem $(lab_migrate_type) --disks 1 --memory 192)
if [ -z "$d" ]; then tap_not_ok "guest created"; tap_done; exit 1; fi
tap_ok "guest rem created (d$d)"
lab_guest_result rem guest.ready 180 >/dev/null
lab_xs_wait 60 "$(lab_be_path rem vbd 51712)/state" 4
timeout 10 xl help remus 2>&1 | sed 's/^/# xl help remus: /' | head -25

xl remus -F -n -d -i 500 -e \
	-s "ncmigd splice send --domid $d --recv-opt --keep=$W/kept.ncmig" \
	rem localhost >"$W/remus.log" 2>&1 &
pid=$!
sleep 15
if kill -0 "$pid" 2>/dev/null; then
	remus_ran=1
	tap_ok "xl remus still checkpointing after 15 s"
else
	wait "$pid"; tap_not_ok "xl remus still checkpointing after 15 s (exited $?)"
fi
# Stop the primary's xl alone (not send, recv and the secondary, which
# share its process group): its stream ends as a primary's crash ends it.
kill -KILL "$pid" 2>/dev/null
lab_wait 60 sh -c '! pgrep -f "splice recv" >/dev/null'
sleep 2
sed 's/^/# remus: /' "$W/remus.log" | grep -v '^# remus: *$' | tail -40
timeout 10 xl list 2>&1 | sed 's/^/# xl list: /'

checkpoints=$(sed -n 's/.*splice recv: checkpointed stream: \([0-9]*\) checkpoints complete.*/\1/p' "$W/remus.log" | tail -1)
sets=$(sed -n 's/.*, \([0-9]*\) complete sets.*/\1/p' "$W/remus.log" | tail -1)
tap_cmp "${checkpoints:-0}" -gt 1 "recv saw complete checkpoints"
tap_cmp "${sets:-0}" -gt 1 "recv removed a complete set per checkpoint"
tap_run "recv kept the latest complete set, a valid stream" \
	ncmigd inspect "$W/kept.ncmig"
if timeout 10 xl list 2>/dev/null | grep -q 'rem--incoming\|^rem '; then
	n=$(timeout 10 xl list 2>/dev/null | grep -c '^rem')
	[ "$n" -ge 2 ] && failover=1
fi
tap_is "$failover" 1 "the secondary took over (two copies listed)"

for dom in $(timeout 10 xl list 2>/dev/null | awk '$1 ~ /^rem/ { print $2 }'); do
	timeout 60 xl destroy "$dom" >/dev/null 2>&1
done
lab_guest_destroy rem
tap_done
rc=$?
echo "splice-remus: remus_ran=$remus_ran checkpoints=${checkpoints:-0} complete_sets=${sets:-0} failover=$failover"
exit $rc
