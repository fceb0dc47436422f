/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The ncgpu authors
 */
#ifndef _NCGPU_DRM_H_
#define _NCGPU_DRM_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/**
 * DOC: Introduction
 *
 * ncgpu is a virtual GPU whose memory is not coherent with the CPU cache.
 * Buffer objects (BOs) are CPU-mapped write-combined by default; a BO created
 * with %DRM_NCGPU_BO_WB_MMAP is mapped write-back cached and userspace keeps it
 * coherent with exact-range cache maintenance (%DRM_IOCTL_NCGPU_BO_SYNC).
 *
 * ABI rules:
 *
 * - Structures use only __u32, __u64 and __s64 fields, are naturally
 *   aligned, have a size that is a multiple of 8 bytes and no implicit
 *   padding. Pointers are passed as __u64.
 * - Fields documented "MBZ" must be zero on input, else the ioctl fails with
 *   -EINVAL.
 * - Arrays are passed as &struct drm_ncgpu_obj_array. An element stride
 *   smaller than the element's minimum size is rejected with -EINVAL; a larger
 *   stride is accepted when the extra tail bytes of every element are zero,
 *   else -E2BIG. A stride above 4096 bytes is rejected with -E2BIG.
 * - Ioctl ids are append-only. New fields are added at the end of a struct or
 *   in place of padding, and must keep the old behaviour when zero. Every
 *   addition comes with a driver minor version bump.
 * - Nothing is ever renumbered or removed.
 */

/**
 * DOC: Checks and errors
 *
 * Every ioctl checks its arguments in the order given here, before it acts,
 * and fails with the first error found. This list is the one place where
 * the errnos of the ioctls are written; the kernel's code and the tests
 * refer to it. Any ioctl also returns -EFAULT for an argument it cannot read
 * or write, and -ENOMEM when memory runs out (a memory cgroup's limit
 * included).
 *
 * DEV_QUERY:
 *
 * 1. Unknown @type: -EINVAL, also when @pointer is 0.
 * 2. @pointer 0: the answer's size is written to @size; 0.
 * 3. @size below 16: -EINVAL.
 * 4. Unwritable @pointer: -EFAULT.
 *
 * BO_CREATE:
 *
 * 1. @size 0, an unknown flag, or %DRM_NCGPU_BO_NO_MMAP with
 *    %DRM_NCGPU_BO_WB_MMAP: -EINVAL.
 * 2. @size above &drm_ncgpu_dev_info.max_bo_size: -E2BIG.
 *
 * BO_MMAP_OFFSET, and mmap() of the DRM file:
 *
 * 1. Non-zero @pad: -EINVAL.
 * 2. Bad @handle: -ENOENT.
 * 3. A BO created with %DRM_NCGPU_BO_NO_MMAP: -EPERM.
 * 4. A BO imported from another driver's dma-buf: -EINVAL.
 *
 * mmap() refuses the BOs of steps 3 and 4 with the same errors, through any
 * offset.
 *
 * BO_QUERY_INFO:
 *
 * 1. Bad @handle: -ENOENT.
 *
 * BO_SYNC: the @ops array as &struct drm_ncgpu_obj_array (cap
 * &drm_ncgpu_dev_info.max_sync_ops), then each op in array order, the first
 * failing op stopping the call (the ops before it stay done):
 *
 * 1. Bad handle: -ENOENT.
 * 2. offset + size wraps or exceeds the BO's size: -EINVAL.
 * 3. A BO imported from another driver's dma-buf: -EINVAL.
 * 4. Unknown type: -EINVAL.
 * 5. A write-combined (or NO_MMAP) BO, or an IO-coherent device: 0, nothing
 *    done.
 * 6. size 0: 0, nothing done.
 * 7. Maintenance of exactly the granules that intersect the range.
 *
 * SUBMIT, all of it before anything runs:
 *
 * 1. Non-zero @flags or @pad: -EINVAL.
 * 2. The @cmds array as &struct drm_ncgpu_obj_array (cap
 *    &drm_ncgpu_dev_info.max_cmds).
 * 3. Each command in order: unknown op, non-zero flags or MBZ fields, a
 *    STALL above %DRM_NCGPU_STALL_MAX_US: -EINVAL; a bad BO handle:
 *    -ENOENT; a range that wraps or exceeds its BO, or a COPY whose ranges
 *    overlap in one BO: -EINVAL.
 * 4. Bad @in_syncobj or @out_syncobj: -ENOENT; an @in_syncobj that holds no
 *    fence: -EINVAL.
 * 5. The @syncs array as &struct drm_ncgpu_obj_array (cap
 *    &drm_ncgpu_dev_info.max_submit_syncs).
 * 6. Each sync op in order: unknown flags or type, a timeline_point that is
 *    not 0 for a binary syncobj or is 0 for a timeline: -EINVAL; a bad
 *    handle: -ENOENT; a wait op whose syncobj or point holds no fence yet:
 *    -EINVAL.
 *
 * Then SUBMIT may wait, interruptibly, for one of the file's
 * max_queued_jobs slots.
 *
 * BO_WAIT:
 *
 * 1. Non-zero @pad or negative @timeout_ns: -EINVAL.
 * 2. Bad @handle: -ENOENT.
 * 3. An idle BO: 0. A busy BO: -EBUSY when polling (@timeout_ns 0),
 *    -ETIMEDOUT once the deadline has passed.
 *
 * A call interrupted by a signal restarts (-ERESTARTSYS) with its arguments
 * unchanged; so BO_WAIT keeps its deadline.
 */

/**
 * enum drm_ncgpu_ioctl_id - ioctl identifiers
 *
 * Place new ioctls at the end, never re-order.
 */
enum drm_ncgpu_ioctl_id {
	/** @DRM_NCGPU_DEV_QUERY: Query device information. */
	DRM_NCGPU_DEV_QUERY = 0,

	/** @DRM_NCGPU_BO_CREATE: Create a buffer object. */
	DRM_NCGPU_BO_CREATE,

	/** @DRM_NCGPU_BO_MMAP_OFFSET: Get the fake offset to mmap a BO. */
	DRM_NCGPU_BO_MMAP_OFFSET,

	/** @DRM_NCGPU_BO_QUERY_INFO: Query the flags of a BO. */
	DRM_NCGPU_BO_QUERY_INFO,

	/** @DRM_NCGPU_BO_SYNC: CPU cache maintenance on exact BO ranges. */
	DRM_NCGPU_BO_SYNC,

	/** @DRM_NCGPU_SUBMIT: Queue a job on the virtual GPU. */
	DRM_NCGPU_SUBMIT,

	/** @DRM_NCGPU_BO_WAIT: Wait for the device jobs using a BO. */
	DRM_NCGPU_BO_WAIT,
};

/**
 * struct drm_ncgpu_obj_array - Object array.
 *
 * A user array of @count elements of @stride bytes each, at @array.
 *
 * Checked in this order:
 *
 * 1. @count is 0: a valid empty array; nothing else is examined.
 * 2. @stride smaller than the element's minimum size: -EINVAL.
 * 3. @count above the per-use cap: -EINVAL.
 * 4. @stride above 4096: -E2BIG, before any element is read (as openat2()
 *    and clone3() cap their size arguments). So one array makes the kernel
 *    read at most 4096 times its cap bytes.
 * 5. The elements, in array order: unreadable memory gives -EFAULT, a
 *    non-zero byte beyond the kernel's element size gives -E2BIG.
 *
 * Copying an array stops early when the calling process has been killed.
 */
struct drm_ncgpu_obj_array {
	/**
	 * @stride: Size of one element in bytes, at most 4096.
	 *
	 * Smaller than the element's minimum size: -EINVAL. Larger than the
	 * kernel's element size: the extra tail of each element must be zero,
	 * else -E2BIG. Above 4096: -E2BIG.
	 */
	__u32 stride;

	/**
	 * @count: Number of elements.
	 *
	 * Zero is a valid empty array; @stride and @array are then not
	 * examined. Above the per-use cap: -EINVAL.
	 */
	__u32 count;

	/** @array: User pointer to the first element. */
	__u64 array;
};

/**
 * DRM_NCGPU_OBJ_ARRAY() - Initialize a &struct drm_ncgpu_obj_array.
 * @cnt: Number of elements.
 * @ptr: Pointer to the first element.
 */
#define DRM_NCGPU_OBJ_ARRAY(cnt, ptr) \
	{ .stride = sizeof((ptr)[0]), .count = (cnt), .array = (__u64)(uintptr_t)(ptr) }

/**
 * enum drm_ncgpu_dev_query_type - Device query types.
 */
enum drm_ncgpu_dev_query_type {
	/** @DRM_NCGPU_DEV_QUERY_INFO: Answer is a &struct drm_ncgpu_dev_info. */
	DRM_NCGPU_DEV_QUERY_INFO = 0,
};

/**
 * struct drm_ncgpu_dev_query - Arguments of %DRM_IOCTL_NCGPU_DEV_QUERY.
 *
 * Checks and errors: see DOC: Checks and errors.
 */
struct drm_ncgpu_dev_query {
	/** @type: One of &enum drm_ncgpu_dev_query_type. */
	__u32 type;

	/**
	 * @size: Size of the buffer at @pointer, in bytes.
	 *
	 * When @pointer is 0, the kernel writes the size of the answer here.
	 * Otherwise the kernel copies min(@size, its size) bytes and
	 * zero-fills the rest.
	 */
	__u32 size;

	/** @pointer: User pointer to the answer buffer, or 0 to query the size. */
	__u64 pointer;
};

/**
 * enum drm_ncgpu_coherency - Coherency between the device and the CPU cache.
 */
enum drm_ncgpu_coherency {
	/**
	 * @DRM_NCGPU_COHERENCY_NONE: The device does not snoop CPU caches.
	 * Write-back BOs need CPU cache maintenance.
	 */
	DRM_NCGPU_COHERENCY_NONE = 0,

	/**
	 * @DRM_NCGPU_COHERENCY_IO: The device is IO-coherent. No CPU cache
	 * maintenance is ever needed.
	 */
	DRM_NCGPU_COHERENCY_IO = 1,
};

/**
 * enum drm_ncgpu_dev_flags - Flags of &struct drm_ncgpu_dev_info.
 */
enum drm_ncgpu_dev_flags {
	/**
	 * @DRM_NCGPU_DEV_EMULATED: The non-coherence is emulated by the
	 * driver. CPU cache instructions issued from userspace do not reach
	 * the device's view of memory: userspace must use BO_SYNC.
	 */
	DRM_NCGPU_DEV_EMULATED = 1 << 0,
};

/**
 * struct drm_ncgpu_dev_info - Answer of %DRM_NCGPU_DEV_QUERY_INFO.
 */
struct drm_ncgpu_dev_info {
	/** @coherency: One of &enum drm_ncgpu_coherency. */
	__u32 coherency;

	/** @flags: Combination of &enum drm_ncgpu_dev_flags. */
	__u32 flags;

	/**
	 * @sync_granule: Granule of cache maintenance, in bytes.
	 *
	 * A power of two between 16 and 4096. Sync ranges are widened to it;
	 * userspace reports it as Vulkan's nonCoherentAtomSize.
	 */
	__u32 sync_granule;

	/** @max_sync_ops: Largest BO_SYNC count accepted; at least 4096. */
	__u32 max_sync_ops;

	/** @max_bo_size: Largest BO_CREATE size accepted; at least 256 MiB. */
	__u64 max_bo_size;

	/** @max_cmds: Largest SUBMIT count accepted; at least 1024. */
	__u32 max_cmds;

	/**
	 * @max_submit_syncs: Largest SUBMIT syncs count accepted; at least 64.
	 * Zero before driver minor 2, which had no sync ops.
	 */
	__u32 max_submit_syncs;
};

/**
 * enum drm_ncgpu_bo_flags - Flags of &struct drm_ncgpu_bo_create.
 */
enum drm_ncgpu_bo_flags {
	/** @DRM_NCGPU_BO_NO_MMAP: The BO is never CPU-mapped by userspace. */
	DRM_NCGPU_BO_NO_MMAP = 1 << 0,

	/**
	 * @DRM_NCGPU_BO_WB_MMAP: CPU mappings are write-back cached.
	 *
	 * Without it, CPU mappings are write-combined on a non-coherent
	 * device. On an IO-coherent device every BO is write-back. Cannot be
	 * combined with %DRM_NCGPU_BO_NO_MMAP.
	 */
	DRM_NCGPU_BO_WB_MMAP = 1 << 1,
};

/**
 * struct drm_ncgpu_bo_create - Arguments of %DRM_IOCTL_NCGPU_BO_CREATE.
 *
 * Checks and errors: see DOC: Checks and errors.
 */
struct drm_ncgpu_bo_create {
	/**
	 * @size: Size in bytes.
	 *
	 * In: greater than 0, at most &drm_ncgpu_dev_info.max_bo_size. Out:
	 * rounded up to the page size.
	 */
	__u64 size;

	/** @flags: Combination of &enum drm_ncgpu_bo_flags. */
	__u32 flags;

	/** @handle: Out: GEM handle of the new BO. */
	__u32 handle;
};

/**
 * struct drm_ncgpu_bo_mmap_offset - Arguments of
 * %DRM_IOCTL_NCGPU_BO_MMAP_OFFSET.
 *
 * Checks and errors: see DOC: Checks and errors. A BO imported from another
 * driver's dma-buf is mapped through the dma-buf fd itself, with CPU access
 * bracketed by DMA_BUF_IOCTL_SYNC.
 *
 * The refusals hold for mmap() itself: mapping a refused BO through any
 * offset of the DRM file fails, whether or not the BO has a fake offset and
 * however the offset was found.
 */
struct drm_ncgpu_bo_mmap_offset {
	/** @handle: GEM handle. */
	__u32 handle;

	/** @pad: MBZ. */
	__u32 pad;

	/**
	 * @offset: Out: fake offset to pass to mmap() of the DRM file.
	 *
	 * Only shared mappings are allowed.
	 */
	__u64 offset;
};

/**
 * enum drm_ncgpu_bo_extra_flags - Extra flags reported by BO_QUERY_INFO.
 */
enum drm_ncgpu_bo_extra_flags {
	/**
	 * @DRM_NCGPU_BO_IS_IMPORTED: The BO comes from another driver's
	 * dma-buf. A re-import of an ncgpu export is the same BO and is not
	 * flagged.
	 */
	DRM_NCGPU_BO_IS_IMPORTED = 1 << 0,

	/** @DRM_NCGPU_BO_CPU_CACHED: CPU mappings are write-back cached. */
	DRM_NCGPU_BO_CPU_CACHED = 1 << 1,
};

/**
 * struct drm_ncgpu_bo_query_info - Arguments of
 * %DRM_IOCTL_NCGPU_BO_QUERY_INFO.
 *
 * The three out fields are overwritten whatever they held on input. Checks
 * and errors: see DOC: Checks and errors.
 */
struct drm_ncgpu_bo_query_info {
	/** @handle: GEM handle. */
	__u32 handle;

	/** @extra_flags: Out: combination of &enum drm_ncgpu_bo_extra_flags. */
	__u32 extra_flags;

	/**
	 * @create_flags: Out: exactly the flags given at BO_CREATE; 0 for
	 * imported BOs.
	 */
	__u32 create_flags;

	/** @pad: Out: zero. */
	__u32 pad;
};

/**
 * enum drm_ncgpu_bo_sync_op_type - BO_SYNC operation types.
 *
 * There is deliberately no invalidate-only type: discarding dirty lines
 * would lose CPU writes.
 */
enum drm_ncgpu_bo_sync_op_type {
	/**
	 * @DRM_NCGPU_BO_SYNC_FLUSH: Write back CPU-cached data of the range
	 * so the device sees it.
	 */
	DRM_NCGPU_BO_SYNC_FLUSH = 0,

	/**
	 * @DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE: Write back, then drop
	 * CPU-cached copies of the range so the CPU's next reads see what the
	 * device wrote.
	 */
	DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE = 1,
};

/**
 * struct drm_ncgpu_bo_sync_op - One BO_SYNC operation.
 *
 * Offset and size need no alignment: the range is widened to
 * &drm_ncgpu_dev_info.sync_granule.
 */
struct drm_ncgpu_bo_sync_op {
	/** @handle: GEM handle. */
	__u32 handle;

	/** @type: One of &enum drm_ncgpu_bo_sync_op_type. */
	__u32 type;

	/** @offset: Start of the range in the BO, in bytes. */
	__u64 offset;

	/** @size: Size of the range in bytes; 0 does nothing. */
	__u64 size;
};

/**
 * struct drm_ncgpu_bo_sync - Arguments of %DRM_IOCTL_NCGPU_BO_SYNC.
 *
 * Ops run in array order. The first failing op stops the call and its error
 * is returned; the ops before it stay done (checks and errors: see DOC:
 * Checks and errors). BO_SYNC never waits for device work, never migrates
 * memory and never takes ownership.
 */
struct drm_ncgpu_bo_sync {
	/**
	 * @ops: Array of &struct drm_ncgpu_bo_sync_op, minimum stride 24, at
	 * most &drm_ncgpu_dev_info.max_sync_ops elements.
	 */
	struct drm_ncgpu_obj_array ops;
};

/**
 * enum drm_ncgpu_cmd_op - Command operations of the virtual GPU.
 */
enum drm_ncgpu_cmd_op {
	/**
	 * @DRM_NCGPU_CMD_COPY: Copy @size bytes from the source range to the
	 * destination range. Overlapping ranges in one BO: -EINVAL. value
	 * MBZ.
	 */
	DRM_NCGPU_CMD_COPY = 0,

	/**
	 * @DRM_NCGPU_CMD_FILL: Write @size bytes at the destination; byte i of
	 * the range gets byte (i % 8) of the value in little-endian order.
	 * The source fields are MBZ.
	 */
	DRM_NCGPU_CMD_FILL = 1,

	/**
	 * @DRM_NCGPU_CMD_STALL: Stay busy for at least value microseconds (at
	 * most 1000000) before the next command. Handles, offsets and sizes
	 * are MBZ.
	 */
	DRM_NCGPU_CMD_STALL = 2,
};

/** DRM_NCGPU_STALL_MAX_US - Largest STALL duration, in microseconds. */
#define DRM_NCGPU_STALL_MAX_US 1000000

/**
 * struct drm_ncgpu_cmd - One command of a job.
 */
struct drm_ncgpu_cmd {
	/** @op: One of &enum drm_ncgpu_cmd_op. */
	__u32 op;

	/** @flags: MBZ. */
	__u32 flags;

	/** @dst_handle: Destination BO handle (COPY, FILL). */
	__u32 dst_handle;

	/** @src_handle: Source BO handle (COPY). */
	__u32 src_handle;

	/** @dst_offset: Destination offset in bytes (COPY, FILL). */
	__u64 dst_offset;

	/** @src_offset: Source offset in bytes (COPY). */
	__u64 src_offset;

	/** @size: Bytes to copy or fill; 0 is a valid no-op. */
	__u64 size;

	/** @value: Fill pattern (FILL) or duration in microseconds (STALL); MBZ for COPY. */
	__u64 value;
};

/**
 * enum drm_ncgpu_sync_op_flags - Flags of &struct drm_ncgpu_sync_op.
 *
 * Bits 0-7 hold the handle type, bit 31 says whether the op waits or
 * signals. Every other bit is MBZ.
 */
enum drm_ncgpu_sync_op_flags {
	/** @DRM_NCGPU_SYNC_OP_HANDLE_TYPE_MASK: The bits of the handle type. */
	DRM_NCGPU_SYNC_OP_HANDLE_TYPE_MASK = 0xff,

	/**
	 * @DRM_NCGPU_SYNC_OP_HANDLE_TYPE_SYNCOBJ: A binary syncobj; the
	 * timeline_point is MBZ.
	 */
	DRM_NCGPU_SYNC_OP_HANDLE_TYPE_SYNCOBJ = 0,

	/**
	 * @DRM_NCGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ: A point of a
	 * timeline syncobj; the timeline_point is at least 1.
	 */
	DRM_NCGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ = 1,

	/** @DRM_NCGPU_SYNC_OP_WAIT: The job runs after the fence (bit 31 clear). */
	DRM_NCGPU_SYNC_OP_WAIT = 0,

	/** @DRM_NCGPU_SYNC_OP_SIGNAL: The syncobj gets the job's fence. */
	DRM_NCGPU_SYNC_OP_SIGNAL = (int)(1u << 31),
};

/**
 * struct drm_ncgpu_sync_op - A wait on, or a signal of, a syncobj.
 *
 * The layout of panthor's drm_panthor_sync_op. A wait op makes the job run
 * after the syncobj's fence (a binary syncobj) or the fence at
 * @timeline_point (a timeline), as @in_syncobj of &struct drm_ncgpu_submit
 * does; a syncobj that holds no fence, or a point that no fence has been
 * submitted for yet, is -EINVAL: SUBMIT never waits for a later submission.
 * A signal op gives the syncobj the job's fence: a binary syncobj's fence is
 * replaced, as @out_syncobj's is; a timeline gets it at @timeline_point, in
 * a dma_fence_chain node that SUBMIT allocates before the job can run.
 */
struct drm_ncgpu_sync_op {
	/**
	 * @flags: A handle type of &enum drm_ncgpu_sync_op_flags, with
	 * %DRM_NCGPU_SYNC_OP_SIGNAL for a signal op. Another bit or type:
	 * -EINVAL.
	 */
	__u32 flags;

	/** @handle: The syncobj handle; a bad handle is -ENOENT. */
	__u32 handle;

	/**
	 * @timeline_point: The point of a timeline syncobj, at least 1; MBZ
	 * for a binary syncobj. Otherwise -EINVAL.
	 */
	__u64 timeline_point;
};

/**
 * struct drm_ncgpu_submit - Arguments of %DRM_IOCTL_NCGPU_SUBMIT.
 *
 * The job is validated completely before anything runs (checks and errors:
 * see DOC: Checks and errors).
 *
 * All or nothing: a SUBMIT that fails has run nothing and changed no
 * syncobj or reservation object.
 *
 * @in_syncobj, @out_syncobj and @syncs may be combined, and one syncobj may
 * be waited on and signalled by one SUBMIT: the wait takes the fence the
 * syncobj held before the SUBMIT. An empty job's @out_syncobj and signal ops
 * get a fence too.
 *
 * SUBMIT returns without waiting for the job; once the file has
 * max_queued_jobs jobs submitted and not finished (a module parameter,
 * default 256), it first waits interruptibly for one to finish, as for room
 * in a ring. The memory a job holds is charged to the submitter's memory
 * cgroup (-ENOMEM at its limit).
 *
 * Order: the jobs of one DRM file run in submission order, each after the
 * previous one has finished, even when that one waits for a fence. Jobs of
 * different files are picked fairly, each once its fences have signalled: a
 * file whose job waits holds up no other file. A job runs after the fence of
 * @in_syncobj, those of its wait ops, and the fences already in its BOs'
 * reservation objects (a destination after every earlier reader and writer,
 * a source after every earlier writer). A BO named through two handles is
 * one BO of the job.
 *
 * Every BO the job touches gets the job's fence in its reservation object:
 * write usage for destinations, read usage for sources. So do @out_syncobj
 * and the syncobjs of the signal ops.
 *
 * Timeout: a job running longer than job_timeout_ms (a module parameter,
 * default 10000) is stopped; its fence signals with -ETIMEDOUT, its commands'
 * effects may be partial, and the next job runs.
 *
 * Closing: a live process's last close() of the file waits, killably, until
 * the file's jobs have finished. An exiting process's jobs get about a
 * second; those not started by then are cancelled: their fences signal with
 * -ESRCH and their commands have no effect.
 */
struct drm_ncgpu_submit {
	/**
	 * @cmds: Array of &struct drm_ncgpu_cmd, minimum stride 48, at most
	 * &drm_ncgpu_dev_info.max_cmds elements. An empty array is a valid
	 * empty job.
	 */
	struct drm_ncgpu_obj_array cmds;

	/**
	 * @in_syncobj: Syncobj whose fence the job waits for, or 0 for none.
	 * A syncobj that holds no fence: -EINVAL.
	 */
	__u32 in_syncobj;

	/** @out_syncobj: Syncobj that receives the job's fence, or 0 for none. */
	__u32 out_syncobj;

	/** @flags: MBZ. */
	__u32 flags;

	/** @pad: MBZ. */
	__u32 pad;

	/**
	 * @syncs: Array of &struct drm_ncgpu_sync_op, minimum stride 16, at
	 * most &drm_ncgpu_dev_info.max_submit_syncs elements. Added in driver
	 * minor 2: a SUBMIT of the 32 bytes before it has no sync ops.
	 */
	struct drm_ncgpu_obj_array syncs;
};

/**
 * struct drm_ncgpu_bo_wait - Arguments of %DRM_IOCTL_NCGPU_BO_WAIT.
 *
 * Waits until every device job using the BO has finished.
 *
 * Checks and errors: see DOC: Checks and errors.
 *
 * A wait interrupted by a signal restarts with the same deadline
 * (-ERESTARTSYS), so signals never extend it: a caller that wants to wait
 * for a duration adds it to the current CLOCK_MONOTONIC time once, before
 * the first call.
 */
struct drm_ncgpu_bo_wait {
	/** @handle: GEM handle. */
	__u32 handle;

	/** @pad: MBZ. */
	__u32 pad;

	/**
	 * @timeout_ns: Absolute CLOCK_MONOTONIC deadline in nanoseconds, as
	 * the timeout_nsec of DRM_IOCTL_SYNCOBJ_WAIT; 0 polls, negative is
	 * rejected with -EINVAL. Before driver minor 1 it was a relative
	 * timeout.
	 */
	__s64 timeout_ns;
};

/**
 * DRM_IOCTL_NCGPU() - Build an ncgpu ioctl number.
 * @__access: Access type. Must be R, W or RW.
 * @__id: One of the DRM_NCGPU_xxx id names.
 * @__type: Suffix of the type being passed to the IOCTL.
 *
 * Don't use this macro directly, use the DRM_IOCTL_NCGPU_xxx values instead.
 *
 * Return: An IOCTL number to be passed to ioctl() from userspace.
 */
#define DRM_IOCTL_NCGPU(__access, __id, __type) \
	DRM_IO ## __access(DRM_COMMAND_BASE + DRM_NCGPU_ ## __id, \
			   struct drm_ncgpu_ ## __type)

#define DRM_IOCTL_NCGPU_DEV_QUERY	DRM_IOCTL_NCGPU(WR, DEV_QUERY, dev_query)
#define DRM_IOCTL_NCGPU_BO_CREATE	DRM_IOCTL_NCGPU(WR, BO_CREATE, bo_create)
#define DRM_IOCTL_NCGPU_BO_MMAP_OFFSET	DRM_IOCTL_NCGPU(WR, BO_MMAP_OFFSET, bo_mmap_offset)
#define DRM_IOCTL_NCGPU_BO_QUERY_INFO	DRM_IOCTL_NCGPU(WR, BO_QUERY_INFO, bo_query_info)
#define DRM_IOCTL_NCGPU_BO_SYNC		DRM_IOCTL_NCGPU(WR, BO_SYNC, bo_sync)
#define DRM_IOCTL_NCGPU_SUBMIT		DRM_IOCTL_NCGPU(WR, SUBMIT, submit)
#define DRM_IOCTL_NCGPU_BO_WAIT		DRM_IOCTL_NCGPU(WR, BO_WAIT, bo_wait)

#if defined(__cplusplus)
}
#endif

#endif /* _NCGPU_DRM_H_ */
