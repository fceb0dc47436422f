#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the debug kernel of "make check-debug" from Debian's linux-source-6.1
# with the patch series of upstream/ applied: x86_64_defconfig +
# debug/debug.config (merged with the kernel's own
# scripts/kconfig/merge_config.sh), KASAN, lockdep, kmemleak, DMA-API debug,
# fault injection and KUnit, drm/drm_shmem_helper/vgem as modules.
#
# Everything lives in $NCGPU_CACHE/debug-kernel/:
#   src/     the extracted source, a git tree: the tarball as commit "base",
#            the series applied on top with git am
#   am/      a worktree of src/'s repository where git am applies the series
#   build/   objects (O=), also the KDIR for module builds
#   root/    boot/vmlinuz-REL, lib/modules/REL
#   key      what root/ was built from: the fragment's, the series' and the
#            source's hashes
# The kernel is built only when root/ is missing or the key changed; a
# changed fragment or series rebuilds incrementally in the same build/: only
# the files the series changes (and what depends on them) are rewritten.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

LINUX_SOURCE_TAR=/usr/src/linux-source-6.1.tar.xz
FRAGMENT=$NCGPU_ROOT/debug/debug.config
SERIES_DIR=$NCGPU_ROOT/upstream
top=$NCGPU_CACHE/debug-kernel
src=$top/src
am=$top/am
build=$top/build
root=$top/root

# The patches of the series, in order; the cover letter changes no code.
series() {
	find "$SERIES_DIR" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' |
		LC_ALL=C sort
}

series_hash() {
	# shellcheck disable=SC2046
	cat $(series) /dev/null | sha256sum | cut -d ' ' -f 1
}

cache_key() {
	printf 'fragment %s\nseries %s\nsource %s\n' \
		"$(sha256sum <"$FRAGMENT" | cut -d ' ' -f 1)" "$(series_hash)" \
		"$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null || stat -c %s.%Y "$LINUX_SOURCE_TAR")"
}

# Kernel builds need these beyond what the module build needs.
install_build_deps() {
	missing=
	for pkg in flex bison libelf-dev libssl-dev bc git; do
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
	rm -rf "$src" "$am" "$build" "$top/series-applied"
	mkdir -p "$src"
	tar -xJf "$LINUX_SOURCE_TAR" -C "$src" --strip-components=1
	echo "$source_version" >"$src/.complete"
}

# The tarball's tree as a git repository, as the series is meant to be applied
# to: its .gitignore ignores the whole top level, hence "add -f". Commits are
# the lane's, not anyone's.
lane_git() {
	git -C "$src" -c user.name="ncgpu debug lane" -c user.email=ncgpu-lane@localhost \
		-c advice.detachedHead=false "$@"
}

am_git() {
	git -C "$am" -c user.name="ncgpu debug lane" -c user.email=ncgpu-lane@localhost \
		-c advice.detachedHead=false "$@"
}

make_base_commit() {
	[ -d "$src/.git" ] && lane_git rev-parse -q --verify base >/dev/null && return 0
	say "[debug] recording the source as git commit \"base\" (once)"
	rm -rf "$src/.git"
	lane_git init -q
	lane_git add -f -A -- . ':!.complete'
	lane_git commit -q -m "linux-source-6.1 $(cat "$src/.complete")"
	lane_git tag base
}

# Brings src/ to base + the series. git am runs in a worktree of its own,
# am/, and src/ then checks out the result: git rewrites only the files whose
# contents differ from what src/ had, so make rebuilds only what a changed
# patch changes, not everything that includes a header the series touches.
apply_series() {
	want=$(series_hash)
	[ "$(cat "$top/series-applied" 2>/dev/null)" = "$want" ] && return 0
	make_base_commit
	rm -f "$top/series-applied"
	if ! git -C "$am" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		say "[debug] adding the worktree that applies the series (once)"
		rm -rf "$am"
		lane_git worktree prune
		lane_git worktree add -q --detach "$am" base
	fi
	am_git am --abort >/dev/null 2>&1 || true
	am_git reset -q --hard
	am_git checkout -q --detach base
	n=$(series | wc -l)
	say "[debug] applying the $n patches of upstream/ with git am"
	# shellcheck disable=SC2046
	[ "$n" = 0 ] || am_git am -q $(series) >"$top/am.log" 2>&1 || {
		cat "$top/am.log" >&2
		am_git am --abort >/dev/null 2>&1 || true
		die "the series of upstream/ does not apply with git am"
	}
	lane_git reset -q --hard
	lane_git checkout -q --detach "$(am_git rev-parse HEAD)"
	echo "$want" >"$top/series-applied"
}

# make in the tree. An empty LOCALVERSION keeps the release what the fragment
# says: in a git tree setlocalversion would otherwise append a "+".
kmake() {
	nice -n 10 make -s -C "$src" O="$build" LOCALVERSION= "$@"
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
	kmake x86_64_defconfig >/dev/null
	(cd "$src" && scripts/kconfig/merge_config.sh -O "$build" "$build/.config" "$FRAGMENT") \
		>"$top/merge.log" 2>&1 || { cat "$top/merge.log" >&2; die "merge_config.sh failed"; }
	not_taken=$(missing_settings)
	[ -z "$not_taken" ] || die "debug/debug.config settings the kernel did not take: $not_taken"
}

compile() {
	say "[debug] building the kernel and modules (nice -n 10 make -j$(nproc); about 15 min from scratch on 2 idle cores)"
	start=$(now)
	kmake -j "$(nproc)" bzImage modules \
		>"$top/build.log" 2>&1 || { tail -n 40 "$top/build.log" >&2; die "kernel build failed (see $top/build.log)"; }
	say "[debug] kernel built in $(elapsed "$start")"
}

# Installs into a fresh root/, which only appears once complete.
install_kernel() {
	release=$(kmake kernelrelease)
	rm -rf "$root.tmp"
	mkdir -p "$root.tmp/boot"
	kmake INSTALL_MOD_PATH="$root.tmp" INSTALL_MOD_STRIP=1 \
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
apply_series
configure
compile
install_kernel
say "[debug] kernel $(cat "$root/release") ready"
