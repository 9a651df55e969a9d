# Sourced: sets KABI from mk/versions.mk unless the caller set it.
: "${KABI:=$(sed -n 's/^KABI ?= *//p' "$(dirname "$0")/versions.mk" 2>/dev/null || sed -n 's/^KABI ?= *//p' mk/versions.mk)}"
export KABI
