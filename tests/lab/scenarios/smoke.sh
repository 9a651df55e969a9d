#!/bin/sh
# smoke: a PV guest (2 vCPUs) with one disk and one vif runs verified block
# I/O at QD 16 and TCP + UDP traffic with dom0; dom0 checks that both
# backends and frontends are Connected with 2 queues and that the guest
# saw no I/O, verify or stream errors.
. /ncmig/dom0/lib.sh

SECONDS_LOAD=${SMOKE_SECONDS:-15}
tap_plan 18

lab_netserver_start || tap_diag "netstream server did not start"
domid=$(lab_guest_start smoke --disks 1 --workload "wl_all $SECONDS_LOAD")
if [ -n "$domid" ]; then tap_ok "guest smoke created (domid $domid)"; else
	tap_not_ok "guest smoke created"; tap_done; exit 1; fi
tap_cmp "$(lab_guest_result smoke guest.cpus 180)" -eq 2 "guest has 2 vCPUs"

vbd=51712
fe=$(lab_fe_path smoke vbd $vbd)
be=$(lab_be_path smoke vbd $vbd)
lab_xs_wait 60 "$be/state" 4
tap_is "$(lab_xs_read "$be/state")" 4 "blkback $be Connected"
tap_is "$(lab_xs_read "$fe/state")" 4 "blkfront $fe Connected"
tap_is "$(lab_xs_read "$fe/multi-queue-num-queues")" 2 "blkfront uses 2 queues"

vfe=$(lab_fe_path smoke vif 0)
vbe=$(lab_be_path smoke vif 0)
lab_xs_wait 60 "$vbe/state" 4
tap_is "$(lab_xs_read "$vbe/state")" 4 "netback $vbe Connected"
tap_is "$(lab_xs_read "$vfe/state")" 4 "netfront $vfe Connected"
tap_is "$(lab_xs_read "$vfe/multi-queue-num-queues")" 2 "netfront uses 2 queues"
tap_run "vif$domid.0 is on xenbr0" sh -c "ip -o link show vif$domid.0 | grep -q 'master xenbr0'"

if lab_guest_wait_done smoke $((SECONDS_LOAD + 240)); then
	tap_ok "guest workload finished"; else tap_not_ok "guest workload finished"; fi
# Block: xvda served by blkback and read back clean.
tap_cmp "$(lab_guest_result smoke blk.xvda.ops 5)" -gt 0 "xvda: guest did I/O through blkback"
tap_is "$(lab_guest_result smoke blk.io_errors 5)" 0 "xvda: 0 I/O errors"
tap_is "$(lab_guest_result smoke blk.verify_errors 5)" 0 "xvda: 0 verify errors"
tap_cmp "$(lab_guest_result smoke blk.final_units 5)" -gt 0 "xvda: final verify pass read back written blocks"
tap_diag "blk: qd=$(lab_guest_result smoke blk.qd 5) ops=$(lab_guest_result smoke blk.ops 5) max_lat_ms=$(lab_guest_result smoke blk.max_lat_ms 5)"
# Net: vif served by netback, both ways.
tap_is "$(lab_guest_result smoke tcp.ok 5)" 1 "vif: TCP stream both ways intact"
tap_is "$(lab_guest_result smoke tcp.resets 5)" 0 "vif: 0 TCP resets"
tap_cmp "$(lab_guest_result smoke tcp.rx_bytes 5)" -gt 0 "vif: guest received the dom0 stream"
tap_diag "tcp: max_gap_ms=$(lab_guest_result smoke tcp.max_gap_ms 5)"
tap_cmp "$(lab_guest_result smoke udp.recv 5)" -gt 0 "vif: UDP pings answered"
tap_diag "udp: sent=$(lab_guest_result smoke udp.sent 5) lost=$(lab_guest_result smoke udp.lost 5) max_gap_ms=$(lab_guest_result smoke udp.max_gap_ms 5)"
lab_netserver_stop | sed 's/^/# dom0 /'

lab_guest_destroy smoke
tap_done
