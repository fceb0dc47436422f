#!/bin/sh
# "make check-series": each patch of upstream/ builds on its own, so the
# series is bisectable. On the debug lane's kernel tree (debug/build-kernel.sh
# must have built it), the patches are applied one at a time onto "base" and
# after each one the files it touches are checked, then the DRM modules are
# built: incrementally, but a patch that changes a DRM header rebuilds most of
# drivers/gpu/drm/ (minutes on 2 cores). Prints one check line per patch and
# step and ends with "N passed, M failed"; leaves the tree with the whole
# series applied, as the lane wants it. Not part of make check.
set -u
. "$(dirname "$0")/../scripts/lib.sh"

top=$NCGPU_CACHE/debug-kernel
src=$top/src
build=$top/build
log=$NCGPU_CACHE/check-series.log
passed=0
failed=0

[ -f "$top/series-applied" ] || die "no debug kernel with the series yet: run make check-debug"

lane_git() {
	git -C "$src" -c user.name="ncgpu debug lane" -c user.email=ncgpu-lane@localhost \
		-c advice.detachedHead=false "$@"
}

result() {
	if [ "$1" = 0 ]; then
		echo "ok series: $2"
		passed=$((passed + 1))
	else
		echo "not ok series: $2"
		tail -n 30 "$log" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

# The C files and headers the last applied patch touches.
touched() {
	lane_git diff --name-only HEAD~1 HEAD -- '*.c' '*.h'
}

# checkpatch --strict and kernel-doc on the patch as applied.
check_patch() {
	rc=0
	lane_git format-patch -1 --stdout HEAD |
		perl "$src/scripts/checkpatch.pl" --no-tree --strict -q - >"$log" 2>&1 || rc=1
	[ -s "$log" ] && rc=1
	result $rc "$1: checkpatch.pl --strict finds nothing"
	rc=0
	# shellcheck disable=SC2046
	(cd "$src" && scripts/kernel-doc -none $(touched)) >"$log" 2>&1 || rc=1
	[ -s "$log" ] && rc=1
	result $rc "$1: kernel-doc finds nothing"
}

# The DRM modules, with W=1 on the files the patch touches.
build_patch() {
	rc=0
	objs=$(touched | sed -n 's|^\(drivers/.*\)\.c$|\1.o|p')
	# shellcheck disable=SC2086
	{ [ -z "$objs" ] || nice -n 10 make -s -C "$src" O="$build" LOCALVERSION= -j "$(nproc)" W=1 $objs; } \
		>"$log" 2>&1 || rc=1
	grep -q 'warning:' "$log" && rc=1
	[ "$rc" = 0 ] && { nice -n 10 make -s -C "$src" O="$build" LOCALVERSION= -j "$(nproc)" \
		drivers/gpu/drm/ >"$log" 2>&1 || rc=1; }
	result $rc "$1: drivers/gpu/drm/ builds (W=1 on the files it touches)"
}

head=$(lane_git rev-parse HEAD)
n=$(lane_git rev-list --count base..HEAD)
say "[series] $n patches, one at a time"
for i in $(seq "$n"); do
	commit=$(lane_git rev-list --reverse base..$head | sed -n "${i}p")
	lane_git checkout -q --detach "$commit"
	name="patch $i ($(lane_git log -1 --format=%s))"
	check_patch "$name"
	build_patch "$name"
done
lane_git checkout -q --detach "$head"
say "[series] rebuilding the whole series' modules"
nice -n 10 make -s -C "$src" O="$build" LOCALVERSION= -j "$(nproc)" modules >"$log" 2>&1
result $? "the whole series: the kernel's modules build"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
