#!/bin/sh
# The dom0 root for deb-install: the lab's root.ext4 (image/build.sh) plus
# what an operator's dom0 has before `apt-get install ./ncmig-*.deb` and
# what the packages depend on (the lab has no network): dkms, the running
# kernel's headers and its linux-source-X.Y, installed with the suite's
# apt (natively, on the build host) into a copy of the root, and the
# suite's security and point updates of its Xen packages, with the
# hypervisor that matches them (xen.elf). No ncmig file is in it:
# deb-install installs the packages into it.
#   debinst.sh IMAGES_DIR   print the directory holding its root.ext4,
#                           xen.elf and VERSIONS, building them first if
#                           this recipe was never built
# Cached inside the base image's own cache directory
# (IMAGES_DIR/debinst-KEY/, KEY hashing this file), so it goes away with
# the base image's recipe and never touches another recipe's cache.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
base=$1
: "${SUITE:?}" "${KABI:?}" "${XEN_VER:?}" "${T_KSRC_PKG:?}"
mirror=${NCMIG_MIRROR:-http://deb.debian.org/debian}
security=${NCMIG_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
key=$({ cat "$0"; echo "$SUITE $KABI $T_KSRC_PKG"; } | sha256sum | cut -c1-16)
dir=$base/debinst-$key
say() { echo "lab-image: $*" >&2; }
if [ -f "$dir/.ready" ]; then echo "$dir"; exit 0; fi
exec 8>"$base/.debinst.lock"
flock 8
if [ -f "$dir/.ready" ]; then echo "$dir"; exit 0; fi

# What an operator installs first (dkms's own Depends come with it; its
# Recommends, a compiler among them, with the headers: they depend on gcc).
pkgs="dkms linux-headers-$KABI-amd64 $T_KSRC_PKG"
say "deb-install root: $(basename "$base")/root.ext4 + $pkgs"
tmp=$dir.tmp
rm -rf "$tmp"
mkdir -p "$tmp/mnt" "$tmp/root"
mount -o loop,ro "$base/root.ext4" "$tmp/mnt"
cp -a "$tmp/mnt/." "$tmp/root/"
umount "$tmp/mnt"
cp /etc/resolv.conf "$tmp/root/etc/resolv.conf" 2>/dev/null || true
printf 'deb %s %s-updates main\ndeb %s %s-security main\n' "$mirror" "$SUITE" \
	"$security" "$SUITE" >"$tmp/root/etc/apt/sources.list.d/ncmig-lab.list"
# The base root is debootstrapped from the main archive; an operator's
# dom0 carries the suite's updates, and the packages' shlibs ask for the
# libxen* of the build host, which has them. So the root's Xen packages
# are upgraded too (a no-op where the main archive has the newest).
# Not the kernel: it is no package here, and the headers name its ABI.
xen=$(chroot "$tmp/root" dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${source:Package}\n' |
	awk '$1 == "ii" && $3 == "xen" { print $2 }' | tr '\n' ' ')
unshare -m sh -c '
	mount -t proc proc "$1/proc"
	chroot "$1" apt-get -q update &&
	DEBIAN_FRONTEND=noninteractive chroot "$1" apt-get -q -y --no-install-recommends install $2' \
	debinst "$tmp/root" "$pkgs $xen" >"$tmp/apt.log" 2>&1 ||
	{ tail -30 "$tmp/apt.log" >&2; exit 1; }
# The hypervisor must match the toolstack (as in image/build.sh): this
# root boots this one, not the base image's.
xen_pkg_ver=$(chroot "$tmp/root" dpkg-query -W -f='${Version}' "xen-utils-$XEN_VER")
mkdir -p "$tmp/root/dl"
chroot "$tmp/root" sh -c "cd /dl && apt-get download -q xen-hypervisor-$XEN_VER-amd64=$xen_pkg_ver" \
	>>"$tmp/apt.log" 2>&1 || { tail -20 "$tmp/apt.log" >&2; exit 1; }
dpkg -x "$tmp"/root/dl/xen-hypervisor-*.deb "$tmp/xen"
gzip -dc "$tmp/xen/boot/xen-$XEN_VER-amd64.gz" >"$tmp/xen.elf"
rm -rf "$tmp/root/dl" "$tmp/xen" "$tmp/root/var/cache/apt/archives/"*.deb \
	"$tmp/root/var/lib/apt/lists/"* "$tmp/root/var/cache/apt/"*.bin \
	"$tmp/root/etc/apt/sources.list.d/ncmig-lab.list"
chroot "$tmp/root" dpkg-query -W -f='${Package} ${Version}\n' dkms "linux-headers-$KABI-amd64" \
	"$T_KSRC_PKG" $xen >"$tmp/PACKAGES"
echo "target=$SUITE xen=$xen_pkg_ver kernel=$KABI-amd64 root=deb-install" >"$tmp/VERSIONS"
# Room for the packages, DKMS's tree and the modules it installs.
kb=$(du -sk "$tmp/root" | cut -f1)
say "making the deb-install root.ext4 ($((kb / 1024)) MiB of files)"
# Its "Creating regular file" goes to stdout even with -q: stdout is
# this script's answer (the directory), so mkfs speaks on stderr.
mkfs.ext4 -q -F -L ncmig-root -d "$tmp/root" "$tmp/root.ext4" $((kb * 12 / 10 + 262144))K >&2
mkdir -p "$dir"
mv "$tmp/root.ext4" "$tmp/xen.elf" "$tmp/PACKAGES" "$tmp/VERSIONS" "$dir/"
rm -rf "$tmp"
: >"$dir/.ready"
for old in "$base"/debinst-*; do	# this image's older deb-install recipes
	[ "$old" = "$dir" ] || [ "$old" = "$dir.tmp" ] || rm -rf "$old"
done
say "deb-install root ready: $dir ($(tr '\n' ' ' <"$dir/PACKAGES"))"
echo "$dir"
