#!/bin/busybox sh
# shellcheck shell=dash disable=SC2086,SC2013
# /init of the test guest (busybox sh, PID 1).
#
# The kernel command line selects what to do:
#   ncgpu_mode=check   run every suite of /etc/ncgpu/suites.conf
#   ncgpu_mode=run     load ncgpu and vgem, run "ncgpu info" and "ncgpu demo"
#   ncgpu_mode=shell   load ncgpu and vgem, then give an interactive shell
#   ncgpu_mode=bench   load ncgpu, run "ncgpu bench", then print its JSON
#                      between "# NCGPU BENCH JSON" and "# NCGPU BENCH END"
#   ncgpu_bench=A,B    options of "ncgpu bench" (e.g. --quick)
#   ncgpu_out=DEV      where results go (default /dev/console)
#   ncgpu_params=A,B   module parameters of ncgpu for run and shell
#   NCGPU_*=VALUE      exported to the tests (seed, op counts, durations)
#
# Results protocol (check mode), one line each, parsed by vm/parse-results.sh:
#   [RUN] # BEGIN ...      a run starts
#   [RUN] ok DESC          a passed check (ours or a kselftest TAP line)
#   [RUN] not ok DESC      a failed check
#   [RUN] # SKIP ...       a skipped check
#   [RUN] # TIME BIN N s   how long a test program ran
#   [RUN] ...              other lines: diagnostics for the next result, as
#                          kselftest prints them before its verdict
#   [RUN] # END            the run finished
#   # NCGPU DONE           every run finished

MODULES=/lib/modules
TESTS=/tests
TEST_TIMEOUT=300
DMESG_ALARM='WARNING:|BUG:|Oops|Call Trace|general protection fault|Unable to handle kernel'

mode=check
out=/dev/console
params=
bench_opts=

setup() {
	/bin/busybox mkdir -p /proc /sys /dev /tmp
	/bin/busybox mount -t proc proc /proc
	/bin/busybox --install -s /bin
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mount -t tmpfs tmpfs /tmp
	export PATH=/bin:$TESTS
	for word in $(cat /proc/cmdline); do
		case $word in
		ncgpu_mode=*) mode=${word#*=} ;;
		ncgpu_out=*) out=${word#*=} ;;
		ncgpu_params=*) params=$(echo "${word#*=}" | tr , ' ') ;;
		ncgpu_bench=*) bench_opts=$(echo "${word#*=}" | tr , ' ') ;;
		NCGPU_*=*) export "${word?}" ;;
		esac
	done
	exec 3>"$out"
}

emit() { echo "$*" >&3; }
uptime_s() { cut -d ' ' -f 1 /proc/uptime; }
kernel_release() { cat /proc/sys/kernel/osrelease; }
progress() { emit "==> guest: $*"; }

# Prefixes every line of stdin with "[RUN] # ".
comment() { sed "s/^/[$run] # /" >&3; }

check() {
	if [ "$1" = 0 ]; then
		emit "[$run] ok $2"
	else
		emit "[$run] not ok $2"
	fi
}

# Loads drm and the other modules ncgpu and vgem need, in dependency order.
load_base_modules() {
	for ko in $(cat /etc/ncgpu/base-modules); do
		insmod "$MODULES/$ko" </dev/null || emit "# NCGPU boot: insmod $ko failed"
	done
}

insmod_checked() {
	msg=$(insmod "$MODULES/$1" $2 2>&1 </dev/null)
	rc=$?
	[ -n "$msg" ] && echo "$msg" | comment
	check $rc "insmod $1${2:+ $2}"
	return $rc
}

# $2 names the likely cause in the failed check.
rmmod_checked() {
	msg=$(rmmod "$1" 2>&1 </dev/null)
	rc=$?
	[ -n "$msg" ] && echo "$msg" | comment
	if [ $rc = 0 ]; then
		check 0 "rmmod $1"
	else
		check 1 "rmmod $1${2:+ ($2)}"
	fi
	return $rc
}

# Runs one kselftest binary and passes its TAP lines through. A binary that
# dies without reporting a failed test (crash, timeout) is a failed check.
run_test() {
	if [ ! -x "$TESTS/$1" ]; then
		emit "[$run] # SKIP missing $1"
		return
	fi
	emit "[$run] # RUN $1"
	start=$(uptime_s)
	{
		timeout "$TEST_TIMEOUT" "$TESTS/$1" </dev/null 2>&1
		echo $? >/tmp/rc
	} | tee /tmp/test.out | sed -e "s/^\(not \)\{0,1\}ok /&$1: /" -e "s/^/[$run] /" >&3
	rc=$(cat /tmp/rc)
	emit "[$run] # TIME $1 $(awk -v a="$start" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }') s"
	# kselftest exits 1 after failed tests and 4 when all were skipped.
	case $rc in
	0 | 4) ;;
	1) grep -q '^not ok' /tmp/test.out || check 1 "$1 exited with status 1" ;;
	*) check 1 "$1 exited with status $rc (crash or timeout)" ;;
	esac
}

# The module must refuse $1; the kernel log must say why.
expect_load_failure() {
	if msg=$(insmod "$MODULES/ncgpu.ko" $1 2>&1 </dev/null); then
		check 1 "insmod ncgpu.ko $1 is rejected"
		rmmod ncgpu
		return
	fi
	echo "$msg" | comment
	check 0 "insmod ncgpu.ko $1 is rejected"
	why=$(dmesg | grep -i ncgpu | grep -v -e 'taints kernel' -e 'verification failed')
	[ -n "$why" ] && echo "$why" | comment
	[ -n "$why" ]
	check $? "kernel log explains why ncgpu refused $1"
}

# Waits up to 10 s for ncgpu's last references to go: the jobs of a process
# that exited are cancelled and released by work items, after its exit.
wait_ncgpu_unused() {
	tries=0
	while [ "$(cat /sys/module/ncgpu/refcnt 2>/dev/null || echo 0)" != 0 ] &&
		[ $tries -lt 100 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
}

run_loaded() {
	insmod_checked ncgpu.ko "$1" || return
	# After ncgpu, so that ncgpu is renderD128.
	insmod_checked vgem.ko ""
	for bin in $2; do
		run_test "$bin"
	done
	rmmod_checked vgem
	wait_ncgpu_unused
	rmmod_checked ncgpu "leaked reference"
}

# Any kernel warning during a run fails it; they are listed for the log.
check_kernel_log() {
	alarms=$(dmesg | grep -E "$DMESG_ALARM" | grep -v -E "${DMESG_IGNORE:-^$}")
	# From the first alarm on: the first report explains the rest.
	[ -n "$alarms" ] && dmesg | awk -v re="$DMESG_ALARM" '$0 ~ re { on = 1 } on' |
		head -n 80 | comment
	[ -z "$alarms" ]
	check $? "kernel log has no WARNING, BUG, Oops or Call Trace"
}

# $1 run name, $2 module parameters ("!..." = the load must fail), $3 binaries.
run_suite() {
	run=$1
	# Start each run with an empty ring buffer so its checks see only its own messages.
	dmesg -c >/dev/null
	emit "[$run] # BEGIN ncgpu.ko $2"
	if [ -e /sys/module/ncgpu ]; then
		check 1 "ncgpu is unloaded before the run (a previous rmmod failed)"
	else
		case $2 in
		!*) expect_load_failure "${2#!}" ;;
		*) run_loaded "$2" "$3" ;;
		esac
		check_kernel_log
	fi
	emit "[$run] # END"
}

trim() { echo "$1" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//'; }

run_suites() {
	emit "# NCGPU kernel $(kernel_release) $(uname -m)"
	# Read the whole file first: test binaries must not eat the loop's stdin.
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' /etc/ncgpu/suites.conf >/tmp/suites
	while IFS='|' read -r name mparams bins; do
		run_suite "$(trim "$name")" "$(trim "$mparams")" "$(trim "$bins")"
	done </tmp/suites
	emit "# NCGPU DONE"
}

# Streams "ncgpu $1" to the results channel; its status line is what
# vm/boot.sh checks.
run_tool() {
	progress "ncgpu $1"
	start=$(uptime_s)
	ncgpu "$1" </dev/null >&3 2>&1
	rc=$?
	progress "ncgpu $1 exited with status $rc after $(awk -v a="$start" -v b="$(uptime_s)" \
		'BEGIN { printf "%.1f", b - a }') s"
}

run_tools() {
	progress "kernel $(kernel_release) ($(uname -m)) up in $(uptime_s) s"
	progress "insmod ncgpu.ko $params"
	if ! insmod "$MODULES/ncgpu.ko" $params </dev/null >/dev/null 2>&1; then
		progress "insmod failed; kernel log:"
		dmesg | tail -n 5 | sed 's/^/    /' >&3
	fi
	insmod "$MODULES/vgem.ko" </dev/null >/dev/null 2>&1
	run_tool info
	run_tool demo
	rmmod vgem 2>/dev/null
	rmmod ncgpu 2>/dev/null
}

run_bench() {
	progress "kernel $(kernel_release) ($(uname -m)) up in $(uptime_s) s"
	insmod "$MODULES/ncgpu.ko" $params </dev/null >&3 2>&1
	ncgpu bench $bench_opts --json /tmp/bench.json </dev/null >&3 2>&1
	rc=$?
	emit "# NCGPU BENCH JSON"
	[ $rc = 0 ] && cat /tmp/bench.json >&3
	emit "# NCGPU BENCH END status $rc"
	rmmod ncgpu 2>/dev/null
}

run_shell() {
	insmod "$MODULES/ncgpu.ko" $params </dev/null
	insmod "$MODULES/vgem.ko" </dev/null
	echo "ncgpu guest: kernel $(kernel_release); tests in $TESTS; try 'ncgpu info', 'ncgpu demo';" \
		"exit to power off."
	setsid cttyhack sh -l
}

setup
load_base_modules
# A lane's additions, such as the debug lane's (debug/guest/lane.sh).
[ -f /etc/ncgpu/lane.sh ] && . /etc/ncgpu/lane.sh
case $mode in
check) run_suites ;;
run) run_tools ;;
shell) run_shell ;;
bench) run_bench ;;
*) emit "# NCGPU unknown ncgpu_mode=$mode" ;;
esac
sync
poweroff -f
