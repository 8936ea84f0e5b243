#!/bin/bash
# Builds the initramfs of the example Linux guest (examples/linux-guest.xml):
# busybox, /init (packaging/guest-init) and the kernel modules the guest
# machine needs (the power button's gpio_keys and evdev; virtio), for the
# kernel the MVM runs too (build/mvm/Image), as a gzip'd newc cpio. It also
# carries cyclictest (Debian's rt-tests) with the C library it needs, for
# measuring the guest as a real-time VM (docs/rtvm.md).
#
# Usage: packaging/mkguestinitramfs.sh OUT.cpio.gz
#
# Inputs come from packaging/setup.sh's build-local downloads (build/deps/,
# build/mvm/kernel-version). The image is rebuilt only when an input changed
# (a signature of the inputs is kept next to OUT as OUT.inputs).
set -euo pipefail

die() { echo "mkguestinitramfs: error: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || die "usage: $0 OUT.cpio.gz"
out=$1

packaging_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=packaging/kmodules.sh
source "$packaging_dir/kmodules.sh"
repo_root=$(dirname "$packaging_dir")
deps_dir="$repo_root/build/deps"
busybox="$deps_dir/busybox/bin/busybox"
cyclictest="$deps_dir/rt-tests/usr/bin/cyclictest"
libnuma="$deps_dir/rt-tests/usr/lib/aarch64-linux-gnu/libnuma.so.1"
version_file="$repo_root/build/mvm/kernel-version"

# What /init loads; "?" marks those it may do without. ext4 (which mounts
# ext2 too) and its checksum are there for file systems on the guest's disks:
# the kernel loads them when a mount asks.
guest_modules=(gpio_keys evdev ?virtio_mmio ?virtio_blk ?virtio_net ?virtio_console ?virtio_rng ext4
	crc32c_generic)

[[ -x $busybox && -f $version_file && -x $cyclictest && -e $libnuma ]] ||
	die "build/deps is not set up; run packaging/setup.sh first"
kernel_version=$(<"$version_file")
modules_src="$deps_dir/kernel/lib/modules/$kernel_version"
[[ -d $modules_src ]] || die "no modules for kernel $kernel_version in build/deps/kernel"
command -v depmod >/dev/null || PATH=$PATH:/sbin:/usr/sbin
command -v depmod >/dev/null || die "depmod not found (Debian package kmod; run packaging/setup.sh)"

signature=$({
	echo "modules: ${guest_modules[*]} kernel: $kernel_version"
	find "$busybox" "$cyclictest" "$(readlink -f "$libnuma")" "$packaging_dir/guest-init" \
		"$packaging_dir/newc.py" "$packaging_dir/install-runtime.sh" \
		"$packaging_dir/kmodules.sh" "${BASH_SOURCE[0]}" "$modules_src/modules.builtin" \
		-printf '%p %s %T@ %m\n' | sort
} | sha256sum | cut -d' ' -f1)
if [[ -f $out && -f $out.inputs && $(<"$out.inputs") == "$signature" ]]; then
	exit 0
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/shyper-guest-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"

kmodules_install "$modules_src" "$stage/lib/modules/$kernel_version" "${guest_modules[@]}" ||
	die "cannot gather the kernel modules"

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,mnt,root,etc}
chmod 1777 "$stage/tmp"
chmod 0700 "$stage/root"
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$packaging_dir/guest-init" "$stage/init"
echo guest >"$stage/etc/hostname"
echo 'root:x:0:0:root:/root:/bin/sh' >"$stage/etc/passwd"
echo 'root:x:0:' >"$stage/etc/group"
depmod -b "$stage" "$kernel_version"
install -m 0755 "$cyclictest" "$stage/usr/bin/cyclictest"
install -D -m 0644 "$(readlink -f "$libnuma")" "$stage/lib/aarch64-linux-gnu/libnuma.so.1"
"$packaging_dir/install-runtime.sh" "$stage/usr/bin/cyclictest" "$stage" ||
	die "cannot gather cyclictest's libraries"

mkdir -p "$(dirname "$out")"
/usr/bin/python3 "$packaging_dir/newc.py" "$out" "$stage" \
	--node /dev/console:0600:c:5:1 --node /dev/null:0666:c:1:3
echo "$signature" >"$out.inputs"
echo "mkguestinitramfs: wrote $out ($(du -h "$out" | cut -f1), modules: $kmodules_installed)"
