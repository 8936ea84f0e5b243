#!/bin/bash
# Builds the MVM's library disk: a read-only ext4 image of the shared
# libraries its tools need (glibc, json-c, libxml2 with ICU...), which the
# MVM mounts at boot instead of unpacking them from its initramfs. Tens of
# megabytes of libraries then cost nothing until a page is read.
#
# Usage: packaging/mklibdisk.sh OUT.img DIR
#   The image gets the label "shyperlib", which the MVM's /init looks for.
set -euo pipefail

die() { echo "mklibdisk: error: $*" >&2; exit 1; }

[[ $# -eq 2 ]] || die "usage: $0 OUT.img DIR"
out=$1
dir=$2
[[ -d $dir ]] || die "'$dir' is not a directory"

signature=$({ find "$dir" -printf '%p %s %T@ %m %l\n' | sort; echo "${BASH_SOURCE[0]}"; } |
	sha256sum | cut -d' ' -f1)
if [[ -f $out && -f $out.inputs && $(<"$out.inputs") == "$signature" ]]; then
	exit 0
fi

# Room for the files plus ext4's own structures.
kib=$(du -sk --apparent-size "$dir" | cut -f1)
kib=$(( kib + kib / 5 + 4096 ))
mkdir -p "$(dirname "$out")"
rm -f "$out"
mke2fs -q -F -t ext4 -O ^has_journal -L shyperlib -d "$dir" "$out" "${kib}k" ||
	die "mke2fs failed"
echo "$signature" >"$out.inputs"
echo "mklibdisk: wrote $out ($(( kib / 1024 )) MiB)"
