#!/bin/sh
# "make install-module": builds ncgpu.ko for one kernel and installs it where
# modprobe finds it: the kernel's modules_install into updates/, then depmod,
# which also resolves the modules ncgpu needs.
#   KVER     kernel release; default: KDIR's, else the release Debian's
#            headers metapackage points at
#   KDIR     its build directory; default /lib/modules/KVER/build
#   DESTDIR  staging root instead of /
set -eu
. "$(dirname "$0")/lib.sh"

KVER=${KVER:-}
KDIR=${KDIR:-}
DESTDIR=${DESTDIR:-}

# The release modules of a kernel's build directory are for. Debian's
# headers put the upstream version ("6.1.192") in kernel.release, so it is
# read where the modules' vermagic comes from.
headers_release() {
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$1/include/generated/utsrelease.h"
}

kernel_release() {
	if [ -n "$KDIR" ]; then
		headers_release "$KDIR"
	else
		abi=$(debian_kernel_abi)
		[ -n "$abi" ] || die "apt knows no linux-headers-amd64: give KVER or KDIR"
		echo "$abi-$(dpkg --print-architecture)"
	fi
}

[ -n "$KVER" ] || KVER=$(kernel_release)
: "${KDIR:=/lib/modules/$KVER/build}"
[ -f "$KDIR/Makefile" ] || die "no kernel headers in $KDIR (install linux-headers-$KVER)"
built_for=$(headers_release "$KDIR")
[ "$built_for" = "$KVER" ] || die "KDIR $KDIR is for $built_for, not KVER $KVER"
if [ -n "$DESTDIR" ]; then
	mkdir -p "$DESTDIR"
	# Kbuild runs in KDIR: a relative path would land there.
	DESTDIR=$(cd "$DESTDIR" && pwd)
fi

tree=$NCGPU_CACHE/install/module-$KVER
rm -rf "$tree"
copy_module_sources "$tree"
say "building ncgpu.ko for $KVER"
make -j "$(nproc)" -C "$KDIR" M="$tree/kernel" modules
say "installing it into ${DESTDIR:-}/lib/modules/$KVER/updates"
# Debian's headers carry no signing key, so signing could only fail.
make -C "$KDIR" M="$tree/kernel" KERNELRELEASE="$KVER" INSTALL_MOD_PATH="$DESTDIR" \
	INSTALL_MOD_DIR=updates CONFIG_MODULE_SIG_ALL= modules_install
depmod ${DESTDIR:+-b "$DESTDIR"} "$KVER"
