# shellcheck shell=sh
# Helpers for fault-reload (the module reload's window, issue 11 item 4),
# sourced after lib.sh, lib-blk.sh and lib-faults.sh.
#
# The kernel side (xen-ncmig's watchdog) loads a backend by itself with
# request_module("xen-blkback"), which modprobe resolves through
# /lib/modules/$(uname -r): the payload's patched backends must be found
# there, ahead of Debian's stock ones, as ncmig-dkms installs them
# (updates/ comes first in depmod's search order).

RELOAD_UPDATES=/lib/modules/$(uname -r)/updates/ncmig-lab

# reload_install DIR: install DIR's backends and core under updates/ + depmod.
reload_install() {
	mkdir -p "$RELOAD_UPDATES" || return 1
	for _k in xen-blkback xen-netback; do
		cp "$1/$_k.ko" "$RELOAD_UPDATES/" || return 1
	done
	if [ -f "$1/xen-backend-quiesce.ko" ]; then _x=$1/xen-backend-quiesce.ko
	else _x=/ncmig/modules/xen-backend-quiesce.ko; fi
	cp "$_x" "$RELOAD_UPDATES/" && depmod -a
}

# reload_uninstall: back to Debian's module tree (other scenarios modprobe
# the stock backends).
reload_uninstall() { rm -rf "$RELOAD_UPDATES"; depmod -a; }

# reload_loaded: both backends are loaded.
reload_loaded() { [ -e /sys/module/xen_blkback ] && [ -e /sys/module/xen_netback ]; }

# reload_rescue DIR: what an operator had to do on the unfixed code: load
# whichever backend is missing (insmod from DIR); true if one was missing.
reload_rescue() {
	_r=1
	for _k in xen-blkback xen-netback; do
		_m=$(echo "$_k" | tr - _)
		if [ ! -e "/sys/module/$_m" ]; then
			insmod "$1/$_k.ko" 2>/dev/null; _r=0
		fi
	done
	return $_r
}
