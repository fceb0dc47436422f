/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The ncgpu authors
 */
#ifndef __NCGPU_DRV_H__
#define __NCGPU_DRV_H__

#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <drm/drm_device.h>

#include "ncgpu_drm.h"
#include "ncgpu_engine.h"

struct kmem_cache;
struct platform_device;

/** NCGPU_MAX_SYNC_OPS - Largest BO_SYNC count accepted. */
#define NCGPU_MAX_SYNC_OPS	16384
/** NCGPU_MAX_CMDS - Largest SUBMIT count accepted. */
#define NCGPU_MAX_CMDS		4096
/**
 * NCGPU_USER_GFP - Allocation flags for memory a user's call makes ncgpu hold.
 *
 * Charged to the caller's memory cgroup. At the cgroup's limit the call
 * fails with -ENOMEM instead of invoking the OOM killer, and quietly: a user
 * can cause it at will.
 */
#define NCGPU_USER_GFP		(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/** NCGPU_MAX_BO_SIZE - Largest BO_CREATE size accepted. */
#define NCGPU_MAX_BO_SIZE	(512ull * SZ_1M)
/**
 * NCGPU_MAX_STRIDE - Largest element stride of a user array; bounds the
 * memory one array makes the kernel read.
 */
#define NCGPU_MAX_STRIDE	4096

/**
 * struct ncgpu_device - The virtual GPU.
 */
struct ncgpu_device {
	/** @drm: The DRM device. */
	struct drm_device drm;

	/** @pdev: The platform device the DRM device hangs off. */
	struct platform_device *pdev;

	/** @io_coherent: The device snoops CPU caches (coherency=io). */
	bool io_coherent;

	/** @sync_granule: Cache line size of the emulated CPU cache. */
	u32 sync_granule;

	/** @evict_chaos: Per mille chance of a spontaneous write-back. */
	u32 evict_chaos;

	/**
	 * @zero_line_hash: Hash of a zero granule; line hashes are stored
	 * XORed with it, so a zeroed hash table describes zeroed memory.
	 */
	u64 zero_line_hash;

	/**
	 * @line_snapshot: Per CPU, one sync_granule of memory where the
	 * coherence model reads a line once before syncing it.
	 */
	u64 __percpu *line_snapshot;

	/**
	 * @view_page_cache: Where the coherence model's per-page entries come
	 * from: at their own size, where kmalloc() would round each up to its
	 * minimum alignment (128 bytes on arm64).
	 */
	struct kmem_cache *view_page_cache;

	/** @engine: The job queue. */
	struct ncgpu_engine engine;

	/** @cached_bos_lock: Protects @cached_bos. */
	struct mutex cached_bos_lock;

	/**
	 * @cached_bos: Write-back BOs that have a device view, linked by
	 * &ncgpu_bo.cached_link; walked by the spontaneous eviction.
	 */
	struct list_head cached_bos;
};

/**
 * to_ncgpu_device() - Get the ncgpu device of a DRM device.
 * @drm: DRM device.
 *
 * Return: the &struct ncgpu_device embedding @drm.
 */
static inline struct ncgpu_device *to_ncgpu_device(struct drm_device *drm)
{
	return container_of(drm, struct ncgpu_device, drm);
}

/*
 * One row of NCGPU_UOBJ_MIN_SIZE()'s table: the minimum size of @type if
 * @of is (an object of) that type, else @otherwise.
 */
#define NCGPU_UOBJ_ROW(of, type, last_field, otherwise)			\
	__builtin_choose_expr(__same_type(of, type),				\
			      offsetofend(type, last_field), otherwise)

/**
 * NCGPU_UOBJ_MIN_SIZE() - Smallest size userspace may give an object of the uAPI.
 * @type: A uAPI type, or an object of one.
 *
 * The size up to the last field of the type's first version: a stride or a
 * size below it is -EINVAL. Fields added later sit after it, so that older
 * userspace keeps working. One row per type, as in panthor's
 * PANTHOR_UOBJ_MIN_SIZE(); a type without a row does not build.
 */
#define NCGPU_UOBJ_MIN_SIZE(type)						\
	(NCGPU_UOBJ_ROW(type, struct drm_ncgpu_dev_info, max_sync_ops,		\
	 NCGPU_UOBJ_ROW(type, struct drm_ncgpu_bo_sync_op, size,		\
	 NCGPU_UOBJ_ROW(type, struct drm_ncgpu_cmd, value,			\
	 NCGPU_UOBJ_ROW(type, struct drm_ncgpu_sync_op, timeline_point,		\
	 (void)0)))))

/**
 * NCGPU_UOBJ_GET_ARRAY() - Copy a user object array into a typed kernel array.
 * @dest: Pointer to the array pointer to fill; its type gives the element's.
 * @max_count: Largest element count accepted.
 * @uarray: The &struct drm_ncgpu_obj_array describing the user array.
 *
 * Return: as ncgpu_obj_array_copy().
 */
#define NCGPU_UOBJ_GET_ARRAY(dest, max_count, uarray)				\
	({									\
		typeof(dest) __dest = (dest);					\
										\
		ncgpu_obj_array_copy(uarray, max_count, sizeof(**__dest),	\
				     NCGPU_UOBJ_MIN_SIZE(**__dest),		\
				     (void **)__dest);				\
	})

int ncgpu_obj_array_copy(const struct drm_ncgpu_obj_array *array, u32 max_count,
			 size_t elem_size, size_t min_stride, void **elems);

#endif /* __NCGPU_DRV_H__ */
