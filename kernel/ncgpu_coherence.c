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
 * - FLUSH_AND_INVALIDATE flushes, then reloads the CPU view of those lines
 *   from the device view, in one step per line: a CPU store that lands
 *   meanwhile is kept, and leaves its line dirty (see ncgpu_line_sync()).
 * - With evict_chaos, dirty lines are written back spontaneously at job
 *   completion, as real caches evict them.
 *
 * Memory follows what is touched. The device view is an xarray of
 * &struct ncgpu_view_page, one per page that a flush wrote a dirty line to or
 * that a job writes (SUBMIT reserves those before the job is armed); an
 * absent page reads as zeros on the device and counts as synced as zeros.
 * The model pins no CPU page: it finds the CPU view in the BO's page cache
 * when it needs it, and a page the CPU never touched is a hole there, which
 * reads as zeros too. So a sync where both views are zero allocates nothing,
 * and attaching the model costs nothing but a list entry. A CPU mapping still
 * pins every page of the BO, as the shmem helper does. A page in full use
 * costs PAGE_SIZE + 8 * PAGE_SIZE / sync_granule + 16 bytes, plus its xarray
 * slot: 1.13 times the BO's size at the default granule of 64 bytes.
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
	/** @dev: Device view of the page. */
	struct page *dev;

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

static u64 ncgpu_line_hash(struct ncgpu_device *ndev, const void *line)
{
	return xxh64(line, ndev->sync_granule, 0) ^ ndev->zero_line_hash;
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
	ndev->zero_line_hash = xxh64(zeros, ndev->sync_granule, 0);
	kfree(zeros);

	ndev->line_snapshot = __devm_alloc_percpu(ndev->drm.dev, ndev->sync_granule,
						  sizeof(u64));
	return ndev->line_snapshot ? 0 : -ENOMEM;
}

static void ncgpu_view_page_free(struct ncgpu_view_page *vp)
{
	if (vp->dev)
		__free_page(vp->dev);
	kfree(vp->synced);
	kfree(vp);
}

static struct ncgpu_view_page *ncgpu_view_page_alloc(struct ncgpu_device *ndev, gfp_t gfp)
{
	struct ncgpu_view_page *vp = kzalloc(sizeof(*vp), gfp);

	if (!vp)
		return NULL;
	vp->synced = kcalloc(ncgpu_lines_per_page(ndev), sizeof(u64), gfp);
	vp->dev = alloc_page(gfp | __GFP_ZERO);
	if (!vp->synced || !vp->dev) {
		ncgpu_view_page_free(vp);
		return NULL;
	}
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
	ret = xa_insert(&bo->view_pages, index, vp, gfp);
	if (!ret)
		return vp;
	ncgpu_view_page_free(vp);
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

static u64 ncgpu_synced_hash(const struct ncgpu_view_page *vp, unsigned int line)
{
	return vp ? vp->synced[line] : 0;
}

/*
 * One line, in one step as far as the CPU can tell. The line is read once,
 * word by word, into @snap: a flush hashes and writes back exactly what it
 * read. The invalidation then replaces each word with the device's only if
 * the word still holds what was read (a compare-and-swap): a word the CPU
 * stored to meanwhile keeps the store, as if it had landed after a real
 * clean-and-invalidate, and the line is left dirty. Nothing is ever lost.
 *
 * @cpu and @dev (NULL: zeros) map the line; -EAGAIN: the line is dirty and
 * @vp is NULL, its page has no device memory yet.
 */
static int ncgpu_line_sync(struct ncgpu_device *ndev, struct ncgpu_view_page *vp,
			   unsigned int line, u64 *cpu, u64 *dev, u64 *snap,
			   enum drm_gem_sync_op op)
{
	unsigned int i, words = ncgpu_words_per_line(ndev);
	bool reloaded = false;
	u64 hash, word;

	for (i = 0; i < words; i++)
		snap[i] = READ_ONCE(cpu[i]);

	hash = ncgpu_line_hash(ndev, snap);
	if (hash != ncgpu_synced_hash(vp, line)) {
		if (!vp)
			return -EAGAIN;
		for (i = 0; i < words; i++)
			dev[i] = snap[i];
		vp->synced[line] = hash;
	}
	if (op != DRM_GEM_SYNC_CLEAN_INVALIDATE)
		return 0;

	for (i = 0; i < words; i++) {
		word = dev ? dev[i] : 0;
		if (word == snap[i])
			continue;
		cmpxchg64(&cpu[i], snap[i], word);
		reloaded = true;
	}
	/* The CPU view now matches the device's, but for stores that won. */
	if (reloaded && vp)
		vp->synced[line] = ncgpu_line_hash(ndev, dev);
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
	u8 *dev = vp ? kmap_local_page(vp->dev) : NULL;
	unsigned int off;
	int ret = 0;
	u64 *snap;

	for (off = start; off < end && !ret; off += ndev->sync_granule) {
		snap = get_cpu_ptr(ndev->line_snapshot);
		ret = ncgpu_line_sync(ndev, vp, off / ndev->sync_granule, (u64 *)(cpu + off),
				      dev ? (u64 *)(dev + off) : NULL, snap, op);
		put_cpu_ptr(ndev->line_snapshot);
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

/* -EAGAIN: page @index needs device memory first. */
static int ncgpu_sync_page(struct ncgpu_bo *bo, pgoff_t index, unsigned int start,
			   unsigned int end, enum drm_gem_sync_op op)
{
	bool invalidate = op == DRM_GEM_SYNC_CLEAN_INVALIDATE;
	struct ncgpu_view_page *vp = xa_load(&bo->view_pages, index);
	struct page *page;
	u8 *cpu;
	int ret;

	/* An invalidation writes the CPU view only where the device's may differ. */
	page = ncgpu_cpu_page_get(bo, index, invalidate && vp);
	if (IS_ERR(page))
		return PTR_ERR(page);
	/* Both views are zeros. */
	if (!page && !vp)
		return 0;

	cpu = kmap_local_page(page ?: ZERO_PAGE(0));
	mutex_lock(&bo->view_lock);
	ret = ncgpu_sync_lines_locked(ncgpu_bo_device(bo), vp, cpu, start, end, op);
	mutex_unlock(&bo->view_lock);
	kunmap_local(cpu);

	if (page) {
		/* Written behind shmem's back: reclaim must swap it out, not drop it. */
		if (invalidate)
			set_page_dirty(page);
		put_page(page);
	}
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
	xa_for_each(&bo->view_pages, index, vp)
		ncgpu_view_page_free(vp);
	xa_destroy(&bo->view_pages);
}
