// SPDX-License-Identifier: MIT
/*
 * ncgpu - inspect an ncgpu device.
 *
 * Talks to the driver with raw ioctls, so it depends on nothing but the uAPI
 * header.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <drm.h>
#include "ncgpu_drm.h"

/* Exit codes, as sysexits.h: usage errors are EX_USAGE. */
enum {
	EXIT_NO_DEVICE = 2,
	EXIT_USAGE = 64,
};

#define DRI_DIR "/dev/dri"

static const char *const main_usage =
	"usage: ncgpu [--help] COMMAND [ARGS]\n"
	"\n"
	"Inspect the ncgpu virtual GPU, a DRM device whose memory is not\n"
	"coherent with the CPU cache.\n"
	"\n"
	"commands:\n"
	"  info [DEVICE]   show the device's coherency and limits\n"
	"\n"
	"Run 'ncgpu COMMAND --help' for the options of a command.\n";

static const char *const info_usage =
	"usage: ncgpu info [--help] [DEVICE]\n"
	"\n"
	"Show the driver version, coherency mode and limits of an ncgpu device.\n"
	"DEVICE is a DRM node such as /dev/dri/renderD128; without it, the first\n"
	"render node driven by ncgpu is used.\n"
	"\n"
	"exit status: 0 success, 2 no ncgpu device, 64 usage error\n";

static int ioctl_retry(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret ? -errno : 0;
}

struct driver_version {
	char name[32];
	char date[32];
	char desc[128];
	int major, minor, patchlevel;
};

static int query_version(int fd, struct driver_version *ver)
{
	struct drm_version v = {
		.name = ver->name, .name_len = sizeof(ver->name) - 1,
		.date = ver->date, .date_len = sizeof(ver->date) - 1,
		.desc = ver->desc, .desc_len = sizeof(ver->desc) - 1,
	};
	int ret;

	memset(ver, 0, sizeof(*ver));
	ret = ioctl_retry(fd, DRM_IOCTL_VERSION, &v);
	if (ret)
		return ret;
	ver->major = v.version_major;
	ver->minor = v.version_minor;
	ver->patchlevel = v.version_patchlevel;
	return 0;
}

static int query_dev_info(int fd, struct drm_ncgpu_dev_info *info)
{
	struct drm_ncgpu_dev_query q = {
		.type = DRM_NCGPU_DEV_QUERY_INFO,
		.size = sizeof(*info),
		.pointer = (uintptr_t)info,
	};

	memset(info, 0, sizeof(*info));
	return ioctl_retry(fd, DRM_IOCTL_NCGPU_DEV_QUERY, &q);
}

/* Opens @path if its DRM driver is ncgpu; returns the fd or -errno. */
static int open_if_ncgpu(const char *path, struct driver_version *ver)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = query_version(fd, ver);
	if (ret == -ENOTTY || (!ret && strcmp(ver->name, "ncgpu")))
		ret = -ENODEV;
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* Render node minors of Linux 6.1: renderD128 .. renderD191. */
enum { RENDER_MINOR_FIRST = 128, RENDER_MINOR_LAST = 191 };

/* Opens the first ncgpu render node and fills @path; returns the fd or -ENODEV. */
static int open_first_ncgpu(char *path, size_t len, struct driver_version *ver)
{
	int minor, fd;

	for (minor = RENDER_MINOR_FIRST; minor <= RENDER_MINOR_LAST; minor++) {
		snprintf(path, len, "%s/renderD%d", DRI_DIR, minor);
		fd = open_if_ncgpu(path, ver);
		if (fd >= 0)
			return fd;
	}
	return -ENODEV;
}

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

static void print_info(const char *path, const struct driver_version *ver,
		       const struct drm_ncgpu_dev_info *info)
{
	printf("device:        %s\n", path);
	printf("driver:        %s %d.%d.%d (%s, %s)\n", ver->name, ver->major,
	       ver->minor, ver->patchlevel, ver->date, ver->desc);
	printf("coherency:     %s\n", coherency_name(info->coherency));
	printf("emulated:      %s\n", info->flags & DRM_NCGPU_DEV_EMULATED ? "yes" : "no");
	printf("sync_granule:  %" PRIu32 " bytes\n", info->sync_granule);
	printf("max_sync_ops:  %" PRIu32 "\n", info->max_sync_ops);
	printf("max_bo_size:   %" PRIu64 " bytes (%" PRIu64 " MiB)\n",
	       (uint64_t)info->max_bo_size, (uint64_t)info->max_bo_size >> 20);
	printf("max_cmds:      %" PRIu32 "\n", info->max_cmds);
}

static int open_device(const char *device, char *path, size_t len,
		       struct driver_version *ver)
{
	int fd;

	if (!device) {
		fd = open_first_ncgpu(path, len, ver);
		if (fd < 0)
			fprintf(stderr, "ncgpu: no ncgpu render node in %s (is the ncgpu module loaded?)\n",
				DRI_DIR);
		return fd;
	}
	snprintf(path, len, "%s", device);
	fd = open_if_ncgpu(path, ver);
	if (fd == -ENODEV && ver->name[0])
		fprintf(stderr, "ncgpu: %s is not an ncgpu device (its driver is %s)\n", path,
			ver->name);
	else if (fd == -ENODEV)
		fprintf(stderr, "ncgpu: %s is not a DRM device\n", path);
	else if (fd < 0)
		fprintf(stderr, "ncgpu: cannot open %s: %s\n", path, strerror(-fd));
	return fd;
}

static int cmd_info(int argc, char **argv)
{
	struct drm_ncgpu_dev_info info;
	struct driver_version ver;
	const char *device = NULL;
	char path[256];
	int i, fd, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(info_usage, stdout);
			return 0;
		}
		if (argv[i][0] == '-' || device) {
			fprintf(stderr, "ncgpu info: unexpected argument '%s'\n%s", argv[i],
				info_usage);
			return EXIT_USAGE;
		}
		device = argv[i];
	}
	fd = open_device(device, path, sizeof(path), &ver);
	if (fd < 0)
		return EXIT_NO_DEVICE;
	ret = query_dev_info(fd, &info);
	close(fd);
	if (ret) {
		fprintf(stderr, "ncgpu: DEV_QUERY on %s failed: %s\n", path, strerror(-ret));
		return EXIT_FAILURE;
	}
	print_info(path, &ver, &info);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(main_usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(main_usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "info"))
		return cmd_info(argc - 1, argv + 1);
	fprintf(stderr, "ncgpu: unknown command '%s'\n%s", argv[1], main_usage);
	return EXIT_USAGE;
}
