#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make -C user fuzz-check (make check's fuzz step): run each fuzz target
# for FUZZ_TIME seconds over a scratch copy of its committed corpus, then
# replay every corpus (committed and found) through the coverage builds
# and report line and branch coverage of each parser.  Ends with exactly
#   fuzz: targets=N crashes=N stream_read_lines=P% snap_lines=P% restore_lines=P%
# and exits non-zero on any crash, leak or sanitizer report.
#   OUT=build/user FUZZ_TIME=10 check.sh fuzz_a fuzz_b ...
set -u
: "${OUT:?}" "${FUZZ_TIME:=10}"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
PROFDATA=${LLVM_PROFDATA:-llvm-profdata-14}
COV=${LLVM_COV:-llvm-cov-14}
prof=$OUT/cov/prof
rm -rf "$prof"
mkdir -p "$prof"
targets=0 crashes=0
for n in "$@"; do
	targets=$((targets + 1))
	c=$here/corpus/$n w=$OUT/fuzz/work/$n a=$OUT/fuzz/artifacts/$n/
	if [ ! -d "$c" ]; then
		echo "fuzz: $n: no corpus dir $c"; crashes=$((crashes + 1)); continue
	fi
	rm -rf "$w"; mkdir -p "$w" "$a"
	echo "fuzz: $n for ${FUZZ_TIME}s"
	if ! "$OUT/fuzz/$n" -max_total_time="$FUZZ_TIME" -print_final_stats=1 \
		-artifact_prefix="$a" "$w" "$c" 2>"$OUT/fuzz/$n.log"; then
		tail -40 "$OUT/fuzz/$n.log"
		echo "fuzz: $n FAILED"
		crashes=$((crashes + 1))
		continue
	fi
	grep -E 'stat::number_of_executed_units' "$OUT/fuzz/$n.log" |
		sed "s/^/fuzz: $n: /"
	# Replay what the corpus holds now through the coverage build.
	LLVM_PROFILE_FILE="$prof/$n.profraw" "$OUT/cov/$n" -runs=0 "$w" "$c" \
		>"$OUT/cov/$n.log" 2>&1 ||
		{ echo "fuzz: $n: coverage replay failed"; tail -5 "$OUT/cov/$n.log"; }
done

# Line and branch coverage of each parser, over all targets together.
pct() { echo "${1:-0}" | tr -d '%'; }
lines_stream_read=0 lines_ncmig_snap=0 lines_xs_restore=0
if ls "$prof"/*.profraw >/dev/null 2>&1 &&
   "$PROFDATA" merge -sparse "$prof"/*.profraw -o "$prof/all.profdata"; then
	objs= first=
	for n in "$@"; do
		[ -x "$OUT/cov/$n" ] || continue
		if [ -z "$first" ]; then first=$OUT/cov/$n; else
			objs="$objs -object $OUT/cov/$n"; fi
	done
	want="stream_read.c ncmig_snap.c xs_restore.c xs_record.c splice_filter.c nl_parse.c splice_args.c"
	# shellcheck disable=SC2086
	(cd "$top/user" && "$COV" report -instr-profile="$prof/all.profdata" \
		"$first" $objs) >"$prof/report.txt" 2>"$prof/report.err"
	# Filename Regions Missed Cover Functions Missed Executed Lines
	# Missed Cover Branches Missed Cover
	while read -r f _ _ _ _ _ _ _ _ lc _ _ bc; do
		case $f in *.c) ;; *) continue ;; esac
		case " $want " in *" $(basename "$f") "*) ;; *) continue ;; esac
		b=$(basename "$f" .c)
		echo "fuzz: coverage $b.c lines=$lc branches=$bc"
		eval "lines_$b=$(pct "$lc")"
	done <"$prof/report.txt"
else
	echo "fuzz: no coverage data"
fi
echo "fuzz: targets=$targets crashes=$crashes" \
	"stream_read_lines=$lines_stream_read%" \
	"snap_lines=$lines_ncmig_snap%" "restore_lines=$lines_xs_restore%"
[ "$crashes" -eq 0 ]
