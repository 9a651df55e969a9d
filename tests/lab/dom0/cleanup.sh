#!/bin/sh
# Between scenarios: destroy every guest and free the loop devices, so each
# scenario starts from an idle dom0 (as if freshly booted).
for d in $(xenstore-list /local/domain 2>/dev/null); do
	[ "$d" = 0 ] || timeout 60 xl destroy "$d"
done
pkill -x netstream 2>/dev/null
losetup -D 2>/dev/null
rm -rf /var/lib/ncmig-lab/*
exit 0
