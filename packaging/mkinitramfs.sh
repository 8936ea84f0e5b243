#!/bin/bash
# Builds the MVM's initramfs: busybox, /init (packaging/mvm-init) and the
# kernel modules the MVM needs, as a gzip'd newc cpio.
#
# Usage: packaging/mkinitramfs.sh OUT.cpio.gz [EXTRA_DIR]
#   EXTRA_DIR  a tree copied over the image root (tools, config files,
#              modules under lib/modules/VERSION/: depmod runs after it).
#   MVM_SYSDISK_DIRS  (environment) space-separated folders of EXTRA_DIR
#              that are left out of the image because they come on the
#              MVM's read-only system disk instead (packaging/mksysdisk.sh):
#              each becomes a symbolic link to the same folder under
#              /system, where /init mounts that disk.
#
# Inputs come from packaging/setup.sh's build-local downloads (build/deps/,
# build/mvm/kernel-version). The image is rebuilt only when an input changed
# (a signature of the inputs is kept next to OUT as OUT.inputs).
set -euo pipefail

die() { echo "mkinitramfs: error: $*" >&2; exit 1; }

[[ $# -ge 1 && $# -le 2 ]] || die "usage: $0 OUT.cpio.gz [EXTRA_DIR]"
out=$1
extra_dir=${2:-}
[[ -z $extra_dir || -d $extra_dir ]] || die "EXTRA_DIR '$extra_dir' is not a directory"

packaging_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=packaging/kmodules.sh
source "$packaging_dir/kmodules.sh"
repo_root=$(dirname "$packaging_dir")
deps_dir="$repo_root/build/deps"
busybox="$deps_dir/busybox/bin/busybox"
version_file="$repo_root/build/mvm/kernel-version"

# Modules loaded by /init, by name; their dependencies are added
# automatically. virtio_mmio: the board's virtio slots; 9p: the host share;
# loop: looking into guests' disk images (modprobe'd when wanted).
mvm_modules=(virtio_mmio 9pnet_virtio 9p virtio_blk virtio_net crc32c_generic ext4 tun bridge loop)

[[ -x $busybox && -f $version_file ]] ||
	die "build/deps is not set up; run packaging/setup.sh first"
kernel_version=$(<"$version_file")
modules_src="$deps_dir/kernel/lib/modules/$kernel_version"
[[ -d $modules_src ]] || die "no modules for kernel $kernel_version in build/deps/kernel"
command -v depmod >/dev/null || PATH=$PATH:/sbin:/usr/sbin
command -v depmod >/dev/null || die "depmod not found (Debian package kmod; run packaging/setup.sh)"
strip=${CROSS_COMPILE:-aarch64-linux-gnu-}strip
command -v "$strip" >/dev/null || die "$strip not found (Debian package binutils-aarch64-linux-gnu)"

# Where /init (packaging/mvm-init) mounts the system disk.
sysdisk_mount=/system
read -r -a sysdisk_dirs <<<"${MVM_SYSDISK_DIRS:-}"
[[ ${#sysdisk_dirs[@]} -eq 0 || -n $extra_dir ]] || die "MVM_SYSDISK_DIRS needs an EXTRA_DIR"
# find arguments that skip the system disk's folders of EXTRA_DIR.
sysdisk_prune=()
for dir in "${sysdisk_dirs[@]}"; do
	[[ $dir != /* && $dir != *..* ]] || die "MVM_SYSDISK_DIRS: '$dir' is not a relative folder"
	sysdisk_prune+=(-path "$extra_dir/$dir" -prune -o)
done

# --- Skip the build when nothing changed -------------------------------------
input_signature() {
	{
		echo "modules: ${mvm_modules[*]} kernel: $kernel_version sysdisk: ${sysdisk_dirs[*]}"
		find "$busybox" "$packaging_dir/mvm-init" "$packaging_dir/newc.py" \
			"$packaging_dir/kmodules.sh" "${BASH_SOURCE[0]}" "$modules_src/modules.builtin" \
			-printf '%p %s %T@ %m %l\n'
		if [[ -n $extra_dir ]]; then
			find "$extra_dir" "${sysdisk_prune[@]}" -printf '%p %s %T@ %m %l\n'
		fi
	} | sort | sha256sum | cut -d' ' -f1
}
signature=$(input_signature)
if [[ -f $out && -f $out.inputs && $(<"$out.inputs") == "$signature" ]]; then
	exit 0
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/shyper-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# --- Kernel modules ------------------------------------------------------------
kmodules_install "$modules_src" "$stage/lib/modules/$kernel_version" "${mvm_modules[@]}" ||
	die "cannot gather the kernel modules"

# --- Root file system ------------------------------------------------------------
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,mnt,root,etc}
chmod 1777 "$stage/tmp"
chmod 0700 "$stage/root"
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$packaging_dir/mvm-init" "$stage/init"
echo mvm >"$stage/etc/hostname"
echo 'root:x:0:0:root:/root:/bin/sh' >"$stage/etc/passwd"
echo 'root:x:0:' >"$stage/etc/group"

if [[ -n $extra_dir ]]; then
	# Everything but the system disk's folders, which become links into it.
	tar_excludes=()
	for dir in "${sysdisk_dirs[@]}"; do
		tar_excludes+=("--exclude=./$dir")
	done
	tar -C "$extra_dir" --anchored "${tar_excludes[@]}" -cf - . | tar -C "$stage" -xf -
	for dir in "${sysdisk_dirs[@]}"; do
		rm -rf "${stage:?}/$dir"
		mkdir -p "$(dirname "$stage/$dir")"
		ln -s "$sysdisk_mount/$dir" "$stage/$dir"
	done
	# Run-time files only, as a Debian runtime package would have them: no
	# development files (nothing is compiled in the MVM) and no debug
	# sections (they are a third of some binaries, and every byte here is
	# unpacked at every boot).
	rm -rf "$stage/usr/include" "$stage/usr/lib/pkgconfig"
	find "$stage" -name '*.a' -type f -delete
	while IFS= read -r -d '' file; do
		if [[ $(head -c 4 "$file" | tr -d '\0') == $'\x7fELF' ]]; then
			"$strip" --strip-debug "$file" || die "cannot strip $file"
		fi
	done < <(find "$stage/usr" -type f -print0)
fi

# After EXTRA_DIR, which may bring modules of its own (lib/modules/VERSION/
# extra/: shyper.ko and its test modules). depmod reads ELF metadata only,
# so it works on the arm64 modules here.
depmod -b "$stage" "$kernel_version"

mkdir -p "$(dirname "$out")"
/usr/bin/python3 "$packaging_dir/newc.py" "$out" "$stage" \
	--node /dev/console:0600:c:5:1 --node /dev/null:0666:c:1:3
echo "$signature" >"$out.inputs"
echo "mkinitramfs: wrote $out ($(du -h "$out" | cut -f1), modules: $kmodules_installed)"
