// SPDX-License-Identifier: MIT
/*
 * Compile-time check of the ncgpu uAPI against the written contract: every
 * struct size and field offset, every ioctl number and every enum and flag
 * value. The numbers are literals taken from the contract, never computed
 * with the header's own macros, so a header change that breaks the ABI
 * cannot pass by changing both sides. Builds as C11 and as C++.
 */
#include <stddef.h>
#include <stdint.h>

#include <drm.h>
#include "ncgpu_drm.h"

#ifdef __cplusplus
#define ABI_ASSERT(expr) static_assert(expr, #expr)
#else
#define ABI_ASSERT(expr) _Static_assert(expr, #expr)
#endif

#define ABI_SIZE(type, size) ABI_ASSERT(sizeof(struct type) == (size))
#define ABI_FIELD(type, field, offset, size)                     \
	ABI_ASSERT(offsetof(struct type, field) == (offset));    \
	ABI_ASSERT(sizeof(((struct type *)0)->field) == (size))

/*
 * _IOC(_IOC_READ | _IOC_WRITE, 'd', 0x40 + id, size) on x86 and arm64:
 * direction 3 in bits 30-31, size in bits 16-29, 'd' = 0x64, nr = 0x40 + id.
 */
ABI_ASSERT(DRM_COMMAND_BASE == 0x40);
ABI_ASSERT(DRM_IOCTL_NCGPU_DEV_QUERY == 0xC0106440);
ABI_ASSERT(DRM_IOCTL_NCGPU_BO_CREATE == 0xC0106441);
ABI_ASSERT(DRM_IOCTL_NCGPU_BO_MMAP_OFFSET == 0xC0106442);
ABI_ASSERT(DRM_IOCTL_NCGPU_BO_QUERY_INFO == 0xC0106443);
ABI_ASSERT(DRM_IOCTL_NCGPU_BO_SYNC == 0xC0106444);
ABI_ASSERT(DRM_IOCTL_NCGPU_SUBMIT == 0xC0306445);
ABI_ASSERT(DRM_IOCTL_NCGPU_BO_WAIT == 0xC0106446);

ABI_ASSERT(DRM_NCGPU_DEV_QUERY == 0);
ABI_ASSERT(DRM_NCGPU_BO_CREATE == 1);
ABI_ASSERT(DRM_NCGPU_BO_MMAP_OFFSET == 2);
ABI_ASSERT(DRM_NCGPU_BO_QUERY_INFO == 3);
ABI_ASSERT(DRM_NCGPU_BO_SYNC == 4);
ABI_ASSERT(DRM_NCGPU_SUBMIT == 5);
ABI_ASSERT(DRM_NCGPU_BO_WAIT == 6);

ABI_SIZE(drm_ncgpu_obj_array, 16);
ABI_FIELD(drm_ncgpu_obj_array, stride, 0, 4);
ABI_FIELD(drm_ncgpu_obj_array, count, 4, 4);
ABI_FIELD(drm_ncgpu_obj_array, array, 8, 8);

ABI_ASSERT(DRM_NCGPU_DEV_QUERY_INFO == 0);
ABI_SIZE(drm_ncgpu_dev_query, 16);
ABI_FIELD(drm_ncgpu_dev_query, type, 0, 4);
ABI_FIELD(drm_ncgpu_dev_query, size, 4, 4);
ABI_FIELD(drm_ncgpu_dev_query, pointer, 8, 8);

ABI_ASSERT(DRM_NCGPU_COHERENCY_NONE == 0);
ABI_ASSERT(DRM_NCGPU_COHERENCY_IO == 1);
ABI_ASSERT(DRM_NCGPU_DEV_EMULATED == 0x1);
ABI_SIZE(drm_ncgpu_dev_info, 32);
ABI_FIELD(drm_ncgpu_dev_info, coherency, 0, 4);
ABI_FIELD(drm_ncgpu_dev_info, flags, 4, 4);
ABI_FIELD(drm_ncgpu_dev_info, sync_granule, 8, 4);
ABI_FIELD(drm_ncgpu_dev_info, max_sync_ops, 12, 4);
ABI_FIELD(drm_ncgpu_dev_info, max_bo_size, 16, 8);
ABI_FIELD(drm_ncgpu_dev_info, max_cmds, 24, 4);
ABI_FIELD(drm_ncgpu_dev_info, max_submit_syncs, 28, 4);

ABI_ASSERT(DRM_NCGPU_BO_NO_MMAP == 0x1);
ABI_ASSERT(DRM_NCGPU_BO_WB_MMAP == 0x2);
ABI_SIZE(drm_ncgpu_bo_create, 16);
ABI_FIELD(drm_ncgpu_bo_create, size, 0, 8);
ABI_FIELD(drm_ncgpu_bo_create, flags, 8, 4);
ABI_FIELD(drm_ncgpu_bo_create, handle, 12, 4);

ABI_SIZE(drm_ncgpu_bo_mmap_offset, 16);
ABI_FIELD(drm_ncgpu_bo_mmap_offset, handle, 0, 4);
ABI_FIELD(drm_ncgpu_bo_mmap_offset, pad, 4, 4);
ABI_FIELD(drm_ncgpu_bo_mmap_offset, offset, 8, 8);

ABI_ASSERT(DRM_NCGPU_BO_IS_IMPORTED == 0x1);
ABI_ASSERT(DRM_NCGPU_BO_CPU_CACHED == 0x2);
ABI_SIZE(drm_ncgpu_bo_query_info, 16);
ABI_FIELD(drm_ncgpu_bo_query_info, handle, 0, 4);
ABI_FIELD(drm_ncgpu_bo_query_info, extra_flags, 4, 4);
ABI_FIELD(drm_ncgpu_bo_query_info, create_flags, 8, 4);
ABI_FIELD(drm_ncgpu_bo_query_info, pad, 12, 4);

ABI_ASSERT(DRM_NCGPU_BO_SYNC_FLUSH == 0);
ABI_ASSERT(DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE == 1);
ABI_SIZE(drm_ncgpu_bo_sync_op, 24);
ABI_FIELD(drm_ncgpu_bo_sync_op, handle, 0, 4);
ABI_FIELD(drm_ncgpu_bo_sync_op, type, 4, 4);
ABI_FIELD(drm_ncgpu_bo_sync_op, offset, 8, 8);
ABI_FIELD(drm_ncgpu_bo_sync_op, size, 16, 8);
ABI_SIZE(drm_ncgpu_bo_sync, 16);
ABI_FIELD(drm_ncgpu_bo_sync, ops, 0, 16);

ABI_ASSERT(DRM_NCGPU_CMD_COPY == 0);
ABI_ASSERT(DRM_NCGPU_CMD_FILL == 1);
ABI_ASSERT(DRM_NCGPU_CMD_STALL == 2);
ABI_ASSERT(DRM_NCGPU_STALL_MAX_US == 1000000);
ABI_SIZE(drm_ncgpu_cmd, 48);
ABI_FIELD(drm_ncgpu_cmd, op, 0, 4);
ABI_FIELD(drm_ncgpu_cmd, flags, 4, 4);
ABI_FIELD(drm_ncgpu_cmd, dst_handle, 8, 4);
ABI_FIELD(drm_ncgpu_cmd, src_handle, 12, 4);
ABI_FIELD(drm_ncgpu_cmd, dst_offset, 16, 8);
ABI_FIELD(drm_ncgpu_cmd, src_offset, 24, 8);
ABI_FIELD(drm_ncgpu_cmd, size, 32, 8);
ABI_FIELD(drm_ncgpu_cmd, value, 40, 8);

ABI_ASSERT(DRM_NCGPU_SYNC_OP_HANDLE_TYPE_MASK == 0xff);
ABI_ASSERT(DRM_NCGPU_SYNC_OP_HANDLE_TYPE_SYNCOBJ == 0);
ABI_ASSERT(DRM_NCGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ == 1);
ABI_ASSERT(DRM_NCGPU_SYNC_OP_WAIT == 0);
ABI_ASSERT((uint32_t)DRM_NCGPU_SYNC_OP_SIGNAL == 0x80000000u);
ABI_SIZE(drm_ncgpu_sync_op, 16);
ABI_FIELD(drm_ncgpu_sync_op, flags, 0, 4);
ABI_FIELD(drm_ncgpu_sync_op, handle, 4, 4);
ABI_FIELD(drm_ncgpu_sync_op, timeline_point, 8, 8);

/* 32 bytes up to driver minor 1; userspace of then still sends those. */
ABI_SIZE(drm_ncgpu_submit, 48);
ABI_FIELD(drm_ncgpu_submit, cmds, 0, 16);
ABI_FIELD(drm_ncgpu_submit, in_syncobj, 16, 4);
ABI_FIELD(drm_ncgpu_submit, out_syncobj, 20, 4);
ABI_FIELD(drm_ncgpu_submit, flags, 24, 4);
ABI_FIELD(drm_ncgpu_submit, pad, 28, 4);
ABI_FIELD(drm_ncgpu_submit, syncs, 32, 16);

ABI_SIZE(drm_ncgpu_bo_wait, 16);
ABI_FIELD(drm_ncgpu_bo_wait, handle, 0, 4);
ABI_FIELD(drm_ncgpu_bo_wait, pad, 4, 4);
ABI_FIELD(drm_ncgpu_bo_wait, timeout_ns, 8, 8);
/* timeout_ns is signed: negative values are rejected, not huge. */
ABI_ASSERT((__typeof__(((struct drm_ncgpu_bo_wait *)0)->timeout_ns))-1 < 0);

/* The array initializer fills stride and count from its arguments. */
struct drm_ncgpu_obj_array abi_check_obj_array(const struct drm_ncgpu_cmd *cmds)
{
	struct drm_ncgpu_obj_array array = DRM_NCGPU_OBJ_ARRAY(3, cmds);

	return array;
}
