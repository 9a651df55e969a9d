#!/bin/sh
# A build root of the target release, so that each target's modules, patched
# backends and tools are built with that release's compiler, kernel headers
# and libraries, whatever the build host runs (CI's is bookworm).
#
#   mk/buildroot.sh path          print the root, debootstrapping it first
#                                 if this recipe was never built
#   mk/buildroot.sh run CMD...    run CMD in the root, in the tree (the
#                                 repo is bind-mounted at the same path)
#
# Cached as the lab images are: $NCMIG_CACHE/buildroot/TARGET/KEY, where KEY
# hashes this file, the target's versions and mk/buildroot-packages.txt.
# A target with a targets/TARGET.next file (T_NEXT_*; trixie: linux-source-7.3
# from trixie-backports) also gets that kernel's headers and source, for
# kernel/check.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/kabi.sh"
: "${NCMIG_CACHE:=/var/cache/ncmig}"
mirror=${NCMIG_MIRROR:-http://deb.debian.org/debian}
pkgs=$(sed -e 's/#.*//' -e "s/@KABI@/$KABI/g" -e "s/@KSRC_PKG@/$T_KSRC_PKG/g" \
	"$here/buildroot-packages.txt" | tr -s ' \t\n' ',,,' | sed 's/^,//; s/,$//')
# The target's newest kernel, if it names one (trixie.next: T_NEXT_*).
next=$here/targets/$TARGET.next
# shellcheck disable=SC1090
[ ! -f "$next" ] || . "$next"
tools=$(sed -e 's/#.*//' "$here/buildroot-tools.txt" | tr -s ' \t\n' '   ')
key=$(cat "$0" "$here/targets/$TARGET.env" "$here/buildroot-packages.txt" "$here/buildroot-tools.txt" \
	$([ ! -f "$next" ] || echo "$next") |
	{ cat; echo "$SUITE $KABI"; } | sha256sum | cut -c1-16)
top=$NCMIG_CACHE/buildroot/$TARGET
root=$top/$key
say() { echo "buildroot: $*" >&2; }

ensure() {
	[ -f "$root/.ready" ] && return 0
	mkdir -p "$top"
	exec 8>"$top/.lock"
	flock 8
	[ -f "$root/.ready" ] && return 0
	say "debootstrap $SUITE build root into $root (cold cache, a few minutes)"
	rm -rf "$root.tmp"
	debootstrap --variant=buildd --include="$pkgs" "$SUITE" "$root.tmp" "$mirror" \
		>"$top/debootstrap.log" 2>&1 || { tail -30 "$top/debootstrap.log" >&2; exit 1; }
	if [ -n "${T_NEXT_SUITE:-}" ]; then	# the newest kernel, for kernel/check.sh
		say "adding linux-headers-$T_NEXT_KABI-amd64 and $T_NEXT_KSRC_PKG from $T_NEXT_SUITE"
		echo "deb $mirror $T_NEXT_SUITE main" >"$root.tmp/etc/apt/sources.list.d/$T_NEXT_SUITE.list"
		unshare -m sh -c '
			mount -t proc proc "$1/proc"
			chroot "$1" apt-get -q update &&
			DEBIAN_FRONTEND=noninteractive chroot "$1" apt-get -q -y \
				--no-install-recommends install -t "$2" "linux-headers-$3-amd64" "$4"' \
			next "$root.tmp" "$T_NEXT_SUITE" "$T_NEXT_KABI" "$T_NEXT_KSRC_PKG" \
			>>"$top/debootstrap.log" 2>&1 || { tail -30 "$top/debootstrap.log" >&2; exit 1; }
	fi
	# The packaging tools, in a second step (buildroot-tools.txt says why).
	say "adding the packaging tools:$tools"
	unshare -m sh -c '
		mount -t proc proc "$1/proc"
		root=$1; shift
		chroot "$root" apt-get -q update &&
		DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get -q -y \
			--no-install-recommends install "$@"' \
		tools "$root.tmp" $tools >>"$top/debootstrap.log" 2>&1 ||
		{ tail -30 "$top/debootstrap.log" >&2; exit 1; }
	rm -rf "$root.tmp/var/cache/apt/archives/"*.deb "$root.tmp/var/lib/apt/lists/"*
	mv "$root.tmp" "$root"
	: >"$root/.ready"
	for old in "$top"/*; do	# this target's older recipes
		[ "$old" = "$root" ] || [ ! -d "$old" ] || rm -rf "$old"
	done
	say "ready: $root"
}

# run CMD: in a private mount namespace, so the bind mounts go away with it.
run() {
	ensure
	unshare -m sh -c '
		root=$1; repo=$2; shift 2
		mkdir -p "$root$repo" "$root/proc" "$root/dev"
		mount --bind "$repo" "$root$repo"
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		if [ -n "${BUILD:-}" ] && [ "${BUILD#"$repo"/}" = "$BUILD" ]; then
			mkdir -p "$BUILD" "$root$BUILD"	# a BUILD outside the tree
			mount --bind "$BUILD" "$root$BUILD"
		fi
		exec chroot "$root" env -C "$PWD" "$@"' \
		run "$root" "$repo" "$@"
}

case ${1:-} in
path) ensure; echo "$root" ;;
run) shift; run "$@" ;;
*) echo "usage: mk/buildroot.sh path | run CMD..." >&2; exit 2 ;;
esac
