# shellcheck shell=sh
# The lab's scenario API, sourced by tests/lab/scenarios/NAME.sh in dom0.
# POSIX sh (dash), the toolstack and the payload at /ncmig; nothing else.
# Documented in tests/lab/README.md.

LAB_STATE=/var/lib/ncmig-lab
LAB_CONSOLE_DIR=/var/log/xen/console
LAB_BRIDGE=xenbr0
LAB_DOM0_IP=169.254.99.1
LAB_NET_PORT=5001
LAB_HOTPLUG=/ncmig/dom0/hotplug
LAB_GUEST_KERNEL=/lab/vmlinux
LAB_GUEST_INITRD=/ncmig/guest/initramfs.cpio.gz
# tests/lab/run --pvh makes PVH the default guest type.
LAB_PVH=${NCMIG_PVH:-0}
# Guest kernel arguments every PVH guest gets. nox2apic: with x2APIC, 2 of
# 6 PVH guests triple-faulted at boot on trixie (one just after an x2APIC
# EOI, wrmsr 0x80b), none of 12 with it (pvh-boot, 2026-12-02;
# tests/lab/README.md). NCMIG_LAB_PVH_CMDLINE=" " turns it off.
LAB_PVH_CMDLINE=${NCMIG_LAB_PVH_CMDLINE:-nox2apic}
# NCMIG_LAB_PVH_HAP=0: PVH guests on shadow paging, not HAP (Xen 4.17 only:
# Debian's 4.20 has no shadow). HAP under QEMU's TCG is nested paging
# emulated by QEMU, the suspect in PVH's run-time triple faults.
LAB_PVH_HAP=${NCMIG_LAB_PVH_HAP:-}
mkdir -p "$LAB_STATE" /run/ncmig-lab
# fd 9: the scenario's own stdout (the serial console), for background
# helpers started from inside $(...).
exec 9>&1
. /ncmig/dom0/lib-diag.sh

# ---- TAP ----------------------------------------------------------------
TAP_N=0
TAP_FAILED=0
TAP_PLANNED=

# tap_plan N: announce N tests (optional; tap_done prints the plan otherwise).
tap_plan() { TAP_PLANNED=$1; echo "1..$1"; }
tap_ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
tap_not_ok() {
	TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $*"
}
tap_diag() { echo "# $*"; }
# tap_skip DESC REASON
tap_skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP ${2:-}"; }
# tap_is GOT WANT DESC
tap_is() {
	if [ "$1" = "$2" ]; then tap_ok "$3"; else
		tap_not_ok "$3"; tap_diag "  got: '$1'"; tap_diag "  expected: '$2'"
	fi
}
# tap_cmp GOT OP WANT DESC, OP one of test(1)'s -eq -ne -lt -le -gt -ge
tap_cmp() {
	if [ -n "$1" ] && test "$1" "$2" "$3" 2>/dev/null; then tap_ok "$4 ($1 $2 $3)"; else
		tap_not_ok "$4"; tap_diag "  got: '$1', expected $2 $3"
	fi
}
# tap_run DESC CMD...: ok if CMD exits 0; its output goes to diag lines.
tap_run() {
	_d=$1; shift
	if _out=$("$@" 2>&1); then tap_ok "$_d"; else
		tap_not_ok "$_d"; printf '%s\n' "$_out" | tail -20 | sed 's/^/#   /'
	fi
}
# tap_done: print the plan if none was given, dump state on failure, and
# return the scenario's exit status (use as the script's last command).
tap_done() {
	[ -n "$TAP_PLANNED" ] || echo "1..$TAP_N"
	if [ -n "$TAP_PLANNED" ] && [ "$TAP_PLANNED" != "$TAP_N" ]; then
		tap_diag "planned $TAP_PLANNED tests, ran $TAP_N"; TAP_FAILED=$((TAP_FAILED + 1))
	fi
	lab_dump_on_fail
	[ "$TAP_FAILED" = 0 ]
}

# lab_hang WHAT: a bounded wait that proves "no hang" expired. Counted by
# tests/lab/run (the kernel-races line's hangs=) and fails the scenario.
lab_hang() { echo "NCMIG-HANG: $*"; tap_not_ok "no hang: $*"; }

# lab_kernel_reports_expected WHY: this scenario provokes dom0 kernel
# reports on purpose (Linux's own rebind does, in the baselines). They are
# still counted and shown by dom0/after-scenario.sh, but do not fail it.
lab_kernel_reports_expected() { echo "$*" >/run/ncmig-lab/kernel-reports-expected; }

lab_log() { echo "# [$(cut -d' ' -f1 /proc/uptime)] $*"; }

# ---- waiting --------------------------------------------------------------
# lab_wait SECONDS CMD...: poll CMD every 0.2 s until it succeeds; 1 on timeout.
lab_wait() {
	_t=$1; shift
	timeout "$_t" sh -c 'until "$@" >/dev/null 2>&1; do sleep 0.2; done' lab_wait "$@"
}
# lab_xs_read PATH: xenstore-read, empty output if missing; bounded.
lab_xs_read() { timeout 10 xenstore-read "$1" 2>/dev/null; }
lab_xs_write() { timeout 10 xenstore-write "$@"; }
lab_xs_list() { timeout 10 xenstore-list "$1" 2>/dev/null; }
# lab_xs_wait SECONDS PATH VALUE: wait until the node holds VALUE.
lab_xs_wait() {
	lab_wait "$1" sh -c '[ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ]' x "$2" "$3"
}

# ---- guests -----------------------------------------------------------------
# Guest state lives in $LAB_STATE/NAME/: xl.cfg, disk images, domid, ip.
_lab_guest_ip_next() {
	_n=$(cat "$LAB_STATE/.ipnext" 2>/dev/null || echo 2)
	echo $((_n + 1)) >"$LAB_STATE/.ipnext"
	echo "169.254.99.$_n"
}

# lab_guest_start NAME [--pv|--pvh] [--disks N] [--disk-mib M] [--vcpus N]
#   [--memory MB] [--workload "SHELL"] [--ip A.B.C.D] [--no-vif]
#   [--xl "extra xl.cfg line"]... [--cmdline "guest kernel args"]...
# Creates a PV (default; PVH under run --pvh) or PVH guest with N (default 1) blkback disks over
# loop devices (xvda, xvdb, ...) and one vif on xenbr0, prints its domid.
# The workload is guest shell code (see README: wl_* helpers), run once the
# guest's devices are up. --cmdline appends to the guest's kernel command
# line (xl.cfg extra=; no double quotes), e.g. options for the frontends
# the guest's init loads: "ncmig.opt.xen-blkfront=max_ring_page_order=2"
# (ncmig.opt.MODULE=P=V,P2=V2 becomes insmod MODULE.ko P=V P2=V2).
lab_guest_start() {
	_name=$1; shift
	_type=pv _disks=1 _mib=128 _vcpus=2 _mem=320 _wl='' _ip='' _vif=1 _xl='' _cmdline=''
	if [ "$LAB_PVH" = 1 ]; then _type=pvh; fi
	while [ $# -gt 0 ]; do
		case $1 in
		--pvh) _type=pvh ;;
		--pv) _type=pv ;;
		--disks) _disks=$2; shift ;;
		--disk-mib) _mib=$2; shift ;;
		--vcpus) _vcpus=$2; shift ;;
		--memory) _mem=$2; shift ;;
		--workload) _wl=$2; shift ;;
		--ip) _ip=$2; shift ;;
		--no-vif) _vif= ;;
		--xl) _xl="$_xl
$2"; shift ;;
		--cmdline)
			case $2 in *'"'*)
				echo "lab_guest_start: --cmdline cannot hold a double quote" >&2
				return 2 ;;
			esac
			_cmdline="$_cmdline $2"; shift ;;
		*) echo "lab_guest_start: unknown option $1" >&2; return 2 ;;
		esac
		shift
	done
	# A PVH guest's recipe: LAB_PVH_CMDLINE.
	[ "$_type" != pvh ] || _cmdline="$_cmdline${LAB_PVH_CMDLINE:+ $LAB_PVH_CMDLINE}"
	_dir=$LAB_STATE/$_name
	rm -rf "$_dir"; mkdir -p "$_dir"
	[ -n "$_ip" ] || _ip=$(_lab_guest_ip_next)
	echo "$_ip" >"$_dir/ip"
	_disk_cfg='' _i=0
	for _l in a b c d e f g h i j k l m n o p; do
		[ $_i -lt "$_disks" ] || break
		truncate -s "${_mib}M" "$_dir/disk$_i.img"
		_loop=$(losetup -f --show "$_dir/disk$_i.img") || return 1
		echo "$_loop" >>"$_dir/loops"
		_disk_cfg="$_disk_cfg'format=raw,vdev=xvd$_l,access=rw,script=$LAB_HOTPLUG/block,target=$_loop',"
		_i=$((_i + 1))
	done
	_mac=$(printf '00:16:3e:99:%02x:%02x' "${_ip##*.}" 0)
	_wlb64=$(printf '%s' "$_wl" | base64 -w0)
	{
		echo "name = \"$_name\""
		echo "type = \"$_type\""
		echo "kernel = \"$LAB_GUEST_KERNEL\""
		echo "ramdisk = \"$LAB_GUEST_INITRD\""
		echo "extra = \"console=hvc0 loglevel=4 ncmig.ip=$_ip/24 ncmig.peer=$LAB_DOM0_IP ncmig.name=$_name ncmig.wl=$_wlb64$_cmdline\""
		echo "memory = $_mem"
		echo "vcpus = $_vcpus"
		echo "disk = [ $_disk_cfg ]"
		[ -z "$_vif" ] || echo "vif = [ 'mac=$_mac,bridge=$LAB_BRIDGE,script=$LAB_HOTPLUG/vif' ]"
		[ "$_type" = pvh ] && echo 'tsc_mode = "native"'
		[ "$_type" != pvh ] || [ -z "$LAB_PVH_HAP" ] || echo "hap = $LAB_PVH_HAP"
		echo 'on_poweroff = "destroy"'
		echo 'on_crash = "preserve"'
		# A guest that reboots (a panic, a triple fault) stays, to be
		# seen: restarted, it would be another domain to every test.
		echo 'on_reboot = "preserve"'
		printf '%s\n' "$_xl"
	} >"$_dir/xl.cfg"
	_try=1
	while :; do
		rm -f "$LAB_CONSOLE_DIR/guest-$_name.log"
		if ! timeout 180 xl create -q "$_dir/xl.cfg" >"$_dir/xl-create.log" 2>&1; then
			sed 's/^/# xl: /' "$_dir/xl-create.log" >&2
			return 1
		fi
		_domid=$(timeout 30 xl domid "$_name") || return 1
		echo "$_domid" >"$_dir/domid"
		_lab_guest_booted "$_name" 60
		_booted=$?
		if [ $_booted != 1 ] || [ $_try != 1 ] || [ "${LAB_GUEST_RETRY:-1}" = 0 ]; then
			break
		fi
		# Once in a make check run, a guest kernel died at 2.7 s
		# (TCG ran an int3 that text patching had already removed):
		# the lab's fault, not the test's, so such a guest is
		# created once more.
		echo "# guest $_name (d$_domid): its kernel died before init; created again" >&2
		{ tr -d '\r' <"$LAB_CONSOLE_DIR/guest-$_name.log"; } 2>/dev/null | grep -m 3 "RIP:\|Kernel panic\|BUG:" |
			sed 's/^/#   /' >&2
		lab_xl_destroy "$_name" 60 >&2
		_try=2
	done
	[ "${NCMIG_DEMO:-}" != 1 ] || _lab_demo_follow "$_name"
	echo "$_domid"
}

# In demo mode, echo the guest's console to the serial log as it runs.
# setsid: its own process group, so lab_guest_destroy stops tail and sed.
_lab_demo_follow() {
	setsid sh -c 'tail -n +1 -F "$1" 2>/dev/null | sed -u "s/^/guest $2| /"' \
		follow "$LAB_CONSOLE_DIR/guest-$1.log" "$1" >&9 2>&1 &
	echo $! >"$LAB_STATE/$1/follower"
	echo $! >>/run/ncmig-lab/followers
}

# _lab_guest_booted NAME SECONDS: 0 once the guest's init has run, 1 if its
# kernel died first, 2 if neither showed on its console in time.
_lab_guest_booted() {
	_gb_f=$LAB_CONSOLE_DIR/guest-$1.log
	_gb_end=$(($(cut -d. -f1 /proc/uptime) + $2)) _gb_n=0
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $_gb_end ]; do
		grep -q "NCMIG-BOOT init" "$_gb_f" 2>/dev/null && return 0
		grep -q "Kernel panic" "$_gb_f" 2>/dev/null && return 1
		# A triple fault prints nothing: the domain is left shut
		# down or crashed (on_reboot, on_crash: preserve).
		_gb_n=$((_gb_n + 1))
		if [ $((_gb_n % 5)) = 0 ]; then
			case $(xl list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }') in
			*[sc]*) return 1 ;;
			esac
		fi
		sleep 0.2
	done
	return 2
}

lab_guest_domid() { cat "$LAB_STATE/$1/domid" 2>/dev/null; }
# lab_guest_type NAME: pv or pvh, as created.
lab_guest_type() { sed -n 's/^type = "\(.*\)"$/\1/p' "$LAB_STATE/$1/xl.cfg" 2>/dev/null; }
lab_guest_ip() { cat "$LAB_STATE/$1/ip" 2>/dev/null; }

# lab_guest_destroy NAME: destroy the domain, free its loop devices and files.
. /ncmig/dom0/lib-destroy.sh
lab_guest_destroy() {
	_gd_t0=$(cut -d' ' -f1 /proc/uptime)
	lab_xl_destroy "$1" 60
	_gd_t1=$(cut -d' ' -f1 /proc/uptime)
	if [ -f "$LAB_STATE/$1/follower" ]; then
		sleep 1	# the console's last lines
		kill -TERM "-$(cat "$LAB_STATE/$1/follower")" 2>/dev/null
	fi
	if [ -f "$LAB_STATE/$1/loops" ]; then
		while read -r _l; do losetup -d "$_l" 2>/dev/null; done <"$LAB_STATE/$1/loops"
	fi
	rm -rf "${LAB_STATE:?}/$1"
	lab_destroy_report "$1" "$_gd_t0" "$_gd_t1"
}

lab_guest_log() { cat "$LAB_CONSOLE_DIR/guest-$1.log" 2>/dev/null; }

# lab_guest_result NAME KEY [SECONDS]: wait (default 120 s) for a
# "NCMIG-RESULT ... KEY=VALUE" line on the guest console; print the last VALUE.
lab_guest_result() {
	_f=$LAB_CONSOLE_DIR/guest-$1.log
	if ! lab_wait "${3:-120}" grep -q "NCMIG-RESULT.* $2=" "$_f"; then
		return 1
	fi
	tr -d '\r' <"$_f" | grep "NCMIG-RESULT.* $2=" | tail -1 |
		tr ' ' '\n' | sed -n "s/^$2=//p" | tail -1
}
# lab_guest_stop_wl NAME: end the guest's workload now (blkverify runs its
# final verify pass, netstream's clients end cleanly, both report as at the
# end of --seconds): one line typed on the guest's console, which its init
# watches. Fails unless the guest says it did so within 30 s.
lab_guest_stop_wl() {
	_tty=$(lab_xs_read "/local/domain/$(lab_guest_domid "$1")/console/tty")
	[ -n "$_tty" ] && echo ncmig-stop >"$_tty" &&
		lab_guest_result "$1" wl.stop 30 >/dev/null
}

# lab_guest_wait_done NAME [SECONDS]: wait for the workload to finish.
lab_guest_wait_done() { lab_guest_result "$1" wl.done "${2:-600}" >/dev/null; }

# Frontend and backend xenstore paths of a guest's devices.
# lab_fe_path NAME vbd|vif DEVID ; lab_be_path NAME vbd|vif DEVID
lab_fe_path() { echo "/local/domain/$(lab_guest_domid "$1")/device/$2/$3"; }
lab_be_path() { lab_xs_read "$(lab_fe_path "$@")/backend"; }
# lab_devids NAME vbd|vif: the guest's device ids (51712 ... / 0 ...).
lab_devids() { lab_xs_list "/local/domain/$(lab_guest_domid "$1")/device/$2"; }

# lab_vif_attach NAME MAC: hot-plug a vif on the lab's bridge with the lab's
# hotplug script; xl's lines go to stderr. Each option is an argument of
# its own: xl network-attach reads "mac=M,bridge=B,script=S" as one mac
# and leaves bridge and script at their defaults (Debian's vif-bridge,
# which in CI on bookworm ran past libxl's 40 s and left the vif without
# its hotplug). If xl still runs at 20 s, what it waits on is reported.
lab_vif_attach() {
	timeout 120 xl network-attach "$1" "mac=$2" "bridge=$LAB_BRIDGE" \
		"script=$LAB_HOTPLUG/vif" >"$LAB_STATE/vif-attach.out" 2>&1 &
	_va_x=$!
	_va_n=0
	while kill -0 "$_va_x" 2>/dev/null; do
		sleep 0.2
		_va_n=$((_va_n + 1))
		[ "$_va_n" != 100 ] || lab_hotplug_report "$1" "$_va_x" >&2
	done
	wait "$_va_x"
	_va_rc=$?
	sed 's/^/# xl: /' "$LAB_STATE/vif-attach.out" >&2
	return "$_va_rc"
}

# lab_hotplug_report NAME PID: the guest's vif script nodes, and PID's
# descendants (xl, its hotplug scripts and theirs): state, wchan, stack.
lab_hotplug_report() {
	_hr_d=$(lab_guest_domid "$1")
	echo "# xl network-attach $1 still running after 20 s:"
	for _hr in $(lab_xs_list "/local/domain/0/backend/vif/$_hr_d"); do
		echo "#   vif $_hr script: $(lab_xs_read "/local/domain/0/backend/vif/$_hr_d/$_hr/script")"
	done
	_hr_todo=$2
	while [ -n "$_hr_todo" ]; do
		set -- $_hr_todo
		_hr=$1
		shift
		_hr_todo="$* $(pgrep -P "$_hr" | tr '\n' ' ')"
		_hr_todo=${_hr_todo# }
		echo "#   $_hr: $(tr '\0' ' ' <"/proc/$_hr/cmdline" 2>/dev/null)" \
			"state $(awk '{print $3}' "/proc/$_hr/stat" 2>/dev/null)" \
			"wchan $(cat "/proc/$_hr/wchan" 2>/dev/null)"
		sed 's/^/#     /' "/proc/$_hr/stack" 2>/dev/null
	done
}

# ---- dom0 network peer ------------------------------------------------------
# lab_netserver_start: netstream's TCP sink/source and UDP echo on the bridge.
lab_netserver_start() {
	netstream serve --port "$LAB_NET_PORT" --tag srv >/run/ncmig-lab/netserver.out 2>&1 &
	echo $! >/run/ncmig-lab/netserver.pid
	lab_wait 10 sh -c "grep -q listening /run/ncmig-lab/netserver.out"
}
# lab_netserver_stop: stop it and print its NCMIG-RESULT lines.
lab_netserver_stop() {
	_p=$(cat /run/ncmig-lab/netserver.pid 2>/dev/null) || return 0
	kill "$_p" 2>/dev/null
	timeout 10 sh -c "while kill -0 $_p 2>/dev/null; do sleep 0.1; done"
	rm -f /run/ncmig-lab/netserver.pid
	grep NCMIG-RESULT /run/ncmig-lab/netserver.out
}
# lab_netserver_result KEY: a value the server reported (after stop).
lab_netserver_result() {
	grep NCMIG-RESULT /run/ncmig-lab/netserver.out | tail -1 |
		tr ' ' '\n' | sed -n "s/^$1=//p" | tail -1
}

# ---- modules ----------------------------------------------------------------
# lab_load_ncmig_modules: insmod our modules from the payload (if present).
# xen-backend-quiesce needs crc32c(): libcrc32c on 6.1/6.12 (from 6.14 on
# it is in the kernel image, and there is no such module).
lab_load_ncmig_modules() {
	modprobe -q libcrc32c 2>/dev/null || :
	for _m in xen-backend-quiesce xen-ncmig; do
		_ko=/ncmig/modules/$_m.ko
		[ -f "$_ko" ] || { echo "# lab: $_ko not in payload" >&2; return 1; }
		lsmod | grep -q "^$(echo "$_m" | tr - _) " || insmod "$_ko" || return 1
	done
}
# lab_have_patched_backends [DIR]: true if DIR (default: the payload's
# /ncmig/backends) carries them.
lab_have_patched_backends() {
	[ -f "${1:-/ncmig/backends}/xen-blkback.ko" ] && [ -f "${1:-/ncmig/backends}/xen-netback.ko" ]
}
# lab_use_patched_backends [DIR]: replace the stock xen-blkback/xen-netback
# by the payload's patched ones, or by those in DIR (another build of the
# series, e.g. without its last fix). Must run while no guest uses a backend.
# The patched ones register with xen-backend-quiesce (they need its
# symbols): it is loaded first, once, and stays; only the backends reload.
lab_use_patched_backends() {
	_bk=${1:-/ncmig/backends}
	lab_have_patched_backends "$_bk" || { echo "# lab: no patched backends in $_bk" >&2; return 1; }
	lab_load_xbq || return 1
	for _m in xen_blkback xen_netback; do
		if lsmod | grep -q "^$_m "; then rmmod "$_m" || return 1; fi
	done
	insmod "$_bk/xen-blkback.ko" || return 1
	insmod "$_bk/xen-netback.ko" || return 1
}
# lab_load_xbq: the core, xen-backend-quiesce, unless it is loaded.
lab_load_xbq() {
	lsmod | grep -q "^xen_backend_quiesce " && return 0
	[ -f /ncmig/modules/xen-backend-quiesce.ko ] ||
		{ echo "# lab: /ncmig/modules/xen-backend-quiesce.ko not in payload" >&2; return 1; }
	modprobe -q libcrc32c 2>/dev/null || :	# its crc32c() (6.1, 6.12)
	insmod /ncmig/modules/xen-backend-quiesce.ko
}
# lab_use_stock_backends: back to Debian's modules.
lab_use_stock_backends() {
	for _m in xen_blkback xen_netback; do
		if lsmod | grep -q "^$_m "; then rmmod "$_m" || return 1; fi
	done
	modprobe -a xen-blkback xen-netback
}

# ---- diagnostics ------------------------------------------------------------
# lab_dump_on_fail: if a test failed, print every guest's console log and the
# tail of dmesg as TAP comments.
lab_dump_on_fail() {
	[ "$TAP_FAILED" != 0 ] || return 0
	lab_dump
}
lab_dump() {
	for _f in "$LAB_CONSOLE_DIR"/guest-*.log; do
		[ -f "$_f" ] || continue
		echo "# ---- $(basename "$_f") (last 60 lines)"
		tail -60 "$_f" | tr -d '\r' | sed 's/^/#   /'
	done
	echo "# ---- xl list"
	timeout 20 xl list 2>&1 | sed 's/^/#   /'
	echo "# ---- dmesg (last 40 lines)"
	dmesg | tail -40 | sed 's/^/#   /'
}
