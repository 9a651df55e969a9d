#!/bin/sh
# deb-install: ncmig as an operator installs it. A fresh dom0 (the lab's
# deb-install root: dkms, the running kernel's headers and linux-source,
# no ncmig file: tests/lab/image/debinst.sh) gets `make deb`'s packages
# with `apt-get install ./ncmig-dkms_*.deb ./ncmigd_*.deb`; from then on
# only what they installed is used: `modprobe xen-ncmig` for the stack,
# the patched xen-blkback/xen-netback from DKMS's tree (updates/dkms),
# /usr/sbin/ncmigd.
#
# DKMS's build: natively, before the boot, in a chroot of this dom0 root
# (tests/lab/deb/prebuild.sh: `dkms build` of the package's own source
# with dom0's gcc, headers and linux-source, then `dkms mktarball
# --binaries-only`), because under the lab's TCG the same build takes
# minutes. The archive goes where the package's postinst looks for
# prebuilt binaries (/usr/share/ncmig-dkms/ncmig-VERSION.dkms.tar.gz,
# dh_dkms's common.postinst): it loads it with `dkms ldtarball`, finds the
# modules built and `dkms install`s them. Asserted: the postinst loaded
# the archive and compiled nothing in dom0.
#
# Then, as the README's first install says: with no guest running, the
# stock backends are replaced by the packaged ones. A PV guest with one
# disk under verified I/O and one vif (dom0 pings it) is handed over
# DEB_HANDOVERS times (default 3, the last with --reload-modules, which
# reloads from updates/dkms); the packages are upgraded to a rebuild of
# the same sources (revision 2, its own prebuilt archive) while the guest
# runs, and `ncmigd update-backends` hands the guest's backends over onto
# the upgraded modules: the running xen-blkback and xen-netback must then
# be the files the upgrade installed (their GNU build ids). Throughout:
# the guest's disk does I/O and it answers ping after each step, no write
# to any state node of its vbd or vif (xenstore watches), 0 I/O and
# verify errors at the end. Last, `apt-get remove` takes ncmig away
# (DKMS's modules, /usr/sbin/ncmigd) and the stock backends load again.
#
# Ends with exactly:
# deb-install: packages=N dkms_built=1 handovers=N upgrade_handover=1 io_errors=0 reconnects=0
. /ncmig/dom0/lib.sh

HANDOVERS=${DEB_HANDOVERS:-3}
# The guest's I/O lasts at most this long; dom0 ends it after the last
# step. It must outlast the whole scenario (check-full bounds it by 2700 s):
# with 900 s it ran out during the upgrade, whose apt-get alone took 782 s
# in the lab, and the checks after the upgrade then saw an idle disk.
WL_SECONDS=${DEB_WL_SECONDS:-2700}
D=/ncmig/deb-install
NCMIGD=/usr/sbin/ncmigd
KVER=$(uname -r)
UPD=/lib/modules/$KVER/updates/dkms
W=/run/ncmig-lab/deb-install
rm -rf "$W"; mkdir -p "$W"
packages=0 dkms_built=0 handovers=0 upgrade_handover=0 io_errors=- reconnects=-
NAME=di

summary() {
	echo "deb-install: packages=$packages dkms_built=$dkms_built handovers=$handovers upgrade_handover=$upgrade_handover io_errors=$io_errors reconnects=$reconnects"
}
bail() { tap_not_ok "$1"; tap_done; summary; exit 1; }

# The packages of revision REV (1 or 2), and DKMS's version in them.
deb_of() { ls "$D/rev$1"/"$2"_*.deb 2>/dev/null | head -1; }
dkms_ver=$(ls "$D/rev1"/ncmig-*.dkms.tar.gz 2>/dev/null | sed 's|.*/ncmig-\(.*\)\.dkms\.tar\.gz$|\1|')
[ -n "$dkms_ver" ] && [ -f "$(deb_of 1 ncmig-dkms)" ] && [ -f "$(deb_of 2 ncmigd)" ] ||
	bail "the payload has both revisions' packages and prebuilt archives (tests/lab/deb/build.sh)"
tap_ok "the payload has both revisions' packages and prebuilt archives (ncmig $dkms_ver)"

# ---- a fresh dom0 -------------------------------------------------------------
fresh=yes
dpkg-query -W ncmig-dkms >/dev/null 2>&1 && fresh="ncmig-dkms installed"
dpkg-query -W ncmigd >/dev/null 2>&1 && fresh="ncmigd installed"
[ ! -e "$NCMIGD" ] || fresh="$NCMIGD exists"
[ ! -e /var/lib/dkms/ncmig ] || fresh="/var/lib/dkms/ncmig exists"
[ ! -d "$UPD" ] || [ -z "$(ls "$UPD")" ] || fresh="$UPD holds $(ls "$UPD" | tr '\n' ' ')"
tap_is "$fresh" yes "fresh dom0: no ncmig package, no ncmigd, no DKMS module"
tap_run "dom0 has dkms and the running kernel's headers" sh -c \
	"command -v dkms && test -d /lib/modules/$KVER/build"
tap_run "the stock xen-blkback and xen-netback serve (loaded by init, from kernel/)" sh -c \
	"test -e /sys/module/xen_blkback && test -e /sys/module/xen_netback &&
	 modinfo -k $KVER -n xen-blkback | grep -q /kernel/drivers/"

# ---- install ------------------------------------------------------------------
# apt_install REV: the operator's command, with DKMS's prebuilt archive of
# that revision where its postinst looks for one.
apt_install() {
	mkdir -p /usr/share/ncmig-dkms
	cp "$D/rev$1/ncmig-$dkms_ver.dkms.tar.gz" /usr/share/ncmig-dkms/ || return 1
	# 1800 s: an upgrade runs depmod twice over the kernel's whole
	# module tree (xz), 5+ min each under TCG (603 s was not enough
	# once; 955 s on a fresh machine, 2026-12-03).  The scenario's 2700 s
	# and the guest's workload (WL_SECONDS) still cover it.
	(cd "$D/rev$1" && DEBIAN_FRONTEND=noninteractive timeout 1800 apt-get install -y -q \
		--no-install-recommends "./$(basename "$(deb_of "$1" ncmig-dkms)")" \
		"./$(basename "$(deb_of "$1" ncmigd)")")
}
# installed REV: both packages installed, at revision REV.
installed() {
	n=0
	for p in ncmig-dkms ncmigd; do
		v=$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null)
		case $v in "install ok installed $dkms_ver-$1+"*) n=$((n + 1)) ;; esac
	done
	echo "$n"
}
# dkms_installed: DKMS says ncmig is installed for the running kernel and
# the four modules are in updates/dkms, where modprobe finds them first.
dkms_installed() {
	dkms status -m ncmig -v "$dkms_ver" -k "$KVER" | grep -q ": installed" || return 1
	for m in xen-backend-quiesce xen-ncmig xen-blkback xen-netback; do
		modinfo -k "$KVER" -n "$m" | grep -q "^$UPD/$m\.ko" || { echo "$m: $(modinfo -k "$KVER" -n "$m")"; return 1; }
	done
}
t0=$(cut -d' ' -f1 /proc/uptime)
if apt_install 1 >"$W/install1.out" 2>&1; then tap_ok "apt-get install ./ncmig-dkms ./ncmigd (revision 1) exits 0"
else tap_not_ok "apt-get install ./ncmig-dkms ./ncmigd (revision 1) exits 0"; fi
t1=$(cut -d' ' -f1 /proc/uptime)
sed 's/^/# install: /' "$W/install1.out" | grep -v 'Reading\|Building dep' | tail -40
install_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
lab_log "apt-get install (revision 1) took $install_s s"
packages=$(installed 1)
tap_is "$packages" 2 "ncmig-dkms and ncmigd installed at revision 1"
# DKMS 3.2 (trixie) says ncmig/VERSION, 3.0 (bookworm) ncmig-VERSION.
tap_run "the postinst loaded DKMS's prebuilt archive" grep -q "Loading tarball for ncmig[/-]$dkms_ver" "$W/install1.out"
tap_run "and compiled nothing in dom0" sh -c "! grep -q 'Building module\|Building initial module' '$W/install1.out'"
if dkms_installed >"$W/dkms.out" 2>&1; then
	dkms_built=1; tap_ok "DKMS installed ncmig $dkms_ver for $KVER: all four modules in updates/dkms"
else
	tap_not_ok "DKMS installed ncmig $dkms_ver for $KVER: all four modules in updates/dkms"
	sed 's/^/#   /' "$W/dkms.out"; dkms status 2>&1 | sed 's/^/#   /'
fi
tap_run "/usr/sbin/ncmigd --version says $dkms_ver" sh -c "$NCMIGD --version | grep -qx 'ncmigd $dkms_ver'"
tap_run "the man pages and bash completion are installed" test -f /usr/share/man/man8/ncmigd.8.gz \
	-a -f /usr/share/man/man4/xen-ncmig.4.gz -a -f /usr/share/bash-completion/completions/ncmigd
[ "$packages" = 2 ] && [ "$dkms_built" = 1 ] || bail "installed: nothing to go on with"

# ---- the first time: the packaged backends replace the stock ones -------------
# (README: with no guest running; on a production dom0, a reboot.)
rmmod xen_netback xen_blkback 2>"$W/rmmod.err"
tap_run "modprobe xen-ncmig loads the stack from updates/dkms" sh -c \
	"modprobe xen-ncmig && test -e /sys/module/xen_ncmig && test -e /sys/module/xen_backend_quiesce"
tap_run "modprobe xen-blkback xen-netback loads the patched ones (they register with the core)" sh -c \
	"modprobe -a xen-blkback xen-netback && test -e /sys/module/xen_backend_quiesce/holders/xen_blkback &&
	 test -e /sys/module/xen_backend_quiesce/holders/xen_netback"

# running_is_file MOD: the loaded MOD is the file modprobe finds (its GNU
# build id, as sysfs shows the loaded module's, is in that file).
hexof() { od -An -v -tx1 | tr -d ' \n'; }
ko_hex() {
	case $1 in
	*.xz) xz -dc "$1" | hexof ;;
	*.zst) zstd -dc "$1" | hexof ;;
	*) hexof <"$1" ;;
	esac
}
running_id() { hexof <"/sys/module/$(echo "$1" | tr - _)/notes/.note.gnu.build-id"; }
# has_running_id MOD FILE: FILE holds the loaded MOD's build id.
has_running_id() {
	_id=$(running_id "$1") && [ -n "$_id" ] || { echo "$1: no build id in sysfs"; return 1; }
	ko_hex "$2" | grep -qF "$_id" && return 0
	echo "$1: running build id $_id is not in $2"; return 1
}
running_is_file() { _f=$(modinfo -k "$KVER" -n "$1") && has_running_id "$1" "$_f"; }
for m in xen-blkback xen-netback; do
	tap_run "the running $m is DKMS's file in updates/dkms" running_is_file $m
done

# ---- a guest on them ----------------------------------------------------------------
# ncmigd's audit trail goes to syslog: a syslogd on /dev/log keeps it.
if [ ! -S /dev/log ]; then
	busybox syslogd -n -O "$W/syslog" &
	echo $! >"$W/syslogd.pid"
fi
domid=$(lab_guest_start $NAME --disks 1 --workload "wl_blk $WL_SECONDS")
[ -n "$domid" ] || bail "guest $NAME created"
tap_ok "guest $NAME created (domid $domid)"
lab_guest_result $NAME guest.ready 180 >/dev/null || tap_diag "$NAME never said guest.ready"
: >"$W/watch.pids"; : >"$W/watch.files"
for kind in vbd vif; do
	v=51712; [ $kind = vbd ] || v=0
	fe=$(lab_fe_path $NAME $kind $v)
	be=$(lab_be_path $NAME $kind $v)
	lab_xs_wait 60 "$be/state" 4
	lab_xs_wait 60 "$fe/state" 4
	tap_is "$(lab_xs_read "$fe/state")/$(lab_xs_read "$be/state")" 4/4 "$kind $v: frontend and backend Connected"
	echo "$fe" >>"$W/fe.paths"
	for p in "$fe" "$be"; do
		f=$W/watch.$(echo "$p" | tr / _)
		xenstore-watch "$p/state" >"$f" 2>&1 &
		echo $! >>"$W/watch.pids"
		echo "$f" >>"$W/watch.files"
	done
done
tap_is "$(readlink "/sys/bus/xen-backend/devices/vbd-$domid-51712/driver" | sed 's|.*/||')" vbd \
	"the guest's vbd is served by blkback"
io_sum() {
	s=/sys/bus/xen-backend/devices/vbd-$domid-51712/statistics
	echo $(($(cat $s/rd_req 2>/dev/null || echo 0) + $(cat $s/wr_req 2>/dev/null || echo 0)))
}
io_moves() {
	s0=$(io_sum)
	lab_wait 30 sh -c "s=/sys/bus/xen-backend/devices/vbd-$domid-51712/statistics; [ \$((\$(cat \$s/rd_req) + \$(cat \$s/wr_req))) != $s0 ]"
}
# served WHEN: assert the guest's disk does I/O and the guest answers ping.
served() {
	if io_moves && lab_wait 30 ping -c 1 -W 1 "$(lab_guest_ip $NAME)"; then
		tap_ok "$1: the guest's disk does I/O and it answers ping"
	else
		tap_not_ok "$1: the guest's disk does I/O and it answers ping"
		tap_diag "  io=$(io_sum) ping: $(ping -c 1 -W 1 "$(lab_guest_ip $NAME)" 2>&1 | tail -2 | tr '\n' ' ')"
	fi
}
lab_wait 60 sh -c "[ \$(cat /sys/bus/xen-backend/devices/vbd-$domid-51712/statistics/wr_req) -gt 0 ]"
served "before any handover"
# dom0 pings the guest all along (5/s): lost pings are reported.
ping -i 0.2 -W 1 "$(lab_guest_ip $NAME)" >"$W/ping.out" 2>&1 &
echo $! >"$W/ping.pid"

# handover I ARGS...: one ncmigd run (handover or update-backends), its
# output kept; 0 if it exits 0 and hands over the guest's two devices.
handover() {
	_i=$1; shift
	# NCMIG_TIMES: each step's time, the reload window's among them.
	if NCMIG_TIMES=1 timeout 300 "$NCMIGD" "$@" >"$W/out.$_i" 2>&1; then _rc=0; else _rc=$?; fi
	sed "s/^/# $_i: /" "$W/out.$_i"
	[ $_rc = 0 ] && grep -q "^d$domid: handover devices=2 " "$W/out.$_i"
}
i=0
while [ $i -lt "$HANDOVERS" ]; do
	i=$((i + 1))
	r=; [ $i != "$HANDOVERS" ] || r=--reload-modules
	if handover $i handover --domid "$domid" $r; then
		tap_ok "handover $i of d$domid${r:+ ($r, from updates/dkms)} with /usr/sbin/ncmigd"
		handovers=$((handovers + 1))
	else
		tap_not_ok "handover $i of d$domid${r:+ ($r, from updates/dkms)} with /usr/sbin/ncmigd"
	fi
	served "after handover $i"
done
tap_run "the reload loaded DKMS's xen-blkback again" running_is_file xen-blkback
# modprobe's plan, read before QUIESCE, was one insmod of DKMS's file:
# the window loaded it in-process, no modprobe ran there.
tap_run "the reload's loads were modprobe's own insmods, made in-process" sh -c \
	"grep -q \"check xen_blkback: modprobe's plan (loaded here)\" '$W/out.$HANDOVERS' &&
	 grep -q \"check xen_netback: modprobe's plan (loaded here)\" '$W/out.$HANDOVERS' &&
	 grep -q 'reload xen_blkback: insmod (0)' '$W/out.$HANDOVERS' &&
	 ! grep -q 'reload xen_[a-z]*: modprobe' '$W/out.$HANDOVERS'"

# ---- upgrade while the guest runs ------------------------------------------------
# Each revision's modules, as its archive carries them: after the upgrade
# the files in updates/dkms must be revision 2's.
for rev in 1 2; do
	mkdir -p "$W/ar$rev"
	tar -C "$W/ar$rev" -xzf "$D/rev$rev/ncmig-$dkms_ver.dkms.tar.gz"
done
ar_ko() { ls "$W/ar$1/dkms_main_tree/$KVER/x86_64/module/$2.ko"* | head -1; }
t0=$(cut -d' ' -f1 /proc/uptime)
if apt_install 2 >"$W/install2.out" 2>&1; then tap_ok "apt-get install of revision 2 (the upgrade) exits 0, the guest running"
else tap_not_ok "apt-get install of revision 2 (the upgrade) exits 0, the guest running"; fi
t1=$(cut -d' ' -f1 /proc/uptime)
lab_log "apt-get install (revision 2) took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
sed 's/^/# upgrade: /' "$W/install2.out" | grep -v 'Reading\|Building dep' | tail -30
tap_is "$(installed 2)" 2 "ncmig-dkms and ncmigd upgraded to revision 2"
tap_run "the upgrade's postinst loaded revision 2's archive, compiled nothing" sh -c \
	"grep -q 'Loading tarball for ncmig[/-]$dkms_ver' '$W/install2.out' &&
	 ! grep -q 'Building module\|Building initial module' '$W/install2.out'"
tap_run "DKMS installed revision 2's modules in updates/dkms" sh -c \
	"dkms status -m ncmig -v $dkms_ver -k $KVER | grep -q ': installed' &&
	 cmp \$(modinfo -k $KVER -n xen-blkback) $(ar_ko 2 xen-blkback) && cmp \$(modinfo -k $KVER -n xen-netback) $(ar_ko 2 xen-netback)"
# The rebuild's modules differ from revision 1's (their build ids: DKMS
# built them in another directory), so the running ones tell which
# revision serves: still revision 1's until update-backends reloads.
if has_running_id xen-blkback "$(ar_ko 1 xen-blkback)" >/dev/null 2>&1 &&
	! has_running_id xen-blkback "$(ar_ko 2 xen-blkback)" >/dev/null 2>&1; then
	tap_ok "before update-backends, the running xen-blkback is revision 1's, not the upgraded file"
	distinct=1
else
	tap_not_ok "before update-backends, the running xen-blkback is revision 1's, not the upgraded file"
	tap_diag "  (revision 1 and 2 may have built identical modules: then this cannot be told)"
	distinct=0
fi
served "after the upgrade, before update-backends"

i=$((i + 1))
if handover $i update-backends && grep -q "^update-backends: domains=1 devices=2 reload=1 " "$W/out.$i"; then
	tap_ok "ncmigd update-backends (revision 2's) handed d$domid over onto reloaded modules"
	handovers=$((handovers + 1)) up=1
else
	tap_not_ok "ncmigd update-backends (revision 2's) handed d$domid over onto reloaded modules"; up=0
fi
served "after update-backends"
for m in xen-blkback xen-netback; do
	if running_is_file $m >"$W/run.$m" 2>&1; then tap_ok "the running $m is revision 2's file"
	else tap_not_ok "the running $m is revision 2's file"; sed 's/^/#   /' "$W/run.$m"; up=0; fi
done
tap_is "$(readlink "/sys/bus/xen-backend/devices/vbd-$domid-51712/driver" | sed 's|.*/||')" vbd \
	"the guest's vbd is still served by blkback"
[ "$distinct" = 1 ] || up=0
upgrade_handover=$up

# ---- the guest noticed nothing ----------------------------------------------------
kill -INT "$(cat "$W/ping.pid")" 2>/dev/null; sleep 1	# INT: ping prints its summary
tap_diag "dom0's ping of the guest: $(grep -E 'packets transmitted' "$W/ping.out")"
if [ -f "$W/syslog" ]; then
	tap_run "syslog: ncmigd's audit of the reloads and of update-backends" sh -c \
		"grep -q 'ncmigd\[[0-9]*\]: backend modules reloaded for 1 domain' '$W/syslog' &&
		 grep -q 'ncmigd\[[0-9]*\]: update-backends: 1 domain(s) onto reloaded backends' '$W/syslog'"
fi
busy=0
! grep -q "NCMIG-RESULT.* wl.done=" "$LAB_CONSOLE_DIR/guest-$NAME.log" || busy=1
tap_is "$busy" 0 "every handover and the upgrade ran while the guest did I/O"
if lab_guest_stop_wl $NAME && lab_guest_wait_done $NAME 300; then tap_ok "the guest's I/O ended and verified"
else tap_not_ok "the guest's I/O ended and verified"; fi
while read -r p; do kill "$p" 2>/dev/null; done <"$W/watch.pids"
writes=0
while read -r f; do
	n=$(grep -c state "$f")
	[ "$n" = 1 ] || writes=$((writes + n - 1))
	tap_is "$n" 1 "${f##*/watch.}: state node never written (watch fired $n times)"
done <"$W/watch.files"
while read -r fe; do
	tap_is "$(lab_xs_read "$fe/state")" 4 "$fe still Connected"
done <"$W/fe.paths"
fe_lines=$(tr -d '\r' <"$LAB_CONSOLE_DIR/guest-$NAME.log" | grep -ci 'blkfront\|netfront' || :)
reconnects=$writes
io_errors=$(lab_guest_result $NAME blk.io_errors 5)
tap_is "$io_errors" 0 "0 I/O errors"
tap_is "$(lab_guest_result $NAME blk.verify_errors 5)" 0 "0 verify errors"
tap_cmp "$(lab_guest_result $NAME blk.final_units 5)" -gt 0 "the final verify pass read back written blocks"
tap_diag "guest: blk ops=$(lab_guest_result $NAME blk.ops 5) max_lat_ms=$(lab_guest_result $NAME blk.max_lat_ms 5); frontend console lines mentioning blkfront/netfront: $fe_lines"
# after-scenario.sh looks for sessions with the ncmigd on PATH, which the
# removal below takes away: the packaged one looks first.
tap_run "no handover session left (/usr/sbin/ncmigd status)" sh -c \
	"! timeout 10 $NCMIGD status | grep -E '^d[0-9]+ session:'"
lab_guest_destroy $NAME
[ -f "$W/syslogd.pid" ] && { kill "$(cat "$W/syslogd.pid")" 2>/dev/null; rm -f /dev/log; }

# ---- apt-get remove --------------------------------------------------------------
if DEBIAN_FRONTEND=noninteractive timeout 300 apt-get remove -y -q ncmig-dkms ncmigd >"$W/remove.out" 2>&1
then tap_ok "apt-get remove ncmig-dkms ncmigd exits 0"; else tap_not_ok "apt-get remove ncmig-dkms ncmigd exits 0"; fi
sed 's/^/# remove: /' "$W/remove.out" | tail -12
left=
[ -z "$(dkms status -m ncmig 2>/dev/null)" ] || left="$left dkms:$(dkms status -m ncmig | tr '\n' ' ')"
[ ! -e "$NCMIGD" ] || left="$left $NCMIGD"
for m in xen-backend-quiesce xen-ncmig xen-blkback xen-netback; do
	! ls "$UPD/$m.ko"* >/dev/null 2>&1 || left="$left $UPD/$m"
done
tap_is "${left:-none}" none "nothing of ncmig's is left installed"
# With no guest, the loaded (packaged) modules unload; a destroyed
# domain's backends may take a moment to go.
unload_ncmig() {
	lab_wait 30 sh -c 'for m in xen_netback xen_blkback xen_ncmig xen_backend_quiesce; do
		[ ! -e /sys/module/$m ] || rmmod $m 2>/dev/null; done
		! test -e /sys/module/xen_backend_quiesce' || { lsmod | grep xen_; return 1; }
}
if unload_ncmig >"$W/unload.out" 2>&1 && modprobe -a xen-blkback xen-netback &&
	modinfo -k "$KVER" -n xen-blkback | grep -q /kernel/drivers/ && running_is_file xen-blkback >>"$W/unload.out" 2>&1
then
	tap_ok "the stock backends load again from kernel/ (no guest: the packaged ones unload)"
else
	tap_not_ok "the stock backends load again from kernel/ (no guest: the packaged ones unload)"
	sed 's/^/#   /' "$W/unload.out"
fi


tap_done
rc=$?
summary
exit $rc
