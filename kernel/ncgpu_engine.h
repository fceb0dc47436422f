/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The ncgpu authors
 */
#ifndef __NCGPU_ENGINE_H__
#define __NCGPU_ENGINE_H__

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <drm/gpu_scheduler.h>

struct drm_device;
struct drm_file;
struct ncgpu_device;
struct ncgpu_job;
struct workqueue_struct;

/**
 * struct ncgpu_engine - The virtual GPU's one queue.
 *
 * The GPU scheduler picks the next job among the DRM files' entities, once
 * its dependencies have signalled, and hands it to the hardware: an ordered
 * workqueue that runs one job at a time and signals the job's hardware fence.
 */
struct ncgpu_engine {
	/** @sched: The scheduler of the queue. */
	struct drm_gpu_scheduler sched;

	/**
	 * @hw: The virtual hardware: runs the jobs that @sched hands it, one
	 * at a time, in that order. It is on the path to every job fence's
	 * signal, so it may not wait for memory reclaim (WQ_MEM_RECLAIM).
	 */
	struct workqueue_struct *hw;

	/**
	 * @cleanup: Drops what finished jobs held (BO references, mappings).
	 * Off the scheduler's thread, because a BO's release may take any
	 * lock, an exporter's reservation lock included.
	 */
	struct workqueue_struct *cleanup;

	/** @fence_context: dma_fence context of the hardware fences. */
	u64 fence_context;

	/** @seqno: Seqno of the last hardware fence; only run_job touches it. */
	u64 seqno;

	/** @timeout_ms: Longest a job may run; the job_timeout_ms parameter. */
	u32 timeout_ms;

	/** @max_queued_jobs: Jobs a file may have submitted and not finished. */
	u32 max_queued_jobs;

	/** @abort_wq: Woken when the timeout handler aborts a job. */
	wait_queue_head_t abort_wq;
};

/**
 * struct ncgpu_file - Per DRM file state.
 *
 * Jobs reference it until they are freed, which for jobs cancelled at close
 * is after the file is gone.
 */
struct ncgpu_file {
	/** @refcount: One for the DRM file, one per job not yet freed. */
	struct kref refcount;

	/** @entity: The file's queue into the scheduler; keeps its jobs in order. */
	struct drm_sched_entity entity;

	/** @jobs: Jobs submitted and not yet freed. */
	atomic_t jobs;

	/** @jobs_wq: Woken whenever @jobs drops. */
	wait_queue_head_t jobs_wq;

	/**
	 * @cancelled: The file was closed by an exiting process: the jobs that
	 * have not started yet complete with -ESRCH, without running.
	 */
	bool cancelled;
};

int ncgpu_engine_init(struct ncgpu_device *ndev, u32 timeout_ms, u32 max_queued_jobs);
void ncgpu_engine_fini(struct ncgpu_device *ndev);
int ncgpu_engine_open(struct drm_device *drm, struct drm_file *file);
void ncgpu_engine_postclose(struct drm_device *drm, struct drm_file *file);
struct ncgpu_file *ncgpu_file_get(struct ncgpu_file *nfile);
void ncgpu_file_put(struct ncgpu_file *nfile);

int ncgpu_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* __NCGPU_ENGINE_H__ */
