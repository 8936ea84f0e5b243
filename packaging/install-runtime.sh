#!/bin/bash
# Copies into an MVM root what dynamically linked arm64 binaries need to
# run there: the MVM's initramfs is busybox only, without a C library.
#
# Usage: packaging/install-runtime.sh BINARY... DESTDIR
#
# For each BINARY (an arm64 ELF file, usually already inside DESTDIR), its
# NEEDED shared libraries are resolved recursively (aarch64-linux-gnu-readelf
# -d) and installed under their SONAME into DESTDIR/lib/aarch64-linux-gnu,
# with the dynamic loader (PT_INTERP) at its absolute path. A library
# already in DESTDIR (e.g. libshyper in DESTDIR/usr/lib) is not copied, but
# its own needs are followed. Libraries are looked up in DESTDIR, then in
# the cross toolchain's /usr/aarch64-linux-gnu/lib, then in Debian's arm64
# multiarch directory /usr/lib/aarch64-linux-gnu.
#
# Files whose content is unchanged are left alone (install -C), so that
# packaging/mkinitramfs.sh's input signature only changes when the runtime
# does.
set -euo pipefail

die() { echo "install-runtime: error: $*" >&2; exit 1; }

[[ $# -ge 2 ]] || die "usage: $0 BINARY... DESTDIR"
destdir=${!#}
binaries=("${@:1:$#-1}")
[[ -d $destdir ]] || die "DESTDIR '$destdir' is not a directory"

READELF=${READELF:-aarch64-linux-gnu-readelf}
command -v "$READELF" >/dev/null || die "$READELF not found (Debian package binutils-aarch64-linux-gnu)"

runtime_dir=lib/aarch64-linux-gnu
# Where the dynamic loader finds libraries without an ld.so.cache: the
# DESTDIR ones are what the MVM will search, the others are the sources.
dest_search=(lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu lib usr/lib)
host_search=(/usr/aarch64-linux-gnu/lib /usr/lib/aarch64-linux-gnu /lib/aarch64-linux-gnu)

needed_of() {
	"$READELF" -d "$1" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]/\1/p'
}

interpreter_of() {
	"$READELF" -l "$1" | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p'
}

# Installs SRC as DEST (relative to DESTDIR), resolving symbolic links.
install_file() {
	local src=$1 dest=$destdir/$2

	mkdir -p "$(dirname "$dest")"
	install -C -m 0755 "$(readlink -f "$src")" "$dest"
}

declare -A seen
queue=()

for binary in "${binaries[@]}"; do
	[[ -f $binary ]] || die "'$binary' is not a file"
	"$READELF" -h "$binary" 2>/dev/null | grep -q 'AArch64' ||
		die "'$binary' is not an arm64 ELF file"
	interp=$(interpreter_of "$binary")
	if [[ -n $interp && -z ${seen[$interp]:-} ]]; then
		seen[$interp]=1
		name=$(basename "$interp")
		src=
		for dir in "${host_search[@]}"; do
			[[ -e $dir/$name ]] && { src=$dir/$name; break; }
		done
		[[ -n $src ]] || die "dynamic loader $name not found in ${host_search[*]}"
		install_file "$src" "${interp#/}"
		# Debian's own layout: the loader also in the multiarch directory.
		[[ ${interp#/} == "$runtime_dir/$name" ]] || install_file "$src" "$runtime_dir/$name"
	fi
	queue+=("$binary")
done

while [[ ${#queue[@]} -gt 0 ]]; do
	file=${queue[0]}
	queue=("${queue[@]:1}")
	for lib in $(needed_of "$file"); do
		[[ -n ${seen[$lib]:-} ]] && continue
		seen[$lib]=1
		found=
		for dir in "${dest_search[@]}"; do
			[[ -e $destdir/$dir/$lib ]] && { found=$destdir/$dir/$lib; break; }
		done
		if [[ -z $found ]]; then
			for dir in "${host_search[@]}"; do
				[[ -e $dir/$lib ]] && { found=$dir/$lib; break; }
			done
			[[ -n $found ]] || die "$lib (needed by $(basename "$file")) not found in ${host_search[*]}"
			install_file "$found" "$runtime_dir/$lib"
		fi
		queue+=("$found")
	done
done
