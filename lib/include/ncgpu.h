/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * libncgpu: what a userspace driver uses to talk to the ncgpu virtual GPU,
 * a DRM device whose memory is not coherent with the CPU cache.
 *
 * Buffers (BOs) are mapped write-combined unless created with
 * DRM_NCGPU_BO_WB_MMAP. Write-back BOs need Vulkan-style maintenance: flush
 * CPU writes before the device reads them (ncgpu_flush_ranges()), and
 * invalidate after the device wrote them, once its job has finished
 * (ncgpu_invalidate_ranges()). Flushes are batched and sent right before the
 * next submit, as Mesa's panvk does.
 *
 * Conventions: functions that can fail return 0 or a negative errno, never
 * abort and never print; ncgpu_strerror() explains the error. A device may be
 * used from several threads at once; one BO or job must not be changed by two
 * threads at the same time.
 */
#ifndef NCGPU_H
#define NCGPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ncgpu_drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/* Marks the functions libncgpu exports; everything else is hidden. */
#define NCGPU_PUBLIC __attribute__((visibility("default")))

/** A range size meaning "up to the end of the BO", as Vulkan's VK_WHOLE_SIZE. */
#define NCGPU_WHOLE_SIZE UINT64_MAX

/** A timeout that never expires, for the wait functions. */
#define NCGPU_TIMEOUT_INFINITE INT64_MAX

struct ncgpu_device;
struct ncgpu_bo;

/**
 * struct ncgpu_device_info - What the device and its driver report.
 * @coherency: DRM_NCGPU_COHERENCY_NONE or DRM_NCGPU_COHERENCY_IO.
 * @emulated: the non-coherence is emulated by the driver, so only BO_SYNC
 *            (never a CPU cache instruction) makes CPU writes reach the
 *            device.
 * @sync_granule: the granule the kernel reported, in bytes (see
 *                ncgpu_noncoherent_atom_size() for the value to use).
 * @max_sync_ops: most sync operations the kernel takes in one call.
 * @max_bo_size: largest BO size ncgpu_bo_create() accepts, in bytes.
 * @max_cmds: most commands one job may hold.
 * @max_submit_syncs: most waits and signals one job may hold; 0 when the
 *                    driver has none (before driver minor 2).
 * @version_major: DRM driver major version.
 * @version_minor: DRM driver minor version.
 * @version_patchlevel: DRM driver patch level.
 */
struct ncgpu_device_info {
	uint32_t coherency;
	bool emulated;
	uint32_t sync_granule;
	uint32_t max_sync_ops;
	uint64_t max_bo_size;
	uint32_t max_cmds;
	uint32_t max_submit_syncs;
	int version_major;
	int version_minor;
	int version_patchlevel;
};

/**
 * enum ncgpu_sync_backend - How CPU cache maintenance is carried out.
 * @NCGPU_SYNC_BACKEND_KERNEL: batched DRM_IOCTL_NCGPU_BO_SYNC calls.
 * @NCGPU_SYNC_BACKEND_CPU: cache instructions issued by this process
 *                          (x86-64 clflushopt/clflush, arm64 DC CVAC/CIVAC).
 */
enum ncgpu_sync_backend {
	NCGPU_SYNC_BACKEND_KERNEL = 0,
	NCGPU_SYNC_BACKEND_CPU = 1,
};

/**
 * struct ncgpu_range - A byte range of a BO, as VkMappedMemoryRange.
 * @bo: the BO.
 * @offset: first byte of the range.
 * @size: length in bytes, or NCGPU_WHOLE_SIZE for "up to the end of the BO".
 */
struct ncgpu_range {
	struct ncgpu_bo *bo;
	uint64_t offset;
	uint64_t size;
};

/**
 * struct ncgpu_job - A job being built: device commands, and the syncobjs
 * it waits on and signals.
 *
 * Fill it with ncgpu_job_init(), the ncgpu_job_*() command functions and
 * ncgpu_job_add_wait() / ncgpu_job_add_signal(); the members are private to
 * the library.
 */
struct ncgpu_job {
	struct drm_ncgpu_cmd *cmds;
	uint32_t count;
	uint32_t capacity;
	struct drm_ncgpu_sync_op *syncs;
	uint32_t sync_count;
	uint32_t sync_capacity;
};

/* Device */

/**
 * ncgpu_device_open() - Open an ncgpu device.
 * @out: receives the device on success.
 * @path: DRM node to open, or NULL for the first render node whose driver
 *        is "ncgpu".
 *
 * Picks the sync backend: CPU cache instructions when the device is
 * non-coherent and not emulated, BO_SYNC otherwise.
 *
 * Return: 0; -ENODEV when no ncgpu device is found or @path is not one; the
 * error of open() (-ENOENT, -EACCES, ...); -ENOMEM.
 */
NCGPU_PUBLIC int ncgpu_device_open(struct ncgpu_device **out, const char *path);

/**
 * ncgpu_device_close() - Close a device.
 * @dev: the device, or NULL (nothing is done).
 *
 * Pending flushes are dropped. Every BO of the device must be closed first.
 */
NCGPU_PUBLIC void ncgpu_device_close(struct ncgpu_device *dev);

/**
 * ncgpu_device_info() - Get what the device reported when it was opened.
 * @dev: the device.
 * @info: receives the information.
 */
NCGPU_PUBLIC void ncgpu_device_info(const struct ncgpu_device *dev,
				    struct ncgpu_device_info *info);

/**
 * ncgpu_device_fd() - Get the DRM file descriptor of a device.
 * @dev: the device.
 *
 * The descriptor stays owned by @dev; for example, pass it to libdrm.
 *
 * Return: the file descriptor.
 */
NCGPU_PUBLIC int ncgpu_device_fd(const struct ncgpu_device *dev);

/**
 * ncgpu_noncoherent_atom_size() - Get the granule of cache maintenance.
 * @dev: the device.
 *
 * Flush and invalidate ranges are widened to it. Report it as Vulkan's
 * nonCoherentAtomSize.
 *
 * Return: the device's sync granule in bytes, or 64 if the kernel reported
 * 0; never 0.
 */
NCGPU_PUBLIC uint64_t ncgpu_noncoherent_atom_size(const struct ncgpu_device *dev);

/**
 * ncgpu_device_set_sync_backend() - Force how cache maintenance is done.
 * @dev: the device.
 * @backend: the backend to use from now on.
 *
 * Pending flushes are sent first. Forcing the CPU backend on an emulated
 * device is allowed, for tests and benchmarks, but its flushes then do not
 * reach the device.
 *
 * Return: 0; -EINVAL for an unknown backend; -EOPNOTSUPP for the CPU backend
 * on a CPU architecture without user cache instructions; an error of
 * sending the pending flushes.
 */
NCGPU_PUBLIC int ncgpu_device_set_sync_backend(struct ncgpu_device *dev,
					       enum ncgpu_sync_backend backend);

/**
 * ncgpu_device_get_sync_backend() - Get the backend in use.
 * @dev: the device.
 *
 * Return: the backend that carries out cache maintenance.
 */
NCGPU_PUBLIC enum ncgpu_sync_backend
ncgpu_device_get_sync_backend(const struct ncgpu_device *dev);

/* Buffer objects */

/**
 * ncgpu_bo_create() - Create a BO.
 * @dev: the device.
 * @size: size in bytes, more than 0; rounded up to the page size.
 * @flags: DRM_NCGPU_BO_NO_MMAP, DRM_NCGPU_BO_WB_MMAP or 0 (write-combined).
 * @out: receives the BO on success.
 *
 * Return: 0; -EINVAL for size 0, unknown flags or NO_MMAP with WB_MMAP;
 * -E2BIG above the device's max_bo_size; -ENOMEM.
 */
NCGPU_PUBLIC int ncgpu_bo_create(struct ncgpu_device *dev, uint64_t size, uint32_t flags,
				 struct ncgpu_bo **out);

/**
 * ncgpu_bo_import() - Import a dma-buf as a BO.
 * @dev: the device.
 * @dmabuf_fd: the dma-buf; it stays owned by the caller.
 * @out: receives the BO on success.
 *
 * Importing a buffer this device already has (for example its own export)
 * returns the same BO with one more reference; each import needs its own
 * ncgpu_bo_close(). Buffers of other drivers are flagged imported: they are
 * never cache-maintained by this library and cannot be mapped through it.
 *
 * Return: 0; -EBADF or -EINVAL for a bad @dmabuf_fd; -ENOMEM.
 */
NCGPU_PUBLIC int ncgpu_bo_import(struct ncgpu_device *dev, int dmabuf_fd,
				 struct ncgpu_bo **out);

/**
 * ncgpu_bo_export() - Export a BO as a dma-buf.
 * @bo: the BO.
 * @dmabuf_fd: receives a new close-on-exec, read-write dma-buf descriptor.
 *
 * Return: 0; -EINVAL for a write-back BO on a non-coherent device (only
 * write-combined buffers are shared); -EMFILE.
 */
NCGPU_PUBLIC int ncgpu_bo_export(struct ncgpu_bo *bo, int *dmabuf_fd);

/**
 * ncgpu_bo_close() - Drop a reference to a BO; the last one frees it.
 * @bo: the BO, or NULL (nothing is done).
 *
 * Its mapping is unmapped and its pending flushes are dropped: once no
 * later job can use the buffer, they have no reader.
 *
 * Return: 0, or the error of closing the GEM handle.
 */
NCGPU_PUBLIC int ncgpu_bo_close(struct ncgpu_bo *bo);

/**
 * ncgpu_bo_map() - Map a whole BO into the CPU's address space.
 * @bo: the BO.
 * @ptr: receives the address of the first byte.
 *
 * The mapping is shared and read-write. Mapping a mapped BO returns the same
 * address.
 *
 * Return: 0; -EPERM for a NO_MMAP BO; -EINVAL for a BO imported from
 * another driver; the error of mmap().
 */
NCGPU_PUBLIC int ncgpu_bo_map(struct ncgpu_bo *bo, void **ptr);

/**
 * ncgpu_bo_unmap() - Remove the CPU mapping of a BO.
 * @bo: the BO; nothing is done if it is not mapped.
 *
 * Return: 0, or the error of munmap().
 */
NCGPU_PUBLIC int ncgpu_bo_unmap(struct ncgpu_bo *bo);

/**
 * ncgpu_bo_size() - Get the size of a BO.
 * @bo: the BO.
 *
 * Return: the size in bytes, after the kernel's rounding.
 */
NCGPU_PUBLIC uint64_t ncgpu_bo_size(const struct ncgpu_bo *bo);

/**
 * ncgpu_bo_handle() - Get the GEM handle of a BO.
 * @bo: the BO.
 *
 * Return: the handle, valid on ncgpu_device_fd() of the BO's device.
 */
NCGPU_PUBLIC uint32_t ncgpu_bo_handle(const struct ncgpu_bo *bo);

/**
 * ncgpu_bo_is_cached() - Tell whether CPU mappings of a BO are write-back.
 * @bo: the BO.
 *
 * Return: true for write-back cached mappings, false for write-combined.
 */
NCGPU_PUBLIC bool ncgpu_bo_is_cached(const struct ncgpu_bo *bo);

/**
 * ncgpu_bo_is_imported() - Tell whether a BO comes from another driver.
 * @bo: the BO.
 *
 * Return: true for another driver's dma-buf; false for ncgpu's own buffers,
 * including re-imports of their exports.
 */
NCGPU_PUBLIC bool ncgpu_bo_is_imported(const struct ncgpu_bo *bo);

/**
 * ncgpu_bo_wait() - Wait until no device job uses a BO any more.
 * @bo: the BO.
 * @timeout_ns: relative timeout; 0 polls; NCGPU_TIMEOUT_INFINITE waits
 *              for ever.
 *
 * The wait ends @timeout_ns after the call, however often signals
 * interrupt it: the kernel is given the deadline, not the duration.
 *
 * Return: 0 when idle; -ETIMEDOUT when the timeout passed; -EBUSY when
 * polling a busy BO; -EINVAL for a negative timeout.
 */
NCGPU_PUBLIC int ncgpu_bo_wait(struct ncgpu_bo *bo, int64_t timeout_ns);

/* Cache maintenance */

/**
 * ncgpu_flush_ranges() - Make CPU writes to ranges visible to the device.
 * @dev: the device of every BO in @ranges.
 * @ranges: the ranges, as vkFlushMappedMemoryRanges.
 * @count: number of ranges; 0 does nothing.
 *
 * Each range is widened to the atom (offset rounded down, end rounded up,
 * clipped to the BO's size). Write-combined BOs, imported BOs and BOs of an
 * IO-coherent device need nothing and are skipped. With the kernel backend
 * the flushes are queued and sent in one call right before the next
 * ncgpu_submit(), on ncgpu_flush_pending(), or as soon as the queue holds
 * max_sync_ops of them; with the CPU backend they run at once.
 *
 * Return: 0; -EINVAL when a range ends beyond its BO, a BO is NULL or of
 * another device (checked before anything is queued); -ENOMEM; the error of
 * a send that a full queue triggered (the queue is then emptied).
 */
NCGPU_PUBLIC int ncgpu_flush_ranges(struct ncgpu_device *dev, const struct ncgpu_range *ranges,
				    uint32_t count);

/**
 * ncgpu_invalidate_ranges() - Make device writes to ranges visible to the CPU.
 * @dev: the device of every BO in @ranges.
 * @ranges: the ranges, as vkInvalidateMappedMemoryRanges.
 * @count: number of ranges; 0 does nothing.
 *
 * Call it after the jobs writing the ranges have finished. Ranges are widened
 * and skipped as for ncgpu_flush_ranges(). Every granule is written back
 * before it is dropped (there is no invalidate-only operation), so CPU writes
 * in the granules are kept. Pending flushes are sent first; the call returns
 * once the maintenance is done.
 *
 * Return: 0; -EINVAL as ncgpu_flush_ranges(); -ENOMEM; the error of the
 * kernel call (the queue is then emptied).
 */
NCGPU_PUBLIC int ncgpu_invalidate_ranges(struct ncgpu_device *dev,
					 const struct ncgpu_range *ranges, uint32_t count);

/**
 * ncgpu_flush_pending() - Send the queued flushes now.
 * @dev: the device.
 *
 * Return: 0 (also when nothing was queued), or the error of the kernel call;
 * the queue is emptied either way.
 */
NCGPU_PUBLIC int ncgpu_flush_pending(struct ncgpu_device *dev);

/**
 * ncgpu_cpu_flush_range() - Write back CPU cache lines to memory.
 * @ptr: first byte.
 * @size: length in bytes; the lines that intersect the range are written back.
 *
 * Uses clflushopt (or clflush) between two mfences on x86-64, DC CVAC then
 * DSB SY on arm64. Does not reach an emulated ncgpu device; exported for
 * benchmarks and for drivers of real non-coherent hardware.
 *
 * Return: 0, or -EOPNOTSUPP on other CPU architectures.
 */
NCGPU_PUBLIC int ncgpu_cpu_flush_range(void *ptr, size_t size);

/**
 * ncgpu_cpu_flush_invalidate_range() - Write back, then drop CPU cache lines.
 * @ptr: first byte.
 * @size: length in bytes; the lines that intersect the range are maintained.
 *
 * Uses DC CIVAC then DSB SY on arm64; on x86-64 a flush already drops the
 * lines.
 *
 * Return: 0, or -EOPNOTSUPP on other CPU architectures.
 */
NCGPU_PUBLIC int ncgpu_cpu_flush_invalidate_range(void *ptr, size_t size);

/**
 * ncgpu_cpu_cache_line_size() - Get the step of the CPU cache functions.
 *
 * Return: the smallest data cache line in bytes (CPUID on x86-64, CTR_EL0
 * DminLine on arm64), or 0 on other CPU architectures.
 */
NCGPU_PUBLIC size_t ncgpu_cpu_cache_line_size(void);

/* Jobs */

/**
 * ncgpu_job_init() - Start an empty job.
 * @job: the job to initialize.
 */
NCGPU_PUBLIC void ncgpu_job_init(struct ncgpu_job *job);

/**
 * ncgpu_job_fini() - Free the memory of a job.
 * @job: the job; it may be initialized again afterwards.
 */
NCGPU_PUBLIC void ncgpu_job_fini(struct ncgpu_job *job);

/**
 * ncgpu_job_copy() - Add a device copy to a job.
 * @job: the job.
 * @dst: destination BO.
 * @dst_offset: first destination byte.
 * @src: source BO.
 * @src_offset: first source byte.
 * @size: bytes to copy; 0 is a valid no-op.
 *
 * Return: 0; -EINVAL for a NULL BO, BOs of two devices or a range beyond its
 * BO; -ENOMEM.
 */
NCGPU_PUBLIC int ncgpu_job_copy(struct ncgpu_job *job, struct ncgpu_bo *dst, uint64_t dst_offset,
				struct ncgpu_bo *src, uint64_t src_offset, uint64_t size);

/**
 * ncgpu_job_fill() - Add a device fill to a job.
 * @job: the job.
 * @dst: destination BO.
 * @offset: first byte to write.
 * @size: bytes to write; 0 is a valid no-op.
 * @value: pattern; byte i of the range gets byte (i % 8) of @value in
 *         little-endian order.
 *
 * Return: 0; -EINVAL for a NULL BO or a range beyond it; -ENOMEM.
 */
NCGPU_PUBLIC int ncgpu_job_fill(struct ncgpu_job *job, struct ncgpu_bo *dst, uint64_t offset,
				uint64_t size, uint64_t value);

/**
 * ncgpu_job_stall() - Add a pause to a job.
 * @job: the job.
 * @usec: microseconds the device stays busy, at most DRM_NCGPU_STALL_MAX_US.
 *
 * Return: 0; -EINVAL above the maximum; -ENOMEM.
 */
NCGPU_PUBLIC int ncgpu_job_stall(struct ncgpu_job *job, uint64_t usec);

/**
 * ncgpu_job_add_wait() - Make a job wait for a binary syncobj or a timeline point.
 * @job: the job.
 * @syncobj: the syncobj handle.
 * @point: the point of a timeline syncobj, at least 1; 0 for a binary one.
 *
 * The job runs once the fence has signalled, as after a Vulkan wait
 * semaphore. The fence is looked up when the job is submitted, and must be
 * there by then: a point that no submit (or ncgpu_timeline_signal()) has
 * given a fence yet makes the submit fail with -EINVAL.
 *
 * Return: 0; -EINVAL for handle 0; -ENOMEM.
 */
NCGPU_PUBLIC int ncgpu_job_add_wait(struct ncgpu_job *job, uint32_t syncobj, uint64_t point);

/**
 * ncgpu_job_add_signal() - Make a job signal a binary syncobj or a timeline point.
 * @job: the job.
 * @syncobj: the syncobj handle.
 * @point: the point of a timeline syncobj, at least 1; 0 for a binary one.
 *
 * When the job is submitted, a binary syncobj's fence is replaced by the
 * job's; a timeline gets the job's fence at @point, which signals once the
 * job and every earlier point are done, as a Vulkan signal semaphore. A
 * syncobj that the job also waits for is waited for as it was before the
 * submit.
 *
 * Return: 0; -EINVAL for handle 0; -ENOMEM.
 */
NCGPU_PUBLIC int ncgpu_job_add_signal(struct ncgpu_job *job, uint32_t syncobj,
				      uint64_t point);

/**
 * ncgpu_job_submit() - Queue a job, with its waits and signals, on the device.
 * @dev: the device.
 * @job: the job, or NULL for an empty job without waits or signals.
 *
 * One SUBMIT: pending flushes are sent first, so the job sees every range
 * flushed before. It returns without waiting for the job. If it fails, no
 * syncobj has changed and nothing runs. The job stays owned by the caller
 * and may be submitted again (a timeline point then gets a second fence).
 *
 * Return: 0; -ENOENT for a bad BO or syncobj handle; -EINVAL for a bad
 * command, a job above max_cmds or max_submit_syncs, or a wait for a fence
 * that is not there yet; -EOPNOTSUPP for waits or signals on a driver
 * without them; the error of sending the pending flushes.
 */
NCGPU_PUBLIC int ncgpu_job_submit(struct ncgpu_device *dev, const struct ncgpu_job *job);

/**
 * ncgpu_submit() - Queue a job on the device, with one more wait and signal.
 * @dev: the device.
 * @job: the job, or NULL for an empty job.
 * @in_syncobj: binary syncobj whose fence the job waits for, or 0.
 * @out_syncobj: binary syncobj that receives the job's fence, or 0.
 *
 * ncgpu_job_submit() of @job, which also waits for @in_syncobj and signals
 * @out_syncobj.
 *
 * Return: as ncgpu_job_submit(); -EINVAL also for an @in_syncobj without a
 * fence.
 */
NCGPU_PUBLIC int ncgpu_submit(struct ncgpu_device *dev, const struct ncgpu_job *job,
			      uint32_t in_syncobj, uint32_t out_syncobj);

/* Syncobjs */

/**
 * ncgpu_syncobj_create() - Create a DRM syncobj without a fence.
 * @dev: the device.
 * @handle: receives the syncobj handle.
 *
 * Return: 0, or -ENOMEM.
 */
NCGPU_PUBLIC int ncgpu_syncobj_create(struct ncgpu_device *dev, uint32_t *handle);

/**
 * ncgpu_syncobj_destroy() - Destroy a DRM syncobj.
 * @dev: the device.
 * @handle: the syncobj.
 *
 * Return: 0, or -EINVAL for a bad handle.
 */
NCGPU_PUBLIC int ncgpu_syncobj_destroy(struct ncgpu_device *dev, uint32_t handle);

/**
 * ncgpu_timeline_create() - Create a timeline syncobj, as a Vulkan timeline semaphore.
 * @dev: the device.
 * @handle: receives the syncobj handle; its last signalled point is 0.
 *
 * A DRM syncobj is a timeline once points are added to it; destroy it with
 * ncgpu_syncobj_destroy().
 *
 * Return: 0, or -ENOMEM.
 */
NCGPU_PUBLIC int ncgpu_timeline_create(struct ncgpu_device *dev, uint32_t *handle);

/**
 * ncgpu_timeline_wait() - Wait for a point of a timeline to signal.
 * @dev: the device.
 * @handle: the timeline syncobj.
 * @point: the point.
 * @timeout_ns: relative timeout; 0 polls; NCGPU_TIMEOUT_INFINITE waits for
 *              ever.
 *
 * As vkWaitSemaphores, it also waits for a point that no job has been
 * submitted for yet. The wait ends @timeout_ns after the call, however
 * often signals interrupt it.
 *
 * Return: 0 when the point has signalled; -ETIMEDOUT when the timeout
 * passed; -EINVAL for a negative timeout; -ENOENT for a bad handle;
 * -EOPNOTSUPP on a driver without timelines.
 */
NCGPU_PUBLIC int ncgpu_timeline_wait(struct ncgpu_device *dev, uint32_t handle, uint64_t point,
				     int64_t timeout_ns);

/**
 * ncgpu_timeline_query() - Get the last signalled point of a timeline.
 * @dev: the device.
 * @handle: the timeline syncobj.
 * @point: receives the point, as vkGetSemaphoreCounterValue.
 *
 * Return: 0; -ENOENT for a bad handle; -EOPNOTSUPP on a driver without
 * timelines.
 */
NCGPU_PUBLIC int ncgpu_timeline_query(struct ncgpu_device *dev, uint32_t handle,
				      uint64_t *point);

/**
 * ncgpu_timeline_signal() - Signal a point of a timeline from the CPU.
 * @dev: the device.
 * @handle: the timeline syncobj.
 * @point: the point, which should be above every point the timeline has.
 *
 * As vkSignalSemaphore: jobs and waits for @point (or an earlier one) go on.
 *
 * Return: 0; -ENOENT for a bad handle; -ENOMEM; -EOPNOTSUPP on a driver
 * without timelines.
 */
NCGPU_PUBLIC int ncgpu_timeline_signal(struct ncgpu_device *dev, uint32_t handle,
				       uint64_t point);

/**
 * ncgpu_syncobj_wait() - Wait for the fence of a syncobj to signal.
 * @dev: the device.
 * @handle: the syncobj.
 * @timeout_ns: relative timeout; 0 polls; NCGPU_TIMEOUT_INFINITE waits for
 *              ever.
 *
 * Return: 0 when signalled; -ETIMEDOUT when the timeout passed; -EINVAL for
 * a negative timeout or a syncobj that holds no fence yet; -ENOENT for a bad
 * handle.
 */
NCGPU_PUBLIC int ncgpu_syncobj_wait(struct ncgpu_device *dev, uint32_t handle,
				    int64_t timeout_ns);

/* Errors */

/**
 * ncgpu_strerror() - Explain an error returned by this library.
 * @err: a negative errno (a positive one is accepted too).
 *
 * Return: a static sentence, never NULL.
 */
NCGPU_PUBLIC const char *ncgpu_strerror(int err);

#if defined(__cplusplus)
}
#endif

#endif /* NCGPU_H */
