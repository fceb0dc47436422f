// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The ncgpu authors
 */

#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/iosys-map.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_syncobj.h>

#include "ncgpu_coherence.h"
#include "ncgpu_engine.h"
#include "ncgpu_gem.h"

/**
 * DOC: The engine
 *
 * The virtual GPU runs jobs of COPY, FILL and STALL commands on one ordered
 * queue per device. A job is validated completely at SUBMIT time. Should
 * adding its fence to the reservation objects of its BOs fail half-way, the
 * job runs empty and its fence signals with the error; once the fence is in
 * all of them nothing can fail but the copy itself, which then sets the
 * fence's error. A job holds a reference on each of its BOs, so userspace
 * may close handles, files and dma-bufs while it runs.
 *
 * The engine reads and writes the device view of write-back BOs on a
 * non-coherent device, and the pages themselves of every other BO.
 */

/**
 * struct ncgpu_job_bo - A BO used by a job.
 */
struct ncgpu_job_bo {
	/** @written: The job writes the BO (it is a destination). */
	bool written;

	/** @device_view: The engine uses the BO's device view. */
	bool device_view;

	/** @map: Kernel mapping of a single-view BO while the job runs. */
	struct iosys_map map;
};

/**
 * struct ncgpu_job_cmd - A validated command.
 */
struct ncgpu_job_cmd {
	/** @op: One of &enum drm_ncgpu_cmd_op. */
	u32 op;

	/** @dst: Index of the destination in &ncgpu_job.objs. */
	u32 dst;

	/** @src: Index of the source in &ncgpu_job.objs. */
	u32 src;

	/** @dst_offset: Destination offset. */
	u64 dst_offset;

	/** @src_offset: Source offset. */
	u64 src_offset;

	/** @size: Bytes to copy or fill. */
	u64 size;

	/** @value: Fill pattern or stall duration. */
	u64 value;
};

/**
 * struct ncgpu_job - A job of the virtual GPU.
 */
struct ncgpu_job {
	/** @work: Queue entry. */
	struct work_struct work;

	/** @ndev: The device. */
	struct ncgpu_device *ndev;

	/** @fence: Signals when the job has finished. */
	struct dma_fence *fence;

	/** @in_fence: Fence to wait for before running, or NULL. */
	struct dma_fence *in_fence;

	/** @cmd_count: Number of commands. */
	u32 cmd_count;

	/** @cmds: The commands. */
	struct ncgpu_job_cmd *cmds;

	/** @bo_count: Number of distinct BOs. */
	u32 bo_count;

	/** @objs: The distinct BOs, one reference each. */
	struct drm_gem_object **objs;

	/** @bos: Per BO state, parallel to @objs. */
	struct ncgpu_job_bo *bos;
};

/**
 * struct ncgpu_fence - The fence of a job.
 *
 * A fence outlives its job, its device and even its module's users: a
 * sync_file or another driver's reservation object may hold it. So it carries
 * its own lock, and it holds a reference to the module until it is released,
 * because its ops live there.
 */
struct ncgpu_fence {
	/** @base: The fence. */
	struct dma_fence base;

	/** @lock: Lock of @base. */
	spinlock_t lock;
};

static const char *ncgpu_fence_get_driver_name(struct dma_fence *fence)
{
	return "ncgpu";
}

static const char *ncgpu_fence_get_timeline_name(struct dma_fence *fence)
{
	return "ncgpu-queue";
}

static void ncgpu_fence_release(struct dma_fence *fence)
{
	dma_fence_free(fence);
	module_put(THIS_MODULE);
}

static const struct dma_fence_ops ncgpu_fence_ops = {
	.get_driver_name = ncgpu_fence_get_driver_name,
	.get_timeline_name = ncgpu_fence_get_timeline_name,
	.release = ncgpu_fence_release,
};

static struct dma_fence *ncgpu_fence_alloc(void)
{
	struct ncgpu_fence *fence;

	/* base comes first: dma_fence_free() frees the whole ncgpu_fence. */
	BUILD_BUG_ON(offsetof(struct ncgpu_fence, base));
	fence = kzalloc(sizeof(*fence), GFP_KERNEL);
	if (!fence)
		return NULL;
	spin_lock_init(&fence->lock);
	return &fence->base;
}

static void ncgpu_fence_init(struct dma_fence *fence, u64 context, u64 seqno)
{
	__module_get(THIS_MODULE);
	dma_fence_init(fence, &ncgpu_fence_ops,
		       &container_of(fence, struct ncgpu_fence, base)->lock, context, seqno);
}

static void ncgpu_job_put_bos(struct ncgpu_job *job)
{
	u32 i;

	for (i = 0; i < job->bo_count; i++)
		drm_gem_object_put(job->objs[i]);
	job->bo_count = 0;
}

static void ncgpu_job_free(struct ncgpu_job *job)
{
	ncgpu_job_put_bos(job);
	if (job->fence)
		dma_fence_put(job->fence);
	if (job->in_fence)
		dma_fence_put(job->in_fence);
	kvfree(job->objs);
	kvfree(job->bos);
	kvfree(job->cmds);
	kfree(job);
}

static int ncgpu_job_bo_read(struct ncgpu_job *job, u32 index, u64 offset, void *buf, size_t len)
{
	struct ncgpu_job_bo *jb = &job->bos[index];

	if (jb->device_view)
		return ncgpu_coherence_read(to_ncgpu_bo(job->objs[index]), offset, buf, len);
	iosys_map_memcpy_from(buf, &jb->map, offset, len);
	return 0;
}

static int ncgpu_job_bo_write(struct ncgpu_job *job, u32 index, u64 offset, const void *buf,
			      size_t len)
{
	struct ncgpu_job_bo *jb = &job->bos[index];

	if (jb->device_view)
		return ncgpu_coherence_write(to_ncgpu_bo(job->objs[index]), offset, buf, len);
	iosys_map_memcpy_to(&jb->map, offset, buf, len);
	return 0;
}

static int ncgpu_run_copy(struct ncgpu_job *job, const struct ncgpu_job_cmd *cmd, u8 *bounce)
{
	size_t chunk;
	u64 done;
	int ret = 0;

	for (done = 0; done < cmd->size && !ret; done += chunk) {
		chunk = min_t(u64, cmd->size - done, PAGE_SIZE);
		ret = ncgpu_job_bo_read(job, cmd->src, cmd->src_offset + done, bounce, chunk);
		if (!ret)
			ret = ncgpu_job_bo_write(job, cmd->dst, cmd->dst_offset + done,
						 bounce, chunk);
	}
	return ret;
}

static int ncgpu_run_fill(struct ncgpu_job *job, const struct ncgpu_job_cmd *cmd, u8 *bounce)
{
	size_t chunk, i;
	u64 done;
	int ret = 0;

	/* PAGE_SIZE is a multiple of 8, so every chunk starts at pattern byte 0. */
	for (i = 0; i < PAGE_SIZE; i++)
		bounce[i] = cmd->value >> (8 * (i % 8));

	for (done = 0; done < cmd->size && !ret; done += chunk) {
		chunk = min_t(u64, cmd->size - done, PAGE_SIZE);
		ret = ncgpu_job_bo_write(job, cmd->dst, cmd->dst_offset + done, bounce, chunk);
	}
	return ret;
}

static int ncgpu_run_cmds(struct ncgpu_job *job)
{
	const struct ncgpu_job_cmd *cmd;
	u8 *bounce;
	u32 i;
	int ret = 0;

	bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;

	for (i = 0; i < job->cmd_count && !ret; i++) {
		cmd = &job->cmds[i];
		switch (cmd->op) {
		case DRM_NCGPU_CMD_COPY:
			ret = ncgpu_run_copy(job, cmd, bounce);
			break;
		case DRM_NCGPU_CMD_FILL:
			ret = ncgpu_run_fill(job, cmd, bounce);
			break;
		case DRM_NCGPU_CMD_STALL:
			fsleep(cmd->value);
			break;
		}
	}
	kfree(bounce);
	return ret;
}

static void ncgpu_job_unmap_bos(struct ncgpu_job *job)
{
	u32 i;

	for (i = 0; i < job->bo_count; i++) {
		if (!iosys_map_is_null(&job->bos[i].map))
			ncgpu_bo_vunmap(to_ncgpu_bo(job->objs[i]), &job->bos[i].map);
	}
}

static int ncgpu_job_map_bos(struct ncgpu_job *job)
{
	u32 i;
	int ret;

	for (i = 0; i < job->bo_count; i++) {
		if (job->bos[i].device_view)
			continue;
		ret = ncgpu_bo_vmap(to_ncgpu_bo(job->objs[i]), &job->bos[i].map);
		if (ret) {
			iosys_map_clear(&job->bos[i].map);
			ncgpu_job_unmap_bos(job);
			return ret;
		}
	}
	return 0;
}

static void ncgpu_job_run(struct work_struct *work)
{
	struct ncgpu_job *job = container_of(work, struct ncgpu_job, work);
	int ret;

	if (job->in_fence)
		dma_fence_wait(job->in_fence, false);

	ret = ncgpu_job_map_bos(job);
	if (!ret) {
		ret = ncgpu_run_cmds(job);
		ncgpu_job_unmap_bos(job);
	}
	if (ret)
		dma_fence_set_error(job->fence, ret);

	ncgpu_coherence_evict(job->ndev);
	/*
	 * Before the fence signals: a waiter that then closes its handles must
	 * free the BOs itself, at once, instead of leaving the last reference to
	 * this worker, whose release of the shmem file would be deferred.
	 */
	ncgpu_job_put_bos(job);
	dma_fence_signal(job->fence);
	ncgpu_job_free(job);
}

static int ncgpu_cmd_check_fields(const struct drm_ncgpu_cmd *cmd)
{
	if (cmd->flags)
		return -EINVAL;

	switch (cmd->op) {
	case DRM_NCGPU_CMD_COPY:
		return 0;
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
static int ncgpu_job_add_bo(struct ncgpu_job *job, struct drm_file *file,
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
		ret = xa_err(xa_store(indices, handle, xa_mk_value(index), GFP_KERNEL));
		if (ret) {
			drm_gem_object_put(obj);
			return ret;
		}
		job->objs[index] = obj;
		job->bos[index].device_view = ncgpu_bo_has_device_view(to_ncgpu_bo(obj));
		job->bo_count++;
	}
	job->bos[index].written |= written;
	return index;
}

static int ncgpu_job_lookup_bos(struct ncgpu_job *job, struct drm_file *file,
				const struct drm_ncgpu_cmd *ucmds)
{
	struct ncgpu_job_cmd *cmd;
	struct xarray indices;
	int ret = 0;
	u32 i;

	xa_init(&indices);
	for (i = 0; i < job->cmd_count && ret >= 0; i++) {
		cmd = &job->cmds[i];
		if (cmd->op == DRM_NCGPU_CMD_STALL)
			continue;
		ret = ncgpu_job_add_bo(job, file, &indices, ucmds[i].dst_handle, true);
		if (ret < 0)
			break;
		cmd->dst = ret;
		if (cmd->op != DRM_NCGPU_CMD_COPY)
			continue;
		ret = ncgpu_job_add_bo(job, file, &indices, ucmds[i].src_handle, false);
		if (ret >= 0)
			cmd->src = ret;
	}
	xa_destroy(&indices);
	return min(ret, 0);
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

/* Validates the commands in the spec's order: fields, handles, ranges. */
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
	ret = ncgpu_job_lookup_bos(job, file, ucmds);
	if (ret)
		return ret;
	return ncgpu_job_check_ranges(job);
}

static struct ncgpu_job *ncgpu_job_alloc(struct ncgpu_device *ndev, u32 cmd_count)
{
	struct ncgpu_job *job = kzalloc(sizeof(*job), GFP_KERNEL);

	if (!job)
		return NULL;
	job->ndev = ndev;
	job->cmd_count = cmd_count;
	INIT_WORK(&job->work, ncgpu_job_run);
	if (!cmd_count)
		return job;

	job->cmds = kvcalloc(cmd_count, sizeof(*job->cmds), GFP_KERNEL);
	job->objs = kvcalloc(2 * cmd_count, sizeof(*job->objs), GFP_KERNEL);
	job->bos = kvcalloc(2 * cmd_count, sizeof(*job->bos), GFP_KERNEL);
	if (!job->cmds || !job->objs || !job->bos) {
		ncgpu_job_free(job);
		return NULL;
	}
	return job;
}

static int ncgpu_job_get_syncobjs(struct ncgpu_job *job, struct drm_file *file,
				  const struct drm_ncgpu_submit *args,
				  struct drm_syncobj **out_syncobj)
{
	int ret;

	*out_syncobj = NULL;
	if (args->in_syncobj) {
		ret = drm_syncobj_find_fence(file, args->in_syncobj, 0, 0, &job->in_fence);
		if (ret)
			return ret;
	}
	if (args->out_syncobj) {
		*out_syncobj = drm_syncobj_find(file, args->out_syncobj);
		if (!*out_syncobj)
			return -ENOENT;
	}
	return 0;
}

/*
 * Lockdep counts the nested reservation locks of one acquire context in 11
 * bits, and a job may use 2 * NCGPU_MAX_CMDS BOs: 2048 locks held at once
 * would switch lockdep off with a warning. No command waits for the fences
 * already in a reservation object, so nothing needs every lock at once, and
 * the BOs are locked in batches.
 */
#define NCGPU_JOB_RESV_BATCH	1024

/* Adds the job's fence to @count BOs from @first, or to none of them. */
static int ncgpu_job_fence_bos(struct ncgpu_job *job, u32 first, u32 count)
{
	struct drm_gem_object **objs = job->objs + first;
	struct ww_acquire_ctx ctx;
	enum dma_resv_usage usage;
	u32 i;
	int ret;

	ret = drm_gem_lock_reservations(objs, count, &ctx);
	if (ret)
		return ret;
	for (i = 0; i < count && !ret; i++)
		ret = dma_resv_reserve_fences(objs[i]->resv, 1);
	for (i = 0; i < count && !ret; i++) {
		usage = job->bos[first + i].written ? DMA_RESV_USAGE_WRITE : DMA_RESV_USAGE_READ;
		dma_resv_add_fence(objs[i]->resv, job->fence, usage);
	}
	drm_gem_unlock_reservations(objs, count, &ctx);
	return ret;
}

/*
 * A job that failed after its fence reached some reservation objects still
 * goes through the queue, empty, so that its fence signals (with the error)
 * in seqno order: it may have replaced an earlier job's fence there.
 */
static void ncgpu_job_cancel(struct ncgpu_job *job, int error)
{
	dma_fence_set_error(job->fence, error);
	ncgpu_job_put_bos(job);
	job->cmd_count = 0;
	if (job->in_fence) {
		dma_fence_put(job->in_fence);
		job->in_fence = NULL;
	}
}

/*
 * Queues the job, which owns it from then on. Its fence goes into the
 * reservation objects and @out_syncobj under the seqno lock, so that fences
 * are queued in seqno order.
 */
static int ncgpu_job_submit(struct ncgpu_job *job, struct drm_syncobj *out_syncobj)
{
	struct ncgpu_engine *engine = &job->ndev->engine;
	u32 first;
	int ret;

	job->fence = ncgpu_fence_alloc();
	ret = job->fence ? mutex_lock_interruptible(&engine->seqno_lock) : -ENOMEM;
	if (ret) {
		/* Never initialised: free it as plain memory. */
		kfree(container_of(job->fence, struct ncgpu_fence, base));
		job->fence = NULL;
		ncgpu_job_free(job);
		return ncgpu_restartable(ret);
	}

	ncgpu_fence_init(job->fence, engine->fence_context, ++engine->seqno);
	for (first = 0; first < job->bo_count && !ret; first += NCGPU_JOB_RESV_BATCH)
		ret = ncgpu_job_fence_bos(job, first,
					  min_t(u32, job->bo_count - first, NCGPU_JOB_RESV_BATCH));
	if (ret)
		ncgpu_job_cancel(job, ret);
	else if (out_syncobj)
		drm_syncobj_replace_fence(out_syncobj, job->fence);
	queue_work(engine->queue, &job->work);
	mutex_unlock(&engine->seqno_lock);
	return ncgpu_restartable(ret);
}

/**
 * ncgpu_ioctl_submit() - Handle %DRM_IOCTL_NCGPU_SUBMIT.
 * @drm: DRM device.
 * @data: &struct drm_ncgpu_submit.
 * @file: DRM file.
 *
 * Validates the whole job, then queues it without waiting for it.
 *
 * Return: 0 once queued; -EINVAL for non-zero flags or pad, a bad command, a
 * bad range or an input syncobj without a fence; -ENOENT for a bad BO or
 * syncobj handle; the array errors of ncgpu_obj_array_copy(); -ENOMEM;
 * -ERESTARTSYS when interrupted.
 */
int ncgpu_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ncgpu_submit *args = data;
	struct drm_syncobj *out_syncobj = NULL;
	struct drm_ncgpu_cmd *ucmds;
	struct ncgpu_job *job;
	int ret;

	if (args->flags || args->pad)
		return -EINVAL;

	ret = ncgpu_obj_array_copy(&args->cmds, NCGPU_MAX_CMDS, sizeof(*ucmds),
				   offsetofend(struct drm_ncgpu_cmd, value), (void **)&ucmds);
	if (ret)
		return ret;

	job = ncgpu_job_alloc(to_ncgpu_device(drm), args->cmds.count);
	if (!job) {
		ret = -ENOMEM;
		goto out_free_ucmds;
	}

	ret = ncgpu_job_parse_cmds(job, file, ucmds);
	if (!ret)
		ret = ncgpu_job_get_syncobjs(job, file, args, &out_syncobj);
	if (ret)
		ncgpu_job_free(job);
	else
		ret = ncgpu_job_submit(job, out_syncobj);
	if (out_syncobj)
		drm_syncobj_put(out_syncobj);

out_free_ucmds:
	kvfree(ucmds);
	return ret;
}

/**
 * ncgpu_engine_init() - Start the job queue of a device.
 * @ndev: The device.
 *
 * Return: 0 on success, -ENOMEM otherwise.
 */
int ncgpu_engine_init(struct ncgpu_device *ndev)
{
	struct ncgpu_engine *engine = &ndev->engine;

	engine->queue = alloc_ordered_workqueue("ncgpu-engine", 0);
	if (!engine->queue)
		return -ENOMEM;
	engine->fence_context = dma_fence_context_alloc(1);
	mutex_init(&engine->seqno_lock);
	return 0;
}

/**
 * ncgpu_engine_fini() - Stop the job queue of a device.
 * @ndev: The device.
 *
 * Waits for every queued job to finish.
 */
void ncgpu_engine_fini(struct ncgpu_device *ndev)
{
	destroy_workqueue(ndev->engine.queue);
	mutex_destroy(&ndev->engine.seqno_lock);
}
