/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * A device without a kernel: libncgpu's kernel calls are replaced by
 * functions that record what would have been sent.
 */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H

#include "ncgpu_internal.h"

#define FAKE_MAX_OPS 256
#define FAKE_MAX_EVENTS 64

enum fake_event_kind {
	FAKE_EVENT_SYNC,
	FAKE_EVENT_SUBMIT,
	FAKE_EVENT_CPU_SYNC,
	FAKE_EVENT_WAIT_BO,
	FAKE_EVENT_WAIT_TIMELINE,
};

/* One call that left the library; @count is the number of sync ops. */
struct fake_event {
	enum fake_event_kind kind;
	uint32_t count;
};

struct fake_kernel {
	struct fake_event events[FAKE_MAX_EVENTS];
	unsigned int event_count;
	/* Every BO_SYNC op sent, all calls concatenated. */
	struct drm_ncgpu_bo_sync_op ops[FAKE_MAX_OPS];
	unsigned int op_count;
	struct drm_ncgpu_submit last_submit;
	struct drm_ncgpu_cmd last_cmds[FAKE_MAX_OPS];
	struct drm_ncgpu_sync_op last_syncs[FAKE_MAX_OPS];
	void *cpu_ptr;
	size_t cpu_size;
	uint32_t cpu_type;
	unsigned int closed_handles;
	/* The handle and deadline of the last BO_WAIT or TIMELINE_WAIT. */
	uint32_t wait_handle;
	int64_t wait_deadline_ns;
	/* The point of the last TIMELINE_WAIT; its handle and deadline are above. */
	uint64_t wait_point;
	/* What the next TIMELINE_WAIT returns. */
	int wait_timeline_result;
	/* What the next BO_SYNC returns. */
	int sync_result;
};

extern struct fake_kernel fake;

/* Forgets what was recorded; every test starts with it. */
void fake_reset(void);

/* The number of recorded events of @kind. */
unsigned int fake_count(enum fake_event_kind kind);

/* A device whose driver takes 1024 commands and 64 sync ops per job. */
struct ncgpu_device *fake_device_new(uint32_t coherency, bool emulated, uint32_t granule,
				     uint32_t max_sync_ops);

/* A non-coherent emulated device with the given granule and 4096 max ops. */
struct ncgpu_device *fake_ncgpu_device(uint32_t granule);

/* A BO with no kernel object behind it. */
struct ncgpu_bo *fake_bo(struct ncgpu_device *dev, uint64_t size, uint32_t extra_flags);

/* A write-back BO, the kind that needs maintenance. */
struct ncgpu_bo *fake_wb_bo(struct ncgpu_device *dev, uint64_t size);

/* Closes every BO of @dev, then @dev. */
void fake_device_free(struct ncgpu_device *dev);

#endif /* FAKE_KERNEL_H */
