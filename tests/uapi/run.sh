#!/bin/sh
# SPDX-License-Identifier: MIT
# The uAPI header tests, one check line each ("ok ..." / "not ok ..." with the
# compiler's output as "#" lines):
#   - headers_install.sh (the kernel's export step) accepts the header;
#   - the exported header compiles standalone as C11 (pedantic) and as C++;
#   - abi_check.c (the contract's numbers) compiles against it as C and C++.
# Exits 1 if a check failed.
set -eu
. "$(dirname "$0")/../../scripts/lib.sh"

KBUILD=/usr/lib/linux-kbuild-6.1
header=$NCGPU_ROOT/include/uapi/drm/ncgpu_drm.h
out=$NCGPU_CACHE/uapi
exported=$out/drm/ncgpu_drm.h
failures=0

# check DESCRIPTION COMMAND...: runs COMMAND as one check.
check() {
	desc=$1
	shift
	if "$@" >"$out/log" 2>&1; then
		echo "ok uapi: $desc"
	else
		echo "not ok uapi: $desc"
		sed 's/^/#   /' "$out/log"
		failures=$((failures + 1))
	fi
}

export_header() {
	rm -f "$exported"
	(cd "$KBUILD" && scripts/headers_install.sh "$header" "$exported")
}

compile_c() {
	gcc -std=c11 -Wall -Wextra -Werror -pedantic -I/usr/include/libdrm -I"$out/drm" \
		-c -o /dev/null "$@"
}

compile_cxx() {
	g++ -Wall -Wextra -Werror -I/usr/include/libdrm -I"$out/drm" -c -o /dev/null "$@"
}

# As the kernel's own header test: the header alone is the whole unit.
standalone_c() { compile_c -x c -include "$exported" /dev/null; }
standalone_cxx() { compile_cxx -x c++ -include "$exported" /dev/null; }
abi_c() { compile_c -x c "$NCGPU_ROOT/tests/uapi/abi_check.c"; }
abi_cxx() { compile_cxx -x c++ "$NCGPU_ROOT/tests/uapi/abi_check.c"; }

say "[uapi] checking include/uapi/drm/ncgpu_drm.h"
mkdir -p "$out/drm"
check "headers_install.sh exports ncgpu_drm.h" export_header
if [ -f "$exported" ]; then
	check "exported header compiles alone as C11 (-pedantic)" standalone_c
	check "exported header compiles alone as C++" standalone_cxx
	check "abi_check.c (sizes, offsets, ioctl numbers, values) as C11" abi_c
	check "abi_check.c (sizes, offsets, ioctl numbers, values) as C++" abi_cxx
fi
[ "$failures" = 0 ]
