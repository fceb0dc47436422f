/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The ncgpu authors
 */
#ifndef __NCGPU_GEM_H__
#define __NCGPU_GEM_H__

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <drm/drm_gem_shmem_helper.h>

#include "drm_gem_sync.h"
#include "ncgpu_drv.h"

struct drm_file;
struct iosys_map;
struct ncgpu_view_page;

/**
 * struct ncgpu_bo - An ncgpu buffer object.
 */
struct ncgpu_bo {
	/** @base: The shmem object; must stay first (drm_gem_shmem_free() kfree()s it). */
	struct drm_gem_shmem_object base;

	/** @create_flags: The flags given at BO_CREATE; 0 for imported BOs. */
	u32 create_flags;

	/** @cpu_cached: CPU mappings are write-back cached. */
	bool cpu_cached;

	/** @sg_index: Segment index of the DMA mapping, for exact-range syncs. */
	struct drm_gem_sync_sg_index sg_index;

	/**
	 * @view_lock: Serialises the work on the device view's lines: syncs,
	 * the engine's reads and writes, and the eviction.
	 */
	struct mutex view_lock;

	/**
	 * @view_pages: Device view of a write-back BO on a non-coherent
	 * device: per page, a &struct ncgpu_view_page once the page is used.
	 * Empty for single-view BOs. Entries stay until the BO is freed.
	 */
	struct xarray view_pages;

	/**
	 * @view_hint: The entry of @view_pages found last, tried first by the
	 * next sync; read and written without a lock, as entries stay.
	 */
	struct ncgpu_view_page *view_hint;

	/**
	 * @view_attached: The BO is on &ncgpu_device.cached_bos; set once,
	 * under &ncgpu_device.cached_bos_lock.
	 */
	bool view_attached;

	/**
	 * @cached_link: Link in &ncgpu_device.cached_bos once @view_attached;
	 * protected by &ncgpu_device.cached_bos_lock.
	 */
	struct list_head cached_link;
};

/**
 * to_ncgpu_bo() - Get the ncgpu BO of a GEM object.
 * @obj: GEM object created by ncgpu.
 *
 * Return: the &struct ncgpu_bo embedding @obj.
 */
static inline struct ncgpu_bo *to_ncgpu_bo(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct ncgpu_bo, base);
}

/**
 * ncgpu_bo_device() - Get the device of a BO.
 * @bo: The BO.
 *
 * Return: the &struct ncgpu_device owning @bo.
 */
static inline struct ncgpu_device *ncgpu_bo_device(struct ncgpu_bo *bo)
{
	return to_ncgpu_device(bo->base.base.dev);
}

/**
 * ncgpu_bo_has_device_view() - Whether the device sees a BO through its own view.
 * @bo: The BO.
 *
 * Only write-back BOs of a non-coherent device have two views; every other
 * BO is one memory that the CPU and the device share.
 *
 * Return: true when CPU writes reach the device only through a sync.
 */
static inline bool ncgpu_bo_has_device_view(struct ncgpu_bo *bo)
{
	return bo->cpu_cached && !ncgpu_bo_device(bo)->io_coherent;
}

int ncgpu_bo_vmap(struct ncgpu_bo *bo, struct iosys_map *map);
void ncgpu_bo_vunmap(struct ncgpu_bo *bo, struct iosys_map *map);
struct drm_gem_object *ncgpu_gem_create_object(struct drm_device *drm, size_t size);
struct drm_gem_object *ncgpu_gem_prime_import(struct drm_device *drm, struct dma_buf *dma_buf);

int ncgpu_ioctl_bo_create(struct drm_device *drm, void *data, struct drm_file *file);
int ncgpu_ioctl_bo_mmap_offset(struct drm_device *drm, void *data, struct drm_file *file);
int ncgpu_ioctl_bo_query_info(struct drm_device *drm, void *data, struct drm_file *file);
int ncgpu_ioctl_bo_sync(struct drm_device *drm, void *data, struct drm_file *file);
int ncgpu_ioctl_bo_wait(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* __NCGPU_GEM_H__ */
