# Sourced by scripts: TARGET (default trixie, as in mk/versions.mk) and
# the versions it names, unless the caller (make) set them already.
_mk=$(cd "$(dirname "$0")" && pwd)
until [ -d "$_mk/mk/targets" ] || [ "$_mk" = / ]; do _mk=$(dirname "$_mk"); done
[ -d "$_mk/mk/targets" ] || _mk=$(pwd)
_mk=$_mk/mk/targets
: "${TARGET:=trixie}"
[ -f "$_mk/$TARGET.env" ] || { echo "unknown TARGET=$TARGET (see mk/targets/)" >&2; exit 2; }
. "$_mk/$TARGET.env"
: "${SUITE:=$T_SUITE}" "${KABI:=$T_KABI}" "${XEN_VER:=$T_XEN_VER}"
# As in mk/versions.mk: BUILD defaults to build/ for bookworm (the host's
# release, whatever the default target), build-TARGET/ for another target.
NCMIG_BUILD_SUFFIX=
[ "$TARGET" = bookworm ] || NCMIG_BUILD_SUFFIX=-$TARGET
export TARGET SUITE KABI XEN_VER NCMIG_BUILD_SUFFIX
unset _mk
