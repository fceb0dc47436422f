// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The ncgpu authors
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>

#include "drm_gem_sync.h"

/**
 * DOC: overview
 *
 * The module's own copy of the generic GEM sync layer, for kernels whose DRM
 * core lacks it, such as Debian's 6.1. upstream/ has the same layer as a
 * patch series for the core; with the series applied, Kbuild leaves this file
 * out and the driver uses the core's (see drm_gem_sync.h).
 *
 * A GEM object that the CPU maps write-back cached while a device that does
 * not snoop the CPU caches uses it needs explicit cache maintenance. This
 * layer does it on exact byte ranges: drm_gem_sync() validates the access
 * flags and the range and calls the object's sync hook, which maintains the
 * cache lines that intersect the range and no others. drm_gem_sync() never
 * waits for the device, never migrates memory and never takes ownership of
 * the object, so the CPU and the device may use disjoint parts of one object
 * at the same time.
 *
 * The layer also provides:
 *
 * - drm_gem_sync_shmem(), a sync hook for shmem objects doing DMA-API
 *   maintenance on the DMA segments that cover the range, found through a
 *   &struct drm_gem_sync_sg_index;
 * - drm_gem_sync_dmabuf_ops, PRIME dma-buf operations whose
 *   begin/end_cpu_access run the sync hook on the whole buffer and sync every
 *   importer's mapping, with drm_gem_sync_prime_export() and
 *   drm_gem_sync_prime_import() to use them;
 * - drm_gem_sync_may_export(), the export policy, which a driver checks in
 *   its export hook (the core's export helper enforces it instead).
 *
 * The hook lives in &struct drm_gem_sync_object_funcs, which wraps the
 * object's &drm_gem_object_funcs because Linux 6.1 has no sync member there.
 *
 * Locking: callers of drm_gem_sync() may hold the object's reservation lock
 * (the dma-buf CPU access hooks) or not (a driver's sync ioctl), so hooks
 * neither take nor rely on it. Lock order: the object's &struct dma_resv,
 * then &drm_gem_shmem_object.pages_lock.
 */

/**
 * DOC: access flags and cache operations
 *
 * The cache operation depends only on who accesses the range next:
 *
 * ============  ==================  ===============================================
 * Access        Operation           Why
 * ============  ==================  ===============================================
 * DEV | READ    clean               The device reads memory, so it must see the
 *                                   CPU's writes.
 * DEV | WRITE   clean               A dirty line left in the cache could be
 *                                   evicted later, over the device's data.
 * DEV | RW      clean               Both of the above.
 * CPU | READ    clean + invalidate  The CPU must not read stale lines cached
 *                                   before the device wrote; the clean keeps CPU
 *                                   writes that were not written back yet.
 * CPU | WRITE   clean + invalidate  A write to part of a line merges with the
 *                                   cached line, which must not be stale.
 * CPU | RW      clean + invalidate  Both of the above.
 * ============  ==================  ===============================================
 *
 * There is no invalidate-only operation: it would destroy CPU writes that were
 * never written back, including those to neighbours sharing a line. Flags
 * outside %DRM_GEM_OBJECT_ACCESSOR_MASK and %DRM_GEM_OBJECT_ACCESS_TYPE_MASK,
 * or an empty access type, are invalid.
 */

/**
 * drm_gem_sync_access_from_dma_dir() - access type of one side of a dma-buf CPU access
 * @dir: the direction given to &dma_buf_ops.begin_cpu_access or
 *       &dma_buf_ops.end_cpu_access
 * @cpu: the access type of the CPU's side, else of the device's
 *
 * The direction names the flow of data: DMA_TO_DEVICE means that the CPU
 * writes and the device reads, DMA_FROM_DEVICE the reverse.
 *
 * Return: the access type, or -EINVAL for another direction.
 */
int drm_gem_sync_access_from_dma_dir(enum dma_data_direction dir, bool cpu)
{
	switch (dir) {
	case DMA_BIDIRECTIONAL:
		return DRM_GEM_OBJECT_RW_ACCESS;
	case DMA_TO_DEVICE:
		return cpu ? DRM_GEM_OBJECT_WRITE_ACCESS : DRM_GEM_OBJECT_READ_ACCESS;
	case DMA_FROM_DEVICE:
		return cpu ? DRM_GEM_OBJECT_READ_ACCESS : DRM_GEM_OBJECT_WRITE_ACCESS;
	default:
		return -EINVAL;
	}
}

/**
 * drm_gem_sync() - prepare a range of a GEM object for an access
 * @obj: the object; its &drm_gem_object.funcs must be
 *       &drm_gem_sync_object_funcs.gem of a driver's wrapper
 * @offset: the range's first byte
 * @size: the range's length in bytes
 * @access: who accesses the range next, and how
 *
 * Validates @access and the range and runs &drm_gem_sync_object_funcs.sync
 * on exactly that range. See "access flags and cache operations" for what
 * each access needs. Imported objects are refused: CPU access to an import
 * goes through its exporter's dma-buf.
 *
 * Return: 0 on success (also for an empty range and for objects without a
 * sync hook), -EINVAL for invalid @access, a range outside the object or an
 * imported object, or the hook's error.
 */
int drm_gem_sync(struct drm_gem_object *obj, u64 offset, u64 size,
		 enum drm_gem_object_access_flags access)
{
	const struct drm_gem_sync_object_funcs *funcs;
	int ret;

	ret = drm_gem_sync_op_for_access(access);
	if (ret < 0)
		return ret;

	ret = drm_gem_sync_check_range(obj->size, offset, size);
	if (ret)
		return ret;

	if (obj->import_attach)
		return -EINVAL;

	funcs = to_drm_gem_sync_funcs(obj);
	if (!size || !funcs->sync)
		return 0;

	return funcs->sync(obj, offset, size, access);
}

/**
 * drm_gem_sync_sg_index_lookup() - find the segment holding an offset
 * @seg_start: each segment's first object offset, ascending
 * @nents: the number of entries in @seg_start
 * @offset: the object offset to look up
 *
 * Binary search for the last segment that starts at or before @offset. It
 * does not check that @offset lies inside that segment.
 *
 * Return: the segment's index, or -ERANGE when @nents is 0 or above INT_MAX
 * or @offset lies before the first segment.
 */
int drm_gem_sync_sg_index_lookup(const u64 *seg_start, unsigned int nents,
				 u64 offset)
{
	unsigned int lo = 0, hi = nents;

	if (!nents || nents > INT_MAX || offset < seg_start[0])
		return -ERANGE;

	/* seg_start[lo] <= offset, and the answer lies in [lo, hi). */
	while (hi - lo > 1) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (seg_start[mid] <= offset)
			lo = mid;
		else
			hi = mid;
	}

	return lo;
}

/**
 * drm_gem_sync_sg_index_fini() - free an index and mark it empty
 * @index: the index; may be empty already
 *
 * Call it when the buffer object is freed, and under
 * &drm_gem_shmem_object.pages_lock whenever the driver frees or replaces
 * &drm_gem_shmem_object.sgt itself (for example when purging), so that a new
 * table allocated at the old address is never mistaken for the indexed one.
 */
void drm_gem_sync_sg_index_fini(struct drm_gem_sync_sg_index *index)
{
	kvfree(index->seg_start);
	kvfree(index->seg);
	index->seg_start = NULL;
	index->seg = NULL;
	index->nents = 0;
	index->sgt = NULL;
}

static int drm_gem_sync_sg_index_build(struct drm_gem_sync_sg_index *index,
				       struct sg_table *sgt)
{
	struct scatterlist *sg;
	u64 start = 0;
	unsigned int i;

	drm_gem_sync_sg_index_fini(index);
	index->seg_start = kvmalloc_array(sgt->nents, sizeof(*index->seg_start),
					  GFP_KERNEL);
	index->seg = kvmalloc_array(sgt->nents, sizeof(*index->seg), GFP_KERNEL);
	if (!index->seg_start || !index->seg) {
		drm_gem_sync_sg_index_fini(index);
		return -ENOMEM;
	}

	for_each_sgtable_dma_sg(sgt, sg, i) {
		index->seg_start[i] = start;
		index->seg[i] = sg;
		start += sg_dma_len(sg);
	}
	index->nents = sgt->nents;
	index->sgt = sgt;

	return 0;
}

static bool drm_gem_sync_sg_index_is_current(const struct drm_gem_sync_sg_index *index,
					     const struct sg_table *sgt)
{
	return index->sgt == sgt && index->nents == sgt->nents &&
	       (!sgt->nents || index->seg[0] == sgt->sgl);
}

static void drm_gem_sync_dma_range(struct device *dev, dma_addr_t addr,
				   size_t len, enum drm_gem_sync_op op)
{
	/*
	 * for_device(DMA_TO_DEVICE) is a clean on every architecture that
	 * needs one. for_cpu(DMA_FROM_DEVICE) then invalidates; a single
	 * for_device(DMA_BIDIRECTIONAL) does not (arm64 only cleans).
	 */
	dma_sync_single_for_device(dev, addr, len, DMA_TO_DEVICE);
	if (op == DRM_GEM_SYNC_CLEAN_INVALIDATE)
		dma_sync_single_for_cpu(dev, addr, len, DMA_FROM_DEVICE);
}

static void drm_gem_sync_segments(struct device *dev,
				  const struct drm_gem_sync_sg_index *index,
				  unsigned int first, u64 offset, u64 size,
				  enum drm_gem_sync_op op)
{
	unsigned int i;

	for (i = first; i < index->nents && size; i++) {
		struct scatterlist *sg = index->seg[i];
		u64 skip = offset - index->seg_start[i];
		u64 len;

		/* Only an offset past the end of the table gets here. */
		if (skip >= sg_dma_len(sg))
			break;

		len = min_t(u64, sg_dma_len(sg) - skip, size);
		drm_gem_sync_dma_range(dev, sg_dma_address(sg) + skip, len, op);
		offset += len;
		size -= len;
	}
}

static int drm_gem_shmem_sync_locked(struct drm_gem_shmem_object *shmem,
				     struct drm_gem_sync_sg_index *index,
				     u64 offset, u64 size, enum drm_gem_sync_op op)
{
	struct sg_table *sgt = shmem->sgt;
	int first, ret;

	lockdep_assert_held(&shmem->pages_lock);

	/* Not DMA-mapped: dma_map_sgtable() will clean the pages when it is. */
	if (!sgt) {
		drm_gem_sync_sg_index_fini(index);
		return 0;
	}

	if (!drm_gem_sync_sg_index_is_current(index, sgt)) {
		ret = drm_gem_sync_sg_index_build(index, sgt);
		if (ret)
			return ret;
	}

	first = drm_gem_sync_sg_index_lookup(index->seg_start, index->nents,
					     offset);
	if (first >= 0)
		drm_gem_sync_segments(shmem->base.dev->dev, index, first,
				      offset, size, op);

	return 0;
}

/**
 * drm_gem_sync_shmem() - DMA-API cache maintenance on a range of a shmem object
 * @shmem: the object
 * @index: @shmem's segment index, embedded in the driver's buffer object
 * @offset: the range's first byte
 * @size: the range's length in bytes
 * @access: who accesses the range next, and how
 *
 * A default &drm_gem_sync_object_funcs.sync for shmem objects: the driver's
 * hook finds @index for the object and calls this. It syncs exactly the byte
 * sub-ranges of the DMA segments of &drm_gem_shmem_object.sgt that intersect
 * the range: a clean is dma_sync_single_for_device(DMA_TO_DEVICE), a clean
 * and invalidate adds dma_sync_single_for_cpu(DMA_FROM_DEVICE). The first
 * segment is found by binary search in @index, built on first use for the
 * current table.
 *
 * Nothing is done for write-combined objects, whose CPU mappings bypass the
 * cache, nor for objects that are not DMA-mapped yet.
 *
 * Locking: takes &drm_gem_shmem_object.pages_lock, which keeps the table alive
 * and protects @index, so callers need no lock of their own. May sleep.
 *
 * Return: 0 on success; -EINVAL for invalid @access, a range outside the
 * object, or an imported object (its exporter owns the caches); -ENOMEM when
 * the index cannot be allocated.
 */
int drm_gem_sync_shmem(struct drm_gem_shmem_object *shmem,
		       struct drm_gem_sync_sg_index *index, u64 offset,
		       u64 size, enum drm_gem_object_access_flags access)
{
	struct drm_gem_object *obj = &shmem->base;
	int op = drm_gem_sync_op_for_access(access);
	int ret;

	if (op < 0)
		return op;

	ret = drm_gem_sync_check_range(obj->size, offset, size);
	if (ret)
		return ret;

	if (obj->import_attach)
		return -EINVAL;

	if (shmem->map_wc || !size)
		return 0;

	mutex_lock(&shmem->pages_lock);
	ret = drm_gem_shmem_sync_locked(shmem, index, offset, size, op);
	mutex_unlock(&shmem->pages_lock);

	return ret;
}

/**
 * struct drm_gem_sync_attachment - exporter state of one dma-buf attachment
 *
 * In Linux 6.1, dma_buf_detach() unmaps a non-dynamic exporter's cached
 * mapping without the reservation lock and only then unlinks the attachment
 * under it, so the lock that protects the attachment list does not keep the
 * mapping alive. The CPU-access hooks find the mapping here instead.
 */
struct drm_gem_sync_attachment {
	/** @lock: protects @sgt against unmapping while it is synced. */
	struct mutex lock;
	/** @sgt: the importer's mapping, NULL when unmapped. */
	struct sg_table *sgt;
	/** @dir: the direction @sgt was mapped with. */
	enum dma_data_direction dir;
};

static int drm_gem_sync_dmabuf_attach(struct dma_buf *dmabuf,
				      struct dma_buf_attachment *attach)
{
	struct drm_gem_sync_attachment *state;
	int ret;

	state = kzalloc(sizeof(*state), GFP_KERNEL);
	if (!state)
		return -ENOMEM;

	mutex_init(&state->lock);
	attach->priv = state;

	ret = drm_gem_map_attach(dmabuf, attach);
	if (ret) {
		attach->priv = NULL;
		mutex_destroy(&state->lock);
		kfree(state);
	}

	return ret;
}

static void drm_gem_sync_dmabuf_detach(struct dma_buf *dmabuf,
				       struct dma_buf_attachment *attach)
{
	struct drm_gem_sync_attachment *state = attach->priv;

	drm_gem_map_detach(dmabuf, attach);
	mutex_destroy(&state->lock);
	kfree(state);
}

static struct sg_table *
drm_gem_sync_map_dma_buf(struct dma_buf_attachment *attach,
			 enum dma_data_direction dir)
{
	struct drm_gem_sync_attachment *state = attach->priv;
	struct sg_table *sgt = drm_gem_map_dma_buf(attach, dir);

	if (!IS_ERR(sgt)) {
		mutex_lock(&state->lock);
		state->sgt = sgt;
		state->dir = dir;
		mutex_unlock(&state->lock);
	}

	return sgt;
}

static void drm_gem_sync_unmap_dma_buf(struct dma_buf_attachment *attach,
				       struct sg_table *sgt,
				       enum dma_data_direction dir)
{
	struct drm_gem_sync_attachment *state = attach->priv;

	mutex_lock(&state->lock);
	if (state->sgt == sgt)
		state->sgt = NULL;
	mutex_unlock(&state->lock);

	drm_gem_unmap_dma_buf(attach, sgt, dir);
}

/*
 * A mapping made for one direction is synced in that direction, as the DMA
 * API wants; a bidirectional one in the direction of the CPU access.
 */
static void drm_gem_sync_importers(struct dma_buf *dmabuf,
				   enum dma_data_direction dir, bool for_device)
{
	struct dma_buf_attachment *attach;

	dma_resv_assert_held(dmabuf->resv);

	list_for_each_entry(attach, &dmabuf->attachments, node) {
		struct drm_gem_sync_attachment *state = attach->priv;
		enum dma_data_direction sync_dir;

		mutex_lock(&state->lock);
		sync_dir = state->dir == DMA_BIDIRECTIONAL ? dir : state->dir;
		if (state->sgt && for_device)
			dma_sync_sgtable_for_device(attach->dev, state->sgt, sync_dir);
		else if (state->sgt)
			dma_sync_sgtable_for_cpu(attach->dev, state->sgt, sync_dir);
		mutex_unlock(&state->lock);
	}
}

static int drm_gem_sync_wait_for_device(struct drm_gem_object *obj,
					enum dma_data_direction dir)
{
	bool cpu_writes = dir != DMA_FROM_DEVICE;
	long ret;

	ret = dma_resv_wait_timeout(obj->resv, dma_resv_usage_rw(cpu_writes),
				    true, MAX_SCHEDULE_TIMEOUT);

	return min_t(long, ret, 0);
}

/**
 * drm_gem_sync_dmabuf_begin_cpu_access() - &dma_buf_ops.begin_cpu_access
 * @dmabuf: a buffer exported with drm_gem_sync_dmabuf_ops
 * @dir: the coming CPU access, as DMA_BUF_IOCTL_SYNC maps its flags
 *
 * Waits for the device jobs the access conflicts with, then, under the
 * object's reservation lock, syncs every importer's mapping for the CPU and
 * runs drm_gem_sync() for a CPU access on the whole buffer. The wait comes
 * first because an invalidate only helps after the device has written: the
 * dma-buf core waits too, but only after this hook.
 *
 * Return: 0 on success, -EINVAL for an unknown @dir, -ERESTARTSYS when
 * interrupted, or drm_gem_sync()'s error.
 */
int drm_gem_sync_dmabuf_begin_cpu_access(struct dma_buf *dmabuf,
					 enum dma_data_direction dir)
{
	struct drm_gem_object *obj = dmabuf->priv;
	int access = drm_gem_sync_access_from_dma_dir(dir, true);
	int ret;

	if (access < 0)
		return access;

	ret = drm_gem_sync_wait_for_device(obj, dir);
	if (ret)
		return ret;

	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		return drm_gem_sync_restartable(ret);

	drm_gem_sync_importers(dmabuf, dir, false);
	ret = drm_gem_sync(obj, 0, obj->size, DRM_GEM_OBJECT_CPU_ACCESS | access);
	dma_resv_unlock(obj->resv);

	return drm_gem_sync_restartable(ret);
}

/**
 * drm_gem_sync_dmabuf_end_cpu_access() - &dma_buf_ops.end_cpu_access
 * @dmabuf: a buffer exported with drm_gem_sync_dmabuf_ops
 * @dir: the finished CPU access, as DMA_BUF_IOCTL_SYNC maps its flags
 *
 * Under the object's reservation lock, runs drm_gem_sync() for a device
 * access on the whole buffer, then syncs every importer's mapping for its
 * device.
 *
 * Return: 0 on success, -EINVAL for an unknown @dir, -ERESTARTSYS when
 * interrupted, or drm_gem_sync()'s error.
 */
int drm_gem_sync_dmabuf_end_cpu_access(struct dma_buf *dmabuf,
				       enum dma_data_direction dir)
{
	struct drm_gem_object *obj = dmabuf->priv;
	int access = drm_gem_sync_access_from_dma_dir(dir, false);
	int ret;

	if (access < 0)
		return access;

	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		return drm_gem_sync_restartable(ret);

	ret = drm_gem_sync(obj, 0, obj->size, DRM_GEM_OBJECT_DEV_ACCESS | access);
	drm_gem_sync_importers(dmabuf, dir, true);
	dma_resv_unlock(obj->resv);

	return drm_gem_sync_restartable(ret);
}

/*
 * PRIME dma-buf operations: the drm_prime.c defaults, plus begin/end_cpu_access
 * running the object's sync hook and syncing importers' mappings. Mappings are
 * cached (cache_sgt_mapping) so that each attachment has one mapping to sync;
 * attach, detach, map and unmap wrap the defaults to track it.
 */
const struct dma_buf_ops drm_gem_sync_dmabuf_ops = {
	.cache_sgt_mapping = true,
	.attach = drm_gem_sync_dmabuf_attach,
	.detach = drm_gem_sync_dmabuf_detach,
	.map_dma_buf = drm_gem_sync_map_dma_buf,
	.unmap_dma_buf = drm_gem_sync_unmap_dma_buf,
	.release = drm_gem_dmabuf_release,
	.begin_cpu_access = drm_gem_sync_dmabuf_begin_cpu_access,
	.end_cpu_access = drm_gem_sync_dmabuf_end_cpu_access,
	.mmap = drm_gem_dmabuf_mmap,
	.vmap = drm_gem_dmabuf_vmap,
	.vunmap = drm_gem_dmabuf_vunmap,
};

/**
 * drm_gem_sync_prime_export() - export a GEM object with the sync dma-buf ops
 * @obj: the object; its funcs must be wrapped as for drm_gem_sync()
 * @flags: file flags of the new dma-buf, from the PRIME ioctl
 *
 * drm_gem_prime_export() with drm_gem_sync_dmabuf_ops, for use as
 * &drm_gem_object_funcs.export. Pair it with drm_gem_sync_prime_import().
 *
 * Return: the new dma-buf, or an ERR_PTR() on failure.
 */
struct dma_buf *drm_gem_sync_prime_export(struct drm_gem_object *obj,
					  int flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);

	/* The dma-buf calls into the driver's GEM functions, so pin its module. */
	exp_info.owner = obj->dev->driver->fops->owner;
	exp_info.ops = &drm_gem_sync_dmabuf_ops;
	exp_info.size = obj->size;
	exp_info.flags = flags;
	exp_info.priv = obj;
	exp_info.resv = obj->resv;

	return drm_gem_dmabuf_export(obj->dev, &exp_info);
}

/**
 * drm_gem_sync_prime_import() - import a dma-buf, recognising own exports
 * @dev: the importing device
 * @dma_buf: the buffer to import
 *
 * For use as &drm_driver.gem_prime_import. drm_gem_prime_import() only
 * recognises buffers exported with the drm_prime.c default operations, so
 * without this a buffer exported by drm_gem_sync_prime_export() and imported
 * into another file of the same device would become a second object attached
 * to the first.
 *
 * Return: the exported object itself, with a new reference, when @dma_buf was
 * exported by @dev with drm_gem_sync_dmabuf_ops; else the result of
 * drm_gem_prime_import().
 */
struct drm_gem_object *drm_gem_sync_prime_import(struct drm_device *dev,
						 struct dma_buf *dma_buf)
{
	struct drm_gem_object *obj;

	if (dma_buf->ops == &drm_gem_sync_dmabuf_ops) {
		obj = dma_buf->priv;
		if (obj->dev == dev) {
			drm_gem_object_get(obj);
			return obj;
		}
	}

	return drm_gem_prime_import(dev, dma_buf);
}

/**
 * drm_gem_sync_may_export() - export policy for cached objects
 * @device_coherent: the device snoops the CPU caches
 * @cpu_cached: the object's CPU mappings are write-back cached
 *
 * No cached export from a non-coherent device: exported buffers are
 * write-combined only, so no importer ever sees non-coherent cached memory.
 * On a coherent device every object is cached and may be exported.
 *
 * Return: false for a cached object on a non-coherent device, else true.
 */
bool drm_gem_sync_may_export(bool device_coherent, bool cpu_cached)
{
	return device_coherent || !cpu_cached;
}

MODULE_IMPORT_NS(DMA_BUF);
