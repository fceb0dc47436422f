// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The ncgpu authors
 */

#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/iosys-map.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>

#include "ncgpu_coherence.h"
#include "ncgpu_drv.h"
#include "ncgpu_engine.h"
#include "ncgpu_gem.h"
#include "ncgpu_job.h"

/**
 * DOC: The engine
 *
 * The virtual GPU has one queue, run by the kernel's GPU scheduler. Each DRM
 * file has a scheduler entity, so a file's jobs run in submission order and
 * a job waiting for its dependencies holds up no other file's jobs. The
 * scheduler hands the next ready job to the hardware, an ordered workqueue
 * that runs one job at a time: it copies and fills through the mappings that
 * SUBMIT made, and signals the job's hardware fence.
 *
 * From dma_fence_begin_signalling() to the signal, the hardware allocates
 * nothing and takes no lock that is held elsewhere while allocating or
 * waiting for a fence: a shrinker or an exporter waiting for the job's fence
 * could otherwise wait for itself.
 *
 * A job running longer than job_timeout_ms is stopped by the scheduler's
 * timeout handler; its fence signals with -ETIMEDOUT and the next job runs.
 * Closing a DRM file follows the scheduler: a live process waits for its
 * jobs, an exiting one gives them a second before the ones not started are
 * cancelled with -ESRCH.
 */

/**
 * struct ncgpu_fence - The hardware fence of a job.
 *
 * A fence outlives its job, its device and even its module's users: a
 * sync_file or another driver's reservation object may hold the scheduler's
 * fence that points to it. So it carries its own lock, and it holds a
 * reference to the module until it is released, because its ops live there.
 */
struct ncgpu_fence {
	/** @base: The fence. */
	struct dma_fence base;

	/** @lock: Lock of @base. */
	spinlock_t lock;
};

/*
 * A compile-time switch of the debug lane's negative control: a module built
 * with it allocates on the way to a fence's signal, which lockdep must catch.
 */
#ifdef NCGPU_PLANT_SIGNALLING_ALLOC
static void ncgpu_plant_signalling_alloc(void)
{
	kfree(kmalloc(64, GFP_KERNEL));
}
#else
static void ncgpu_plant_signalling_alloc(void)
{
}
#endif

static const char *ncgpu_fence_get_driver_name(struct dma_fence *fence)
{
	return "ncgpu";
}

static const char *ncgpu_fence_get_timeline_name(struct dma_fence *fence)
{
	return "ncgpu-hw";
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

/**
 * ncgpu_hw_fence_alloc() - Allocate a job's hardware fence at SUBMIT.
 *
 * The scheduler initialises it when it runs the job, on the way to the job
 * fence's signal, where nothing may be allocated.
 *
 * Return: the fence, not initialised; NULL when out of memory.
 */
struct dma_fence *ncgpu_hw_fence_alloc(void)
{
	struct ncgpu_fence *fence;

	/* base comes first: dma_fence_free() frees the whole ncgpu_fence. */
	BUILD_BUG_ON(offsetof(struct ncgpu_fence, base));
	fence = kzalloc(sizeof(*fence), NCGPU_USER_GFP);
	if (!fence)
		return NULL;
	spin_lock_init(&fence->lock);
	return &fence->base;
}

/**
 * ncgpu_hw_fence_free() - Drop a job's reference to its hardware fence.
 * @fence: The fence, or NULL.
 * @initialised: The scheduler ran the job, so @fence is a fence; before
 *	that it is plain memory.
 */
void ncgpu_hw_fence_free(struct dma_fence *fence, bool initialised)
{
	if (initialised)
		dma_fence_put(fence);
	else if (fence)
		kfree(container_of(fence, struct ncgpu_fence, base));
}

static void ncgpu_hw_fence_init(struct dma_fence *fence, u64 context, u64 seqno)
{
	__module_get(THIS_MODULE);
	dma_fence_init(fence, &ncgpu_fence_ops,
		       &container_of(fence, struct ncgpu_fence, base)->lock, context, seqno);
}

/* Copy and fill loops yield and look for an abort this often. */
#define NCGPU_HW_STEP	SZ_1M

static bool ncgpu_hw_step(struct ncgpu_job *job, u64 done, size_t chunk)
{
	if ((done + chunk) % NCGPU_HW_STEP < chunk) {
		cond_resched();
		return READ_ONCE(job->aborted);
	}
	return false;
}

static void ncgpu_job_bo_read(struct ncgpu_job *job, u32 index, u64 offset, void *buf,
			      size_t len)
{
	struct ncgpu_job_bo *jb = &job->bos[index];

	if (jb->device_view)
		ncgpu_coherence_read(to_ncgpu_bo(job->objs[index]), offset, buf, len);
	else
		iosys_map_memcpy_from(buf, &jb->map, offset, len);
}

static void ncgpu_job_bo_write(struct ncgpu_job *job, u32 index, u64 offset, const void *buf,
			       size_t len)
{
	struct ncgpu_job_bo *jb = &job->bos[index];

	if (jb->device_view)
		ncgpu_coherence_write(to_ncgpu_bo(job->objs[index]), offset, buf, len);
	else
		iosys_map_memcpy_to(&jb->map, offset, buf, len);
}

static int ncgpu_hw_copy(struct ncgpu_job *job, const struct ncgpu_job_cmd *cmd)
{
	size_t chunk;
	u64 done;

	for (done = 0; done < cmd->size; done += chunk) {
		chunk = min_t(u64, cmd->size - done, PAGE_SIZE);
		ncgpu_job_bo_read(job, cmd->src, cmd->src_offset + done, job->bounce, chunk);
		ncgpu_job_bo_write(job, cmd->dst, cmd->dst_offset + done, job->bounce, chunk);
		if (ncgpu_hw_step(job, done, chunk))
			return -ETIMEDOUT;
	}
	return 0;
}

static int ncgpu_hw_fill(struct ncgpu_job *job, const struct ncgpu_job_cmd *cmd)
{
	size_t chunk, i;
	u64 done;

	/* PAGE_SIZE is a multiple of 8, so every chunk starts at pattern byte 0. */
	for (i = 0; i < PAGE_SIZE; i++)
		job->bounce[i] = cmd->value >> (8 * (i % 8));

	for (done = 0; done < cmd->size; done += chunk) {
		chunk = min_t(u64, cmd->size - done, PAGE_SIZE);
		ncgpu_job_bo_write(job, cmd->dst, cmd->dst_offset + done, job->bounce, chunk);
		if (ncgpu_hw_step(job, done, chunk))
			return -ETIMEDOUT;
	}
	return 0;
}

/* Busy for @us microseconds, or until the timeout handler aborts the job. */
static int ncgpu_hw_stall(struct ncgpu_job *job, u64 us)
{
	struct ncgpu_engine *engine = &job->ndev->engine;

	if (!us)
		return 0;
	return wait_event_hrtimeout(engine->abort_wq, READ_ONCE(job->aborted),
				    ns_to_ktime(us * NSEC_PER_USEC)) == -ETIME ? 0 : -ETIMEDOUT;
}

/**
 * ncgpu_job_execute() - Run a job's commands on the virtual hardware.
 * @job: The job, made ready by SUBMIT.
 *
 * Only moves bytes and sleeps: it runs on the way to the job fence's signal.
 *
 * Return: 0, or -ETIMEDOUT when the timeout handler stopped the job.
 */
int ncgpu_job_execute(struct ncgpu_job *job)
{
	const struct ncgpu_job_cmd *cmd;
	int ret = 0;
	u32 i;

	for (i = 0; i < job->cmd_count; i++) {
		cond_resched();
		if (READ_ONCE(job->aborted))
			return -ETIMEDOUT;
		cmd = &job->cmds[i];
		switch (cmd->op) {
		case DRM_NCGPU_CMD_COPY:
			ret = ncgpu_hw_copy(job, cmd);
			break;
		case DRM_NCGPU_CMD_FILL:
			ret = ncgpu_hw_fill(job, cmd);
			break;
		case DRM_NCGPU_CMD_STALL:
			ret = ncgpu_hw_stall(job, cmd->value);
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static void ncgpu_hw_run(struct work_struct *work)
{
	struct ncgpu_job *job = container_of(work, struct ncgpu_job, hw_work);
	struct dma_fence *fence = dma_fence_get(job->hw_fence);
	bool cookie = dma_fence_begin_signalling();
	int ret;

	ncgpu_plant_signalling_alloc();
	ret = ncgpu_job_execute(job);
	ncgpu_coherence_evict(job->ndev);
	if (ret) {
		/* 6.1's scheduler does not pass a hardware fence's error on. */
		dma_fence_set_error(&job->base.s_fence->finished, ret);
		dma_fence_set_error(fence, ret);
	}
	/* From here on the scheduler may free the job. */
	dma_fence_signal(fence);
	dma_fence_end_signalling(cookie);
	dma_fence_put(fence);
}

static struct dma_fence *ncgpu_sched_run_job(struct drm_sched_job *sched_job)
{
	struct ncgpu_job *job = to_ncgpu_job(sched_job);
	struct ncgpu_engine *engine = &job->ndev->engine;

	/* Run again after a timeout: the hardware has already had it. */
	if (job->hw_started)
		return dma_fence_get(job->hw_fence);
	if (READ_ONCE(job->file->cancelled))
		return ERR_PTR(-ESRCH);

	ncgpu_hw_fence_init(job->hw_fence, engine->fence_context, ++engine->seqno);
	job->hw_started = true;
	queue_work(engine->hw, &job->hw_work);
	/* One reference for the scheduler, one the job keeps. */
	return dma_fence_get(job->hw_fence);
}

/*
 * The scheduler is stopped first, so that it neither completes the job nor
 * starts the next while the hardware lets go of it. The job's fence then
 * signals with -ETIMEDOUT through the hardware fence that is handed back.
 */
static enum drm_gpu_sched_stat ncgpu_sched_timedout_job(struct drm_sched_job *sched_job)
{
	struct ncgpu_job *job = to_ncgpu_job(sched_job);
	struct ncgpu_engine *engine = &job->ndev->engine;

	drm_sched_stop(&engine->sched, sched_job);
	WRITE_ONCE(job->aborted, true);
	wake_up_all(&engine->abort_wq);
	flush_work(&job->hw_work);
	drm_sched_resubmit_jobs(&engine->sched);
	drm_sched_start(&engine->sched, true);
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

static void ncgpu_job_cleanup_work(struct work_struct *work)
{
	ncgpu_job_release(container_of(work, struct ncgpu_job, cleanup_work));
}

static void ncgpu_sched_free_job(struct drm_sched_job *sched_job)
{
	struct ncgpu_job *job = to_ncgpu_job(sched_job);

	drm_sched_job_cleanup(sched_job);
	queue_work(job->ndev->engine.cleanup, &job->cleanup_work);
}

static const struct drm_sched_backend_ops ncgpu_sched_ops = {
	.run_job = ncgpu_sched_run_job,
	.timedout_job = ncgpu_sched_timedout_job,
	.free_job = ncgpu_sched_free_job,
};

/**
 * ncgpu_job_init_work() - Prepare the work items of a new job.
 * @job: The job.
 */
void ncgpu_job_init_work(struct ncgpu_job *job)
{
	INIT_WORK(&job->hw_work, ncgpu_hw_run);
	INIT_WORK(&job->cleanup_work, ncgpu_job_cleanup_work);
}

static void ncgpu_file_release(struct kref *kref)
{
	kfree(container_of(kref, struct ncgpu_file, refcount));
}

/**
 * ncgpu_file_get() - Take a reference to a file's state.
 * @nfile: The file's state.
 *
 * Return: @nfile.
 */
struct ncgpu_file *ncgpu_file_get(struct ncgpu_file *nfile)
{
	kref_get(&nfile->refcount);
	return nfile;
}

/**
 * ncgpu_file_put() - Drop a reference to a file's state.
 * @nfile: The file's state.
 */
void ncgpu_file_put(struct ncgpu_file *nfile)
{
	kref_put(&nfile->refcount, ncgpu_file_release);
}

/**
 * ncgpu_engine_open() - Give a new DRM file its scheduler entity.
 * @drm: DRM device.
 * @file: The new file.
 *
 * Return: 0 on success, a negative error code otherwise.
 */
int ncgpu_engine_open(struct drm_device *drm, struct drm_file *file)
{
	struct drm_gpu_scheduler *sched = &to_ncgpu_device(drm)->engine.sched;
	struct ncgpu_file *nfile;
	int ret;

	nfile = kzalloc(sizeof(*nfile), NCGPU_USER_GFP);
	if (!nfile)
		return -ENOMEM;
	kref_init(&nfile->refcount);
	atomic_set(&nfile->jobs, 0);
	init_waitqueue_head(&nfile->jobs_wq);
	ret = drm_sched_entity_init(&nfile->entity, DRM_SCHED_PRIORITY_NORMAL, &sched, 1, NULL);
	if (ret) {
		kfree(nfile);
		return ret;
	}
	file->driver_priv = nfile;
	return 0;
}

static bool ncgpu_entity_queue_empty(struct drm_sched_entity *entity)
{
	return !spsc_queue_count(&entity->job_queue);
}

/*
 * The jobs not started within a second are cancelled by running them empty:
 * they go through the scheduler in order, after their dependencies, and their
 * fences signal with -ESRCH. The scheduler's own cancellation in
 * drm_sched_entity_fini() is never reached with jobs queued: on 6.1 it leaks
 * a reference to the last scheduled fence when that has already signalled.
 */
static void ncgpu_engine_cancel(struct ncgpu_file *nfile, struct drm_gpu_scheduler *sched)
{
	wait_event_timeout(sched->job_scheduled, ncgpu_entity_queue_empty(&nfile->entity), HZ);
	WRITE_ONCE(nfile->cancelled, true);
	wait_event(sched->job_scheduled, ncgpu_entity_queue_empty(&nfile->entity));
}

/**
 * ncgpu_engine_postclose() - Wind a closed DRM file's jobs down.
 * @drm: DRM device.
 * @file: The file being closed.
 *
 * A live process waits, killably, for its jobs to finish. An exiting (or
 * killed) one gives them about a second, as drm_sched_entity_flush() does;
 * the ones not started by then are cancelled and their fences signal with
 * -ESRCH.
 */
void ncgpu_engine_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct drm_gpu_scheduler *sched = &to_ncgpu_device(drm)->engine.sched;
	struct ncgpu_file *nfile = file->driver_priv;

	if ((current->flags & PF_EXITING) ||
	    wait_event_killable(nfile->jobs_wq, !atomic_read(&nfile->jobs)))
		ncgpu_engine_cancel(nfile, sched);
	drm_sched_entity_destroy(&nfile->entity);
	ncgpu_file_put(nfile);
}

/**
 * ncgpu_engine_init() - Start the queue of a device.
 * @ndev: The device.
 * @timeout_ms: Longest a job may run.
 * @max_queued_jobs: Jobs a file may have submitted and not finished.
 *
 * Return: 0 on success, a negative error code otherwise.
 */
int ncgpu_engine_init(struct ncgpu_device *ndev, u32 timeout_ms, u32 max_queued_jobs)
{
	struct ncgpu_engine *engine = &ndev->engine;
	const struct drm_sched_init_args args = {
		.ops = &ncgpu_sched_ops,
		.credit_limit = 1,
		.timeout = msecs_to_jiffies(timeout_ms),
		.name = "ncgpu",
		.dev = ndev->drm.dev,
	};
	int ret;

	engine->timeout_ms = timeout_ms;
	engine->max_queued_jobs = max_queued_jobs;
	engine->fence_context = dma_fence_context_alloc(1);
	init_waitqueue_head(&engine->abort_wq);
	engine->hw = alloc_ordered_workqueue("ncgpu-hw", WQ_MEM_RECLAIM);
	engine->cleanup = alloc_workqueue("ncgpu-cleanup", WQ_UNBOUND, 0);
	if (!engine->hw || !engine->cleanup) {
		ret = -ENOMEM;
		goto err_destroy_queues;
	}
	ret = drm_sched_init(&engine->sched, &args);
	if (ret)
		goto err_destroy_queues;
	return 0;

err_destroy_queues:
	if (engine->cleanup)
		destroy_workqueue(engine->cleanup);
	if (engine->hw)
		destroy_workqueue(engine->hw);
	return ret;
}

/**
 * ncgpu_engine_fini() - Stop the queue of a device.
 * @ndev: The device, with no file open and no job left: each job holds a
 *	reference to the module until it is released.
 */
void ncgpu_engine_fini(struct ncgpu_device *ndev)
{
	struct ncgpu_engine *engine = &ndev->engine;

	drm_sched_fini(&engine->sched);
	destroy_workqueue(engine->hw);
	/* Waits for the releases still running their last instructions. */
	destroy_workqueue(engine->cleanup);
}
