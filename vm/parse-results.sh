#!/bin/sh
# SPDX-License-Identifier: MIT
# Turns a guest's results log into check lines for the summary:
#   ok TARGET [RUN] DESC / not ok TARGET [RUN] DESC / skip TARGET [RUN] DESC
# A failed check is followed by the diagnostics around it ("#" lines). Every
# run of vm/suites.conf must have finished; one that did not (kernel crash,
# hang) is a failed check. On any failure the kernel console tail follows.
# Exits 1 if anything failed.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

target=${1:?usage: vm/parse-results.sh x86_64|arm64}
load_target_env "$target"
results=$WORK/results.log
console=$WORK/console.log
CONSOLE_TAIL=40

suite_names() {
	# shellcheck disable=SC2086
	grep -h -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' $SUITES |
		cut -d '|' -f 1 | tr -d ' \t'
}

parse() {
	awk -v target="$target" -v runs="$(suite_names | tr '\n' ' ')" '
	function result(status, text) {
		print status " " target " [" run "] " text
		if (status == "not ok") { printf "%s", context; failures++ }
		forget()
	}
	function forget() { context = ""; ncontext = 0 }
	# Diagnostics come before the result they explain; keep the last lines.
	function diagnostic(text) {
		if (++ncontext > 100) sub(/^[^\n]*\n/, "", context)
		context = context "#   " text "\n"
	}
	{ sub(/\r+$/, "") }
	/^# NCGPU / { print "# " target ": " substr($0, 9); next }
	match($0, /^\[[A-Za-z0-9_-]+\] /) {
		run = substr($0, 2, RLENGTH - 3); line = substr($0, RLENGTH + 1)
		if (line ~ /^# BEGIN/) { began[run] = 1; forget() }
		else if (line ~ /^# END$/) ended[run] = 1
		else if (line ~ /^# RUN /) { forget(); diagnostic(line) }
		else if (line ~ /^# TIME /) forget()
		else if (line ~ /^# SKIP /) result("skip", substr(line, 8))
		else if (line ~ /^ok .*# SKIP/) result("skip", substr(line, 4))
		else if (line ~ /^ok /) result("ok", substr(line, 4))
		else if (line ~ /^not ok /) result("not ok", substr(line, 8))
		else diagnostic(line)
	}
	END {
		n = split(runs, want, " ")
		for (i = 1; i <= n; i++) {
			run = want[i]
			if (ended[run]) continue
			forget()
			result("not ok", began[run] ? "run did not finish (guest crashed or hung)" \
						    : "run did not start (guest crashed or hung)")
		}
		exit (failures > 0)
	}' "$results"
}

# On arm64 the console also carries the results: leave those out.
console_tail() {
	echo "# --- $target: last $CONSOLE_TAIL lines of the kernel console:"
	tr -d '\r' <"$console" 2>/dev/null | grep -v -E '^\[[A-Za-z0-9_-]+\] |^# NCGPU' |
		tail -n "$CONSOLE_TAIL" | sed 's/^/#   /'
}

[ -f "$results" ] || : >"$results"
parse || { console_tail; exit 1; }
