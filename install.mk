# SPDX-License-Identifier: MIT
# Installation on this machine, included by the Makefile (see README.md).
#
#   make userspace       build libncgpu and the ncgpu tool as make install
#                        installs them (the tool linked to the shared library)
#   make install         install libncgpu (shared and static library, headers,
#                        ncgpu.pc) and the ncgpu tool with its man page
#   make install-module  build ncgpu.ko for one kernel and install it where
#                        modprobe finds it (scripts/install-module.sh)
#
# Variables: PREFIX (default /usr/local), BINDIR, LIBDIR, INCLUDEDIR, MANDIR,
# DESTDIR (staging root), and the usual CC, CFLAGS, CPPFLAGS, LDFLAGS;
# KVER and KDIR for install-module.
#
# None of this needs the check harness's own dependencies: a package build
# runs it with only a C compiler, pkg-config and libdrm-dev.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
CFLAGS ?= -O2 -g

INSTALL_BUILD := $(NCGPU_CACHE)/install
INSTALL_LIB := $(INSTALL_BUILD)/lib
INSTALLED_TOOL := $(INSTALL_BUILD)/ncgpu
LIB_INSTALL_VARS = O=$(INSTALL_LIB) PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) INCLUDEDIR=$(INCLUDEDIR) \
	DESTDIR=$(DESTDIR)
TOOL_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Ilib/include -Iinclude/uapi/drm

.PHONY: userspace install install-module FORCE

userspace: $(INSTALLED_TOOL)

# lib/Makefile knows when the library is out of date: always ask it.
$(INSTALL_LIB)/libncgpu.so: $(SOURCE_TREE_STAMP) FORCE
	@$(MAKE) --no-print-directory -C lib $(LIB_INSTALL_VARS) all

$(INSTALLED_TOOL): $(TOOL_SRCS) $(wildcard tools/ncgpu/*.h) lib/include/ncgpu.h \
		include/uapi/drm/ncgpu_drm.h $(INSTALL_LIB)/libncgpu.so
	$(CC) $(TOOL_CFLAGS) $(shell pkg-config --cflags libdrm) $(CPPFLAGS) $(CFLAGS) \
		$(LDFLAGS) -o $@ $(TOOL_SRCS) -L$(INSTALL_LIB) -lncgpu \
		$(shell pkg-config --libs libdrm) -lm

install: userspace
	@$(MAKE) --no-print-directory -C lib $(LIB_INSTALL_VARS) install
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(INSTALLED_TOOL) $(DESTDIR)$(BINDIR)/ncgpu
	install -m 644 tools/ncgpu/ncgpu.1 $(DESTDIR)$(MANDIR)/man1/ncgpu.1
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

install-module: $(SOURCE_TREE_STAMP)
	@KVER='$(KVER)' KDIR='$(KDIR)' DESTDIR='$(DESTDIR)' scripts/install-module.sh

FORCE:
