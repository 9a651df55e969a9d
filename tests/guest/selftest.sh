#!/bin/sh
# Host self-test of the guest tools, TAP: they must pass on clean runs and
# must notice corruption and resets (a checker that never fails is useless).
# usage: selftest.sh BINDIR
set -eu
bin=$1
tmp=$(mktemp -d /var/tmp/guest-selftest.XXXXXX)	# not tmpfs: O_DIRECT
port=$((20000 + $$ % 10000))
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
val() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | tail -1; }
# progress FILE N: wait (bounded) for blkverify's Nth progress line, so the
# test does not depend on how loaded the machine is.
progress() {
	i=0
	while :; do
		seen=$(grep -c 't=.*ops=[1-9]' "$1" 2>/dev/null || true)
		[ "${seen:-0}" -lt "$2" ] || return 0
		i=$((i + 1)); [ $i -lt 600 ] || return 1; sleep 0.1
	done
}
check() { if test "$(val "$1" "$2")" "$3" "$4"; then ok "$5"; else not_ok "$5 ($2=$(val "$1" "$2"))"; fi; }

echo "1..17"
truncate -s 64M "$tmp/a.img" "$tmp/b.img"
if "$bin/blkverify" --seconds 2 "$tmp/a.img" "$tmp/b.img" >"$tmp/clean.out" 2>/dev/null; then
	ok "blkverify: clean run on two devices exits 0"; else not_ok "blkverify: clean run exits 0"; fi
check "$tmp/clean.out" blk.verify_errors = 0 "blkverify: no verify errors on a clean run"
check "$tmp/clean.out" blk.final_units -gt 0 "blkverify: final pass verified written blocks"

# Overwrite the start of b.img behind blkverify's back.
"$bin/blkverify" --seconds 0 --progress 1 "$tmp/a.img" "$tmp/b.img" >"$tmp/corrupt.out" 2>"$tmp/corrupt.err" &
bv=$!; pids="$pids $bv"
progress "$tmp/corrupt.err" 1 || true
dd if=/dev/urandom of="$tmp/b.img" bs=1M count=8 conv=notrunc oflag=direct 2>/dev/null
progress "$tmp/corrupt.err" 2 || true
kill -TERM "$bv"	# also checks that SIGTERM ends the run with a final pass
if wait "$bv"; then not_ok "blkverify: exits non-zero on corruption"; else ok "blkverify: exits non-zero on corruption"; fi
check "$tmp/corrupt.out" blk.b.img.verify_errors -gt 0 "blkverify: corruption of b.img detected"
check "$tmp/corrupt.out" blk.a.img.verify_errors = 0 "blkverify: untouched a.img stays clean"

# Roll b.img back to an older copy: stale data must be reported as such.
"$bin/blkverify" --seconds 0 --progress 1 "$tmp/b.img" >"$tmp/stale.out" 2>"$tmp/stale.err" &
bv=$!; pids="$pids $bv"
progress "$tmp/stale.err" 1 || true
dd if="$tmp/b.img" of="$tmp/old.img" bs=1M iflag=direct 2>/dev/null
progress "$tmp/stale.err" 3 || true
dd if="$tmp/old.img" of="$tmp/b.img" bs=1M conv=notrunc oflag=direct 2>/dev/null
kill -TERM "$bv"
wait "$bv" || true
check "$tmp/stale.out" blk.verify_errors -gt 0 "blkverify: rolled-back device detected"
check "$tmp/stale.out" blk.stale -gt 0 "blkverify: rolled-back blocks counted as stale"
check "$tmp/corrupt.out" blk.corrupt -gt 0 "blkverify: overwritten blocks counted as corrupt"

"$bin/netstream" serve --port "$port" >"$tmp/srv.out" 2>&1 &
srv=$!; pids="$pids $srv"
"$bin/netstream" tcp-client 127.0.0.1 --port "$port" --seconds 2 >"$tmp/tcp.out" 2>/dev/null &
tc=$!
"$bin/netstream" udp-ping 127.0.0.1 --port "$port" --seconds 2 >"$tmp/udp.out" 2>/dev/null || true
wait "$tc" || true
check "$tmp/tcp.out" tcp.ok = 1 "netstream: TCP stream both ways intact"
check "$tmp/udp.out" udp.lost -le 2 "netstream: (almost) no UDP ping lost on loopback"
check "$tmp/udp.out" udp.recv -ge 150 "netstream: ~100 pings/s answered"

# SIGUSR1 (lab_guest_stop_wl) ends the clients cleanly, as their deadline
# would, long before it.
"$bin/netstream" tcp-client 127.0.0.1 --port "$port" --seconds 600 >"$tmp/tcp1.out" 2>/dev/null &
tc=$!
"$bin/netstream" udp-ping 127.0.0.1 --port "$port" --seconds 600 >"$tmp/udp1.out" 2>/dev/null &
up=$!
sleep 1.5
kill -USR1 "$tc" "$up" "$srv"
wait "$tc" || true
wait "$up" || true
check "$tmp/tcp1.out" tcp.ok = 1 "netstream: SIGUSR1 ends the TCP stream cleanly"
check "$tmp/udp1.out" udp.lost -le 2 "netstream: SIGUSR1 ends the pings with none lost"
check "$tmp/udp1.out" udp.sent -le 1000 "netstream: SIGUSR1 ends the pings at once"

# Kill the server mid-stream: the client must count the lost connection.
"$bin/netstream" tcp-client 127.0.0.1 --port "$port" --seconds 4 >"$tmp/tcp2.out" 2>/dev/null &
tc=$!
sleep 1.5
kill -9 "$srv"
wait "$tc" || true
check "$tmp/tcp2.out" tcp.ok = 0 "netstream: killed server makes the stream fail"
check "$tmp/tcp2.out" tcp.lost_conns -ge 1 "netstream: lost connection counted"
[ "$failed" = 0 ]
