#!/bin/sh
# mk/deb.sh: build TARGET's Debian packages (ncmig-dkms, ncmigd) into
# $BUILD/deb/ from the tree's tracked files, with pkg/debian as debian/,
# then check them with lintian. Run by `make deb`: the tree is staged
# here (git), the packages are built and checked in the target's build
# root (mk/buildroot.sh) when it is not the host's release.
#
# The version is VERSION's, with a Debian revision naming the release
# (0.5.0-1+deb12 for bookworm, +deb13 for trixie), so that each target
# gets its own packages and an upgrade from one release's to the next's
# goes forward.
#
# NCMIG_DEB_REV (default 1) is the Debian revision: the lab's deb-install
# upgrades from -1 to a rebuilt -2 of the same sources. NCMIG_DEB_OUT
# (default $BUILD/deb) is where they go.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
: "${BUILD:?}" "${SUITE:?}"
case $SUITE in
bookworm) rel=deb12 ;;
trixie) rel=deb13 ;;
*) echo "deb: no Debian release number for suite $SUITE" >&2; exit 1 ;;
esac
ver=$(cat "$top/VERSION")
rev=${NCMIG_DEB_REV:-1}
case $rev in [1-9]|[1-9][0-9]) ;; *) echo "deb: NCMIG_DEB_REV=$rev: not a revision" >&2; exit 1 ;; esac
debver=$ver-$rev+$rel
out=${NCMIG_DEB_OUT:-$BUILD/deb}
stage=$out/ncmig-$ver

rm -rf "$out"
mkdir -p "$stage"
# Tracked and new (not ignored) files only: never a build product.
git -C "$top" ls-files -co --exclude-standard -z |
	(cd "$top" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
	tar -C "$top" --null -T - -cf - | tar -C "$stage" -xf -
cp -a "$top/pkg/debian" "$stage/debian"
when=$(git -C "$top" log -1 --format=%cD 2>/dev/null || date -R)
git=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
cat >"$stage/debian/changelog" <<EOC
ncmig ($debver) $SUITE; urgency=medium

  * ncmig $ver for Debian $SUITE, from git $git.

 -- ncmig developers <dev@ncmig.invalid>  $when
EOC

# The target release's debhelper, compiler and libraries: another
# release's packages are built and checked in its build root.
inroot=
host=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
[ "$SUITE" = "$host" ] || inroot="$top/mk/buildroot.sh run"

echo "deb: building ncmig $debver for $SUITE in $stage"
(cd "$stage" && $inroot dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
	tail -40 "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
# lintian: errors and warnings fail (there are no overrides).
(cd "$out" && $inroot lintian --fail-on error,warning ncmig_"$debver"_*.changes) \
	>"$out/lintian.log" 2>&1 || {
	cat "$out/lintian.log" >&2
	echo "deb: lintian failed" >&2
	exit 1
}
cat "$out/lintian.log"
ls "$out"/*.deb
