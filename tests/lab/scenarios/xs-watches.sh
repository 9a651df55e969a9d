#!/bin/sh
# xs-watches (issue 17 items 2 and 3): a domain's real xenstore watches from
# Debian's stock C xenstored, through its live update into the SAME binary,
# and the guest's grant table as dom0 maps it.
#
# The guest runs xswatch (tests/guest/xswatch): four watches with known
# paths (three relative, one absolute) through /dev/xen/xenbus, each event
# printed on its console.  Then, in one boot:
#   A. raw, shell only: xenstored's memreport (read-only), and one live
#      update through a wrapper that copies state_dump and execs the real
#      xenstored (what xenstored does with the state, how long it takes);
#   B. ncmigd xs-watches: the domain's watches from the state;
#   C. ncmigd save --watches-via lu-state --gnttab: WATCH_DATA records
#      compared with what the guest registered; a GNTTAB record compared
#      with the ring refs and the store page the guest published;
#   D. events before anything is touched (all four fire);
#   E. ncmigd xs-watches --drop: the domain's watches taken out of the
#      state the new process reads; none of the four fires any more;
#   F. ncmigd restore --watches-via lu-state: the stream's watches put
#      back; the four fire again, the list is the saved one.
# Ends with exactly:
#   xs-watches: registered=N captured=N restored=N method=lu-state|none
. /ncmig/dom0/lib.sh

W=/run/ncmig-lab/xs-watches
rm -rf "$W"; mkdir -p "$W/keep"
chmod 700 "$W/keep"
NW=4	# the guest's known watches
registered=0 captured=0 restored=0 method=none

dom=$(lab_guest_start xw --disks 1 --workload \
	"xswatch data/ncmig-w0 data/ncmig-w1 data/ncmig-w2 /local/domain/self/data/ncmig-w3 &")
if [ -z "$dom" ]; then
	tap_not_ok "guest created"
	echo "xs-watches: registered=0 captured=0 restored=0 method=none"
	tap_done; exit 1
fi
tap_ok "guest created: d$dom"
registered=$(lab_guest_result xw xsw.registered 180)
tap_is "$registered" "$NW" "the guest registered its $NW watches (xswatch)"
registered=${registered:-0}
lab_guest_log xw | tr -d '\r' | grep 'xswatch:' | head -10 | sed 's/^/# guest: /'
lab_xs_wait 60 "$(lab_be_path xw vbd 51712)/state" 4 ||
	tap_diag "vbd not Connected"
H=/local/domain/$dom
# The four paths as xenstored dumps them (relative ones stay relative).
want="data/ncmig-w0 data/ncmig-w1 data/ncmig-w2 $H/data/ncmig-w3"

xspid() { cat /run/xenstored.pid 2>/dev/null; }
pid0=$(xspid)
exe=$(readlink "/proc/$pid0/exe")
tap_diag "xenstored: pid $pid0, $exe, argv: $(tr '\0' ' ' <"/proc/$pid0/cmdline")"
tap_diag "xenstored rundir: $(tr '\0' '\n' <"/proc/$pid0/environ" | grep XENSTORED_RUNDIR || echo '(default)') ; $(ls -la /var/run/xenstored/ 2>&1 | tr '\n' ' ')"

# The guest's event for a write of $1 (a path under the home), by path:
# relative watches report relative paths, the absolute one absolute.
ev_seen() {	# ev_seen K SUFFIX
	if [ "$1" = 3 ]; then _p="$H/data/ncmig-w3/$2"; else _p="data/ncmig-w$1/$2"; fi
	lab_guest_log xw | tr -d '\r' | grep -q "xswatch: event $_p ncmig-w$1\$"
}
# wait_ev K SUFFIX SECONDS (lab_wait runs a command in a new sh, which
# does not have ev_seen).
wait_ev() {
	_end=$(($(date +%s) + $3))
	until ev_seen "$1" "$2"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.2
	done
}
# fire SUFFIX SECONDS: write data/ncmig-wK/SUFFIX for every K; print how many
# of the guest's watches reported it within SECONDS.
fire() {
	for k in 0 1 2 3; do xenstore-write "$H/data/ncmig-w$k/$1" "$1"; done
	_n=0
	for k in 0 1 2 3; do
		if wait_ev "$k" "$1" "$2"; then _n=$((_n + 1)); fi
	done
	echo "$_n"
}
xs_alive() { timeout 10 xenstore-read "$H/name" >/dev/null 2>&1; }

tap_diag "mounts: $(grep -E ' /run | /tmp | /var ' /proc/mounts | tr '\n' ';')"
tap_diag "xenstored's control commands: $(timeout 10 xenstore-control help 2>&1 | tr '\n' ' ')"

# ---- A. raw: memreport, then one live update by hand -----------------------
if timeout 20 xenstore-control memreport "$W/memreport.txt" >"$W/mem.out" 2>&1; then
	n=0
	for p in $want; do
		case $p in /*) q=$p ;; *) q=$H/$p ;; esac
		grep -q " $q  *contains" "$W/memreport.txt" && n=$((n + 1))
	done
	tap_diag "memreport: $(wc -c <"$W/memreport.txt") octets, $n of the $NW watch paths named (as absolute node names; relative-ness and the owner are not in it)"
	grep -n "ncmig-w\|struct watch" "$W/memreport.txt" | head -12 | sed 's/^/# memreport: /'
else
	tap_diag "memreport failed: $(cat "$W/mem.out")"
fi

# The wrapper on the scratch disk (ext4, exec allowed), whatever /run is.
R=/var/lib/ncmig-lab/xsw-raw
rm -rf "$R"; mkdir -p "$R" "$W/raw"; chmod 700 "$R" "$W/raw"
cat >"$R/xenstored" <<EOF
#!/bin/sh
cp /var/run/xenstored/state_dump $W/raw/state 2>$W/raw/cp.err
ls -la /var/run/xenstored/ >$W/raw/rundir.ls 2>&1
exec $exe "\$@"
EOF
chmod 700 "$R/xenstored"
t0=$(date +%s%N)
timeout 30 xenstore-control live-update -t 5 "$R/xenstored" >"$W/raw/out" 2>&1
rc=$?
t1=$(date +%s%N)
tap_is "$rc" 0 "raw live update through a copying wrapper: xenstore-control exits 0"
tap_diag "raw live update: $(( (t1 - t0) / 1000000 )) ms; said: $(cat "$W/raw/out")"
tap_diag "rundir in the window: $(tr '\n' ' ' <"$W/raw/rundir.ls" 2>/dev/null)"
if xs_alive; then tap_ok "xenstored answers after the raw live update"; else
	tap_not_ok "xenstored answers after the raw live update"; fi
tap_is "$(xspid)" "$pid0" "the same xenstored pid (exec, not a new process)"
tap_diag "after: $(ls -la /var/run/xenstored/ 2>&1 | tr '\n' ' ') (state_dump unlinked by the new process)"
if [ -s "$W/raw/state" ]; then
	tap_ok "the wrapper kept a copy of state_dump ($(wc -c <"$W/raw/state") octets)"
	od -An -c -N16 "$W/raw/state" | sed 's/^/# preamble: /'
	n=0
	for p in $want; do
		tr '\0' '\n' <"$W/raw/state" | grep -qx "$p" && n=$((n + 1))
	done
	tap_is "$n" "$NW" "the raw copy names the guest's $NW watch paths"
else
	tap_not_ok "the wrapper kept a copy of state_dump ($(cat "$W/raw/cp.err" 2>/dev/null))"
	tap_not_ok "the raw copy names the guest's watch paths"
fi

# ---- B. ncmigd xs-watches ---------------------------------------------------
export NCMIG_LU_KEEP=$W/keep
if timeout 60 ncmigd xs-watches --domid "$dom" >"$W/list0.txt" 2>"$W/list0.err"; then
	tap_ok "ncmigd xs-watches --domid $dom"; else
	tap_not_ok "ncmigd xs-watches --domid $dom"; sed 's/^/# /' "$W/list0.err"; fi
sed 's/^/# xs-watches: /' "$W/list0.txt"
xs_alive && tap_ok "xenstored answers after ncmigd's live update" ||
	tap_not_ok "xenstored answers after ncmigd's live update"
n=0
for p in $want; do grep -q "^watch $p [0-9A-Fa-f]*\$" "$W/list0.txt" && n=$((n + 1)); done
tap_is "$n" "$NW" "xs-watches lists the guest's $NW watches (kernel tokens)"
total0=$(grep -c '^watch ' "$W/list0.txt")

# ---- C. save with the watches and the grant table -------------------------
if timeout 60 ncmigd save --domid "$dom" --watches-via lu-state --gnttab \
	-o "$W/s.ncmig" --json >"$W/save.json" 2>"$W/save.err"; then
	tap_ok "ncmigd save --watches-via lu-state --gnttab"; else
	tap_not_ok "ncmigd save --watches-via lu-state --gnttab"; sed 's/^/# /' "$W/save.err"; fi
tap_diag "save: $(cat "$W/save.json")"
tap_run "save says the watches were carried, by lu-state" \
	grep -q '"carried":true.*"method":"lu-state"' "$W/save.json"
ncmigd inspect "$W/s.ncmig" >"$W/inspect.txt" 2>&1
tap_run "ncmigd inspect accepts the stream" ncmigd inspect "$W/s.ncmig"
grep -E 'WATCH_DATA|grant|gref [01] ' "$W/inspect.txt" | head -30 | sed 's/^/# inspect: /'
captured=0
for p in $want; do
	grep -q "WATCH_DATA .* $p token \"[0-9A-Fa-f]*\"\$" "$W/inspect.txt" &&
		captured=$((captured + 1))
done
tap_is "$captured" "$NW" "the stream's WATCH_DATA holds the guest's $NW watches"
nsaved=$(grep -c 'WATCH_DATA' "$W/inspect.txt")
tap_is "$nsaved" "$total0" "the stream has as many watches as xs-watches listed ($total0)"
if [ "$captured" = "$NW" ]; then method=lu-state; fi

# The grant table: ring refs and the store page the guest published.
if grep -q '^grant table v1' "$W/inspect.txt"; then
	tap_ok "inspect shows the GNTTAB record ($(grep '^grant table' "$W/inspect.txt"))"
	fe=$(lab_fe_path xw vbd 51712)
	rr=$(xenstore-read "$fe/ring-ref" 2>/dev/null ||
		xenstore-read "$fe/queue-0/ring-ref" 2>/dev/null)
	tap_run "vbd ring-ref $rr is in use, granted to d0" \
		grep -q "gref $rr (table frame [0-9]*) flags 0x[0-9a-f]* -> d0 " "$W/inspect.txt"
	vf=$(lab_fe_path xw vif 0)
	for k in tx-ring-ref rx-ring-ref; do
		g=$(xenstore-read "$vf/$k" 2>/dev/null ||
			xenstore-read "$vf/queue-0/$k" 2>/dev/null)
		tap_run "vif $k $g is in use, granted to d0" \
			grep -q "gref $g (table frame [0-9]*) flags 0x[0-9a-f]* -> d0 " "$W/inspect.txt"
	done
	sm=$(xenstore-read "$H/store/ring-ref" 2>/dev/null)
	smx=$(printf '%#x' "$sm" 2>/dev/null)
	tap_run "gref 1 (xenstore, seeded by the toolstack) grants frame $smx (store/ring-ref) to d0" \
		grep -q "gref 1 (table frame 0) flags 0x[0-9a-f]* -> d0 frame $smx\$" "$W/inspect.txt"
else
	tap_not_ok "inspect shows the GNTTAB record"
	grep -i gnttab "$W/save.json" | sed 's/^/# /'
fi

# ---- D. every watch fires before anything is touched -----------------------
n=$(fire p1 10)
tap_is "$n" "$NW" "before: the guest sees all $NW watches fire"

# ---- E. drop the domain's watches in a live update -------------------------
if timeout 60 ncmigd xs-watches --domid "$dom" --drop >"$W/drop.txt" 2>"$W/drop.err"; then
	tap_ok "ncmigd xs-watches --drop"; else
	tap_not_ok "ncmigd xs-watches --drop"; sed 's/^/# /' "$W/drop.err"; fi
grep -v '^watch ' "$W/drop.txt" | sed 's/^/# drop: /'
timeout 60 ncmigd xs-watches --domid "$dom" >"$W/list1.txt" 2>&1
tap_is "$(grep -c '^watch ' "$W/list1.txt")" 0 "after --drop xenstored holds no watch of d$dom"
n=$(fire p2 3)
tap_is "$n" 0 "after --drop: none of the guest's watches fires"

# ---- F. restore the stream's watches ---------------------------------------
if timeout 60 ncmigd restore --domid "$dom" -i "$W/s.ncmig" --no-backends \
	--watches-via lu-state --json >"$W/restore.json" 2>"$W/restore.err"; then
	tap_ok "ncmigd restore --watches-via lu-state"; else
	tap_not_ok "ncmigd restore --watches-via lu-state"; sed 's/^/# /' "$W/restore.err"; fi
tap_diag "restore: $(cat "$W/restore.json")"
timeout 60 ncmigd xs-watches --domid "$dom" >"$W/list2.txt" 2>&1
grep '^watch ' "$W/list0.txt" | sort >"$W/w0"
grep '^watch ' "$W/list2.txt" | sort >"$W/w2"
tap_run "xenstored holds the saved watches again, path and token" cmp "$W/w0" "$W/w2"
restored=$(fire p3 10)
tap_is "$restored" "$NW" "after restore: the guest sees all $NW watches fire again"
xs_alive && tap_ok "xenstored still answers" || tap_not_ok "xenstored still answers"
tap_is "$(xspid)" "$pid0" "still the same xenstored process after every live update"
# Each live update's duration, as ncmigd measured it.
for f in list0 save restore drop list1 list2; do
	for g in "$W/$f.txt" "$W/$f.json"; do
		[ -f "$g" ] || continue
		ms=$(sed -n 's/.*live update \([0-9.]*\) ms.*/\1/p; s/.*"lu_us":\([0-9]*\).*/\1 us/p' "$g" | head -1)
		[ -n "$ms" ] && tap_diag "live update ($f): $ms"
	done
done
ls -la "$W/keep" | sed 's/^/# kept: /'
if [ "$restored" != "$NW" ] || [ "$captured" != "$NW" ]; then method=none; fi
lab_guest_log xw | tr -d '\r' | grep 'xswatch:' | tail -20 | sed 's/^/# guest: /'

lab_guest_destroy xw
rm -rf "$R"
echo "xs-watches: registered=$registered captured=$captured restored=$restored method=$method"
tap_done
