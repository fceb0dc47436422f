// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * Jobs of the virtual GPU, their submission and the syncobjs that order
 * them: binary syncobjs, and timelines as Vulkan's timeline semaphores.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xf86drm.h>

#include "ncgpu_internal.h"

#define JOB_INITIAL_CAPACITY 16
#define NSEC_PER_SEC 1000000000LL

NCGPU_PUBLIC void ncgpu_job_init(struct ncgpu_job *job)
{
	memset(job, 0, sizeof(*job));
}

NCGPU_PUBLIC void ncgpu_job_fini(struct ncgpu_job *job)
{
	free(job->cmds);
	free(job->syncs);
	memset(job, 0, sizeof(*job));
}

/*
 * Returns @array with room for twice as many elements of @size bytes, and
 * updates *@capacity; NULL (and @array untouched) when out of memory.
 */
static void *array_grow(void *array, uint32_t *capacity, size_t size)
{
	uint32_t grown = *capacity ? *capacity * 2 : JOB_INITIAL_CAPACITY;

	array = realloc(array, (size_t)grown * size);
	if (array)
		*capacity = grown;
	return array;
}

static int job_push(struct ncgpu_job *job, const struct drm_ncgpu_cmd *cmd)
{
	struct drm_ncgpu_cmd *cmds;

	if (job->count == job->capacity) {
		cmds = array_grow(job->cmds, &job->capacity, sizeof(*cmds));
		if (!cmds)
			return -ENOMEM;
		job->cmds = cmds;
	}
	job->cmds[job->count++] = *cmd;
	return 0;
}

/* @signal is DRM_NCGPU_SYNC_OP_SIGNAL or DRM_NCGPU_SYNC_OP_WAIT. */
static int job_push_sync(struct ncgpu_job *job, uint32_t syncobj, uint64_t point,
			 uint32_t signal)
{
	struct drm_ncgpu_sync_op *syncs;

	if (!syncobj)
		return -EINVAL;
	if (job->sync_count == job->sync_capacity) {
		syncs = array_grow(job->syncs, &job->sync_capacity, sizeof(*syncs));
		if (!syncs)
			return -ENOMEM;
		job->syncs = syncs;
	}
	job->syncs[job->sync_count++] = (struct drm_ncgpu_sync_op){
		.flags = signal | (point ? DRM_NCGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ :
					   DRM_NCGPU_SYNC_OP_HANDLE_TYPE_SYNCOBJ),
		.handle = syncobj,
		.timeline_point = point,
	};
	return 0;
}

NCGPU_PUBLIC int ncgpu_job_add_wait(struct ncgpu_job *job, uint32_t syncobj, uint64_t point)
{
	return job_push_sync(job, syncobj, point, DRM_NCGPU_SYNC_OP_WAIT);
}

NCGPU_PUBLIC int ncgpu_job_add_signal(struct ncgpu_job *job, uint32_t syncobj,
				      uint64_t point)
{
	return job_push_sync(job, syncobj, point, (uint32_t)DRM_NCGPU_SYNC_OP_SIGNAL);
}

static bool range_in_bo(const struct ncgpu_bo *bo, uint64_t offset, uint64_t size)
{
	return bo && offset <= bo->size && size <= bo->size - offset;
}

NCGPU_PUBLIC int ncgpu_job_copy(struct ncgpu_job *job, struct ncgpu_bo *dst, uint64_t dst_offset,
				struct ncgpu_bo *src, uint64_t src_offset, uint64_t size)
{
	struct drm_ncgpu_cmd cmd = {
		.op = DRM_NCGPU_CMD_COPY,
		.dst_offset = dst_offset,
		.src_offset = src_offset,
		.size = size,
	};

	if (!range_in_bo(dst, dst_offset, size) || !range_in_bo(src, src_offset, size) ||
	    dst->dev != src->dev)
		return -EINVAL;
	cmd.dst_handle = dst->handle;
	cmd.src_handle = src->handle;
	return job_push(job, &cmd);
}

NCGPU_PUBLIC int ncgpu_job_fill(struct ncgpu_job *job, struct ncgpu_bo *dst, uint64_t offset,
				uint64_t size, uint64_t value)
{
	struct drm_ncgpu_cmd cmd = {
		.op = DRM_NCGPU_CMD_FILL,
		.dst_offset = offset,
		.size = size,
		.value = value,
	};

	if (!range_in_bo(dst, offset, size))
		return -EINVAL;
	cmd.dst_handle = dst->handle;
	return job_push(job, &cmd);
}

NCGPU_PUBLIC int ncgpu_job_stall(struct ncgpu_job *job, uint64_t usec)
{
	struct drm_ncgpu_cmd cmd = { .op = DRM_NCGPU_CMD_STALL, .value = usec };

	if (usec > DRM_NCGPU_STALL_MAX_US)
		return -EINVAL;
	return job_push(job, &cmd);
}

/* One SUBMIT of @job (NULL: empty) with @in_syncobj and @out_syncobj (0: none). */
static int job_send(struct ncgpu_device *dev, const struct ncgpu_job *job, uint32_t in_syncobj,
		    uint32_t out_syncobj)
{
	static const struct ncgpu_job empty_job;
	struct drm_ncgpu_submit args;
	int ret;

	if (!job)
		job = &empty_job;
	/* A driver without sync ops would not read them, and run the job at once. */
	if (job->sync_count && !dev->info.max_submit_syncs)
		return -EOPNOTSUPP;
	args = (struct drm_ncgpu_submit){
		.cmds = DRM_NCGPU_OBJ_ARRAY(job->count, job->cmds),
		.in_syncobj = in_syncobj,
		.out_syncobj = out_syncobj,
		.syncs = DRM_NCGPU_OBJ_ARRAY(job->sync_count, job->syncs),
	};
	ret = ncgpu_flush_pending(dev);
	if (ret)
		return ret;
	return dev->calls.send_submit(dev, &args);
}

NCGPU_PUBLIC int ncgpu_job_submit(struct ncgpu_device *dev, const struct ncgpu_job *job)
{
	return job_send(dev, job, 0, 0);
}

NCGPU_PUBLIC int ncgpu_submit(struct ncgpu_device *dev, const struct ncgpu_job *job,
			      uint32_t in_syncobj, uint32_t out_syncobj)
{
	return job_send(dev, job, in_syncobj, out_syncobj);
}

NCGPU_PUBLIC int ncgpu_syncobj_create(struct ncgpu_device *dev, uint32_t *handle)
{
	return ncgpu_errno_result(drmSyncobjCreate(dev->fd, 0, handle));
}

NCGPU_PUBLIC int ncgpu_syncobj_destroy(struct ncgpu_device *dev, uint32_t handle)
{
	return ncgpu_errno_result(drmSyncobjDestroy(dev->fd, handle));
}

/*
 * The kernel's waits (drmSyncobjWait(), BO_WAIT) take an absolute
 * CLOCK_MONOTONIC deadline, which a wait restarted after a signal keeps.
 */
int64_t ncgpu_deadline_from_timeout(int64_t timeout_ns)
{
	struct timespec now;
	int64_t now_ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	now_ns = now.tv_sec * NSEC_PER_SEC + now.tv_nsec;
	if (timeout_ns > INT64_MAX - now_ns)
		return INT64_MAX;
	return now_ns + timeout_ns;
}

/* The syncobj ioctls say ETIME where BO_WAIT says ETIMEDOUT. */
static int timedout_as_bo_wait(int ret)
{
	return ret == -ETIME ? -ETIMEDOUT : ret;
}

NCGPU_PUBLIC int ncgpu_syncobj_wait(struct ncgpu_device *dev, uint32_t handle,
				    int64_t timeout_ns)
{
	int ret;

	if (timeout_ns < 0)
		return -EINVAL;
	ret = ncgpu_errno_result(drmSyncobjWait(dev->fd, &handle, 1,
						 ncgpu_deadline_from_timeout(timeout_ns), 0, NULL));
	return timedout_as_bo_wait(ret);
}

NCGPU_PUBLIC int ncgpu_timeline_create(struct ncgpu_device *dev, uint32_t *handle)
{
	return ncgpu_syncobj_create(dev, handle);
}

int ncgpu_kernel_wait_timeline(struct ncgpu_device *dev, uint32_t handle, uint64_t point,
			       int64_t deadline_ns)
{
	/* vkWaitSemaphores also waits for points not submitted yet. */
	return ncgpu_errno_result(drmSyncobjTimelineWait(dev->fd, &handle, &point, 1, deadline_ns,
							 DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
							 NULL));
}

NCGPU_PUBLIC int ncgpu_timeline_wait(struct ncgpu_device *dev, uint32_t handle, uint64_t point,
				     int64_t timeout_ns)
{
	if (timeout_ns < 0)
		return -EINVAL;
	return timedout_as_bo_wait(dev->calls.wait_timeline(dev, handle, point,
							    ncgpu_deadline_from_timeout(timeout_ns)));
}

NCGPU_PUBLIC int ncgpu_timeline_query(struct ncgpu_device *dev, uint32_t handle,
				      uint64_t *point)
{
	return ncgpu_errno_result(drmSyncobjQuery(dev->fd, &handle, point, 1));
}

NCGPU_PUBLIC int ncgpu_timeline_signal(struct ncgpu_device *dev, uint32_t handle,
				       uint64_t point)
{
	return ncgpu_errno_result(drmSyncobjTimelineSignal(dev->fd, &handle, &point, 1));
}
