#!/bin/sh
# mk/deb-check.sh: check the packages `make deb` built in $BUILD/deb/ (TAP),
# then build ncmig-dkms with DKMS for the target kernel's $KVER headers (in
# its build root for another release than the host's), in a
# private DKMS tree (nothing is installed). Ends with
# "deb-check[TARGET]: N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
: "${BUILD:?}" "${KVER:?}" "${TARGET:?}"
deb=$BUILD/deb
ver=$(cat "$top/VERSION")
t=$BUILD/deb-check
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { _what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$_what"; else not_ok "$_what"; fi; }

rm -rf "$t"
mkdir -p "$t/dkms-src" "$t/tool" "$t/dkms"
dkms_deb=$(ls "$deb"/ncmig-dkms_"$ver"-*_all.deb 2>/dev/null | head -1)
tool_deb=$(ls "$deb"/ncmigd_"$ver"-*_*.deb 2>/dev/null | grep -v dbgsym | head -1)
check "ncmig-dkms and ncmigd were built" test -f "$dkms_deb" -a -f "$tool_deb"
dpkg-deb -x "$dkms_deb" "$t/dkms-src" 2>/dev/null
dpkg-deb -x "$tool_deb" "$t/tool" 2>/dev/null
src=$t/dkms-src/usr/src/ncmig-$ver

check "ncmigd ships /usr/sbin/ncmigd, its man page and bash completion" \
	test -x "$t/tool/usr/sbin/ncmigd" -a -f "$t/tool/usr/share/man/man8/ncmigd.8.gz" \
	-a -f "$t/tool/usr/share/bash-completion/completions/ncmigd"
check "the packaged ncmigd --version says $ver" \
	sh -c "'$t/tool/usr/sbin/ncmigd' --version | grep -qx 'ncmigd $ver'"
# The man page comes from the tool's help: every verb is in it.
verbs=$("$t/tool/usr/sbin/ncmigd" --help 2>/dev/null | sed -n 's/^  \([a-z-]*\) .*/\1/p')
missing=
for v in $verbs; do
	zcat "$t/tool/usr/share/man/man8/ncmigd.8.gz" | sed 's/\\-/-/g' |
		grep -q "ncmigd $v" || missing="$missing $v"
done
if [ -n "$verbs" ] && [ -z "$missing" ]; then ok "ncmigd(8) documents every verb ($(echo $verbs))"
else not_ok "ncmigd(8) documents every verb (missing:$missing)"; fi

check "ncmig-dkms ships dkms.conf for ncmig $ver" grep -q "PACKAGE_VERSION=\"$ver\"" "$src/dkms.conf"
# Only our own files: each one is a file of this tree, or dkms.conf.
foreign=$(cd "$src" && find . -type f ! -name dkms.conf ! -name dkms.mk | sed 's|^\./||' |
	while read -r f; do [ -f "$top/$f" ] || echo "$f"; done)
if [ -z "$foreign" ]; then ok "ncmig-dkms carries no file that is not ncmig's (no kernel source)"
else not_ok "ncmig-dkms carries foreign files: $foreign"; fi

# DKMS, as on a dom0, for this machine's kernel headers.
if [ ! -d "/lib/modules/$KVER/build" ]; then
	not_ok "DKMS build for $KVER: no /lib/modules/$KVER/build (linux-headers-$KVER)"
else
	start=$(date +%s)
	if dkms add -m ncmig -v "$ver" --sourcetree "$t/dkms-src/usr/src" --dkmstree "$t/dkms" >"$t/dkms.log" 2>&1 &&
		dkms build -m ncmig -v "$ver" -k "$KVER" --sourcetree "$t/dkms-src/usr/src" \
			--dkmstree "$t/dkms" >>"$t/dkms.log" 2>&1; then
		ok "DKMS built ncmig $ver for $KVER in $(( $(date +%s) - start )) s"
	else
		not_ok "DKMS built ncmig $ver for $KVER (log: $t/dkms.log)"
		tail -20 "$t/dkms.log" | sed 's/^/#   /'
	fi
	mods=$t/dkms/ncmig/$ver/$KVER/x86_64/module
	# ko NAME: the module file DKMS made (it may compress it), or nothing.
	ko() { ls "$mods/$1.ko"* 2>/dev/null | head -1; }
	for m in xen-backend-quiesce xen-ncmig xen-blkback xen-netback \
		xen-blkback-b xen-netback-b; do
		f=$(ko "$m")
		if [ -n "$f" ] && modinfo -F vermagic "$f" | grep -q "^$KVER "; then
			ok "DKMS made $m for $KVER"
		else
			not_ok "DKMS made $m for $KVER"
		fi
	done
	# The patched backends register with the core: they depend on it.
	dep=ok
	for m in xen-blkback xen-netback xen-blkback-b xen-netback-b; do
		f=$(ko "$m")
		[ -n "$f" ] && modinfo -F depends "$f" | tr , '\n' | grep -qx xen-backend-quiesce || dep=
	done
	if [ -n "$dep" ]; then ok "the DKMS-built backends depend on xen-backend-quiesce (modprobe loads the core)"
	else not_ok "the DKMS-built backends depend on xen-backend-quiesce (modprobe loads the core)"; fi
	# Every parameter of the packaged modules is in xen-ncmig(4): ".BI p="
	# for a writable one, ".B p" for a read-only one.
	undoc=
	for m in xen-backend-quiesce xen-ncmig; do
		f=$(ko "$m")
		[ -n "$f" ] || continue
		for p in $(modinfo -F parm "$f" | cut -d: -f1); do
			zcat "$t/dkms-src/usr/share/man/man4/xen-ncmig.4.gz" |
				grep -Eq "^\.BI? $p(=| |\$)" || undoc="$undoc $p"
		done
	done
	if [ -f "$t/dkms-src/usr/share/man/man4/xen-ncmig.4.gz" ] && [ -z "$undoc" ]; then
		ok "xen-ncmig(4) documents every module parameter"
	else
		not_ok "xen-ncmig(4) documents every module parameter (missing:$undoc)"
	fi
	# A packaged build has no lab hooks.
	f=$(ko xen-backend-quiesce)
	if [ -n "$f" ] && ! modinfo -F parm "$f" | grep -q '^test_'; then
		ok "the packaged xen-backend-quiesce has no test-only parameters"
	else
		not_ok "the packaged xen-backend-quiesce has no test-only parameters"
	fi
fi
echo "1..$n"
echo "deb-check[$TARGET]: $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
