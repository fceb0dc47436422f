// SPDX-License-Identifier: MIT
/*
 * The write-back BOs that ncgpu bench flushes, and BO_SYNC sent straight to
 * the kernel, so that a figure is the kernel's cost and not the library's.
 */
#include <errno.h>
#include <string.h>

#include <xf86drm.h>

#include "bench.h"

int bo_sync(int fd, const struct drm_ncgpu_bo_sync_op *ops, uint32_t count)
{
	struct drm_ncgpu_bo_sync args = { .ops = DRM_NCGPU_OBJ_ARRAY(count, ops) };

	/* drmIoctl() restarts the call on EINTR and EAGAIN. */
	return drmIoctl(fd, DRM_IOCTL_NCGPU_BO_SYNC, &args) ? -errno : 0;
}

int wb_bo_create(struct bench *b, uint64_t size, struct wb_bo *wb)
{
	void *map;
	int ret;

	memset(wb, 0, sizeof(*wb));
	ret = ncgpu_bo_create(b->dev, size, DRM_NCGPU_BO_WB_MMAP, &wb->bo);
	if (ret)
		return ret;
	ret = ncgpu_bo_map(wb->bo, &map);
	if (ret) {
		ncgpu_bo_close(wb->bo);
		return ret;
	}
	wb->map = map;
	wb->handle = ncgpu_bo_handle(wb->bo);
	wb->size = ncgpu_bo_size(wb->bo);
	return 0;
}

void wb_bo_close(struct wb_bo *wb)
{
	ncgpu_bo_close(wb->bo);
	memset(wb, 0, sizeof(*wb));
}

/*
 * Writes the whole range, and makes each of its granules differ from what it
 * was last synced with: every granule gets the number of this call, which
 * no earlier write gave it.
 */
void wb_bo_dirty(struct bench *b, const struct wb_bo *wb, uint64_t offset, uint64_t size)
{
	uint64_t at;

	b->seq++;
	memset(wb->map + offset, (int)(b->seq & 0xff), size);
	for (at = offset; at + sizeof(b->seq) <= offset + size; at += b->atom)
		memcpy(wb->map + at, &b->seq, sizeof(b->seq));
}

int wb_bo_flush(const struct bench *b, const struct wb_bo *wb, uint32_t type,
		uint64_t offset, uint64_t size)
{
	struct drm_ncgpu_bo_sync_op op = {
		.handle = wb->handle, .type = type, .offset = offset, .size = size,
	};

	return bo_sync(b->fd, &op, 1);
}

/* Gives the whole BO a device view, so that no timed call allocates one. */
int wb_bo_populate(struct bench *b, const struct wb_bo *wb)
{
	wb_bo_dirty(b, wb, 0, wb->size);
	return wb_bo_flush(b, wb, DRM_NCGPU_BO_SYNC_FLUSH, 0, wb->size);
}
