// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 */
#include <string.h>

#include "fake_kernel.h"

struct fake_kernel fake;

void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
}

static void record(enum fake_event_kind kind, uint32_t count)
{
	if (fake.event_count < FAKE_MAX_EVENTS)
		fake.events[fake.event_count++] = (struct fake_event){ kind, count };
}

unsigned int fake_count(enum fake_event_kind kind)
{
	unsigned int i, n = 0;

	for (i = 0; i < fake.event_count; i++)
		n += fake.events[i].kind == kind;
	return n;
}

static int fake_send_sync(struct ncgpu_device *dev, const struct drm_ncgpu_bo_sync_op *ops,
			  uint32_t count)
{
	uint32_t i;

	(void)dev;
	record(FAKE_EVENT_SYNC, count);
	for (i = 0; i < count && fake.op_count < FAKE_MAX_OPS; i++)
		fake.ops[fake.op_count++] = ops[i];
	return fake.sync_result;
}

static int fake_send_submit(struct ncgpu_device *dev, const struct drm_ncgpu_submit *args)
{
	const struct drm_ncgpu_cmd *cmds = (const void *)(uintptr_t)args->cmds.array;
	const struct drm_ncgpu_sync_op *syncs = (const void *)(uintptr_t)args->syncs.array;
	uint32_t i;

	(void)dev;
	record(FAKE_EVENT_SUBMIT, 0);
	fake.last_submit = *args;
	for (i = 0; i < args->cmds.count && i < FAKE_MAX_OPS; i++)
		fake.last_cmds[i] = cmds[i];
	for (i = 0; i < args->syncs.count && i < FAKE_MAX_OPS; i++)
		fake.last_syncs[i] = syncs[i];
	return 0;
}

static int fake_close_handle(struct ncgpu_device *dev, uint32_t handle)
{
	(void)dev;
	(void)handle;
	fake.closed_handles++;
	return 0;
}

static int fake_wait_bo(struct ncgpu_device *dev, uint32_t handle, int64_t deadline_ns)
{
	(void)dev;
	record(FAKE_EVENT_WAIT_BO, 0);
	fake.wait_handle = handle;
	fake.wait_deadline_ns = deadline_ns;
	return 0;
}

static int fake_wait_timeline(struct ncgpu_device *dev, uint32_t handle, uint64_t point,
			      int64_t deadline_ns)
{
	(void)dev;
	record(FAKE_EVENT_WAIT_TIMELINE, 0);
	fake.wait_handle = handle;
	fake.wait_point = point;
	fake.wait_deadline_ns = deadline_ns;
	return fake.wait_timeline_result;
}

static int fake_cpu_sync(void *ptr, size_t size, uint32_t type)
{
	record(FAKE_EVENT_CPU_SYNC, 0);
	fake.cpu_ptr = ptr;
	fake.cpu_size = size;
	fake.cpu_type = type;
	return 0;
}

struct ncgpu_device *fake_device_new(uint32_t coherency, bool emulated, uint32_t granule,
				     uint32_t max_sync_ops)
{
	struct ncgpu_device_info info = {
		.coherency = coherency,
		.emulated = emulated,
		.sync_granule = granule,
		.max_sync_ops = max_sync_ops,
		.max_bo_size = 1ull << 30,
		.max_cmds = 1024,
		.max_submit_syncs = 64,
	};
	struct ncgpu_device *dev = ncgpu_device_new(-1, &info);

	if (dev) {
		dev->calls.send_sync = fake_send_sync;
		dev->calls.send_submit = fake_send_submit;
		dev->calls.close_handle = fake_close_handle;
		dev->calls.wait_bo = fake_wait_bo;
		dev->calls.wait_timeline = fake_wait_timeline;
		dev->calls.cpu_sync = fake_cpu_sync;
	}
	return dev;
}

struct ncgpu_device *fake_ncgpu_device(uint32_t granule)
{
	return fake_device_new(DRM_NCGPU_COHERENCY_NONE, true, granule, 4096);
}

struct ncgpu_bo *fake_bo(struct ncgpu_device *dev, uint64_t size, uint32_t extra_flags)
{
	static uint32_t next_handle = 1;

	return ncgpu_bo_new(dev, next_handle++, size, 0, extra_flags);
}

struct ncgpu_bo *fake_wb_bo(struct ncgpu_device *dev, uint64_t size)
{
	return fake_bo(dev, size, DRM_NCGPU_BO_CPU_CACHED);
}

void fake_device_free(struct ncgpu_device *dev)
{
	while (dev->bos) {
		dev->bos->map = NULL;
		dev->bos->refcount = 1;
		ncgpu_bo_close(dev->bos);
	}
	ncgpu_device_close(dev);
}
