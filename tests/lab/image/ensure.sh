#!/bin/sh
# Print the cache directory holding the lab's boot images for $TARGET,
# building them first if this recipe was never built. The key is a hash of
# the recipe files and the target's versions, so editing the recipe
# rebuilds, nothing else does. Each target has its own directory:
# $NCMIG_CACHE/lab/TARGET/KEY.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
. "$repo/mk/kabi.sh"
: "${NCMIG_CACHE:=/var/cache/ncmig}"
key=$(cat "$here/build.sh" "$here/stage1-init" "$here/extract-vmlinux.sh" \
	"$repo/mk/targets/$TARGET.env" |
	{ cat; echo "$SUITE $KABI $XEN_VER"; } | sha256sum | cut -c1-16)
top=$NCMIG_CACHE/lab/$TARGET
dir=$top/$key
mkdir -p "$top"
if [ ! -f "$dir/VERSIONS" ]; then
	exec 8>"$top/.build.lock"
	flock 8
	if [ ! -f "$dir/VERSIONS" ]; then
		echo "lab-image: building $dir (cold cache)" >&2
		"$here/build.sh" "$dir" >&2	# stdout is for the directory only
		# This target's older recipes are dead weight.
		for old in "$top"/*; do
			[ "$old" = "$dir" ] || rm -rf "$old"
		done
	fi
fi
echo "$dir"
