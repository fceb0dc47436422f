// SPDX-License-Identifier: MIT
/*
 * Log hygiene: userspace must not be able to fill the kernel log. Thousands
 * of bad calls, through every error path of every ncgpu ioctl, the DRM core
 * and dma-buf calls ncgpu serves, and mmap, must add nothing above debug
 * level to the kernel log (read from /dev/kmsg: only records logged during
 * the flood count). Each call must also fail with the errno the uAPI
 * header's "Checks and errors" gives.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "ncgpu_sync_test.h"
#include "ncgpu_test.h"

#define ROUNDS 100
/* BO_WAIT timeouts last at least a jiffy: only some rounds take them. */
#define TIMEOUT_EVERY 10
#define BO_SIZE (4 * 4096)
#define BAD_HANDLE 0x7ffffff0u
#define BUSY_STALL_US 20000
#define KMSG_RECORD 8192
#define MAX_SHOWN 5
#define MARKER "ncgpu log_hygiene_test: flood starts"

struct flood {
	int fd;
	struct drm_ncgpu_dev_info info;
	bool io;
	/* A write-combined, a write-back, a NO_MMAP and a busy BO. */
	uint32_t wc, wb, no_mmap, busy;
	/* A vgem BO imported into ncgpu, or 0 without vgem. */
	uint32_t imported;
	/* A syncobj that never got a fence. */
	uint32_t empty_syncobj;
	/* The syncobj a SUBMIT with a bad sync op would have signalled. */
	uint32_t signal_target;
	/* The dma-buf of the NO_MMAP BO. */
	int no_mmap_dmabuf;
	uint64_t wc_offset;
	/* Guessed fake offsets of another NO_MMAP BO and import (0 without vgem). */
	uint64_t no_mmap_offset, imported_offset;
};

struct bad_call {
	const char *name;
	int (*call)(struct flood *f, int variant);
	int variant;
	int expected;
};

static int bad_dev_query(struct flood *f, int variant)
{
	struct drm_ncgpu_dev_query q = { .type = DRM_NCGPU_DEV_QUERY_INFO, .size = 32 };
	struct drm_ncgpu_dev_info info;

	switch (variant) {
	case 0:
		q.type = 1;
		break;
	case 1:
		q.size = 15;
		q.pointer = (uintptr_t)&info;
		break;
	default:
		q.pointer = 8;
	}
	return ncgpu_ioctl(f->fd, DRM_IOCTL_NCGPU_DEV_QUERY, &q);
}

static int bad_bo_create(struct flood *f, int variant)
{
	const struct drm_ncgpu_bo_create args[] = {
		{ .size = 0 },
		{ .size = BO_SIZE, .flags = 1u << 2 },
		{ .size = BO_SIZE, .flags = DRM_NCGPU_BO_NO_MMAP | DRM_NCGPU_BO_WB_MMAP },
		{ .size = f->info.max_bo_size + 1 },
		{ .size = UINT64_MAX },
	};
	struct drm_ncgpu_bo_create c = args[variant];

	return ncgpu_ioctl(f->fd, DRM_IOCTL_NCGPU_BO_CREATE, &c);
}

static int bad_bo_mmap_offset(struct flood *f, int variant)
{
	const uint32_t handles[] = { f->wc, BAD_HANDLE, f->no_mmap, f->imported };
	struct drm_ncgpu_bo_mmap_offset m = { .handle = handles[variant], .pad = variant == 0 };

	return ncgpu_ioctl(f->fd, DRM_IOCTL_NCGPU_BO_MMAP_OFFSET, &m);
}

static int bad_bo_query_info(struct flood *f, int variant)
{
	struct drm_ncgpu_bo_query_info q = { .handle = BAD_HANDLE };

	return ncgpu_ioctl(f->fd, DRM_IOCTL_NCGPU_BO_QUERY_INFO, &q);
}

/* The ways to break the array header that BO_SYNC and SUBMIT check alike. */
enum bad_array {
	BAD_ARRAY_SHORT_STRIDE,
	BAD_ARRAY_COUNT_ABOVE_CAP,
	BAD_ARRAY_ELEMENT_TAIL,
	BAD_ARRAY_UNREADABLE,
};

/* The size of BAD_ARRAY_ELEMENT_TAIL's element: more than any uAPI struct. */
#define WIDE_ELEMENT 64

/*
 * Breaks @a, an array of @elem_size-byte elements that takes at most @cap,
 * in the way @how names. BAD_ARRAY_ELEMENT_TAIL points @a at @wide, which
 * must outlive the call: a copy of the first element with a non-zero byte
 * past the end of the struct the kernel knows.
 */
static void break_array(struct drm_ncgpu_obj_array *a, size_t elem_size, uint32_t cap,
			uint8_t wide[WIDE_ELEMENT], enum bad_array how)
{
	switch (how) {
	case BAD_ARRAY_SHORT_STRIDE:
		a->stride = elem_size - 8;
		break;
	case BAD_ARRAY_COUNT_ABOVE_CAP:
		a->count = cap + 1;
		break;
	case BAD_ARRAY_ELEMENT_TAIL:
		memset(wide, 0, WIDE_ELEMENT);
		memcpy(wide, (const void *)(uintptr_t)a->array, elem_size);
		wide[WIDE_ELEMENT - 1] = 1;
		*a = (struct drm_ncgpu_obj_array){ .stride = WIDE_ELEMENT, .count = 1,
						   .array = (uintptr_t)wide };
		break;
	default:
		a->array = 8;
	}
}

/* Variants 0-3 break the ops array, 4-7 its second op. */
static int bad_bo_sync(struct flood *f, int variant)
{
	struct drm_ncgpu_bo_sync_op ops[2] = {
		{ .handle = f->wb, .size = 1 },
		{ .handle = f->wb, .size = 1 },
	};
	uint8_t wide[WIDE_ELEMENT];
	struct drm_ncgpu_bo_sync s = { .ops = DRM_NCGPU_OBJ_ARRAY(2, ops) };

	switch (variant) {
	case 4:
		ops[1].handle = BAD_HANDLE;
		break;
	case 5:
		ops[1].offset = BO_SIZE;
		break;
	case 6:
		ops[1].handle = f->imported;
		break;
	case 7:
		ops[1].type = 2;
		break;
	default:
		break_array(&s.ops, sizeof(ops[0]), f->info.max_sync_ops, wide, variant);
	}
	return ncgpu_ioctl(f->fd, DRM_IOCTL_NCGPU_BO_SYNC, &s);
}

static void break_cmd(struct flood *f, struct drm_ncgpu_cmd *c, int variant)
{
	switch (variant) {
	case 0:
		c->op = 3;
		break;
	case 1:
		c->flags = 1;
		break;
	case 2:
		c->dst_handle = BAD_HANDLE;
		break;
	case 3:
		c->dst_offset = BO_SIZE - 1;
		break;
	case 4:
		*c = ncgpu_cmd_copy(f->wc, 0, f->wc, BO_SIZE / 2 - 1, BO_SIZE / 2);
		break;
	case 5:
		c->src_handle = f->wb;
		break;
	case 6:
		*c = ncgpu_cmd_stall(DRM_NCGPU_STALL_MAX_US + 1);
		break;
	default:
		*c = ncgpu_cmd_stall(1);
		c->dst_handle = f->wc;
	}
}

/* Variants 0-7 break the second command, 8-13 the submission or its array, 14-16 syncobjs. */
static int bad_submit(struct flood *f, int variant)
{
	struct drm_ncgpu_cmd cmds[2] = {
		ncgpu_cmd_fill(f->wc, 0, 8, 1), ncgpu_cmd_fill(f->wc, 8, 8, 2),
	};
	uint8_t wide[WIDE_ELEMENT];
	struct drm_ncgpu_submit s = { .cmds = DRM_NCGPU_OBJ_ARRAY(2, cmds) };

	if (variant < 8)
		break_cmd(f, &cmds[1], variant);
	switch (variant) {
	case 8:
		s.flags = 1;
		break;
	case 9:
		s.pad = 1;
		break;
	case 10 ... 13:
		break_array(&s.cmds, sizeof(cmds[0]), f->info.max_cmds, wide, variant - 10);
		break;
	case 14:
		s.in_syncobj = BAD_HANDLE;
		break;
	case 15:
		s.out_syncobj = BAD_HANDLE;
		break;
	case 16:
		s.in_syncobj = f->empty_syncobj;
		break;
	}
	return ncgpu_ioctl(f->fd, DRM_IOCTL_NCGPU_SUBMIT, &s);
}

/* Variants 0-3 break the syncs array, 4-10 its second op. */
static int bad_submit_syncs(struct flood *f, int variant)
{
	struct drm_ncgpu_sync_op ops[2] = {
		ncgpu_signal_op(f->signal_target, 0), ncgpu_signal_op(f->signal_target, 0),
	};
	uint8_t wide[WIDE_ELEMENT];
	struct drm_ncgpu_submit s = { .syncs = DRM_NCGPU_OBJ_ARRAY(2, ops) };

	switch (variant) {
	case 4:
		ops[1].flags |= 1u << 8;
		break;
	case 5:
		ops[1].flags |= 2;
		break;
	case 6:
		ops[1].timeline_point = 1;
		break;
	case 7:
		ops[1] = ncgpu_signal_op(f->signal_target, 1);
		ops[1].timeline_point = 0;
		break;
	case 8:
		ops[1].handle = BAD_HANDLE;
		break;
	case 9:
		ops[1] = ncgpu_wait_op(f->empty_syncobj, 0);
		break;
	case 10:
		ops[1] = ncgpu_wait_op(f->empty_syncobj, 1);
		break;
	default:
		break_array(&s.syncs, sizeof(ops[0]), f->info.max_submit_syncs, wide, variant);
	}
	return ncgpu_ioctl(f->fd, DRM_IOCTL_NCGPU_SUBMIT, &s);
}

/* Keeps f->busy busy for a while, so that waits on it poll busy or time out. */
static int make_busy(struct flood *f)
{
	struct drm_ncgpu_cmd job[2] = {
		ncgpu_cmd_stall(BUSY_STALL_US), ncgpu_cmd_fill(f->busy, 0, 8, 3),
	};

	if (__ncgpu_bo_wait(f->fd, f->busy, 0) == -EBUSY)
		return 0;
	return __ncgpu_submit(f->fd, job, 2, 0, 0);
}

/* Waits on f->busy for @rel_ns; had its job just finished, tries once more. */
static int wait_busy(struct flood *f, int64_t rel_ns)
{
	int ret = make_busy(f), tries;

	for (tries = 0; !ret && tries < 2; tries++) {
		ret = ncgpu_bo_wait_for(f->fd, f->busy, rel_ns);
		if (!ret)
			ret = make_busy(f);
	}
	return ret;
}

static int bad_bo_wait(struct flood *f, int variant)
{
	struct drm_ncgpu_bo_wait w = { .handle = f->busy };

	switch (variant) {
	case 0:
		w.pad = 1;
		break;
	case 1:
		w.timeout_ns = -1;
		break;
	case 2:
		w.handle = BAD_HANDLE;
		break;
	case 3:
		return wait_busy(f, 0);
	default:
		return wait_busy(f, 1);
	}
	return ncgpu_ioctl(f->fd, DRM_IOCTL_NCGPU_BO_WAIT, &w);
}

static int bad_core_call(struct flood *f, int variant)
{
	struct drm_gem_close close_args = { .handle = BAD_HANDLE };
	struct drm_prime_handle export = { .handle = f->wb, .flags = DRM_CLOEXEC | DRM_RDWR };
	struct drm_prime_handle import = { .fd = -1 };
	uint64_t unknown[2] = { 0 };

	switch (variant) {
	case 0:
		return ncgpu_ioctl(f->fd, DRM_IOWR(DRM_COMMAND_BASE + DRM_NCGPU_BO_WAIT + 1,
						   uint64_t[2]), unknown);
	case 1:
		return ncgpu_ioctl(f->fd, DRM_IOCTL_GEM_CLOSE, &close_args);
	case 2:
		return ncgpu_ioctl(f->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &export);
	case 3:
		export.handle = BAD_HANDLE;
		return ncgpu_ioctl(f->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &export);
	case 4:
		export.flags = 1u << 4;
		return ncgpu_ioctl(f->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &export);
	case 5:
		return ncgpu_ioctl(f->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &import);
	case 6:
		import.fd = f->fd;
		return ncgpu_ioctl(f->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &import);
	case 7:
		return __syncobj_wait(f->fd, f->empty_syncobj, 0);
	default:
		return __dmabuf_sync(f->no_mmap_dmabuf, DMA_BUF_SYNC_END);
	}
}

static int bad_mmap(struct flood *f, int variant)
{
	void *p;

	switch (variant) {
	case 0:
		p = mmap(NULL, BO_SIZE, PROT_READ, MAP_PRIVATE, f->fd, f->wc_offset);
		break;
	case 1:
		p = mmap(NULL, 2 * BO_SIZE, PROT_READ, MAP_SHARED, f->fd, f->wc_offset);
		break;
	case 2:
		p = mmap(NULL, BO_SIZE, PROT_READ, MAP_SHARED, f->fd, f->wc_offset + 4096);
		break;
	case 3:
		p = mmap(NULL, BO_SIZE, PROT_READ, MAP_SHARED, f->no_mmap_dmabuf, 0);
		break;
	case 4:
		p = mmap(NULL, BO_SIZE, PROT_READ, MAP_SHARED, f->fd, f->no_mmap_offset);
		break;
	default:
		p = mmap(NULL, BO_SIZE, PROT_READ, MAP_SHARED, f->fd, f->imported_offset);
	}
	if (p != MAP_FAILED) {
		munmap(p, BO_SIZE);
		return 0;
	}
	return -errno;
}

/* An array whose stride is above 4096: BO_SYNC's (0), SUBMIT's cmds (1) or syncs (2). */
static int bad_stride(struct flood *f, int variant)
{
	const struct drm_ncgpu_obj_array wide = {
		.stride = 2 * NCGPU_TEST_MAX_STRIDE, .count = 1, .array = (uintptr_t)f,
	};
	struct drm_ncgpu_bo_sync sync = { .ops = wide };
	struct drm_ncgpu_submit submit = { 0 };

	if (!variant)
		return ncgpu_ioctl(f->fd, DRM_IOCTL_NCGPU_BO_SYNC, &sync);
	*(variant == 1 ? &submit.cmds : &submit.syncs) = wide;
	return ncgpu_ioctl(f->fd, DRM_IOCTL_NCGPU_SUBMIT, &submit);
}

static const struct bad_call bad_calls[] = {
	{ "DEV_QUERY unknown type", bad_dev_query, 0, EINVAL },
	{ "DEV_QUERY size below 16", bad_dev_query, 1, EINVAL },
	{ "DEV_QUERY unwritable pointer", bad_dev_query, 2, EFAULT },
	{ "BO_CREATE size 0", bad_bo_create, 0, EINVAL },
	{ "BO_CREATE unknown flag", bad_bo_create, 1, EINVAL },
	{ "BO_CREATE NO_MMAP with WB_MMAP", bad_bo_create, 2, EINVAL },
	{ "BO_CREATE above max_bo_size", bad_bo_create, 3, E2BIG },
	{ "BO_CREATE size 2^64-1", bad_bo_create, 4, E2BIG },
	{ "BO_MMAP_OFFSET non-zero pad", bad_bo_mmap_offset, 0, EINVAL },
	{ "BO_MMAP_OFFSET bad handle", bad_bo_mmap_offset, 1, ENOENT },
	{ "BO_MMAP_OFFSET NO_MMAP BO", bad_bo_mmap_offset, 2, EPERM },
	{ "BO_MMAP_OFFSET imported BO", bad_bo_mmap_offset, 3, EINVAL },
	{ "BO_QUERY_INFO bad handle", bad_bo_query_info, 0, ENOENT },
	{ "BO_SYNC stride below minimum", bad_bo_sync, 0, EINVAL },
	{ "BO_SYNC count above cap", bad_bo_sync, 1, EINVAL },
	{ "BO_SYNC non-zero element tail", bad_bo_sync, 2, E2BIG },
	{ "BO_SYNC unreadable array", bad_bo_sync, 3, EFAULT },
	{ "BO_SYNC bad handle", bad_bo_sync, 4, ENOENT },
	{ "BO_SYNC range past the BO", bad_bo_sync, 5, EINVAL },
	{ "BO_SYNC imported BO", bad_bo_sync, 6, EINVAL },
	{ "BO_SYNC unknown type", bad_bo_sync, 7, EINVAL },
	{ "SUBMIT unknown op", bad_submit, 0, EINVAL },
	{ "SUBMIT command flags", bad_submit, 1, EINVAL },
	{ "SUBMIT bad BO handle", bad_submit, 2, ENOENT },
	{ "SUBMIT range past the BO", bad_submit, 3, EINVAL },
	{ "SUBMIT overlapping COPY", bad_submit, 4, EINVAL },
	{ "SUBMIT FILL with a source", bad_submit, 5, EINVAL },
	{ "SUBMIT STALL too long", bad_submit, 6, EINVAL },
	{ "SUBMIT STALL with a handle", bad_submit, 7, EINVAL },
	{ "SUBMIT flags", bad_submit, 8, EINVAL },
	{ "SUBMIT pad", bad_submit, 9, EINVAL },
	{ "SUBMIT stride below minimum", bad_submit, 10, EINVAL },
	{ "SUBMIT count above cap", bad_submit, 11, EINVAL },
	{ "SUBMIT non-zero element tail", bad_submit, 12, E2BIG },
	{ "SUBMIT unreadable array", bad_submit, 13, EFAULT },
	{ "SUBMIT bad in_syncobj", bad_submit, 14, ENOENT },
	{ "SUBMIT bad out_syncobj", bad_submit, 15, ENOENT },
	{ "SUBMIT in_syncobj without fence", bad_submit, 16, EINVAL },
	{ "SUBMIT syncs stride below minimum", bad_submit_syncs, 0, EINVAL },
	{ "SUBMIT syncs count above cap", bad_submit_syncs, 1, EINVAL },
	{ "SUBMIT syncs non-zero element tail", bad_submit_syncs, 2, E2BIG },
	{ "SUBMIT syncs unreadable array", bad_submit_syncs, 3, EFAULT },
	{ "SUBMIT sync op unknown flag", bad_submit_syncs, 4, EINVAL },
	{ "SUBMIT sync op unknown handle type", bad_submit_syncs, 5, EINVAL },
	{ "SUBMIT binary sync op with a point", bad_submit_syncs, 6, EINVAL },
	{ "SUBMIT timeline sync op at point 0", bad_submit_syncs, 7, EINVAL },
	{ "SUBMIT sync op bad handle", bad_submit_syncs, 8, ENOENT },
	{ "SUBMIT wait op without fence", bad_submit_syncs, 9, EINVAL },
	{ "SUBMIT wait op on a point not submitted", bad_submit_syncs, 10, EINVAL },
	{ "BO_WAIT non-zero pad", bad_bo_wait, 0, EINVAL },
	{ "BO_WAIT negative timeout", bad_bo_wait, 1, EINVAL },
	{ "BO_WAIT bad handle", bad_bo_wait, 2, ENOENT },
	{ "BO_WAIT polling a busy BO", bad_bo_wait, 3, EBUSY },
	{ "BO_WAIT timing out", bad_bo_wait, 4, ETIMEDOUT },
	{ "unknown ncgpu ioctl", bad_core_call, 0, EINVAL },
	{ "GEM_CLOSE bad handle", bad_core_call, 1, EINVAL },
	{ "PRIME export of a write-back BO", bad_core_call, 2, EINVAL },
	{ "PRIME export bad handle", bad_core_call, 3, ENOENT },
	{ "PRIME export bad flags", bad_core_call, 4, EINVAL },
	{ "PRIME import bad fd", bad_core_call, 5, EBADF },
	{ "PRIME import of a non-dma-buf fd", bad_core_call, 6, EINVAL },
	{ "SYNCOBJ_WAIT without fence", bad_core_call, 7, EINVAL },
	{ "DMA_BUF_IOCTL_SYNC without direction", bad_core_call, 8, EINVAL },
	{ "mmap private", bad_mmap, 0, EINVAL },
	{ "mmap beyond the BO", bad_mmap, 1, EINVAL },
	{ "mmap at an unknown offset", bad_mmap, 2, EINVAL },
	{ "mmap of a NO_MMAP BO's dma-buf", bad_mmap, 3, EPERM },
	{ "mmap of a NO_MMAP BO's guessed offset", bad_mmap, 4, EPERM },
	{ "mmap of an imported BO's guessed offset", bad_mmap, 5, EINVAL },
	{ "BO_SYNC stride above 4096", bad_stride, 0, E2BIG },
	{ "SUBMIT stride above 4096", bad_stride, 1, E2BIG },
	{ "SUBMIT syncs stride above 4096", bad_stride, 2, E2BIG },
};

/* Whether @call applies here: some need vgem, one a non-coherent device. */
static bool applies(const struct flood *f, const struct bad_call *call)
{
	bool needs_import = (call->call == bad_bo_mmap_offset && call->variant == 3) ||
			    (call->call == bad_bo_sync && call->variant == 6) ||
			    (call->call == bad_mmap && call->variant == 5);
	bool needs_split = call->call == bad_core_call && call->variant == 2;

	return (!needs_import || f->imported) && (!needs_split || !f->io);
}

static void write_kmsg(const char *line)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0)
		perror("/dev/kmsg");
	close(fd);
}

FIXTURE(log) {
	struct ncgpu_test_device dev;
	struct flood f;
	int vgem;
};

static int import_vgem_bo(struct flood *f, int vgem)
{
	struct ncgpu_foreign_bo bo;
	int ret = ncgpu_foreign_bo_create(f->fd, vgem, BO_SIZE, &bo);

	if (ret)
		return ret;
	f->imported = bo.handle;
	close(bo.dmabuf);
	munmap(bo.map, BO_SIZE);
	return 0;
}

static int make_no_mmap_bo(int fd, void *arg)
{
	uint32_t handle;

	return __ncgpu_bo_create(fd, BO_SIZE, DRM_NCGPU_BO_NO_MMAP, &handle);
}

static int make_import(int fd, void *vgem)
{
	struct ncgpu_foreign_bo bo;

	return ncgpu_foreign_bo_create(fd, *(int *)vgem, BO_SIZE, &bo);
}

FIXTURE_SETUP(log)
{
	struct flood *f = &self->f;
	int dmabuf = -1;

	ncgpu_test_device_setup(_metadata, &self->dev);
	memset(f, 0, sizeof(*f));
	f->fd = self->dev.fd;
	f->info = self->dev.info;
	f->io = f->info.coherency == DRM_NCGPU_COHERENCY_IO;
	ASSERT_EQ(0, __ncgpu_bo_create(f->fd, BO_SIZE, 0, &f->wc));
	ASSERT_EQ(0, __ncgpu_bo_create(f->fd, BO_SIZE, DRM_NCGPU_BO_WB_MMAP, &f->wb));
	ASSERT_EQ(0, __ncgpu_bo_create(f->fd, BO_SIZE, DRM_NCGPU_BO_NO_MMAP, &f->no_mmap));
	ASSERT_EQ(0, __ncgpu_bo_create(f->fd, BO_SIZE, 0, &f->busy));
	ASSERT_EQ(0, __ncgpu_bo_mmap_offset(f->fd, f->wc, &f->wc_offset));
	ASSERT_EQ(0, __syncobj_create(f->fd, &f->empty_syncobj));
	ASSERT_EQ(0, __syncobj_create(f->fd, &f->signal_target));
	ASSERT_EQ(0, __prime_handle_to_fd(f->fd, f->no_mmap, &dmabuf));
	f->no_mmap_dmabuf = dmabuf;
	ASSERT_EQ(0, ncgpu_guess_offsets(f->fd, BO_SIZE, make_no_mmap_bo, NULL,
					 &f->no_mmap_offset));
	self->vgem = ncgpu_open_primary_driver("vgem");
	if (self->vgem >= 0) {
		ASSERT_EQ(0, import_vgem_bo(f, self->vgem));
		ASSERT_EQ(0, ncgpu_guess_offsets(f->fd, BO_SIZE, make_import, &self->vgem,
						 &f->imported_offset));
	}
}

FIXTURE_TEARDOWN(log)
{
	close(self->f.no_mmap_dmabuf);
	if (self->vgem >= 0)
		close(self->vgem);
	close(self->dev.fd);
}

/* Runs every applicable bad call ROUNDS times; returns how many were made. */
static unsigned int flood(struct __test_metadata *_metadata, struct flood *f)
{
	unsigned int round, i, calls = 0, wrong = 0;
	const struct bad_call *c;
	int ret;

	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < sizeof(bad_calls) / sizeof(bad_calls[0]); i++) {
			c = &bad_calls[i];
			if (!applies(f, c) || (c->expected == ETIMEDOUT && round % TIMEOUT_EVERY))
				continue;
			ret = c->call(f, c->variant);
			calls++;
			if (ret != -c->expected && wrong++ < MAX_SHOWN)
				TH_LOG("%s: %s, expected %s", c->name, strerror(-ret),
				       strerror(c->expected));
		}
	}
	EXPECT_EQ(0u, wrong) TH_LOG("%u calls failed otherwise than the uAPI says", wrong);
	return calls;
}

TEST_F(log, bad_calls_log_nothing_above_debug)
{
	char record[KMSG_RECORD];
	unsigned int calls, logged = 0, marker = 0;
	const char *text;
	int kmsg = ncgpu_kmsg_open(), level;

	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(-kmsg));
	/* Proves that the records of the flood are read: this one must come back. */
	write_kmsg("<7>" MARKER "\n");
	calls = flood(_metadata, &self->f);
	ASSERT_EQ(0, ncgpu_bo_wait_for(self->f.fd, self->f.busy, 10 * NCGPU_TEST_NSEC_PER_SEC));
	while ((level = ncgpu_kmsg_next(kmsg, record, sizeof(record), &text)) != -EAGAIN) {
		ASSERT_NE(-EPIPE, level) TH_LOG("kernel log records were lost: it overflowed");
		ASSERT_LE(0, level) TH_LOG("/dev/kmsg: %s", strerror(-level));
		if (strstr(text, MARKER)) {
			marker++;
			continue;
		}
		if (ncgpu_kmsg_is_machine_noise(text)) {
			printf("# ignored, about the emulated machine: %s\n", text);
			continue;
		}
		if (level < 7 && logged++ < MAX_SHOWN)
			TH_LOG("logged at level %d: %s", level, text);
	}
	close(kmsg);
	printf("# %u bad calls, %u kernel log records above debug level\n", calls, logged);
	fflush(stdout);
	ASSERT_EQ(1u, marker) TH_LOG("/dev/kmsg did not return the test's own record");
	EXPECT_EQ(0u, logged);
}

TEST_HARNESS_MAIN
