# SPDX-License-Identifier: MIT
# Sourced by scripts/lib.sh: with NCGPU_KERNEL=debug, load_target_env points
# the harness (module build, initramfs, boot, results) at the debug kernel
# that debug/build-kernel.sh built, instead of Debian's.
# shellcheck shell=sh disable=SC2034

debug_kernel_env() {
	[ "$1" = x86_64 ] || die "the debug kernel is x86_64 only"
	KROOT=$NCGPU_CACHE/debug-kernel/root
	[ -f "$KROOT/release" ] || die "no debug kernel yet: run debug/build-kernel.sh"
	KVER=$(cat "$KROOT/release")
	KDIR=$NCGPU_CACHE/debug-kernel/build
	VMLINUZ=$KROOT/boot/vmlinuz-$KVER
	# No ELF vmlinux: boot.sh boots the bzImage (see debug.config).
	VMLINUX=$KROOT/boot/vmlinux-$KVER
	MODDIR=$KROOT/lib/modules/$KVER
	WORK=$NCGPU_CACHE/$1-debug
	SUITES=${NCGPU_SUITES:-"$NCGPU_ROOT/vm/suites.conf $NCGPU_ROOT/debug/suites.conf"}
	INITRAMFS_EXTRAS=$NCGPU_ROOT/debug/initramfs-extras.sh
	# KASAN, lockdep and kmemleak slow the guest down several times.
	: "${VM_TIMEOUT:=2400}"
	# The lane's second boot: every DMA mapping bounces (swiotlb=force), so
	# a dma-buf sync that does not happen leaves stale data.
	if [ "${NCGPU_DEBUG_BOOT:-}" = swiotlb ]; then
		WORK=$NCGPU_CACHE/$1-debug-swiotlb
		SUITES=$NCGPU_ROOT/debug/swiotlb.conf
		NCGPU_KERNEL_ARGS=swiotlb=force
	fi
}
