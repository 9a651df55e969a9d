# Sourced by dom0/lib.sh and dom0/cleanup.sh: `xl destroy` with a time
# bound and, when it is slow, a record of what it waited on.
#
# lab_xl_destroy DOMAIN [BOUND]: xl destroy DOMAIN (name or domid), sent
# SIGTERM after BOUND seconds (default 60; as before, not SIGKILL: a
# destroy cut short leaves a dying domain behind). Returns xl's status. A
# destroy that takes longer than LAB_DESTROY_SLOW seconds (default 10)
# prints "# xl destroy DOMAIN: N s", what was seen every 5 s while it ran
# (xl's kernel stack, hotplug scripts, the domain's backends' states, xl
# list) and the end of xl's own debug log (-vvv), so that a slow teardown
# names its cause in the serial log.
lab_xl_destroy() {
	_xd_dom=$1 _xd_bound=${2:-60}
	_xd_out=$(mktemp /tmp/lab-destroy.XXXXXX)
	_xd_t0=$(cut -d' ' -f1 /proc/uptime)
	_xd_id=$(xl domid "$_xd_dom" 2>/dev/null)
	timeout "$_xd_bound" xl -vvv destroy "$_xd_dom" >"$_xd_out.xl" 2>&1 &
	_xd_pid=$!
	_xd_n=0
	while kill -0 "$_xd_pid" 2>/dev/null; do
		sleep 0.2
		_xd_n=$((_xd_n + 1))
		[ $((_xd_n % 25)) = 0 ] || continue
		{
			echo "at $(cut -d' ' -f1 /proc/uptime):"
			for _xd_p in $(pgrep -x xl); do
				echo "  xl $_xd_p $(cut -d' ' -f3 "/proc/$_xd_p/stat" 2>/dev/null) wchan=$(cat "/proc/$_xd_p/wchan" 2>/dev/null)"
				sed 's/^/    /' "/proc/$_xd_p/stack" 2>/dev/null | head -8
			done
			for _xd_p in $(pgrep -f '/etc/xen/scripts|hotplug'); do
				echo "  script $_xd_p: $(tr '\0' ' ' <"/proc/$_xd_p/cmdline" 2>/dev/null | cut -c1-80)"
			done
			[ -z "$_xd_id" ] || for _xd_b in $(xenstore-list /local/domain/0/backend 2>/dev/null); do
				for _xd_d in $(xenstore-list "/local/domain/0/backend/$_xd_b/$_xd_id" 2>/dev/null); do
					echo "  $_xd_b/$_xd_id/$_xd_d state=$(xenstore-read "/local/domain/0/backend/$_xd_b/$_xd_id/$_xd_d/state" 2>/dev/null)"
				done
			done
			xl list 2>/dev/null | awk 'NR > 1 { print "  xl list: " $0 }'
		} >>"$_xd_out" 2>&1
	done
	wait "$_xd_pid"
	_xd_rc=$?
	_xd_t=$(awk -v a="$_xd_t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
	if awk -v t="$_xd_t" -v s="${LAB_DESTROY_SLOW:-10}" 'BEGIN { exit !(t > s) }'; then
		echo "# xl destroy $_xd_dom (domid ${_xd_id:-?}): $_xd_t s, rc=$_xd_rc"
		sed 's/^/#   /' "$_xd_out"
		tail -40 "$_xd_out.xl" | sed 's/^/#   xl: /'
		xl list 2>/dev/null | awk 'NR > 1 { print "#   after: xl list: " $0 }'
	fi
	rm -f "$_xd_out" "$_xd_out.xl"
	return "$_xd_rc"
}

# lab_destroy_report NAME T0 T1: after lab_guest_destroy NAME, which began
# at uptime T0 and whose xl destroy ended at T1: one line if it was slow.
lab_destroy_report() {
	awk -v n="$1" -v a="$2" -v b="$3" -v c="$(cut -d' ' -f1 /proc/uptime)" \
		-v s="${LAB_DESTROY_SLOW:-10}" 'BEGIN {
		if (c - a > s)
			printf "# lab_guest_destroy %s: %.1f s (xl destroy %.1f s, then %.1f s)\n", n, c - a, b - a, c - b }'
}
