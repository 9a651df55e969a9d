#!/bin/sh
# prepare-src.sh TARBALL PATCHDIR SRC
# Extract xen-blkback and xen-netback (and any other file a patch touches)
# from the distro's linux-source TARBALL into SRC, apply PATCHDIR/blkback
# and PATCHDIR/netback series with patch -p1, and write SRC/Kbuild. Any
# patch that does not apply exactly fails the build.
set -eu
tarball=$1 patchdir=$2 src=$3

[ -r "$tarball" ] || { echo "prepare-src: no $tarball (apt-get install linux-source-6.1)" >&2; exit 1; }

series_patches() {
	[ -f "$patchdir/$1/series" ] || return 0
	sed -e 's/#.*//' "$patchdir/$1/series" | while read -r p; do
		[ -n "$p" ] || continue
		[ -f "$patchdir/$1/$p" ] || { echo "prepare-src: $1/series names missing $p" >&2; exit 1; }
		echo "$patchdir/$1/$p"
	done
}
patches="$(series_patches blkback) $(series_patches netback)"

# The directories we build, plus the existing files the patches modify.
members="drivers/block/xen-blkback drivers/net/xen-netback"
for p in $patches; do
	for f in $(sed -n 's|^--- a/\([^ 	]*\).*|\1|p' "$p"); do
		case $f in drivers/block/xen-blkback/*|drivers/net/xen-netback/*) ;;
		*) members="$members $f" ;;
		esac
	done
done

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

cat > "$src/Kbuild" <<'KBUILD'
obj-m += drivers/block/xen-blkback/
obj-m += drivers/net/xen-netback/
KBUILD
