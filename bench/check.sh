#!/bin/sh
# SPDX-License-Identifier: MIT
# "make bench-check": compares the ratios "make bench" measured in each guest
# (BENCH_OUT/ARCH.json, default bench/results/) with bench/targets. Prints one
# line per target and guest, measured against target, then "N passed, M
# failed". Exits 1 if a target is missed or a result is missing. Runs nothing
# itself: the figures are those of the latest "make bench".
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/json.sh"
results=${BENCH_OUT:-$root/bench/results}
archs=${BENCH_TARGETS:-x86_64 arm64}
passed=0
failed=0

result() {
	echo "$1 $2"
	if [ "$1" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

# check_target ARCH FILE NAME MAX WHAT
check_target() {
	measured=$(json_number "$2" ratios "$3")
	if [ -z "$measured" ]; then
		result "not ok" "$1 $3: not measured (target <= $4: $5)"
	elif awk -v m="$measured" -v t="$4" 'BEGIN { exit !(m <= t) }'; then
		result ok "$1 $3: measured $measured <= target $4 ($5)"
	else
		result "not ok" "$1 $3: measured $measured > target $4 ($5)"
	fi
}

check_arch() {
	file=$results/$1.json
	if [ ! -f "$file" ]; then
		result "not ok" "$1: no results in $file (run make bench)"
		return
	fi
	echo "# $1: measured $(json_string "$file" date), load average" \
		"$(json_string "$file" load_average_before)" \
		"$(grep -q '"quick": true' "$file" && echo '(a --quick run)')"
	while IFS='|' read -r name max what; do
		# shellcheck disable=SC2086
		check_target "$1" "$file" $name $max "$(echo "$what" | sed 's/^ *//; s/ *$//')"
	done <<EOF
$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$root/bench/targets")
EOF
}

for arch in $archs; do
	check_arch "$arch"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
