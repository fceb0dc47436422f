#!/bin/sh
# SPDX-License-Identifier: MIT
# "make check-debug": the debug lane, x86_64 only.
#   kernel   Debian's linux-source-6.1 with the series of upstream/ applied,
#            built with KASAN, lockdep, kmemleak, DMA-API debug, fault
#            injection and KUnit (debug/build-kernel.sh; cached, rebuilt
#            incrementally when debug/debug.config or the series changes)
#   series   kernel-doc finds nothing in the files the series changes
#   module   ncgpu.ko against it, W=1 and sparse, as in make check: in core
#            mode, on the core's drm_gem_sync() (kernel/sync/ drops out)
#   kunit    ncgpu_kunit.ko from kernel/tests, W=1 and sparse
#   planted  ncgpu_planted.ko, which allocates on the way to a fence's signal
#   suites   every run of vm/suites.conf, then those of debug/suites.conf
#            (fault injection, KUnit of ncgpu and of the series, a last
#            kmemleak scan, the lockdep control that must see the planted
#            allocation); any KASAN, lockdep, DMA-API or kmemleak report
#            fails the run it shows in
#   swiotlb  a second boot with swiotlb=force for debug/swiotlb.conf: vgem's
#            cached buffers, imported into ncgpu, synced by DMA_BUF_IOCTL_SYNC
# Prints check lines like make check and ends with "N passed, M failed";
# full logs in $NCGPU_CACHE/check-debug/. Exits 1 if anything failed.
set -u
. "$(dirname "$0")/../scripts/lib.sh"

export NCGPU_KERNEL=debug
# KASAN's quarantine keeps freed objects: 5000 freed BOs left 8.5 MiB missing.
: "${NCGPU_MEMORY_SLACK_KIB:=16384}"
export NCGPU_MEMORY_SLACK_KIB
# The randomized model tests run 1000 operations per variant here, not 2500:
# this lane looks for KASAN, lockdep and kmemleak reports, and each kind of
# operation comes hundreds of times in 1000; the x86_64 and arm64 lanes keep
# the long runs that look for wrong data. (At 2500 they took 86 s of the
# debug guest's 480.)
: "${NCGPU_MODEL_OPS:=1000}"
export NCGPU_MODEL_OPS
: "${MODULE_SRC:=$NCGPU_ROOT/kernel}"
: "${GUEST_TEST_SRC:=$NCGPU_ROOT/tests/guest}"
results=$NCGPU_CACHE/check-debug

# step NAME COMMAND...: runs a step, keeping its output in NAME.log and
# showing its progress, check lines and diagnostics. Fails if the command
# does; one that fails without saying what failed counts as one failure.
# (The step_ variables are its own: the commands may set any other.)
step() {
	step_name=$1
	shift
	step_log=$results/$step_name.log
	step_start=$(now)
	{ "$@" 2>&1; echo $? >"$step_log.rc"; } | tee "$step_log" |
		grep --line-buffered -E '^(==>|ok |not ok |skip |#)'
	echo "    $step_name: $(elapsed "$step_start")" >>"$results/timings"
	step_rc=$(cat "$step_log.rc")
	if [ "$step_rc" != 0 ] && ! grep -q '^not ok ' "$step_log"; then
		echo "not ok debug: $step_name stopped with status $step_rc" | tee -a "$step_log"
		tail -n 20 "$step_log" | sed 's/^/#   /'
	fi
	[ "$step_rc" = 0 ]
}

kernel() {
	if "$NCGPU_ROOT/debug/build-kernel.sh"; then
		echo "ok debug: the debug kernel builds"
	else
		echo "not ok debug: the debug kernel builds (see $NCGPU_CACHE/debug-kernel/build.log)"
		return 1
	fi
}

# The kernel's kernel-doc on every C file and header the series changes, as
# they stand with the whole series applied.
series_kernel_doc() {
	src=$NCGPU_CACHE/debug-kernel/src
	files=$(git -C "$src" diff --name-only base HEAD -- '*.c' '*.h')
	if [ -z "$files" ]; then
		echo "not ok debug: the series of upstream/ is applied to the kernel"
		return 1
	fi
	# shellcheck disable=SC2086
	if (cd "$src" && scripts/kernel-doc -none $files) >"$results/kernel-doc.out" 2>&1 &&
		[ ! -s "$results/kernel-doc.out" ]; then
		echo "ok debug: kernel-doc finds nothing in the files of the series"
	else
		echo "not ok debug: kernel-doc finds nothing in the files of the series"
		sed 's/^/#   /' "$results/kernel-doc.out"
		return 1
	fi
}

# fresh_tree SRC TREE: TREE becomes a copy of SRC without build products.
fresh_tree() {
	rm -rf "$2"
	mkdir -p "$2"
	cp -R "$1/." "$2/"
	find "$2" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
}

# Like scripts/build-module.sh, for kernel/tests against the debug kernel.
kunit_module() {
	tree=$WORK/kunit
	log=$WORK/kunit.log
	say "[debug] building ncgpu_kunit.ko (W=1, sparse)"
	rm -f "$WORK/ncgpu_kunit.ko"
	fresh_tree "$MODULE_SRC" "$tree"
	rc=0
	make -j "$(nproc)" -C "$KDIR" M="$tree/tests" W=1 C=2 modules >"$log" 2>&1 || rc=$?
	if [ "$rc" = 0 ] && [ -f "$tree/tests/ncgpu_kunit.ko" ] &&
		! grep -q -E "^$tree/.*: (warning|error):" "$log"; then
		cp "$tree/tests/ncgpu_kunit.ko" "$WORK/ncgpu_kunit.ko"
		echo "ok debug: ncgpu_kunit.ko builds with W=1, sparse finds nothing"
	else
		echo "not ok debug: ncgpu_kunit.ko builds with W=1, sparse finds nothing"
		grep -E "(warning|error)" "$log" | sed "s|$tree/||; s/^/#   /"
		return 1
	fi
}

# ncgpu.ko built to allocate on the way to a fence's signal, for the run
# that shows lockdep catching it (debug/guest/lockdep_control_test).
planted_module() {
	tree=$WORK/planted
	log=$WORK/planted.log
	say "[debug] building ncgpu_planted.ko (NCGPU_PLANT_SIGNALLING_ALLOC)"
	rm -f "$WORK/ncgpu_planted.ko"
	fresh_tree "$WORK/module" "$tree"
	if make -j "$(nproc)" -C "$KDIR" M="$tree/kernel" KCFLAGS=-DNCGPU_PLANT_SIGNALLING_ALLOC \
		modules >"$log" 2>&1 && [ -f "$tree/kernel/ncgpu.ko" ]; then
		cp "$tree/kernel/ncgpu.ko" "$WORK/ncgpu_planted.ko"
		echo "ok debug: ncgpu_planted.ko builds"
	else
		echo "not ok debug: ncgpu_planted.ko builds"
		tail -n 20 "$log" | sed 's/^/#   /'
		return 1
	fi
}

# The same static programs as make check's x86_64 guest.
programs() {
	make --no-print-directory -s -C "$NCGPU_ROOT" ARCH=x86_64 guest || return
	mkdir -p "$WORK/bin"
	cp "$NCGPU_CACHE/x86_64/bin/"* "$WORK/bin/"
}

suites() {
	"$NCGPU_ROOT/vm/mkinitramfs.sh" x86_64 || return
	"$NCGPU_ROOT/vm/boot.sh" x86_64 check
	"$NCGPU_ROOT/vm/parse-results.sh" x86_64
}

# The second boot (debug/env.sh), with the module and programs of the first.
swiotlb_suites() {
	main_work=$WORK
	(
		NCGPU_DEBUG_BOOT=swiotlb
		export NCGPU_DEBUG_BOOT
		load_target_env x86_64
		rm -rf "$WORK"
		mkdir -p "$WORK/bin"
		cp "$main_work/ncgpu.ko" "$WORK/"
		cp "$main_work/bin/"* "$WORK/bin/"
		suites
	)
}

summary() {
	passed=$(cat "$results"/*.log | grep -c '^ok ')
	failed=$(cat "$results"/*.log | grep -c '^not ok ')
	skipped=$(cat "$results"/*.log | grep -c '^skip ')
	say "debug lane done in $(elapsed "$lane_start")"
	cat "$results/timings"
	[ "$skipped" = 0 ] || echo "    $skipped skipped"
	if [ "$failed" != 0 ]; then
		echo "==> failed checks:"
		cat "$results"/*.log | grep '^not ok ' | sed 's/^/    /'
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

lane_start=$(now)
rm -rf "$results"
mkdir -p "$results"
: >"$results/timings"
if step kernel kernel; then
	load_target_env x86_64
	step series series_kernel_doc
	step module "$NCGPU_ROOT/scripts/build-module.sh" x86_64
	step kunit kunit_module
	step planted planted_module
	# build-module.sh leaves a module to test only if it built without warnings.
	if [ -f "$WORK/ncgpu.ko" ] && step programs programs; then
		step suites suites
		step swiotlb swiotlb_suites
	fi
fi
summary
