#!/bin/sh
# Unpack the raw ELF vmlinux from a Debian bzImage (vmlinuz): Xen builds
# dom0 from an ELF in well under a second under TCG, a bzImage takes ~10 s.
# usage: extract-vmlinux.sh VMLINUZ OUT
set -eu
in=$1 out=$2
# Offsets of every xz stream magic (FD 37 7A 58 5A 00); the first that
# decompresses to an ELF is the kernel.
for off in $(LC_ALL=C grep -aboP '\xfd7zXZ\x00' "$in" | cut -d: -f1); do
	if tail -c +$((off + 1)) "$in" | xz -dc --single-stream >"$out.tmp" 2>/dev/null &&
		[ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
		mv "$out.tmp" "$out"
		exit 0
	fi
done
rm -f "$out.tmp"
echo "extract-vmlinux: no xz-compressed ELF in $in" >&2
exit 1
