# SPDX-License-Identifier: MIT
# ncgpu: build, check and try out the driver (see README.md).
#
#   make check     every check: uAPI, lint, module builds, guest suites on
#                  x86_64 and arm64, the debug lane; ends with
#                  "N passed, M failed"
#   make run       boot the guest, load ncgpu and run "ncgpu info" and
#                  "ncgpu demo"
#   make shell     interactive guest shell with ncgpu and vgem loaded
#   make module    build kernel/ncgpu.ko for Debian's packaged kernel
#   make deps      install the Debian packages the build and the checks
#                  need (root or sudo); only it and the check targets
#                  install, other targets stop and name it
#   make check-debug  the debug lane alone: every suite plus fault injection
#                  and KUnit on a KASAN/lockdep/kmemleak kernel (x86_64) with
#                  the patch series of upstream/ applied
#   make check-series  each patch of upstream/ on its own (after check-debug)
#   make bench     benchmarks in both guests and on the host; results and plot
#                  in bench/results/ (BENCH_QUICK=1: fewer repetitions)
#   make bench-check  the ratios "make bench" measured against their targets
#   make install   install libncgpu and the ncgpu tool (PREFIX, DESTDIR,
#                  LIBDIR; see install.mk)
#   make install-module  install ncgpu.ko for a kernel (KVER, KDIR) and depmod
#   make check-packages  build, lint, install and try the Debian packages
#
# ARCH=arm64 selects the arm64 guest/module (default x86_64). Downloads and
# build products live in NCGPU_CACHE, outside the tree.

NCGPU_CACHE ?= $(HOME)/.cache/ncgpu
MODULE_SRC ?= $(CURDIR)/kernel
GUEST_TEST_SRC ?= $(CURDIR)/tests/guest
ARCH ?= x86_64
export NCGPU_CACHE MODULE_SRC GUEST_TEST_SRC
export NCGPU_ROOT := $(CURDIR)
# KDIR=DIR builds the x86_64 module against other headers, e.g. a running kernel's.
ifdef KDIR
export NCGPU_KDIR := $(KDIR)
endif

# Build products, as opposed to downloads, extracted packages and kernels.
BUILD_PRODUCTS := $(addprefix $(NCGPU_CACHE)/,x86_64 arm64 check uapi lint x86_64-debug \
	x86_64-debug-swiotlb \
	check-debug host readme-example.ok install packages x86_64-packages \
	fresh-targets fresh-targets.log)
# They come from one source tree. Another one (another clone) has other
# paths, which the compilers' dependency files name, and files that may be
# older than the products: they are made afresh for it. The stamp holds the
# tree's path and is rewritten only when that changes, so it is newer than
# every product exactly when they were just wiped. Every rule that makes a
# product depends on it; nothing is wiped while the Makefile is read, so
# "make help" and "make -n" delete nothing.
SOURCE_TREE_STAMP := $(NCGPU_CACHE)/source-tree

$(SOURCE_TREE_STAMP): FORCE
	@if [ "$$(cat $@ 2>/dev/null)" != '$(CURDIR)' ]; then \
		rm -rf $(BUILD_PRODUCTS) && mkdir -p $(@D) && echo '$(CURDIR)' >$@; fi

# Only "make deps" and the check targets install packages (DEPS stamps
# the last install). Every other target only looks for them, and names
# "make deps" when one is missing.
DEPS := $(NCGPU_CACHE)/deps.stamp
INSTALLING_GOALS := deps check check-debug check-packages
ifneq ($(filter $(INSTALLING_GOALS),$(MAKECMDGOALS)),)
DEPS_READY := $(DEPS)
else
DEPS_READY := deps-present
endif
LINUX_SOURCE_TAR := /usr/src/linux-source-6.1.tar.xz
LINUX_SRC := $(NCGPU_CACHE)/linux-source
LINUX_SRC_STAMP := $(LINUX_SRC)/.complete
# Taken from Debian's linux-source at build time, never copied into the tree.
LINUX_SRC_FILES := tools/testing/selftests/kselftest_harness.h \
	tools/testing/selftests/kselftest.h scripts/checkpatch.pl scripts/spelling.txt \
	scripts/const_structs.checkpatch scripts/coccinelle/* .clang-format
KSFT := $(LINUX_SRC)/tools/testing/selftests

GUEST_TESTS := $(basename $(notdir $(wildcard $(GUEST_TEST_SRC)/*_test.c)))
GUEST_HEADERS := include/uapi/drm/ncgpu_drm.h $(wildcard $(GUEST_TEST_SRC)/*.h)
GUEST_CFLAGS := -static -O2 -std=gnu11 -Wall -Wextra -Werror -pthread \
	-Iinclude/uapi/drm -I/usr/include/libdrm
# The 6.1 kselftest harness has unused parameters in its functions and in
# what TEST() expands to, so that one -Wextra warning is off for the tests.
# (Making it a system header instead would hide every warning inside TEST()
# bodies.)
GUEST_TEST_CFLAGS := $(GUEST_CFLAGS) -Wno-unused-parameter -I$(KSFT) -Itests/guest
CC_x86_64 := gcc
CC_arm64 := aarch64-linux-gnu-gcc
WORK := $(NCGPU_CACHE)/$(ARCH)
EXAMPLES := $(basename $(notdir $(wildcard examples/*.c)))
GUEST_PROGRAMS := $(addprefix $(WORK)/bin/,$(GUEST_TESTS) ncgpu $(EXAMPLES))

# Guest programs link libncgpu statically, built per target into the cache,
# then libdrm.a: the system's, or for arm64 Debian's arm64 package extracted
# into the cache by lib/fetch-arm64-libdrm.sh.
LIB_DEPS := $(wildcard lib/*.c lib/*.h) lib/include/ncgpu.h lib/Makefile \
	include/uapi/drm/ncgpu_drm.h
ARM64_LIBDRM := $(NCGPU_CACHE)/libdrm-arm64
LIBDRM_x86_64 := /usr/lib/x86_64-linux-gnu/libdrm.a
LIBDRM_arm64 := $(ARM64_LIBDRM)/usr/lib/aarch64-linux-gnu/libdrm.a
libncgpu = $(NCGPU_CACHE)/$(1)/lib/libncgpu.a
lib_link = $(call libncgpu,$(1)) $(LIBDRM_$(1)) -lm
LIB_CFLAGS := -Ilib/include
TOOL_SRCS := $(wildcard tools/ncgpu/*.c)
TOOL_DEPS := $(TOOL_SRCS) $(wildcard tools/ncgpu/*.h) lib/include/ncgpu.h \
	include/uapi/drm/ncgpu_drm.h Makefile
# The README shows examples/readme_example.c verbatim: the first code block
# of its "Using libncgpu" section must equal the file.
README_EXAMPLE_OK := $(NCGPU_CACHE)/readme-example.ok
README_EXAMPLE_BLOCK := awk '/^\#\# / { in_section = ($$0 == "\#\# Using libncgpu") } \
	in_section && /^```/ { if (in_block) exit; in_block = 1; next } in_block' README.md

.PHONY: all help deps deps-present module guest tools initramfs run shell vm-check lint cocci \
	uapi-check check check-debug check-series check-packages bench bench-check clean \
	distclean FORCE
.DEFAULT_GOAL := all

all: module guest

help:
	@awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' Makefile

deps: $(DEPS)

# Re-run on a fresh machine (no stamp) and whenever the script changes.
$(DEPS): scripts/install-deps.sh
	scripts/install-deps.sh
	@mkdir -p $(@D) && touch $@

deps-present:
	@scripts/install-deps.sh --check

# A missing tarball is deps-present's to report, in words.
$(LINUX_SRC_STAMP): $(wildcard $(LINUX_SOURCE_TAR)) | $(DEPS_READY)
	@echo "==> extracting kselftest headers and lint scripts from $(LINUX_SOURCE_TAR)"
	@rm -rf $(LINUX_SRC) && mkdir -p $(LINUX_SRC)
	@tar -xJf $(LINUX_SOURCE_TAR) -C $(LINUX_SRC) --strip-components=1 --wildcards \
		$(foreach f,$(LINUX_SRC_FILES),'*/$(f)')
	@touch $@

# The x86_64 module is also copied next to its sources for insmod on the host.
module: $(SOURCE_TREE_STAMP) | $(DEPS_READY)
	@scripts/build-module.sh $(ARCH)
	@if [ $(ARCH) = x86_64 ]; then cp $(WORK)/ncgpu.ko $(MODULE_SRC)/ncgpu.ko && \
		echo "==> $(MODULE_SRC)/ncgpu.ko"; fi

guest: $(GUEST_PROGRAMS)

tools: $(WORK)/bin/ncgpu $(addprefix $(WORK)/bin/,$(EXAMPLES))
	@echo "==> $<"

# Static guest programs: $(call guest_cc,TARGET,FLAGS) links every .c
# prerequisite and libncgpu. A failed build leaves no stale binary behind.
define guest_cc
	@mkdir -p $(@D)
	@rm -f $@
	@echo "  CC      $(1) $(notdir $@)"
	@$(CC_$(1)) $(2) $(LIB_CFLAGS) -o $@ $(filter %.c,$^) $(call lib_link,$(1))
endef

# The arm64 library is built against Debian's arm64 libdrm, fetched first.
LIBDRM_FETCHED_x86_64 :=
LIBDRM_FETCHED_arm64 := $(LIBDRM_arm64)
$(LIBDRM_arm64): lib/fetch-arm64-libdrm.sh | $(DEPS_READY)
	@lib/fetch-arm64-libdrm.sh $(ARM64_LIBDRM)

# The rules of one target architecture, $(1): libncgpu (lib/Makefile knows
# its own dependencies; this rule only decides when to ask it), the guest
# tests, the tool and the examples.
define target_rules
$(call libncgpu,$(1)): $(LIB_DEPS) $(SOURCE_TREE_STAMP) $(LIBDRM_FETCHED_$(1)) | $(DEPS_READY)
	@echo "  LIB     $(1) libncgpu.a"
	@$$(MAKE) --no-print-directory -s -C lib O=$$(@D) CC=$(CC_$(1)) static

$(NCGPU_CACHE)/$(1)/bin/%_test: $(GUEST_TEST_SRC)/%_test.c $(GUEST_HEADERS) Makefile \
		$(LINUX_SRC_STAMP) $(call libncgpu,$(1))
	$$(call guest_cc,$(1),$(GUEST_TEST_CFLAGS))

$(NCGPU_CACHE)/$(1)/bin/ncgpu: $(TOOL_DEPS) $(call libncgpu,$(1))
	$$(call guest_cc,$(1),$(GUEST_CFLAGS))

$(addprefix $(NCGPU_CACHE)/$(1)/bin/,$(EXAMPLES)): $(NCGPU_CACHE)/$(1)/bin/%: examples/%.c \
		lib/include/ncgpu.h Makefile $(README_EXAMPLE_OK) $(call libncgpu,$(1))
	$$(call guest_cc,$(1),$(GUEST_CFLAGS))
endef
$(foreach target,x86_64 arm64,$(eval $(call target_rules,$(target))))

$(README_EXAMPLE_OK): README.md examples/readme_example.c $(SOURCE_TREE_STAMP)
	@mkdir -p $(@D)
	@$(README_EXAMPLE_BLOCK) | diff -u - examples/readme_example.c >$@.diff || \
		{ echo "README.md's libncgpu example differs from examples/readme_example.c:"; \
		  cat $@.diff; rm -f $@ $@.diff; exit 1; } >&2
	@rm -f $@.diff && touch $@

initramfs: module guest
	@vm/fetch-kernel.sh $(ARCH)
	@vm/mkinitramfs.sh $(ARCH)

run: initramfs
	@vm/boot.sh $(ARCH) run

shell: initramfs
	@vm/boot.sh $(ARCH) shell

vm-check: initramfs
	@vm/boot.sh $(ARCH) check; vm/parse-results.sh $(ARCH)

lint: $(SOURCE_TREE_STAMP) $(LINUX_SRC_STAMP)
	@scripts/lint.sh

cocci: $(SOURCE_TREE_STAMP) $(LINUX_SRC_STAMP)
	@LINT_COCCI=1 scripts/lint.sh

uapi-check: $(SOURCE_TREE_STAMP) | $(DEPS_READY)
	@tests/uapi/run.sh

check: $(DEPS) $(SOURCE_TREE_STAMP) $(LINUX_SRC_STAMP)
	@scripts/check.sh

# The debug lane alone (the last stage of make check). Builds its kernel once
# (about 13 min on 2 cores), then reuses it.
check-debug: $(DEPS) $(SOURCE_TREE_STAMP) $(LINUX_SRC_STAMP)
	@debug/check-debug.sh

# Each patch of upstream/ on its own, on the debug lane's kernel tree (after
# make check-debug): checkpatch, kernel-doc and the DRM modules' build.
check-series: $(DEPS) $(SOURCE_TREE_STAMP)
	@debug/check-series.sh

# The host part of "make bench" runs natively on this x86_64 machine, so it
# is built as the x86_64 guest programs are. It shares the tool's statistics.
BENCH_HOST := $(NCGPU_CACHE)/host/host_cache_bench
$(BENCH_HOST): bench/host_cache_bench.c tools/ncgpu/bench_stats.c tools/ncgpu/bench_stats.h \
		lib/include/ncgpu.h Makefile $(call libncgpu,x86_64)
	$(call guest_cc,x86_64,$(GUEST_CFLAGS))

# bench/run.sh builds each guest's module, tool and initramfs itself.
bench: $(BENCH_HOST) | $(DEPS_READY)
	@BENCH_HOST=$(BENCH_HOST) bench/run.sh

bench-check:
	@bench/check.sh

# The Debian packages, as make check's "packages" stage (needs root for apt).
check-packages: $(DEPS) $(SOURCE_TREE_STAMP) $(LINUX_SRC_STAMP)
	@tests/packages/check.sh

include install.mk

clean:
	rm -rf $(BUILD_PRODUCTS)

# Also forgets downloaded kernels, extracted sources and the deps stamp.
distclean:
	rm -rf $(NCGPU_CACHE)
