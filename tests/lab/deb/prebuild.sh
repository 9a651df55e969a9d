#!/bin/sh
# DKMS's build of one ncmig-dkms package, ahead of the lab (deb-install):
# run by deb/build.sh in a chroot of deb-install's dom0 root (on an
# overlay), natively instead of under the lab's TCG, where the same build
# takes minutes: the gcc, linux-headers-$KVER and linux-source-X.Y dom0's
# own DKMS would use. The package's source tree, extracted from the .deb,
# goes through `dkms add` and `dkms build` in a private DKMS tree; `dkms
# mktarball --binaries-only` packs the result as DKMS's prebuilt-binaries
# archive, ncmig-VERSION.dkms.tar.gz. In dom0 it goes where the package's
# postinst (dh_dkms: /usr/lib/dkms/common.postinst ncmig VERSION
# /usr/share/ncmig-dkms) looks for one: it loads it with `dkms ldtarball`
# instead of building, then `dkms install`s.
#   prebuild.sh DIR     (DIR holds ncmig-dkms_*_all.deb; KVER set)
set -eu
dir=$1
: "${KVER:?}"
deb=$(ls "$dir"/ncmig-dkms_*_all.deb)
t=$dir/prebuild
rm -rf "$t"
mkdir -p "$t/x" "$t/dkms"
dpkg-deb -x "$deb" "$t/x"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$t"/x/usr/src/ncmig-*/dkms.conf)
[ -n "$ver" ] || { echo "prebuild: no PACKAGE_VERSION in $deb's dkms.conf" >&2; exit 1; }
dk="--sourcetree $t/x/usr/src --dkmstree $t/dkms"
{
	dkms add -m ncmig -v "$ver" $dk &&
	dkms build -m ncmig -v "$ver" -k "$KVER" $dk &&
	dkms mktarball -m ncmig -v "$ver" -k "$KVER" --binaries-only $dk \
		--archive "$dir/ncmig-$ver.dkms.tar.gz"
} >"$dir/prebuild.log" 2>&1 || {
	tail -30 "$dir/prebuild.log" >&2
	echo "prebuild: DKMS failed for $deb (log: $dir/prebuild.log)" >&2
	exit 1
}
cp "$t/dkms/ncmig/$ver/$KVER/x86_64/log/make.log" "$dir/make.log" 2>/dev/null || :
rm -rf "$t"
echo "prebuild: $dir/ncmig-$ver.dkms.tar.gz ($(basename "$deb"), $KVER)"
