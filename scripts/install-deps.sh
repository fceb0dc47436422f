#!/bin/sh
# Install the Debian packages ncgpu needs to build, check and test itself.
# Idempotent: packages already present are not fetched again.
set -eu

host_packages="
	bc busybox-static ca-certificates coccinelle cpio gcc g++ gcc-aarch64-linux-gnu
	libc6-dev libc6-dev-arm64-cross libcmocka-dev libdrm-dev kmod make
	linux-headers-amd64 linux-source-6.1 pkg-config qemu-system-arm qemu-system-x86
	sparse xz-utils cppcheck gnuplot-nox perl
"

missing=""
for pkg in $host_packages; do
	if ! dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $pkg"
	fi
done

need_update=0
dpkg --print-foreign-architectures | grep -qx arm64 || {
	dpkg --add-architecture arm64
	need_update=1
}
if [ -n "$missing" ] || [ "$need_update" = 1 ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
fi
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
echo "deps: ready"
