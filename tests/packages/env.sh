# Sourced by scripts/lib.sh: with NCGPU_LANE=packages, load_target_env points
# the guest scripts (initramfs, boot, results) at the packages stage's guest:
# Debian's kernel as usual, but with the ncgpu.ko that DKMS built, loaded by
# modprobe, and the installed packages' programs (tests/packages/check.sh).
# shellcheck shell=sh disable=SC2034

packages_lane_env() {
	[ "$1" = x86_64 ] || die "the packages stage's guest is x86_64 only"
	WORK=$NCGPU_CACHE/$1-packages
	# Written by tests/packages/check.sh: vm/suites.conf's default run, then
	# tests/packages/suites.conf.
	SUITES=$WORK/suites.conf
	INITRAMFS_EXTRAS=$NCGPU_ROOT/tests/packages/initramfs-extras.sh
}
