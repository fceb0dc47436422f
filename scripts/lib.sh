# Helpers shared by the build and VM scripts. Source it; do not run it.
# shellcheck shell=sh disable=SC2034

: "${NCGPU_CACHE:=$HOME/.cache/ncgpu}"

# The repository root: the nearest directory above the running script that
# holds scripts/lib.sh.
repo_root() {
	dir=$(cd "$(dirname "$0")" && pwd)
	while [ ! -f "$dir/scripts/lib.sh" ] && [ "$dir" != / ]; do
		dir=$(dirname "$dir")
	done
	echo "$dir"
}
: "${NCGPU_ROOT:=$(repo_root)}"

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# The kernel ABI ("6.1.0-56") that Debian's headers metapackage points at.
# The target is Debian's packaged kernel, never the kernel this host runs.
# apt-cache takes seconds, so the answer is kept until apt's package lists
# or the installed packages change.
debian_kernel_abi() {
	memo=$NCGPU_CACHE/kernel-abi
	if [ -s "$memo" ] && [ -z "$(find /var/lib/apt/lists /var/lib/dpkg/status -maxdepth 0 -newer "$memo")" ]; then
		cat "$memo"
		return
	fi
	abi=$(apt-cache depends linux-headers-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-headers-\(.*\)-amd64$/\1/p' | head -n 1)
	[ -n "$abi" ] || return 0
	mkdir -p "$NCGPU_CACHE"
	echo "$abi" | tee "$memo"
}

# Copies the module's sources (MODULE_SRC, default kernel/) into $1/kernel,
# and include/, which they reach by relative path, into $1/include.
copy_module_sources() {
	mkdir -p "$1/kernel"
	cp -R "$NCGPU_ROOT/include" "$1/include"
	(cd "${MODULE_SRC:-$NCGPU_ROOT/kernel}" && find . -type f \( -name '*.[ch]' ! -name '*.mod.c' \
		-o -name Kbuild -o -name Makefile \) -print0 |
		xargs -0 -r cp -p --parents -t "$1/kernel/")
}

# Sets, for target $1 (x86_64 or arm64):
#   KVER KROOT MODDIR              kernel release, extracted package root, modules
#   VMLINUZ VMLINUX                boot image, and its uncompressed ELF (x86_64)
#   KDIR KARCH CROSS_COMPILE       how to build a module for it
#   BUSYBOX                        the guest's static busybox
#   WORK                           per-target build directory in the cache
#   SUITES                         the suites.conf files of the guest runs
#   INITRAMFS_EXTRAS               a script adding files to the initramfs, or empty
# With NCGPU_KERNEL=debug, the debug lane's own kernel instead (debug/env.sh);
# with NCGPU_LANE=packages, the guest of the packages stage (tests/packages/env.sh).
load_target_env() {
	abi=$(debian_kernel_abi)
	[ -n "$abi" ] || die "apt knows no linux-headers-amd64: run scripts/install-deps.sh"
	case $1 in
	x86_64)
		KVER=$abi-amd64 KARCH=x86_64 CROSS_COMPILE=''
		KDIR=/usr/src/linux-headers-$KVER
		BUSYBOX=/bin/busybox
		;;
	arm64)
		KVER=$abi-arm64 KARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
		;;
	*) die "unknown target '$1' (expected x86_64 or arm64)" ;;
	esac
	KROOT=$NCGPU_CACHE/kernel/$KVER
	VMLINUZ=$KROOT/boot/vmlinuz-$KVER
	VMLINUX=$KROOT/boot/vmlinux-$KVER
	MODDIR=$KROOT/lib/modules/$KVER
	if [ "$1" = arm64 ]; then
		KDIR=$KROOT/usr/src/linux-headers-$KVER
		BUSYBOX=$KROOT/bin/busybox
	fi
	WORK=$NCGPU_CACHE/$1
	# NCGPU_SUITES: other suites.conf files, such as a shorter one while debugging.
	SUITES=${NCGPU_SUITES:-$NCGPU_ROOT/vm/suites.conf}
	INITRAMFS_EXTRAS=
	if [ "${NCGPU_KERNEL:-}" = debug ]; then
		. "$NCGPU_ROOT/debug/env.sh"
		debug_kernel_env "$1"
	fi
	if [ "${NCGPU_LANE:-}" = packages ]; then
		. "$NCGPU_ROOT/tests/packages/env.sh"
		packages_lane_env "$1"
	fi
}
