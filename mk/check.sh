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
step build make --no-print-directory all
step unit make --no-print-directory unit
step fuzz make --no-print-directory fuzz
step kernel-check make --no-print-directory kernel-check
step payload make --no-print-directory payload
for boot in "$@"; do
	# shellcheck disable=SC2086
	step "lab($boot)" tests/lab/run $boot
done
read -r pass fail < <(sed -nE 's/^[a-z-]+(\[[a-z]+\])?: ([0-9]+) passed, ([0-9]+) failed.*/\2 \3/p' "$log" |
	awk '{p += $1; f += $2} END {print p + 0, f + 0}')
[ -n "$failed_steps" ] && echo "check: failed steps:$failed_steps"
echo "check: $pass passed, $fail failed"
[ -z "$failed_steps" ] && [ "$fail" -eq 0 ]
