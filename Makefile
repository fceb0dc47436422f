# ncgpu: build, check and try out the driver (see README.md).
#
#   make check     every check: uAPI, lint, module builds, guest suites on
#                  x86_64 and arm64; ends with "N passed, M failed"
#   make run       boot the guest, load ncgpu and run "ncgpu info"
#   make shell     interactive guest shell with ncgpu and vgem loaded
#   make module    build kernel/ncgpu.ko for Debian's packaged kernel
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

DEPS := $(NCGPU_CACHE)/deps.stamp
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
GUEST_PROGRAMS := $(addprefix $(WORK)/bin/,$(GUEST_TESTS) ncgpu)

.PHONY: all help deps module guest tools initramfs run shell vm-check lint cocci \
	uapi-check check clean distclean

all: module guest

help:
	@sed -n '2,11s/^# \{0,1\}//p' Makefile

deps: $(DEPS)

# Re-run on a fresh machine (no stamp) and whenever the script changes.
$(DEPS): scripts/install-deps.sh
	scripts/install-deps.sh
	@mkdir -p $(@D) && touch $@

$(LINUX_SRC_STAMP): $(DEPS)
	@echo "==> extracting kselftest headers and lint scripts from $(LINUX_SOURCE_TAR)"
	@rm -rf $(LINUX_SRC) && mkdir -p $(LINUX_SRC)
	@tar -xJf $(LINUX_SOURCE_TAR) -C $(LINUX_SRC) --strip-components=1 --wildcards \
		$(foreach f,$(LINUX_SRC_FILES),'*/$(f)')
	@touch $@

# The x86_64 module is also copied next to its sources for insmod on the host.
module: $(DEPS)
	@scripts/build-module.sh $(ARCH)
	@if [ $(ARCH) = x86_64 ]; then cp $(WORK)/ncgpu.ko $(MODULE_SRC)/ncgpu.ko && \
		echo "==> $(MODULE_SRC)/ncgpu.ko"; fi

guest: $(GUEST_PROGRAMS)

tools: $(WORK)/bin/ncgpu
	@echo "==> $<"

# Static guest programs, one rule per target: $(call guest_cc,TARGET,FLAGS).
# A failed build leaves no stale binary behind.
define guest_cc
	@mkdir -p $(@D)
	@rm -f $@
	@echo "  CC      $(1) $(notdir $@)"
	@$(CC_$(1)) $(2) -o $@ $<
endef

$(NCGPU_CACHE)/x86_64/bin/%_test: $(GUEST_TEST_SRC)/%_test.c $(GUEST_HEADERS) Makefile $(LINUX_SRC_STAMP)
	$(call guest_cc,x86_64,$(GUEST_TEST_CFLAGS))
$(NCGPU_CACHE)/arm64/bin/%_test: $(GUEST_TEST_SRC)/%_test.c $(GUEST_HEADERS) Makefile $(LINUX_SRC_STAMP)
	$(call guest_cc,arm64,$(GUEST_TEST_CFLAGS))
$(NCGPU_CACHE)/x86_64/bin/ncgpu: tools/ncgpu/ncgpu.c include/uapi/drm/ncgpu_drm.h Makefile $(DEPS)
	$(call guest_cc,x86_64,$(GUEST_CFLAGS))
$(NCGPU_CACHE)/arm64/bin/ncgpu: tools/ncgpu/ncgpu.c include/uapi/drm/ncgpu_drm.h Makefile $(DEPS)
	$(call guest_cc,arm64,$(GUEST_CFLAGS))

initramfs: module guest
	@vm/fetch-kernel.sh $(ARCH)
	@vm/mkinitramfs.sh $(ARCH)

run: initramfs
	@vm/boot.sh $(ARCH) info

shell: initramfs
	@vm/boot.sh $(ARCH) shell

vm-check: initramfs
	@vm/boot.sh $(ARCH) check; vm/parse-results.sh $(ARCH)

lint: $(LINUX_SRC_STAMP)
	@scripts/lint.sh

cocci: $(LINUX_SRC_STAMP)
	@LINT_COCCI=1 scripts/lint.sh

uapi-check: $(DEPS)
	@tests/uapi/run.sh

check: $(DEPS) $(LINUX_SRC_STAMP)
	@scripts/check.sh

clean:
	rm -rf $(NCGPU_CACHE)/x86_64 $(NCGPU_CACHE)/arm64 $(NCGPU_CACHE)/check \
		$(NCGPU_CACHE)/uapi $(NCGPU_CACHE)/lint

# Also forgets downloaded kernels, extracted sources and the deps stamp.
distclean:
	rm -rf $(NCGPU_CACHE)
