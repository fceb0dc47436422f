// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * Jobs of the virtual GPU, their submission and the syncobjs that order them.
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
	memset(job, 0, sizeof(*job));
}

static int job_push(struct ncgpu_job *job, const struct drm_ncgpu_cmd *cmd)
{
	struct drm_ncgpu_cmd *cmds;
	uint32_t capacity;

	if (job->count == job->capacity) {
		capacity = job->capacity ? job->capacity * 2 : JOB_INITIAL_CAPACITY;
		cmds = realloc(job->cmds, capacity * sizeof(*cmds));
		if (!cmds)
			return -ENOMEM;
		job->cmds = cmds;
		job->capacity = capacity;
	}
	job->cmds[job->count++] = *cmd;
	return 0;
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

NCGPU_PUBLIC int ncgpu_submit(struct ncgpu_device *dev, const struct ncgpu_job *job,
			      uint32_t in_syncobj, uint32_t out_syncobj)
{
	static const struct ncgpu_job empty_job;
	struct drm_ncgpu_submit args;
	int ret;

	if (!job)
		job = &empty_job;
	args = (struct drm_ncgpu_submit){
		.cmds = DRM_NCGPU_OBJ_ARRAY(job->count, job->cmds),
		.in_syncobj = in_syncobj,
		.out_syncobj = out_syncobj,
	};
	ret = ncgpu_flush_pending(dev);
	if (ret)
		return ret;
	return dev->calls.send_submit(dev, &args);
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

NCGPU_PUBLIC int ncgpu_syncobj_wait(struct ncgpu_device *dev, uint32_t handle,
				    int64_t timeout_ns)
{
	int ret;

	if (timeout_ns < 0)
		return -EINVAL;
	ret = ncgpu_errno_result(drmSyncobjWait(dev->fd, &handle, 1,
						 ncgpu_deadline_from_timeout(timeout_ns), 0, NULL));
	/* The syncobj ioctl says ETIME where BO_WAIT says ETIMEDOUT. */
	return ret == -ETIME ? -ETIMEDOUT : ret;
}
