#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetches Debian's kernel for a target into the cache, without installing it:
# the image and its modules (+ modules.dep), and for arm64 also the headers
# and a static busybox. Cached per kernel release.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

target=${1:?usage: vm/fetch-kernel.sh x86_64|arm64}
load_target_env "$target"

target_packages() {
	case $target in
	x86_64) echo "linux-image-$KVER" ;;
	arm64) echo "linux-image-$KVER:arm64 linux-headers-$KVER:arm64 busybox-static:arm64" ;;
	esac
}

download() {
	say "[$target] fetching kernel $KVER"
	# shellcheck disable=SC2046
	(cd "$1" && apt-get download -q -o APT::Sandbox::User=root $(target_packages) >/dev/null)
}

extract() {
	say "[$target] extracting packages"
	for deb in "$1"/*.deb; do
		dpkg-deb -x "$deb" "$1/root"
	done
}

# The arm64 headers link scripts/ and tools/ relative to /usr/src; the host's
# linux-kbuild-6.1 provides them (the tools are host binaries, so the amd64
# build is the right one). The headers' Makefile includes the arch-independent
# /usr/src/linux-headers-$ABI-common/Makefile from the amd64 headers.
relink_kbuild() {
	headers=$1/root/usr/src/linux-headers-$KVER
	[ -d "$headers" ] || return 0
	[ -f "/usr/src/linux-headers-${KVER%-arm64}-common/Makefile" ] ||
		die "linux-headers-${KVER%-arm64}-common is not installed (run make deps)"
	ln -sfn /usr/lib/linux-kbuild-6.1/scripts "$headers/scripts"
	ln -sfn /usr/lib/linux-kbuild-6.1/tools "$headers/tools"
}

# Debian's x86 bzImage is XZ-compressed, and decompressing it under TCG
# costs about 5 s per boot. QEMU boots the plain ELF through its PVH entry
# point instead. Without one, boot.sh falls back to the bzImage.
extract_vmlinux() {
	[ "$target" = x86_64 ] || return 0
	say "[$target] unpacking vmlinux for direct (PVH) boot"
	image=$1/root/boot/vmlinuz-$KVER
	offset=$(LC_ALL=C grep -aobUP '\xfd7zXZ\x00' "$image" | head -n 1 | cut -d : -f 1)
	[ -n "$offset" ] || return 0
	tail -c +$((offset + 1)) "$image" | xz -dc --single-stream >"$1/vmlinux" 2>/dev/null || true
	if readelf -n "$1/vmlinux" 2>/dev/null | grep -q Xen; then
		mv "$1/vmlinux" "$1/root/boot/vmlinux-$KVER"
	fi
	rm -f "$1/vmlinux"
}

index_modules() {
	say "[$target] indexing modules (depmod)"
	depmod -b "$1/root" "$KVER"
}

if [ -f "$KROOT/.complete" ]; then
	say "[$target] kernel $KVER (cached)"
	exit 0
fi
mkdir -p "$NCGPU_CACHE/kernel"
tmp=$(mktemp -d "$NCGPU_CACHE/kernel/.fetch-$KVER.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
download "$tmp"
extract "$tmp"
relink_kbuild "$tmp"
extract_vmlinux "$tmp"
index_modules "$tmp"
rm -rf "$KROOT"
mv "$tmp/root" "$KROOT"
touch "$KROOT/.complete"
