#!/bin/sh
# SPDX-License-Identifier: MIT
# "make check": every check of the project, stage by stage, then one last
# line "N passed, M failed". Exits 1 if anything failed.
#
# A stage is a command that prints check lines: "ok ...", "not ok ..." or
# "skip ...", diagnostics as "#" lines after a failure, and progress as
# "==>" lines. A stage that runs its own test framework may instead end with
# its totals, "N passed, M failed" (and "K skipped"). A stage that fails
# without saying what failed counts as one failure. Its full output is kept
# in $NCGPU_CACHE/check/STAGE.log.
#
# A failed stage's logs are also copied, as soon as it ends, to
# $NCGPU_CACHE/failed-runs/TIME/, which a make from another source tree does
# not wipe (it wipes check/ with the other build products); the last
# KEPT_FAILED_RUNS runs are kept. The summary names each failed check's log.
set -u
. "$(dirname "$0")/lib.sh"

TARGETS="x86_64 arm64"
: "${GUEST_TEST_SRC:=$NCGPU_ROOT/tests/guest}"
results=$NCGPU_CACHE/check
failed_checks=$results/failed
totals=$results/totals
failed_runs=$NCGPU_CACHE/failed-runs
evidence=$failed_runs/$(date -u +%Y%m%dT%H%M%SZ)
: "${KEPT_FAILED_RUNS:=5}"

# Prints failed checks with their diagnostics: "#" lines that follow a
# failure, or a "# ---" block (such as a console tail).
failures_with_diagnostics() {
	awk '/^not ok / { show = 1; print; next }
	     /^(ok|skip) / { show = 0; next }
	     /^# --- / { show = 1 }
	     /^#/ && show { print }' "$1"
}

count() { grep -c "^$1 " "$2" || true; }

# Sets passed, failed and skipped from a stage log.
tally() {
	passed=$(count ok "$1")
	failed=$(count 'not ok' "$1")
	skipped=$(count skip "$1")
	[ "$passed$failed$skipped" = 000 ] || return 0
	own=$(sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1 \2/p' "$1" | tail -n 1)
	[ -n "$own" ] || return 0
	passed=${own% *}
	failed=${own#* }
	skipped=$(sed -n 's/^\([0-9][0-9]*\) skipped$/\1/p' "$1" | tail -n 1)
	skipped=${skipped:-0}
	if [ "$failed" != 0 ]; then
		grep -E 'FAIL|ERROR|error' "$1" | head -n 40 | sed 's/^/# --- /' >"$1.tmp"
		echo "not ok $name: $failed failed" >>"$1"
		cat "$1.tmp" >>"$1"
		rm -f "$1.tmp"
	fi
}

# The logs behind a stage's checks, besides its own: the guest's results
# and console, the debug lane's and the packages stage's folders.
stage_logs() {
	case $1 in
	*-suites) ls "$NCGPU_CACHE/${1%-suites}"/*.log ;;
	*-module) ls "$NCGPU_CACHE/${1%-module}"/module.log* ;;
	*-programs) ls "$results"/cc*.log ;;
	debug) ls "$NCGPU_CACHE"/check-debug/*.log "$NCGPU_CACHE"/x86_64-debug*/*.log ;;
	packages) ls "$NCGPU_CACHE"/packages/*.log "$NCGPU_CACHE"/packages/timings \
		"$NCGPU_CACHE"/x86_64-packages/*.log ;;
	esac 2>/dev/null
}

# Copies a failed stage's logs out of the build products, where the next
# make of another tree cannot wipe them; keeps the last KEPT_FAILED_RUNS runs.
keep_evidence() {
	mkdir -p "$evidence/$1"
	cp "$results/$1.log" "$evidence/"
	stage_logs "$1" | while read -r file; do
		cp "$file" "$evidence/$1/$(basename "$(dirname "$file")")-$(basename "$file")"
	done
	# shellcheck disable=SC2012
	ls -1d "$failed_runs"/*/ | sort | head -n -"$KEPT_FAILED_RUNS" | xargs -r rm -rf
}

# Counts a finished stage: its checks, its failures with diagnostics, and
# one summary line.
finish_stage() {
	name=$1
	log=$results/$name.log
	rc=$(cat "$log.rc")
	tally "$log"
	if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
		failed=1
		tail -n 20 "$log" | sed 's/^/# --- /' >"$log.tmp"
		echo "not ok $name: stage stopped with status $rc" >>"$log"
		cat "$log.tmp" >>"$log"
		rm -f "$log.tmp"
	fi
	[ "$failed" = 0 ] || keep_evidence "$name"
	grep '^not ok ' "$log" | sed "s|\$|	$name|" >>"$failed_checks"
	echo "$passed $failed $skipped" >>"$totals"
	failures_with_diagnostics "$log"
	printf '    %s: %s passed, %s failed' "$name" "$passed" "$failed"
	[ "$skipped" = 0 ] || printf ', %s skipped' "$skipped"
	printf ' (%s)\n' "$(elapsed "$(cat "$log.start")")"
}

# stage NAME COMMAND...: runs a stage, showing its progress as it goes.
stage() {
	name=$1
	shift
	log=$results/$name.log
	now >"$log.start"
	{ "$@" 2>&1; echo $? >"$log.rc"; } | tee "$log" | grep --line-buffered '^==>'
	finish_stage "$name"
}

# background_stage NAME COMMAND...: starts a stage; wait_stage collects it.
background_stage() {
	name=$1
	shift
	log=$results/$name.log
	now >"$log.start"
	say "[$name] running in the background"
	{ "$@" >"$log" 2>&1; echo $? >"$log.rc"; } &
}

wait_stage() {
	wait
	grep '^==>' "$results/$1.log"
	finish_stage "$1"
}

# One build for all programs (in parallel), then one check per program.
guest_programs() {
	target=$1
	say "[$target] building guest programs"
	programs=
	for src in "$GUEST_TEST_SRC"/*_test.c "$NCGPU_ROOT"/tools/ncgpu/ncgpu.c \
		"$NCGPU_ROOT"/examples/*.c; do
		[ -f "$src" ] && programs="$programs $(basename "$src" .c)"
	done
	# shellcheck disable=SC2046,SC2086
	if make --no-print-directory -s -k -j "$(nproc)" -C "$NCGPU_ROOT" \
		$(printf " $NCGPU_CACHE/$target/bin/%s" $programs) >"$results/cc.log" 2>&1; then
		all_built=yes
	else
		all_built=no
	fi
	for name in $programs; do
		# After a failure, each program is built alone again, for its own
		# errors: an old binary may still stand where a prerequisite failed.
		if [ $all_built = yes ] || make --no-print-directory -s -C "$NCGPU_ROOT" \
			"$NCGPU_CACHE/$target/bin/$name" >"$results/cc-$name.log" 2>&1; then
			echo "ok $target: $name builds (-Wall -Wextra -Werror, static)"
		else
			echo "not ok $target: $name builds (-Wall -Wextra -Werror, static)"
			sed 's/^/#   /' "$results/cc-$name.log"
		fi
	done
}

guest_suites() {
	target=$1
	if [ ! -f "$NCGPU_CACHE/$target/ncgpu.ko" ]; then
		echo "not ok $target: guest suites (no ncgpu.ko to test)"
		return 1
	fi
	"$NCGPU_ROOT/vm/fetch-kernel.sh" "$target" &&
		"$NCGPU_ROOT/vm/mkinitramfs.sh" "$target" || return
	"$NCGPU_ROOT/vm/boot.sh" "$target" check
	"$NCGPU_ROOT/vm/parse-results.sh" "$target"
}

host_tests() {
	say "[host] make -C tests/host check"
	make --no-print-directory -C "$NCGPU_ROOT/tests/host" check
}

summary() {
	# shellcheck disable=SC2046
	set -- $(awk '{ p += $1; f += $2; s += $3 } END { print p + 0, f + 0, s + 0 }' "$totals")
	say "all stages done in $(elapsed "$check_start")"
	[ "$3" = 0 ] || echo "    $3 skipped (see $results/*.log)"
	if [ "$2" != 0 ]; then
		echo "==> failed checks, and where their logs are kept:"
		while IFS='	' read -r check stage; do
			logs="$evidence/$stage.log"
			[ -z "$(ls -A "$evidence/$stage")" ] || logs="$logs and $evidence/$stage/"
			echo "    $check"
			echo "        (log: $logs)"
		done <"$failed_checks"
	fi
	echo "$1 passed, $2 failed"
	[ "$2" = 0 ]
}

check_start=$(now)
mkdir -p "$results"
rm -f "$results"/*.log "$results"/*.rc "$results"/*.start
: >"$failed_checks"
: >"$totals"
stage uapi "$NCGPU_ROOT/tests/uapi/run.sh"
stage lint "$NCGPU_ROOT/scripts/lint.sh"
[ -f "$NCGPU_ROOT/tests/host/Makefile" ] && stage host host_tests
for target in $TARGETS; do
	stage "$target-module" "$NCGPU_ROOT/scripts/build-module.sh" "$target"
	stage "$target-programs" guest_programs "$target"
done
# The README's targets, each alone on a wiped build cache.
stage targets "$NCGPU_ROOT/scripts/check-targets.sh"
# The two guests spend much of their time waiting on their tests: side by
# side they take little longer than the slower one alone.
background_stage arm64-suites guest_suites arm64
stage x86_64-suites guest_suites x86_64
wait_stage arm64-suites
# The Debian packages: built, installed (DKMS builds the module), booted
# in the x86_64 guest with modprobe, purged. Needs root or sudo.
# The debug lane builds its kernel once (about 13 min on 2 cores) and caches
# it; its guest then takes 8 min and leaves a third of the CPU idle. The
# packages stage runs beside it: both took 607 s, against 648 s one after the
# other. (Two debug guests side by side took longer than one after the
# other: 536 s against 508 s.)
if [ "${NCGPU_DEBUG_LANE:-1}" = 1 ]; then
	# Alone first: a kernel build beside the packages' guest would starve
	# its tests of CPU. The debug stage reports a failed build (it tries
	# again).
	"$NCGPU_ROOT/debug/build-kernel.sh" 2>&1 | grep --line-buffered '^==>'
	background_stage packages "$NCGPU_ROOT/tests/packages/check.sh"
	stage debug "$NCGPU_ROOT/debug/check-debug.sh"
	wait_stage packages
else
	stage packages "$NCGPU_ROOT/tests/packages/check.sh"
	echo "skip debug lane (NCGPU_DEBUG_LANE=0)" >"$results/debug.log"
	echo 0 >"$results/debug.log.rc"
	now >"$results/debug.log.start"
	finish_stage debug
fi
summary
