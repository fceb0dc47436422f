// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * Vulkan-style flush and invalidate of BO ranges. With the kernel backend,
 * flushes are batched in a per-device queue and sent in one BO_SYNC right
 * before the next submit (as panvk's pan_kmod does); invalidates cannot wait,
 * so they are sent at once, behind whatever is queued.
 */
#include <errno.h>
#include <stdlib.h>

#include "ncgpu_internal.h"

/* First queue allocation; it doubles up to the device's max_sync_ops. */
#define QUEUE_INITIAL_CAPACITY 64

int ncgpu_range_check(const struct ncgpu_device *dev, const struct ncgpu_range *range)
{
	const struct ncgpu_bo *bo = range->bo;

	if (!bo || bo->dev != dev || range->offset > bo->size)
		return -EINVAL;
	if (range->size != NCGPU_WHOLE_SIZE && range->size > bo->size - range->offset)
		return -EINVAL;
	return 0;
}

static uint64_t round_up_clipped(uint64_t end, uint64_t atom, uint64_t limit)
{
	uint64_t rest = end % atom;

	if (!rest)
		return end;
	/* Compared this way round so that a huge atom cannot overflow. */
	if (atom - rest > limit - end)
		return limit;
	return end + (atom - rest);
}

/*
 * Widens a range that passed ncgpu_range_check() to whole atoms, clipped to
 * the BO: the device's view is maintained per atom, so a partial atom would
 * be written back (or dropped) whole anyway.
 */
void ncgpu_range_widen(const struct ncgpu_range *range, uint64_t atom, uint64_t *offset,
		       uint64_t *size)
{
	uint64_t bo_size = range->bo->size;
	uint64_t start = range->offset;
	uint64_t end = range->size == NCGPU_WHOLE_SIZE ? bo_size : start + range->size;

	if (start == end) {
		*offset = start;
		*size = 0;
		return;
	}
	start -= start % atom;
	end = round_up_clipped(end, atom, bo_size);
	*offset = start;
	*size = end - start;
}

bool ncgpu_bo_needs_sync(const struct ncgpu_device *dev, const struct ncgpu_bo *bo)
{
	/*
	 * Write-combined mappings never hold dirty lines, an IO-coherent device
	 * snoops, and another driver's buffer may need more than cache
	 * maintenance (the kernel refuses BO_SYNC on it).
	 */
	return bo->cached && !bo->imported && dev->info.coherency != DRM_NCGPU_COHERENCY_IO;
}

static int queue_grow(struct ncgpu_sync_queue *queue)
{
	uint32_t capacity = queue->capacity ? queue->capacity * 2 : QUEUE_INITIAL_CAPACITY;
	struct drm_ncgpu_bo_sync_op *ops;

	if (capacity > queue->limit)
		capacity = queue->limit;
	if (capacity <= queue->count)
		capacity = queue->count + 1;
	ops = realloc(queue->ops, capacity * sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	queue->ops = ops;
	queue->capacity = capacity;
	return 0;
}

int ncgpu_queue_push(struct ncgpu_sync_queue *queue, const struct drm_ncgpu_bo_sync_op *op)
{
	int ret;

	if (queue->count == queue->capacity) {
		ret = queue_grow(queue);
		if (ret)
			return ret;
	}
	queue->ops[queue->count++] = *op;
	return 0;
}

bool ncgpu_queue_full(const struct ncgpu_sync_queue *queue)
{
	return queue->count >= queue->limit;
}

void ncgpu_queue_drop_handle(struct ncgpu_sync_queue *queue, uint32_t handle)
{
	uint32_t from, to = 0;

	for (from = 0; from < queue->count; from++) {
		if (queue->ops[from].handle != handle)
			queue->ops[to++] = queue->ops[from];
	}
	queue->count = to;
}

void ncgpu_queue_fini(struct ncgpu_sync_queue *queue)
{
	free(queue->ops);
	queue->ops = NULL;
	queue->count = 0;
	queue->capacity = 0;
}

int ncgpu_flush_pending_locked(struct ncgpu_device *dev)
{
	struct ncgpu_sync_queue *queue = &dev->queue;
	int ret;

	if (!queue->count)
		return 0;
	ret = dev->calls.send_sync(dev, queue->ops, queue->count);
	/*
	 * Emptied on failure too: the ops before the failing one are done, and
	 * the failing one would fail again on every later submit.
	 */
	queue->count = 0;
	return ret;
}

static int queue_range_locked(struct ncgpu_device *dev, const struct ncgpu_range *range,
			      uint32_t type)
{
	struct drm_ncgpu_bo_sync_op op = { .handle = range->bo->handle, .type = type };
	uint64_t offset, size;
	int ret;

	ncgpu_range_widen(range, dev->atom, &offset, &size);
	if (!size)
		return 0;
	op.offset = offset;
	op.size = size;
	ret = ncgpu_queue_push(&dev->queue, &op);
	if (ret)
		return ret;
	return ncgpu_queue_full(&dev->queue) ? ncgpu_flush_pending_locked(dev) : 0;
}

static int cpu_sync_range(struct ncgpu_device *dev, const struct ncgpu_range *range,
			  uint32_t type)
{
	uint64_t offset, size;
	void *map;
	int ret;

	ncgpu_range_widen(range, dev->atom, &offset, &size);
	if (!size)
		return 0;
	ret = ncgpu_bo_map(range->bo, &map);
	if (ret)
		return ret;
	return dev->calls.cpu_sync((char *)map + offset, size, type);
}

static int check_ranges(const struct ncgpu_device *dev, const struct ncgpu_range *ranges,
			uint32_t count)
{
	uint32_t i;
	int ret;

	for (i = 0; i < count; i++) {
		ret = ncgpu_range_check(dev, &ranges[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* No queue, so no queue lock: mapping takes the BO lock, which comes first. */
static int cpu_sync_ranges(struct ncgpu_device *dev, const struct ncgpu_range *ranges,
			   uint32_t count, uint32_t type)
{
	uint32_t i;
	int ret = 0;

	for (i = 0; i < count && !ret; i++) {
		if (ncgpu_bo_needs_sync(dev, ranges[i].bo))
			ret = cpu_sync_range(dev, &ranges[i], type);
	}
	return ret;
}

static int kernel_sync_ranges(struct ncgpu_device *dev, const struct ncgpu_range *ranges,
			      uint32_t count, uint32_t type)
{
	uint32_t i;
	int ret = 0;

	pthread_mutex_lock(&dev->queue_lock);
	for (i = 0; i < count && !ret; i++) {
		if (ncgpu_bo_needs_sync(dev, ranges[i].bo))
			ret = queue_range_locked(dev, &ranges[i], type);
	}
	if (!ret && type == DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE)
		ret = ncgpu_flush_pending_locked(dev);
	pthread_mutex_unlock(&dev->queue_lock);
	return ret;
}

static int sync_ranges(struct ncgpu_device *dev, const struct ncgpu_range *ranges,
		       uint32_t count, uint32_t type)
{
	int ret = check_ranges(dev, ranges, count);

	if (ret)
		return ret;
	if (ncgpu_device_get_sync_backend(dev) == NCGPU_SYNC_BACKEND_CPU)
		return cpu_sync_ranges(dev, ranges, count, type);
	return kernel_sync_ranges(dev, ranges, count, type);
}

NCGPU_PUBLIC int ncgpu_flush_ranges(struct ncgpu_device *dev, const struct ncgpu_range *ranges,
				    uint32_t count)
{
	return sync_ranges(dev, ranges, count, DRM_NCGPU_BO_SYNC_FLUSH);
}

NCGPU_PUBLIC int ncgpu_invalidate_ranges(struct ncgpu_device *dev,
					 const struct ncgpu_range *ranges, uint32_t count)
{
	return sync_ranges(dev, ranges, count, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE);
}

NCGPU_PUBLIC int ncgpu_flush_pending(struct ncgpu_device *dev)
{
	int ret;

	pthread_mutex_lock(&dev->queue_lock);
	ret = ncgpu_flush_pending_locked(dev);
	pthread_mutex_unlock(&dev->queue_lock);
	return ret;
}
