// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The ncgpu authors
 */

#include <linux/highmem.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/xxhash.h>

#include <drm/drm_print.h>

#include "ncgpu_coherence.h"
#include "ncgpu_gem.h"

/**
 * DOC: The coherence model
 *
 * No machine this runs on has a non-coherent GPU, and a missing flush would
 * change nothing by itself. So ncgpu emulates non-coherence for write-back BOs
 * of a non-coherent device, one sync_granule line at a time:
 *
 * - The CPU view is the BO's shmem pages, which userspace maps write-back.
 * - The device view is a separate copy that only the engine reads and writes.
 * - A line is dirty when its CPU view differs from what was last synced. Each
 *   line keeps a 64-bit hash of its last synced content.
 * - FLUSH writes the dirty lines of the range, whole, to the device view.
 * - FLUSH_AND_INVALIDATE flushes, then copies the device view over the CPU
 *   view of those lines.
 * - With evict_chaos, dirty lines are written back spontaneously at job
 *   completion, as real caches evict them.
 *
 * Memory is spent lazily. The view is created when the BO is first mapped,
 * synced or used by the device: it pins the CPU pages and costs 16 bytes per
 * page. A device page and the hash table of its lines are allocated when a
 * flush first writes a line of that page, or when SUBMIT reserves the pages a
 * job will write; an absent page reads as zeros and an absent hash table as
 * "synced as zeros". The engine reads and writes the view on the way to a
 * job fence's signal, so nothing allocates memory while holding view_lock
 * but with GFP_NOWAIT. A page
 * in full use costs PAGE_SIZE + 8 * PAGE_SIZE / sync_granule + 16 bytes:
 * 1.127 times the BO's size at the default granule of 64 bytes.
 */

/**
 * struct ncgpu_view_page - Device view of one page of a BO.
 */
struct ncgpu_view_page {
	/** @dev: Device view of the page; NULL reads as zeros. */
	struct page *dev;

	/**
	 * @synced: Per line, the hash of its last synced content XORed with
	 * the hash of a zero line; NULL when every line was synced as zeros.
	 */
	u64 *synced;
};

/**
 * struct ncgpu_device_view - The device view of a write-back BO.
 */
struct ncgpu_device_view {
	/** @npages: Number of pages of the BO. */
	pgoff_t npages;

	/** @pages: Per page state, @npages entries. */
	struct ncgpu_view_page pages[];
};

static unsigned int ncgpu_lines_per_page(struct ncgpu_device *ndev)
{
	return PAGE_SIZE / ndev->sync_granule;
}

static u64 ncgpu_line_hash(struct ncgpu_device *ndev, const void *line)
{
	return xxh64(line, ndev->sync_granule, 0) ^ ndev->zero_line_hash;
}

static struct ncgpu_device_view *ncgpu_view_alloc(struct ncgpu_bo *bo)
{
	pgoff_t npages = bo->base.base.size >> PAGE_SHIFT;
	struct ncgpu_device_view *view;
	int ret;

	view = kvzalloc(struct_size(view, pages, npages), NCGPU_USER_GFP);
	if (!view)
		return ERR_PTR(-ENOMEM);
	view->npages = npages;

	/* The CPU view stays pinned so the model can find a page in O(1). */
	ret = drm_gem_shmem_get_pages(&bo->base);
	if (ret) {
		kvfree(view);
		return ERR_PTR(ret);
	}
	return view;
}

static void ncgpu_view_free(struct ncgpu_bo *bo, struct ncgpu_device_view *view)
{
	pgoff_t index;

	for (index = 0; index < view->npages; index++) {
		if (view->pages[index].dev)
			__free_page(view->pages[index].dev);
		kfree(view->pages[index].synced);
	}
	kvfree(view);
	drm_gem_shmem_put_pages(&bo->base);
}

/**
 * ncgpu_coherence_attach() - Create the device view of a BO if it has none.
 * @bo: A BO with two views (ncgpu_bo_has_device_view()).
 *
 * Return: 0 on success, a negative error code otherwise.
 */
int ncgpu_coherence_attach(struct ncgpu_bo *bo)
{
	struct ncgpu_device *ndev = ncgpu_bo_device(bo);
	struct ncgpu_device_view *view;
	bool installed;

	/* Once set, the view stays until the BO is freed: no lock to check. */
	if (smp_load_acquire(&bo->dview))
		return 0;

	/* Outside view_lock, which the engine takes on the way to a fence's signal. */
	view = ncgpu_view_alloc(bo);
	if (IS_ERR(view))
		return PTR_ERR(view);

	mutex_lock(&bo->view_lock);
	installed = !bo->dview;
	if (installed) {
		/* Pairs with the lockless check: it sees a whole view. */
		smp_store_release(&bo->dview, view);
	}
	mutex_unlock(&bo->view_lock);

	if (!installed) {
		ncgpu_view_free(bo, view);
		return 0;
	}
	/* Outside view_lock: the eviction takes the list lock first. */
	mutex_lock(&ndev->cached_bos_lock);
	list_add_tail(&bo->cached_link, &ndev->cached_bos);
	mutex_unlock(&ndev->cached_bos_lock);
	return 0;
}

/*
 * Lines are copied a word at a time. memcpy() and memset() of a few dozen
 * bytes become "rep movsb" and "rep stosb" on x86, which QEMU's TCG, where
 * this model usually runs, executes one byte per step. Lines are at least 16
 * bytes and aligned to their size.
 */
static void ncgpu_line_copy(struct ncgpu_device *ndev, u8 *dst, const u8 *src)
{
	unsigned int i;

	for (i = 0; i < ndev->sync_granule; i += sizeof(u64))
		*(u64 *)(dst + i) = *(const u64 *)(src + i);
}

static void ncgpu_line_zero(struct ncgpu_device *ndev, u8 *dst)
{
	unsigned int i;

	for (i = 0; i < ndev->sync_granule; i += sizeof(u64))
		*(u64 *)(dst + i) = 0;
}

static int ncgpu_view_page_populate_locked(struct ncgpu_device *ndev,
					   struct ncgpu_view_page *vp, gfp_t gfp)
{
	/* Hashes first: a device page never exists without them. */
	if (!vp->synced) {
		vp->synced = kcalloc(ncgpu_lines_per_page(ndev), sizeof(u64), gfp);
		if (!vp->synced)
			return -ENOMEM;
	}
	if (!vp->dev) {
		vp->dev = alloc_page(gfp | __GFP_ZERO);
		if (!vp->dev)
			return -ENOMEM;
	}
	return 0;
}

static bool ncgpu_view_page_populated(struct ncgpu_view_page *vp)
{
	return vp->dev && vp->synced;
}

/*
 * Gives a page of the view its device memory. It allocates outside
 * view_lock: the engine takes that lock on the way to a fence's signal, so
 * nothing may wait for memory reclaim while holding it.
 */
static int ncgpu_view_page_populate(struct ncgpu_bo *bo, pgoff_t index)
{
	struct ncgpu_view_page *vp = &bo->dview->pages[index], spare;
	struct ncgpu_device *ndev = ncgpu_bo_device(bo);
	bool populated;
	int ret;

	mutex_lock(&bo->view_lock);
	populated = ncgpu_view_page_populated(vp);
	mutex_unlock(&bo->view_lock);
	if (populated)
		return 0;

	spare = (struct ncgpu_view_page) { };
	ret = ncgpu_view_page_populate_locked(ndev, &spare, NCGPU_USER_GFP);
	if (!ret) {
		mutex_lock(&bo->view_lock);
		if (!vp->synced)
			swap(vp->synced, spare.synced);
		if (!vp->dev)
			swap(vp->dev, spare.dev);
		mutex_unlock(&bo->view_lock);
	}
	kfree(spare.synced);
	if (spare.dev)
		__free_page(spare.dev);
	return ret;
}

/**
 * ncgpu_coherence_reserve() - Give a range of the device view its memory.
 * @bo: A BO with two views, attached (ncgpu_coherence_attach()).
 * @offset: Byte offset in the BO.
 * @size: Bytes; the range must be inside the BO.
 *
 * Afterwards the engine writes the range without allocating.
 *
 * Return: 0 on success, -ENOMEM, or -EINTR on a fatal signal.
 */
int ncgpu_coherence_reserve(struct ncgpu_bo *bo, u64 offset, u64 size)
{
	pgoff_t index, last;
	int ret;

	if (!size)
		return 0;
	last = (offset + size - 1) >> PAGE_SHIFT;
	for (index = offset >> PAGE_SHIFT; index <= last; index++) {
		ret = ncgpu_view_page_populate(bo, index);
		if (ret)
			return ret;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

static u64 ncgpu_synced_hash(const struct ncgpu_view_page *vp, unsigned int line)
{
	return vp->synced ? vp->synced[line] : 0;
}

/*
 * Writes one line back when it is dirty. @cpu maps the CPU page, @off is the
 * line's offset in the page. -EAGAIN: the line is dirty and its page has no
 * device memory yet.
 */
static int ncgpu_line_flush(struct ncgpu_device *ndev, struct ncgpu_view_page *vp,
			    u8 *cpu, unsigned int off)
{
	unsigned int line = off / ndev->sync_granule;
	u64 hash = ncgpu_line_hash(ndev, cpu + off);
	u8 *dev;

	if (hash == ncgpu_synced_hash(vp, line))
		return 0;
	if (!ncgpu_view_page_populated(vp))
		return -EAGAIN;

	dev = kmap_local_page(vp->dev);
	ncgpu_line_copy(ndev, dev + off, cpu + off);
	kunmap_local(dev);
	vp->synced[line] = hash;
	return 0;
}

/* Drops the CPU's copy of one clean line: the CPU view reloads the device view. */
static void ncgpu_line_invalidate(struct ncgpu_device *ndev, struct ncgpu_view_page *vp,
				  u8 *cpu, unsigned int off)
{
	unsigned int line = off / ndev->sync_granule;
	u8 *dev;

	if (!vp->dev) {
		ncgpu_line_zero(ndev, cpu + off);
		return;
	}
	dev = kmap_local_page(vp->dev);
	ncgpu_line_copy(ndev, cpu + off, dev + off);
	/*
	 * The device line's hash, not the CPU line's: a store that lands on
	 * the CPU line meanwhile makes it dirty instead of passing as synced.
	 */
	vp->synced[line] = ncgpu_line_hash(ndev, dev + off);
	kunmap_local(dev);
}

static int ncgpu_sync_page_locked(struct ncgpu_bo *bo, pgoff_t index, unsigned int start,
				  unsigned int end, enum drm_gem_sync_op op)
{
	struct ncgpu_device *ndev = ncgpu_bo_device(bo);
	struct ncgpu_view_page *vp = &bo->dview->pages[index];
	u8 *cpu = kmap_local_page(bo->base.pages[index]);
	unsigned int off;
	int ret = 0;

	for (off = start; off < end && !ret; off += ndev->sync_granule) {
		ret = ncgpu_line_flush(ndev, vp, cpu, off);
		if (!ret && op == DRM_GEM_SYNC_CLEAN_INVALIDATE)
			ncgpu_line_invalidate(ndev, vp, cpu, off);
	}
	kunmap_local(cpu);
	return ret;
}

/**
 * ncgpu_coherence_sync() - Cache maintenance of a granule-aligned range.
 * @bo: A BO with two views (ncgpu_bo_has_device_view()).
 * @offset: Start of the range, aligned to the sync granule.
 * @size: Size of the range, aligned to the sync granule, inside the BO.
 * @op: %DRM_GEM_SYNC_CLEAN or %DRM_GEM_SYNC_CLEAN_INVALIDATE.
 *
 * Touches exactly the lines of the range. Device work is not waited for: the
 * engine may use other lines of the BO meanwhile.
 *
 * Return: 0 on success, a negative error code otherwise; lines before the
 * failing one stay synced.
 */
int ncgpu_coherence_sync(struct ncgpu_bo *bo, u64 offset, u64 size, enum drm_gem_sync_op op)
{
	u64 end = offset + size;
	pgoff_t index;
	u64 page_end;
	int ret;

	ret = ncgpu_coherence_attach(bo);
	if (ret)
		return ret;

	while (offset < end) {
		index = offset >> PAGE_SHIFT;
		page_end = min_t(u64, end, (u64)(index + 1) << PAGE_SHIFT);
		mutex_lock(&bo->view_lock);
		ret = ncgpu_sync_page_locked(bo, index, offset_in_page(offset),
					     page_end - ((u64)index << PAGE_SHIFT), op);
		mutex_unlock(&bo->view_lock);
		/* The lines synced before stay synced: syncing them again is a no-op. */
		if (ret == -EAGAIN)
			ret = ncgpu_view_page_populate(bo, index);
		else if (!ret)
			offset = page_end;
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * ncgpu_coherence_read() - Read the device view of a BO, for the engine.
 * @bo: A BO with two views, attached (ncgpu_coherence_attach()).
 * @offset: Byte offset in the BO.
 * @buf: Destination.
 * @len: Bytes to read; the range must be inside the BO.
 *
 * Runs on the way to a job fence's signal: it allocates nothing.
 */
void ncgpu_coherence_read(struct ncgpu_bo *bo, u64 offset, void *buf, size_t len)
{
	struct ncgpu_view_page *vp;
	size_t chunk;
	u8 *dev;

	mutex_lock(&bo->view_lock);
	for (; len; len -= chunk, offset += chunk, buf += chunk) {
		chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(offset));
		vp = &bo->dview->pages[offset >> PAGE_SHIFT];
		if (!vp->dev) {
			memset(buf, 0, chunk);
			continue;
		}
		dev = kmap_local_page(vp->dev);
		memcpy(buf, dev + offset_in_page(offset), chunk);
		kunmap_local(dev);
	}
	mutex_unlock(&bo->view_lock);
}

/**
 * ncgpu_coherence_write() - Write the device view of a BO, for the engine.
 * @bo: A BO with two views, attached.
 * @offset: Byte offset in the BO.
 * @buf: Source.
 * @len: Bytes to write; the range must be inside the BO and reserved
 *	(ncgpu_coherence_reserve()).
 *
 * The CPU view is left alone: device writes reach the CPU only through an
 * invalidation. Runs on the way to a job fence's signal: it allocates
 * nothing.
 */
void ncgpu_coherence_write(struct ncgpu_bo *bo, u64 offset, const void *buf, size_t len)
{
	struct ncgpu_device *ndev = ncgpu_bo_device(bo);
	struct ncgpu_view_page *vp;
	size_t chunk;
	u8 *dev;

	mutex_lock(&bo->view_lock);
	for (; len; len -= chunk, offset += chunk, buf += chunk) {
		chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(offset));
		vp = &bo->dview->pages[offset >> PAGE_SHIFT];
		if (drm_WARN_ON_ONCE(&ndev->drm, !ncgpu_view_page_populated(vp)))
			continue;
		dev = kmap_local_page(vp->dev);
		memcpy(dev + offset_in_page(offset), buf, chunk);
		kunmap_local(dev);
	}
	mutex_unlock(&bo->view_lock);
}

/*
 * On the way to a fence's signal: device memory the line lacks is taken only
 * if it comes without reclaim; otherwise the line stays dirty, as a line the
 * cache did not evict.
 */
static void ncgpu_evict_page_locked(struct ncgpu_bo *bo, pgoff_t index)
{
	struct ncgpu_device *ndev = ncgpu_bo_device(bo);
	struct ncgpu_view_page *vp = &bo->dview->pages[index];
	u8 *cpu = kmap_local_page(bo->base.pages[index]);
	unsigned int off;
	int ret;

	for (off = 0; off < PAGE_SIZE; off += ndev->sync_granule) {
		if (get_random_u32_below(1000) >= ndev->evict_chaos)
			continue;
		ret = ncgpu_line_flush(ndev, vp, cpu, off);
		if (ret == -EAGAIN &&
		    !ncgpu_view_page_populate_locked(ndev, vp, GFP_NOWAIT | __GFP_NOWARN))
			ret = ncgpu_line_flush(ndev, vp, cpu, off);
		if (ret)
			break;
	}
	kunmap_local(cpu);
}

/**
 * ncgpu_coherence_evict() - Spontaneous write-back of dirty lines.
 * @ndev: The device.
 *
 * Each dirty line of every write-back BO is written back with a chance of
 * evict_chaos per mille, as a cache evicting lines would. The CPU view is not
 * invalidated. Called at each job's completion, before its fence signals.
 */
void ncgpu_coherence_evict(struct ncgpu_device *ndev)
{
	struct ncgpu_bo *bo;
	pgoff_t index;

	if (!ndev->evict_chaos)
		return;

	mutex_lock(&ndev->cached_bos_lock);
	list_for_each_entry(bo, &ndev->cached_bos, cached_link) {
		mutex_lock(&bo->view_lock);
		for (index = 0; index < bo->dview->npages; index++)
			ncgpu_evict_page_locked(bo, index);
		mutex_unlock(&bo->view_lock);
	}
	mutex_unlock(&ndev->cached_bos_lock);
}

/**
 * ncgpu_coherence_fini() - Free the device view of a BO.
 * @bo: The BO, being freed.
 */
void ncgpu_coherence_fini(struct ncgpu_bo *bo)
{
	struct ncgpu_device *ndev = ncgpu_bo_device(bo);
	struct ncgpu_device_view *view = bo->dview;

	if (!view)
		return;

	mutex_lock(&ndev->cached_bos_lock);
	list_del(&bo->cached_link);
	mutex_unlock(&ndev->cached_bos_lock);

	bo->dview = NULL;
	ncgpu_view_free(bo, view);
}
