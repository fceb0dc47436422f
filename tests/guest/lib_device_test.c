// SPDX-License-Identifier: MIT
/*
 * libncgpu on a DRM file the caller opened itself, as a compositor or a
 * Vulkan driver gets one from drmGetDevices2() or its loader:
 * ncgpu_device_open_fd() takes the file if asked to, leaves it to the
 * caller otherwise, and refuses files that are not an ncgpu device.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "kselftest_harness.h"
#include "ncgpu.h"

#define BO_SIZE 4096

/* 6.1's SKIP() in a FIXTURE_SETUP still runs the test body; jump back instead. */
#define SETUP_SKIP(fmt, ...) SKIP(longjmp(_metadata->env, 1), fmt, ##__VA_ARGS__)

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* The render node of another driver (vgem in the guest), opened; or -1. */
static int open_other_driver_node(void)
{
	char path[PATH_MAX];
	struct dirent *entry;
	DIR *dir = opendir("/dev/dri");
	int fd = -1;

	while (dir && fd < 0 && (entry = readdir(dir))) {
		drmVersionPtr version;

		if (strncmp(entry->d_name, "renderD", 7))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", entry->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		version = drmGetVersion(fd);
		if (!version || !strcmp(version->name, "ncgpu")) {
			close(fd);
			fd = -1;
		}
		drmFreeVersion(version);
	}
	if (dir)
		closedir(dir);
	return fd;
}

FIXTURE(lib_device) {
	/* Opened by path, for its node and its information. */
	struct ncgpu_device *by_path;
	char node[PATH_MAX];
	/* The test's own descriptor of the same node. */
	int fd;
};

FIXTURE_SETUP(lib_device)
{
	char link[64];
	ssize_t len;
	int ret;

	self->fd = -1;
	ret = ncgpu_device_open(NULL, &self->by_path);
	if (ret == -ENODEV && access("/sys/module/ncgpu", F_OK))
		SETUP_SKIP("ncgpu module not loaded");
	ASSERT_EQ(0, ret) TH_LOG("ncgpu_device_open: %s", ncgpu_strerror(ret));
	snprintf(link, sizeof(link), "/proc/self/fd/%d", ncgpu_device_fd(self->by_path));
	len = readlink(link, self->node, sizeof(self->node) - 1);
	ASSERT_LT(0, len);
	self->node[len] = '\0';
	self->fd = open(self->node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", self->node, strerror(errno));
}

FIXTURE_TEARDOWN(lib_device)
{
	if (self->fd >= 0 && fd_is_open(self->fd))
		close(self->fd);
	ncgpu_device_close(self->by_path);
}

/* A BO made through the device, used by a job and waited for: the file works. */
static void use_device(struct __test_metadata *_metadata, struct ncgpu_device *dev)
{
	struct ncgpu_bo *bo;
	struct ncgpu_job job;

	ASSERT_EQ(0, ncgpu_bo_create(dev, BO_SIZE, 0, &bo));
	ncgpu_job_init(&job);
	ASSERT_EQ(0, ncgpu_job_fill(&job, bo, 0, BO_SIZE, 0x5a));
	ASSERT_EQ(0, ncgpu_job_submit(dev, &job));
	ASSERT_EQ(0, ncgpu_bo_wait(bo, NCGPU_TIMEOUT_INFINITE));
	ncgpu_job_fini(&job);
	ASSERT_EQ(0, ncgpu_bo_close(bo));
}

TEST_F(lib_device, open_fd_reports_what_open_by_path_does)
{
	struct ncgpu_device_info expected, info;
	struct ncgpu_device *dev;

	ASSERT_EQ(0, ncgpu_device_open_fd(self->fd, 0, &dev));
	ncgpu_device_info(self->by_path, &expected);
	ncgpu_device_info(dev, &info);
	EXPECT_EQ(0, memcmp(&expected, &info, sizeof(info)));
	EXPECT_EQ(self->fd, ncgpu_device_fd(dev));
	EXPECT_EQ(ncgpu_noncoherent_atom_size(self->by_path), ncgpu_noncoherent_atom_size(dev));
	EXPECT_EQ(ncgpu_device_get_sync_backend(self->by_path),
		  ncgpu_device_get_sync_backend(dev));
	ncgpu_device_close(dev);
}

TEST_F(lib_device, close_leaves_a_borrowed_fd_open_and_usable)
{
	struct ncgpu_device *dev;

	ASSERT_EQ(0, ncgpu_device_open_fd(self->fd, 0, &dev));
	use_device(_metadata, dev);
	ncgpu_device_close(dev);
	ASSERT_TRUE(fd_is_open(self->fd));
	/* The caller may make a device of it again. */
	ASSERT_EQ(0, ncgpu_device_open_fd(self->fd, 0, &dev));
	use_device(_metadata, dev);
	ncgpu_device_close(dev);
	ASSERT_TRUE(fd_is_open(self->fd));
}

TEST_F(lib_device, close_closes_an_owned_fd)
{
	struct ncgpu_device *dev;

	ASSERT_EQ(0, ncgpu_device_open_fd(self->fd, NCGPU_DEVICE_OWNS_FD, &dev));
	use_device(_metadata, dev);
	ncgpu_device_close(dev);
	EXPECT_FALSE(fd_is_open(self->fd));
	self->fd = -1;
}

TEST_F(lib_device, open_fd_rejects_unknown_flags)
{
	struct ncgpu_device *dev = NULL;

	EXPECT_EQ(-EINVAL, ncgpu_device_open_fd(self->fd, 1u << 31, &dev));
	EXPECT_EQ(NULL, dev);
	EXPECT_TRUE(fd_is_open(self->fd));
}

TEST_F(lib_device, open_fd_rejects_a_closed_fd)
{
	struct ncgpu_device *dev = NULL;

	ASSERT_EQ(0, close(self->fd));
	EXPECT_EQ(-EBADF, ncgpu_device_open_fd(self->fd, 0, &dev));
	EXPECT_EQ(NULL, dev);
	self->fd = -1;
}

TEST_F(lib_device, open_fd_rejects_a_file_that_is_no_drm_device)
{
	struct ncgpu_device *dev = NULL;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENODEV, ncgpu_device_open_fd(fd, NCGPU_DEVICE_OWNS_FD, &dev));
	EXPECT_EQ(NULL, dev);
	/* On failure the file stays the caller's, even when offered. */
	EXPECT_TRUE(fd_is_open(fd));
	close(fd);
}

TEST_F(lib_device, open_fd_rejects_another_drivers_node)
{
	struct ncgpu_device *dev = NULL;
	int fd = open_other_driver_node();

	if (fd < 0)
		SKIP(return, "no render node of another driver (is vgem loaded?)");
	EXPECT_EQ(-ENODEV, ncgpu_device_open_fd(fd, 0, &dev));
	EXPECT_EQ(NULL, dev);
	EXPECT_TRUE(fd_is_open(fd));
	close(fd);
}

TEST_HARNESS_MAIN
