// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * What "ncgpu info" reports, from a program that knows libncgpu only through
 * its installed pkg-config file: the packages stage builds it with
 * "cc pkgconfig_info.c $(pkg-config --cflags --libs ncgpu)" against the
 * libncgpu-dev package and runs it in the guest. Prints one "name: value"
 * line per figure; exits 1 when no device opens.
 */
#include <inttypes.h>
#include <stdio.h>

#include <ncgpu.h>

static const char *coherency_name(uint32_t coherency)
{
	switch (coherency) {
	case DRM_NCGPU_COHERENCY_NONE:
		return "none";
	case DRM_NCGPU_COHERENCY_IO:
		return "io";
	default:
		return "unknown";
	}
}

static void print_info(const struct ncgpu_device *dev)
{
	struct ncgpu_device_info info;

	ncgpu_device_info(dev, &info);
	printf("driver: ncgpu %d.%d.%d\n", info.version_major, info.version_minor,
	       info.version_patchlevel);
	printf("coherency: %s\n", coherency_name(info.coherency));
	printf("emulated: %s\n", info.emulated ? "yes" : "no");
	printf("sync_granule: %" PRIu32 "\n", info.sync_granule);
	printf("noncoherent_atom_size: %" PRIu64 "\n", ncgpu_noncoherent_atom_size(dev));
	printf("max_sync_ops: %" PRIu32 "\n", info.max_sync_ops);
	printf("max_bo_size: %" PRIu64 "\n", info.max_bo_size);
	printf("max_cmds: %" PRIu32 "\n", info.max_cmds);
}

int main(void)
{
	struct ncgpu_device *dev;
	int ret;

	ret = ncgpu_device_open(&dev, NULL);
	if (ret) {
		fprintf(stderr, "pkgconfig_info: opening the device: %s\n", ncgpu_strerror(ret));
		return 1;
	}
	print_info(dev);
	ncgpu_device_close(dev);
	return 0;
}
