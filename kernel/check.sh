#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kernel-check: everything a kernel reviewer would run on our kernel code.
#
#   1. build our modules against $KDIR with W=1 and sparse (C=2): any
#      warning fails;
#   2. checkpatch --strict, from the linux-source matching $KDIR, on every
#      kernel source of ours (kernel/**/*.[ch], common/*.[ch]) and, as
#      patches, on every kernel/patches/*/*.patch;
#   3. the uapi header against its YNL spec (tests/spec-sync/check).
#
# The build runs on a copy under $BUILD, so it never races a build in the
# tree; checkpatch and its data files are extracted from $KSRC_TARBALL into
# $BUILD at run time, never into the repo. Ends with one line:
#   kernel-check: N passed, N failed
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/mk/kabi.sh"
: "${KDIR:=/usr/src/linux-headers-$KABI-amd64}"
: "${KSRC_TARBALL:=/usr/src/linux-source-6.1.tar.xz}"
: "${BUILD:=$top/build$NCMIG_BUILD_SUFFIX}"
out=$BUILD/kernel-check
mkdir -p "$out"

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
not_ok() { fail=$((fail + 1)); echo "FAIL: $*"; }

# ---- 1. W=1 + sparse build of a fresh copy ----
# The adapters include the patched backends' handover.h from $BUILD/backends.
export BUILD
if [ ! -d "$BUILD/backends/src/drivers" ]; then
	echo "kernel-check: building the patched backends first"
	make -C "$top/kernel/backends" >"$out/backends.log" 2>&1 ||
		not_ok "patched backends do not build, see $out/backends.log"
fi
src=$out/src
rm -rf "$src"
mkdir -p "$src/kernel"
cp -r "$top/Kbuild" "$top/common" "$top/include" "$src/"
cp -r "$top/kernel/xen-ncmig" "$top/kernel/xen-backend-quiesce" "$src/kernel/"
# Stale objects from an in-tree build would hide warnings: drop them.
find "$src" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \
	-o -name modules.order -o -name Module.symvers \) -delete
log=$out/build.log
echo "kernel-check: building with W=1 C=2 against $KDIR"
if make -C "$KDIR" M="$src" W=1 C=2 modules >"$log" 2>&1; then
	# gcc, sparse and modpost all say "warning"; sparse also "error".
	if grep -Eiq '(warning|error):|^WARNING' "$log"; then
		grep -Ei '(warning|error):|^WARNING' "$log" | sed 's/^/  /'
		not_ok "build: warnings (W=1/sparse), see $log"
	else
		ok "build: W=1 and sparse clean"
	fi
else
	tail -30 "$log" | sed 's/^/  /'
	not_ok "build failed, see $log"
fi
for ko in "$src"/kernel/*/*.ko; do
	[ -e "$ko" ] || continue
	if modinfo "$ko" >/dev/null 2>&1 &&
	   modinfo -F license "$ko" | grep -q GPL; then
		ok "modinfo $(basename "$ko")"
	else
		not_ok "modinfo $(basename "$ko")"
	fi
done

# ---- 2. checkpatch from the matching linux-source ----
cp_dir=$out/checkpatch
cp_pl=$cp_dir/scripts/checkpatch.pl
# tar keeps the archive's mtimes: a stamp says when we extracted.
if [ ! -f "$cp_dir/.stamp" ] || [ "$KSRC_TARBALL" -nt "$cp_dir/.stamp" ]; then
	echo "kernel-check: extracting checkpatch from $KSRC_TARBALL"
	rm -rf "$cp_dir"
	mkdir -p "$cp_dir"
	prefix=$(tar -tJf "$KSRC_TARBALL" 2>/dev/null | head -1 | cut -d/ -f1)
	tar -xJf "$KSRC_TARBALL" -C "$cp_dir" --strip-components=1 \
		"$prefix/scripts/checkpatch.pl" "$prefix/scripts/spelling.txt" \
		"$prefix/scripts/const_structs.checkpatch" &&
		touch "$cp_dir/.stamp" ||
		not_ok "cannot extract checkpatch from $KSRC_TARBALL"
fi

checkpatch() {
	perl "$cp_pl" --no-tree --strict --quiet --color=never "$@"
}

if [ -f "$cp_pl" ]; then
	cd "$top" || exit 1
	files=$(find kernel common -type f \( -name '*.c' -o -name '*.h' \) \
		! -name '*.mod.c' | sort)
	for f in $files; do
		if res=$(checkpatch -f "$f" 2>&1); then
			ok "checkpatch $f"
		else
			echo "$res" | sed 's/^/  /'
			not_ok "checkpatch $f"
		fi
	done
	# On stdin: checkpatch takes a path git tracks for a source file
	# (git_is_single_file) and would check the patch as one. Without the
	# kernel tree, checkpatch cannot know the kernel's own identifiers
	# (XenbusStateConnected is CamelCase) nor whether MAINTAINERS already
	# covers a new file: those two need the tree to judge.
	for p in kernel/patches/*/*.patch; do
		[ -e "$p" ] || continue
		if res=$(checkpatch --ignore CAMELCASE,FILE_PATH_CHANGES - <"$p" 2>&1); then
			ok "checkpatch $p"
		else
			echo "$res" | sed 's/^/  /'
			not_ok "checkpatch $p"
		fi
	done
fi

# ---- 3. uapi header vs YNL spec ----
if "$top/tests/spec-sync/check"; then
	ok "spec-sync"
else
	not_ok "spec-sync"
fi

echo "kernel-check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
