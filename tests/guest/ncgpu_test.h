/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the in-guest ncgpu tests. Every wrapper returns 0 or
 * -errno and never asserts, so tests can check both outcomes (the IGT
 * __foo()/foo() split, without the asserting half).
 */
#ifndef NCGPU_TEST_H
#define NCGPU_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm.h>
#include "ncgpu_drm.h"

#define NCGPU_TEST_MIB (1024ull * 1024ull)

static inline int ncgpu_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret ? -errno : 0;
}

/* Opens the render node of the driver called @name, or returns -ENODEV. */
static inline int ncgpu_open_driver(const char *name)
{
	char path[64], drv[32];
	struct drm_version v;
	int i, fd;

	for (i = 128; i < 192; i++) {
		snprintf(path, sizeof(path), "/dev/dri/renderD%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&v, 0, sizeof(v));
		memset(drv, 0, sizeof(drv));
		v.name = drv;
		v.name_len = sizeof(drv) - 1;
		if (!ncgpu_ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(drv, name))
			return fd;
		close(fd);
	}
	return -ENODEV;
}

static inline int ncgpu_open(void)
{
	return ncgpu_open_driver("ncgpu");
}

static inline int ncgpu_dev_info(int fd, struct drm_ncgpu_dev_info *info)
{
	struct drm_ncgpu_dev_query q = {
		.type = DRM_NCGPU_DEV_QUERY_INFO,
		.size = sizeof(*info),
		.pointer = (uintptr_t)info,
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_DEV_QUERY, &q);
}

static inline int ncgpu_bo_create(int fd, uint64_t size, uint32_t flags, uint32_t *handle)
{
	struct drm_ncgpu_bo_create c = { .size = size, .flags = flags };
	int ret = ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_BO_CREATE, &c);

	if (!ret)
		*handle = c.handle;
	return ret;
}

static inline int ncgpu_bo_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return ncgpu_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

static inline int ncgpu_bo_info(int fd, uint32_t handle, struct drm_ncgpu_bo_query_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_BO_QUERY_INFO, info);
}

/* Maps @size bytes of BO @handle shared; returns NULL and sets *err on failure. */
static inline void *ncgpu_bo_map(int fd, uint32_t handle, size_t size, int *err)
{
	struct drm_ncgpu_bo_mmap_offset m = { .handle = handle };
	void *p;

	*err = ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_BO_MMAP_OFFSET, &m);
	if (*err)
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, m.offset);
	if (p == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	return p;
}

static inline int ncgpu_sync_ops(int fd, const struct drm_ncgpu_bo_sync_op *ops, uint32_t count)
{
	struct drm_ncgpu_bo_sync s = {
		.ops = { .stride = sizeof(*ops), .count = count, .array = (uintptr_t)ops },
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_BO_SYNC, &s);
}

static inline int ncgpu_sync(int fd, uint32_t handle, uint32_t type, uint64_t offset,
			     uint64_t size)
{
	struct drm_ncgpu_bo_sync_op op = {
		.handle = handle, .type = type, .offset = offset, .size = size,
	};

	return ncgpu_sync_ops(fd, &op, 1);
}

static inline int ncgpu_submit_cmds(int fd, const struct drm_ncgpu_cmd *cmds, uint32_t count,
				    uint32_t in_syncobj, uint32_t out_syncobj)
{
	struct drm_ncgpu_submit s = {
		.cmds = { .stride = sizeof(*cmds), .count = count, .array = (uintptr_t)cmds },
		.in_syncobj = in_syncobj,
		.out_syncobj = out_syncobj,
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_SUBMIT, &s);
}

static inline struct drm_ncgpu_cmd ncgpu_cmd_copy(uint32_t dst, uint64_t dst_offset,
						  uint32_t src, uint64_t src_offset,
						  uint64_t size)
{
	struct drm_ncgpu_cmd c = {
		.op = DRM_NCGPU_CMD_COPY, .dst_handle = dst, .src_handle = src,
		.dst_offset = dst_offset, .src_offset = src_offset, .size = size,
	};

	return c;
}

static inline struct drm_ncgpu_cmd ncgpu_cmd_fill(uint32_t dst, uint64_t offset, uint64_t size,
						  uint64_t value)
{
	struct drm_ncgpu_cmd c = {
		.op = DRM_NCGPU_CMD_FILL, .dst_handle = dst, .dst_offset = offset,
		.size = size, .value = value,
	};

	return c;
}

static inline struct drm_ncgpu_cmd ncgpu_cmd_stall(uint64_t usec)
{
	struct drm_ncgpu_cmd c = { .op = DRM_NCGPU_CMD_STALL, .value = usec };

	return c;
}

static inline int ncgpu_bo_wait(int fd, uint32_t handle, int64_t timeout_ns)
{
	struct drm_ncgpu_bo_wait w = { .handle = handle, .timeout_ns = timeout_ns };

	return ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_BO_WAIT, &w);
}

static inline int ncgpu_syncobj_create(int fd, uint32_t *handle)
{
	struct drm_syncobj_create c = { 0 };
	int ret = ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);

	if (!ret)
		*handle = c.handle;
	return ret;
}

static inline int ncgpu_syncobj_wait(int fd, uint32_t handle, int64_t timeout_ns)
{
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)&handle,
		.count_handles = 1,
		.timeout_nsec = timeout_ns,
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
}

static inline int ncgpu_prime_export(int fd, uint32_t handle, int *dmabuf)
{
	struct drm_prime_handle p = { .handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR };
	int ret = ncgpu_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);

	if (!ret)
		*dmabuf = p.fd;
	return ret;
}

static inline int ncgpu_prime_import(int fd, int dmabuf, uint32_t *handle)
{
	struct drm_prime_handle p = { .fd = dmabuf };
	int ret = ncgpu_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);

	if (!ret)
		*handle = p.handle;
	return ret;
}

/* Reads a module parameter of ncgpu as text; returns 0 or -errno. */
static inline int ncgpu_module_param(const char *name, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/ncgpu/parameters/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

#endif /* NCGPU_TEST_H */
