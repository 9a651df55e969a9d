#!/usr/bin/env bash
# `make check`: every step runs even if an earlier one failed, so one run
# shows everything; the last line sums the steps' "N passed, N failed"
# lines and the exit status says whether anything failed.
set -uo pipefail
: "${BUILD:=$(pwd)/build}"
log=$BUILD/check.log
mkdir -p "$BUILD"
: >"$log"
failed_steps=
step() {
	local name=$1
	shift
	echo "=== check: $name ===" | tee -a "$log"
	if ! "$@" 2>&1 | tee -a "$log"; then
		failed_steps="$failed_steps $name"
		echo "=== check: $name FAILED ===" | tee -a "$log"
	fi
}
# Run "$@" for target $1: make exported the default target's versions,
# which mk/versions.mk and mk/kabi.sh would otherwise keep for any TARGET.
for_target() {
	local t=$1
	shift
	env -u SUITE -u KABI -u KVER -u KDIR -u KSRC_TARBALL -u XEN_VER TARGET="$t" "$@"
}
# The lab images of every target a boot names are built (once per recipe,
# mostly downloads) while the build and the unit tests use the CPUs.
targets=$(for boot in "$@"; do case $boot in *:*) echo "${boot%%:*}" ;; esac; done | sort -u)
# Another target's build root first (mostly downloads too; its build and
# kernel-check's 6.12 and 7.3 trees need it).
(
	for t in $targets; do
		[ "$t" = "${TARGET:-bookworm}" ] ||
			for_target "$t" mk/buildroot.sh path >/dev/null || echo "build root for $t: FAILED"
	done
	for t in ${TARGET:-bookworm} $targets; do
		for_target "$t" tests/lab/image/ensure.sh >/dev/null || echo "images for $t: FAILED"
	done
) >"$BUILD/images.log" 2>&1 &
images_pid=$!
step build make --no-print-directory all
# Each other target's modules, backends and ncmigd, in its build root.
for t in $targets; do
	[ "$t" = "${TARGET:-bookworm}" ] && continue
	step "build[$t]" for_target "$t" BUILD="$BUILD-$t" make --no-print-directory all
done
step unit make --no-print-directory unit
step fuzz make --no-print-directory fuzz
step kernel-check make --no-print-directory kernel-check
step deb-check make --no-print-directory deb-check
wait "$images_pid"
grep -h "lab-image: \(done\|building\)\|FAILED" "$BUILD/images.log" || true
step payload make --no-print-directory payload
# Each argument is one lab boot: "SCENARIO..." on the default target, or
# "TARGET: SCENARIO..." on another one.
for boot in "$@"; do
	t=${TARGET:-bookworm} list=$boot b=$BUILD
	case $boot in
	*:*) t=${boot%%:*}; list=${boot#*:}
		[ "$t" = "${TARGET:-bookworm}" ] || b=$BUILD-$t ;;	# as mk/versions.mk
	esac
	# shellcheck disable=SC2086
	step "lab[$t]($(echo $list))" for_target "$t" BUILD="$b" tests/lab/run $list
done
read -r pass fail < <(sed -nE 's/^[a-z-]+(\[[a-z]+\])?: ([0-9]+) passed, ([0-9]+) failed.*/\2 \3/p' "$log" |
	awk '{p += $1; f += $2} END {print p + 0, f + 0}')
[ -n "$failed_steps" ] && echo "check: failed steps:$failed_steps"
echo "check: $pass passed, $fail failed"
[ -z "$failed_steps" ] && [ "$fail" -eq 0 ]
