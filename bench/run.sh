#!/bin/sh
# SPDX-License-Identifier: MIT
# "make bench": runs "ncgpu bench" in the x86_64 and arm64 guests (QEMU TCG)
# and host_cache_bench on this machine, then writes under BENCH_OUT
# (default bench/results/):
#   ARCH.json, host.json      every figure, with the machine it ran on
#   ARCH.txt, host.txt        the tables as the programs printed them
#   summary.md                the key figures and ratios against the targets
#   flush-cost.png, .svg      sync cost against range size, log-log
#   flush-cost-ARCH.dat       the data of the plot
# Benchmarks report; "make bench-check" compares the ratios with the targets.
#
# Environment: BENCH_HOST (the host_cache_bench binary, built by make),
# BENCH_QUICK=1 (fewer repetitions), BENCH_TARGETS (default "x86_64 arm64"),
# BENCH_OUT, VM_TIMEOUT (seconds per guest, default 3600).
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

: "${BENCH_OUT:=$NCGPU_ROOT/bench/results}"
: "${BENCH_TARGETS:=x86_64 arm64}"
: "${BENCH_HOST:?set BENCH_HOST to the host_cache_bench binary (make bench does)}"
: "${VM_TIMEOUT:=3600}"
export VM_TIMEOUT
quick=
[ "${BENCH_QUICK:-0}" = 1 ] && quick=--quick

json_escape() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }

host_cpu_model() {
	sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1
}

qemu_version() {
	case $1 in
	x86_64) qemu="qemu-system-x86_64" ;;
	arm64) qemu="qemu-system-aarch64" ;;
	*) echo none; return ;;
	esac
	"$qemu" --version | head -n 1 | sed 's/^QEMU emulator version //'
}

# The "machine" member every JSON file starts with. Load averages show how
# busy the machine was with other work; ratios are what survives that. The
# host kernel only describes the host benchmark's machine; the guests' kernel
# is in each guest's own JSON.
machine_json() {
	printf '  "machine": { "host_arch": "%s", "host_kernel": "%s", "host_cpu_model": "%s",' \
		"$(uname -m)" "$(json_escape "$(cat /proc/sys/kernel/osrelease)")" "$(json_escape "$(host_cpu_model)")"
	printf ' "host_cpus": %s, "qemu": "%s", "accel": "%s", "date": "%s",' \
		"$(nproc)" "$(json_escape "$(qemu_version "$1")")" "$2" \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf ' "load_average_before": "%s", "load_average_after": "%s" },\n' \
		"$3" "$(cut -d ' ' -f 1-3 /proc/loadavg)"
}

# with_machine FILE ARCH ACCEL LOAD: writes FILE's JSON object with the
# machine member first, to stdout.
with_machine() {
	head -n 1 "$1"
	machine_json "$2" "$3" "$4"
	tail -n +2 "$1"
}

# Cuts what the guest printed between its markers out of the console log.
guest_json() {
	sed -n '/^# NCGPU BENCH JSON$/,/^# NCGPU BENCH END/p' "$1" | sed '1d;$d'
}

guest_table() {
	sed -n '/^ncgpu bench: /,/^# NCGPU BENCH JSON$/p' "$1" | sed '$d'
}

build_guest() {
	say "[$1] building ncgpu.ko and the ncgpu tool"
	# Nothing before may have built this architecture: the folder is ours to make.
	mkdir -p "$WORK"
	"$NCGPU_ROOT/scripts/build-module.sh" "$1" >"$WORK/bench-build.log" 2>&1 ||
		{ cat "$WORK/bench-build.log"; die "[$1] ncgpu.ko does not build"; }
	make --no-print-directory -s -C "$NCGPU_ROOT" ARCH="$1" tools >>"$WORK/bench-build.log" 2>&1 ||
		{ cat "$WORK/bench-build.log"; die "[$1] the ncgpu tool does not build"; }
	"$NCGPU_ROOT/vm/fetch-kernel.sh" "$1"
	"$NCGPU_ROOT/vm/mkinitramfs.sh" "$1"
}

run_guest() {
	target=$1
	load_target_env "$target"
	build_guest "$target"
	load=$(cut -d ' ' -f 1-3 /proc/loadavg)
	log=$WORK/bench.log
	NCGPU_BENCH=$quick "$NCGPU_ROOT/vm/boot.sh" "$target" bench | sed -u 's/\r$//' | tee "$log" ||
		true
	grep -q '^# NCGPU BENCH END status 0$' "$log" || die "[$target] ncgpu bench failed (see $log)"
	guest_json "$log" >"$WORK/bench.json"
	with_machine "$WORK/bench.json" "$target" tcg "$load" >"$BENCH_OUT/$target.json"
	guest_table "$log" >"$BENCH_OUT/$target.txt"
}

run_host() {
	say "[host] host_cache_bench $quick"
	load=$(cut -d ' ' -f 1-3 /proc/loadavg)
	tmp=$BENCH_OUT/host.json.tmp
	# shellcheck disable=SC2086
	"$BENCH_HOST" $quick --json "$tmp" | tee "$BENCH_OUT/host.txt"
	with_machine "$tmp" host none "$load" >"$BENCH_OUT/host.json"
	rm -f "$tmp"
}

mkdir -p "$BENCH_OUT"
start=$(now)
for target in $BENCH_TARGETS; do
	run_guest "$target"
done
run_host
"$NCGPU_ROOT/bench/report.sh" "$BENCH_OUT"
say "benchmarks done in $(elapsed "$start"); results in $BENCH_OUT"
