/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The ncgpu authors
 */
#ifndef __NCGPU_JOB_H__
#define __NCGPU_JOB_H__

#include <linux/iosys-map.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include <drm/gpu_scheduler.h>

struct dma_fence;
struct drm_gem_object;
struct ncgpu_device;
struct ncgpu_file;

/**
 * struct ncgpu_job_bo - A BO used by a job.
 */
struct ncgpu_job_bo {
	/** @written: The job writes the BO (it is a destination). */
	bool written;

	/** @device_view: The engine uses the BO's device view. */
	bool device_view;

	/** @map: Kernel mapping of a single-view BO, made at SUBMIT. */
	struct iosys_map map;
};

/**
 * struct ncgpu_job_cmd - A validated command.
 */
struct ncgpu_job_cmd {
	/** @op: One of &enum drm_ncgpu_cmd_op. */
	u32 op;

	/** @dst: Index of the destination in &ncgpu_job.bos. */
	u32 dst;

	/** @src: Index of the source in &ncgpu_job.bos. */
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
 *
 * SUBMIT makes everything the job will touch ready before the job is armed:
 * the BOs' pages are pinned and mapped, their device views hold every page
 * the job writes, the bounce page is allocated. Running it then only moves
 * bytes, so nothing on the way to its fence's signal allocates memory,
 * fails, or takes a lock that anyone holds while waiting for a fence.
 */
struct ncgpu_job {
	/** @base: The scheduler's job; its finished fence is the job's fence. */
	struct drm_sched_job base;

	/** @ndev: The device. */
	struct ncgpu_device *ndev;

	/** @file: The file that submitted the job; a reference. */
	struct ncgpu_file *file;

	/**
	 * @hw_fence: The fence the virtual hardware signals when it is done
	 * with the job; a reference once @hw_started.
	 */
	struct dma_fence *hw_fence;

	/**
	 * @hw_started: The scheduler has run the job: @hw_fence is
	 * initialised. Before that, it is memory allocated at SUBMIT.
	 */
	bool hw_started;

	/** @aborted: Set by the timeout handler: the hardware stops the job. */
	bool aborted;

	/** @hw_work: Runs the job on the virtual hardware. */
	struct work_struct hw_work;

	/** @cleanup_work: Releases the job once it is done. */
	struct work_struct cleanup_work;

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

	/** @bounce: A page through which the hardware copies and fills. */
	u8 *bounce;
};

/**
 * to_ncgpu_job() - Get the ncgpu job of a scheduler job.
 * @sched_job: A job that ncgpu submitted.
 *
 * Return: the &struct ncgpu_job embedding @sched_job.
 */
static inline struct ncgpu_job *to_ncgpu_job(struct drm_sched_job *sched_job)
{
	return container_of(sched_job, struct ncgpu_job, base);
}

void ncgpu_job_init_work(struct ncgpu_job *job);
int ncgpu_job_execute(struct ncgpu_job *job);
void ncgpu_job_release(struct ncgpu_job *job);
struct dma_fence *ncgpu_hw_fence_alloc(void);
void ncgpu_hw_fence_free(struct dma_fence *fence, bool initialised);

#endif /* __NCGPU_JOB_H__ */
