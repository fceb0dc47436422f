/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The ncgpu authors
 */
#ifndef __NCGPU_ENGINE_H__
#define __NCGPU_ENGINE_H__

struct drm_device;
struct drm_file;
struct ncgpu_device;

int ncgpu_engine_init(struct ncgpu_device *ndev);
void ncgpu_engine_fini(struct ncgpu_device *ndev);
int ncgpu_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* __NCGPU_ENGINE_H__ */
