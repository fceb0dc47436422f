#!/bin/sh
# Turns the JSON files of "make bench" in DIR into the plot data
# (flush-cost-ARCH.dat), the plot (flush-cost.png, flush-cost.svg) and a
# Markdown summary (summary.md) with the ratios against bench/targets.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/json.sh"
dir=${1:?usage: bench/report.sh DIR}
SWEEP_SIZES="64 4096 65536 1048576 16777216 67108864"
HOST_SIZES="4096 65536 1048576 16777216 67108864"

archs=
for arch in x86_64 arm64; do
	[ -f "$dir/$arch.json" ] && archs="$archs $arch"
done
archs=${archs# }
[ -n "$archs" ] || { echo "error: no guest results in $dir" >&2; exit 1; }

us() { awk -v ns="${1:-0}" 'BEGIN { printf "%.6g", ns / 1000 }'; }

human_time() {
	awk -v ns="$1" 'BEGIN {
		if (ns == "") print "-"
		else if (ns < 1e3) printf "%.0f ns\n", ns
		else if (ns < 1e6) printf "%.3g µs\n", ns / 1e3
		else if (ns < 1e9) printf "%.3g ms\n", ns / 1e6
		else printf "%.3g s\n", ns / 1e9 }'
}

human_size() {
	awk -v b="$1" 'BEGIN {
		if (b >= 1048576) printf "%d MiB\n", b / 1048576
		else if (b >= 1024) printf "%d KiB\n", b / 1024
		else printf "%d B\n", b }'
}

num() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else printf "%.3g\n", v }'; }

median() { json_result "$1" "$2" "$3" median_ns; }

write_plot_data() {
	file=$dir/$1.json
	{
		echo "# size exact_dirty q1 q3 exact_clean whole_bo q1 q3 (us, medians and quartiles)"
		for size in $SWEEP_SIZES; do
			line=$size
			for field in median_ns q1_ns q3_ns; do
				line="$line $(us "$(json_result "$file" flush_exact_dirty "$size" "$field")")"
			done
			line="$line $(us "$(median "$file" flush_exact_clean "$size")")"
			for field in median_ns q1_ns q3_ns; do
				line="$line $(us "$(json_result "$file" flush_whole_bo_dirty "$size" "$field")")"
			done
			echo "$line"
		done
	} >"$dir/flush-cost-$1.dat"
}

# row TITLE COMMAND...: a table row with COMMAND's output for each guest.
row() {
	title=$1
	shift
	line="| $title |"
	for arch in $archs; do
		line="$line $("$@" "$dir/$arch.json") |"
	done
	echo "$line"
}

header() {
	line="| $1 |"
	rule="|---|"
	for arch in $archs; do
		line="$line $arch |"
		rule="$rule---:|"
	done
	echo "$line${2:+ $2 |}"
	echo "$rule${2:+---:|}"
}

ratio_of() { num "$(json_number "$2" ratios "$1")"; }
figure_of() { num "$(json_number "$2" figures "$1")"; }
time_of() { human_time "$(median "$3" "$1" "$2")"; }
per_op_of() { human_time "$(json_number "$2" figures "$1")"; }
mib_of() { echo "$(figure_of "$1" "$2") MiB/s"; }

conditions() {
	first=$dir/${archs%% *}.json
	echo "Measured $(json_string "$first" date) on $(json_string "$first" host_cpu_model)," \
		"$(grep -o '"host_cpus": [0-9]*' "$first" | grep -o '[0-9]*$') cores, host kernel" \
		"$(json_string "$first" host_kernel), load average before the run" \
		"$(json_string "$first" load_average_before). Guests: Debian's" \
		"$(json_string "$first" kernel) kernel under QEMU $(json_string "$first" qemu) (TCG, no KVM)," \
		"2 vCPUs, 2 GiB. Clock: $(json_string "$first" clocksource), its cost subtracted from" \
		"each sample.$(grep -q '"quick": true' "$first" && echo ' A --quick run.')"
}

targets_table() {
	echo "### Targets (\`make bench-check\`)"
	echo
	header ratio target
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$root/bench/targets" |
		while IFS='|' read -r name max what; do
			name=$(echo "$name" | tr -d ' ')
			line="| $(echo "$what" | sed 's/^ *//; s/ *$//') (\`$name\`) |"
			for arch in $archs; do
				line="$line $(ratio_of "$name" "$dir/$arch.json") |"
			done
			echo "$line ≤ $(echo "$max" | tr -d ' ') |"
		done
}

figures_table() {
	echo "### Guest figures (medians)"
	echo
	header figure
	row "BO_SYNC FLUSH of 64 B, dirty" time_of flush_exact_dirty 64
	row "BO_SYNC FLUSH of 64 MiB, dirty" time_of flush_exact_dirty 67108864
	row "BO_SYNC FLUSH of 64 MiB, clean" time_of flush_exact_clean 67108864
	row "whole-BO flush after writing 64 B (begin/end baseline)" \
		time_of flush_whole_bo_dirty 64
	row "64 B flush / whole-BO baseline" ratio_of flush_64B_over_whole_bo_baseline
	row "flush per dirty granule" per_op_of flush_ns_per_dirty_granule
	row "flush per clean granule" per_op_of flush_ns_per_clean_granule
	row "FLUSH_AND_INVALIDATE / FLUSH, 64 B" ratio_of flush_invalidate_over_flush_64B
	row "FLUSH_AND_INVALIDATE / FLUSH, 1 MiB" ratio_of flush_invalidate_over_flush_1MiB
	row "batched 64 B op, dirty (one per KiB)" per_op_of batch_ns_per_op_one_call
	row "batched 64 B op, clean" per_op_of batch_ns_per_clean_op
	row "batched op of size 0 (lookup and checks)" per_op_of batch_ns_per_empty_op
	row "batched 64 B op, dirty, contiguous granules" per_op_of batch_ns_per_contiguous_op
	row "BO_SYNC call without ops" per_op_of bo_sync_ns_per_call_without_ops
	row "single-op BO_SYNC call, 64 B dirty" per_op_of batch_ns_per_op_single_calls
	row "engine COPY 16 MiB, write-back to write-back" mib_of copy_wb_to_wb_mib_per_s
	row "engine COPY 16 MiB, write-combined to write-combined" mib_of copy_wc_to_wc_mib_per_s
	row "coherence model memory, 64 MiB BO (bytes)" figure_of memory_model_bytes
	row "libncgpu flush + flush_pending / direct BO_SYNC" ratio_of lib_flush_over_direct
	row "libncgpu flush sent at submit / direct BO_SYNC + submit" \
		ratio_of lib_submit_over_direct_submit
	row "empty SUBMIT, 32 bytes (driver minor 1 layout)" time_of submit_empty_32_bytes 0
	for ops in 0 8 64; do
		row "SUBMIT with $ops sync ops / empty SUBMIT" \
			ratio_of "submit_${ops}_sync_ops_over_empty_submit"
	done
}

host_table() {
	file=$dir/host.json
	[ -f "$file" ] || return 0
	echo
	echo "### Host: libncgpu's userspace cache maintenance ($(json_string "$file" flush_instruction))"
	echo
	echo "$(json_string "$file" cpu_model), kernel $(json_string "$file" kernel), native."
	echo
	line="| |"
	rule="|---|"
	for size in $HOST_SIZES; do
		line="$line $(human_size "$size") |"
		rule="$rule---:|"
	done
	echo "$line"
	echo "$rule"
	for name in cpu_flush_dirty cpu_flush_clean memcpy; do
		line="| $name |"
		for size in $HOST_SIZES; do
			line="$line $(human_time "$(median "$file" "$name" "$size")") |"
		done
		echo "$line"
	done
	echo
	echo "One dirty 64 B line flushed from userspace:" \
		"$(human_time "$(median "$file" cpu_flush_64B_per_call 64)") per call;" \
		"the cheapest trap into the kernel, ioctl(FIONREAD) on a pipe:" \
		"$(human_time "$(median "$file" ioctl_fionread_per_call 0)") (ratio" \
		"$(num "$(json_number "$file" ratios cpu_flush_64B_over_trivial_ioctl)"))."
}

for arch in $archs; do
	write_plot_data "$arch"
done
gnuplot -e "dir='$dir'; archs='$archs'" "$root/bench/flush-cost.gp"
{
	conditions
	echo
	targets_table
	echo
	figures_table
	host_table
} >"$dir/summary.md"
echo "==> $dir/summary.md, $dir/flush-cost.png, $dir/flush-cost.svg"
