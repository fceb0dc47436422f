#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs cmocka test programs and sums their summaries. Prints each program's
# output, then "N passed, M failed" as the last line; exits 1 if anything
# failed. A program that ends without a summary (a crash) counts as one
# failure.
set -u

passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() { sed -n "s/^\[  $1 *\] \([0-9][0-9]*\) test(s).*/\1/p" "$log" | head -n 1; }

for test in "$@"; do
	"$test" >"$log" 2>&1
	status=$?
	cat "$log"
	p=$(count PASSED) f=$(count FAILED) s=$(count SKIPPED)
	if [ -z "$p" ] && [ -z "$f" ]; then
		echo "$test: no cmocka summary (exit status $status)"
		f=1
	elif [ "$status" -ne 0 ] && [ -z "$f" ]; then
		echo "$test: exit status $status"
		f=1
	fi
	passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0})) skipped=$((skipped + ${s:-0}))
done

[ "$skipped" -eq 0 ] || echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
