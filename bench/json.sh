# SPDX-License-Identifier: MIT
# Readers of the JSON files "ncgpu bench" and host_cache_bench write, for
# bench/report.sh and bench/check.sh. Source it; do not run it. The writers
# put every member these read on a line of its own, so awk suffices and the
# scripts need no JSON tool.
# shellcheck shell=sh

# json_number FILE OBJECT KEY: the number KEY of the top-level member OBJECT
# ("ratios", "figures"), or nothing.
json_number() {
	awk -v obj="  \"$2\": {" -v key="\"$3\":" '
		index($0, obj) == 1 { inside = 1; next }
		inside && /^  [}]/ { inside = 0 }
		inside && $1 == key { v = $2; sub(/,$/, "", v); print v; exit }' "$1"
}

# json_result FILE NAME SIZE FIELD: FIELD (median_ns, q1_ns, ...) of the
# result NAME at SIZE, or nothing.
json_result() {
	awk -v name="\"name\": \"$2\"," -v size="\"size\": $3," -v field="\"$4\": " '
		index($0, name) && index($0, size) && (i = index($0, field)) {
			v = substr($0, i + length(field)); sub(/[ ,}].*/, "", v); print v; exit
		}' "$1"
}

# json_string FILE KEY: the first string member KEY anywhere, or nothing.
json_string() {
	awk -v key="\"$2\": \"" '
		(i = index($0, key)) {
			v = substr($0, i + length(key)); sub(/".*/, "", v); print v; exit
		}' "$1"
}
