# Sourced by the migration scenarios (splice, splice-remus).
#
# lab_migrate_type: the lab_guest_start option for a guest this Xen can
# live-migrate. A PV guest's migration needs log-dirty mode, which for PV
# is shadow paging; Debian trixie's Xen 4.20 is built without
# CONFIG_SHADOW_PAGING (its boot log's "Compiled-in support:" has no
# SHADOW_PAGING, bookworm's 4.17 has), so `xl migrate` of a PV guest fails
# there: "Failed to enable logdirty: 95" (EOPNOTSUPP). A PVH guest's
# log-dirty uses HAP instead. Prints --pvh when xl info's virt_caps lacks
# "shadow", else nothing (the lab's default type, PV unless run --pvh).
lab_migrate_type() {
	_mt_caps=$(xl info 2>/dev/null | sed -n 's/^virt_caps *: //p')
	[ -z "$_mt_caps" ] || echo "$_mt_caps" | grep -qw shadow || echo --pvh
}
