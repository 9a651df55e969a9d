#!/bin/sh
# Build the lab's boot images once into DIR (a cache directory keyed on the
# recipe): xen.elf, vmlinux, stage1.cpio.gz, root.ext4 and guest-mod/.
# Nothing here depends on ncmig's own code: that travels on the payload disk.
# The target release (SUITE, KABI, XEN_VER from mk/targets/TARGET.env)
# gives the dom0 root, the kernel and the hypervisor, all from that suite.
# usage: build.sh DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
: "${SUITE:?}" "${KABI:?}" "${XEN_VER:?}"
kver=$KABI-amd64
mirror=${NCMIG_MIRROR:-http://deb.debian.org/debian}
xenver=$XEN_VER
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

say "debootstrap $SUITE (minbase + toolstack), a few minutes"
debootstrap --variant=minbase --include="$include" "$SUITE" "$tmp/root" "$mirror" \
	>"$tmp/debootstrap.log" 2>&1 &
pid=$! n=0
while kill -0 "$pid" 2>/dev/null; do	# progress, not minutes of silence
	sleep 1; n=$((n + 1))
	[ $((n % 10)) != 0 ] || say "debootstrap ${n}s: $(tail -1 "$tmp/debootstrap.log")"
done
wait "$pid" || { tail -30 "$tmp/debootstrap.log" >&2; exit 1; }
rm -rf "$tmp/root/var/cache/apt/archives/"*.deb

# The hypervisor must match the toolstack debootstrap installed. Both it
# and the kernel come from the target suite, through the root's own apt
# (its sources and keys are the suite's; the build host may be another
# release). The lists are removed again afterwards.
xen_pkg_ver=$(chroot "$tmp/root" dpkg-query -W -f='${Version}' "xen-utils-$xenver")
say "downloading linux-image-$kver and xen-hypervisor $xen_pkg_ver from $SUITE"
cp /etc/resolv.conf "$tmp/root/etc/resolv.conf" 2>/dev/null || true
# Kernel ABIs move on in the suite's updates and security archives.
security=${NCMIG_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
printf 'deb %s %s-updates main\ndeb %s %s-security main\n' "$mirror" "$SUITE" \
	"$security" "$SUITE" >"$tmp/root/etc/apt/sources.list.d/ncmig-lab.list"
mkdir -p "$tmp/root/dl"
chroot "$tmp/root" sh -c "apt-get update -qq && cd /dl &&
	apt-get download -q linux-image-$kver xen-hypervisor-$xenver-amd64=$xen_pkg_ver" \
	>"$tmp/apt.log" 2>&1 || { tail -20 "$tmp/apt.log" >&2; exit 1; }
mv "$tmp/root/dl/"*.deb "$tmp/dl/"
rm -rf "$tmp/root/dl" "$tmp/root/var/lib/apt/lists/"* "$tmp/root/var/cache/apt/"*.bin \
	"$tmp/root/etc/apt/sources.list.d/ncmig-lab.list"
dpkg -x "$tmp"/dl/xen-hypervisor-*.deb "$tmp/xen"
gzip -dc "$tmp/xen/boot/xen-$xenver-amd64.gz" >"$tmp/xen.elf"
# dpkg -x: no maintainer scripts, so no initramfs hooks run.
dpkg -x "$tmp"/dl/linux-image-*.deb "$tmp/kernel"
"$here/extract-vmlinux.sh" "$tmp/kernel/boot/vmlinuz-$kver" "$tmp/vmlinux"

# trixie's packages are merged-/usr: its modules come in usr/lib/modules,
# where the build host's depmod and modprobe -d do not look.
if [ -d "$tmp/kernel/usr/lib/modules" ] && [ ! -d "$tmp/kernel/lib/modules" ]; then
	mkdir -p "$tmp/kernel/lib"
	mv "$tmp/kernel/usr/lib/modules" "$tmp/kernel/lib/modules"
fi
mods=$tmp/kernel/lib/modules/$kver
for d in $prune; do rm -rf "${mods:?}/kernel/$d"; done
depmod -b "$tmp/kernel" "$kver"

# put_ko KO DIR: copy a module for busybox's insmod, which cannot load the
# xz-compressed modules Debian's 6.12 ships (CONFIG_MODULE_COMPRESS_XZ),
# and append it to DIR/order.
put_ko() {
	case $1 in
	*.ko.xz) _n=$(basename "$1" .xz); xz -dc "$1" >"$2/$_n" ;;
	*) _n=$(basename "$1"); cp "$1" "$2/" ;;
	esac
	echo "$_n" >>"$2/order"
}

# Stage 1: busybox plus exactly the modules that reach the root disk.
s1=$tmp/stage1
mkdir -p "$s1/bin" "$s1/mod" "$s1/proc" "$s1/sys" "$s1/dev"
cp /bin/busybox "$s1/bin/busybox"
cp "$here/stage1-init" "$s1/init"
for m in virtio_pci virtio_blk crc32c_generic ext4; do
	modprobe -d "$tmp/kernel" -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' | while read -r ko; do
	put_ko "$ko" "$s1/mod"
done
(cd "$s1" && find . | cpio -o -H newc --quiet) | gzip -1 >"$tmp/stage1.cpio.gz"

# The guest needs only the PV frontends (and what they depend on).
mkdir -p "$tmp/guest-mod"
for m in xen-blkfront xen-netfront; do
	modprobe -d "$tmp/kernel" -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' | while read -r ko; do
	put_ko "$ko" "$tmp/guest-mod"
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
echo "target=$SUITE xen=$xen_pkg_ver kernel=$kver" >"$out/VERSIONS"
say "done: $out"
