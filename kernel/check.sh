#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kernel-check: everything a kernel reviewer would run on our kernel code,
# on every kernel tree we support:
#
#   bookworm  Debian 12's linux-source-6.1, headers 6.1.0-56 (a target)
#   trixie    Debian 13's linux-source-6.12, headers 6.12.117+deb13 (a target)
#   next      trixie-backports' linux-source-7.3, headers 7.3.4+deb13: the
#             newest kernel, where an upstream submission must apply
#             (mk/targets/trixie.next's T_NEXT_*; no lab boots it)
#
#   kernel/check.sh              all three
#   kernel/check.sh TREE...      those only
#
# For each tree, with that release's compiler and headers (a tree of
# another release than the host's is checked in its build root,
# mk/buildroot.sh):
#   1. our modules built against the tree with W=1 and sparse: any warning
#      fails;
#   2. the backend series applied to the tree's linux-source
#      (kernel/backends/prepare-src.sh, with its X.Y/ variants) and the
#      patched xen-blkback and xen-netback built with W=1 and sparse (C=2)
#      against our modules' Module.symvers: a warning on a line our series
#      adds fails; upstream's own lines (which W=1 flags too: 6.1's
#      netback.c, 6.12's xenbus.c) are listed; each must export nothing
#      (no __ksymtab_ symbol in the .ko);
#   3. checkpatch --strict, from that tree's linux-source, on every kernel
#      source of ours (kernel/**/*.[ch], common/*.[ch]) and, as patches, on
#      every kernel/patches/*/*.patch and */X.Y/*.patch.
# Once: the uapi header is what 6.12's YNL generator makes of its spec
# (mk/ynl-gen --check), and
# each X.Y/ replacement patch against the patch it ports (its patch-id).
#
# Everything runs on copies under $BUILD/kernel-check, so it never races a
# build in the tree; checkpatch and the pristine driver sources come from
# the tarball at run time, never into the repo. Ends with one line:
#   kernel-check: N passed, N failed
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
not_ok() { fail=$((fail + 1)); echo "FAIL: $*"; }

# ---- one tree: kernel/check.sh --tree NAME KDIR TARBALL OUT ----
# Prints ok:/FAIL: lines only; the caller counts them.
check_tree() {
	name=$1 kdir=$2 tarball=$3 out=$4
	t() { echo "[$name] $*"; }
	mkdir -p "$out"
	if [ ! -d "$kdir" ] || [ ! -r "$tarball" ]; then
		not_ok "$(t "no $kdir or $tarball")"
		return
	fi

	# The pristine drivers (to tell our lines from upstream's) and
	# checkpatch with its data files, once per tarball. tar keeps the
	# archive's mtimes: a stamp says when we extracted.
	tree=$out/tree
	if [ ! -f "$tree/.stamp" ] || [ "$tarball" -nt "$tree/.stamp" ]; then
		rm -rf "$tree"
		mkdir -p "$tree"
		prefix=$(tar -tJf "$tarball" 2>/dev/null | head -1 | cut -d/ -f1)
		if tar -xJf "$tarball" -C "$tree" --strip-components=1 \
			"$prefix/scripts/checkpatch.pl" "$prefix/scripts/spelling.txt" \
			"$prefix/scripts/const_structs.checkpatch" \
			"$prefix/drivers/block/xen-blkback" "$prefix/drivers/net/xen-netback"; then
			touch "$tree/.stamp"
		else
			not_ok "$(t "cannot extract checkpatch and the drivers from $tarball")"
		fi
	fi

	# -- 1. our modules, W=1 + sparse, on a fresh copy (before the
	# backends, which build against xen-backend-quiesce's exports) --
	src=$out/src
	rm -rf "$src"
	mkdir -p "$src/kernel"
	cp -r "$top/Kbuild" "$top/common" "$top/include" "$src/"
	cp -r "$top/kernel/xen-ncmig" "$top/kernel/xen-backend-quiesce" "$src/kernel/"
	# Stale objects from an in-tree build would hide warnings: drop them.
	find "$src" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \
		-o -name modules.order -o -name Module.symvers \) -delete
	log=$out/build.log
	if BUILD=$out make -C "$kdir" M="$src" W=1 C=2 modules >"$log" 2>&1; then
		# gcc, sparse and modpost all say "warning"; sparse also "error".
		if grep -Eiq '(warning|error):|^WARNING' "$log"; then
			grep -Ei '(warning|error):|^WARNING' "$log" | sed 's/^/  /'
			not_ok "$(t "our modules: warnings (W=1/sparse), see $log")"
		else
			ok "$(t "our modules: W=1 and sparse clean")"
		fi
	else
		grep -E '(warning|error):' "$log" | head -20 | sed 's/^/  /'
		not_ok "$(t "our modules do not build, see $log")"
	fi
	for ko in "$src"/kernel/*/*.ko; do
		[ -e "$ko" ] || continue
		if modinfo "$ko" >/dev/null 2>&1 &&
		   modinfo -F license "$ko" | grep -q GPL; then
			ok "$(t "modinfo $(basename "$ko")")"
		else
			not_ok "$(t "modinfo $(basename "$ko")")"
		fi
	done

	# -- 2. the patched backends, W=1 + sparse --
	# They register with xen-backend-quiesce: modpost takes its exports
	# from our modules' Module.symvers (step 1).
	bsrc=$out/backends/src
	log=$out/backends.log
	if "$top/kernel/backends/prepare-src.sh" "$tarball" "$top/kernel/patches" "$bsrc" \
		>"$out/prepare.log" 2>&1; then
		ok "$(t "backend series applies to $(sed -n 's/^prepare-src: \(linux-source-.*\)/\1/p' "$out/prepare.log")")"
		if make -C "$kdir" M="$bsrc" W=1 C=2 \
			KBUILD_EXTRA_SYMBOLS="$src/Module.symvers" modules >"$log" 2>&1; then
			ours=0
			for w in $(grep -Eo "^$bsrc/[^:]+:[0-9]+:[0-9]+: (warning|error):" "$log" |
					cut -d: -f1,2 | sort -u); do
				f=${w%:*} l=${w##*:} rel=${f#"$bsrc"/}
				# Slot b (xen-blkback-b/, xen-netback-b/) is a copy
				# of the patched driver: upstream's file is the same.
				up=$(echo "$rel" | sed 's|^\(drivers/[a-z]*/xen-[a-z]*back\)-b/|\1/|')
				if [ -f "$tree/$up" ] &&
				   ! diff --old-line-format= --unchanged-line-format= \
					--new-line-format='%dn
' "$tree/$up" "$f" | grep -qx "$l"; then
					echo "  upstream's own line: $(grep -m1 "^$f:$l:" "$log" | sed "s|^$bsrc/||")"
				else
					grep "^$f:$l:" "$log" | sed "s|^$bsrc/|  |"
					ours=$((ours + 1))
				fi
			done
			if grep -q '^WARNING' "$log"; then	# modpost
				grep '^WARNING' "$log" | sed 's/^/  /'
				ours=$((ours + 1))
			fi
			if [ "$ours" -eq 0 ]; then
				ok "$(t "backends: W=1 and sparse clean on our lines")"
			else
				not_ok "$(t "backends: $ours warnings on our lines (W=1/sparse), see $log")"
			fi
			# They export nothing: the core reaches them through the
			# table they register (xen/xen-backend-quiesce.h).
			for ko in "$bsrc"/drivers/*/*/*.ko; do
				ex=$(nm "$ko" 2>/dev/null | sed -n 's/.* __ksymtab_//p' | sort -u | tr '\n' ' ')
				if [ -z "$ex" ] && nm "$ko" >/dev/null 2>&1; then
					ok "$(t "$(basename "$ko") exports nothing")"
				else
					not_ok "$(t "$(basename "$ko") exports ${ex:-?(nm failed)}")"
				fi
			done
		else
			grep -E '(warning|error):' "$log" | head -20 | sed 's/^/  /'
			not_ok "$(t "patched backends do not build, see $log")"
		fi
	else
		tail -5 "$out/prepare.log" | sed 's/^/  /'
		not_ok "$(t "backend series does not apply, see $out/prepare.log")"
	fi

	# -- 3. checkpatch from this tree --
	cp_pl=$tree/scripts/checkpatch.pl
	[ -f "$cp_pl" ] || return
	# 7.x's checkpatch asks for kzalloc_obj() and friends, which 6.1 and
	# 6.12 (where the same code must build) do not have.
	ign=
	[ "$name" != next ] || ign=ALLOC_WITH_SIZEOF,ALLOC_WITH_MULTIPLY
	cd "$top" || exit 1
	for f in $(find kernel common -type f \( -name '*.c' -o -name '*.h' \) \
			! -name '*.mod.c' | sort); do
		if res=$(perl "$cp_pl" --no-tree --strict --quiet --color=never \
				${ign:+--ignore "$ign"} -f "$f" 2>&1); then
			ok "$(t "checkpatch $f")"
		else
			echo "$res" | sed 's/^/  /'
			not_ok "$(t "checkpatch $f")"
		fi
	done
	# On stdin: checkpatch takes a path git tracks for a source file
	# (git_is_single_file) and would check the patch as one. Without the
	# kernel tree, checkpatch cannot know the kernel's own identifiers
	# (XenbusStateConnected is CamelCase) nor whether MAINTAINERS already
	# covers a new file: those two need the tree to judge.
	for p in kernel/patches/*/*.patch kernel/patches/*/[0-9]*.[0-9]*/*.patch; do
		[ -e "$p" ] || continue
		if res=$(perl "$cp_pl" --no-tree --strict --quiet --color=never \
				--ignore "CAMELCASE,FILE_PATH_CHANGES${ign:+,$ign}" - <"$p" 2>&1); then
			ok "$(t "checkpatch $p")"
		else
			echo "$res" | sed 's/^/  /'
			not_ok "$(t "checkpatch $p")"
		fi
	done
}

if [ "${1:-}" = --tree ]; then
	shift
	check_tree "$@"
	exit 0
fi

# ---- every tree ----
trees=${*:-bookworm trixie next}
host_suite=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
# BUILD as make passes it (the default target's); each target's own
# default unless the caller chose another, then BUILD-TARGET.
. "$top/mk/kabi.sh"
default_build=$top/build$NCMIG_BUILD_SUFFIX
base=${BUILD:-$default_build}
results=$(mktemp)
trap 'rm -f "$results"' EXIT

for tr in $trees; do
	tgt=$tr
	[ "$tr" = next ] && tgt=trixie
	if [ ! -f "$top/mk/targets/$tgt.env" ]; then
		not_ok "unknown tree $tr (bookworm, trixie, next)"
		continue
	fi
	# This target's versions, whatever make exported for the default one.
	# shellcheck disable=SC1090
	vars=$(unset T_NEXT_SUITE T_NEXT_KABI T_NEXT_KSRC_PKG
		. "$top/mk/targets/$tgt.env"
		[ ! -f "$top/mk/targets/$tgt.next" ] || . "$top/mk/targets/$tgt.next"
		kabi=$T_KABI pkg=$T_KSRC_PKG
		if [ "$tr" = next ]; then
			kabi=${T_NEXT_KABI:-} pkg=${T_NEXT_KSRC_PKG:-}
		fi
		echo "$T_SUITE $kabi $pkg")
	set -- $vars
	suite=$1 kabi=${2:-} pkg=${3:-}
	if [ -z "$pkg" ]; then
		not_ok "[$tr] no kernel named for it in mk/targets/$tgt.env or $tgt.next"
		continue
	fi
	if [ "$base" = "$default_build" ]; then
		b=$top/build
		[ "$tgt" = bookworm ] || b=$top/build-$tgt
	else
		b=$base
		[ "$tgt" = "${TARGET:-bookworm}" ] || b=$base-$tgt
	fi
	out=$b/kernel-check
	[ "$tr" = next ] && out=$b/kernel-check-$pkg
	kdir=/usr/src/linux-headers-$kabi-amd64
	tarball=/usr/src/$pkg.tar.xz
	echo "kernel-check: [$tr] $pkg, headers $kabi-amd64 ($suite)"
	run=
	[ "$suite" = "$host_suite" ] || run="env TARGET=$tgt BUILD=$b $top/mk/buildroot.sh run"
	mkdir -p "$out"
	# shellcheck disable=SC2086
	env -u KDIR -u KSRC_TARBALL -u KVER -u KABI -u SUITE -u XEN_VER \
		$run "$top/kernel/check.sh" --tree "$tr" "$kdir" "$tarball" "$out" \
		2>&1 | tee -a "$results"
done
p=$(grep -c '^ok:' "$results")
f=$(grep -c '^FAIL:' "$results")
pass=$((pass + p))
fail=$((fail + f))

# ---- the uapi header is generated from its YNL spec ----
if "$top/mk/ynl-gen" --check; then
	ok "ynl-gen: include/uapi/linux/xen_ncmig.h is current"
else
	not_ok "ynl-gen: include/uapi/linux/xen_ncmig.h is stale or the spec is invalid"
fi

# ---- each X.Y/ replacement ports the current version of its patch ----
cd "$top" || exit 1
for v in kernel/patches/*/[0-9]*.[0-9]*/*.patch; do
	[ -e "$v" ] || continue
	case $v in *.fixup.patch) continue ;; esac
	orig=$(dirname "$(dirname "$v")")/$(basename "$v")
	want=$(sed -n 's/^Ports: \([0-9a-f]\{40\}\).*/\1/p' "$v" | head -1)
	have=$(git patch-id --stable <"$orig" | cut -d' ' -f1)
	if [ -n "$want" ] && [ "$want" = "$have" ]; then
		ok "$v ports the current $(basename "$orig")"
	else
		echo "  $orig has patch-id $have; $v says it ports ${want:-(none named)}:"
		echo "  port the change to $v and update the patch-id it names"
		not_ok "$v is stale"
	fi
done

echo "kernel-check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
