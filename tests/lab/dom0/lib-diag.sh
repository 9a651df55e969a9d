# shellcheck shell=sh
# What dom0 was doing when something hung, printed as "# " lines for the
# serial log (CI keeps only the log, never the lab).

# lab_xen_triple_faults [-c]: Xen's "Triple fault" reports in its console
# ring (-c: and clear the ring, so the next call sees only newer ones).
# Under the lab's QEMU TCG, PVH guests on HAP triple-fault now and then,
# whatever runs in dom0 (tests/lab/README.md: nested paging emulation).
lab_xen_triple_faults() { timeout 20 xl dmesg "$@" 2>/dev/null | grep "Triple fault"; }

# lab_proc_state PID: its state letter (R, S, D, ...) from /proc/PID/stat,
# whose comm (field 2) may hold spaces: everything up to ") " goes.
lab_proc_state() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1; }

# lab_diag_waits: every process's state and what it waits on; the kernel
# stack of those in D state and of every ncmigd.
lab_diag_waits() {
	for p in /proc/[0-9]*; do
		[ -s "$p/cmdline" ] || continue	# kernel threads: the detector's job
		st=$(lab_proc_state "${p#/proc/}")
		cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-100)
		echo "#   ${p#/proc/} $st $(cat "$p/wchan" 2>/dev/null) $cmd"
		case "$st:$(cat "$p/comm" 2>/dev/null)" in
		D:* | *:ncmigd) sed 's/^/#     /' "$p/stack" 2>/dev/null ;;
		esac
	done
}

# lab_diag_backends DOMID: the domain's backend devices as xenstore, the
# driver core and ncmigd see them, and dom0's last kernel lines (for
# scenarios: it uses lib.sh's bounded xenstore reads).
lab_diag_backends() {
	for kind in vbd vif; do
		for dev in $(lab_xs_list "/local/domain/0/backend/$kind/$1"); do
			be=/local/domain/0/backend/$kind/$1/$dev
			drv=$(readlink "/sys/bus/xen-backend/devices/$kind-$1-$dev/driver" 2>/dev/null)
			echo "#   $kind $dev: state=$(lab_xs_read "$be/state") driver=${drv##*/}"
		done
	done
	timeout -k 2 10 ncmigd status 2>&1 | sed 's/^/#   status: /'
	timeout 20 xl list 2>&1 | sed 's/^/#   xl list: /'
	dmesg | tail -20 | sed 's/^/#   /'
}
