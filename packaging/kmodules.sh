# shellcheck shell=bash
# Kernel modules for an initramfs, shared by mkinitramfs.sh (the MVM) and
# mkguestinitramfs.sh (the example Linux guest). Sourced, not run.
#
#   kmodules_install SRC DEST MODULE...
#       SRC   lib/modules/VERSION of the unpacked kernel package
#       DEST  lib/modules/VERSION inside the image being staged
#     Copies each MODULE (by name: dashes and underscores alike) and,
#     recursively, the modules it depends on (modinfo's "depends"), keeping
#     their paths under kernel/, plus modules.builtin, modules.builtin.modinfo
#     and modules.order, so that depmod can index them and modprobe finds
#     them. A module built into the kernel needs nothing and is skipped. A
#     name written "?NAME" is optional: skipped if this kernel lacks it.
#     Sets kmodules_installed to the names copied.
#
# Needs bash 4 (associative arrays) and modinfo (Debian package kmod).

kmodules_install() {
	local src=$1 dest=$2
	shift 2
	local ko name module rel
	local -A ko_path=() wanted=()

	command -v modinfo >/dev/null || PATH=$PATH:/sbin:/usr/sbin
	command -v modinfo >/dev/null ||
		{ echo "kmodules: modinfo not found (Debian package kmod)" >&2; return 1; }

	# Module name (dashes folded to underscores, as the kernel does) -> .ko.
	while IFS= read -r ko; do
		name=$(basename "$ko" .ko)
		ko_path[${name//-/_}]=$ko
	done < <(find "$src/kernel" -name '*.ko')

	# add NAME OPTIONAL: NAME and its dependencies into wanted[].
	kmodules_add() {
		local name=${1//-/_} optional=$2 dep deps
		[[ -n ${wanted[$name]:-} ]] && return 0
		if [[ -z ${ko_path[$name]:-} ]]; then
			# Built into the kernel: nothing to ship.
			grep -q -e "/${name}.ko\$" -e "/${name//_/-}.ko\$" "$src/modules.builtin" &&
				return 0
			[[ $optional == 1 ]] && return 0
			echo "kmodules: module $name not found in $src" >&2
			return 1
		fi
		wanted[$name]=1
		deps=$(modinfo -F depends "${ko_path[$name]}") || return 1
		for dep in ${deps//,/ }; do
			kmodules_add "$dep" 0 || return 1
		done
	}

	for module in "$@"; do
		if [[ $module == \?* ]]; then
			kmodules_add "${module#\?}" 1 || return 1
		else
			kmodules_add "$module" 0 || return 1
		fi
	done
	unset -f kmodules_add

	mkdir -p "$dest"
	for name in "${!wanted[@]}"; do
		rel=${ko_path[$name]#"$src"/}
		mkdir -p "$dest/$(dirname "$rel")"
		cp "${ko_path[$name]}" "$dest/$rel"
	done
	cp "$src"/modules.builtin "$src"/modules.order "$dest"/
	if [[ -f $src/modules.builtin.modinfo ]]; then
		cp "$src/modules.builtin.modinfo" "$dest"/
	fi
	# shellcheck disable=SC2034 # for the caller
	kmodules_installed="${!wanted[*]}"
}
