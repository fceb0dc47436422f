/* SPDX-License-Identifier: MIT */
/*
 * Test helpers for syncobjs: SUBMIT's sync ops, DRM core's timeline ioctls,
 * and syncobjs shared between DRM files. Every wrapper returns 0 or -errno
 * and never asserts.
 */
#ifndef NCGPU_SYNC_TEST_H
#define NCGPU_SYNC_TEST_H

#include <stdint.h>
#include <unistd.h>

#include "ncgpu_test.h"

/* A wait op; @point 0 waits on a binary syncobj, else on a timeline point. */
static inline struct drm_ncgpu_sync_op ncgpu_wait_op(uint32_t handle, uint64_t point)
{
	struct drm_ncgpu_sync_op op = {
		.flags = point ? DRM_NCGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ :
				 DRM_NCGPU_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
		.handle = handle,
		.timeline_point = point,
	};

	return op;
}

/* A signal op; @point 0 signals a binary syncobj, else a timeline point. */
static inline struct drm_ncgpu_sync_op ncgpu_signal_op(uint32_t handle, uint64_t point)
{
	struct drm_ncgpu_sync_op op = ncgpu_wait_op(handle, point);

	op.flags |= (uint32_t)DRM_NCGPU_SYNC_OP_SIGNAL;
	return op;
}

/* SUBMIT of @cmds with an in and an out syncobj (0: none) and the sync ops @ops. */
static inline int ncgpu_submit_all(int fd, const struct drm_ncgpu_cmd *cmds, uint32_t count,
				   uint32_t in_syncobj, uint32_t out_syncobj,
				   const struct drm_ncgpu_sync_op *ops, uint32_t nops)
{
	struct drm_ncgpu_submit s = {
		.cmds = { .stride = sizeof(*cmds), .count = count, .array = (uintptr_t)cmds },
		.in_syncobj = in_syncobj,
		.out_syncobj = out_syncobj,
		.syncs = { .stride = sizeof(*ops), .count = nops, .array = (uintptr_t)ops },
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_SUBMIT, &s);
}

/* SUBMIT of @cmds with the sync ops @ops and no in or out syncobj. */
static inline int ncgpu_submit_syncs(int fd, const struct drm_ncgpu_cmd *cmds, uint32_t count,
				     const struct drm_ncgpu_sync_op *ops, uint32_t nops)
{
	return ncgpu_submit_all(fd, cmds, count, 0, 0, ops, nops);
}

/*
 * TIMELINE_WAIT for point @point of @handle with @flags
 * (DRM_SYNCOBJ_WAIT_FLAGS_*), until @rel_ns from now; 0 polls.
 */
static inline int __syncobj_timeline_wait_flags(int fd, uint32_t handle, uint64_t point,
					    int64_t rel_ns, uint32_t flags)
{
	struct drm_syncobj_timeline_wait w = {
		.handles = (uintptr_t)&handle,
		.points = (uintptr_t)&point,
		.timeout_nsec = ncgpu_now_ns() + rel_ns,
		.count_handles = 1,
		.flags = flags,
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &w);
}

/* Waits up to @rel_ns for a point that has been submitted (-EINVAL if not). */
static inline int __syncobj_timeline_wait(int fd, uint32_t handle, uint64_t point, int64_t rel_ns)
{
	return __syncobj_timeline_wait_flags(fd, handle, point, rel_ns, 0);
}

/* The last signalled point of a timeline, in *@point. */
static inline int __syncobj_query(int fd, uint32_t handle, uint64_t *point)
{
	struct drm_syncobj_timeline_array q = {
		.handles = (uintptr_t)&handle,
		.points = (uintptr_t)point,
		.count_handles = 1,
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_QUERY, &q);
}

/* Signals point @point of a timeline from the CPU. */
static inline int __syncobj_timeline_signal(int fd, uint32_t handle, uint64_t point)
{
	struct drm_syncobj_timeline_array s = {
		.handles = (uintptr_t)&handle,
		.points = (uintptr_t)&point,
		.count_handles = 1,
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &s);
}

/* Copies the fence at @src_point of @src to @dst_point of @dst (0: binary). */
static inline int __syncobj_transfer(int fd, uint32_t dst, uint64_t dst_point, uint32_t src,
					 uint64_t src_point)
{
	struct drm_syncobj_transfer t = {
		.src_handle = src,
		.dst_handle = dst,
		.src_point = src_point,
		.dst_point = dst_point,
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &t);
}

/* Gives the syncobj @handle of @fd a handle in the DRM file @to_fd, *@to_handle. */
static inline int ncgpu_syncobj_share(int fd, uint32_t handle, int to_fd, uint32_t *to_handle)
{
	struct drm_syncobj_handle export = { .handle = handle };
	struct drm_syncobj_handle import = { 0 };
	int ret = ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &export);

	if (ret)
		return ret;
	import.fd = export.fd;
	ret = ncgpu_ioctl(to_fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &import);
	close(export.fd);
	if (!ret)
		*to_handle = import.handle;
	return ret;
}

/* Gives the BO @handle of @fd a handle in the DRM file @to_fd, through PRIME. */
static inline int ncgpu_bo_share(int fd, uint32_t handle, int to_fd, uint32_t *to_handle)
{
	int dmabuf, ret = __prime_handle_to_fd(fd, handle, &dmabuf);

	if (ret)
		return ret;
	ret = __prime_fd_to_handle(to_fd, dmabuf, to_handle);
	close(dmabuf);
	return ret;
}

#endif /* NCGPU_SYNC_TEST_H */
