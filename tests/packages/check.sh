#!/bin/sh
# make check's "packages" stage, also "make check-packages": ncgpu the way a
# Debian user installs it. Needs root, or sudo, for apt and DKMS.
#   build     dpkg-buildpackage -us -uc -b, in a copy of the tree, builds
#             every package of debian/control; lintian reports no error or
#             warning; versions, soname and symbols file agree
#   install   apt installs the packages; DKMS builds ncgpu.ko for the kernel
#             Debian's headers metapackage points at; programs build with
#             nothing but "pkg-config --cflags --libs ncgpu"; make
#             install-module installs into a staging root
#   guest     the x86_64 guest boots with the ncgpu.ko DKMS built, in a
#             module tree indexed by depmod, loads it with modprobe and runs
#             vm/suites.conf's default run and tests/packages/suites.conf
#   purge     apt-get purge leaves no trace of ncgpu; it also runs when a
#             step fails or the stage is interrupted
# Installs what it needs from Debian's archive first. Prints check lines
# ("ok ...", "not ok ..." and "#" diagnostics); logs in $NCGPU_CACHE/packages.
# Exits 1 if anything failed.
set -u
. "$(dirname "$0")/../../scripts/lib.sh"

export NCGPU_LANE=packages
load_target_env x86_64
results=$NCGPU_CACHE/packages
debian=$NCGPU_ROOT/debian
PACKAGES=$(sed -n 's/^Package: //p' "$debian/control" | tr '\n' ' ' | sed 's/ $//')
# The latest entry's; read with sed, as dpkg-dev may not be installed yet.
VERSION=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$debian/changelog")
UPSTREAM_VERSION=${VERSION%-*}
# The library package is named for the soname, as Debian's policy wants.
SOVERSION=$(sed -n 's/^SOVERSION := //p' "$NCGPU_ROOT/lib/Makefile")
src=$results/ncgpu-$UPSTREAM_VERSION
# Steps may run in the background: failures are counted in a file.
failed=$results/failed

as_root() {
	if [ "$(id -u)" = 0 ]; then
		env DEBIAN_FRONTEND=noninteractive "$@"
	else
		sudo env DEBIAN_FRONTEND=noninteractive "$@"
	fi
}

# Unattended; waits for another apt or dpkg to finish. An interrupt (Ctrl-C,
# a stopped CI job) must not stop dpkg half-way: apt and what it runs
# inherit the ignored signals, and the stage stops once apt is done.
apt_get() {
	(
		trap '' INT TERM
		as_root apt-get -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "$@"
	)
}

# check STATUS DESCRIPTION [LOG]: one check line; a failure shows LOG's end.
check() {
	if [ "$1" = 0 ]; then
		echo "ok packages: $2"
		return 0
	fi
	echo "not ok packages: $2"
	[ -z "${3:-}" ] || tail -n 30 "$3" | sed 's/^/#   /'
	echo "$2" >>"$failed"
	return 1
}

# step NAME COMMAND...: runs a step, keeping its time.
step() {
	step_name=$1
	shift
	step_start=$(now)
	"$@"
	step_rc=$?
	echo "    $step_name: $(elapsed "$step_start")" >>"$results/timings"
	return $step_rc
}

# in_background NAME COMMAND...: a step that waits for its output to be
# shown until collect NAME.
in_background() {
	name=$1
	shift
	(step "$name" "$@") >"$results/$name.out" 2>&1 &
	echo $! >"$results/$name.pid"
}

collect() {
	wait "$(cat "$results/$1.pid")"
	cat "$results/$1.out"
}

# Whether $1 and $2 hold the same lines in any order; what differs goes to
# list.diff as "#" lines.
same_list() {
	printf '%s\n' "$1" | sort >"$results/list.a"
	printf '%s\n' "$2" | sort >"$results/list.b"
	diff "$results/list.a" "$results/list.b" | sed -n 's/^[<>]/#  &/p' >"$results/list.diff"
	[ ! -s "$results/list.diff" ]
}

installed_packages() {
	for pkg in $PACKAGES; do
		dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' "$pkg" 2>/dev/null
	done | awk '$1 != "un" { print $2 }'
}

# What building and checking the packages needs; Build-Depends come from
# debian/control itself.
build_deps() {
	if ! (cd "$NCGPU_ROOT" && dpkg-checkbuilddeps) 2>/dev/null; then
		as_root apt-get update -qq &&
			apt_get build-dep "$NCGPU_ROOT" || return
	fi
	for pkg in lintian dkms; do
		dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
			apt_get install "$pkg" || return
	done
}

# The files git knows of (committed or not) or, outside git, every file.
copy_tree() {
	mkdir -p "$1"
	if git -C "$NCGPU_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$NCGPU_ROOT" ls-files -z -co --exclude-standard
	else
		(cd "$NCGPU_ROOT" && find . -path ./.git -prune -o -type f -print0)
	fi | (cd "$NCGPU_ROOT" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
		tar -xf - -C "$1"
}

debs() {
	for pkg in $PACKAGES; do
		ls "$results/${pkg}_${UPSTREAM_VERSION}_"*.deb
	done
}

build() {
	say "[packages] dpkg-buildpackage -us -uc -b"
	copy_tree "$src"
	(cd "$src" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=$(nproc)" \
		dpkg-buildpackage -us -uc -b) >"$results/build.log" 2>&1
	rc=$?
	[ "$rc" != 0 ] || debs >/dev/null 2>&1 || rc=1
	check $rc "dpkg-buildpackage -us -uc -b builds $PACKAGES" "$results/build.log"
}

# Each override in debian/ needs a comment line right above it: its reason.
unexplained_overrides() {
	find "$debian" -name '*lintian-overrides' | while read -r file; do
		awk -v file="${file#"$NCGPU_ROOT"/}" '
			/^#/ { reason = 1; next }
			/^[[:space:]]*$/ { reason = 0; next }
			!reason { print "#   " file ": " $0 }
			{ reason = 0 }' "$file"
	done
}

lint() {
	say "[packages] lintian"
	lintian --fail-on error,warning "$results"/ncgpu_"$VERSION"_*.changes \
		>"$results/lintian.log" 2>&1
	check $? "lintian reports no error or warning" "$results/lintian.log"
	unexplained=$(unexplained_overrides)
	[ -z "$unexplained" ]
	check $? "every lintian override says why, on the line above it" ||
		echo "$unexplained"
}

make_variable() {
	sed -n "s/^$1 := //p" "$NCGPU_ROOT/lib/Makefile"
}

agreement() {
	dkms_version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$NCGPU_ROOT/dkms.conf")
	lib_version=$(make_variable VERSION)
	[ "$dkms_version" = "$UPSTREAM_VERSION" ] && [ "$lib_version" = "$UPSTREAM_VERSION" ]
	check $? "debian/changelog ($UPSTREAM_VERSION), dkms.conf ($dkms_version) and lib/Makefile ($lib_version) name one version"
	soname=libncgpu.so.$SOVERSION
	built=$(objdump -p "$src"/debian/build/install/lib/libncgpu.so.*.*.* 2>/dev/null |
		awk '$1 == "SONAME" { print $2 }')
	header=$(head -n 1 "$debian/libncgpu$SOVERSION.symbols" | cut -d ' ' -f 1,2)
	[ "$built" = "$soname" ] && [ "$header" = "$soname libncgpu${soname#libncgpu.so.}" ]
	check $? "the library's soname ($built) is lib/Makefile's ($soname) and the symbols file's ($header)"
	listed=$(sed -n 's/^ \([^@]*\)@Base .*/\1/p' "$debian/libncgpu$SOVERSION.symbols")
	same_list "$listed" "$(cat "$NCGPU_ROOT/lib/ncgpu.symbols")"
	check $? "debian/libncgpu$SOVERSION.symbols lists the symbols of lib/ncgpu.symbols" ||
		cat "$results/list.diff"
}

# Leftovers of an interrupted run would make this one pass or fail for
# nothing.
purge_leftovers() {
	leftovers=$(installed_packages)
	[ -n "$leftovers" ] || return 0
	echo "# packages: purging what an earlier run left installed: $leftovers"
	# shellcheck disable=SC2086
	apt_get purge $leftovers >"$results/leftovers.log" 2>&1
}

dkms_module() {
	modinfo -k "$KVER" -F filename ncgpu 2>/dev/null
}

# dkms_installed STATUS LOG: whether the command that wrote LOG ended with
# STATUS 0 and left DKMS's ncgpu.ko for KVER where modprobe finds it.
dkms_installed() {
	dkms status -m ncgpu -v "$UPSTREAM_VERSION" -k "$KVER" >>"$2" 2>&1
	[ "$1" = 0 ] && grep -q ': installed$' "$2" &&
		[ "$(dkms_module)" = "/lib/modules/$KVER/updates/dkms/ncgpu.ko" ] &&
		modinfo -F vermagic "$(dkms_module)" 2>/dev/null | grep -q "^$KVER "
}

install_packages() {
	say "[packages] apt-get install, then DKMS builds ncgpu.ko for $KVER"
	# shellcheck disable=SC2046
	apt_get install $(debs) >"$results/install.log" 2>&1
	check $? "apt-get installs $PACKAGES" "$results/install.log" || return
	# Already done by the package's postinst if this machine boots KVER or
	# has nothing newer; else this builds it.
	as_root dkms install "ncgpu/$UPSTREAM_VERSION" -k "$KVER" >"$results/dkms.log" 2>&1
	dkms_installed $? "$results/dkms.log"
	check $? "DKMS builds and installs ncgpu.ko for $KVER, where modprobe finds it" \
		"$results/dkms.log" || return
	# What installing the headers of a new kernel does, for which nothing is
	# built yet.
	as_root dkms unbuild "ncgpu/$UPSTREAM_VERSION" -k "$KVER" >"$results/autoinstall.log" 2>&1
	[ -z "$(dkms_module)" ] &&
		as_root /etc/kernel/header_postinst.d/dkms "$KVER" >>"$results/autoinstall.log" 2>&1
	dkms_installed $? "$results/autoinstall.log"
	check $? "DKMS builds it again when the headers of a kernel are installed (AUTOINSTALL)" \
		"$results/autoinstall.log"
}

# The README's way to build against libncgpu: pkg-config, no path of ours.
pkgconfig_programs() {
	say "[packages] building programs with pkg-config --cflags --libs ncgpu"
	out=$WORK/pkgconfig
	rm -rf "$out"
	mkdir -p "$out"
	for program in "tests/packages/pkgconfig_info.c pkgconfig-info" \
		"examples/readme_example.c pkgconfig-readme-example"; do
		set -- $program
		# shellcheck disable=SC2046
		(cd "$NCGPU_ROOT" && cc -std=c11 -Wall -Wextra -Werror -o "$out/$2" "$1" \
			$(pkg-config --cflags --libs ncgpu)) >"$out/$2.log" 2>&1
		check $? "$1 builds with only pkg-config --cflags --libs ncgpu" "$out/$2.log" ||
			continue
		ldd "$out/$2" >"$out/$2.ldd" 2>&1
		lib=$(awk -v so="libncgpu.so.$SOVERSION" '$1 == so { print $3 }' "$out/$2.ldd")
		[ -n "$lib" ] && dpkg -S "$(readlink -f "$lib")" >>"$out/$2.ldd" 2>&1 &&
			grep -q "^libncgpu$SOVERSION:" "$out/$2.ldd"
		check $? "$2 loads libncgpu.so.$SOVERSION of the libncgpu$SOVERSION package" "$out/$2.ldd"
	done
	# A failure is counted; the guest reports what that program misses.
	return 0
}

install_module() {
	say "[packages] make install-module into a staging root"
	root=$results/install-module
	rm -rf "$root"
	make --no-print-directory -C "$NCGPU_ROOT" install-module KVER="$KVER" DESTDIR="$root" \
		>"$results/install-module.log" 2>&1
	rc=$?
	grep -qx 'updates/ncgpu.ko:.*' "$root/lib/modules/$KVER/modules.dep" 2>/dev/null || rc=1
	check $rc "make install-module installs ncgpu.ko into updates/ of $KVER and indexes it" \
		"$results/install-module.log"
}

# vm/suites.conf's default run, named "dkms", after this stage's own runs.
guest_suites() {
	mkdir -p "$WORK"
	cp "$NCGPU_ROOT/tests/packages/suites.conf" "$WORK/suites.conf"
	sed -n 's/^default\([[:space:]]*|\)/dkms\1/p' "$NCGPU_ROOT/vm/suites.conf" >>"$WORK/suites.conf"
}

guest() {
	say "[packages] guest programs (x86_64)"
	make --no-print-directory -s -C "$NCGPU_ROOT" ARCH=x86_64 guest >"$results/guest-build.log" 2>&1
	check $? "the x86_64 guest programs build" "$results/guest-build.log" || return
	rm -rf "${WORK:?}/bin"
	cp -R "$NCGPU_CACHE/x86_64/bin" "$WORK/bin"
	cp "$(dkms_module)" "$WORK/ncgpu.ko"
	guest_suites
	"$NCGPU_ROOT/vm/fetch-kernel.sh" x86_64 >"$results/initramfs.log" 2>&1 &&
		"$NCGPU_ROOT/vm/mkinitramfs.sh" x86_64 >>"$results/initramfs.log" 2>&1
	rc=$?
	grep '^==>' "$results/initramfs.log"
	check $rc "the guest's initramfs is packed" "$results/initramfs.log" || return
	# The initramfs holds all the guest needs of the packages.
	in_background purge purge
	"$NCGPU_ROOT/vm/boot.sh" x86_64 check
	"$NCGPU_ROOT/vm/parse-results.sh" x86_64 || echo guest >>"$failed"
	collect purge
}

# Nothing of ncgpu may stay: packages, DKMS's tree, modules, pkg-config.
traces() {
	installed_packages
	ls -d /usr/src/ncgpu-* /var/lib/dkms/ncgpu 2>/dev/null
	find "/lib/modules/$KVER" -name 'ncgpu.ko*' 2>/dev/null
	pkg-config --exists ncgpu 2>/dev/null && echo "pkg-config finds ncgpu"
	grep -s ncgpu "/lib/modules/$KVER/modules.dep"
	return 0
}

purge() {
	say "[packages] apt-get purge"
	installed=$(installed_packages)
	# shellcheck disable=SC2086
	[ -z "$installed" ] || apt_get purge $installed >"$results/purge.log" 2>&1
	left=$(traces)
	[ -z "$left" ]
	check $? "apt-get purge leaves no trace of ncgpu" || echo "$left" | sed 's/^/#   /'
	touch "$results/purged"
}

# On any exit: a stage that stopped before its purge step must not leave
# ncgpu installed.
purge_on_exit() {
	wait
	[ -f "$results/purged" ] || [ -z "$(installed_packages)" ] || purge
}

rm -rf "$results"
mkdir -p "$results"
: >"$results/timings"
: >"$failed"
trap purge_on_exit EXIT
trap 'exit 130' INT TERM
say "[packages] installing the build dependencies"
step deps build_deps >"$results/deps.log" 2>&1
check $? "the build dependencies install" "$results/deps.log" || exit 1
purge_leftovers
# Lintian and apt spend much of their time waiting on the disk: the slow
# steps that do not need each other overlap.
if step build build; then
	step agreement agreement
	in_background lintian lint
	in_background install-module install_module
	if step install install_packages; then
		step pkg-config pkgconfig_programs
		step guest guest
	fi
	collect lintian
	collect install-module
	[ -f "$results/purged" ] || step purge purge
fi
echo "# packages: time per step:"
sed 's/^/#/' "$results/timings"
[ ! -s "$failed" ]
