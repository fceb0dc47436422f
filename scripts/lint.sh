#!/bin/sh
# SPDX-License-Identifier: MIT
# Static checks of the kernel sources and the uAPI header, one check line per
# tool ("ok lint: ..." / "not ok lint: ..." with the findings as "#" lines):
#   kernel-doc -none   every documented item complete; any output fails
#   checkpatch.pl      --strict with DRM's settings; any finding fails
#   series             checkpatch.pl --strict, no exceptions, on each patch
#                      of upstream/
#   coccinelle         the kernel's semantic patches (LINT_COCCI=0 skips them)
#   cppcheck           the userspace C (warning and portability classes)
# Exits 1 if a check failed. MODULE_SRC overrides kernel/.
set -eu
. "$(dirname "$0")/lib.sh"

: "${MODULE_SRC:=$NCGPU_ROOT/kernel}"
: "${LINT_COCCI:=1}"
KERNEL_DOC=/usr/lib/linux-kbuild-6.1/scripts/kernel-doc
LINUX_SRC=$NCGPU_CACHE/linux-source
CHECKPATCH_IGNORE=BIT_MACRO,SPLIT_STRING,LONG_LINE_STRING,BOOL_MEMBER,FILE_PATH_CHANGES
out=$NCGPU_CACHE/lint
failures=0

sources() {
	find "$MODULE_SRC" -type f -name '*.[ch]' ! -name '*.mod.c' | sort
	echo "$NCGPU_ROOT/include/uapi/drm/ncgpu_drm.h"
}

# check DESCRIPTION COMMAND...: COMMAND's output is the list of findings.
check() {
	desc=$1
	shift
	rc=0
	"$@" >"$out/findings" 2>&1 || rc=$?
	if [ "$rc" = 0 ] && [ ! -s "$out/findings" ]; then
		echo "ok lint: $desc"
	else
		echo "not ok lint: $desc"
		sed "s|$NCGPU_ROOT/||; s/^/#   /" "$out/findings"
		failures=$((failures + 1))
	fi
}

kernel_doc() {
	# shellcheck disable=SC2046
	"$KERNEL_DOC" -none $(sources)
}

checkpatch() {
	# shellcheck disable=SC2046
	perl "$LINUX_SRC/scripts/checkpatch.pl" --no-tree --strict --max-line-length=100 \
		--ignore="$CHECKPATCH_IGNORE" -q --emacs --show-types -f $(sources)
}

# The patches of upstream/ as a maintainer would check them: plain --strict.
# (kernel-doc runs on the patched files in the debug lane.)
checkpatch_series() {
	find "$NCGPU_ROOT/upstream" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
		! -name '0000-*' | LC_ALL=C sort |
		xargs -r perl "$LINUX_SRC/scripts/checkpatch.pl" --no-tree --strict -q --emacs \
			--show-types
}

# Report mode of every semantic patch that has one, as "make coccicheck".
# Those with OCaml rules need an OCaml compiler, which Debian's coccinelle
# does not bring: they are left out. Most of a script's time is spatch
# starting up, so the scripts run side by side, one per CPU.
coccinelle() {
	grep -l 'virtual report' "$LINUX_SRC"/scripts/coccinelle/*/*.cocci |
		xargs grep -L '^@[a-z]*:ocaml' |
		xargs -P "$(nproc)" -I {} spatch -D report --very-quiet --no-show-diff \
			--include-headers -I "/usr/src/linux-headers-$(debian_kernel_abi)-common/include" \
			--cocci-file {} --dir "$MODULE_SRC" 2>/dev/null
}

USERSPACE_DIRS="lib tools tests bench examples"

# A "// cppcheck-suppress ID" comment silences one finding on the next line.
# Findings inside the kselftest headers of linux-source are not ours.
cppcheck_userspace() {
	dirs=
	for dir in $USERSPACE_DIRS; do
		[ -d "$NCGPU_ROOT/$dir" ] && dirs="$dirs $dir"
	done
	# shellcheck disable=SC2086
	(cd "$NCGPU_ROOT" && cppcheck -q -j "$(nproc)" --error-exitcode=1 --enable=warning,portability \
		--inline-suppr --std=c11 --template='{file}:{line}: {severity}: {message} [{id}]' \
		--suppress="*:$LINUX_SRC/*" -I include/uapi/drm -I lib/include -I lib \
		-I tests/guest -I "$LINUX_SRC/tools/testing/selftests" $dirs)
}

[ -d "$MODULE_SRC" ] || die "no module sources in $MODULE_SRC"
[ -f "$LINUX_SRC/scripts/checkpatch.pl" ] || die "no checkpatch.pl in $LINUX_SRC (make deps)"
mkdir -p "$out"
say "[lint] kernel-doc, checkpatch, cppcheck$([ "$LINT_COCCI" = 1 ] && echo ", coccinelle")"
check "kernel-doc -none finds nothing" kernel_doc
check "checkpatch.pl --strict finds nothing" checkpatch
check "checkpatch.pl --strict finds nothing in the series of upstream/" checkpatch_series
check "cppcheck finds nothing in the userspace C" cppcheck_userspace
[ "$LINT_COCCI" = 1 ] && check "coccinelle (report mode) finds nothing" coccinelle
[ "$failures" = 0 ]
