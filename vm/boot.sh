#!/bin/sh
# SPDX-License-Identifier: MIT
# Boots Debian's kernel for a target with the ncgpu initramfs under QEMU (TCG:
# KVM is not assumed). Modes:
#   check  run the suites; results in $WORK/results.log, kernel log in
#          $WORK/console.log (on arm64 both share the only UART)
#   run    load ncgpu and stream "ncgpu info" and "ncgpu demo" to this
#          terminal; fails unless both exit with status 0
#   shell  interactive guest shell on this terminal (Ctrl-a x quits)
#   bench  load ncgpu and stream "ncgpu bench" (options in NCGPU_BENCH,
#          e.g. --quick) and its JSON to this terminal; see bench/run.sh
# A guest that does not power off within VM_TIMEOUT seconds is killed. A check
# guest whose /init has not spoken within BOOT_TIMEOUT seconds is stuck in
# early boot (seen once, on the debug kernel on a busy host): it is killed and
# booted once more.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

target=${1:?usage: vm/boot.sh x86_64|arm64 [check|run|shell|bench]}
mode=${2:-check}
load_target_env "$target"
: "${VM_TIMEOUT:=600}"
: "${BOOT_TIMEOUT:=300}"
: "${NCGPU_PARAMS:=}"

machine() {
	case $target in
	x86_64) echo "qemu-system-x86_64 -machine q35 -accel tcg -cpu max" ;;
	arm64) echo "qemu-system-aarch64 -machine virt -accel tcg -cpu cortex-a57" ;;
	esac
}

console() {
	case $target in
	x86_64) echo ttyS0 ;;
	arm64) echo ttyAMA0 ;;
	esac
}

# Sets serial (qemu options) and out (the guest's results channel). x86 has
# a second UART for a results channel free of kernel messages; arm64 "virt"
# has one, so results share it with a quiet console.
route_serial() {
	case $target-$mode in
	x86_64-check) serial="-serial file:$WORK/console.log -serial file:$WORK/results.log" ;;
	x86_64-run | x86_64-bench) serial="-serial file:$WORK/console.log -serial stdio" ;;
	arm64-check) serial="-serial file:$WORK/results.log" ;;
	arm64-run | arm64-bench) serial="-serial stdio" ;;
	*-shell) serial="-serial mon:stdio" ;;
	*) die "unknown mode '$mode' (expected check, run, shell or bench)" ;;
	esac
	case $target-$mode in
	x86_64-check | x86_64-run | x86_64-bench) out=/dev/ttyS1 quiet= ;;
	*) out=/dev/console quiet=quiet ;;
	esac
}

# The test knobs set on the host, as NAME=VALUE words for the guest's /init,
# which exports them: NCGPU_SEED=42 make check replays a randomized run.
guest_env() {
	for name in NCGPU_SEED NCGPU_MODEL_OPS NCGPU_FUZZ_OPS NCGPU_FUZZ_SECONDS \
		NCGPU_STRESS_SECONDS NCGPU_MEMORY_SLACK_KIB; do
		eval "value=\${$name:-}"
		# shellcheck disable=SC2154
		[ -n "$value" ] && printf ' %s=%s' "$name" "$value"
	done
	return 0
}

# Under TCG an x86 kernel finds its vCPUs' TSCs out of sync and falls back to
# the HPET, and then every clock read is an emulated MMIO access (the debug
# guest ran 7% longer). QEMU derives every vCPU's TSC from one host clock.
clock_args() {
	[ "$target" != x86_64 ] || echo tsc=reliable
}

# Debian's kernel zeroes every page it allocates (init_on_alloc); without
# that, a driver that hands out unzeroed memory shows it to the leak tests.
# NCGPU_KERNEL_ARGS: more kernel parameters (a lane's, such as swiotlb=force).
cmdline() {
	echo "console=$(console) panic=-1 init_on_alloc=0 $(clock_args) $quiet" \
		"${NCGPU_KERNEL_ARGS:-}" \
		"ncgpu_mode=$mode ncgpu_out=$out" \
		"${NCGPU_PARAMS:+ncgpu_params=$(echo "$NCGPU_PARAMS" | tr ' ' ,)}" \
		"${NCGPU_BENCH:+ncgpu_bench=$(echo "$NCGPU_BENCH" | tr ' ' ,)}$(guest_env)"
}

# The uncompressed ELF boots seconds faster under TCG (see fetch-kernel.sh).
kernel_image() {
	if [ -f "$VMLINUX" ]; then echo "$VMLINUX"; else echo "$VMLINUZ"; fi
}

run_qemu() {
	# shellcheck disable=SC2046,SC2086
	set -- $(machine) -smp 2 -m 2048 -nodefaults -no-reboot -display none -monitor none \
		$serial -kernel "$(kernel_image)" -initrd "$WORK/initramfs.cpio.gz" \
		-append "$(cmdline)"
	case $mode in
	shell) "$@" ;;
	check) watch_boot timeout --foreground -k 5 "$VM_TIMEOUT" "$@" ;;
	*) timeout --foreground -k 5 "$VM_TIMEOUT" "$@" </dev/null ;;
	esac
}

# /init's first words on the results channel (vm/init.sh).
init_started() { grep -q '^# NCGPU kernel ' "$WORK/results.log" 2>/dev/null; }

# Runs the guest command "$@" and returns its status, or 125 after killing it
# when /init has not started within BOOT_TIMEOUT seconds.
watch_boot() {
	"$@" </dev/null &
	guest=$!
	waited=0
	until init_started || ! kill -0 "$guest" 2>/dev/null; do
		if [ "$waited" -ge "$BOOT_TIMEOUT" ]; then
			kill "$guest"
			wait "$guest" || true
			return 125
		fi
		sleep 1
		waited=$((waited + 1))
	done
	wait "$guest"
}

report_exit() {
	case $1 in
	0) say "[$target] guest powered off after $(elapsed "$start")" ;;
	124 | 137) say "[$target] guest killed: no power-off within $VM_TIMEOUT s" ;;
	125) say "[$target] guest killed: /init had not started after $BOOT_TIMEOUT s" ;;
	*) say "[$target] qemu exited with status $1 after $(elapsed "$start")" ;;
	esac
}

[ -f "$WORK/initramfs.cpio.gz" ] || die "no initramfs for $target (make initramfs ARCH=$target)"
route_serial
rm -f "$WORK/console.log" "$WORK/results.log" "$WORK/run.log"
say "[$target] booting $KVER under qemu (TCG), mode $mode"
start=$(now)
rc=0
if [ "$mode" = run ]; then
	# Streamed, and kept to tell whether the tools worked.
	{ run_qemu || echo $? >"$WORK/run.rc"; } | tee "$WORK/run.log"
	rc=$(cat "$WORK/run.rc" 2>/dev/null || echo 0)
	rm -f "$WORK/run.rc"
	report_exit "$rc"
	for cmd in info demo; do
		tr -d '\r' <"$WORK/run.log" | grep -q "ncgpu $cmd exited with status 0 " ||
			die "ncgpu $cmd did not succeed (see its output above)"
	done
else
	run_qemu || rc=$?
	if [ "$rc" = 125 ]; then
		report_exit "$rc"
		say "[$target] booting again"
		rm -f "$WORK/console.log" "$WORK/results.log"
		start=$(now)
		rc=0
		run_qemu || rc=$?
	fi
	report_exit "$rc"
fi
[ "$target-$mode" = arm64-check ] && cp "$WORK/results.log" "$WORK/console.log"
exit "$rc"
