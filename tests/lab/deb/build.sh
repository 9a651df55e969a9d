#!/bin/sh
# What deb-install needs on the payload (tests/lab/run calls this when a
# boot runs deb-install; payload.sh copies $BUILD/deb-install/ to
# /ncmig/deb-install/):
#   rev1/  `make deb`'s packages, revision 1 (0.5.0-1+deb13), and
#          DKMS's prebuilt-binaries archive of its ncmig-dkms (prebuild.sh)
#   rev2/  the same sources rebuilt as revision 2 (0.5.0-2+deb13): the
#          upgrade deb-install makes while a guest runs
# DKMS builds in a chroot of deb-install's own dom0 root (ROOT_EXT4,
# image/debinst.sh), natively: the gcc, headers and linux-source dom0's
# DKMS would use, on an overlay, so the cached image never changes.
#   deb/build.sh ROOT_EXT4
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
img=$1
. "$repo/mk/kabi.sh"
: "${BUILD:=$repo/build$NCMIG_BUILD_SUFFIX}"
KVER=$KABI-amd64
export BUILD KVER
out=$BUILD/deb-install
rm -rf "$out"
mkdir -p "$out"
for rev in 1 2; do
	NCMIG_DEB_REV=$rev NCMIG_DEB_OUT=$out/rev$rev "$repo/mk/deb.sh" >"$out/deb-rev$rev.log" 2>&1 ||
		{ tail -20 "$out/deb-rev$rev.log" >&2; echo "deb-install: make deb (revision $rev) failed" >&2; exit 1; }
	# Only what dom0 installs: the packages (no dbgsym).
	(cd "$out/rev$rev" && rm -rf ./ncmig-[0-9]*/ ./*dbgsym* ./*.buildinfo ./*.changes)
done
ov=$out/overlay
mkdir -p "$ov/lower" "$ov/upper" "$ov/work" "$ov/root"
unshare -m sh -c '
	set -e
	img=$1 ov=$2 out=$3 here=$4
	mount -o loop,ro "$img" "$ov/lower"
	mount -t overlay overlay -o "lowerdir=$ov/lower,upperdir=$ov/upper,workdir=$ov/work" "$ov/root"
	mount -t proc proc "$ov/root/proc"
	mount -t tmpfs tmpfs "$ov/root/tmp"
	mkdir -p "$ov/root/deb-install"
	mount --bind "$out" "$ov/root/deb-install"
	cp "$here/prebuild.sh" "$ov/root/usr/local/sbin/ncmig-prebuild"
	for rev in 1 2; do
		chroot "$ov/root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin KVER="$KVER" \
			/usr/local/sbin/ncmig-prebuild "/deb-install/rev$rev"
	done' prebuild "$img" "$ov" "$out" "$here"
rm -rf "$ov"
ls -l "$out"/rev*/ >&2
