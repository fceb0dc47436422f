#!/bin/sh
# SPDX-License-Identifier: MIT
# make check's "targets" stage: the README's commands work from a fresh
# clone, in any order. Each target runs alone on a wiped build cache (a
# scratch NCGPU_CACHE that keeps only the downloads, the extracted packages
# and the kernels of the real one), so it must make every prerequisite
# itself, as it would for a newcomer whose first command it is.
#
# Run for real: help and make -n (which must delete nothing), guest for
# arm64 (libncgpu, libdrm's arm64 package, the tests, the tool and the
# examples), tools for x86_64, module for arm64, uapi-check and bench-check.
# lint, the module for x86_64 and the guest programs of x86_64 are make
# check's own stages. The targets that boot a guest (run, shell, vm-check)
# are too slow to run here twice; they are proven by their dependency
# structure: on a wiped cache, "make -n run" must build the module and
# every guest program, fetch the kernel and make the initramfs, in that
# order, before it boots (make bench's bench/run.sh makes each guest's
# folder, module, tool and initramfs itself, through the same scripts).
set -u
. "$(dirname "$0")/lib.sh"

real_cache=$NCGPU_CACHE
scratch=$real_cache/fresh-targets
# What "make distclean" alone forgets: the deps stamp, downloads, extracted
# packages and kernels.
KEPT="deps.stamp kernel-abi kernel libdrm-arm64 linux-source"
log=$scratch.log
failures=0

check() {
	if [ "$1" = 0 ]; then
		echo "ok targets: $2"
	else
		echo "not ok targets: $2"
		[ -z "${3:-}" ] || tail -n 30 "$3" | sed 's/^/#   /'
		failures=$((failures + 1))
	fi
}

# Empties the scratch cache but for links to what the real one keeps.
wipe_scratch() {
	rm -rf "$scratch"
	mkdir -p "$scratch"
	for kept in $KEPT; do
		[ ! -e "$real_cache/$kept" ] || ln -s "$real_cache/$kept" "$scratch/$kept"
	done
}

# in_scratch MAKE-ARGUMENTS...: make, alone, on a wiped cache.
in_scratch() {
	wipe_scratch
	NCGPU_CACHE=$scratch make --no-print-directory -C "$NCGPU_ROOT" "$@" >"$log" 2>&1
}

target() {
	description=$1
	shift
	in_scratch "$@"
	check $? "make $* $description" "$log"
}

# A product of another source tree, and its stamp: reading the Makefile
# (help, make -n) must not wipe them; the first real build must.
plant_other_tree() {
	mkdir -p "$scratch/x86_64"
	echo /another/clone >"$scratch/source-tree"
	touch "$scratch/x86_64/planted"
}

say "[targets] each documented target on a wiped build cache"
wipe_scratch
plant_other_tree
(cd "$NCGPU_ROOT" && NCGPU_CACHE=$scratch make -s help && NCGPU_CACHE=$scratch make -s -n module &&
	NCGPU_CACHE=$scratch make -s -n check) >"$log" 2>&1 &&
	[ -f "$scratch/x86_64/planted" ] && [ "$(cat "$scratch/source-tree")" = /another/clone ]
check $? "make help, make -n module and make -n check delete nothing" "$log"
(cd "$NCGPU_ROOT" && NCGPU_CACHE=$scratch make -s uapi-check) >"$log" 2>&1 &&
	[ ! -e "$scratch/x86_64/planted" ] && [ "$(cat "$scratch/source-tree")" = "$NCGPU_ROOT" ]
check $? "make uapi-check wipes another tree's products first" "$log"

target "builds on a wiped build cache" -j "$(nproc)" guest ARCH=arm64
target "builds on a wiped build cache" tools
target "builds on a wiped build cache" module ARCH=arm64
target "runs on a wiped build cache" uapi-check
target "runs on a wiped build cache" bench-check

# The steps "make run" takes, in order, as make -n prints them.
in_scratch -n run ARCH=arm64
awk -v dir="$scratch/arm64/bin/" '
	/build-module\.sh arm64/ && !module { module = NR }
	index($0, dir) && /aarch64-linux-gnu-gcc/ { last_program = NR; programs++ }
	/fetch-kernel\.sh arm64/ { fetch = NR }
	/mkinitramfs\.sh arm64/ { initramfs = NR }
	/boot\.sh arm64 run/ { boot = NR }
	END {
		ok = module && programs && fetch > last_program && fetch > module &&
			initramfs > fetch && boot > initramfs
		exit !ok
	}' "$log" &&
	[ "$(grep -c "aarch64-linux-gnu-gcc.* -o $scratch/arm64/bin/" "$log")" -ge \
		"$(ls "$NCGPU_ROOT"/tests/guest/*_test.c | wc -l)" ]
check $? "make run on a wiped build cache builds the module and every guest program, fetches the kernel and makes the initramfs before it boots" "$log"

rm -rf "$scratch" "$log"
[ "$failures" = 0 ]
