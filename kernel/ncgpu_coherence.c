// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The ncgpu authors
 */

#include <linux/device.h>
#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include <drm/drm_print.h>

#include "ncgpu_coherence.h"
#include "ncgpu_gem.h"
#include "ncgpu_line.h"

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
 * - FLUSH_AND_INVALIDATE flushes, then reloads the CPU view of those lines
 *   from the device view, in one step per line as far as the CPU can tell:
 *   a CPU store that lands meanwhile is kept and leaves its line dirty
 *   (ncgpu_line_clean(), ncgpu_line_reload()).
 * - With evict_chaos, dirty lines are written back spontaneously at job
 *   completion, as real caches evict them.
 *
 * Memory follows what is touched. The device view is an xarray of
 * &struct ncgpu_view_page, one per page that a flush wrote a dirty line to or
 * that a job writes (SUBMIT reserves those before the job is armed); an
 * absent page reads as zeros on the device and counts as synced as zeros.
 * Attaching the model pins no CPU page. It finds the CPU view in the BO's
 * page cache when it needs it, and a page the CPU never touched is a hole
 * there, which reads as zeros too. So a sync where both views are zero
 * allocates nothing, and attaching the model costs nothing but a list entry.
 * A page with a device view keeps a reference to its CPU page once a sync
 * has found it, which a CPU write made exist: later syncs need no lookup. A
 * CPU mapping pins every page of the BO, as the shmem helper does. A page in
 * full use costs PAGE_SIZE + 8 * PAGE_SIZE / sync_granule + 32 bytes, plus
 * its xarray slot: 1.135 times the BO's size at the default granule of 64
 * bytes.
 *
 * The engine reads and writes the device view, and evicts lines, on the way
 * to a job fence's signal (ncgpu_coherence_read(), ncgpu_coherence_write(),
 * ncgpu_coherence_evict()). So nothing allocates while holding view_lock but
 * with GFP_NOWAIT, and the model never takes shmem's locks under it: the
 * eviction finds CPU pages through lockless page cache lookups.
 */

/**
 * struct ncgpu_view_page - Device view of one page of a BO.
 *
 * Created when first needed, filled with zeros, and kept until the BO is
 * freed: a pointer found in &ncgpu_bo.view_pages stays valid meanwhile.
 */
struct ncgpu_view_page {
	/** @index: The page's index in the BO. */
	pgoff_t index;

	/** @dev: Device view of the page. */
	struct page *dev;

	/**
	 * @cpu: The CPU view of the page, held once a sync has found it in
	 * the page cache, so that later syncs need no lookup; NULL until
	 * then. Set once, under &ncgpu_bo.view_lock.
	 */
	struct page *cpu;

	/**
	 * @synced: Per line, the hash of its last synced content XORed with
	 * the hash of a zero line, so that zeros mean "synced as zeros".
	 */
	u64 *synced;
};

static unsigned int ncgpu_lines_per_page(struct ncgpu_device *ndev)
{
	return PAGE_SIZE / ndev->sync_granule;
}

static unsigned int ncgpu_words_per_line(struct ncgpu_device *ndev)
{
	return ndev->sync_granule / sizeof(u64);
}

static void ncgpu_view_page_cache_destroy(void *cache)
{
	kmem_cache_destroy(cache);
}

/**
 * ncgpu_coherence_init() - Prepare the coherence model of a device.
 * @ndev: The device, its sync_granule set.
 *
 * Return: 0 on success, -ENOMEM.
 */
int ncgpu_coherence_init(struct ncgpu_device *ndev)
{
	u64 *zeros = kzalloc(ndev->sync_granule, GFP_KERNEL);

	if (!zeros)
		return -ENOMEM;
	ndev->zero_line_hash = ncgpu_line_hash_words(zeros, ncgpu_words_per_line(ndev));
	kfree(zeros);

	ndev->line_snapshot = __devm_alloc_percpu(ndev->drm.dev, ndev->sync_granule,
						  sizeof(u64));
	if (!ndev->line_snapshot)
		return -ENOMEM;

	ndev->view_page_cache = KMEM_CACHE(ncgpu_view_page, SLAB_ACCOUNT);
	if (!ndev->view_page_cache)
		return -ENOMEM;
	return devm_add_action_or_reset(ndev->drm.dev, ncgpu_view_page_cache_destroy,
					ndev->view_page_cache);
}

static void ncgpu_view_page_free(struct ncgpu_device *ndev, struct ncgpu_view_page *vp)
{
	if (vp->dev)
		__free_page(vp->dev);
	if (vp->cpu)
		put_page(vp->cpu);
	kfree(vp->synced);
	kmem_cache_free(ndev->view_page_cache, vp);
}

static struct ncgpu_view_page *ncgpu_view_page_alloc(struct ncgpu_device *ndev, gfp_t gfp)
{
	struct ncgpu_view_page *vp = kmem_cache_zalloc(ndev->view_page_cache, gfp);

	if (!vp)
		return NULL;
	vp->synced = kcalloc(ncgpu_lines_per_page(ndev), sizeof(u64), gfp);
	vp->dev = alloc_page(gfp | __GFP_ZERO);
	if (!vp->synced || !vp->dev) {
		ncgpu_view_page_free(ndev, vp);
		return NULL;
	}
	return vp;
}

/*
 * The device view of page @index, or NULL. Syncs come in runs on one page
 * (a batch walking a buffer), so the page found last is tried first.
 */
static struct ncgpu_view_page *ncgpu_view_page_find(struct ncgpu_bo *bo, pgoff_t index)
{
	struct ncgpu_view_page *vp = READ_ONCE(bo->view_hint);

	if (vp && vp->index == index)
		return vp;
	vp = xa_load(&bo->view_pages, index);
	if (vp)
		WRITE_ONCE(bo->view_hint, vp);
	return vp;
}

/*
 * Gives page @index of the device view its memory, unless it has some. A new
 * page holds zeros and its lines count as synced as zeros, which is what an
 * absent page means, so it is published without view_lock: @gfp may then
 * reclaim. Under view_lock, only GFP_NOWAIT.
 */
static struct ncgpu_view_page *ncgpu_view_page_install(struct ncgpu_bo *bo, pgoff_t index,
						       gfp_t gfp)
{
	struct ncgpu_view_page *vp = xa_load(&bo->view_pages, index);
	int ret;

	if (vp)
		return vp;
	vp = ncgpu_view_page_alloc(ncgpu_bo_device(bo), gfp);
	if (!vp)
		return ERR_PTR(-ENOMEM);
	vp->index = index;
	ret = xa_insert(&bo->view_pages, index, vp, gfp);
	if (!ret)
		return vp;
	ncgpu_view_page_free(ncgpu_bo_device(bo), vp);
	/* -EBUSY: another sync or SUBMIT installed it first. */
	return ret == -EBUSY ? xa_load(&bo->view_pages, index) : ERR_PTR(ret);
}

/**
 * ncgpu_coherence_attach() - Make the model follow a BO.
 * @bo: A BO with two views (ncgpu_bo_has_device_view()).
 *
 * Puts the BO on the device's list of write-back BOs, whose dirty lines the
 * spontaneous eviction walks. Allocates nothing and pins no page: the device
 * view grows page by page as it is used.
 *
 * Return: 0.
 */
int ncgpu_coherence_attach(struct ncgpu_bo *bo)
{
	struct ncgpu_device *ndev = ncgpu_bo_device(bo);

	/* Once set, the BO stays on the list until it is freed. */
	if (READ_ONCE(bo->view_attached))
		return 0;

	mutex_lock(&ndev->cached_bos_lock);
	if (!bo->view_attached) {
		list_add_tail(&bo->cached_link, &ndev->cached_bos);
		WRITE_ONCE(bo->view_attached, true);
	}
	mutex_unlock(&ndev->cached_bos_lock);
	return 0;
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
	struct ncgpu_view_page *vp;
	pgoff_t index, last;

	if (!size)
		return 0;
	last = (offset + size - 1) >> PAGE_SHIFT;
	for (index = offset >> PAGE_SHIFT; index <= last; index++) {
		vp = ncgpu_view_page_install(bo, index, NCGPU_USER_GFP);
		if (IS_ERR(vp))
			return PTR_ERR(vp);
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/*
 * Syncs the lines of [@start, @end) of a page; @cpu maps its CPU view. The
 * snapshot is per CPU: preemption stays off while a line is synced.
 */
static int ncgpu_sync_lines_locked(struct ncgpu_device *ndev, struct ncgpu_view_page *vp,
				   u8 *cpu, unsigned int start, unsigned int end,
				   enum drm_gem_sync_op op)
{
	struct ncgpu_line line = {
		.words = ncgpu_words_per_line(ndev),
		.zero_hash = ndev->zero_line_hash,
	};
	u8 *dev = vp ? kmap_local_page(vp->dev) : NULL;
	unsigned int off;
	int ret = 0;

	for (off = start; off < end; off += ndev->sync_granule) {
		line.cpu = (u64 *)(cpu + off);
		line.dev = dev ? (u64 *)(dev + off) : NULL;
		line.synced = vp ? &vp->synced[off / ndev->sync_granule] : NULL;
		line.snap = get_cpu_ptr(ndev->line_snapshot);
		ret = ncgpu_line_clean(&line);
		if (!ret && op == DRM_GEM_SYNC_CLEAN_INVALIDATE)
			ncgpu_line_reload(&line);
		put_cpu_ptr(ndev->line_snapshot);
		if (ret)
			break;
	}
	if (dev)
		kunmap_local(dev);
	return ret;
}

/*
 * The CPU view of page @index, with a reference; NULL for a page the CPU
 * never touched (a hole of the shmem file, which reads as zeros), unless
 * @create asks shmem to make it. Never called under view_lock: swapping a
 * page in or creating it allocates.
 */
static struct page *ncgpu_cpu_page_get(struct ncgpu_bo *bo, pgoff_t index, bool create)
{
	struct address_space *mapping = bo->base.base.filp->f_mapping;
	struct page *page = find_get_page(mapping, index);

	if (page)
		return page;
	if (!create && !xa_load(&mapping->i_pages, index))
		return NULL;
	return shmem_read_mapping_page_gfp(mapping, index, mapping_gfp_mask(mapping));
}

/*
 * The CPU view of page @index for a sync, with a reference, or NULL for a
 * hole; *@found tells whether it was looked up, and so needs to be kept in
 * @vp or put.
 */
static struct page *ncgpu_sync_cpu_page(struct ncgpu_bo *bo, struct ncgpu_view_page *vp,
					pgoff_t index, bool invalidate, bool *found)
{
	struct page *page = vp ? READ_ONCE(vp->cpu) : NULL;

	*found = !page;
	if (page)
		return page;
	/* An invalidation writes the CPU view only where the device's may differ. */
	return ncgpu_cpu_page_get(bo, index, invalidate && vp);
}

/* -EAGAIN: page @index needs device memory first. */
static int ncgpu_sync_page(struct ncgpu_bo *bo, pgoff_t index, unsigned int start,
			   unsigned int end, enum drm_gem_sync_op op)
{
	bool invalidate = op == DRM_GEM_SYNC_CLEAN_INVALIDATE;
	struct ncgpu_view_page *vp = ncgpu_view_page_find(bo, index);
	struct page *page;
	bool found;
	u8 *cpu;
	int ret;

	page = ncgpu_sync_cpu_page(bo, vp, index, invalidate, &found);
	if (IS_ERR(page))
		return PTR_ERR(page);
	/* Both views are zeros. */
	if (!page && !vp)
		return 0;

	mutex_lock(&bo->view_lock);
	/* A page with device memory keeps its CPU page: the next sync finds it at once. */
	if (found && page && vp && !vp->cpu) {
		WRITE_ONCE(vp->cpu, page);
		found = false;
	}
	cpu = kmap_local_page(page ?: ZERO_PAGE(0));
	ret = ncgpu_sync_lines_locked(ncgpu_bo_device(bo), vp, cpu, start, end, op);
	kunmap_local(cpu);
	mutex_unlock(&bo->view_lock);

	/* Written behind shmem's back: reclaim must swap it out, not drop it. */
	if (page && invalidate)
		set_page_dirty(page);
	if (found && page)
		put_page(page);
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
 * engine may use other lines of the BO meanwhile. Pages where both views are
 * zeros cost nothing.
 *
 * Return: 0 on success, a negative error code otherwise; lines before the
 * failing one stay synced.
 */
int ncgpu_coherence_sync(struct ncgpu_bo *bo, u64 offset, u64 size, enum drm_gem_sync_op op)
{
	struct ncgpu_view_page *vp;
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
		ret = ncgpu_sync_page(bo, index, offset_in_page(offset),
				      page_end - ((u64)index << PAGE_SHIFT), op);
		/* The lines synced before stay synced: syncing them again is a no-op. */
		if (ret == -EAGAIN) {
			vp = ncgpu_view_page_install(bo, index, NCGPU_USER_GFP);
			ret = PTR_ERR_OR_ZERO(vp);
		} else if (!ret) {
			offset = page_end;
		}
		if (ret)
			return ret;
		cond_resched();
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
		vp = xa_load(&bo->view_pages, offset >> PAGE_SHIFT);
		if (!vp) {
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
		vp = xa_load(&bo->view_pages, offset >> PAGE_SHIFT);
		if (drm_WARN_ON_ONCE(&ndev->drm, !vp))
			continue;
		dev = kmap_local_page(vp->dev);
		memcpy(dev + offset_in_page(offset), buf, chunk);
		kunmap_local(dev);
	}
	mutex_unlock(&bo->view_lock);
}

/*
 * Writes back, with a chance of evict_chaos per mille each, the dirty lines
 * of one page of the CPU view. Device memory a line lacks is taken only if
 * it comes without reclaim; otherwise the line stays dirty, as a line the
 * cache did not evict.
 */
static void ncgpu_evict_page_locked(struct ncgpu_bo *bo, pgoff_t index, struct page *page)
{
	struct ncgpu_device *ndev = ncgpu_bo_device(bo);
	struct ncgpu_view_page *vp = xa_load(&bo->view_pages, index);
	u8 *cpu = kmap_local_page(page);
	unsigned int off;
	int ret;

	for (off = 0; off < PAGE_SIZE; off += ndev->sync_granule) {
		if (get_random_u32_below(1000) >= ndev->evict_chaos)
			continue;
		ret = ncgpu_sync_lines_locked(ndev, vp, cpu, off, off + ndev->sync_granule,
					      DRM_GEM_SYNC_CLEAN);
		if (ret != -EAGAIN)
			continue;
		vp = ncgpu_view_page_install(bo, index, GFP_NOWAIT | __GFP_NOWARN);
		if (IS_ERR(vp))
			break;
		ncgpu_sync_lines_locked(ndev, vp, cpu, off, off + ndev->sync_granule,
					DRM_GEM_SYNC_CLEAN);
	}
	kunmap_local(cpu);
}

/*
 * Only pages in the BO's page cache can be dirty: the others are holes the
 * CPU never wrote to. They are found without shmem's locks, and a page that
 * is swapped out stays as it is, as if the cache had not evicted it.
 */
static void ncgpu_evict_bo_locked(struct ncgpu_bo *bo)
{
	struct address_space *mapping = bo->base.base.filp->f_mapping;
	struct folio_batch batch;
	struct folio *folio;
	pgoff_t start = 0;
	unsigned int i;
	long n;

	folio_batch_init(&batch);
	while (filemap_get_folios(mapping, &start, ULONG_MAX, &batch)) {
		for (i = 0; i < folio_batch_count(&batch); i++) {
			folio = batch.folios[i];
			for (n = 0; n < folio_nr_pages(folio); n++)
				ncgpu_evict_page_locked(bo, folio->index + n,
							folio_page(folio, n));
			/* Not folio_batch_release(): it would drain the LRU caches. */
			folio_put(folio);
		}
		folio_batch_init(&batch);
		cond_resched();
	}
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

	if (!ndev->evict_chaos)
		return;

	mutex_lock(&ndev->cached_bos_lock);
	list_for_each_entry(bo, &ndev->cached_bos, cached_link) {
		mutex_lock(&bo->view_lock);
		ncgpu_evict_bo_locked(bo);
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
	struct ncgpu_view_page *vp;
	unsigned long index;

	if (bo->view_attached) {
		mutex_lock(&ndev->cached_bos_lock);
		list_del(&bo->cached_link);
		mutex_unlock(&ndev->cached_bos_lock);
	}
	xa_for_each(&bo->view_pages, index, vp) {
		ncgpu_view_page_free(ndev, vp);
		cond_resched();
	}
	xa_destroy(&bo->view_pages);
}
