#!/bin/sh
# SPDX-License-Identifier: MIT
# Adds the debug lane's files to a staged initramfs (called by
# vm/mkinitramfs.sh through INITRAMFS_EXTRAS): the /init hook, the
# programs of debug/guest/, the KUnit module and the lockdep control's
# module.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

target=${1:?usage: debug/initramfs-extras.sh x86_64 STAGE_DIR}
stage=${2:?usage: debug/initramfs-extras.sh x86_64 STAGE_DIR}
load_target_env "$target"
guest=$NCGPU_ROOT/debug/guest

cp "$guest/lane.sh" "$stage/etc/ncgpu/lane.sh"
for program in kunit_test kmemleak_test lockdep_control_test; do
	cp "$guest/$program" "$stage/tests/$program"
	chmod 755 "$stage/tests/$program"
done
# Without it the kunit run reports a skip; check-debug.sh fails its build.
[ ! -f "$WORK/ncgpu_kunit.ko" ] || cp "$WORK/ncgpu_kunit.ko" "$stage/lib/modules/"
# Without it the lockdep control fails; check-debug.sh fails its build.
[ ! -f "$WORK/ncgpu_planted.ko" ] || cp "$WORK/ncgpu_planted.ko" "$stage/lib/modules/"
