#!/bin/sh
# Adds the packages stage's files to a staged initramfs (called by
# vm/mkinitramfs.sh through INITRAMFS_EXTRAS):
# - a module tree /lib/modules/RELEASE, as a Debian system has: the ncgpu.ko
#   that DKMS installed on this machine for Debian's kernel, at its path
#   there, the kernel's modules mkinitramfs.sh chose (those ncgpu and vgem
#   need) at theirs, and the indexes "depmod -b" makes of them. Nothing is
#   loaded at boot: the /init hook (guest/lane.sh) loads with modprobe;
# - the packaged ncgpu tool and the programs check.sh built with pkg-config,
#   with the shared libraries and the loader they need;
# - the hook and guest/packaged_test.
set -eu
. "$(dirname "$0")/../../scripts/lib.sh"

usage="usage: tests/packages/initramfs-extras.sh x86_64 STAGE_DIR"
target=${1:?$usage}
stage=${2:?$usage}
load_target_env "$target"
tree=$stage/lib/modules/$KVER
guest=$NCGPU_ROOT/tests/packages/guest

# Prints the path of a module file of Debian's kernel (drm.ko) in its tree.
kernel_module_path() {
	awk -F : -v file="$1" '{ name = $1; sub(/.*\//, "", name) } name == file { print $1 }' \
		"$MODDIR/modules.dep"
}

# copy FILE PATH: FILE into the tree at PATH (relative to it).
copy_into_tree() {
	mkdir -p "$tree/${2%/*}"
	cp "$1" "$tree/$2"
}

# mkinitramfs.sh put the modules flat into /lib/modules; each goes to its
# place in the tree instead, where modprobe looks. Its ncgpu.ko is DKMS's.
add_module_tree() {
	for ko in "$stage"/lib/modules/*.ko; do
		name=${ko##*/}
		rm "$ko"
		[ "$name" != ncgpu.ko ] || continue
		path=$(kernel_module_path "$name")
		[ -n "$path" ] || die "$name is not in $MODDIR/modules.dep"
		copy_into_tree "$MODDIR/$path" "$path"
	done
	dkms_module=$(modinfo -k "$KVER" -F filename ncgpu)
	copy_into_tree "$dkms_module" "${dkms_module#/lib/modules/"$KVER"/}"
	cp "$MODDIR/modules.order" "$MODDIR/modules.builtin" "$MODDIR/modules.builtin.modinfo" \
		"$tree/"
	# The headers' Module.symvers knows what vmlinux exports (Debian's
	# System.map is a stub); the modules' own symbols must be in the tree.
	depmod -b "$stage" -e -E "$KDIR/Module.symvers" "$KVER" 2>"$WORK/depmod.log"
	if grep -q 'unknown symbol' "$WORK/depmod.log"; then
		cat "$WORK/depmod.log" >&2
		die "the guest's module tree lacks modules ncgpu or vgem need"
	fi
	: >"$stage/etc/ncgpu/base-modules"
}

copy_to_stage() {
	mkdir -p "$stage${2%/*}"
	cp -L "$1" "$stage$2"
}

# add_program FILE PATH: a dynamically linked program at PATH, with the
# shared libraries and the loader it needs, at the paths they have here.
add_program() {
	copy_to_stage "$1" "$2"
	for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		copy_to_stage "$lib" "$lib"
	done
}

add_module_tree
add_program /usr/bin/ncgpu /usr/bin/ncgpu
# One that did not build is missing: packaged_test reports it.
for program in pkgconfig-info pkgconfig-readme-example; do
	[ ! -f "$WORK/pkgconfig/$program" ] || add_program "$WORK/pkgconfig/$program" "/usr/bin/$program"
done
cp "$guest/lane.sh" "$stage/etc/ncgpu/lane.sh"
cp "$guest/packaged_test" "$stage/tests/packaged_test"
chmod 755 "$stage/tests/packaged_test"
