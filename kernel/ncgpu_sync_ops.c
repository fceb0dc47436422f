// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The ncgpu authors
 */

#include <linux/dma-fence.h>
#include <linux/dma-fence-chain.h>
#include <linux/slab.h>

#include <drm/drm_file.h>
#include <drm/drm_syncobj.h>
#include <drm/gpu_scheduler.h>

#include "ncgpu_drv.h"
#include "ncgpu_sync_ops.h"

/**
 * DOC: Sync ops
 *
 * The sync ops of a SUBMIT wait on and signal binary and timeline syncobjs,
 * as a Vulkan queue submission waits on and signals semaphores. They are
 * read in array order before the job is armed: a wait op takes the fence
 * its syncobj holds at that moment (at its point, for a timeline), a signal
 * op takes its syncobj and, for a timeline, the dma_fence_chain node that
 * will carry the job's fence. So a SUBMIT that waits on and signals one
 * syncobj waits for what the syncobj held before, and a SUBMIT that fails
 * has changed no syncobj. Once the job is armed, the signal ops only publish
 * its fence, which neither allocates nor fails.
 *
 * A wait never waits for a later submission (no WAIT_FOR_SUBMIT): a point
 * that has no fence yet makes the SUBMIT fail, as an in_syncobj without a
 * fence does.
 */

#define NCGPU_SYNC_OP_FLAGS \
	((u32)DRM_NCGPU_SYNC_OP_HANDLE_TYPE_MASK | (u32)DRM_NCGPU_SYNC_OP_SIGNAL)

static int ncgpu_sync_op_check(const struct drm_ncgpu_sync_op *op)
{
	if (op->flags & ~NCGPU_SYNC_OP_FLAGS)
		return -EINVAL;

	switch (op->flags & DRM_NCGPU_SYNC_OP_HANDLE_TYPE_MASK) {
	case DRM_NCGPU_SYNC_OP_HANDLE_TYPE_SYNCOBJ:
		return op->timeline_point ? -EINVAL : 0;
	case DRM_NCGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ:
		return op->timeline_point ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/*
 * The fence at @point (0: the syncobj's fence), found as
 * drm_syncobj_find_fence() finds it without WAIT_FOR_SUBMIT, but in a
 * syncobj already looked up. A point that has signalled and left the chain
 * leaves *@fence NULL: nothing to wait for.
 */
static int ncgpu_sync_op_wait_fence(struct drm_syncobj *syncobj, u64 point,
				    struct dma_fence **fence)
{
	*fence = drm_syncobj_fence_get(syncobj);
	if (!*fence)
		return -EINVAL;
	if (dma_fence_chain_find_seqno(fence, point)) {
		dma_fence_put(*fence);
		*fence = NULL;
		return -EINVAL;
	}
	return 0;
}

/*
 * dma_fence_chain_alloc(), but charged to the submitter's memory cgroup and
 * quiet when that is full: the node lives as long as the timeline holds it.
 */
static struct dma_fence_chain *ncgpu_sync_chain_alloc(void)
{
	return kmalloc(sizeof(struct dma_fence_chain), NCGPU_USER_GFP);
}

static int ncgpu_sync_op_parse(struct ncgpu_sync_op_state *state, struct drm_file *file,
			       const struct drm_ncgpu_sync_op *op)
{
	struct drm_syncobj *syncobj;
	int ret;

	ret = ncgpu_sync_op_check(op);
	if (ret)
		return ret;
	syncobj = drm_syncobj_find(file, op->handle);
	if (!syncobj)
		return -ENOENT;

	if (!(op->flags & DRM_NCGPU_SYNC_OP_SIGNAL)) {
		ret = ncgpu_sync_op_wait_fence(syncobj, op->timeline_point, &state->wait_fence);
		drm_syncobj_put(syncobj);
		return ret;
	}
	state->syncobj = syncobj;
	state->point = op->timeline_point;
	if (!state->point)
		return 0;
	state->chain = ncgpu_sync_chain_alloc();
	return state->chain ? 0 : -ENOMEM;
}

/**
 * ncgpu_sync_ops_parse() - Read and check the sync ops of a SUBMIT.
 * @sync_ops: Zero-initialised; receives the ops. ncgpu_sync_ops_fini() it,
 *	whatever this returns.
 * @file: The submitter's DRM file, whose syncobj handles the ops name.
 * @syncs: The array of &struct drm_ncgpu_sync_op.
 *
 * Copies the array and goes through it in order: each op's flags and point,
 * its handle, and for a wait op the fence it waits for, which it takes;
 * a signal op gets its syncobj and, for a timeline, its chain node.
 * Changes no syncobj.
 *
 * Return: 0, or an error of SUBMIT's steps 5 and 6 in the uAPI header's
 * "Checks and errors".
 */
int ncgpu_sync_ops_parse(struct ncgpu_sync_ops *sync_ops, struct drm_file *file,
			 const struct drm_ncgpu_obj_array *syncs)
{
	struct drm_ncgpu_sync_op *uops;
	u32 i;
	int ret;

	ret = NCGPU_UOBJ_GET_ARRAY(&uops, NCGPU_MAX_SUBMIT_SYNCS, syncs);
	if (ret || !syncs->count)
		return ret;

	sync_ops->ops = kvcalloc(syncs->count, sizeof(*sync_ops->ops), NCGPU_USER_GFP);
	if (!sync_ops->ops) {
		ret = -ENOMEM;
		goto out_free_uops;
	}
	for (i = 0; i < syncs->count; i++) {
		/* Counted first: a failing op may hold a reference already. */
		sync_ops->count++;
		ret = ncgpu_sync_op_parse(&sync_ops->ops[i], file, &uops[i]);
		if (ret)
			break;
	}
out_free_uops:
	kvfree(uops);
	return ret;
}

/**
 * ncgpu_sync_ops_add_deps() - Make the wait ops' fences dependencies of a job.
 * @sync_ops: The parsed ops; the job takes their wait fences.
 * @job: The scheduler job, initialised and not armed.
 *
 * Return: 0, or -ENOMEM.
 */
int ncgpu_sync_ops_add_deps(struct ncgpu_sync_ops *sync_ops, struct drm_sched_job *job)
{
	struct dma_fence *fence;
	u32 i;
	int ret;

	for (i = 0; i < sync_ops->count; i++) {
		fence = sync_ops->ops[i].wait_fence;
		/*
		 * The scheduler consumes the reference, also when it fails,
		 * and takes NULL (a signal op, or a point gone) as no fence.
		 */
		sync_ops->ops[i].wait_fence = NULL;
		ret = drm_sched_job_add_dependency(job, fence);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * ncgpu_sync_ops_signal() - Give the signal ops' syncobjs a job's fence.
 * @sync_ops: The parsed ops.
 * @fence: The armed job's fence.
 *
 * Runs on the way to @fence's signal: it allocates nothing and cannot fail,
 * as the chain nodes of the timelines were allocated by
 * ncgpu_sync_ops_parse(), which the timelines now own.
 */
void ncgpu_sync_ops_signal(struct ncgpu_sync_ops *sync_ops, struct dma_fence *fence)
{
	struct ncgpu_sync_op_state *op;
	u32 i;

	for (i = 0; i < sync_ops->count; i++) {
		op = &sync_ops->ops[i];
		if (!op->syncobj)
			continue;
		if (op->chain) {
			drm_syncobj_add_point(op->syncobj, op->chain, fence, op->point);
			op->chain = NULL;
		} else {
			drm_syncobj_replace_fence(op->syncobj, fence);
		}
	}
}

/**
 * ncgpu_sync_ops_fini() - Drop what the sync ops of a SUBMIT hold.
 * @sync_ops: Ops parsed in full, in part, or not at all.
 *
 * Puts the wait fences the job did not take, the syncobjs, and the chain
 * nodes no timeline took, which were never fences.
 */
void ncgpu_sync_ops_fini(struct ncgpu_sync_ops *sync_ops)
{
	struct ncgpu_sync_op_state *op;
	u32 i;

	for (i = 0; i < sync_ops->count; i++) {
		op = &sync_ops->ops[i];
		dma_fence_put(op->wait_fence);
		dma_fence_chain_free(op->chain);
		if (op->syncobj)
			drm_syncobj_put(op->syncobj);
	}
	kvfree(sync_ops->ops);
	sync_ops->ops = NULL;
	sync_ops->count = 0;
}
