#!/bin/sh
# prepare-src.sh TARBALL PATCHDIR SRC
# Extract xen-blkback and xen-netback (and any other file a patch touches)
# from the distro's linux-source TARBALL into SRC, apply PATCHDIR/blkback
# and PATCHDIR/netback series with patch -p1, and write SRC/Kbuild. Any
# patch that does not apply exactly fails the build.
set -eu
tarball=$1 patchdir=$2 src=$3

[ -r "$tarball" ] || { echo "prepare-src: no $tarball (apt-get install linux-source-6.1)" >&2; exit 1; }

patches=
for d in blkback netback; do
	[ -f "$patchdir/$d/series" ] || continue
	for p in $(sed -e 's/#.*//' "$patchdir/$d/series"); do
		if [ ! -f "$patchdir/$d/$p" ]; then
			echo "prepare-src: $d/series names missing $p" >&2
			exit 1
		fi
		patches="$patches $patchdir/$d/$p"
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

{
	# Headers a patch adds under include/ are found in the tree.
	[ ! -d "$src/include" ] || echo "subdir-ccflags-y += -I$src/include"
	echo "obj-m += drivers/block/xen-blkback/"
	echo "obj-m += drivers/net/xen-netback/"
} > "$src/Kbuild"
