/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The ncgpu authors
 */
#ifndef __NCGPU_COHERENCE_H__
#define __NCGPU_COHERENCE_H__

#include <linux/types.h>

#include "drm_gem_sync.h"

struct ncgpu_bo;
struct ncgpu_device;

int ncgpu_coherence_attach(struct ncgpu_bo *bo);
int ncgpu_coherence_sync(struct ncgpu_bo *bo, u64 offset, u64 size, enum drm_gem_sync_op op);
int ncgpu_coherence_reserve(struct ncgpu_bo *bo, u64 offset, u64 size);
void ncgpu_coherence_read(struct ncgpu_bo *bo, u64 offset, void *buf, size_t len);
void ncgpu_coherence_write(struct ncgpu_bo *bo, u64 offset, const void *buf, size_t len);
void ncgpu_coherence_evict(struct ncgpu_device *ndev);
void ncgpu_coherence_fini(struct ncgpu_bo *bo);

#endif /* __NCGPU_COHERENCE_H__ */
