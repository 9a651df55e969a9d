#!/usr/bin/env bash
# `make check`: every step runs even if an earlier one failed, so one run
# shows everything; the last line sums the steps' "N passed, N failed"
# lines and the exit status says whether anything failed.
set -uo pipefail
top=$(pwd)
# The default target (make exports TARGET; mk/kabi.sh's default otherwise)
# and each target's build directory: as mk/versions.mk names them (build/
# for bookworm, build-TARGET/ for another), unless the caller chose another
# BUILD, then BUILD-TARGET for every target but the default.
: "${TARGET:=$(. "$top/mk/kabi.sh" && echo "$TARGET")}"
default=$TARGET
build_name() { [ "$1" = bookworm ] && echo "$top/build" || echo "$top/build-$1"; }
: "${BUILD:=$(build_name "$default")}"
build_of() {
	if [ "$BUILD" = "$(build_name "$default")" ]; then
		build_name "$1"
	elif [ "$1" = "$default" ]; then
		echo "$BUILD"
	else
		echo "$BUILD-$1"
	fi
}
log=$BUILD/check.log
mkdir -p "$BUILD"
: >"$log"
failed_steps='' step_times=''
# CI stops a run at 90 minutes and keeps only the end of its output. So
# the check stops itself first, at NCMIG_CHECK_DEADLINE_S (83 min after
# the deps): the running step is sent SIGTERM (the lab powers its QEMU
# off), the steps left are not run, and the last lines still say what
# each step took and which one ran over.
: "${NCMIG_CHECK_DEADLINE_S:=5000}"
# Run "$@" (a command or one of the functions below) for at most $1 s:
# 124 if it was stopped then. Job control gives the step and the timer
# process groups of their own, so that each is stopped with its children.
until_deadline() (
	local left=$1 cpid wpid rc fired
	shift
	fired=$(mktemp)
	set -m
	"$@" &
	cpid=$!
	{
		sleep "$left"
		echo fired >"$fired"
		kill -TERM -- "-$cpid"
		sleep 120
		kill -KILL -- "-$cpid"
	} 2>/dev/null &
	wpid=$!
	set +m	# the groups are made; no job notices in the step's output
	wait "$cpid"
	rc=$?
	kill -- "-$wpid" 2>/dev/null
	# 124 says the deadline, never the step's own status (timeout(1)'s).
	if [ -s "$fired" ]; then rc=124; elif [ "$rc" = 124 ]; then rc=1; fi
	rm -f "$fired"
	exit "$rc"
)
# Each step's time is printed, so that the budget can be read off a CI log.
step() {
	local name=$1 t0=$SECONDS left rc
	shift
	left=$((NCMIG_CHECK_DEADLINE_S - SECONDS))
	if [ "$left" -le 0 ]; then
		failed_steps="$failed_steps $name"
		step_times="$step_times $name=skipped"
		echo "=== check: $name: not run, past the check's deadline (${NCMIG_CHECK_DEADLINE_S} s) ===" | tee -a "$log"
		return
	fi
	echo "=== check: $name (at $SECONDS s) ===" | tee -a "$log"
	until_deadline "$left" "$@" 2>&1 | tee -a "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" = 124 ]; then
		failed_steps="$failed_steps $name"
		echo "=== check: $name STOPPED at the check's deadline (${NCMIG_CHECK_DEADLINE_S} s) ===" | tee -a "$log"
	elif [ "$rc" != 0 ]; then
		failed_steps="$failed_steps $name"
		echo "=== check: $name FAILED ===" | tee -a "$log"
	fi
	step_times="$step_times $name=$((SECONDS - t0))"
	echo "=== check: $name: $((SECONDS - t0)) s ===" | tee -a "$log"
}
# Run "$@" for target $1 with its BUILD: make exported the default
# target's versions, which mk/versions.mk and mk/kabi.sh would otherwise
# keep for any TARGET.
for_target() {
	local t=$1
	shift
	env -u SUITE -u KABI -u KVER -u KDIR -u KSRC_TARBALL -u XEN_VER \
		TARGET="$t" BUILD="$(build_of "$t")" "$@"
}
# Every target a boot names ("TARGET:SCENARIO..."), the default first.
targets=$(for boot in "$@"; do case $boot in *:*) echo "${boot%%:*}" ;; esac; done |
	grep -vx "$default" | sort -u)
targets="$default $targets"
host_suite=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
suite_of() { sed -n 's/^T_SUITE=//p' "$top/mk/targets/$1.env"; }
# Build roots of the targets the host does not run (mostly downloads; their
# builds and kernel-check's 6.12 and 7.3 trees need them), then every
# target's lab images (once per recipe, mostly downloads), while the host's
# own target builds and the unit tests use the CPUs.
(
	for t in $targets; do
		[ "$(suite_of "$t")" = "$host_suite" ] ||
			for_target "$t" mk/buildroot.sh path >/dev/null || echo "build root for $t: FAILED"
	done
	for t in $targets; do
		for_target "$t" tests/lab/image/ensure.sh >/dev/null || echo "images for $t: FAILED"
	done
) >"$BUILD/images.log" 2>&1 &
images_pid=$!
# Each target's modules, backends and ncmigd (another release's in its
# build root): the host's own release first, as its build needs no root.
native='' rooted=''
for t in $targets; do
	if [ "$(suite_of "$t")" = "$host_suite" ]; then native="$native $t"; else rooted="$rooted $t"; fi
done
for t in $native $rooted; do
	step "build[$t]" for_target "$t" make --no-print-directory all
done
step unit make --no-print-directory unit
step payload make --no-print-directory payload
# The checks that boot nothing run beside the lab boots, at SCHED_IDLE
# and idle I/O priority. Run before the lab they cost make check about
# 10 minutes (fuzz 169 s, kernel-check 327, deb-check 127: 2026-12-05);
# the lab's QEMU leaves some CPU time idle (163% of the two CPUs in a
# boot of handovers, 2026-12-06: its guests wait on timers and I/O), and
# a SCHED_IDLE task runs only on a CPU nothing else wants, so the lab's
# timings stay its own. Their output goes to $beside_log, printed after
# the boot during which they end; their verdicts and times, to
# $beside_state.
beside_log=$BUILD/check-beside.log beside_state=$BUILD/check-beside.state
: >"$beside_log"
: >"$beside_state"
(
	chrt --idle -p 0 "$BASHPID" >/dev/null 2>&1 || true
	ionice -c 3 -p "$BASHPID" >/dev/null 2>&1 || true
	log=$beside_log failed_steps='' step_times=''
	exec >/dev/null
	step fuzz make --no-print-directory fuzz
	step kernel-check make --no-print-directory kernel-check
	# Each target's packages, built and DKMS-built in its own release
	# (mk/deb.sh, mk/deb-check.sh).
	for t in $targets; do
		step "deb-check[$t]" for_target "$t" make --no-print-directory deb-check
	done
	printf 'failed:%s\ntimes:%s\n' "$failed_steps" "$step_times" >"$beside_state"
) &
beside_pid=$!
beside_shown='' beside_times=''
# Once they have ended (or, with "wait", when they end): their output,
# into make check's and its log, and their verdicts.
show_beside() {
	[ -z "$beside_shown" ] || return 0
	if [ "${1:-}" = wait ]; then
		wait "$beside_pid"
	elif kill -0 "$beside_pid" 2>/dev/null; then
		return 0
	fi
	beside_shown=1
	echo "=== check: the checks run beside the lab ===" | tee -a "$log"
	tee -a "$log" <"$beside_log"
	if [ -s "$beside_state" ]; then
		failed_steps="$failed_steps$(sed -n 's/^failed://p' "$beside_state")"
		beside_times=$(sed -n 's/^times://p' "$beside_state")
	else
		failed_steps="$failed_steps beside-the-lab"
		echo "=== check: the checks beside the lab left no verdict ===" | tee -a "$log"
	fi
}
wait "$images_pid"
grep -h "lab-image: \(done\|building\)\|FAILED" "$BUILD/images.log" || true
# Each argument is one lab boot: "SCENARIO..." on the default target, or
# "TARGET:SCENARIO..." on another one. LAB_OTHER_ENV ("K=V ...", the
# Makefile's) is passed to the scenarios of another target's boots,
# LAB_DEFAULT_ENV to the default target's.
for boot in "$@"; do
	t=$default list=$boot env=${NCMIG_LAB_ENV:-}
	case $boot in
	*:*) t=${boot%%:*}; list=${boot#*:} ;;
	esac
	if [ "$t" = "$default" ]; then env="${LAB_DEFAULT_ENV:-} $env"; else env="${LAB_OTHER_ENV:-} $env"; fi
	# shellcheck disable=SC2086
	step "lab[$t]($(echo $list))" for_target "$t" NCMIG_LAB_ENV="$env" tests/lab/run $list
	show_beside
done
show_beside wait
read -r pass fail < <(sed -nE 's/^[a-z-]+(\[[a-z]+\])?: ([0-9]+) passed, ([0-9]+) failed.*/\2 \3/p' "$log" |
	awk '{p += $1; f += $2} END {print p + 0, f + 0}')
[ -n "$failed_steps" ] && echo "check: failed steps:$failed_steps"
echo "check: step times (s):$step_times; beside the lab:$beside_times"
echo "check: total $SECONDS s"
echo "check: $pass passed, $fail failed"
[ -z "$failed_steps" ] && [ "$fail" -eq 0 ]
