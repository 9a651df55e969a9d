# shellcheck shell=sh
# What dom0 was doing when something hung, printed as "# " lines for the
# serial log (CI keeps only the log, never the lab).

# lab_diag_waits: every process's state and what it waits on; the kernel
# stack of those in D state and of every ncmigd.
lab_diag_waits() {
	for p in /proc/[0-9]*; do
		[ -s "$p/cmdline" ] || continue	# kernel threads: the detector's job
		st=$(sed 's/^.*) //' "$p/stat" 2>/dev/null | cut -d' ' -f1)
		cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-100)
		echo "#   ${p#/proc/} $st $(cat "$p/wchan" 2>/dev/null) $cmd"
		case "$st:$(cat "$p/comm" 2>/dev/null)" in
		D:* | *:ncmigd) sed 's/^/#     /' "$p/stack" 2>/dev/null ;;
		esac
	done
}

# lab_diag_backends DOMID: the domain's backend devices as xenstore, the
# driver core and ncmigd see them, and dom0's last kernel lines.
lab_diag_backends() {
	for kind in vbd vif; do
		for dev in $(timeout 10 xenstore-list "/local/domain/0/backend/$kind/$1" 2>/dev/null); do
			be=/local/domain/0/backend/$kind/$1/$dev
			drv=$(readlink "/sys/bus/xen-backend/devices/$kind-$1-$dev/driver" 2>/dev/null)
			echo "#   $kind $dev: state=$(timeout 10 xenstore-read "$be/state" 2>/dev/null) driver=${drv##*/}"
		done
	done
	timeout -k 2 10 ncmigd status 2>&1 | sed 's/^/#   status: /'
	timeout 20 xl list 2>&1 | sed 's/^/#   xl list: /'
	dmesg | tail -20 | sed 's/^/#   /'
}
