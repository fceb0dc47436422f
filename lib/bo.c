// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * Buffer objects: create, import/export, map, wait, close.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "ncgpu_internal.h"

int ncgpu_kernel_close_handle(struct ncgpu_device *dev, uint32_t handle)
{
	return ncgpu_errno_result(drmCloseBufferHandle(dev->fd, handle));
}

struct ncgpu_bo *ncgpu_bo_new(struct ncgpu_device *dev, uint32_t handle, uint64_t size,
			      uint32_t create_flags, uint32_t extra_flags)
{
	struct ncgpu_bo *bo = calloc(1, sizeof(*bo));

	if (!bo)
		return NULL;
	bo->dev = dev;
	bo->handle = handle;
	bo->size = size;
	bo->create_flags = create_flags;
	bo->cached = extra_flags & DRM_NCGPU_BO_CPU_CACHED;
	bo->imported = extra_flags & DRM_NCGPU_BO_IS_IMPORTED;
	bo->refcount = 1;
	bo->next = dev->bos;
	if (dev->bos)
		dev->bos->prev = bo;
	dev->bos = bo;
	return bo;
}

static void unlink_bo_locked(struct ncgpu_bo *bo)
{
	if (bo->prev)
		bo->prev->next = bo->next;
	else
		bo->dev->bos = bo->next;
	if (bo->next)
		bo->next->prev = bo->prev;
}

static struct ncgpu_bo *find_bo_locked(struct ncgpu_device *dev, uint32_t handle)
{
	struct ncgpu_bo *bo;

	for (bo = dev->bos; bo; bo = bo->next) {
		if (bo->handle == handle)
			return bo;
	}
	return NULL;
}

NCGPU_PUBLIC int ncgpu_bo_create(struct ncgpu_device *dev, uint64_t size, uint32_t flags,
				 struct ncgpu_bo **out)
{
	struct drm_ncgpu_bo_create args = { .size = size, .flags = flags };
	uint32_t extra_flags = 0;
	struct ncgpu_bo *bo;

	if (drmIoctl(dev->fd, DRM_IOCTL_NCGPU_BO_CREATE, &args))
		return ncgpu_errno_result(-1);
	/* An IO-coherent device maps every BO write-back. */
	if ((flags & DRM_NCGPU_BO_WB_MMAP) || dev->info.coherency == DRM_NCGPU_COHERENCY_IO)
		extra_flags = DRM_NCGPU_BO_CPU_CACHED;
	pthread_mutex_lock(&dev->bo_lock);
	bo = ncgpu_bo_new(dev, args.handle, args.size, flags, extra_flags);
	if (!bo)
		dev->calls.close_handle(dev, args.handle);
	pthread_mutex_unlock(&dev->bo_lock);
	if (!bo)
		return -ENOMEM;
	*out = bo;
	return 0;
}

static int query_bo(struct ncgpu_device *dev, uint32_t handle,
		    struct drm_ncgpu_bo_query_info *info)
{
	*info = (struct drm_ncgpu_bo_query_info){ .handle = handle };
	return ncgpu_errno_result(drmIoctl(dev->fd, DRM_IOCTL_NCGPU_BO_QUERY_INFO, info));
}

static int import_new_bo_locked(struct ncgpu_device *dev, int dmabuf_fd, uint32_t handle,
				struct ncgpu_bo **out)
{
	struct drm_ncgpu_bo_query_info info;
	off_t size;
	int ret;

	ret = query_bo(dev, handle, &info);
	if (ret)
		return ret;
	/* A dma-buf reports its size as its end. */
	size = lseek(dmabuf_fd, 0, SEEK_END);
	if (size < 0)
		return -errno;
	*out = ncgpu_bo_new(dev, handle, size, info.create_flags, info.extra_flags);
	return *out ? 0 : -ENOMEM;
}

NCGPU_PUBLIC int ncgpu_bo_import(struct ncgpu_device *dev, int dmabuf_fd, struct ncgpu_bo **out)
{
	struct ncgpu_bo *bo;
	uint32_t handle;
	int ret;

	pthread_mutex_lock(&dev->bo_lock);
	ret = ncgpu_errno_result(drmPrimeFDToHandle(dev->fd, dmabuf_fd, &handle));
	if (ret)
		goto out_unlock;
	/* The kernel gives a buffer it already has the handle it already has. */
	bo = find_bo_locked(dev, handle);
	if (bo) {
		bo->refcount++;
		*out = bo;
		goto out_unlock;
	}
	ret = import_new_bo_locked(dev, dmabuf_fd, handle, out);
	if (ret)
		dev->calls.close_handle(dev, handle);
out_unlock:
	pthread_mutex_unlock(&dev->bo_lock);
	return ret;
}

NCGPU_PUBLIC int ncgpu_bo_export(struct ncgpu_bo *bo, int *dmabuf_fd)
{
	return ncgpu_errno_result(drmPrimeHandleToFD(bo->dev->fd, bo->handle,
						     DRM_CLOEXEC | DRM_RDWR, dmabuf_fd));
}

static int unmap_locked(struct ncgpu_bo *bo)
{
	if (!bo->map)
		return 0;
	if (munmap(bo->map, bo->size))
		return -errno;
	bo->map = NULL;
	return 0;
}

NCGPU_PUBLIC int ncgpu_bo_close(struct ncgpu_bo *bo)
{
	struct ncgpu_device *dev;
	int ret;

	if (!bo)
		return 0;
	dev = bo->dev;
	pthread_mutex_lock(&dev->bo_lock);
	if (--bo->refcount) {
		pthread_mutex_unlock(&dev->bo_lock);
		return 0;
	}
	pthread_mutex_lock(&dev->queue_lock);
	ncgpu_queue_drop_handle(&dev->queue, bo->handle);
	pthread_mutex_unlock(&dev->queue_lock);
	unmap_locked(bo);
	unlink_bo_locked(bo);
	ret = dev->calls.close_handle(dev, bo->handle);
	pthread_mutex_unlock(&dev->bo_lock);
	free(bo);
	return ret;
}

static int map_locked(struct ncgpu_bo *bo)
{
	struct drm_ncgpu_bo_mmap_offset args = { .handle = bo->handle };
	int fd = bo->dev->fd;
	void *ptr;

	if (drmIoctl(fd, DRM_IOCTL_NCGPU_BO_MMAP_OFFSET, &args))
		return ncgpu_errno_result(-1);
	ptr = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, args.offset);
	if (ptr == MAP_FAILED)
		return -errno;
	bo->map = ptr;
	return 0;
}

NCGPU_PUBLIC int ncgpu_bo_map(struct ncgpu_bo *bo, void **ptr)
{
	int ret = 0;

	pthread_mutex_lock(&bo->dev->bo_lock);
	if (!bo->map)
		ret = map_locked(bo);
	if (!ret)
		*ptr = bo->map;
	pthread_mutex_unlock(&bo->dev->bo_lock);
	return ret;
}

NCGPU_PUBLIC int ncgpu_bo_unmap(struct ncgpu_bo *bo)
{
	int ret;

	pthread_mutex_lock(&bo->dev->bo_lock);
	ret = unmap_locked(bo);
	pthread_mutex_unlock(&bo->dev->bo_lock);
	return ret;
}

NCGPU_PUBLIC uint64_t ncgpu_bo_size(const struct ncgpu_bo *bo)
{
	return bo->size;
}

NCGPU_PUBLIC uint32_t ncgpu_bo_handle(const struct ncgpu_bo *bo)
{
	return bo->handle;
}

NCGPU_PUBLIC bool ncgpu_bo_is_cached(const struct ncgpu_bo *bo)
{
	return bo->cached;
}

NCGPU_PUBLIC bool ncgpu_bo_is_imported(const struct ncgpu_bo *bo)
{
	return bo->imported;
}

NCGPU_PUBLIC int ncgpu_bo_wait(struct ncgpu_bo *bo, int64_t timeout_ns)
{
	if (timeout_ns < 0)
		return -EINVAL;
	/* 0 polls in the kernel too; a deadline of "now" would time out instead. */
	return bo->dev->calls.wait_bo(bo->dev, bo->handle,
				      timeout_ns ? ncgpu_deadline_from_timeout(timeout_ns) : 0);
}
