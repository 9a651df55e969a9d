# shellcheck shell=sh
# Helpers for workloads (ncmig.wl), run by the guest's busybox sh.
# Every tool prints its own NCMIG-RESULT lines; dom0 reads them from the
# guest's console log.

# wl_disks: the guest's xvd* block devices, as /dev paths.
wl_disks() { for d in /sys/block/xvd*; do [ -e "$d" ] && echo "/dev/${d##*/}"; done; }

# wl_blk SECONDS [blkverify options]: verified I/O at QD 16 on every disk.
# shellcheck disable=SC2046 # one device per word
wl_blk() { _s=$1; shift; blkverify --seconds "$_s" "$@" $(wl_disks); }

# wl_tcp SECONDS [netstream options]: a paced TCP stream both ways with dom0.
wl_tcp() { _s=$1; shift; netstream tcp-client "$NCMIG_PEER" --seconds "$_s" "$@"; }

# wl_ping SECONDS [netstream options]: UDP pings to dom0, 100/s by default.
wl_ping() { _s=$1; shift; netstream udp-ping "$NCMIG_PEER" --seconds "$_s" "$@"; }

# wl_all SECONDS: block, TCP and ping load at once; waits for all three.
wl_all() {
	wl_blk "$1" & _b=$!
	wl_tcp "$1" & _t=$!
	wl_ping "$1" & _p=$!
	_rc=0
	wait $_b || _rc=$?
	wait $_t || _rc=$?
	wait $_p || _rc=$?
	return $_rc
}

# wl_result KEY=VALUE...: report extra values to dom0.
wl_result() { echo "NCMIG-RESULT $*"; }

# wl_serve [netstream opts]: a netstream server in the guest, in the
# background, so dom0 can be the client (netstream tcp-client GUEST_IP).
wl_serve() { netstream serve "$@" & }
