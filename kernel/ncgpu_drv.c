// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * This is ncgpu, a virtual GPU whose memory is not coherent with the CPU
 * cache. Write-back mapped buffer objects are kept coherent by exact-range
 * cache maintenance (BO_SYNC); the driver emulates the non-coherence line by
 * line, so a missing flush shows up as stale data on every run.
 */

#include <linux/dma-mapping.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_prime.h>

#include "drm_gem_sync.h"
#include "ncgpu_coherence.h"
#include "ncgpu_drv.h"
#include "ncgpu_engine.h"
#include "ncgpu_gem.h"
#include "ncgpu_sync_ops.h"

#define DRIVER_NAME	"ncgpu"
#define DRIVER_DESC	"Virtual GPU with non-coherent memory"
#define DRIVER_DATE	"20261207"
#define DRIVER_MAJOR	1
#define DRIVER_MINOR	2

#define NCGPU_GRANULE_MIN	16
#define NCGPU_GRANULE_MAX	4096
#define NCGPU_EVICT_CHAOS_MAX	1000
#define NCGPU_JOB_TIMEOUT_MAX_MS	600000
#define NCGPU_MAX_QUEUED_JOBS_MAX	65536

static char *coherency = "none";
module_param(coherency, charp, 0444);
MODULE_PARM_DESC(coherency, "Device coherency: none (default) or io");

static unsigned int sync_granule = 64;
module_param(sync_granule, uint, 0444);
MODULE_PARM_DESC(sync_granule, "Cache line of the emulated CPU cache: power of two, 16..4096 (default 64)");

static unsigned int evict_chaos;
module_param(evict_chaos, uint, 0444);
MODULE_PARM_DESC(evict_chaos, "Per mille chance of a spontaneous dirty-line write-back at each job completion, 0..1000 (default 0)");

static unsigned int job_timeout_ms = 10000;
module_param(job_timeout_ms, uint, 0444);
MODULE_PARM_DESC(job_timeout_ms, "A job running longer is stopped, its fence signals -ETIMEDOUT: 1..600000 ms (default 10000)");

static unsigned int max_queued_jobs = 256;
module_param(max_queued_jobs, uint, 0444);
MODULE_PARM_DESC(max_queued_jobs, "Jobs one DRM file may have submitted and not finished; SUBMIT waits beyond: 1..65536 (default 256)");

static struct ncgpu_device *ncgpu_the_device;

/*
 * Copies @count elements of @stride bytes one by one, each zero-extended or
 * tail-checked to @elem_size. Up to 4096 bytes are read per element, so a
 * dying process does not wait for the rest.
 */
static int ncgpu_obj_array_copy_strided(u8 *buf, const u8 __user *uptr, u32 count,
					u32 stride, size_t elem_size)
{
	u32 i;
	int ret;

	for (i = 0; i < count; i++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		ret = copy_struct_from_user(buf + i * elem_size, elem_size,
					    uptr + (u64)i * stride, stride);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

/**
 * ncgpu_obj_array_copy() - Copy a user object array into the kernel.
 * @array: The array descriptor.
 * @max_count: Largest element count accepted.
 * @elem_size: Kernel size of one element.
 * @min_stride: Smallest stride accepted.
 * @elems: Out: kvmalloc'ed elements, NULL for an empty array; kvfree() it.
 *
 * The checks and their order are those of &struct drm_ncgpu_obj_array. A
 * stride larger than @elem_size is accepted when the tail of every element
 * is zero, as copy_struct_from_user() does.
 *
 * Return: 0, an error of &struct drm_ncgpu_obj_array, -ENOMEM, or -EINTR
 * when a fatal signal is pending.
 */
int ncgpu_obj_array_copy(const struct drm_ncgpu_obj_array *array, u32 max_count,
			 size_t elem_size, size_t min_stride, void **elems)
{
	u8 __user *uptr = u64_to_user_ptr(array->array);
	u8 *buf;
	int ret;

	*elems = NULL;
	if (!array->count)
		return 0;
	if (array->stride < min_stride || array->count > max_count)
		return -EINVAL;
	if (array->stride > NCGPU_MAX_STRIDE)
		return -E2BIG;

	buf = kvmalloc_array(array->count, elem_size, NCGPU_USER_GFP);
	if (!buf)
		return -ENOMEM;

	if (array->stride == elem_size)
		ret = copy_from_user(buf, uptr, array->count * elem_size) ? -EFAULT : 0;
	else
		ret = ncgpu_obj_array_copy_strided(buf, uptr, array->count, array->stride,
						   elem_size);
	if (ret) {
		kvfree(buf);
		return ret;
	}
	*elems = buf;
	return 0;
}

static void ncgpu_fill_dev_info(struct ncgpu_device *ndev, struct drm_ncgpu_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->coherency = ndev->io_coherent ? DRM_NCGPU_COHERENCY_IO : DRM_NCGPU_COHERENCY_NONE;
	info->flags = ndev->io_coherent ? 0 : DRM_NCGPU_DEV_EMULATED;
	info->sync_granule = ndev->sync_granule;
	info->max_sync_ops = NCGPU_MAX_SYNC_OPS;
	info->max_bo_size = NCGPU_MAX_BO_SIZE;
	info->max_cmds = NCGPU_MAX_CMDS;
	info->max_submit_syncs = NCGPU_MAX_SUBMIT_SYNCS;
}

static int ncgpu_ioctl_dev_query(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ncgpu_dev_query *args = data;
	void __user *uptr = u64_to_user_ptr(args->pointer);
	struct drm_ncgpu_dev_info info;
	size_t copied;

	if (args->type != DRM_NCGPU_DEV_QUERY_INFO)
		return -EINVAL;

	if (!args->pointer) {
		args->size = sizeof(info);
		return 0;
	}
	if (args->size < NCGPU_UOBJ_MIN_SIZE(info))
		return -EINVAL;

	ncgpu_fill_dev_info(to_ncgpu_device(drm), &info);
	copied = min_t(size_t, args->size, sizeof(info));
	if (copy_to_user(uptr, &info, copied))
		return -EFAULT;
	if (args->size > copied && clear_user(uptr + copied, args->size - copied))
		return -EFAULT;
	return 0;
}

static const struct drm_ioctl_desc ncgpu_ioctls[] = {
	DRM_IOCTL_DEF_DRV(NCGPU_DEV_QUERY, ncgpu_ioctl_dev_query, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NCGPU_BO_CREATE, ncgpu_ioctl_bo_create, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NCGPU_BO_MMAP_OFFSET, ncgpu_ioctl_bo_mmap_offset, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NCGPU_BO_QUERY_INFO, ncgpu_ioctl_bo_query_info, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NCGPU_BO_SYNC, ncgpu_ioctl_bo_sync, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NCGPU_SUBMIT, ncgpu_ioctl_submit, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NCGPU_BO_WAIT, ncgpu_ioctl_bo_wait, DRM_RENDER_ALLOW),
};

DEFINE_DRM_GEM_FOPS(ncgpu_fops);

/*
 * Version history:
 * - 1.0 - DEV_QUERY, BO_CREATE, BO_MMAP_OFFSET, BO_QUERY_INFO, BO_SYNC,
 *         SUBMIT and BO_WAIT.
 * - 1.1 - BO_WAIT takes an absolute deadline; array strides above 4096 are
 *         -E2BIG; COPY's value is MBZ; jobs run on the GPU scheduler, in order
 *         per file, time out (job_timeout_ms), are cancelled when their
 *         process exits, and at most max_queued_jobs per file are queued;
 *         mmap() refuses what BO_MMAP_OFFSET refuses.
 * - 1.2 - Syncobj timelines (DRIVER_SYNCOBJ_TIMELINE); SUBMIT's syncs wait
 *         on and signal binary syncobjs and timeline points; DEV_INFO
 *         reports max_submit_syncs.
 */
static const struct drm_driver ncgpu_drm_driver = {
	.driver_features		= DRIVER_GEM | DRIVER_RENDER | DRIVER_SYNCOBJ |
					  DRIVER_SYNCOBJ_TIMELINE,
	.ioctls				= ncgpu_ioctls,
	.num_ioctls			= ARRAY_SIZE(ncgpu_ioctls),
	.fops				= &ncgpu_fops,
	.open				= ncgpu_engine_open,
	.postclose			= ncgpu_engine_postclose,
	.gem_create_object		= ncgpu_gem_create_object,
	.prime_handle_to_fd		= drm_gem_prime_handle_to_fd,
	.prime_fd_to_handle		= drm_gem_prime_fd_to_handle,
	.gem_prime_import		= ncgpu_gem_prime_import,
	.gem_prime_import_sg_table	= drm_gem_shmem_prime_import_sg_table,
	.gem_prime_mmap			= drm_gem_prime_mmap,
	.name				= DRIVER_NAME,
	.desc				= DRIVER_DESC,
	.date				= DRIVER_DATE,
	.major				= DRIVER_MAJOR,
	.minor				= DRIVER_MINOR,
};

static int ncgpu_parse_params(struct ncgpu_device *ndev)
{
	if (sysfs_streq(coherency, "io")) {
		ndev->io_coherent = true;
	} else if (!sysfs_streq(coherency, "none")) {
		pr_err("ncgpu: coherency=%s is invalid: use none or io\n", coherency);
		return -EINVAL;
	}
	if (sync_granule < NCGPU_GRANULE_MIN || sync_granule > NCGPU_GRANULE_MAX ||
	    sync_granule > PAGE_SIZE || !is_power_of_2(sync_granule)) {
		pr_err("ncgpu: sync_granule=%u is invalid: use a power of two from %u to %lu\n",
		       sync_granule, NCGPU_GRANULE_MIN,
		       min_t(unsigned long, NCGPU_GRANULE_MAX, PAGE_SIZE));
		return -EINVAL;
	}
	if (evict_chaos > NCGPU_EVICT_CHAOS_MAX) {
		pr_err("ncgpu: evict_chaos=%u is invalid: use 0..%u (per mille)\n",
		       evict_chaos, NCGPU_EVICT_CHAOS_MAX);
		return -EINVAL;
	}
	if (!job_timeout_ms || job_timeout_ms > NCGPU_JOB_TIMEOUT_MAX_MS) {
		pr_err("ncgpu: job_timeout_ms=%u is invalid: use 1..%u\n",
		       job_timeout_ms, NCGPU_JOB_TIMEOUT_MAX_MS);
		return -EINVAL;
	}
	if (!max_queued_jobs || max_queued_jobs > NCGPU_MAX_QUEUED_JOBS_MAX) {
		pr_err("ncgpu: max_queued_jobs=%u is invalid: use 1..%u\n",
		       max_queued_jobs, NCGPU_MAX_QUEUED_JOBS_MAX);
		return -EINVAL;
	}
	ndev->sync_granule = sync_granule;
	ndev->evict_chaos = evict_chaos;
	return 0;
}

static int ncgpu_device_init(struct ncgpu_device *ndev)
{
	int ret;

	ret = ncgpu_parse_params(ndev);
	if (ret)
		return ret;
	ret = ncgpu_coherence_init(ndev);
	if (ret)
		return ret;
	mutex_init(&ndev->cached_bos_lock);
	INIT_LIST_HEAD(&ndev->cached_bos);
	return ncgpu_engine_init(ndev, job_timeout_ms, max_queued_jobs);
}

static int __init ncgpu_init(void)
{
	struct platform_device *pdev;
	struct ncgpu_device *ndev;
	int ret;

	pdev = platform_device_register_simple(DRIVER_NAME, -1, NULL, 0);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);

	if (!devres_open_group(&pdev->dev, NULL, GFP_KERNEL)) {
		ret = -ENOMEM;
		goto out_unregister;
	}

	dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	/* The virtual GPU takes segments of any length, as shmem coalesces them. */
	ret = dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	if (ret)
		goto out_devres;

	ndev = devm_drm_dev_alloc(&pdev->dev, &ncgpu_drm_driver, struct ncgpu_device, drm);
	if (IS_ERR(ndev)) {
		ret = PTR_ERR(ndev);
		goto out_devres;
	}
	ndev->pdev = pdev;

	ret = ncgpu_device_init(ndev);
	if (ret)
		goto out_devres;

	ret = drm_dev_register(&ndev->drm, 0);
	if (ret)
		goto out_engine;

	ncgpu_the_device = ndev;
	return 0;

out_engine:
	ncgpu_engine_fini(ndev);
out_devres:
	devres_release_group(&pdev->dev, NULL);
out_unregister:
	platform_device_unregister(pdev);
	return ret;
}

static void __exit ncgpu_exit(void)
{
	struct platform_device *pdev = ncgpu_the_device->pdev;

	drm_dev_unregister(&ncgpu_the_device->drm);
	ncgpu_engine_fini(ncgpu_the_device);
	devres_release_group(&pdev->dev, NULL);
	platform_device_unregister(pdev);
}

module_init(ncgpu_init);
module_exit(ncgpu_exit);

MODULE_AUTHOR("The ncgpu authors");
MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
