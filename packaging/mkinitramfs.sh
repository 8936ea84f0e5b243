#!/bin/bash
# Builds the MVM's initramfs: busybox, /init (packaging/mvm-init) and the
# kernel modules the MVM needs, as a gzip'd newc cpio.
#
# Usage: packaging/mkinitramfs.sh OUT.cpio.gz [EXTRA_DIR]
#   MVM_LIBDISK_DIR  (environment) a folder of EXTRA_DIR that is left out
#                    of the image because it comes on the MVM's library
#                    disk instead (packaging/mklibdisk.sh); only an empty
#                    mount point stays.
#   EXTRA_DIR  a tree copied over the image root (tools, config files,
#              modules under lib/modules/VERSION/: depmod runs after it).
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
repo_root=$(dirname "$packaging_dir")
deps_dir="$repo_root/build/deps"
busybox="$deps_dir/busybox/bin/busybox"
version_file="$repo_root/build/mvm/kernel-version"

# Modules loaded by /init, by name; their dependencies are added
# automatically. virtio_mmio: the board's virtio slots; 9p: the host share.
mvm_modules=(virtio_mmio 9pnet_virtio 9p virtio_blk crc32c_generic ext4)

[[ -x $busybox && -f $version_file ]] ||
	die "build/deps is not set up; run packaging/setup.sh first"
kernel_version=$(<"$version_file")
modules_src="$deps_dir/kernel/lib/modules/$kernel_version"
[[ -d $modules_src ]] || die "no modules for kernel $kernel_version in build/deps/kernel"
command -v depmod >/dev/null || PATH=$PATH:/sbin:/usr/sbin
command -v depmod >/dev/null || die "depmod not found (Debian package kmod; run packaging/setup.sh)"

# --- Skip the build when nothing changed -------------------------------------
input_signature() {
	{
		echo "modules: ${mvm_modules[*]} kernel: $kernel_version libdisk: ${MVM_LIBDISK_DIR:-}"
		find "$busybox" "$packaging_dir/mvm-init" "$packaging_dir/newc.py" \
			"${BASH_SOURCE[0]}" "$modules_src/modules.builtin" \
			${extra_dir:+"$extra_dir"} -printf '%p %s %T@ %m %l\n' | sort
	} | sha256sum | cut -d' ' -f1
}
signature=$(input_signature)
if [[ -f $out && -f $out.inputs && $(<"$out.inputs") == "$signature" ]]; then
	exit 0
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/shyper-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# --- Module closure ------------------------------------------------------------
# Map module name (dashes folded to underscores, as the kernel does) to .ko.
declare -A ko_path
while IFS= read -r ko; do
	name=$(basename "$ko" .ko)
	ko_path[${name//-/_}]=$ko
done < <(find "$modules_src/kernel" -name '*.ko')

declare -A wanted
add_module() {
	local name=${1//-/_} dep deps
	[[ -n ${wanted[$name]:-} ]] && return 0
	[[ -n ${ko_path[$name]:-} ]] || {
		# Built into the kernel: nothing to ship.
		grep -q "/${name}.ko\$" "$modules_src/modules.builtin" && return 0
		grep -q "/${name//_/-}.ko\$" "$modules_src/modules.builtin" && return 0
		die "module $name not found for kernel $kernel_version"
	}
	wanted[$name]=1
	deps=$(modinfo -F depends "${ko_path[$name]}")
	for dep in ${deps//,/ }; do
		add_module "$dep"
	done
}
for module in "${mvm_modules[@]}"; do
	add_module "$module"
done

modules_dst="$stage/lib/modules/$kernel_version"
mkdir -p "$modules_dst"
for name in "${!wanted[@]}"; do
	rel=${ko_path[$name]#"$modules_src"/}
	mkdir -p "$modules_dst/$(dirname "$rel")"
	cp "${ko_path[$name]}" "$modules_dst/$rel"
done
cp "$modules_src"/modules.builtin "$modules_src"/modules.order "$modules_dst"/
[[ -f $modules_src/modules.builtin.modinfo ]] &&
	cp "$modules_src/modules.builtin.modinfo" "$modules_dst"/

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
	cp -a "$extra_dir"/. "$stage"/
	if [[ -n ${MVM_LIBDISK_DIR:-} ]]; then
		rm -rf "${stage:?}/$MVM_LIBDISK_DIR"
		mkdir -p "$stage/$MVM_LIBDISK_DIR"
	fi
fi

# After EXTRA_DIR, which may bring modules of its own (lib/modules/VERSION/
# extra/: shyper.ko and its test modules). depmod reads ELF metadata only,
# so it works on the arm64 modules here.
depmod -b "$stage" "$kernel_version"

mkdir -p "$(dirname "$out")"
/usr/bin/python3 "$packaging_dir/newc.py" "$out" "$stage" \
	--node /dev/console:0600:c:5:1 --node /dev/null:0666:c:1:3
echo "$signature" >"$out.inputs"
echo "mkinitramfs: wrote $out ($(du -h "$out" | cut -f1), modules: ${!wanted[*]})"
