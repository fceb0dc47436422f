#!/bin/sh
# SPDX-License-Identifier: MIT
# Adds the debug lane's files to a staged initramfs (called by
# vm/mkinitramfs.sh through INITRAMFS_EXTRAS): the /init hook, the
# programs of debug/guest/, the lockdep control's module and the KUnit
# modules: ncgpu_kunit.ko and the DRM core's suites of the series in
# upstream/, with the modules they need beyond those the guest loads at
# boot.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

target=${1:?usage: debug/initramfs-extras.sh x86_64 STAGE_DIR}
stage=${2:?usage: debug/initramfs-extras.sh x86_64 STAGE_DIR}
load_target_env "$target"
guest=$NCGPU_ROOT/debug/guest
# The in-tree KUnit modules the kunit run loads, from the kernel's modules.
KERNEL_KUNIT_MODULES="kernel/drivers/gpu/drm/tests/drm_gem_sync_test.ko"

cp "$guest/lane.sh" "$stage/etc/ncgpu/lane.sh"
for program in kunit_test kmemleak_test lockdep_control_test; do
	cp "$guest/$program" "$stage/tests/$program"
	chmod 755 "$stage/tests/$program"
done

# /etc/ncgpu/kunit-modules: what the kunit run loads, in order. A module
# that is missing here stays listed, so that the run reports it.
list=$stage/etc/ncgpu/kunit-modules
: >"$list"
for module in $KERNEL_KUNIT_MODULES; do
	# modules.dep lists a module's dependencies deepest last: load those first.
	for dep in $(sed -n "s|^$module: *||p" "$MODDIR/modules.dep" |
		tr ' ' '\n' | sed '/^$/d' | tac); do
		name=${dep##*/}
		grep -qx "$name" "$stage/etc/ncgpu/base-modules" && continue
		[ -f "$stage/lib/modules/$name" ] || cp "$MODDIR/$dep" "$stage/lib/modules/"
		grep -qx "$name" "$list" || echo "$name" >>"$list"
	done
	[ ! -f "$MODDIR/$module" ] || cp "$MODDIR/$module" "$stage/lib/modules/"
	echo "${module##*/}" >>"$list"
done
# Without it the run reports a failure; check-debug.sh fails its build.
[ ! -f "$WORK/ncgpu_kunit.ko" ] || cp "$WORK/ncgpu_kunit.ko" "$stage/lib/modules/"
echo ncgpu_kunit.ko >>"$list"
# Without it the lockdep control fails; check-debug.sh fails its build.
[ ! -f "$WORK/ncgpu_planted.ko" ] || cp "$WORK/ncgpu_planted.ko" "$stage/lib/modules/"
