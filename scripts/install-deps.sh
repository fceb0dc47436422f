#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages ncgpu needs to build, check and test itself
# ("make deps"; "make check" runs it too). Idempotent: packages already
# present are not fetched again. Needs root, or sudo for the apt and dpkg
# steps.
#
# --check installs nothing: it fails, naming "make deps", if a package or
# dpkg's arm64 architecture is missing. The build targets run that.
set -eu

host_packages="
	bc binutils busybox-static ca-certificates coccinelle cpio gcc g++ gcc-aarch64-linux-gnu
	libc6-dev libc6-dev-arm64-cross libcmocka-dev libdrm-dev kmod make
	linux-headers-amd64 linux-source-6.1 pkg-config qemu-system-arm qemu-system-x86
	sparse xz-utils cppcheck gnuplot-nox perl
"

as_root() {
	if [ "$(id -u)" = 0 ]; then
		env DEBIAN_FRONTEND=noninteractive "$@"
	else
		sudo env DEBIAN_FRONTEND=noninteractive "$@"
	fi
}

installed() {
	dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# The versioned headers package the metapackage points at in apt's lists.
current_kernel_headers() {
	apt-cache depends linux-headers-amd64 2>/dev/null |
		sed -n 's/.*Depends: \(linux-headers-.*-amd64\)$/\1/p' | head -n 1
}

# One dpkg-query for all: the build targets ask on every make.
# shellcheck disable=SC2086
present=" $(dpkg-query -W -f '${Status} ${Package}\n' $host_packages 2>/dev/null |
	sed -n 's/^install ok installed //p' | tr '\n' ' ')"
missing=""
for pkg in $host_packages; do
	case $present in
	*" $pkg "*) ;;
	*) missing="$missing $pkg" ;;
	esac
done
has_arm64=yes
dpkg --print-foreign-architectures | grep -qx arm64 || has_arm64=no

if [ "${1:-}" = --check ]; then
	[ -z "$missing" ] && [ $has_arm64 = yes ] && exit 0
	[ -z "$missing" ] || echo "error: missing packages:$missing" >&2
	[ $has_arm64 = yes ] || echo "error: dpkg does not know the arm64 architecture" >&2
	echo "error: run \"make deps\" (root or sudo) to install what the build needs" >&2
	exit 1
fi

need_update=0
[ $has_arm64 = yes ] || {
	as_root dpkg --add-architecture arm64
	need_update=1
}
if [ -n "$missing" ] || [ "$need_update" = 1 ]; then
	echo "deps: installing:$missing"
	as_root apt-get update -qq
fi
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The guest kernel is fetched by the ABI the metapackage names, so apt's
# lists must know it and its headers must be the installed ones.
headers=$(current_kernel_headers)
if [ -z "$headers" ]; then
	as_root apt-get update -qq
	headers=$(current_kernel_headers)
fi
if ! installed "$headers"; then
	echo "deps: installing $headers"
	as_root apt-get install -y -qq --no-install-recommends linux-headers-amd64 >/dev/null
fi
echo "deps: ready"
