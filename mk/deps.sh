#!/bin/sh
# Install, with apt-get, the Debian packages listed in mk/packages/*.txt
# that are not installed yet. Idempotent: a second run installs nothing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# The packages are the build host's own (headers and linux-source for its
# kernel, the host-side build and lab tools), whatever TARGET is: another
# target's build runs in its build root (mk/buildroot.sh), which brings its
# own. So the versions are the host release's target's, not the ones make
# exported for TARGET.
host=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
if [ -f "$here/targets/$host.env" ]; then
	unset SUITE KABI XEN_VER
	export TARGET="$host"
fi
. "$here/kabi.sh"
want=$(sed -e 's/#.*//' -e "s/@KABI@/$KABI/g" "$here"/packages/*.txt | tr -s ' \t' '\n\n' | sed '/^$/d' | sort -u)
missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && { echo "deps: all installed"; exit 0; }
echo "deps: installing:$missing"
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
