/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The ncgpu authors
 */
#ifndef __DRM_GEM_SYNC_H__
#define __DRM_GEM_SYNC_H__

#include <linux/bits.h>
#include <linux/container_of.h>
#include <linux/dma-direction.h>
#include <linux/types.h>

#include <drm/drm_gem.h>

struct dma_buf;
struct dma_buf_ops;
struct drm_device;
struct drm_gem_shmem_object;
struct scatterlist;
struct sg_table;

/**
 * enum drm_gem_object_access_flags - who accesses a GEM object next, and how
 *
 * One accessor value ORed with a non-empty access type. These are the flags
 * proposed upstream for &drm_gem_object_funcs.sync.
 */
enum drm_gem_object_access_flags {
	/** @DRM_GEM_OBJECT_CPU_ACCESS: the CPU is about to access the object. */
	DRM_GEM_OBJECT_CPU_ACCESS = 0,
	/** @DRM_GEM_OBJECT_DEV_ACCESS: the device is about to access the object. */
	DRM_GEM_OBJECT_DEV_ACCESS = BIT(0),
	/** @DRM_GEM_OBJECT_ACCESSOR_MASK: the bits that select the accessor. */
	DRM_GEM_OBJECT_ACCESSOR_MASK = BIT(0),
	/** @DRM_GEM_OBJECT_READ_ACCESS: the accessor reads the range. */
	DRM_GEM_OBJECT_READ_ACCESS = BIT(1),
	/** @DRM_GEM_OBJECT_WRITE_ACCESS: the accessor writes the range. */
	DRM_GEM_OBJECT_WRITE_ACCESS = BIT(2),
	/** @DRM_GEM_OBJECT_RW_ACCESS: the accessor reads and writes the range. */
	DRM_GEM_OBJECT_RW_ACCESS = BIT(1) | BIT(2),
	/** @DRM_GEM_OBJECT_ACCESS_TYPE_MASK: the bits that select the access type. */
	DRM_GEM_OBJECT_ACCESS_TYPE_MASK = BIT(1) | BIT(2),
};

/**
 * enum drm_gem_sync_op - the CPU-cache operation an access needs
 *
 * There is deliberately no invalidate-only operation: it would discard CPU
 * writes that were never written back.
 */
enum drm_gem_sync_op {
	/** @DRM_GEM_SYNC_CLEAN: write dirty CPU cache lines back to memory. */
	DRM_GEM_SYNC_CLEAN = 1,
	/**
	 * @DRM_GEM_SYNC_CLEAN_INVALIDATE: write dirty lines back, then drop the
	 * CPU's cached copies.
	 */
	DRM_GEM_SYNC_CLEAN_INVALIDATE,
};

/**
 * struct drm_gem_sync_object_funcs - GEM object functions with a sync hook
 *
 * Linux 6.1's &drm_gem_object_funcs has no sync member, so a driver that uses
 * this layer wraps its function table in this structure and points
 * &drm_gem_object.funcs at the @gem member. Every object handed to
 * drm_gem_sync() or to the dma-buf helpers of this layer must have its funcs
 * set up that way: the layer finds the hooks with container_of() and cannot
 * check it. Upstream, @sync becomes &drm_gem_object_funcs.sync and the
 * wrapper goes away.
 */
struct drm_gem_sync_object_funcs {
	/** @gem: the GEM object functions; must stay the first member. */
	struct drm_gem_object_funcs gem;

	/**
	 * @sync: make [@offset, @offset + @size) of @obj ready for @access.
	 *
	 * drm_gem_sync() has validated the access flags and the range and
	 * widened the range to @granule; @size is never 0. NULL means the
	 * object needs no CPU-cache maintenance.
	 *
	 * Return: 0 on success or a negative error code.
	 */
	int (*sync)(struct drm_gem_object *obj, u64 offset, u64 size,
		    enum drm_gem_object_access_flags access);

	/**
	 * @granule: the maintenance granule of @obj in bytes, a power of two.
	 *
	 * NULL means dma_get_cache_alignment().
	 */
	unsigned int (*granule)(const struct drm_gem_object *obj);
};

/**
 * to_drm_gem_sync_funcs() - the sync wrapper around an object's functions
 * @obj: a GEM object whose funcs are &drm_gem_sync_object_funcs.gem of a
 *       wrapper
 *
 * Return: the wrapper holding @obj's &drm_gem_object.funcs.
 */
static inline const struct drm_gem_sync_object_funcs *
to_drm_gem_sync_funcs(const struct drm_gem_object *obj)
{
	return container_of(obj->funcs, struct drm_gem_sync_object_funcs, gem);
}

/**
 * struct drm_gem_sync_sg_index - binary-search index over DMA segments
 *
 * Maps object offsets to the DMA segments of a shmem object's &struct sg_table, so
 * drm_gem_shmem_sync() finds the first segment of a range in O(log n) instead
 * of walking the scatter list from its head. A driver embeds one, zeroed, in
 * each buffer object and frees it with drm_gem_sync_sg_index_fini(). All
 * members are protected by &drm_gem_shmem_object.pages_lock.
 */
struct drm_gem_sync_sg_index {
	/** @sgt: the table the index was built for, NULL when empty. */
	struct sg_table *sgt;
	/** @nents: the number of DMA segments indexed. */
	unsigned int nents;
	/** @seg_start: object offset of each segment's first byte, ascending. */
	u64 *seg_start;
	/** @seg: each segment's scatterlist entry. */
	struct scatterlist **seg;
};

int drm_gem_sync_op_for_access(u32 access);
int drm_gem_sync_access_from_dma_dir(enum dma_data_direction dir);
int drm_gem_sync_check_range(u64 obj_size, u64 offset, u64 size);
void drm_gem_sync_widen(u64 *offset, u64 *size, unsigned int granule,
			u64 obj_size);
int drm_gem_sync(struct drm_gem_object *obj, u64 offset, u64 size,
		 enum drm_gem_object_access_flags access);

int drm_gem_sync_sg_index_lookup(const u64 *seg_start, unsigned int nents,
				 u64 offset);
void drm_gem_sync_sg_index_fini(struct drm_gem_sync_sg_index *index);
int drm_gem_shmem_sync(struct drm_gem_shmem_object *shmem,
		       struct drm_gem_sync_sg_index *index, u64 offset,
		       u64 size, enum drm_gem_object_access_flags access);

int drm_gem_sync_dmabuf_begin_cpu_access(struct dma_buf *dmabuf,
					 enum dma_data_direction dir);
int drm_gem_sync_dmabuf_end_cpu_access(struct dma_buf *dmabuf,
				       enum dma_data_direction dir);
extern const struct dma_buf_ops drm_gem_sync_dmabuf_ops;

struct dma_buf *drm_gem_sync_prime_export(struct drm_gem_object *obj,
					  int flags);
struct drm_gem_object *drm_gem_sync_prime_import(struct drm_device *dev,
						 struct dma_buf *dma_buf);
bool drm_gem_sync_may_export(bool device_coherent, bool cpu_cached);

#endif /* __DRM_GEM_SYNC_H__ */
