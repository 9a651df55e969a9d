#!/bin/sh
# Run cmocka test binaries, show their output, and close with one line
# "unit: N passed, N failed; libncmig_engine_paths=N" (the engine paths
# test_engine's last test found taken, from its libncmig_engine_paths=N).  Exits non-zero if any test failed or any
# binary died (a sanitizer report counts as one failure).
set -u
passed=0 failed=0 status=0 paths=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	echo "unit: $(basename "$t")"
	CMOCKA_MESSAGE_OUTPUT=stdout "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$log" | tail -1)
	e=$(sed -n 's/^libncmig_engine_paths=\([0-9]*\)$/\1/p' "$log" | tail -1)
	paths=$((paths + ${e:-0}))
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		status=1
		# Died before cmocka could count the failure (sanitizer, signal).
		[ "${f:-0}" -eq 0 ] && failed=$((failed + 1))
	fi
done
echo "unit: $passed passed, $failed failed; libncmig_engine_paths=$paths"
[ "$failed" -eq 0 ] && exit "$status"
exit 1
