#!/bin/sh
# SPDX-License-Identifier: MIT
# Extracts Debian's arm64 libdrm (headers, libdrm.a, libdrm.so, pkg-config
# file) into CACHEDIR without installing it, so libncgpu can be cross-built
# and guest programs linked statically. Idempotent: a complete CACHEDIR is
# kept as it is.
set -eu

cache=${1:?usage: lib/fetch-arm64-libdrm.sh CACHEDIR}
packages="libdrm-dev:arm64 libdrm2:arm64"

die() { printf 'error: %s\n' "$*" >&2; exit 1; }

[ -f "$cache/.complete" ] && exit 0
dpkg --print-foreign-architectures | grep -qx arm64 ||
	die "dpkg does not know arm64: run make deps"

mkdir -p "$(dirname "$cache")"
tmp=$(mktemp -d "$cache.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root $packages >/dev/null) ||
	die "cannot download $packages (run apt-get update?)"
for deb in "$tmp"/*.deb; do
	dpkg-deb -x "$deb" "$tmp/root"
done
[ -f "$tmp/root/usr/lib/aarch64-linux-gnu/libdrm.a" ] || die "no libdrm.a in $packages"
# Another build may have finished the same fetch meanwhile; keep its copy.
[ -f "$cache/.complete" ] && exit 0
rm -rf "$cache"
mv "$tmp/root" "$cache"
touch "$cache/.complete"
