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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <drm.h>
#include "ncgpu_bytes.h"
#include "ncgpu_drm.h"
#include "ncgpu_rand.h"

#define NCGPU_TEST_MIB (1024ull * 1024ull)
/* The largest element stride of a uAPI array (struct drm_ncgpu_obj_array). */
#define NCGPU_TEST_MAX_STRIDE 4096u

/*
 * Copies @count elements of @elem_size bytes into a new array whose elements
 * are @stride bytes apart, zero between them; free() it.
 */
static inline uint8_t *ncgpu_strided_array(const void *elems, size_t elem_size, uint32_t count,
					   uint32_t stride)
{
	uint8_t *array = calloc(count, stride);
	uint32_t i;

	for (i = 0; array && i < count; i++)
		memcpy(array + (size_t)i * stride, (const uint8_t *)elems + i * elem_size,
		       elem_size);
	return array;
}

static inline int ncgpu_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret ? -errno : 0;
}

/*
 * Opens the first of 64 DRM nodes (@path_fmt, numbered from @first) that the
 * driver called @name drives, or returns -ENODEV.
 */
static inline int ncgpu_open_node_of(const char *path_fmt, int first, const char *name)
{
	char path[64], drv[32];
	struct drm_version v;
	int i, fd;

	for (i = first; i < first + 64; i++) {
		snprintf(path, sizeof(path), path_fmt, i);
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

/* Opens the render node of the driver called @name, or returns -ENODEV. */
static inline int ncgpu_open_driver(const char *name)
{
	return ncgpu_open_node_of("/dev/dri/renderD%d", 128, name);
}

static inline int ncgpu_open(void)
{
	return ncgpu_open_driver("ncgpu");
}

static inline int __ncgpu_dev_query_info(int fd, struct drm_ncgpu_dev_info *info)
{
	struct drm_ncgpu_dev_query q = {
		.type = DRM_NCGPU_DEV_QUERY_INFO,
		.size = sizeof(*info),
		.pointer = (uintptr_t)info,
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_DEV_QUERY, &q);
}

static inline int __ncgpu_bo_create(int fd, uint64_t size, uint32_t flags, uint32_t *handle)
{
	struct drm_ncgpu_bo_create c = { .size = size, .flags = flags };
	int ret = ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_BO_CREATE, &c);

	if (!ret)
		*handle = c.handle;
	return ret;
}

static inline int __gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return ncgpu_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

static inline int __ncgpu_bo_query_info(int fd, uint32_t handle, struct drm_ncgpu_bo_query_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_BO_QUERY_INFO, info);
}

static inline int __ncgpu_bo_mmap_offset(int fd, uint32_t handle, uint64_t *offset)
{
	struct drm_ncgpu_bo_mmap_offset m = { .handle = handle };
	int ret = ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_BO_MMAP_OFFSET, &m);

	if (!ret)
		*offset = m.offset;
	return ret;
}

/*
 * Maps @size bytes of @fd (a DRM file or a dma-buf) at @offset, readable and
 * writable, shared; returns NULL and sets *err on failure.
 */
static inline void *ncgpu_map_shared(int fd, uint64_t offset, size_t size, int *err)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);

	*err = p == MAP_FAILED ? -errno : 0;
	return *err ? NULL : p;
}

/* Maps @size bytes of BO @handle shared; returns NULL and sets *err on failure. */
static inline void *__ncgpu_bo_map(int fd, uint32_t handle, size_t size, int *err)
{
	uint64_t offset;

	*err = __ncgpu_bo_mmap_offset(fd, handle, &offset);
	return *err ? NULL : ncgpu_map_shared(fd, offset, size, err);
}

/* Maps @size bytes of @dmabuf shared; returns NULL and keeps errno on failure. */
static inline void *ncgpu_map_dmabuf(int dmabuf, size_t size)
{
	int err;

	return ncgpu_map_shared(dmabuf, 0, size, &err);
}

/* BO_SYNC of @count ops, @stride bytes apart (the uAPI's extensible array). */
static inline int __ncgpu_bo_sync_strided(int fd, const void *ops, uint32_t stride, uint32_t count)
{
	struct drm_ncgpu_bo_sync s = {
		.ops = { .stride = stride, .count = count, .array = (uintptr_t)ops },
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_BO_SYNC, &s);
}

static inline int __ncgpu_bo_sync(int fd, const struct drm_ncgpu_bo_sync_op *ops, uint32_t count)
{
	return __ncgpu_bo_sync_strided(fd, ops, sizeof(*ops), count);
}

static inline int __ncgpu_bo_sync_range(int fd, uint32_t handle, uint32_t type, uint64_t offset,
			     uint64_t size)
{
	struct drm_ncgpu_bo_sync_op op = {
		.handle = handle, .type = type, .offset = offset, .size = size,
	};

	return __ncgpu_bo_sync(fd, &op, 1);
}

/* SUBMIT of @count commands, @stride bytes apart (the uAPI's extensible array). */
static inline int __ncgpu_submit_strided(int fd, const void *cmds, uint32_t stride,
					 uint32_t count, uint32_t in_syncobj,
					 uint32_t out_syncobj)
{
	struct drm_ncgpu_submit s = {
		.cmds = { .stride = stride, .count = count, .array = (uintptr_t)cmds },
		.in_syncobj = in_syncobj,
		.out_syncobj = out_syncobj,
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_SUBMIT, &s);
}

static inline int __ncgpu_submit(int fd, const struct drm_ncgpu_cmd *cmds, uint32_t count,
				    uint32_t in_syncobj, uint32_t out_syncobj)
{
	return __ncgpu_submit_strided(fd, cmds, sizeof(*cmds), count, in_syncobj, out_syncobj);
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

/* @deadline_ns is an absolute CLOCK_MONOTONIC deadline, as the ioctl takes it; 0 polls. */
static inline int __ncgpu_bo_wait(int fd, uint32_t handle, int64_t deadline_ns)
{
	struct drm_ncgpu_bo_wait w = { .handle = handle, .timeout_ns = deadline_ns };

	return ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_BO_WAIT, &w);
}

static inline int __syncobj_create(int fd, uint32_t *handle)
{
	struct drm_syncobj_create c = { 0 };
	int ret = ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);

	if (!ret)
		*handle = c.handle;
	return ret;
}

/* @timeout_ns is an absolute CLOCK_MONOTONIC deadline, as the ioctl takes it. */
static inline int __syncobj_wait(int fd, uint32_t handle, int64_t timeout_ns)
{
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)&handle,
		.count_handles = 1,
		.timeout_nsec = timeout_ns,
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
}

static inline int __prime_handle_to_fd(int fd, uint32_t handle, int *dmabuf)
{
	struct drm_prime_handle p = { .handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR };
	int ret = ncgpu_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);

	if (!ret)
		*dmabuf = p.fd;
	return ret;
}

static inline int __prime_fd_to_handle(int fd, int dmabuf, uint32_t *handle)
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

/* Whether the kernel module @name is loaded. */
static inline int ncgpu_module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/*
 * Opens the primary (card) node of the driver called @name, or returns
 * -ENODEV. Some ioctls, such as vgem's MODE_CREATE_DUMB, are refused on
 * render nodes.
 */
static inline int ncgpu_open_primary_driver(const char *name)
{
	return ncgpu_open_node_of("/dev/dri/card%d", 0, name);
}

/* DMA_BUF_IOCTL_SYNC with @flags (DMA_BUF_SYNC_*) on the dma-buf fd @dmabuf. */
static inline int __dmabuf_sync(int dmabuf, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return ncgpu_ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &sync);
}

#define NCGPU_TEST_NSEC_PER_MSEC 1000000ll
#define NCGPU_TEST_NSEC_PER_SEC 1000000000ll

/* CLOCK_MONOTONIC in ns: the clock of DRM_IOCTL_SYNCOBJ_WAIT deadlines. */
static inline int64_t ncgpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NCGPU_TEST_NSEC_PER_SEC + ts.tv_nsec;
}

/* Like __syncobj_wait(), but @rel_ns is relative to now, not a deadline. */
static inline int ncgpu_syncobj_wait_for(int fd, uint32_t handle, int64_t rel_ns)
{
	return __syncobj_wait(fd, handle, ncgpu_now_ns() + rel_ns);
}

/* Like __ncgpu_bo_wait(), but @rel_ns is relative to now; 0 still polls. */
static inline int ncgpu_bo_wait_for(int fd, uint32_t handle, int64_t rel_ns)
{
	return __ncgpu_bo_wait(fd, handle, rel_ns ? ncgpu_now_ns() + rel_ns : 0);
}

static inline int __syncobj_destroy(int fd, uint32_t handle)
{
	struct drm_syncobj_destroy d = { .handle = handle };

	return ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
}

/* Submits @cmds and waits up to 10 s for the job's fence. */
static inline int ncgpu_submit_wait(int fd, const struct drm_ncgpu_cmd *cmds, uint32_t count)
{
	uint32_t syncobj;
	int ret = __syncobj_create(fd, &syncobj);

	if (ret)
		return ret;
	ret = __ncgpu_submit(fd, cmds, count, 0, syncobj);
	if (!ret)
		ret = ncgpu_syncobj_wait_for(fd, syncobj, 10 * NCGPU_TEST_NSEC_PER_SEC);
	__syncobj_destroy(fd, syncobj);
	return ret;
}

static inline int ncgpu_copy_wait(int fd, uint32_t dst, uint64_t dst_offset, uint32_t src,
				  uint64_t src_offset, uint64_t size)
{
	struct drm_ncgpu_cmd c = ncgpu_cmd_copy(dst, dst_offset, src, src_offset, size);

	return ncgpu_submit_wait(fd, &c, 1);
}

static inline int ncgpu_fill_wait(int fd, uint32_t dst, uint64_t offset, uint64_t size,
				  uint64_t value)
{
	struct drm_ncgpu_cmd c = ncgpu_cmd_fill(dst, offset, size, value);

	return ncgpu_submit_wait(fd, &c, 1);
}

static inline size_t ncgpu_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* A BO with its CPU mapping (NULL for NO_MMAP BOs); @size is a page multiple. */
struct ncgpu_mapped_bo {
	uint32_t handle;
	uint32_t flags;
	size_t size;
	uint8_t *map;
};

static inline int ncgpu_mapped_bo_create(int fd, size_t size, uint32_t flags,
					 struct ncgpu_mapped_bo *bo)
{
	int ret = __ncgpu_bo_create(fd, size, flags, &bo->handle);

	if (ret)
		return ret;
	bo->flags = flags;
	bo->size = size;
	bo->map = NULL;
	if (flags & DRM_NCGPU_BO_NO_MMAP)
		return 0;
	bo->map = __ncgpu_bo_map(fd, bo->handle, size, &ret);
	if (!bo->map)
		__gem_close(fd, bo->handle);
	return ret;
}

/* evict_chaos of the loaded module (0..1000), or -errno. */
static inline int ncgpu_evict_chaos(void)
{
	char buf[16];
	int ret = ncgpu_module_param("evict_chaos", buf, sizeof(buf));

	return ret ? ret : atoi(buf);
}

/*
 * x86 keeps the PAT memory type of RAM pages in page flags, which
 * /proc/kpageflags exposes (PG_arch_1 and PG_uncached).
 */
#define NCGPU_PAT_MEMTYPE_LIST "/sys/kernel/debug/x86/pat_memtype_list"
#define NCGPU_KPF_ARCH 38

/* NULL when the page-type check can run here, else why not. */
static inline const char *ncgpu_memtype_check_unavailable(void)
{
#if defined(__x86_64__)
	if (access(NCGPU_PAT_MEMTYPE_LIST, R_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	/* debugfs has this file only when PAT is enabled. */
	if (access(NCGPU_PAT_MEMTYPE_LIST, R_OK))
		return "PAT is not enabled (no " NCGPU_PAT_MEMTYPE_LIST ")";
	if (access("/proc/kpageflags", R_OK))
		return "/proc/kpageflags is not readable";
	return NULL;
#else
	return "page memory types are only checked on x86_64";
#endif
}

/* Counts RAM pages whose PAT memory type is write-combining, or -errno. */
static inline long ncgpu_count_wc_pages(void)
{
	static uint64_t flags[8192];
	long count = 0;
	ssize_t n, i;
	int fd;

	fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, flags, sizeof(flags))) > 0)
		for (i = 0; i < n / (ssize_t)sizeof(flags[0]); i++)
			count += ((flags[i] >> NCGPU_KPF_ARCH) & 3) == 1;
	if (n < 0)
		count = -errno;
	close(fd);
	return count;
}

/* Creates a dumb BO of @size bytes (a multiple of 4096) on a KMS-less card node. */
static inline int __dumb_create(int fd, uint64_t size, uint32_t *handle)
{
	struct drm_mode_create_dumb c = { .width = 1024, .bpp = 32, .height = size / 4096 };
	int ret = ncgpu_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c);

	if (!ret)
		*handle = c.handle;
	return ret;
}

static inline void *__dumb_map(int fd, uint32_t handle, size_t size, int *err)
{
	struct drm_mode_map_dumb m = { .handle = handle };

	*err = ncgpu_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m);
	return *err ? NULL : ncgpu_map_shared(fd, m.offset, size, err);
}

/*
 * A dumb BO of another driver (vgem), CPU-mapped through that driver, exported
 * as @dmabuf and imported into ncgpu as @handle.
 */
struct ncgpu_foreign_bo {
	uint32_t foreign_handle;
	uint32_t handle;
	int dmabuf;
	size_t size;
	uint8_t *map;
};

/* Creates @bo of @size bytes (a multiple of 4096) on the card node @card_fd. */
static inline int ncgpu_foreign_bo_create(int fd, int card_fd, size_t size,
					  struct ncgpu_foreign_bo *bo)
{
	int ret = __dumb_create(card_fd, size, &bo->foreign_handle);

	if (ret)
		return ret;
	bo->size = size;
	bo->map = __dumb_map(card_fd, bo->foreign_handle, size, &ret);
	if (!ret)
		ret = __prime_handle_to_fd(card_fd, bo->foreign_handle, &bo->dmabuf);
	if (!ret)
		ret = __prime_fd_to_handle(fd, bo->dmabuf, &bo->handle);
	return ret;
}

/* Creates the BOs whose offsets ncgpu_guess_offsets() guesses; 0 or -errno. */
typedef int (*ncgpu_make_bos_fn)(int fd, void *arg);

/*
 * Fake offsets are handed out in order, from the lowest free one, so the
 * offset of a BO that BO_MMAP_OFFSET refuses to tell is easy to guess.
 * Creates a one-page BO, runs @make, which creates BOs of @size bytes in
 * all, then creates another one-page BO. When the two one-page BOs are
 * @size bytes apart, what @make created fills the gap: *@first is then its
 * first offset. Otherwise (a freed BO left a hole that the new ones fell
 * into) it tries again, keeping every BO. Returns 0, -EAGAIN when the
 * offsets never lined up, or another -errno.
 */
static inline int ncgpu_guess_offsets(int fd, size_t size, ncgpu_make_bos_fn make, void *arg,
				      uint64_t *first)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), below_offset, above_offset;
	uint32_t below, above;
	int tries, ret;

	for (tries = 0; tries < 8; tries++) {
		ret = __ncgpu_bo_create(fd, page, 0, &below);
		if (!ret)
			ret = make(fd, arg);
		if (!ret)
			ret = __ncgpu_bo_create(fd, page, 0, &above);
		if (!ret)
			ret = __ncgpu_bo_mmap_offset(fd, below, &below_offset);
		if (!ret)
			ret = __ncgpu_bo_mmap_offset(fd, above, &above_offset);
		if (ret)
			return ret;
		if (above_offset == below_offset + page + size) {
			*first = below_offset + page;
			return 0;
		}
	}
	return -EAGAIN;
}

/* mmap() of @size bytes of the DRM file @fd at @offset: 0 (unmapped again) or -errno. */
static inline int ncgpu_try_mmap(int fd, uint64_t offset, size_t size)
{
	int err;
	void *p = ncgpu_map_shared(fd, offset, size, &err);

	if (p)
		munmap(p, size);
	return err;
}

/* A counter of /proc/vmstat or a field of /proc/meminfo (in KiB), or -1. */
static inline long ncgpu_proc_value(const char *file, const char *name)
{
	char line[256];
	size_t len = strlen(name);
	long value = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (value < 0 && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && (line[len] == ' ' || line[len] == ':'))
			value = strtol(line + len + 1, NULL, 10);
	fclose(f);
	return value;
}

/* Pages on the per-CPU free lists, which MemFree does not count. */
static inline long ncgpu_pcp_free_pages(void)
{
	char line[256];
	long pages = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line + strspn(line, " "), "count:", 6))
			pages += strtol(line + strspn(line, " ") + 6, NULL, 10);
	fclose(f);
	return pages;
}

/*
 * Free memory that may stay missing after everything was freed, or that
 * other kernel activity may take meanwhile: per-CPU caches and the like. A
 * debug kernel keeps freed objects for a while (KASAN's quarantine,
 * kmemleak's metadata), so its lane raises this with NCGPU_MEMORY_SLACK_KIB.
 */
static inline long ncgpu_memory_slack_kib(void)
{
	return (long)ncgpu_env_u64("NCGPU_MEMORY_SLACK_KIB", 4 * 1024);
}

/*
 * The seed of a randomized test: NCGPU_SEED if set, else one from the clock.
 * Printed as "# seed: N" so that a failed run can be replayed.
 */
static inline uint64_t ncgpu_test_seed(void)
{
	uint64_t seed = ncgpu_env_u64("NCGPU_SEED", (uint64_t)ncgpu_now_ns());

	printf("# seed: %llu\n", (unsigned long long)seed);
	fflush(stdout);
	return seed;
}

/*
 * Opens /dev/kmsg after its last record, so that ncgpu_kmsg_next() returns
 * only what the kernel logs from now on. Returns the fd or -errno.
 */
static inline int ncgpu_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * Reads the next kernel log record into @buf and points *@text at its
 * message. Returns its level (0 emergency .. 7 debug), -EAGAIN when there is
 * no new record, -EPIPE when records were overwritten before being read, or
 * another -errno.
 */
static inline int ncgpu_kmsg_next(int fd, char *buf, size_t len, const char **text)
{
	ssize_t n = read(fd, buf, len - 1);
	char *msg;

	*text = "";
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	msg = strchr(buf, ';');
	*text = msg ? msg + 1 : buf;
	if (msg)
		msg[strcspn(msg, "\n")] = '\0';
	return (int)(strtoul(buf, NULL, 10) & 7);
}

/*
 * Whether a kernel log message is about the emulated machine's timing (a
 * loaded host slows the guest down), or a debug kernel's note of the deepest
 * stack an exiting task used so far, not about anything a test did.
 */
static inline int ncgpu_kmsg_is_machine_noise(const char *text)
{
	static const char *const prefixes[] = {
		"clocksource:", "hrtimer: interrupt took", "perf: interrupt took too long",
		"sched: RT throttling activated", "tsc:",
	};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(text, prefixes[i], strlen(prefixes[i])))
			return 1;
	/* CONFIG_DEBUG_STACK_USAGE: "kworker/dying (8) used greatest stack depth: ..." */
	return strstr(text, " used greatest stack depth: ") != NULL;
}

/*
 * Fixture helpers: unlike the wrappers above they assert. They exist only
 * when kselftest_harness.h is included before this header.
 */
#ifdef __KSELFTEST_HARNESS_H

/* An open ncgpu render node and what DEV_QUERY reported about it. */
struct ncgpu_test_device {
	int fd;
	struct drm_ncgpu_dev_info info;
};

/*
 * SKIP() for a FIXTURE_SETUP. The 6.1 harness still runs the test body after
 * a SKIP(return) in a setup, so jump back to the harness instead.
 */
#define NCGPU_SETUP_SKIP(fmt, ...) SKIP(longjmp(_metadata->env, 1), fmt, ##__VA_ARGS__)

/*
 * Opens ncgpu for a test. Skips the test when the module is not loaded, but
 * fails it when the module is loaded without a render node named "ncgpu".
 */
static inline void ncgpu_test_device_setup(struct __test_metadata *_metadata,
				      struct ncgpu_test_device *dev)
{
	int ret;

	dev->fd = ncgpu_open();
	if (dev->fd < 0 && !ncgpu_module_loaded("ncgpu"))
		NCGPU_SETUP_SKIP("ncgpu module not loaded");
	ASSERT_LE(0, dev->fd) TH_LOG("ncgpu is loaded but no render node is named ncgpu");
	ret = __ncgpu_dev_query_info(dev->fd, &dev->info);
	ASSERT_EQ(0, ret) TH_LOG("DEV_QUERY failed: %s", strerror(-ret));
}

/* A fixture holding one open ncgpu device as self->dev. */
#define NCGPU_DEVICE_FIXTURE(name) \
	FIXTURE(name) { struct ncgpu_test_device dev; }; \
	FIXTURE_SETUP(name) { ncgpu_test_device_setup(_metadata, &self->dev); } \
	FIXTURE_TEARDOWN(name) { close(self->dev.fd); }

static inline bool ncgpu_io_coherent(const struct ncgpu_test_device *dev)
{
	return dev->info.coherency == DRM_NCGPU_COHERENCY_IO;
}

/* Whether write-back BOs have separate CPU and device views. */
static inline bool ncgpu_wb_views_split(const struct ncgpu_test_device *dev)
{
	return dev->info.coherency == DRM_NCGPU_COHERENCY_NONE;
}

static inline uint32_t ncgpu_test_bo_create(struct __test_metadata *_metadata, int fd,
					    uint64_t size, uint32_t flags)
{
	uint32_t handle = 0;
	int ret = __ncgpu_bo_create(fd, size, flags, &handle);

	ASSERT_EQ(0, ret) TH_LOG("BO_CREATE(size %llu, flags %#x): %s",
				 (unsigned long long)size, flags, strerror(-ret));
	return handle;
}

static inline void *ncgpu_test_bo_map(struct __test_metadata *_metadata, int fd,
				      uint32_t handle, size_t size)
{
	int err = 0;
	void *map = __ncgpu_bo_map(fd, handle, size, &err);

	ASSERT_NE(NULL, map) TH_LOG("mapping BO %u: %s", handle, strerror(-err));
	return map;
}

static inline struct drm_ncgpu_bo_query_info
ncgpu_test_bo_query_info(struct __test_metadata *_metadata, int fd, uint32_t handle)
{
	struct drm_ncgpu_bo_query_info info;
	int ret = __ncgpu_bo_query_info(fd, handle, &info);

	ASSERT_EQ(0, ret) TH_LOG("BO_QUERY_INFO(%u): %s", handle, strerror(-ret));
	return info;
}

/*
 * The base of a fixture about a write-back BO: an open device, the BO and a
 * write-combined probe BO of the same size, into which
 * ncgpu_read_device_view() copies the write-back BO's device view.
 */
struct ncgpu_wb_fixture {
	struct ncgpu_test_device dev;
	int fd;
	size_t granule;
	/* Whether WB BOs have separate CPU and device views. */
	bool split;
	struct ncgpu_mapped_bo wb;
	struct ncgpu_mapped_bo probe;
};

/* Opens ncgpu and creates the BOs of @f, big enough for @granules sync granules. */
static inline void ncgpu_wb_fixture_setup(struct __test_metadata *_metadata,
					  struct ncgpu_wb_fixture *f, size_t granules)
{
	size_t page = ncgpu_page_size(), size;

	ncgpu_test_device_setup(_metadata, &f->dev);
	f->fd = f->dev.fd;
	f->granule = f->dev.info.sync_granule;
	f->split = ncgpu_wb_views_split(&f->dev);
	size = (granules * f->granule + page - 1) / page * page;
	ASSERT_EQ(0, ncgpu_mapped_bo_create(f->fd, size, DRM_NCGPU_BO_WB_MMAP, &f->wb));
	ASSERT_EQ(0, ncgpu_mapped_bo_create(f->fd, size, 0, &f->probe));
}

static inline int ncgpu_read_device_view(const struct ncgpu_wb_fixture *f)
{
	return ncgpu_copy_wait(f->fd, f->probe.handle, 0, f->wb.handle, 0, f->wb.size);
}

#endif /* __KSELFTEST_HARNESS_H */

#endif /* NCGPU_TEST_H */
