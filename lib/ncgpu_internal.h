/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * libncgpu internals. The decisions (range widening, skip rules, queueing)
 * are plain functions on plain data, and every kernel call goes through the
 * function pointers of struct ncgpu_device, so host tests can run them
 * without a device and capture what would be sent.
 */
#ifndef NCGPU_INTERNAL_H
#define NCGPU_INTERNAL_H

#include <pthread.h>

#include "ncgpu.h"

/* What a userspace driver reports when the kernel gives no granule. */
#define NCGPU_FALLBACK_ATOM 64

/**
 * struct ncgpu_sync_queue - Flush operations not sent yet.
 * @ops: the operations, in the order they were queued.
 * @count: number of queued operations.
 * @capacity: number of operations @ops has room for.
 * @limit: queue length that triggers a send (the device's max_sync_ops).
 */
struct ncgpu_sync_queue {
	struct drm_ncgpu_bo_sync_op *ops;
	uint32_t count;
	uint32_t capacity;
	uint32_t limit;
};

/**
 * struct ncgpu_kernel_calls - The calls that leave the process.
 * @send_sync: one DRM_IOCTL_NCGPU_BO_SYNC with @count operations.
 * @send_submit: one DRM_IOCTL_NCGPU_SUBMIT.
 * @close_handle: GEM_CLOSE of a BO handle.
 * @wait_bo: one DRM_IOCTL_NCGPU_BO_WAIT on a BO handle, with an absolute
 *           CLOCK_MONOTONIC deadline (0 polls).
 * @wait_timeline: one DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT for a point of a
 *                 syncobj, which also waits for the point to be submitted,
 *                 with an absolute CLOCK_MONOTONIC deadline.
 * @cpu_sync: CPU cache maintenance of a mapped range (CPU backend), with a
 *            DRM_NCGPU_BO_SYNC_* type.
 *
 * Each returns 0 or a negative errno.
 */
struct ncgpu_kernel_calls {
	int (*send_sync)(struct ncgpu_device *dev, const struct drm_ncgpu_bo_sync_op *ops,
			 uint32_t count);
	int (*send_submit)(struct ncgpu_device *dev, const struct drm_ncgpu_submit *args);
	int (*close_handle)(struct ncgpu_device *dev, uint32_t handle);
	int (*wait_bo)(struct ncgpu_device *dev, uint32_t handle, int64_t deadline_ns);
	int (*wait_timeline)(struct ncgpu_device *dev, uint32_t handle, uint64_t point,
			     int64_t deadline_ns);
	int (*cpu_sync)(void *ptr, size_t size, uint32_t type);
};

/**
 * struct ncgpu_device - An open ncgpu device.
 * @fd: the DRM file, or -1 for a device without one (host tests).
 * @info: what the device reported at open.
 * @atom: granule that ranges are widened to; never 0.
 * @backend: how maintenance is carried out; read and written atomically.
 * @calls: the kernel calls; tests replace them.
 * @queue_lock: protects @queue, and is held while the queue is sent so a
 *              submit never overtakes another thread's flushes.
 * @queue: pending flushes.
 * @bo_lock: protects @bos and each BO's @map and @refcount, and is held
 *           across handle import and close so a handle is never freed
 *           while another thread resolves it. Taken before @queue_lock
 *           when both are needed.
 * @bos: every BO of the device, to find the BO of a re-imported handle.
 */
struct ncgpu_device {
	int fd;
	struct ncgpu_device_info info;
	uint64_t atom;
	enum ncgpu_sync_backend backend;
	struct ncgpu_kernel_calls calls;
	pthread_mutex_t queue_lock;
	struct ncgpu_sync_queue queue;
	pthread_mutex_t bo_lock;
	struct ncgpu_bo *bos;
};

/**
 * struct ncgpu_bo - A buffer object.
 * @dev: its device.
 * @handle: GEM handle on @dev's file.
 * @size: size in bytes.
 * @create_flags: DRM_NCGPU_BO_* flags it was created with (0 for imports
 *                from other drivers).
 * @cached: CPU mappings are write-back.
 * @imported: the BO is another driver's dma-buf.
 * @map: CPU mapping of the whole BO, or NULL.
 * @refcount: one per create or import that returned this BO.
 * @prev: previous BO of @dev->bos.
 * @next: next BO of @dev->bos.
 */
struct ncgpu_bo {
	struct ncgpu_device *dev;
	uint32_t handle;
	uint64_t size;
	uint32_t create_flags;
	bool cached;
	bool imported;
	void *map;
	unsigned int refcount;
	struct ncgpu_bo *prev;
	struct ncgpu_bo *next;
};

/* device.c */
uint64_t ncgpu_atom_from_granule(uint32_t granule);
enum ncgpu_sync_backend ncgpu_default_sync_backend(const struct ncgpu_device_info *info);
struct ncgpu_device *ncgpu_device_new(int fd, const struct ncgpu_device_info *info);
void ncgpu_device_free(struct ncgpu_device *dev);

/* bo.c; the caller of ncgpu_bo_new() holds dev->bo_lock. */
struct ncgpu_bo *ncgpu_bo_new(struct ncgpu_device *dev, uint32_t handle, uint64_t size,
			      uint32_t create_flags, uint32_t extra_flags);
int ncgpu_kernel_close_handle(struct ncgpu_device *dev, uint32_t handle);

/* sync.c */
int ncgpu_range_check(const struct ncgpu_device *dev, const struct ncgpu_range *range);
void ncgpu_range_widen(const struct ncgpu_range *range, uint64_t atom, uint64_t *offset,
		       uint64_t *size);
bool ncgpu_bo_needs_sync(const struct ncgpu_device *dev, const struct ncgpu_bo *bo);
int ncgpu_queue_push(struct ncgpu_sync_queue *queue, const struct drm_ncgpu_bo_sync_op *op);
bool ncgpu_queue_full(const struct ncgpu_sync_queue *queue);
void ncgpu_queue_drop_handle(struct ncgpu_sync_queue *queue, uint32_t handle);
void ncgpu_queue_fini(struct ncgpu_sync_queue *queue);
int ncgpu_flush_pending_locked(struct ncgpu_device *dev);

/* job.c */
int64_t ncgpu_deadline_from_timeout(int64_t timeout_ns);
int ncgpu_kernel_wait_timeline(struct ncgpu_device *dev, uint32_t handle, uint64_t point,
			       int64_t deadline_ns);

/* cpu_cache.c */
bool ncgpu_cpu_has_cache_ops(void);
int ncgpu_cpu_sync(void *ptr, size_t size, uint32_t type);

/* Turns a libdrm result (-1 with errno, or -errno) into -errno. */
int ncgpu_errno_result(int ret);

#endif /* NCGPU_INTERNAL_H */
