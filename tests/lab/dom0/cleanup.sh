#!/bin/sh
# Between scenarios: destroy every guest and free the loop devices, so each
# scenario starts from an idle dom0 (as if freshly booted).
. /ncmig/dom0/lib-destroy.sh
for d in $(xenstore-list /local/domain 2>/dev/null); do
	[ "$d" = 0 ] || lab_xl_destroy "$d" 60
done
for p in /run/ncmig-lab/*.pid; do
	# shellcheck disable=SC2046 # one pid per word
	[ -f "$p" ] && kill $(cat "$p") 2>/dev/null
done
# Demo followers run in their own process groups.
for g in $(cat /run/ncmig-lab/followers 2>/dev/null); do
	kill -TERM "-$g" 2>/dev/null
done
rm -rf /run/ncmig-lab
losetup -D 2>/dev/null
rm -rf /var/lib/ncmig-lab/*
exit 0
