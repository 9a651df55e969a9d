#!/bin/sh
# splice: `xl migrate` a running PV guest to localhost through
# `ncmigd splice send` / `ncmigd splice recv`.  send inserts the domain's
# ncmig stream into xl's transport just before libxl's END record; recv
# removes it before `xl migrate-receive` reads the stream.  Checks that
# the migration succeeds (libxl, which rejects unknown records, never saw
# ours), the guest is alive afterwards, and the stream recv kept is
# byte-identical to the one send inserted.
#
# libxl still runs a cooperative migration here (the guest suspends and
# its frontends reconnect): this proves the splice, not non-cooperation.
# Then a migration whose --domid is not the domain xl migrates must be
# refused by send at xl's header (before anything is suspended), the
# guest left running where it was.
. /ncmig/dom0/lib.sh

tap_plan 12
W=/run/ncmig-lab/splice
rm -rf "$W"; mkdir -p "$W"

lab_netserver_start || tap_diag "netstream server did not start"
old=$(lab_guest_start spl --disks 1 --memory 192 --workload "wl_ping 120")
if [ -z "$old" ]; then tap_not_ok "guest created"; tap_done; exit 1; fi
tap_ok "guest spl created (d$old)"
ip=$(lab_guest_ip spl)
lab_guest_result spl guest.ready 180 >/dev/null
lab_xs_wait 60 "$(lab_be_path spl vbd 51712)/state" 4

t0=$(date +%s)
if timeout 600 xl migrate \
	-s "ncmigd splice send --domid $old --keep $W/sent.ncmig --recv-opt --keep=$W/kept.ncmig" \
	spl localhost >"$W/migrate.log" 2>&1; then
	tap_ok "xl migrate through ncmigd splice ($(($(date +%s) - t0)) s)"
else
	tap_not_ok "xl migrate through ncmigd splice"
fi
sed 's/^/# xl: /' "$W/migrate.log" | grep -v '^# xl: *$' | tail -25

new=$(timeout 30 xl domid spl 2>/dev/null)
tap_run "spl runs under a new domid ($old -> ${new:-none})" \
	sh -c "[ -n '$new' ] && [ '$new' != '$old' ]"
tap_run "send inserted and recv removed the record" \
	sh -c "grep -q 'splice send: d$old: inserting' '$W/migrate.log' &&
	       grep -q 'splice recv: removed the stream of d$old' '$W/migrate.log'"
tap_run "recv kept what send inserted, byte for byte" \
	cmp "$W/sent.ncmig" "$W/kept.ncmig"
tap_run "the kept stream is valid" ncmigd inspect "$W/kept.ncmig"
ncmigd inspect "$W/kept.ncmig" 2>&1 | head -3 | sed 's/^/# /'
# Alive: the guest answers dom0 over its (reconnected) vif and finishes
# its workload after the migration.
tap_run "the guest answers ping after the migration" \
	lab_wait 60 ping -c 1 -W 1 "$ip"
# xenconsoled names a console log after the domain's name when it first
# sees it: the migrated domain was "spl--incoming" then.
con=spl
[ -f "$LAB_CONSOLE_DIR/guest-spl--incoming.log" ] && con=spl--incoming
if lab_guest_wait_done "$con" 400; then
	tap_ok "guest workload finished after the migration (console $con)"
else
	tap_not_ok "guest workload finished after the migration (console $con)"
fi
tap_cmp "$(lab_guest_result "$con" udp.recv 5)" -gt 0 "guest's UDP pings were answered"
tap_diag "udp (a cooperative migration's blackout included): sent=$(lab_guest_result "$con" udp.sent 5) lost=$(lab_guest_result "$con" udp.lost 5) longest_loss_ms=$(lab_guest_result "$con" udp.longest_loss_ms 5)"

lab_netserver_stop >/dev/null

# ---- recv --restore is gone ----
# It restored only after xl migrate-receive had exited, when a failure
# could neither stop nor undo the migration (issue 10): a usage error now.
ncmigd splice recv --restore -- true >"$W/restore-opt.out" 2>&1
tap_is "$?" 2 "splice recv --restore is refused as a usage error"

# ---- --domid must name the domain xl migrates ----
if timeout 180 xl migrate \
	-s "ncmigd splice send --domid 4000 --recv-opt --keep=$W/wrong.ncmig" \
	spl localhost >"$W/wrong.log" 2>&1; then
	tap_not_ok "xl migrate with --domid 4000 (not spl) refused"
else
	tap_ok "xl migrate with --domid 4000 (not spl) refused"
fi
sed 's/^/# xl: /' "$W/wrong.log" | grep -v '^# xl: *$' | tail -8
tap_run "refused by send at xl's config, spl still runs as d$new" \
	sh -c "grep -q \"cannot read d4000's UUID\\|which is not d4000\" '$W/wrong.log' &&
	       [ \"\$(timeout 30 xl domid spl 2>/dev/null)\" = '$new' ]"

lab_guest_destroy spl
tap_done
