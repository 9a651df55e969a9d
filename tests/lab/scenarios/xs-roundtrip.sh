#!/bin/sh
# xs-roundtrip: capture a running guest's xenstore area with `ncmigd save`,
# restore it onto another domain's area with `ncmigd restore`, and compare
# the two node by node, values (binary ones included) and permissions
# (owner and ACL entries naming the source rewritten to the target).
# Also checks that restore leaves existing nodes alone unless --overwrite,
# that a damaged stream, or one whose backend records are of another
# domain than the target, is refused before anything is written, and that
# the report says plainly that Xen 4.17 cannot carry watches.
# And, against the real xenstored (issue 10): an ACL naming a third domain
# is refused unless --map-domid maps it, a domain that does not exist is
# refused, the toolstack's nodes (name, domid, vm, ...) are never written,
# paths to the source's home in values are rebased, a file with data after
# END is refused, and the stream names the source's UUID.
. /ncmig/dom0/lib.sh

tap_plan 37
W=/run/ncmig-lab/xs-roundtrip
rm -rf "$W"; mkdir -p "$W"

# The patched backends and our modules, so that save --backends can take
# records (as in make check, where earlier scenarios loaded them).
lab_use_patched_backends || tap_diag "could not load the patched backends"
lab_load_ncmig_modules || tap_diag "could not load the ncmig modules"

src=$(lab_guest_start xsrc --disks 1 --workload "true")
dst=$(lab_guest_start xdst --disks 0 --no-vif --memory 128 --workload "true")
if [ -z "$src" ] || [ -z "$dst" ]; then
	tap_not_ok "guests created (src '$src', dst '$dst')"; tap_done; exit 1
fi
tap_ok "guests created: source d$src, target d$dst"
# Both guests booted and wrote what they write at boot.
lab_guest_result xsrc guest.ready 180 >/dev/null
lab_guest_result xdst guest.ready 180 >/dev/null
lab_xs_wait 60 "$(lab_be_path xsrc vbd 51712)/state" 4
# Keep the target's kernel from reacting to the device nodes we restore.
timeout 30 xl pause "$dst"

S=/local/domain/$src
T=/local/domain/$dst
# The host identity a stream carries (a dom0 with systemd has one).
[ -s /etc/machine-id ] ||
	tr -d '-' </proc/sys/kernel/random/uuid >/etc/machine-id
# A binary value (NUL and 0xff inside) and an ACL naming the source.
xenstore-write "$S/data/ncmig-bin" 'a\x00b\xff' &&
	xenstore-chmod "$S/data/ncmig-bin" "b$src" r0
tap_is "$(xenstore-read -R "$S/data/ncmig-bin" | od -An -tx1 | tr -d ' \n')" \
	"610062ff" "source holds a 4-octet binary value"
# A value naming the source's home (rebased by restore), and a node whose
# ACL names a third domain (the target: neither the source nor dom0).
xenstore-write "$S/data/ncmig-path" "/local/domain/$src/data"
xenstore-write "$S/data/ncmig-foreign" x &&
	xenstore-chmod "$S/data/ncmig-foreign" "b$src" "r$dst"

# ---- save ----
if ncmigd save --domid "$src" -o "$W/s.ncmig" --json >"$W/save.json" 2>"$W/save.err"; then
	tap_ok "ncmigd save --domid $src"; else
	tap_not_ok "ncmigd save --domid $src"; sed 's/^/# /' "$W/save.err"; fi
tap_diag "save: $(cat "$W/save.json")"
nodes=$(sed -n 's/.*"nodes":\([0-9]*\).*/\1/p' "$W/save.json")
tap_cmp "${nodes:-0}" -gt 10 "save captured the area ($nodes nodes)"
tap_run "save reports watches not carried (Xen 4.17)" \
	grep -q '"carried":false.*cannot list a domain' "$W/save.json"
tap_run "ncmigd inspect accepts the stream" ncmigd inspect "$W/s.ncmig"
ncmigd inspect "$W/s.ncmig" | head -20 | sed 's/^/# inspect: /'
ncmigd inspect "$W/s.ncmig" >"$W/inspect.txt" 2>&1
tap_run "inspect shows the binary value and its ACL" \
	grep -qF "data/ncmig-bin [b$src r0] = \"a\\x00b\\xff\"" "$W/inspect.txt"
uuid=$(xenstore-read "$S/vm" | sed 's|^/vm/||')
tap_run "the stream names d$src's UUID ($uuid)" \
	grep -q "^identity: domain UUID $uuid, host " "$W/inspect.txt"
tap_run "save took no backend records without --backends" \
	grep -q '"backends":null' "$W/save.json"

# ---- a file with data after END is refused ----
cat "$W/s.ncmig" "$W/s.ncmig" >"$W/two.ncmig"
if ncmigd inspect "$W/two.ncmig" >"$W/two.out" 2>&1; then
	tap_not_ok "inspect refuses two streams in one file"; else
	tap_ok "inspect refuses two streams in one file"; fi
tap_run "the refusal says what follows END" grep -q "octets after END" "$W/two.out"

# ---- a domain that does not exist is refused ----
if ncmigd restore --domid 4000 -i "$W/s.ncmig" --no-backends >"$W/phantom.out" 2>&1; then
	tap_not_ok "restore onto d4000 (no such domain) refused"; else
	tap_ok "restore onto d4000 (no such domain) refused"; fi
tap_diag "$(cat "$W/phantom.out")"
tap_run "the refusal says d4000 does not exist" grep -q "d4000 does not exist" "$W/phantom.out"
tap_is "$(xenstore-ls /local/domain/4000 2>/dev/null | wc -l)" 0 "nothing written under /local/domain/4000"

# ---- an ACL naming a third domain is refused unless mapped ----
before=$(xenstore-ls -f "$T" | wc -l)
if ncmigd restore --domid "$dst" -i "$W/s.ncmig" --no-backends >"$W/foreign.out" 2>&1; then
	tap_not_ok "restore refuses an ACL naming d$dst (neither d$src nor dom0)"; else
	tap_ok "restore refuses an ACL naming d$dst (neither d$src nor dom0)"; fi
tap_diag "$(cat "$W/foreign.out")"
tap_run "the refusal names the node and the domain" \
	grep -q "data/ncmig-foreign.*names d$dst.*--map-domid $dst=D" "$W/foreign.out"
tap_is "$(xenstore-ls -f "$T" | wc -l)" "$before" "the refused restore wrote nothing to d$dst"

# ---- a damaged stream is refused before anything is written ----
cp "$W/s.ncmig" "$W/bad.ncmig"
size=$(stat -c %s "$W/bad.ncmig")
printf 'X' | dd of="$W/bad.ncmig" bs=1 seek=$((size - 40)) conv=notrunc 2>/dev/null
before=$(xenstore-ls -f "$T" | wc -l)
if ncmigd restore --domid "$dst" -i "$W/bad.ncmig" --overwrite >"$W/bad.out" 2>&1; then
	tap_not_ok "restore refuses a damaged stream"; else
	tap_ok "restore refuses a damaged stream"; fi
tap_diag "$(cat "$W/bad.out")"
tap_run "the refusal names the record and its offset" \
	grep -q 'record [0-9]* (.*) at offset [0-9]*: bad checksum' "$W/bad.out"
tap_is "$(xenstore-ls -f "$T" | wc -l)" "$before" "nothing was written to d$dst"

# ---- the source's backend records are refused for another domain ----
# (Only when xen-ncmig is loaded and save took them, as in make check.)
lab_load_ncmig_modules || tap_diag "could not load the ncmig modules"
ncmigd save --domid "$src" --backends -o "$W/sb.ncmig" --json >"$W/saveb.json" 2>"$W/saveb.err"
tap_diag "save --backends: $(cat "$W/saveb.json" "$W/saveb.err")"
if grep -q '"backends":[1-9]' "$W/saveb.json"; then
	before=$(xenstore-ls -f "$T" | wc -l)
	if ncmigd restore --domid "$dst" -i "$W/sb.ncmig" --overwrite --map-domid "$dst=$dst" >"$W/other.out" 2>&1; then
		tap_not_ok "restore refuses the source's backend records for d$dst"; else
		tap_ok "restore refuses the source's backend records for d$dst"; fi
	tap_diag "$(cat "$W/other.out")"
	tap_run "the refusal names the record, its domain and the target" \
		grep -q "record [0-9]* (BACKEND, .*) at offset [0-9]*: .* is a snapshot of d$src, the restore target is d$dst" "$W/other.out"
	tap_is "$(xenstore-ls -f "$T" | wc -l)" "$before" "the refused restore wrote nothing to d$dst"
else
	for t in "restore refuses the source's backend records" \
		"the refusal names the record" "the refused restore wrote nothing"; do
		tap_skip "$t" "the stream holds no backend records"
	done
fi

# ---- backend records without the xen_ncmig family: refused, nothing written ----
# The records are d$src's own (domain, UUID and host match): only the
# missing family stops them, before xenstore is touched.
if grep -q '"backends":[1-9]' "$W/saveb.json" && rmmod xen_ncmig 2>"$W/rmmod.err"; then
	before=$(xenstore-ls -f -p "$S" | md5sum)
	if ncmigd restore --domid "$src" -i "$W/sb.ncmig" --overwrite >"$W/nofam.out" 2>&1; then
		tap_not_ok "restore of d$src's backend records without xen-ncmig refused"; else
		tap_ok "restore of d$src's backend records without xen-ncmig refused"; fi
	tap_diag "$(cat "$W/nofam.out")"
	tap_run "the refusal names the missing family" \
		grep -q "no xen_ncmig netlink family.*nothing restored" "$W/nofam.out"
	tap_is "$(xenstore-ls -f -p "$S" | md5sum)" "$before" "the refused restore wrote nothing to d$src"
	lab_load_ncmig_modules || tap_diag "could not reload xen-ncmig"
else
	tap_diag "no backend records, or xen_ncmig busy: $(cat "$W/rmmod.err" 2>/dev/null)"
	for t in "restore without xen-ncmig refused" "the refusal names the family" \
		"the refused restore wrote nothing"; do
		tap_skip "$t" "no backend records or xen_ncmig could not be removed"
	done
fi

# ---- restore without --overwrite keeps what exists ----
# d$dst's own ACL entry in the source is mapped to itself by the operator.
if ncmigd restore --domid "$dst" -i "$W/s.ncmig" --map-domid "$dst=$dst" --json >"$W/r1.json" 2>"$W/r1.err"; then
	tap_ok "ncmigd restore --domid $dst"; else
	tap_not_ok "ncmigd restore --domid $dst"; sed 's/^/# /' "$W/r1.err"; fi
tap_diag "restore: $(cat "$W/r1.json")"
tap_is "$(xenstore-read "$T/name")" xdst "existing node $T/name left alone"
tap_is "$(xenstore-read -R "$T/data/ncmig-bin" | od -An -tx1 | tr -d ' \n')" \
	"610062ff" "missing node data/ncmig-bin created, binary-exact"
tap_is "$(xenstore-read "$T/data/ncmig-path")" "/local/domain/$dst/data" \
	"a value naming d$src's home now names d$dst's"

# ---- restore with --overwrite, then compare node by node ----
vm_before=$(xenstore-read "$T/vm")
if ncmigd restore --domid "$dst" -i "$W/s.ncmig" --overwrite --map-domid "$dst=$dst" --json >"$W/r2.json" 2>"$W/r2.err"; then
	tap_ok "ncmigd restore --domid $dst --overwrite"; else
	tap_not_ok "ncmigd restore --domid $dst --overwrite"; sed 's/^/# /' "$W/r2.err"; fi
tap_diag "restore --overwrite: $(cat "$W/r2.json")"
tap_run "restore reports watches not carried" \
	grep -q '"carried":false' "$W/r2.json"

# xenstore-ls -f -p: '/path = "value"  . . . (n0,r5)'; drop the padding.
norm() { sed -E 's/"[ .]*\(([nrwb0-9,]+)\)$/" (\1)/'; }
xenstore-ls -f -p "$S" | norm | sort >"$W/src.ls"
xenstore-ls -f -p "$T" | norm | sort >"$W/dst.ls"
# The source as it must look under the target: path prefix and every
# permission entry naming the source rewritten, paths to the source's
# home and backend directories in values rebased, the toolstack's nodes
# left out (restore never writes them).
awk -v s="$src" -v d="$dst" '{
	rel = $0; sub(/ = .*/, "", rel); sub("^/local/domain/" s "/", "", rel)
	if (rel ~ /^(name|domid|vm|control|memory)(\/|$)/) next
	if (rel ~ /^device\/[^\/]+\/[^\/]+\/backend(-id)?(\/|$)/) next
	gsub("/local/domain/" s "/", "/local/domain/" d "/")
	gsub("/local/domain/" s "\"", "/local/domain/" d "\"")
	n = split("vbd vif console vkbd vfb qdisk pci 9pfs", ty, " ")
	for (k = 1; k <= n; k++) {
		gsub("backend/" ty[k] "/" s "/", "backend/" ty[k] "/" d "/")
		gsub("backend/" ty[k] "/" s "\"", "backend/" ty[k] "/" d "\"")
	}
	i = match($0, /\([nrwb0-9,]+\)$/)
	if (i) {
		n = split(substr($0, i + 1, RLENGTH - 2), a, ",")
		out = ""
		for (k = 1; k <= n; k++) {
			if (substr(a[k], 2) == s) a[k] = substr(a[k], 1, 1) d
			out = out (k > 1 ? "," : "") a[k]
		}
		$0 = substr($0, 1, i - 1) "(" out ")"
	}
	p = "/local/domain/" s "/"
	if (substr($0, 1, length(p)) == p)
		$0 = "/local/domain/" d "/" substr($0, length(p) + 1)
	print
}' "$W/src.ls" | sort >"$W/want.ls"
# xenstore-ls lists the nodes under the home, not the home itself.
tap_is "$(($(wc -l <"$W/src.ls") + 1))" "$nodes" "save counted every node of the source ($nodes)"
missing=$(comm -23 "$W/want.ls" "$W/dst.ls" | wc -l)
tap_is "$missing" 0 "every source node is in the target with the same value and rewritten permissions"
comm -23 "$W/want.ls" "$W/dst.ls" | head -10 | sed 's/^/# want: /'
tap_run "the binary node kept its rewritten ACL" \
	grep -q "^$T/data/ncmig-bin = \"a.*\" (b$dst,r0)\$" "$W/dst.ls"
tap_is "$(xenstore-read "$T/name")" xdst "--overwrite left the toolstack's $T/name alone"
tap_is "$(xenstore-read "$T/domid") $(xenstore-read "$T/vm")" "$dst $vm_before" \
	"--overwrite left $T/domid and $T/vm alone"

# Destroy the target by domid first.
timeout 60 xl destroy "$dst" >/dev/null 2>&1
lab_guest_destroy xdst
lab_guest_destroy xsrc
tap_done
