#!/bin/bash
# Builds the MVM's system disk: a read-only ext4 image of the parts of the
# MVM's root that are too big for its initramfs, which the MVM mounts at
# /system at boot instead of unpacking them into RAM. Tens of megabytes then
# cost nothing until a page is read. Today that is:
#   lib/aarch64-linux-gnu  the tools' shared libraries (glibc, json-c,
#                          libxml2 with ICU...)
#   usr/share/shyper       example VM definitions and the guest images they
#                          name (a guest kernel Image, its initramfs)
# packaging/mkinitramfs.sh (MVM_SYSDISK_DIRS) leaves those folders out of
# the initramfs and links each to /system/FOLDER instead.
#
# Usage: packaging/mksysdisk.sh OUT.img ROOT DIR...
#   Each DIR (relative to ROOT) lands at the same path on the disk. The
#   image gets the label "shypersys", which the MVM's /init looks for. It
#   is rebuilt only when a file under a DIR changed (a signature of the
#   inputs is kept next to OUT as OUT.inputs). The signature hashes the
#   files' contents rather than trusting their times: some installers
#   rewrite unchanged files, and the disk is large (a tenth of a second
#   of hashing saves seconds of mke2fs).
set -euo pipefail

die() { echo "mksysdisk: error: $*" >&2; exit 1; }

[[ $# -ge 3 ]] || die "usage: $0 OUT.img ROOT DIR..."
out=$1
root=$2
shift 2
dirs=("$@")
[[ -d $root ]] || die "'$root' is not a directory"
for dir in "${dirs[@]}"; do
	[[ $dir != /* && $dir != *..* ]] || die "'$dir' is not a folder relative to ROOT"
	[[ -d $root/$dir ]] || die "'$root/$dir' is not a directory"
done

signature=$({
	echo "dirs: ${dirs[*]}"
	md5sum "${BASH_SOURCE[0]}"
	for dir in "${dirs[@]}"; do
		find "$root/$dir" -printf '%p %m %l\n'
		find "$root/$dir" -type f -print0 | xargs -0 -r md5sum
	done
} | sort | sha256sum | cut -d' ' -f1)
if [[ -f $out && -f $out.inputs && $(<"$out.inputs") == "$signature" ]]; then
	exit 0
fi

# The disk's tree, staged next to OUT: hard links where the file system
# allows (no copying of tens of megabytes), copies otherwise.
mkdir -p "$(dirname "$out")"
stage=$(mktemp -d "$out.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
for dir in "${dirs[@]}"; do
	mkdir -p "$(dirname "$stage/$dir")"
	cp -al "$root/$dir" "$stage/$dir" 2>/dev/null || {
		rm -rf "${stage:?}/$dir"
		cp -a "$root/$dir" "$stage/$dir"
	}
done

# Room for the files plus ext4's own structures.
kib=$(du -sk --apparent-size "$stage" | cut -f1)
kib=$(( kib + kib / 5 + 4096 ))
rm -f "$out" "$out.inputs"
: >"$out"
mke2fs -q -F -t ext4 -O ^has_journal -L shypersys -d "$stage" "$out" "${kib}k" ||
	die "mke2fs failed"
echo "$signature" >"$out.inputs"
echo "mksysdisk: wrote $out ($(( kib / 1024 )) MiB: ${dirs[*]})"
