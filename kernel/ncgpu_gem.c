// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The ncgpu authors
 */

#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_prime.h>
#include <drm/drm_utils.h>

#include "ncgpu_coherence.h"
#include "ncgpu_gem.h"

#define NCGPU_BO_FLAGS (DRM_NCGPU_BO_NO_MMAP | DRM_NCGPU_BO_WB_MMAP)

static void ncgpu_gem_free(struct drm_gem_object *obj)
{
	struct ncgpu_bo *bo = to_ncgpu_bo(obj);

	ncgpu_coherence_fini(bo);
	drm_gem_sync_sg_index_fini(&bo->sg_index);
	mutex_destroy(&bo->view_lock);
	drm_gem_shmem_free(&bo->base);
}

/*
 * The kernel zeroed the pages of a new BO through its cached linear map. A
 * write-combined alias (a user mapping, a kernel vmap, the device) reads
 * memory, not the cache, and would see what the pages held before: write the
 * cache back first. Creating the DMA mapping does that on non-coherent
 * systems; x86 already flushed when it made the pages write-combined.
 */
static int ncgpu_bo_write_back_zeroing(struct ncgpu_bo *bo)
{
	struct sg_table *sgt;

	if (bo->cpu_cached || bo->base.base.import_attach)
		return 0;
	sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
	return PTR_ERR_OR_ZERO(sgt);
}

/**
 * ncgpu_bo_mmap_refusal() - Why userspace may not CPU-map a BO.
 * @bo: The BO.
 *
 * One rule for BO_MMAP_OFFSET and for mmap() itself: fake offsets can be
 * guessed, so refusing only to hand them out would leave mmap() of the DRM
 * file as a back door.
 *
 * Return: 0 when userspace may map @bo, -EPERM for a NO_MMAP BO, -EINVAL for
 * another driver's dma-buf (its own fd is the way to map it).
 */
static int ncgpu_bo_mmap_refusal(struct ncgpu_bo *bo)
{
	if (bo->create_flags & DRM_NCGPU_BO_NO_MMAP)
		return -EPERM;
	if (bo->base.base.import_attach)
		return -EINVAL;
	return 0;
}

static int ncgpu_gem_mmap(struct drm_gem_object *obj, struct vm_area_struct *vma)
{
	struct ncgpu_bo *bo = to_ncgpu_bo(obj);
	int ret;

	ret = ncgpu_bo_mmap_refusal(bo);
	if (ret)
		return ret;
	/* The spontaneous eviction must see the lines the CPU dirties. */
	if (ncgpu_bo_has_device_view(bo))
		ret = ncgpu_coherence_attach(bo);
	else
		ret = ncgpu_bo_write_back_zeroing(bo);
	if (!ret)
		ret = drm_gem_shmem_object_mmap(obj, vma);
	return drm_gem_sync_restartable(ret);
}

/*
 * The device reaches an imported buffer through the DMA addresses of ncgpu's
 * mapping of it, as hardware would (the virtual device has no IOMMU: they
 * are physical addresses). Where the DMA API bounces (swiotlb=force) they
 * address bounce buffers, which only the exporter's dma-buf CPU access syncs
 * keep in step with the buffer's pages, so a missing sync shows as stale
 * data. This also keeps 6.1's shmem vmap, whose lock an exporting shmem
 * driver takes too, out of the way.
 *
 * The attachment was mapped when the buffer was imported; SUBMIT makes this
 * mapping while it prepares a job, before arming it, so that running the job
 * allocates nothing and takes no reservation lock.
 */
static int ncgpu_bo_vmap_import(struct ncgpu_bo *bo, struct iosys_map *map)
{
	struct device *dev = bo->base.base.dev->dev;
	size_t npages = bo->base.base.size >> PAGE_SHIFT, i = 0;
	struct sg_dma_page_iter iter;
	struct page **pages;
	void *vaddr = NULL;

	pages = kvmalloc_array(npages, sizeof(*pages), NCGPU_USER_GFP);
	if (!pages)
		return -ENOMEM;
	for_each_sgtable_dma_page(bo->base.sgt, &iter, 0) {
		dma_addr_t addr = sg_page_iter_dma_address(&iter);
		unsigned long pfn = PHYS_PFN(dma_to_phys(dev, addr));

		if (i == npages || offset_in_page(addr) || !pfn_valid(pfn))
			break;
		pages[i++] = pfn_to_page(pfn);
	}
	if (i == npages)
		vaddr = vmap(pages, npages, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	if (i != npages)
		return -EINVAL;
	if (!vaddr)
		return -ENOMEM;
	iosys_map_set_vaddr(map, vaddr);
	return 0;
}

/**
 * ncgpu_bo_vmap() - Map a BO into the kernel, as the device sees it.
 * @bo: The BO.
 * @map: Out: the mapping, with the BO's CPU caching attribute.
 *
 * Return: 0 on success, a negative error code otherwise.
 */
int ncgpu_bo_vmap(struct ncgpu_bo *bo, struct iosys_map *map)
{
	int ret;

	if (bo->base.base.import_attach)
		return ncgpu_bo_vmap_import(bo, map);

	ret = ncgpu_bo_write_back_zeroing(bo);
	if (ret)
		return ret;
	return drm_gem_shmem_vmap(&bo->base, map);
}

/**
 * ncgpu_bo_vunmap() - Undo ncgpu_bo_vmap().
 * @bo: The BO.
 * @map: The mapping ncgpu_bo_vmap() returned.
 */
void ncgpu_bo_vunmap(struct ncgpu_bo *bo, struct iosys_map *map)
{
	if (bo->base.base.import_attach)
		vunmap(map->vaddr);
	else
		drm_gem_shmem_vunmap(&bo->base, map);
}

static int ncgpu_gem_vmap(struct drm_gem_object *obj, struct iosys_map *map)
{
	return ncgpu_bo_vmap(to_ncgpu_bo(obj), map);
}

static void ncgpu_gem_vunmap(struct drm_gem_object *obj, struct iosys_map *map)
{
	ncgpu_bo_vunmap(to_ncgpu_bo(obj), map);
}

static struct dma_buf *ncgpu_gem_prime_export(struct drm_gem_object *obj, int flags)
{
	struct ncgpu_bo *bo = to_ncgpu_bo(obj);
	struct sg_table *sgt;

#ifndef DRM_GEM_SYNC_IN_CORE
	/*
	 * Exports are write-combined only: no importer sees non-coherent cached
	 * memory. The core's export helper enforces it for the BOs that
	 * BO_CREATE declared cached; the module's own layer leaves it to us.
	 */
	if (!drm_gem_sync_may_export(ncgpu_bo_device(bo)->io_coherent, bo->cpu_cached))
		return ERR_PTR(-EINVAL);
#endif

	/*
	 * Map the pages for ncgpu before any importer maps them. Importers'
	 * mappings skip the CPU sync; a later mapping of ours would not, and
	 * DMA-API debugging reports a second mapping that syncs as a conflict.
	 */
	sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
	if (IS_ERR(sgt))
		return ERR_PTR(drm_gem_sync_restartable(PTR_ERR(sgt)));
	return drm_gem_sync_prime_export(obj, flags);
}

/* drm_gem_sync() checked the access and the range; imports never get here. */
static int ncgpu_gem_sync(struct drm_gem_object *obj, u64 offset, u64 size,
			  enum drm_gem_object_access_flags access)
{
	struct ncgpu_bo *bo = to_ncgpu_bo(obj);
	int op = drm_gem_sync_op_for_access(access);

	if (op < 0)
		return op;
	if (!ncgpu_bo_has_device_view(bo))
		return drm_gem_sync_shmem(&bo->base, &bo->sg_index, offset, size, access);
	/* The emulated cache maintains whole lines, as a real one does. */
	drm_gem_sync_widen(&offset, &size, ncgpu_bo_device(bo)->sync_granule, obj->size);
	return ncgpu_coherence_sync(bo, offset, size, op);
}

#define NCGPU_GEM_OBJECT_FUNCS \
	.free		= ncgpu_gem_free, \
	.print_info	= drm_gem_shmem_object_print_info, \
	.pin		= drm_gem_shmem_object_pin, \
	.unpin		= drm_gem_shmem_object_unpin, \
	.get_sg_table	= drm_gem_shmem_object_get_sg_table, \
	.vmap		= ncgpu_gem_vmap, \
	.vunmap		= ncgpu_gem_vunmap, \
	.mmap		= ncgpu_gem_mmap, \
	.export		= ncgpu_gem_prime_export, \
	.vm_ops		= &drm_gem_shmem_vm_ops

#ifdef DRM_GEM_SYNC_IN_CORE
/* The core calls the sync hook of &drm_gem_object_funcs. */
static const struct drm_gem_object_funcs ncgpu_gem_funcs = {
	NCGPU_GEM_OBJECT_FUNCS,
	.sync		= ncgpu_gem_sync,
};
#else
/* kernel/sync/ finds the hook in its wrapper around the functions. */
static const struct drm_gem_sync_object_funcs ncgpu_gem_sync_funcs = {
	.gem		= { NCGPU_GEM_OBJECT_FUNCS },
	.sync		= ncgpu_gem_sync,
};

#define ncgpu_gem_funcs (ncgpu_gem_sync_funcs.gem)
#endif

/**
 * ncgpu_gem_prime_import() - &drm_driver.gem_prime_import of ncgpu.
 * @drm: DRM device.
 * @dma_buf: The dma-buf to import.
 *
 * Attaching pins the exporter's pages, which 6.1's shmem helper does under a
 * lock taken interruptibly: a signal would reach userspace as -EINTR from
 * PRIME_FD_TO_HANDLE even with SA_RESTART. The import may simply run again.
 *
 * Return: the GEM object, or an ERR_PTR().
 */
struct drm_gem_object *ncgpu_gem_prime_import(struct drm_device *drm, struct dma_buf *dma_buf)
{
	struct drm_gem_object *obj = drm_gem_sync_prime_import(drm, dma_buf);

	return IS_ERR(obj) ? ERR_PTR(drm_gem_sync_restartable(PTR_ERR(obj))) : obj;
}

/**
 * ncgpu_gem_create_object() - Allocate an ncgpu BO for the shmem helpers.
 * @drm: DRM device.
 * @size: Size of the object.
 *
 * Called for created and imported objects alike. An object is write-back
 * until BO_CREATE says otherwise, which on an IO-coherent device it never
 * does.
 *
 * Return: the GEM object, or an ERR_PTR().
 */
struct drm_gem_object *ncgpu_gem_create_object(struct drm_device *drm, size_t size)
{
	struct ncgpu_bo *bo = kzalloc(sizeof(*bo), GFP_KERNEL);

	if (!bo)
		return ERR_PTR(-ENOMEM);
	bo->base.base.funcs = &ncgpu_gem_funcs;
	bo->cpu_cached = to_ncgpu_device(drm)->io_coherent;
	mutex_init(&bo->view_lock);
	/* Its nodes are charged to the memory cgroup of whoever makes them. */
	xa_init_flags(&bo->view_pages, XA_FLAGS_ACCOUNT);
	INIT_LIST_HEAD(&bo->cached_link);
	return &bo->base.base;
}

/**
 * ncgpu_ioctl_bo_create() - Handle %DRM_IOCTL_NCGPU_BO_CREATE.
 * @drm: DRM device.
 * @data: &struct drm_ncgpu_bo_create.
 * @file: DRM file.
 *
 * Return: 0, or an error of BO_CREATE in the uAPI header's "Checks and errors".
 */
int ncgpu_ioctl_bo_create(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct ncgpu_device *ndev = to_ncgpu_device(drm);
	struct drm_ncgpu_bo_create *args = data;
	struct drm_gem_shmem_object *shmem;
	struct ncgpu_bo *bo;
	int ret;

	if (!args->size || (args->flags & ~NCGPU_BO_FLAGS) ||
	    (args->flags & NCGPU_BO_FLAGS) == NCGPU_BO_FLAGS)
		return -EINVAL;
	if (args->size > NCGPU_MAX_BO_SIZE)
		return -E2BIG;

	shmem = drm_gem_shmem_create(drm, args->size);
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);

	bo = to_ncgpu_bo(&shmem->base);
	bo->create_flags = args->flags;
	bo->cpu_cached = ndev->io_coherent || (args->flags & DRM_NCGPU_BO_WB_MMAP);
	shmem->map_wc = !bo->cpu_cached;
#ifdef DRM_GEM_SYNC_IN_CORE
	/* Exports are write-combined only: the core's export helper refuses the others. */
	drm_gem_prime_set_cpu_cached(&shmem->base, bo->cpu_cached, ndev->io_coherent);
#endif

	ret = drm_gem_handle_create(file, &shmem->base, &args->handle);
	if (!ret)
		args->size = shmem->base.size;
	drm_gem_object_put(&shmem->base);
	return ret;
}

/**
 * ncgpu_ioctl_bo_mmap_offset() - Handle %DRM_IOCTL_NCGPU_BO_MMAP_OFFSET.
 * @drm: DRM device.
 * @data: &struct drm_ncgpu_bo_mmap_offset.
 * @file: DRM file.
 *
 * Return: 0, or an error of BO_MMAP_OFFSET in the uAPI header's "Checks and
 * errors".
 */
int ncgpu_ioctl_bo_mmap_offset(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ncgpu_bo_mmap_offset *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->pad)
		return -EINVAL;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	ret = ncgpu_bo_mmap_refusal(to_ncgpu_bo(obj));
	if (!ret)
		args->offset = drm_vma_node_offset_addr(&obj->vma_node);

	drm_gem_object_put(obj);
	return ret;
}

/**
 * ncgpu_ioctl_bo_query_info() - Handle %DRM_IOCTL_NCGPU_BO_QUERY_INFO.
 * @drm: DRM device.
 * @data: &struct drm_ncgpu_bo_query_info.
 * @file: DRM file.
 *
 * Return: 0, or an error of BO_QUERY_INFO in the uAPI header's "Checks and
 * errors".
 */
int ncgpu_ioctl_bo_query_info(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ncgpu_bo_query_info *args = data;
	struct drm_gem_object *obj;
	struct ncgpu_bo *bo;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	bo = to_ncgpu_bo(obj);
	args->extra_flags = 0;
	if (obj->import_attach)
		args->extra_flags |= DRM_NCGPU_BO_IS_IMPORTED;
	if (bo->cpu_cached)
		args->extra_flags |= DRM_NCGPU_BO_CPU_CACHED;
	args->create_flags = bo->create_flags;
	args->pad = 0;

	drm_gem_object_put(obj);
	return 0;
}

/*
 * Steps 2 to 7 of BO_SYNC's per-op checks in the uAPI header's "Checks and
 * errors"; the caller did step 1.
 */
static int ncgpu_bo_sync_one(struct drm_gem_object *obj, const struct drm_ncgpu_bo_sync_op *op)
{
	enum drm_gem_object_access_flags access;

	if (drm_gem_sync_check_range(obj->size, op->offset, op->size))
		return -EINVAL;
	if (obj->import_attach)
		return -EINVAL;
	if (op->type != DRM_NCGPU_BO_SYNC_FLUSH &&
	    op->type != DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE)
		return -EINVAL;
	if (!ncgpu_bo_has_device_view(to_ncgpu_bo(obj)) || !op->size)
		return 0;

	if (op->type == DRM_NCGPU_BO_SYNC_FLUSH)
		access = DRM_GEM_OBJECT_DEV_ACCESS | DRM_GEM_OBJECT_RW_ACCESS;
	else
		access = DRM_GEM_OBJECT_CPU_ACCESS | DRM_GEM_OBJECT_RW_ACCESS;
	return drm_gem_sync(obj, op->offset, op->size, access);
}

/**
 * ncgpu_ioctl_bo_sync() - Handle %DRM_IOCTL_NCGPU_BO_SYNC.
 * @drm: DRM device.
 * @data: &struct drm_ncgpu_bo_sync.
 * @file: DRM file.
 *
 * Ops run in array order; the first failing op stops the call, and the ops
 * before it stay done. Never waits for the device.
 *
 * Return: 0, or an error of BO_SYNC in the uAPI header's "Checks and errors":
 * the array's, or the first failing op's.
 */
int ncgpu_ioctl_bo_sync(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ncgpu_bo_sync *args = data;
	struct drm_ncgpu_bo_sync_op *ops;
	struct drm_gem_object *obj = NULL;
	u32 i;
	int ret;

	ret = NCGPU_UOBJ_GET_ARRAY(&ops, NCGPU_MAX_SYNC_OPS, &args->ops);
	if (ret)
		return ret;

	for (i = 0; i < args->ops.count; i++) {
		/*
		 * Batches usually hold runs of ops on one BO: look a handle up
		 * once per run. The reference keeps the object alive even if
		 * another thread closes the handle meanwhile, as it would
		 * between two lookups.
		 */
		if (!i || ops[i].handle != ops[i - 1].handle) {
			if (obj)
				drm_gem_object_put(obj);
			obj = drm_gem_object_lookup(file, ops[i].handle);
			if (!obj) {
				ret = -ENOENT;
				break;
			}
		}
		ret = ncgpu_bo_sync_one(obj, &ops[i]);
		if (ret)
			break;
	}

	if (obj)
		drm_gem_object_put(obj);
	kvfree(ops);
	return drm_gem_sync_restartable(ret);
}

/*
 * The wait of &struct drm_ncgpu_bo_wait: @deadline_ns is 0 to poll, else an
 * absolute CLOCK_MONOTONIC time. A restarted call passes the same deadline
 * again, so signals never extend the wait.
 */
static int ncgpu_bo_wait_until(struct drm_gem_object *obj, s64 deadline_ns)
{
	signed long timeout = drm_timeout_abs_to_jiffies(deadline_ns);
	long ret;

	/* No time left: a poll (-EBUSY) or a deadline that has passed (-ETIMEDOUT). */
	if (!timeout) {
		if (dma_resv_test_signaled(obj->resv, DMA_RESV_USAGE_READ))
			return 0;
		return deadline_ns ? -ETIMEDOUT : -EBUSY;
	}
	ret = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_READ, true, timeout);
	if (ret < 0)
		return ret;
	return ret ? 0 : -ETIMEDOUT;
}

/**
 * ncgpu_ioctl_bo_wait() - Handle %DRM_IOCTL_NCGPU_BO_WAIT.
 * @drm: DRM device.
 * @data: &struct drm_ncgpu_bo_wait.
 * @file: DRM file.
 *
 * Return: 0 when the BO is idle, or an error of BO_WAIT in the uAPI header's
 * "Checks and errors".
 */
int ncgpu_ioctl_bo_wait(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ncgpu_bo_wait *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->pad || args->timeout_ns < 0)
		return -EINVAL;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	ret = ncgpu_bo_wait_until(obj, args->timeout_ns);
	drm_gem_object_put(obj);
	return ret;
}
