#!/bin/sh
# What deb-install needs on the payload (tests/lab/run calls this when a
# boot runs deb-install; payload.sh copies $BUILD/deb-install/ to
# /ncmig/deb-install/):
#   rev1/  `make deb`'s packages, revision 1 (0.5.0-1+deb13), and
#          DKMS's prebuilt-binaries archive of its ncmig-dkms (prebuild.sh)
#   rev2/  the same sources rebuilt as revision 2 (0.5.0-2+deb13): the
#          upgrade deb-install makes while a guest runs
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
. "$repo/mk/kabi.sh"
: "${BUILD:=$repo/build$NCMIG_BUILD_SUFFIX}"
KVER=$KABI-amd64
export BUILD KVER
out=$BUILD/deb-install
host=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
inroot=
[ "$SUITE" = "$host" ] || inroot="$repo/mk/buildroot.sh run"
rm -rf "$out"
mkdir -p "$out"
for rev in 1 2; do
	NCMIG_DEB_REV=$rev NCMIG_DEB_OUT=$out/rev$rev "$repo/mk/deb.sh" >"$out/deb-rev$rev.log" 2>&1 ||
		{ tail -20 "$out/deb-rev$rev.log" >&2; echo "deb-install: make deb (revision $rev) failed" >&2; exit 1; }
	$inroot "$here/prebuild.sh" "$out/rev$rev"
	# Only what dom0 installs: the packages (no dbgsym) and the archive.
	(cd "$out/rev$rev" && rm -rf ./ncmig-[0-9]*/ ./*dbgsym* ./*.buildinfo ./*.changes)
done
ls -l "$out"/rev*/ >&2
