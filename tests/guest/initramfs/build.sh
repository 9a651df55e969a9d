#!/bin/sh
# Build the lab guest's initramfs: busybox, the PV frontend modules, the
# guest tools, init and the workload helpers.
# usage: build.sh OUT.cpio.gz GUEST_MOD_DIR TOOLS_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1 mods=$2 tools=$3
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/lib" "$root/mod" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
cp "$tools/blkverify" "$tools/netstream" "$tools/xswatch" "$root/bin/"
cp "$mods"/*.ko "$mods/order" "$root/mod/"
# Test modules the workloads insmod themselves (not in order).
[ ! -f "$tools/xen-netctl.ko" ] || cp "$tools/xen-netctl.ko" "$root/mod/"
cp "$here/init" "$root/init"
cp "$here/wl.sh" "$root/lib/wl.sh"
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
