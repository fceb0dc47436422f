// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The ncgpu authors
 */

#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/xarray.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_syncobj.h>

#include "ncgpu_coherence.h"
#include "ncgpu_engine.h"
#include "ncgpu_gem.h"
#include "ncgpu_job.h"
#include "ncgpu_sync_ops.h"

/**
 * DOC: Jobs
 *
 * SUBMIT validates a job completely, in the order the uAPI header gives
 * (&struct drm_ncgpu_submit), then makes ready everything the job will touch
 * while it may still fail: the pages of its BOs are pinned and mapped, their
 * device views get every page the job writes, its hardware fence and bounce
 * page are allocated, and a fence slot is reserved in each reservation
 * object. Only then is the job armed, and from there on nothing can fail: its
 * fence goes into the reservation objects, the out syncobj and the syncobjs
 * of the signal ops (see ncgpu_sync_ops.c), and the job into the file's
 * scheduler entity.
 *
 * All the memory a job holds is charged to the submitter's memory cgroup.
 * References and mappings are dropped by a work item once the job's fence
 * has signalled (ncgpu_job_release()).
 */

static int ncgpu_cmd_check_fields(const struct drm_ncgpu_cmd *cmd)
{
	if (cmd->flags)
		return -EINVAL;

	switch (cmd->op) {
	case DRM_NCGPU_CMD_COPY:
		return cmd->value ? -EINVAL : 0;
	case DRM_NCGPU_CMD_FILL:
		return cmd->src_handle || cmd->src_offset ? -EINVAL : 0;
	case DRM_NCGPU_CMD_STALL:
		if (cmd->dst_handle || cmd->src_handle || cmd->dst_offset ||
		    cmd->src_offset || cmd->size)
			return -EINVAL;
		return cmd->value > DRM_NCGPU_STALL_MAX_US ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/* Looks a handle up once per job; returns its index in job->objs. */
static int ncgpu_job_add_handle(struct ncgpu_job *job, struct drm_file *file,
				struct xarray *indices, u32 handle, bool written)
{
	struct drm_gem_object *obj;
	void *entry = xa_load(indices, handle);
	u32 index;
	int ret;

	if (entry) {
		index = xa_to_value(entry);
	} else {
		obj = drm_gem_object_lookup(file, handle);
		if (!obj)
			return -ENOENT;
		index = job->bo_count;
		ret = xa_err(xa_store(indices, handle, xa_mk_value(index), NCGPU_USER_GFP));
		if (ret) {
			drm_gem_object_put(obj);
			return ret;
		}
		job->objs[index] = obj;
		job->bo_count++;
	}
	job->bos[index].written |= written;
	return index;
}

static int ncgpu_job_lookup_handles(struct ncgpu_job *job, struct drm_file *file,
				    const struct drm_ncgpu_cmd *ucmds)
{
	struct ncgpu_job_cmd *cmd;
	struct xarray indices;
	int ret = 0;
	u32 i;

	xa_init(&indices);
	for (i = 0; i < job->cmd_count; i++) {
		cmd = &job->cmds[i];
		if (cmd->op == DRM_NCGPU_CMD_STALL)
			continue;
		ret = ncgpu_job_add_handle(job, file, &indices, ucmds[i].dst_handle, true);
		if (ret < 0)
			break;
		cmd->dst = ret;
		if (cmd->op != DRM_NCGPU_CMD_COPY)
			continue;
		ret = ncgpu_job_add_handle(job, file, &indices, ucmds[i].src_handle, false);
		if (ret < 0)
			break;
		cmd->src = ret;
	}
	xa_destroy(&indices);
	return min(ret, 0);
}

static int ncgpu_cmp_objs(const void *a, const void *b, const void *priv)
{
	struct drm_gem_object * const *objs = priv;
	uintptr_t x = (uintptr_t)objs[*(const u32 *)a];
	uintptr_t y = (uintptr_t)objs[*(const u32 *)b];

	return x < y ? -1 : x > y;
}

/* Maps every index of an object to the lowest, through @order sorted by object. */
static void ncgpu_job_find_aliases(struct ncgpu_job *job, const u32 *order, u32 *remap)
{
	u32 n = job->bo_count, i, j, k, lowest;

	for (i = 0; i < n; i = j) {
		lowest = order[i];
		for (j = i + 1; j < n && job->objs[order[j]] == job->objs[order[i]]; j++)
			lowest = min(lowest, order[j]);
		for (k = i; k < j; k++)
			remap[order[k]] = lowest;
	}
}

/*
 * Gives each object one index: two handles of one object (a flink name
 * opened, a re-import) are one BO of the job. Its reservation object could
 * not be locked twice anyway.
 */
static int ncgpu_job_merge_aliases(struct ncgpu_job *job)
{
	u32 n = job->bo_count, i, kept = 0;
	struct ncgpu_job_cmd *cmd;
	u32 *order, *remap;

	if (n < 2)
		return 0;
	order = kvmalloc_array(n, 2 * sizeof(*order), NCGPU_USER_GFP);
	if (!order)
		return -ENOMEM;
	remap = order + n;
	for (i = 0; i < n; i++)
		order[i] = i;
	sort_r(order, n, sizeof(*order), ncgpu_cmp_objs, NULL, job->objs);
	ncgpu_job_find_aliases(job, order, remap);

	/* An alias comes after its first index, which has its new index by then. */
	for (i = 0; i < n; i++) {
		if (remap[i] != i) {
			remap[i] = remap[remap[i]];
			job->bos[remap[i]].written |= job->bos[i].written;
			drm_gem_object_put(job->objs[i]);
			continue;
		}
		job->objs[kept] = job->objs[i];
		job->bos[kept] = job->bos[i];
		remap[i] = kept++;
	}
	for (i = 0; i < job->cmd_count; i++) {
		cmd = &job->cmds[i];
		if (cmd->op == DRM_NCGPU_CMD_STALL)
			continue;
		cmd->dst = remap[cmd->dst];
		if (cmd->op == DRM_NCGPU_CMD_COPY)
			cmd->src = remap[cmd->src];
	}
	job->bo_count = kept;
	kvfree(order);
	return 0;
}

static int ncgpu_job_check_ranges(struct ncgpu_job *job)
{
	const struct ncgpu_job_cmd *cmd;
	u32 i;

	for (i = 0; i < job->cmd_count; i++) {
		cmd = &job->cmds[i];
		if (cmd->op == DRM_NCGPU_CMD_STALL)
			continue;
		if (drm_gem_sync_check_range(job->objs[cmd->dst]->size, cmd->dst_offset, cmd->size))
			return -EINVAL;
		if (cmd->op != DRM_NCGPU_CMD_COPY)
			continue;
		if (drm_gem_sync_check_range(job->objs[cmd->src]->size, cmd->src_offset, cmd->size))
			return -EINVAL;
		if (cmd->dst == cmd->src && cmd->size &&
		    cmd->dst_offset < cmd->src_offset + cmd->size &&
		    cmd->src_offset < cmd->dst_offset + cmd->size)
			return -EINVAL;
	}
	return 0;
}

/* Validates the commands: fields, handles, ranges (uAPI header order). */
static int ncgpu_job_parse_cmds(struct ncgpu_job *job, struct drm_file *file,
				const struct drm_ncgpu_cmd *ucmds)
{
	u32 i;
	int ret;

	for (i = 0; i < job->cmd_count; i++) {
		ret = ncgpu_cmd_check_fields(&ucmds[i]);
		if (ret)
			return ret;
		job->cmds[i] = (struct ncgpu_job_cmd) {
			.op = ucmds[i].op,
			.dst_offset = ucmds[i].dst_offset,
			.src_offset = ucmds[i].src_offset,
			.size = ucmds[i].size,
			.value = ucmds[i].value,
		};
	}
	ret = ncgpu_job_lookup_handles(job, file, ucmds);
	if (ret)
		return ret;
	ret = ncgpu_job_merge_aliases(job);
	if (ret)
		return ret;
	return ncgpu_job_check_ranges(job);
}

static struct ncgpu_job *ncgpu_job_alloc(struct ncgpu_device *ndev, u32 cmd_count)
{
	struct ncgpu_job *job = kzalloc(sizeof(*job), NCGPU_USER_GFP);

	if (!job)
		return NULL;
	/* Until it is released: its BOs' code and its cleanup are ours. */
	__module_get(THIS_MODULE);
	job->ndev = ndev;
	job->cmd_count = cmd_count;
	ncgpu_job_init_work(job);
	if (!cmd_count)
		return job;

	job->cmds = kvcalloc(cmd_count, sizeof(*job->cmds), NCGPU_USER_GFP);
	job->objs = kvcalloc(2 * cmd_count, sizeof(*job->objs), NCGPU_USER_GFP);
	job->bos = kvcalloc(2 * cmd_count, sizeof(*job->bos), NCGPU_USER_GFP);
	if (!job->cmds || !job->objs || !job->bos) {
		ncgpu_job_release(job);
		return NULL;
	}
	return job;
}

/* Takes the file's slot for a job, waiting for one as for room in a ring. */
static int ncgpu_job_take_slot(struct ncgpu_job *job, struct ncgpu_file *nfile)
{
	u32 max = job->ndev->engine.max_queued_jobs;
	int ret;

	ret = wait_event_interruptible(nfile->jobs_wq, atomic_add_unless(&nfile->jobs, 1, max));
	if (ret)
		return ret;
	job->file = ncgpu_file_get(nfile);
	return 0;
}

static int ncgpu_job_map_bos(struct ncgpu_job *job)
{
	struct ncgpu_job_bo *jb;
	struct ncgpu_bo *bo;
	u32 i;
	int ret;

	for (i = 0; i < job->bo_count; i++) {
		jb = &job->bos[i];
		bo = to_ncgpu_bo(job->objs[i]);
		jb->device_view = ncgpu_bo_has_device_view(bo);
		if (jb->device_view)
			ret = ncgpu_coherence_attach(bo);
		else
			ret = ncgpu_bo_vmap(bo, &jb->map);
		if (ret) {
			iosys_map_clear(&jb->map);
			return ret;
		}
	}
	return 0;
}

/* The device view of every page the job writes, so running it allocates nothing. */
static int ncgpu_job_reserve_views(struct ncgpu_job *job)
{
	const struct ncgpu_job_cmd *cmd;
	u32 i;
	int ret;

	for (i = 0; i < job->cmd_count; i++) {
		cmd = &job->cmds[i];
		if (cmd->op == DRM_NCGPU_CMD_STALL || !job->bos[cmd->dst].device_view)
			continue;
		ret = ncgpu_coherence_reserve(to_ncgpu_bo(job->objs[cmd->dst]),
					      cmd->dst_offset, cmd->size);
		if (ret)
			return ret;
	}
	return 0;
}

static int ncgpu_job_prepare(struct ncgpu_job *job)
{
	int ret;

	ret = ncgpu_job_map_bos(job);
	if (ret)
		return ret;
	ret = ncgpu_job_reserve_views(job);
	if (ret)
		return ret;
	job->bounce = kmalloc(PAGE_SIZE, NCGPU_USER_GFP);
	if (!job->bounce)
		return -ENOMEM;
	job->hw_fence = ncgpu_hw_fence_alloc();
	if (!job->hw_fence)
		return -ENOMEM;
	return 0;
}

/*
 * Sources wait for earlier writers, destinations for every earlier reader and
 * writer; each BO gets a slot for the job's fence.
 */
static int ncgpu_job_add_implicit_deps(struct ncgpu_job *job)
{
	struct drm_gem_object *obj;
	u32 i;
	int ret;

	for (i = 0; i < job->bo_count; i++) {
		obj = job->objs[i];
		ret = drm_sched_job_add_implicit_dependencies(&job->base, obj,
							      job->bos[i].written);
		if (!ret)
			ret = dma_resv_reserve_fences(obj->resv, 1);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Arms the job and publishes its fence: nothing here may fail, allocate or
 * wait. The job goes to the scheduler last, as it may run and be freed at
 * once.
 */
static void ncgpu_job_arm_and_push(struct ncgpu_job *job, struct ww_acquire_ctx *ctx,
				   struct drm_syncobj *out_syncobj,
				   struct ncgpu_sync_ops *sync_ops)
{
	bool cookie = dma_fence_begin_signalling();
	enum dma_resv_usage usage;
	struct dma_fence *fence;
	u32 i;

	drm_sched_job_arm(&job->base);
	fence = &job->base.s_fence->finished;
	for (i = 0; i < job->bo_count; i++) {
		usage = job->bos[i].written ? DMA_RESV_USAGE_WRITE : DMA_RESV_USAGE_READ;
		dma_resv_add_fence(job->objs[i]->resv, fence, usage);
	}
	drm_gem_unlock_reservations(job->objs, job->bo_count, ctx);
	if (out_syncobj)
		drm_syncobj_replace_fence(out_syncobj, fence);
	ncgpu_sync_ops_signal(sync_ops, fence);
	drm_sched_entity_push_job(&job->base);
	dma_fence_end_signalling(cookie);
}

/*
 * Lockdep tracks at most 2047 nested locks of one class in one acquire
 * context, so a job of more BOs than that works but turns lockdep off on a
 * debug kernel. Locking all of them at once is what lets the fence slots
 * reserved before arming stay reserved until the fence is added.
 */
static int ncgpu_job_queue(struct ncgpu_job *job, struct ncgpu_file *nfile,
			   struct dma_fence *in_fence, struct drm_syncobj *out_syncobj,
			   struct ncgpu_sync_ops *sync_ops)
{
	struct ww_acquire_ctx ctx;
	int ret;

	ret = drm_sched_job_init(&job->base, &nfile->entity, nfile);
	if (ret) {
		dma_fence_put(in_fence);
		return ret;
	}
	ret = in_fence ? drm_sched_job_add_dependency(&job->base, in_fence) : 0;
	if (!ret)
		ret = ncgpu_sync_ops_add_deps(sync_ops, &job->base);
	if (ret)
		goto err_cleanup;

	ret = drm_gem_lock_reservations(job->objs, job->bo_count, &ctx);
	if (ret)
		goto err_cleanup;
	ret = ncgpu_job_add_implicit_deps(job);
	if (ret)
		goto err_unlock;

	ncgpu_job_arm_and_push(job, &ctx, out_syncobj, sync_ops);
	return 0;

err_unlock:
	drm_gem_unlock_reservations(job->objs, job->bo_count, &ctx);
err_cleanup:
	drm_sched_job_cleanup(&job->base);
	return ret;
}

static int ncgpu_get_syncobjs(struct drm_file *file, const struct drm_ncgpu_submit *args,
			      struct dma_fence **in_fence, struct drm_syncobj **out_syncobj)
{
	int ret;

	if (args->in_syncobj) {
		ret = drm_syncobj_find_fence(file, args->in_syncobj, 0, 0, in_fence);
		if (ret)
			return ret;
	}
	if (args->out_syncobj) {
		*out_syncobj = drm_syncobj_find(file, args->out_syncobj);
		if (!*out_syncobj) {
			dma_fence_put(*in_fence);
			*in_fence = NULL;
			return -ENOENT;
		}
	}
	return 0;
}

/**
 * ncgpu_ioctl_submit() - Handle %DRM_IOCTL_NCGPU_SUBMIT.
 * @drm: DRM device.
 * @data: &struct drm_ncgpu_submit.
 * @file: DRM file.
 *
 * Validates the whole job, sync ops included, waits for one of the file's
 * job slots, makes the job ready and queues it, without waiting for it to
 * run.
 *
 * Return: 0 once queued, or an error of SUBMIT in the uAPI header's "Checks
 * and errors".
 */
int ncgpu_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ncgpu_submit *args = data;
	struct ncgpu_file *nfile = file->driver_priv;
	struct drm_syncobj *out_syncobj = NULL;
	struct ncgpu_sync_ops sync_ops = {};
	struct dma_fence *in_fence = NULL;
	struct drm_ncgpu_cmd *ucmds;
	struct ncgpu_job *job;
	int ret;

	if (args->flags || args->pad)
		return -EINVAL;

	ret = NCGPU_UOBJ_GET_ARRAY(&ucmds, NCGPU_MAX_CMDS, &args->cmds);
	if (ret)
		return ret;

	job = ncgpu_job_alloc(to_ncgpu_device(drm), args->cmds.count);
	if (!job) {
		ret = -ENOMEM;
		goto out_free_ucmds;
	}
	ret = ncgpu_job_parse_cmds(job, file, ucmds);
	if (ret)
		goto out_release_job;
	ret = ncgpu_get_syncobjs(file, args, &in_fence, &out_syncobj);
	if (ret)
		goto out_release_job;
	ret = ncgpu_sync_ops_parse(&sync_ops, file, &args->syncs);
	if (ret)
		goto out_put_syncobjs;

	ret = ncgpu_job_take_slot(job, nfile);
	if (ret)
		goto out_put_syncobjs;
	ret = ncgpu_job_prepare(job);
	if (ret)
		goto out_put_syncobjs;

	/* Takes in_fence, the wait ops' fences, and the job once queued. */
	ret = ncgpu_job_queue(job, nfile, in_fence, out_syncobj, &sync_ops);
	in_fence = NULL;
	if (!ret)
		job = NULL;

out_put_syncobjs:
	ncgpu_sync_ops_fini(&sync_ops);
	dma_fence_put(in_fence);
	if (out_syncobj)
		drm_syncobj_put(out_syncobj);
out_release_job:
	if (job)
		ncgpu_job_release(job);
out_free_ucmds:
	kvfree(ucmds);
	return drm_gem_sync_restartable(ret);
}

static void ncgpu_job_unmap_bos(struct ncgpu_job *job)
{
	u32 i;

	for (i = 0; i < job->bo_count; i++) {
		if (!iosys_map_is_null(&job->bos[i].map))
			ncgpu_bo_vunmap(to_ncgpu_bo(job->objs[i]), &job->bos[i].map);
	}
}

/**
 * ncgpu_job_release() - Free a job and drop everything it holds.
 * @job: A job that never ran, or whose fence has signalled.
 *
 * May take any lock: a BO freed here can take its exporter's reservation
 * lock. Never called on the way to a fence's signal.
 */
void ncgpu_job_release(struct ncgpu_job *job)
{
	struct ncgpu_file *nfile = job->file;
	u32 i;

	ncgpu_job_unmap_bos(job);
	for (i = 0; i < job->bo_count; i++)
		drm_gem_object_put(job->objs[i]);
	ncgpu_hw_fence_free(job->hw_fence, job->hw_started);
	kfree(job->bounce);
	kvfree(job->objs);
	kvfree(job->bos);
	kvfree(job->cmds);
	kfree(job);
	if (nfile) {
		atomic_dec(&nfile->jobs);
		wake_up_all(&nfile->jobs_wq);
		ncgpu_file_put(nfile);
	}
	/* Last: ncgpu_engine_fini() drains the work this may run in. */
	module_put(THIS_MODULE);
}
