#!/bin/sh
# Unpack the raw ELF vmlinux from a Debian bzImage (vmlinuz): Xen builds
# dom0 from an ELF in well under a second under TCG, a bzImage takes ~10 s.
# Debian's 6.1 compresses it with xz, its 6.12 with zstd (CONFIG_KERNEL_ZSTD).
# usage: extract-vmlinux.sh VMLINUZ OUT
set -eu
in=$1 out=$2
# try MAGIC CMD...: at each offset of the stream magic, the first stream
# that decompresses to an ELF is the kernel.
try() {
	magic=$1; shift
	for off in $(LC_ALL=C grep -aboP "$magic" "$in" | cut -d: -f1); do
		if tail -c +$((off + 1)) "$in" | "$@" >"$out.tmp" 2>/dev/null;
			[ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
			mv "$out.tmp" "$out"
			exit 0
		fi
	done
}
try '\xfd7zXZ\x00' xz -dc --single-stream
# zstd -dc exits non-zero on the bzImage's trailing bytes; the ELF check
# above decides.
try '\x28\xb5\x2f\xfd' zstd -dcq
rm -f "$out.tmp"
echo "extract-vmlinux: no xz- or zstd-compressed ELF in $in" >&2
exit 1
