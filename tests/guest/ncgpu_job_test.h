/* SPDX-License-Identifier: MIT */
/*
 * Test helpers for jobs: jobs that signal a new syncobj, a fence that only
 * the test signals (through vgem), and what a job's fence says once it has
 * signalled.
 */
#ifndef NCGPU_JOB_TEST_H
#define NCGPU_JOB_TEST_H

#include <errno.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "ncgpu_test.h"

/* A module parameter of ncgpu as a number; -1 when it cannot be read. */
static inline long ncgpu_module_param_long(const char *name)
{
	char buf[32];

	return ncgpu_module_param(name, buf, sizeof(buf)) ? -1 : strtol(buf, NULL, 10);
}

/* Submits @cmds as one job whose fence goes into a new syncobj, *@syncobj. */
static inline int ncgpu_submit_signalling(int fd, const struct drm_ncgpu_cmd *cmds,
					  uint32_t count, uint32_t *syncobj)
{
	int ret = __syncobj_create(fd, syncobj);

	return ret ? ret : __ncgpu_submit(fd, cmds, count, 0, *syncobj);
}

/* vgem's uAPI (include/uapi/drm/vgem_drm.h), which libdrm-dev does not ship. */
struct vgem_fence_attach {
	uint32_t handle;
	uint32_t flags;
	uint32_t out_fence;
	uint32_t pad;
};

struct vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};

#define VGEM_FENCE_WRITE 0x1
#define VGEM_IOCTL_FENCE_ATTACH DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vgem_fence_attach)
#define VGEM_IOCTL_FENCE_SIGNAL DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vgem_fence_signal)

/*
 * A fence that only the test signals: vgem attaches it to one of its BOs,
 * it is exported as a sync_file and imported into the ncgpu syncobj @syncobj.
 */
struct ncgpu_external_fence {
	int card;
	uint32_t fence;
	uint32_t syncobj;
};

/* 0, -ENODEV without vgem, or -errno. */
static inline int ncgpu_external_fence_create(int fd, struct ncgpu_external_fence *ef)
{
	struct vgem_fence_attach attach = { .flags = VGEM_FENCE_WRITE };
	struct dma_buf_export_sync_file sync_file = { .flags = DMA_BUF_SYNC_WRITE, .fd = -1 };
	struct drm_syncobj_handle import = {
		.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE,
	};
	int dmabuf, ret;

	ef->card = ncgpu_open_primary_driver("vgem");
	if (ef->card < 0)
		return ef->card;
	ret = __dumb_create(ef->card, 4096, &attach.handle);
	if (!ret)
		ret = __prime_handle_to_fd(ef->card, attach.handle, &dmabuf);
	if (!ret)
		ret = ncgpu_ioctl(ef->card, VGEM_IOCTL_FENCE_ATTACH, &attach);
	if (!ret)
		ret = ncgpu_ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &sync_file);
	if (!ret)
		ret = __syncobj_create(fd, &ef->syncobj);
	import.handle = ef->syncobj;
	import.fd = sync_file.fd;
	if (!ret)
		ret = ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &import);
	ef->fence = attach.out_fence;
	return ret;
}

static inline int ncgpu_external_fence_signal(struct ncgpu_external_fence *ef)
{
	struct vgem_fence_signal s = { .fence = ef->fence };

	return ncgpu_ioctl(ef->card, VGEM_IOCTL_FENCE_SIGNAL, &s);
}

/*
 * The state of a sync_file's fence: 1 signalled, 0 not yet, or the fence's
 * error (negative), such as -ETIMEDOUT for a job that timed out or -ESRCH for
 * one cancelled. A failure to ask is -EIO.
 */
static inline int ncgpu_sync_file_status(int sync_file)
{
	struct sync_file_info info = { 0 };

	return ncgpu_ioctl(sync_file, SYNC_IOC_FILE_INFO, &info) ? -EIO : info.status;
}

/* The state of the fence in @syncobj, as ncgpu_sync_file_status() tells it. */
static inline int ncgpu_syncobj_fence_status(int fd, uint32_t syncobj)
{
	struct drm_syncobj_handle export = {
		.handle = syncobj,
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
	};
	int ret;

	if (ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &export))
		return -EIO;
	ret = ncgpu_sync_file_status(export.fd);
	close(export.fd);
	return ret;
}

#ifdef __KSELFTEST_HARNESS_H
/*
 * A fixture holding an open ncgpu device as self->dev (its fd also as
 * self->fd) and a write-combined BO of @bo_size bytes as self->bo: one view,
 * so no cache maintenance is needed.
 */
#define NCGPU_WC_BO_FIXTURE(name, bo_size) \
	FIXTURE(name) { struct ncgpu_test_device dev; int fd; struct ncgpu_mapped_bo bo; }; \
	FIXTURE_SETUP(name) \
	{ \
		ncgpu_test_device_setup(_metadata, &self->dev); \
		self->fd = self->dev.fd; \
		ASSERT_EQ(0, ncgpu_mapped_bo_create(self->fd, bo_size, 0, &self->bo)); \
	} \
	FIXTURE_TEARDOWN(name) { close(self->fd); }
#endif /* __KSELFTEST_HARNESS_H */

#endif /* NCGPU_JOB_TEST_H */
