#!/bin/sh
# Print the cache directory holding the lab's boot images, building them
# first if this recipe was never built. The key is a hash of the recipe
# files and the kernel ABI, so editing the recipe rebuilds, nothing else does.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${KABI:?}" "${NCMIG_CACHE:=/var/cache/ncmig}"
key=$(cat "$here/build.sh" "$here/stage1-init" "$here/extract-vmlinux.sh" |
	{ cat; echo "$KABI"; } | sha256sum | cut -c1-16)
dir=$NCMIG_CACHE/images/$key
mkdir -p "$NCMIG_CACHE/images"
if [ ! -f "$dir/VERSIONS" ]; then
	exec 8>"$NCMIG_CACHE/images/.build.lock"
	flock 8
	if [ ! -f "$dir/VERSIONS" ]; then
		echo "lab-image: building $dir (cold cache)" >&2
		"$here/build.sh" "$dir" >&2	# stdout is for the directory only
		# Older recipes' images are dead weight.
		for old in "$NCMIG_CACHE"/images/*; do
			[ "$old" = "$dir" ] || rm -rf "$old"
		done
	fi
fi
echo "$dir"
