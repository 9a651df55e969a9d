# Sourced by scripts: TARGET (default bookworm, as in mk/versions.mk) and
# the versions it names, unless the caller (make) set them already.
_mk=$(cd "$(dirname "$0")" && pwd)
until [ -d "$_mk/mk/targets" ] || [ "$_mk" = / ]; do _mk=$(dirname "$_mk"); done
[ -d "$_mk/mk/targets" ] || _mk=$(pwd)
_mk=$_mk/mk/targets
: "${TARGET:=bookworm}"
[ -f "$_mk/$TARGET.env" ] || { echo "unknown TARGET=$TARGET (see mk/targets/)" >&2; exit 2; }
. "$_mk/$TARGET.env"
: "${SUITE:=$T_SUITE}" "${KABI:=$T_KABI}" "${XEN_VER:=$T_XEN_VER}"
export TARGET SUITE KABI XEN_VER
unset _mk
