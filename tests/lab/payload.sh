#!/bin/sh
# Assemble $BUILD/payload/, the tree the lab mounts at /ncmig in dom0: our
# modules, the patched backends, ncmigd, the guest tools and initramfs, the
# scenarios and the dom0 side of the lab. Takes whatever exists; the
# scenarios check for what they need.
set -eu
lab=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$lab/../.." && pwd)
. "$repo/mk/kabi.sh"
: "${BUILD:=$repo/build$NCMIG_BUILD_SUFFIX}" "${NCMIG_CACHE:=/var/cache/ncmig}"
export KABI BUILD NCMIG_CACHE
out=$BUILD/payload
# Never rebuild the payload under a running lab (run holds the lock itself).
if [ -z "${NCMIG_LAB_LOCKED:-}" ]; then
	exec 7>/tmp/ncmig-lab.lock
	flock -n 7 || { echo "payload: waiting for the lab lock /tmp/ncmig-lab.lock" >&2; flock 7; }
fi
images=$("$lab/image/ensure.sh")

make -s -C "$repo/tests/guest" BUILD="$BUILD" all
"$repo/tests/guest/initramfs/build.sh" "$BUILD/guest/initramfs.cpio.gz" \
	"$images/guest-mod" "$BUILD/guest"

rm -rf "$out"
mkdir -p "$out/modules" "$out/backends" "$out/bin" "$out/scenarios" "$out/guest"
# Only modules built for the target's kernel: a tree built for the other
# target would only fail at insmod, far from the cause.
for_target() {
	[ -f "$1" ] || return 1
	case $(modinfo -F vermagic "$1" 2>/dev/null) in
	"$KABI-amd64 "*) return 0 ;;
	*) echo "payload: skipping $1: not built for $KABI-amd64" >&2; return 1 ;;
	esac
}
# bookworm's modules are built in the tree, another target's in $BUILD/kmod.
for ko in "$repo"/kernel/xen-ncmig/*.ko "$repo"/kernel/xen-backend-quiesce/*.ko \
	"$BUILD"/kmod/kernel/xen-ncmig/*.ko "$BUILD"/kmod/kernel/xen-backend-quiesce/*.ko; do
	for_target "$ko" && cp "$ko" "$out/modules/"
done
for ko in "$BUILD"/backends/*.ko; do
	for_target "$ko" && cp "$ko" "$out/backends/"
done
[ -x "$BUILD/user/ncmigd" ] && cp "$BUILD/user/ncmigd" "$out/bin/"
cp "$BUILD/guest/blkverify" "$BUILD/guest/netstream" "$BUILD/guest/anncount" "$out/bin/"
[ ! -x "$BUILD/guest/xenfloor" ] || cp "$BUILD/guest/xenfloor" "$out/bin/"
cp "$BUILD/guest/initramfs.cpio.gz" "$out/guest/"
cp -R "$lab/dom0" "$out/dom0"
# deb-install's packages and DKMS archives (deb/build.sh), if built.
if [ -d "$BUILD/deb-install" ]; then
	mkdir -p "$out/deb-install"
	for d in "$BUILD"/deb-install/rev*; do
		mkdir -p "$out/deb-install/${d##*/}"
		cp "$d"/*.deb "$d"/*.dkms.tar.gz "$out/deb-install/${d##*/}/"
	done
fi
cp "$lab"/scenarios/*.sh "$out/scenarios/" 2>/dev/null || true
cd "$out" && find . -type f | sort >MANIFEST
echo "payload: $out ($(wc -l <MANIFEST) files; modules: $(ls modules | tr '\n' ' ')backends: $(ls backends | tr '\n' ' ')ncmigd: $([ -x bin/ncmigd ] && echo yes || echo no))" >&2
