# shellcheck shell=sh
# dom0's kernel log per scenario: dom0/init collects /dev/kmsg from boot
# into /run/ncmig-kmsg.log and marks each scenario's start in it.
# Sourced by after-scenario.sh and by scenarios that count reports
# themselves (soak). NCMIG_KMSG: another log (lab-selftest's check).

# What a dom0 must never print. The hung-task detector is armed by init.
LAB_KREPORTS='WARNING:|BUG:|Oops|INFO: task .* blocked|blocked for more than|general protection|refcount_t:|list_add corruption|list_del corruption|UBSAN:|KASAN:'

# lab_kmsg_slice NAME: the kernel's lines since scenario NAME began (the
# whole log if it has no mark: judge everything rather than nothing).
lab_kmsg_slice() { lab_kmsg_since "ncmig-lab: scenario $1 begin"; }

# lab_kmsg_since MARK: the same, since the last line holding MARK.
lab_kmsg_since() {
	_kmsg=${NCMIG_KMSG:-/run/ncmig-kmsg.log}
	_mark=$1
	if grep -q "$_mark" "$_kmsg" 2>/dev/null; then
		sed -n "/$_mark/,\$p" "$_kmsg" | cut -d';' -f2-
	else
		dmesg
	fi
}

# lab_kreports_since NAME: the report lines among them.
lab_kreports_since() { lab_kmsg_slice "$1" | grep -E "$LAB_KREPORTS"; }
