#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the debug kernel of "make check-debug" from Debian's linux-source-6.1:
# x86_64_defconfig + debug/debug.config (merged with the kernel's own
# scripts/kconfig/merge_config.sh), KASAN, lockdep, kmemleak, DMA-API debug,
# fault injection and KUnit, drm/drm_shmem_helper/vgem as modules.
#
# Everything lives in $NCGPU_CACHE/debug-kernel/:
#   src/     the extracted source          build/   objects (O=), also the
#   root/    boot/vmlinuz-REL, lib/modules/REL       KDIR for module builds
#   key      what root/ was built from: the fragment's and source's hashes
# The kernel is built only when root/ is missing or the key changed; a
# changed fragment rebuilds incrementally in the same build/.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

LINUX_SOURCE_TAR=/usr/src/linux-source-6.1.tar.xz
FRAGMENT=$NCGPU_ROOT/debug/debug.config
top=$NCGPU_CACHE/debug-kernel
src=$top/src
build=$top/build
root=$top/root

cache_key() {
	printf 'fragment %s\nsource %s\n' \
		"$(sha256sum <"$FRAGMENT" | cut -d ' ' -f 1)" \
		"$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null || stat -c %s.%Y "$LINUX_SOURCE_TAR")"
}

# Kernel builds need these beyond what the module build needs.
install_build_deps() {
	missing=
	for pkg in flex bison libelf-dev libssl-dev bc; do
		dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $pkg"
	done
	[ -z "$missing" ] && return 0
	say "[debug] installing$missing"
	sudo_if_needed=
	[ "$(id -u)" = 0 ] || sudo_if_needed=sudo
	# shellcheck disable=SC2086
	$sudo_if_needed env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# A new source package replaces the tree (and its objects).
extract() {
	source_version=$(cache_key | sed -n 's/^source //p')
	[ "$(cat "$src/.complete" 2>/dev/null)" = "$source_version" ] && return 0
	say "[debug] extracting $LINUX_SOURCE_TAR"
	rm -rf "$src" "$build"
	mkdir -p "$src"
	tar -xJf "$LINUX_SOURCE_TAR" -C "$src" --strip-components=1
	echo "$source_version" >"$src/.complete"
}

# Prints the fragment's settings that the final .config does not have.
missing_settings() {
	sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*=.*\)$/\1/p' \
		-e 's/^\(# CONFIG_[A-Za-z0-9_]* is not set\)$/\1/p' "$FRAGMENT" |
		while IFS= read -r want; do
			case $want in
			'# '*)
				symbol=${want#\# }
				! grep -q "^${symbol%% *}=" "$build/.config" || echo "$want"
				;;
			*) grep -qx -e "$want" "$build/.config" || echo "$want" ;;
			esac
		done
}

configure() {
	say "[debug] configuring: x86_64_defconfig + debug/debug.config"
	mkdir -p "$build"
	make -s -C "$src" O="$build" x86_64_defconfig >/dev/null
	(cd "$src" && scripts/kconfig/merge_config.sh -O "$build" "$build/.config" "$FRAGMENT") \
		>"$top/merge.log" 2>&1 || { cat "$top/merge.log" >&2; die "merge_config.sh failed"; }
	not_taken=$(missing_settings)
	[ -z "$not_taken" ] || die "debug/debug.config settings the kernel did not take: $not_taken"
}

compile() {
	say "[debug] building the kernel and modules (nice -n 10 make -j$(nproc); about 15 min from scratch on 2 idle cores)"
	start=$(now)
	nice -n 10 make -s -C "$src" O="$build" -j "$(nproc)" bzImage modules \
		>"$top/build.log" 2>&1 || { tail -n 40 "$top/build.log" >&2; die "kernel build failed (see $top/build.log)"; }
	say "[debug] kernel built in $(elapsed "$start")"
}

# Installs into a fresh root/, which only appears once complete.
install_kernel() {
	release=$(make -s -C "$src" O="$build" kernelrelease)
	rm -rf "$root.tmp"
	mkdir -p "$root.tmp/boot"
	make -s -C "$src" O="$build" INSTALL_MOD_PATH="$root.tmp" INSTALL_MOD_STRIP=1 \
		DEPMOD=/sbin/depmod modules_install >/dev/null
	cp "$build/arch/x86/boot/bzImage" "$root.tmp/boot/vmlinuz-$release"
	echo "$release" >"$root.tmp/release"
	rm -rf "$root"
	mv "$root.tmp" "$root"
	cache_key >"$top/key"
}

if [ -f "$root/release" ] && [ "$(cat "$top/key" 2>/dev/null)" = "$(cache_key)" ]; then
	say "[debug] kernel $(cat "$root/release") (cached)"
	exit 0
fi
[ -f "$LINUX_SOURCE_TAR" ] || die "no $LINUX_SOURCE_TAR (run make deps)"
install_build_deps
mkdir -p "$top"
extract
configure
compile
install_kernel
say "[debug] kernel $(cat "$root/release") ready"
