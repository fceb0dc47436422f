// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * Device discovery, query and the kernel calls behind the test seam.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "ncgpu_internal.h"

#define NCGPU_DRIVER_NAME "ncgpu"

int ncgpu_errno_result(int ret)
{
	if (ret >= 0)
		return ret;
	return errno > 0 ? -errno : -EIO;
}

uint64_t ncgpu_atom_from_granule(uint32_t granule)
{
	/* Mesa met a 0 granule in the field and queued size-0 ops from it. */
	return granule ? granule : NCGPU_FALLBACK_ATOM;
}

enum ncgpu_sync_backend ncgpu_default_sync_backend(const struct ncgpu_device_info *info)
{
	/*
	 * Cache instructions reach the device only when the hardware really is
	 * non-coherent; an emulated device keeps its own view that only
	 * BO_SYNC updates.
	 */
	if (info->coherency == DRM_NCGPU_COHERENCY_NONE && !info->emulated &&
	    ncgpu_cpu_has_cache_ops())
		return NCGPU_SYNC_BACKEND_CPU;
	return NCGPU_SYNC_BACKEND_KERNEL;
}

static int kernel_send_sync(struct ncgpu_device *dev, const struct drm_ncgpu_bo_sync_op *ops,
			    uint32_t count)
{
	struct drm_ncgpu_bo_sync args = { .ops = DRM_NCGPU_OBJ_ARRAY(count, ops) };

	return ncgpu_errno_result(drmIoctl(dev->fd, DRM_IOCTL_NCGPU_BO_SYNC, &args));
}

static int kernel_send_submit(struct ncgpu_device *dev, const struct drm_ncgpu_submit *args)
{
	struct drm_ncgpu_submit copy = *args;

	return ncgpu_errno_result(drmIoctl(dev->fd, DRM_IOCTL_NCGPU_SUBMIT, &copy));
}

static int kernel_wait_bo(struct ncgpu_device *dev, uint32_t handle, int64_t deadline_ns)
{
	struct drm_ncgpu_bo_wait args = { .handle = handle, .timeout_ns = deadline_ns };

	return ncgpu_errno_result(drmIoctl(dev->fd, DRM_IOCTL_NCGPU_BO_WAIT, &args));
}

struct ncgpu_device *ncgpu_device_new(int fd, const struct ncgpu_device_info *info)
{
	struct ncgpu_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->fd = fd;
	dev->info = *info;
	dev->atom = ncgpu_atom_from_granule(info->sync_granule);
	dev->backend = ncgpu_default_sync_backend(info);
	dev->calls.send_sync = kernel_send_sync;
	dev->calls.send_submit = kernel_send_submit;
	dev->calls.close_handle = ncgpu_kernel_close_handle;
	dev->calls.wait_bo = kernel_wait_bo;
	dev->calls.wait_timeline = ncgpu_kernel_wait_timeline;
	dev->calls.cpu_sync = ncgpu_cpu_sync;
	/* A kernel that reports no limit still takes one op per call. */
	dev->queue.limit = info->max_sync_ops ? info->max_sync_ops : 1;
	pthread_mutex_init(&dev->queue_lock, NULL);
	pthread_mutex_init(&dev->bo_lock, NULL);
	return dev;
}

void ncgpu_device_free(struct ncgpu_device *dev)
{
	ncgpu_queue_fini(&dev->queue);
	pthread_mutex_destroy(&dev->queue_lock);
	pthread_mutex_destroy(&dev->bo_lock);
	free(dev);
}

static int query_info(int fd, struct ncgpu_device_info *info)
{
	struct drm_ncgpu_dev_info raw = { 0 };
	struct drm_ncgpu_dev_query query = {
		.type = DRM_NCGPU_DEV_QUERY_INFO,
		.size = sizeof(raw),
		.pointer = (uintptr_t)&raw,
	};
	drmVersionPtr version;

	if (drmIoctl(fd, DRM_IOCTL_NCGPU_DEV_QUERY, &query))
		return ncgpu_errno_result(-1);
	version = drmGetVersion(fd);
	if (!version)
		return -ENOMEM;
	*info = (struct ncgpu_device_info){
		.coherency = raw.coherency,
		.emulated = raw.flags & DRM_NCGPU_DEV_EMULATED,
		.sync_granule = raw.sync_granule,
		.max_sync_ops = raw.max_sync_ops,
		.max_bo_size = raw.max_bo_size,
		.max_cmds = raw.max_cmds,
		.max_submit_syncs = raw.max_submit_syncs,
		.version_major = version->version_major,
		.version_minor = version->version_minor,
		.version_patchlevel = version->version_patchlevel,
	};
	drmFreeVersion(version);
	return 0;
}

static bool is_ncgpu(int fd)
{
	drmVersionPtr version = drmGetVersion(fd);
	bool match = version && version->name && !strcmp(version->name, NCGPU_DRIVER_NAME);

	drmFreeVersion(version);
	return match;
}

/* Opens @path if its driver is ncgpu; returns the fd or a negative errno. */
static int open_ncgpu_node(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (is_ncgpu(fd))
		return fd;
	close(fd);
	return -ENODEV;
}

static int open_first_render_node(void)
{
	drmDevicePtr *devices;
	int count, i, fd = -ENODEV, open_error = 0;

	/* It fails with -ENOENT when there is no /dev/dri at all. */
	count = drmGetDevices2(0, NULL, 0);
	if (count <= 0)
		return -ENODEV;
	devices = calloc(count, sizeof(*devices));
	if (!devices)
		return -ENOMEM;
	count = drmGetDevices2(0, devices, count);
	for (i = 0; i < count && fd < 0; i++) {
		if (!(devices[i]->available_nodes & (1 << DRM_NODE_RENDER)))
			continue;
		fd = open_ncgpu_node(devices[i]->nodes[DRM_NODE_RENDER]);
		if (fd < 0 && fd != -ENODEV && !open_error)
			open_error = fd;
	}
	if (count > 0)
		drmFreeDevices(devices, count);
	free(devices);
	/* A node we could not open (say -EACCES) may be the ncgpu one. */
	if (fd < 0 && open_error)
		return open_error;
	return fd;
}

NCGPU_PUBLIC int ncgpu_device_open(struct ncgpu_device **out, const char *path)
{
	struct ncgpu_device_info info;
	int fd, ret;

	fd = path ? open_ncgpu_node(path) : open_first_render_node();
	if (fd < 0)
		return fd;
	ret = query_info(fd, &info);
	if (!ret) {
		*out = ncgpu_device_new(fd, &info);
		if (*out)
			return 0;
		ret = -ENOMEM;
	}
	close(fd);
	return ret;
}

NCGPU_PUBLIC void ncgpu_device_close(struct ncgpu_device *dev)
{
	if (!dev)
		return;
	if (dev->fd >= 0)
		close(dev->fd);
	ncgpu_device_free(dev);
}

NCGPU_PUBLIC void ncgpu_device_info(const struct ncgpu_device *dev, struct ncgpu_device_info *info)
{
	*info = dev->info;
}

NCGPU_PUBLIC int ncgpu_device_fd(const struct ncgpu_device *dev)
{
	return dev->fd;
}

NCGPU_PUBLIC uint64_t ncgpu_noncoherent_atom_size(const struct ncgpu_device *dev)
{
	return dev->atom;
}

NCGPU_PUBLIC int ncgpu_device_set_sync_backend(struct ncgpu_device *dev,
					       enum ncgpu_sync_backend backend)
{
	int ret;

	if (backend != NCGPU_SYNC_BACKEND_KERNEL && backend != NCGPU_SYNC_BACKEND_CPU)
		return -EINVAL;
	if (backend == NCGPU_SYNC_BACKEND_CPU && !ncgpu_cpu_has_cache_ops())
		return -EOPNOTSUPP;
	pthread_mutex_lock(&dev->queue_lock);
	ret = ncgpu_flush_pending_locked(dev);
	__atomic_store_n(&dev->backend, backend, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&dev->queue_lock);
	return ret;
}

NCGPU_PUBLIC enum ncgpu_sync_backend ncgpu_device_get_sync_backend(const struct ncgpu_device *dev)
{
	/* Atomic, as a concurrent ncgpu_device_set_sync_backend() may store it. */
	return __atomic_load_n(&dev->backend, __ATOMIC_RELAXED);
}
