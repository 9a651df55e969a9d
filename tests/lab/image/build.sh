#!/bin/sh
# Build the lab's boot images once into DIR (a cache directory keyed on the
# recipe): xen.elf, vmlinux, stage1.cpio.gz, root.ext4 and guest-mod/.
# Nothing here depends on ncmig's own code: that travels on the payload disk.
# usage: build.sh DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
: "${KABI:?}"
kver=$KABI-amd64
mirror=${NCMIG_MIRROR:-http://deb.debian.org/debian}
xenver=4.17
# The dom0 root: the Xen toolstack, what the scenarios and ncmigd need at run
# time, nothing else.
include=xen-utils-$xenver,xenstore-utils,kmod,iproute2,udev,iputils-ping,procps,busybox-static,bridge-utils,libmnl0,libxenstore4,libxenmisc$xenver,util-linux,coreutils
# Modules that serve no purpose in the lab; pruned to keep the image small.
prune="drivers/gpu drivers/media drivers/net/wireless drivers/infiniband
drivers/staging drivers/bluetooth drivers/iio drivers/hid drivers/input
drivers/usb drivers/scsi drivers/ata drivers/md drivers/mmc drivers/nfc
drivers/isdn drivers/hwmon drivers/platform sound net/wireless
net/mac80211 net/bluetooth fs/btrfs fs/xfs fs/ocfs2 fs/gfs2 fs/nfs fs/ceph
fs/cifs fs/smb fs/f2fs"

say() { echo "lab-image: $*" >&2; }
tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp/dl"
trap 'rm -rf "$tmp"' EXIT

say "debootstrap bookworm (minbase + toolstack), a few minutes"
debootstrap --variant=minbase --include="$include" bookworm "$tmp/root" "$mirror" \
	>"$tmp/debootstrap.log" 2>&1 &
pid=$! n=0
while kill -0 "$pid" 2>/dev/null; do	# progress, not minutes of silence
	sleep 1; n=$((n + 1))
	[ $((n % 10)) != 0 ] || say "debootstrap ${n}s: $(tail -1 "$tmp/debootstrap.log")"
done
wait "$pid" || { tail -30 "$tmp/debootstrap.log" >&2; exit 1; }
rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*

# The hypervisor must match the toolstack debootstrap installed.
xen_pkg_ver=$(chroot "$tmp/root" dpkg-query -W -f='${Version}' "xen-utils-$xenver")
say "downloading linux-image-$kver and xen-hypervisor $xen_pkg_ver"
(cd "$tmp/dl" && apt-get download -q "linux-image-$kver" \
	"xen-hypervisor-$xenver-amd64=$xen_pkg_ver" >/dev/null 2>&1) ||
	{ apt-get update -qq && (cd "$tmp/dl" && apt-get download -q "linux-image-$kver" \
	"xen-hypervisor-$xenver-amd64=$xen_pkg_ver"); }
dpkg -x "$tmp"/dl/xen-hypervisor-*.deb "$tmp/xen"
gzip -dc "$tmp/xen/boot/xen-$xenver-amd64.gz" >"$tmp/xen.elf"
# dpkg -x: no maintainer scripts, so no initramfs hooks run.
dpkg -x "$tmp"/dl/linux-image-*.deb "$tmp/kernel"
"$here/extract-vmlinux.sh" "$tmp/kernel/boot/vmlinuz-$kver" "$tmp/vmlinux"

mods=$tmp/kernel/lib/modules/$kver
for d in $prune; do rm -rf "${mods:?}/kernel/$d"; done
depmod -b "$tmp/kernel" "$kver"

# Stage 1: busybox plus exactly the modules that reach the root disk.
s1=$tmp/stage1
mkdir -p "$s1/bin" "$s1/mod" "$s1/proc" "$s1/sys" "$s1/dev"
cp /bin/busybox "$s1/bin/busybox"
cp "$here/stage1-init" "$s1/init"
for m in virtio_pci virtio_blk crc32c_generic ext4; do
	modprobe -d "$tmp/kernel" -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' | while read -r ko; do
	cp "$ko" "$s1/mod/"
	basename "$ko" >>"$s1/mod/order"
done
(cd "$s1" && find . | cpio -o -H newc --quiet) | gzip -1 >"$tmp/stage1.cpio.gz"

# The guest needs only the PV frontends (and what they depend on).
mkdir -p "$tmp/guest-mod"
for m in xen-blkfront xen-netfront; do
	modprobe -d "$tmp/kernel" -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' | while read -r ko; do
	cp "$ko" "$tmp/guest-mod/"
	basename "$ko" >>"$tmp/guest-mod/order"
done

# Assemble the root: modules, the guest kernel, the payload mount point.
mkdir -p "$tmp/root/lib/modules" "$tmp/root/ncmig" "$tmp/root/lab"
cp -a "$mods" "$tmp/root/lib/modules/"
cp "$tmp/vmlinux" "$tmp/root/lab/vmlinux"
echo ncmig-dom0 >"$tmp/root/etc/hostname"
kb=$(du -sk "$tmp/root" | cut -f1)
say "making root.ext4 ($((kb / 1024)) MiB of files)"
mkfs.ext4 -q -F -L ncmig-root -d "$tmp/root" "$tmp/root.ext4" $((kb * 13 / 10 + 65536))K

mkdir -p "$out"
mv "$tmp/xen.elf" "$tmp/vmlinux" "$tmp/stage1.cpio.gz" "$tmp/root.ext4" "$tmp/guest-mod" "$out/"
echo "xen=$xen_pkg_ver kernel=$kver" >"$out/VERSIONS"
say "done: $out"
