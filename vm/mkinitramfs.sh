#!/bin/sh
# SPDX-License-Identifier: MIT
# Packs the guest initramfs of a target: busybox, /init, the suites, ncgpu.ko,
# vgem.ko and the Debian modules they need (resolved from the target's
# modules.dep), the test programs, the ncgpu tool and the libncgpu examples.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

target=${1:?usage: vm/mkinitramfs.sh x86_64|arm64}
load_target_env "$target"
ko=$WORK/ncgpu.ko
bin=$WORK/bin
out=$WORK/initramfs.cpio.gz

# Prints the modules.dep paths of the modules named in $@ and of all they
# depend on, each once, in load order.
resolve_modules() {
	awk -v want="$*" '
	function name_of(p) { sub(/.*\//, "", p); sub(/\.ko.*$/, "", p); gsub("-", "_", p); return p }
	function emit(p) { if (!(p in seen)) { seen[p] = 1; print p } }
	{
		p = $1; sub(/:$/, "", p); n = name_of(p); path[n] = p
		# modules.dep lists the deepest dependency last; load it first.
		deps[n] = ""; for (i = NF; i >= 2; i--) deps[n] = deps[n] " " $i
	}
	END {
		k = split(want, w, " ")
		for (j = 1; j <= k; j++) {
			n = w[j]; gsub("-", "_", n)
			if (!(n in path)) { print "no module " n " in modules.dep" > "/dev/stderr"; exit 1 }
			m = split(deps[n], d, " ")
			for (i = 1; i <= m; i++) emit(d[i])
			emit(path[n])
		}
	}' "$MODDIR/modules.dep"
}

ncgpu_dependencies() {
	modinfo -F depends "$ko" | tr , ' '
}

# Everything but vgem is loaded at boot; vgem is loaded per run, after ncgpu.
add_modules() {
	mkdir -p "$1/lib/modules" "$1/etc/ncgpu"
	: >"$1/etc/ncgpu/base-modules"
	# shellcheck disable=SC2046
	for p in $(resolve_modules $(ncgpu_dependencies) vgem); do
		cp "$MODDIR/$p" "$1/lib/modules/"
		[ "${p##*/}" = vgem.ko ] || echo "${p##*/}" >>"$1/etc/ncgpu/base-modules"
	done
	cp "$ko" "$1/lib/modules/ncgpu.ko"
}

# Only programs whose source still exists: a stale binary must not run.
add_programs() {
	mkdir -p "$1/bin" "$1/tests"
	cp "$BUSYBOX" "$1/bin/busybox"
	[ -x "$bin/ncgpu" ] && cp "$bin/ncgpu" "$1/bin/ncgpu"
	for src in "$NCGPU_ROOT"/examples/*.c; do
		name=$(basename "$src" .c)
		[ -x "$bin/$name" ] && cp "$bin/$name" "$1/bin/"
	done
	for src in "${GUEST_TEST_SRC:-$NCGPU_ROOT/tests/guest}"/*_test.c; do
		name=$(basename "$src" .c)
		[ -x "$bin/$name" ] && cp "$bin/$name" "$1/tests/"
	done
	return 0
}

add_init() {
	cp "$NCGPU_ROOT/vm/init.sh" "$1/init"
	chmod 755 "$1/init"
	# shellcheck disable=SC2086
	cat $SUITES >"$1/etc/ncgpu/suites.conf"
}

[ -f "$ko" ] || die "no $ko: build the module first (make module ARCH=$target)"
[ -f "$MODDIR/modules.dep" ] || die "no kernel for $target: run vm/fetch-kernel.sh $target"
say "[$target] packing initramfs"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
add_modules "$stage"
add_programs "$stage"
add_init "$stage"
[ -z "$INITRAMFS_EXTRAS" ] || "$INITRAMFS_EXTRAS" "$target" "$stage"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
