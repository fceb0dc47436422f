/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The ncgpu authors
 */
#ifndef __DRM_GEM_SYNC_H__
#define __DRM_GEM_SYNC_H__

#include <linux/bits.h>
#include <linux/container_of.h>
#include <linux/dma-direction.h>
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/types.h>

#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_prime.h>

/*
 * Two forms of one layer. A kernel with the series of upstream/ has
 * drm_gem_sync(), &drm_gem_object_funcs.sync, the shmem hook and the dma-buf
 * defaults in its DRM core; Kbuild then defines DRM_GEM_SYNC_IN_CORE, and the
 * few names below that differ from the core's map onto it. Otherwise this
 * module carries the layer itself (drm_gem_sync.c), with the hook in a
 * wrapper around &drm_gem_object_funcs.
 */
#ifdef DRM_GEM_SYNC_IN_CORE

/**
 * struct drm_gem_sync_sg_index - nothing: the shmem object holds its index
 *
 * In core mode &drm_gem_shmem_object.sg_index is the segment index, so a
 * driver's embedded one stays empty.
 */
struct drm_gem_sync_sg_index {
};

/**
 * drm_gem_sync_sg_index_fini() - nothing to free in core mode
 * @index: the driver's empty index
 */
static inline void drm_gem_sync_sg_index_fini(struct drm_gem_sync_sg_index *index)
{
}

/**
 * drm_gem_sync_shmem() - the shmem sync hook: drm_gem_shmem_sync() in core mode
 * @shmem: the object
 * @index: unused: the object holds its own index
 * @offset: the range's first byte
 * @size: the range's length in bytes
 * @access: who accesses the range next, and how
 *
 * Return: drm_gem_shmem_sync()'s result.
 */
static inline int drm_gem_sync_shmem(struct drm_gem_shmem_object *shmem,
				     struct drm_gem_sync_sg_index *index, u64 offset,
				     u64 size, enum drm_gem_object_access_flags access)
{
	return drm_gem_shmem_sync(shmem, offset, size, access);
}

/**
 * drm_gem_sync_prime_export() - drm_gem_prime_export() in core mode
 * @obj: the object
 * @flags: file flags of the new dma-buf
 *
 * The core's default dma-buf operations sync CPU access themselves.
 *
 * Return: the new dma-buf, or an ERR_PTR().
 */
static inline struct dma_buf *drm_gem_sync_prime_export(struct drm_gem_object *obj, int flags)
{
	return drm_gem_prime_export(obj, flags);
}

/**
 * drm_gem_sync_prime_import() - drm_gem_prime_import() in core mode
 * @dev: the importing device
 * @dma_buf: the buffer to import
 *
 * The core recognises its own exports.
 *
 * Return: the object, or an ERR_PTR().
 */
static inline struct drm_gem_object *drm_gem_sync_prime_import(struct drm_device *dev,
							       struct dma_buf *dma_buf)
{
	return drm_gem_prime_import(dev, dma_buf);
}

#else /* !DRM_GEM_SYNC_IN_CORE */

struct dma_buf;
struct dma_buf_ops;
struct drm_device;
struct scatterlist;
struct sg_table;

/**
 * enum drm_gem_object_access_flags - who accesses a GEM object next, and how
 *
 * One accessor value ORed with a non-empty access type, as in the DRM core
 * of upstream/.
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
 * struct drm_gem_sync_object_funcs - GEM object functions with a sync hook
 *
 * Linux 6.1's &drm_gem_object_funcs has no sync member, so a driver that uses
 * this layer wraps its function table in this structure and points
 * &drm_gem_object.funcs at the @gem member. Every object handed to
 * drm_gem_sync() or to the dma-buf helpers of this layer must have its funcs
 * set up that way: the layer finds the hook with container_of() and cannot
 * check it. In the core, @sync is &drm_gem_object_funcs.sync and the wrapper
 * goes away.
 */
struct drm_gem_sync_object_funcs {
	/** @gem: the GEM object functions; must stay the first member. */
	struct drm_gem_object_funcs gem;

	/**
	 * @sync: make [@offset, @offset + @size) of @obj ready for @access.
	 *
	 * As &drm_gem_object_funcs.sync in the core: drm_gem_sync() has
	 * validated the access flags and the range, which is exact, and
	 * @size is never 0. NULL means the object needs no CPU-cache
	 * maintenance.
	 *
	 * Return: 0 on success or a negative error code.
	 */
	int (*sync)(struct drm_gem_object *obj, u64 offset, u64 size,
		    enum drm_gem_object_access_flags access);
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
 * Maps object offsets to the DMA segments of a shmem object's &struct
 * sg_table, so drm_gem_sync_shmem() finds the first segment of a range in
 * O(log n) instead of walking the scatter list from its head. A driver
 * embeds one, zeroed, in each buffer object and frees it with
 * drm_gem_sync_sg_index_fini() (in the core, the shmem object holds it). All
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

int drm_gem_sync(struct drm_gem_object *obj, u64 offset, u64 size,
		 enum drm_gem_object_access_flags access);

int drm_gem_sync_sg_index_lookup(const u64 *seg_start, unsigned int nents,
				 u64 offset);
void drm_gem_sync_sg_index_fini(struct drm_gem_sync_sg_index *index);
int drm_gem_sync_shmem(struct drm_gem_shmem_object *shmem,
		       struct drm_gem_sync_sg_index *index, u64 offset,
		       u64 size, enum drm_gem_object_access_flags access);

int drm_gem_sync_access_from_dma_dir(enum dma_data_direction dir, bool cpu);
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

#endif /* DRM_GEM_SYNC_IN_CORE */

/*
 * Helpers of both forms for drivers whose sync hook needs more than the
 * DMA API: the cache operation an access needs, range checks and the
 * widening to a cache-line granule that a hook does on the exact range it
 * gets; and for the ioctls that reach a sync, the restart of an interrupted
 * one.
 */

/**
 * drm_gem_sync_restartable() - make an interrupted call restartable
 * @ret: a return value for userspace
 *
 * Locks taken interruptibly (the reservation lock, 6.1's shmem page lock)
 * say -EINTR, which userspace would see even with SA_RESTART handlers. A sync,
 * and every driver call that reaches those locks, may simply run again: what
 * it did before the signal stays done.
 *
 * Return: -ERESTARTSYS for -EINTR, @ret otherwise.
 */
static inline int drm_gem_sync_restartable(int ret)
{
	return ret == -EINTR ? -ERESTARTSYS : ret;
}

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
 * drm_gem_sync_op_for_access() - the cache operation an access needs
 * @access: &enum drm_gem_object_access_flags, as a plain value so that
 *          unknown bits can be rejected
 *
 * Before a device access dirty lines are written back (a line left dirty
 * could be evicted over the device's writes later). Before a CPU access they
 * are also invalidated, so that the CPU reads what the device wrote; the
 * write-back first keeps CPU writes not written back yet.
 *
 * Return: %DRM_GEM_SYNC_CLEAN before a device access,
 * %DRM_GEM_SYNC_CLEAN_INVALIDATE before a CPU access, or -EINVAL when
 * @access has unknown bits or neither reads nor writes.
 */
static inline int drm_gem_sync_op_for_access(u32 access)
{
	const u32 known = DRM_GEM_OBJECT_ACCESSOR_MASK |
			  DRM_GEM_OBJECT_ACCESS_TYPE_MASK;

	if ((access & ~known) || !(access & DRM_GEM_OBJECT_ACCESS_TYPE_MASK))
		return -EINVAL;

	if ((access & DRM_GEM_OBJECT_ACCESSOR_MASK) == DRM_GEM_OBJECT_DEV_ACCESS)
		return DRM_GEM_SYNC_CLEAN;

	return DRM_GEM_SYNC_CLEAN_INVALIDATE;
}

/**
 * drm_gem_sync_check_range() - check a byte range against an object's size
 * @obj_size: the object's size in bytes
 * @offset: the range's first byte
 * @size: the range's length in bytes; 0 is valid
 *
 * Return: 0 when [@offset, @offset + @size) lies inside the object, -EINVAL
 * when @offset + @size wraps or exceeds @obj_size.
 */
static inline int drm_gem_sync_check_range(u64 obj_size, u64 offset, u64 size)
{
	u64 end;

	if (check_add_overflow(offset, size, &end) || end > obj_size)
		return -EINVAL;

	return 0;
}

/**
 * drm_gem_sync_widen() - widen a range outward to whole granules
 * @offset: in: the range's first byte; out: rounded down to @granule
 * @size: in: the range's length; out: the widened length
 * @granule: the maintenance granule, a power of two
 * @obj_size: the object's size; the widened range never goes beyond it
 *
 * For a sync hook whose maintenance works on granules, as a cache works on
 * lines. The range must have passed drm_gem_sync_check_range(). An empty
 * range stays empty and unmoved.
 */
static inline void drm_gem_sync_widen(u64 *offset, u64 *size, unsigned int granule,
				      u64 obj_size)
{
	u64 mask = granule ? (u64)granule - 1 : 0;
	u64 start = *offset & ~mask;
	u64 end = *offset + *size;
	u64 tail = (mask + 1 - (end & mask)) & mask;

	if (!*size)
		return;

	/* Computed as a difference so that an end near U64_MAX cannot wrap. */
	end += min(tail, obj_size - end);
	*offset = start;
	*size = end - start;
}

#endif /* __DRM_GEM_SYNC_H__ */
