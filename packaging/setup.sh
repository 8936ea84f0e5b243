#!/bin/bash
# Shyper dependency installer: the first thing `make run` and `make check` do.
#
# Two jobs:
#   1. Debian packages (host tools, amd64 and arm64 -dev libraries): install
#      whatever is missing, nothing else. Needs root (or password-less sudo);
#      otherwise prints the one command to run and fails.
#   2. Build-local downloads under build/deps/ (never installed system-wide):
#      the Debian arm64 kernel (the MVM kernel) and its headers (to build
#      kernel-module/), busybox-static:arm64 (the
#      MVM user space), rt-tests:arm64 with libnuma1:arm64 (cyclictest) and
#      libfdt-dev:arm64 (the hypervisor links libfdt.a;
#      installing it would remove the amd64 libfdt-dev, so it is unpacked
#      into a sysroot instead). Each is keyed by its resolved version with a
#      stamp file, so a re-run that finds everything in place does nothing.
#
# Layout produced (other parts of the build rely on it):
#   build/deps/sysroot-arm64/   dpkg -x of libfdt-dev:arm64 and libfdt1:arm64
#   build/deps/kernel/          dpkg -x of the arm64 kernel image package
#   build/deps/kernel-headers/  dpkg -x of linux-headers-VER-arm64:arm64,
#                               linux-headers-VER-common and the amd64
#                               linux-kbuild-X.Y, all at the kernel's exact
#                               version; KDIR for kbuild is its
#                               usr/src/linux-headers-VER-arm64
#   build/deps/busybox/         dpkg -x of busybox-static:arm64
#   build/deps/rt-tests/        dpkg -x of rt-tests:arm64 and libnuma1:arm64
#                               (cyclictest, for the MVM and the Linux guest)
#   build/mvm/Image             the kernel's boot/vmlinuz-* (a plain arm64 Image)
#   build/mvm/kernel-version    its version string (the lib/modules/ name)
#
# Usage: packaging/setup.sh [--deps-only | --fetch-only | --list-packages]
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps_dir="$repo_root/build/deps"
mvm_dir="$repo_root/build/mvm"

# Everything `make run` and `make check` use beyond a minimal Debian with
# build-essential, git and python3; tests/setup/ proves that nothing else is
# needed (every command, QEMU file and Python module the tests meet comes from
# one of these or from what they depend on). Installed without Recommends, so
# a tool's helpers are listed here by name: virt-xml-validate runs xmllint
# (libxml2-utils).
host_packages=(
	gcc-aarch64-linux-gnu qemu-system-arm device-tree-compiler libfdt-dev
	libxml2-dev libjson-c-dev libcurl4-openssl-dev libncurses-dev
	libcmocka-dev python3-pytest python3-pexpect python3-pyte cpio make gcc pkg-config
	kmod clang libclang-rt-14-dev libvirt-clients libxml2-utils strace
	python3-pyelftools openssl libssl-dev
)
arm64_packages=(
	libxml2-dev:arm64 libcurl4-openssl-dev:arm64 libjson-c-dev:arm64
	libncurses-dev:arm64 libssl-dev:arm64 libmicrohttpd-dev:arm64
)

say() { echo "shyper: $*"; }
die() { echo "shyper: error: $*" >&2; exit 1; }

# --- 1. Debian packages ------------------------------------------------------

# Prints the packages from "$@" that are not fully installed.
missing_packages() {
	local pkg status
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
		[[ $status == ii* ]] || echo "$pkg"
	done
}

# Runs a command as root: directly, or through password-less sudo.
as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	else
		sudo -n "$@"
	fi
}

install_packages() {
	local need_arch=0 missing
	dpkg --print-foreign-architectures | grep -qx arm64 || need_arch=1
	missing=$(missing_packages "${host_packages[@]}" "${arm64_packages[@]}" | tr '\n' ' ')
	missing=${missing% }
	if [[ $need_arch -eq 0 && -z $missing ]]; then
		return 0
	fi

	if [[ $(id -u) -ne 0 ]] && ! sudo -n true 2>/dev/null; then
		local what=${missing:-"(arm64 architecture not enabled)"}
		echo "shyper: missing packages: $what; run: sudo $repo_root/packaging/setup.sh --deps-only" >&2
		exit 1
	fi

	if [[ $need_arch -eq 1 ]]; then
		say "enabling the arm64 architecture in dpkg"
		as_root dpkg --add-architecture arm64
	fi
	say "installing: ${missing:-nothing (apt update only)}"
	as_root apt-get update -qq
	if [[ -n $missing ]]; then
		# dpkg's progress goes to a log; shown only when something fails.
		local log="$repo_root/build/setup-install.log"
		mkdir -p "$repo_root/build"
		# shellcheck disable=SC2086 # word splitting wanted: one word per package
		if ! as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $missing >"$log" 2>&1; then
			tail -n 40 "$log" >&2
			die "installing packages failed (all of it in $log)"
		fi
	fi
}

# --- 2. Build-local downloads ------------------------------------------------

# Fills the globals kernel_pkg, kernel_pkg_ver, kernel_stamp, headers_stamp,
# busybox_stamp, libfdt_stamp, rt_tests_stamp from one apt-cache call (apt-cache is slow here, about a second a call).
resolve_versions() {
	local info
	info=$(apt-cache show --no-all-versions linux-image-arm64:arm64 \
		busybox-static:arm64 libfdt-dev:arm64 libfdt1:arm64 rt-tests:arm64 \
		libnuma1:arm64 2>/dev/null) ||
		die "apt-cache cannot see the arm64 packages (is arm64 enabled and apt updated? run packaging/setup.sh --deps-only as root)"
	# Print "package version" pairs, and "kernel DEPENDENCY" for the
	# metapackage's dependency, which names the versioned image package.
	local pairs
	pairs=$(awk '
		/^Package: / { pkg = $2 }
		/^Version: / { print pkg, $2 }
		/^Depends: / && pkg == "linux-image-arm64" {
			dep = $2; sub(/[,(].*/, "", dep); sub(/:.*/, "", dep); print "kernel", dep
			if (match($0, /\(= [^)]*\)/))
				print "kernelver", substr($0, RSTART + 3, RLENGTH - 4)
		}' <<<"$info")
	kernel_pkg=$(awk '$1 == "kernel" { print $2 }' <<<"$pairs")
	# The image package's exact version: its headers must match it.
	kernel_pkg_ver=$(awk '$1 == "kernelver" { print $2 }' <<<"$pairs")
	[[ $kernel_pkg == linux-image-* ]] ||
		die "cannot resolve the kernel package from linux-image-arm64:arm64"
	local meta_ver busybox_ver libfdt_ver rt_tests_ver libnuma_ver
	meta_ver=$(awk '$1 == "linux-image-arm64" { print $2 }' <<<"$pairs")
	busybox_ver=$(awk '$1 == "busybox-static" { print $2 }' <<<"$pairs")
	libfdt_ver=$(awk '$1 == "libfdt-dev" { print $2 }' <<<"$pairs")
	rt_tests_ver=$(awk '$1 == "rt-tests" { print $2 }' <<<"$pairs")
	libnuma_ver=$(awk '$1 == "libnuma1" { print $2 }' <<<"$pairs")
	# Stamp names carry the versions; ':' (epochs) is not filename-friendly.
	kernel_stamp="$deps_dir/.stamp-kernel-$kernel_pkg-${meta_ver//:/_}"
	headers_stamp="$deps_dir/.stamp-headers-$kernel_pkg-${kernel_pkg_ver//:/_}"
	busybox_stamp="$deps_dir/.stamp-busybox-${busybox_ver//:/_}"
	libfdt_stamp="$deps_dir/.stamp-libfdt-${libfdt_ver//:/_}"
	rt_tests_stamp="$deps_dir/.stamp-rt-tests-${rt_tests_ver//:/_}-${libnuma_ver//:/_}"
}

# apt-get download PACKAGE... into a fresh scratch folder; prints its path.
# As root apt drops to the _apt user for downloads, so the folder is handed
# to _apt to avoid its "Permission denied" warning.
download_debs() {
	local scratch
	scratch=$(mktemp -d "$deps_dir/download.XXXXXX")
	if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then
		chown _apt "$scratch"
	fi
	(cd "$scratch" && apt-get download -qq "$@" >/dev/null) ||
		{ rm -rf "$scratch"; die "apt-get download $* failed"; }
	echo "$scratch"
}

# unpack_into DEST DEB...: replaces DEST with the union of the DEBs' contents.
unpack_into() {
	local dest=$1 deb
	shift
	rm -rf "$dest"
	mkdir -p "$dest"
	for deb in "$@"; do
		dpkg -x "$deb" "$dest"
	done
}

fetch_kernel() {
	if [[ -f $kernel_stamp && -f $mvm_dir/Image && -f $mvm_dir/kernel-version ]]; then
		return 0
	fi
	say "fetching $kernel_pkg:arm64 into build/deps/kernel"
	local scratch images version
	scratch=$(download_debs "$kernel_pkg:arm64")
	unpack_into "$deps_dir/kernel" "$scratch"/*.deb
	rm -rf "$scratch"
	images=("$deps_dir"/kernel/boot/vmlinuz-*)
	[[ ${#images[@]} -eq 1 && -f ${images[0]} ]] ||
		die "expected exactly one boot/vmlinuz-* in $kernel_pkg"
	version=${images[0]##*/vmlinuz-}
	[[ -d $deps_dir/kernel/lib/modules/$version ]] ||
		die "$kernel_pkg has no lib/modules/$version"
	mkdir -p "$mvm_dir"
	cp "${images[0]}" "$mvm_dir/Image"
	echo "$version" >"$mvm_dir/kernel-version"
	rm -f "$deps_dir"/.stamp-kernel-*
	touch "$kernel_stamp"
}

# The headers to build modules for the MVM kernel (DESIGN section 8): the
# arm64 headers package names the -common package and linux-kbuild in its
# Depends; all three are unpacked into one folder, and the arch package's
# Makefile, which includes the -common tree by absolute path, is pointed
# into that folder.
fetch_headers() {
	if [[ -f $headers_stamp ]]; then
		return 0
	fi
	[[ -n $kernel_pkg_ver ]] ||
		die "cannot resolve the exact version of $kernel_pkg from linux-image-arm64:arm64"
	local headers_pkg=linux-headers-${kernel_pkg#linux-image-}
	say "fetching $headers_pkg:arm64 into build/deps/kernel-headers"
	local depends common_pkg kbuild_pkg
	depends=$(apt-cache show "$headers_pkg:arm64=$kernel_pkg_ver" 2>/dev/null |
		sed -n 's/^Depends: //p' | head -n 1)
	common_pkg=$(tr ',' '\n' <<<"$depends" | grep -o 'linux-headers-[^ ]*-common' | head -n 1)
	kbuild_pkg=$(tr ',' '\n' <<<"$depends" | grep -o 'linux-kbuild-[0-9.]*' | head -n 1)
	[[ -n $common_pkg && -n $kbuild_pkg ]] ||
		die "cannot resolve the -common and linux-kbuild packages of $headers_pkg $kernel_pkg_ver"
	local scratch
	scratch=$(download_debs "$headers_pkg:arm64=$kernel_pkg_ver" \
		"$common_pkg=$kernel_pkg_ver" "$kbuild_pkg:amd64=$kernel_pkg_ver")
	unpack_into "$deps_dir/kernel-headers" "$scratch"/*.deb
	rm -rf "$scratch"
	local kdir="$deps_dir/kernel-headers/usr/src/$headers_pkg"
	[[ -f $kdir/Makefile && -d $deps_dir/kernel-headers/usr/src/$common_pkg ]] ||
		die "$headers_pkg did not give usr/src/$headers_pkg/Makefile and $common_pkg"
	sed -i "s|^include /usr/src/|include $deps_dir/kernel-headers/usr/src/|" "$kdir/Makefile"
	grep -q "^include $deps_dir/" "$kdir/Makefile" ||
		die "unexpected $kdir/Makefile: no 'include /usr/src/...' line to fix"
	rm -f "$deps_dir"/.stamp-headers-*
	touch "$headers_stamp"
}

fetch_busybox() {
	if [[ -f $busybox_stamp ]]; then
		return 0
	fi
	say "fetching busybox-static:arm64 into build/deps/busybox"
	local scratch
	scratch=$(download_debs busybox-static:arm64)
	unpack_into "$deps_dir/busybox" "$scratch"/*.deb
	rm -rf "$scratch"
	[[ -x $deps_dir/busybox/bin/busybox ]] || die "busybox-static:arm64 has no bin/busybox"
	rm -f "$deps_dir"/.stamp-busybox-*
	touch "$busybox_stamp"
}

fetch_libfdt() {
	if [[ -f $libfdt_stamp ]]; then
		return 0
	fi
	say "fetching libfdt-dev:arm64 into build/deps/sysroot-arm64"
	local scratch
	scratch=$(download_debs libfdt-dev:arm64 libfdt1:arm64)
	unpack_into "$deps_dir/sysroot-arm64" "$scratch"/*.deb
	rm -rf "$scratch"
	[[ -f $deps_dir/sysroot-arm64/usr/include/libfdt.h &&
		-f $deps_dir/sysroot-arm64/usr/lib/aarch64-linux-gnu/libfdt.a ]] ||
		die "libfdt-dev:arm64 did not give usr/include/libfdt.h and libfdt.a"
	rm -f "$deps_dir"/.stamp-libfdt-*
	touch "$libfdt_stamp"
}

# cyclictest (rt-tests) and the libnuma it links, for the MVM and the
# example Linux guest (docs/rtvm.md's recipe). Only usr/bin/cyclictest and
# usr/lib/aarch64-linux-gnu/libnuma.so.1 are used; its Python tools are not.
fetch_rt_tests() {
	if [[ -f $rt_tests_stamp ]]; then
		return 0
	fi
	say "fetching rt-tests:arm64 and libnuma1:arm64 into build/deps/rt-tests"
	local scratch
	scratch=$(download_debs rt-tests:arm64 libnuma1:arm64)
	unpack_into "$deps_dir/rt-tests" "$scratch"/*.deb
	rm -rf "$scratch"
	[[ -x $deps_dir/rt-tests/usr/bin/cyclictest &&
		-e $deps_dir/rt-tests/usr/lib/aarch64-linux-gnu/libnuma.so.1 ]] ||
		die "rt-tests:arm64 and libnuma1:arm64 did not give cyclictest and libnuma.so.1"
	rm -f "$deps_dir"/.stamp-rt-tests-*
	touch "$rt_tests_stamp"
}

fetch_all() {
	mkdir -p "$deps_dir"
	resolve_versions
	fetch_kernel
	fetch_headers
	fetch_busybox
	fetch_libfdt
	fetch_rt_tests
}

case "${1:-}" in
"") install_packages; fetch_all ;;
--deps-only) install_packages ;;
--fetch-only) fetch_all ;;
--list-packages) printf '%s\n' "${host_packages[@]}" "${arm64_packages[@]}" ;;
-h | --help)
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
	;;
*) die "unknown option '$1' (use --deps-only, --fetch-only, --list-packages or no option)" ;;
esac
