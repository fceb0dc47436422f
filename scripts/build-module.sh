#!/bin/sh
# Builds ncgpu.ko for a target with W=1, then runs sparse (C=2) on every
# source file. Each target builds a private copy of kernel/ (and include/,
# which the sources reach by relative path), so the two targets never share
# objects and every build is complete: warnings of unchanged files show up
# again. A module that builds without warnings lands in $WORK/ncgpu.ko.
#
# Prints one check line per step ("ok ..." / "not ok ..." + "#" diagnostics)
# and exits 1 if one failed. MODULE_SRC overrides kernel/; NCGPU_KDIR the
# headers to build against (x86_64 only, e.g. a running kernel's build dir).
set -eu
. "$(dirname "$0")/lib.sh"

target=${1:?usage: scripts/build-module.sh x86_64|arm64}
load_target_env "$target"
: "${MODULE_SRC:=$NCGPU_ROOT/kernel}"
[ "$target" = x86_64 ] && KDIR=${NCGPU_KDIR:-$KDIR}
tree=$WORK/module
log=$WORK/module.log

copy_sources() {
	rm -rf "$tree" "$WORK/ncgpu.ko"
	copy_module_sources "$tree"
}

kbuild() {
	make -j "$(nproc)" -C "$KDIR" ARCH="$KARCH" CROSS_COMPILE="$CROSS_COMPILE" \
		M="$tree/kernel" W=1 "$@" modules
}

# Prints lines of $1 that are diagnostics about our own files.
own_diagnostics() {
	grep -E "^$tree/.*: (warning|error):" "$1" | sed "s|^$tree/||" || true
}

report() {
	if [ "$1" = 0 ]; then
		echo "ok $target: $2"
	else
		echo "not ok $target: $2"
		sed "s|$tree/||g; s/^/#   /" "$3"
	fi
	[ "$1" = 0 ]
}

build() {
	say "[$target] building ncgpu.ko against $KVER (W=1)"
	rc=0
	kbuild >"$log" 2>&1 || rc=$?
	status=1
	if [ "$rc" = 0 ] && [ -f "$tree/kernel/ncgpu.ko" ] && ! grep -qi 'warning:' "$log"; then
		status=0
	fi
	report $status "ncgpu.ko builds with W=1 and no warnings" "$log"
}

sparse() {
	say "[$target] running sparse (C=2)"
	rc=0
	kbuild C=2 >"$log.sparse" 2>&1 || rc=$?
	own_diagnostics "$log.sparse" >"$log.sparse.own"
	status=1
	[ "$rc" = 0 ] && [ ! -s "$log.sparse.own" ] && status=0
	report $status "sparse (C=2) finds nothing" "$log.sparse.own"
}

[ -d "$MODULE_SRC" ] || die "no module sources in $MODULE_SRC"
[ "$target" = x86_64 ] || "$NCGPU_ROOT/vm/fetch-kernel.sh" "$target"
[ -d "$KDIR" ] || die "no kernel headers in $KDIR (run scripts/install-deps.sh)"
copy_sources
build || exit 1
# The guest suites test any module that built cleanly, sparse or not.
cp "$tree/kernel/ncgpu.ko" "$WORK/ncgpu.ko"
sparse
