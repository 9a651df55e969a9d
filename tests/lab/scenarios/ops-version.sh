#!/bin/sh
# ops-version: the patched backends reach xen-backend-quiesce only through
# the versioned operations tables they register (issue 12, item 1).
# dom0 checks, with no guest: both backends depend on the core and
# registered version-1 tables; they export nothing (/proc/kallsyms); a
# backend claiming another version (xbq-test-badver.ko, built only with
# NCMIG_TEST_HOOKS) is refused at registration, with a message naming both
# versions; a second table for a kind is taken and preferred (two slots,
# for a rolling update), a third refused; and
# a reload of a backend unregisters and registers it again while the core
# stays loaded.
. /ncmig/dom0/lib.sh

tap_plan 15
MARK="ncmig-lab: ops-version mark $$"
echo "$MARK" >/dev/kmsg
since() { dmesg | sed -n "/$MARK/,\$p"; }
# kgrep PATTERN: the kernel said PATTERN since $MARK.
kgrep() { since | grep -q "$1"; }
holders() { awk '$1 == "xen_backend_quiesce" { print $4 }' /proc/modules; }

if lab_use_patched_backends; then tap_ok "patched backends loaded"; else
	tap_not_ok "patched backends loaded"; tap_done; exit 1; fi
tap_run "xen-backend-quiesce and xen-ncmig loaded" lab_load_ncmig_modules
h=$(holders)
tap_diag "xen_backend_quiesce is used by: $h"
case ",$h," in *,xen_blkback,*) tap_ok "xen-blkback depends on the core" ;;
*) tap_not_ok "xen-blkback depends on the core" ;; esac
case ",$h," in *,xen_netback,*) tap_ok "xen-netback depends on the core" ;;
*) tap_not_ok "xen-netback depends on the core" ;; esac
tap_run "xen-blkback registered vbd operations version 1" \
	kgrep 'xen-backend-quiesce: xen_blkback: registered vbd handover operations version 1'
tap_run "xen-netback registered vif operations version 1" \
	kgrep 'xen-backend-quiesce: xen_netback: registered vif handover operations version 1'

# Exports: the core's show in kallsyms (the control); the backends' none.
ctl=$(grep -c '__ksymtab_xbq_register_backend.*\[xen_backend_quiesce\]' /proc/kallsyms)
ex=$(awk '$3 ~ /^__ksymtab_/ && ($4 == "[xen_blkback]" || $4 == "[xen_netback]") { print $3 }' /proc/kallsyms | tr '\n' ' ')
if [ "$ctl" -ge 1 ]; then
	tap_is "$ex" "" "the patched backends export nothing (kallsyms)"
	nex=$(echo "$ex" | wc -w)
else
	# No data symbols in kallsyms: the old names must at least be gone.
	ex=$(grep -cE ' (xenvif_ho_netdev|__crc_xen_blkbk_|__crc_xenvif_ho_)' /proc/kallsyms)
	tap_is "$ex" 0 "the patched backends export nothing (no __ksymtab in kallsyms: old names)"
	nex=$ex
fi

ko=/ncmig/modules/xbq-test-badver.ko
if [ ! -f "$ko" ]; then
	tap_not_ok "xbq-test-badver.ko in the payload (NCMIG_TEST_HOOKS build)"
	tap_done; exit 1
fi
tap_ok "xbq-test-badver.ko in the payload"
if insmod "$ko" 2>"/tmp/ops-version.err"; then
	tap_not_ok "a version-2 table is refused (insmod fails)"; rmmod xbq_test_badver
else
	tap_ok "a version-2 table is refused (insmod fails: $(tr '\n' ' ' </tmp/ops-version.err))"
fi
line=$(since | grep 'xbq_test_badver: refused' | tail -1)
tap_diag "kernel: $line"
case $line in
*"speaks handover operations version 2, this core speaks version 1"*)
	tap_ok "the refusal names both versions" ;;
*) tap_not_ok "the refusal names both versions" ;;
esac
# Two slots of a kind may register (a rolling update's, ncmigd roll): a
# second vbd table is taken and preferred; a third is refused.
backends=/sys/module/xen_backend_quiesce/parameters/backends
if insmod "$ko" version=1 2>/dev/null; then
	tap_is "$(cat $backends)" "vbd=xbq_test_badver,xen_blkback vif=xen_netback" \
		"a second vbd table is taken, and preferred (the core's backends parameter)"
	rmmod xbq_test_badver
else
	tap_not_ok "a second vbd table is taken, and preferred"
fi
if insmod /ncmig/backends/xen-blkback-b.ko; then
	if insmod "$ko" version=1 2>/dev/null; then
		tap_not_ok "a third vbd table is refused"; rmmod xbq_test_badver
	else
		tap_run "a third vbd table is refused (two other modules serve vbd)" \
			kgrep 'xbq_test_badver: refused: two other modules serve these handover operations'
	fi
	rmmod xen_blkback_b
else
	tap_not_ok "a third vbd table is refused (xen-blkback-b.ko did not load)"
fi

# A reload of one backend: only it goes, the core stays.
echo "$MARK reload" >/dev/kmsg
MARK="$MARK reload"
if rmmod xen_netback && insmod /ncmig/backends/xen-netback.ko; then
	tap_ok "xen-netback reloaded"; else tap_not_ok "xen-netback reloaded"; fi
reload_ok() {
	kgrep 'xen_netback: unregistered its vif handover operations' &&
		kgrep 'xen_netback: registered vif handover operations version 1'
}
tap_run "the reload unregistered and registered the vif table again" reload_ok
tap_run "the core stayed loaded" grep -q '^xen_backend_quiesce ' /proc/modules

echo "ops-version: refused_version=$(case $line in *"version 2, this core speaks version 1"*) echo 1 ;; *) echo 0 ;; esac) backend_exports=$nex"
tap_done
