#!/bin/sh
# prepare-src.sh TARBALL PATCHDIR SRC
# Extract xen-blkback and xen-netback (and any other file a patch touches)
# from the distro's linux-source TARBALL into SRC, apply PATCHDIR/blkback
# and PATCHDIR/netback series with patch -p1, and write SRC/Kbuild. Any
# patch that does not apply exactly fails the build.
#
# One series per driver serves every kernel; what a newer kernel needs
# differently lives in PATCHDIR/DRIVER/X.Y/ (X.Y = the first kernel it is
# for, a linux-source-X.Y), named after the series' patch NNNN-x.patch:
#   X.Y/NNNN-x.patch        replaces it (its context differs there);
#   X.Y/NNNN-x.fixup.patch  is applied right after it (it applies there,
#                           but that kernel needs a small change on top).
# A tree of version V takes each from the highest X.Y <= V that has one.
# So a patch appended to the series applies to every tree as it is, and
# what was made for 6.12 also serves 7.x until 7.x needs its own.
set -eu
tarball=$1 patchdir=$2 src=$3

[ -r "$tarball" ] || { echo "prepare-src: no $tarball (apt-get install linux-source-X.Y)" >&2; exit 1; }

# The tree's version, from the archive's top directory (linux-source-6.12).
top=$(tar -tJf "$tarball" 2>/dev/null | head -1 | cut -d/ -f1)
kv=${top#linux-source-}
case $kv in
[0-9]*.[0-9]*) ;;
*) echo "prepare-src: cannot tell the kernel version of $tarball ($top)" >&2; exit 1 ;;
esac

# The variant directories of DRIVER that apply to $kv, highest first.
variant_dirs() {
	for v in $(cd "$patchdir/$1" && find . -mindepth 1 -maxdepth 1 -type d \
			-name '[0-9]*.[0-9]*' | sed 's|^\./||'); do
		[ "$(printf '%s\n%s\n' "$v" "$kv" | sort -V | tail -1)" = "$kv" ] &&
			echo "$v"
	done | sort -rV
}

# pick DRIVER FILE: the highest variant directory's FILE, if any.
pick() {
	for v in $dirs; do
		if [ -f "$patchdir/$1/$v/$2" ]; then
			echo "$patchdir/$1/$v/$2"
			return
		fi
	done
}

patches=
for d in blkback netback; do
	[ -f "$patchdir/$d/series" ] || continue
	dirs=$(variant_dirs "$d")
	for p in $(sed -e 's/#.*//' "$patchdir/$d/series"); do
		if [ ! -f "$patchdir/$d/$p" ]; then
			echo "prepare-src: $d/series names missing $p" >&2
			exit 1
		fi
		use=$(pick "$d" "$p")
		patches="$patches ${use:-$patchdir/$d/$p} $(pick "$d" "${p%.patch}.fixup.patch")"
	done
done
# Variants that name no patch of the series are mistakes (a renamed patch).
for d in blkback netback; do
	for f in "$patchdir/$d"/[0-9]*.[0-9]*/*.patch; do
		[ -f "$f" ] || continue
		n=$(basename "$f")
		grep -qxF -e "${n%.fixup.patch}.patch" -e "$n" "$patchdir/$d/series" 2>/dev/null || {
			echo "prepare-src: $f names no patch of $d/series" >&2
			exit 1
		}
	done
done

# The directories we build, plus the files outside them that the patches
# modify and that no patch creates (those come from the tarball).
members="drivers/block/xen-blkback drivers/net/xen-netback"
# shellcheck disable=SC2086
[ -z "${patches# }" ] || members="$members $(awk '
	/^--- / { old = $2; next }
	/^\+\+\+ b\// {
		f = substr($2, 3)
		if (old == "/dev/null") created[f] = 1
		else if (old ~ /^a\//) touched[f] = 1
	}
	END {
		for (f in touched)
			if (!(f in created) && f !~ /^drivers\/(block\/xen-blkback|net\/xen-netback)\//)
				print f
	}' $patches | sort)"

echo "prepare-src: $top"
rm -rf "$src"
mkdir -p "$src"
wild=
for m in $members; do wild="$wild linux-source-*/$m"; done
# shellcheck disable=SC2086
tar -xJf "$tarball" -C "$src" --strip-components=1 --wildcards $wild

for p in $patches; do
	echo "prepare-src: applying ${p#"$patchdir"/}"
	if ! patch -p1 -d "$src" --batch --forward --quiet < "$p"; then
		echo "prepare-src: FAILED to apply $p" >&2
		exit 1
	fi
done
find "$src" -name '*.orig' -delete

# The second slot of each backend, for a rolling update (ncmigd roll): the
# same patched source, built as another module (xen-blkback-b,
# xen-netback-b) whose driver is named after XEN_BACKEND_SLOT ("vbd-b",
# "vif-b"; blkback 0013, netback 0019), so that it loads beside the first.
for d in drivers/block/xen-blkback drivers/net/xen-netback; do
	m=${d##*/}
	cp -a "$src/$d" "$src/$d-b"
	sed -e "s/\<$m\(-y\|\.o\)/$m-b\1/g" "$src/$d/Makefile" >"$src/$d-b/Makefile"
	echo "ccflags-y += -DXEN_BACKEND_SLOT='\"b\"'" >>"$src/$d-b/Makefile"
	grep -q "^obj-.*$m-b\.o" "$src/$d-b/Makefile" || {
		echo "prepare-src: cannot make slot b of $m from its Makefile" >&2
		exit 1
	}
done

# xen-backend-quiesce's public header, which the patched backends register
# their handover operations through (its Module.symvers: KBUILD_EXTRA_SYMBOLS).
xbq_inc=$(cd "$patchdir/../xen-backend-quiesce/include" && pwd)
{
	# Headers a patch adds under include/ are found in the tree.
	[ ! -d "$src/include" ] || echo "subdir-ccflags-y += -I$src/include"
	echo "subdir-ccflags-y += -I$xbq_inc"
	echo "obj-m += drivers/block/xen-blkback/"
	echo "obj-m += drivers/net/xen-netback/"
	echo "obj-m += drivers/block/xen-blkback-b/"
	echo "obj-m += drivers/net/xen-netback-b/"
} > "$src/Kbuild"
