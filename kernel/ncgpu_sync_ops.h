/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The ncgpu authors
 */
#ifndef __NCGPU_SYNC_OPS_H__
#define __NCGPU_SYNC_OPS_H__

#include <linux/types.h>

struct dma_fence;
struct dma_fence_chain;
struct drm_file;
struct drm_ncgpu_obj_array;
struct drm_sched_job;
struct drm_syncobj;

/** NCGPU_MAX_SUBMIT_SYNCS - Largest SUBMIT syncs count accepted. */
#define NCGPU_MAX_SUBMIT_SYNCS	1024

/**
 * struct ncgpu_sync_op_state - What SUBMIT holds for one sync op.
 *
 * A wait op holds only its fence, a signal op its syncobj and, for a
 * timeline, the chain node that will carry the job's fence.
 */
struct ncgpu_sync_op_state {
	/** @wait_fence: The fence a wait op waits for, until the job takes it. */
	struct dma_fence *wait_fence;

	/** @syncobj: The syncobj a signal op signals; a reference. */
	struct drm_syncobj *syncobj;

	/**
	 * @chain: The node of a timeline signal op, allocated before the job
	 * is armed; NULL for a binary syncobj, and once the timeline owns it.
	 */
	struct dma_fence_chain *chain;

	/** @point: The timeline point of a signal op; 0 for a binary one. */
	u64 point;
};

/**
 * struct ncgpu_sync_ops - The sync ops of one SUBMIT.
 *
 * Filled by ncgpu_sync_ops_parse() before the job is armed, with everything
 * that can fail or allocate done; ncgpu_sync_ops_signal() then only
 * publishes the job's fence. Zero-initialised, it holds no op.
 */
struct ncgpu_sync_ops {
	/** @count: Number of ops in @ops. */
	u32 count;

	/** @ops: The ops, in array order. */
	struct ncgpu_sync_op_state *ops;
};

int ncgpu_sync_ops_parse(struct ncgpu_sync_ops *sync_ops, struct drm_file *file,
			 const struct drm_ncgpu_obj_array *syncs);
int ncgpu_sync_ops_add_deps(struct ncgpu_sync_ops *sync_ops, struct drm_sched_job *job);
void ncgpu_sync_ops_signal(struct ncgpu_sync_ops *sync_ops, struct dma_fence *fence);
void ncgpu_sync_ops_fini(struct ncgpu_sync_ops *sync_ops);

#endif /* __NCGPU_SYNC_OPS_H__ */
