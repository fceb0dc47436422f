// SPDX-License-Identifier: MIT
/*
 * DRM_IOCTL_NCGPU_BO_SYNC: array rules (the 4096-byte stride cap among
 * them), the per-op checks and their order, batches that stop at the first
 * error, and that it never waits for jobs.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "ncgpu_test.h"

#define FLUSH DRM_NCGPU_BO_SYNC_FLUSH
#define FLUSH_INV DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE
#define BAD_HANDLE 0x7fffffffu
#define OP_MIN_STRIDE 24
#define MAX_STRIDE NCGPU_TEST_MAX_STRIDE

/* An op followed by the tail bytes a newer userspace could append. */
struct padded_op {
	struct drm_ncgpu_bo_sync_op op;
	uint64_t tail;
};

FIXTURE(bo_sync) {
	/* Its write-back BO holds at least four granules. */
	struct ncgpu_wb_fixture base;
};

FIXTURE_SETUP(bo_sync)
{
	ncgpu_wb_fixture_setup(_metadata, &self->base, 4);
}

FIXTURE_TEARDOWN(bo_sync)
{
	close(self->base.fd);
}

static struct drm_ncgpu_bo_sync_op sync_op(uint32_t handle, uint32_t type, uint64_t offset,
					   uint64_t size)
{
	struct drm_ncgpu_bo_sync_op op = {
		.handle = handle, .type = type, .offset = offset, .size = size,
	};

	return op;
}

static int open_vgem_bo(int fd, struct ncgpu_foreign_bo *bo)
{
	int card = ncgpu_open_primary_driver("vgem");

	if (card < 0)
		return card;
	return ncgpu_foreign_bo_create(fd, card, 4096, bo);
}

TEST_F(bo_sync, empty_array_with_zero_stride_and_null_pointer_is_ok)
{
	ASSERT_EQ(0, __ncgpu_bo_sync_strided(self->base.fd, NULL, 0, 0));
}

TEST_F(bo_sync, empty_array_ignores_stride_and_pointer)
{
	ASSERT_EQ(0, __ncgpu_bo_sync_strided(self->base.fd, (void *)8, 23, 0));
}

TEST_F(bo_sync, stride_below_minimum_is_einval)
{
	struct padded_op ops[1] = { { sync_op(self->base.wb.handle, FLUSH, 0, 1), 0 } };

	ASSERT_EQ(0, __ncgpu_bo_sync_strided(self->base.fd, ops, OP_MIN_STRIDE, 1));
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_strided(self->base.fd, ops, OP_MIN_STRIDE - 1, 1));
}

TEST_F(bo_sync, stride_above_op_size_with_zero_tail_is_ok)
{
	struct padded_op ops[2] = {
		{ sync_op(self->base.wb.handle, FLUSH, 0, 1), 0 },
		{ sync_op(self->base.wb.handle, FLUSH, self->base.granule, 1), 0 },
	};

	memset(self->base.wb.map + self->base.granule, 0x5a, self->base.granule);
	ASSERT_EQ(0, __ncgpu_bo_sync_strided(self->base.fd, ops, sizeof(ops[0]), 2));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	/* The second op was read at the caller's stride: it flushed granule 1. */
	ASSERT_TRUE(ncgpu_bytes_equal(self->base.probe.map + self->base.granule, 0x5a,
				      self->base.granule));
}

TEST_F(bo_sync, stride_above_op_size_with_nonzero_tail_is_e2big)
{
	struct padded_op ops[2] = {
		{ sync_op(self->base.wb.handle, FLUSH, 0, 1), 0 },
		{ sync_op(self->base.wb.handle, FLUSH, 0, 1), 1 },
	};

	ASSERT_EQ(-E2BIG, __ncgpu_bo_sync_strided(self->base.fd, ops, sizeof(ops[0]), 2));
}

TEST_F(bo_sync, stride_4096_is_ok)
{
	struct drm_ncgpu_bo_sync_op ops[2] = {
		sync_op(self->base.wb.handle, FLUSH, 0, 1),
		sync_op(self->base.wb.handle, FLUSH, self->base.granule, 1),
	};
	uint8_t *array = ncgpu_strided_array(ops, sizeof(*ops), 2, MAX_STRIDE);

	ASSERT_NE(NULL, array);
	memset(self->base.wb.map + self->base.granule, 0x5a, self->base.granule);
	ASSERT_EQ(0, __ncgpu_bo_sync_strided(self->base.fd, array, MAX_STRIDE, 2));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	/* The second op was read 4096 bytes after the first: it flushed granule 1. */
	ASSERT_TRUE(ncgpu_bytes_equal(self->base.probe.map + self->base.granule, 0x5a,
				      self->base.granule));
	free(array);
}

TEST_F(bo_sync, stride_above_4096_is_e2big_and_runs_no_op)
{
	struct drm_ncgpu_bo_sync_op ops[2] = {
		sync_op(self->base.wb.handle, FLUSH, 0, 1),
		sync_op(self->base.wb.handle, FLUSH, self->base.granule, 1),
	};
	const uint32_t strides[] = { MAX_STRIDE + 1, MAX_STRIDE + 8, 2 * MAX_STRIDE };
	uint8_t *array;
	size_t i;

	memset(self->base.wb.map, 0x5a, 2 * self->base.granule);
	for (i = 0; i < ARRAY_SIZE(strides); i++) {
		array = ncgpu_strided_array(ops, sizeof(*ops), 2, strides[i]);
		ASSERT_NE(NULL, array);
		EXPECT_EQ(-E2BIG, __ncgpu_bo_sync_strided(self->base.fd, array, strides[i], 2))
			TH_LOG("stride %u", strides[i]);
		free(array);
	}
	if (self->base.split) {
		ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
		ASSERT_TRUE(ncgpu_bytes_equal(self->base.probe.map, 0, 2 * self->base.granule))
			TH_LOG("an op of a refused array ran");
	}
}

/* A stride is refused before the kernel reads anything at it. */
TEST_F(bo_sync, stride_above_4096_is_checked_before_reading)
{
	void *hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct drm_ncgpu_bo_sync_op op = sync_op(self->base.wb.handle, FLUSH, 0, 1);

	ASSERT_NE(MAP_FAILED, hole);
	EXPECT_EQ(-E2BIG, __ncgpu_bo_sync_strided(self->base.fd, hole, MAX_STRIDE + 8, 1));
	/* 16384 ops 256 MiB apart: 4 TiB of memory the kernel must not scan. */
	EXPECT_EQ(-E2BIG, __ncgpu_bo_sync_strided(self->base.fd, &op, 256u << 20,
						  self->base.dev.info.max_sync_ops));
	EXPECT_EQ(-E2BIG, __ncgpu_bo_sync_strided(self->base.fd, &op, UINT32_MAX, 2));
	munmap(hole, 4096);
}

TEST_F(bo_sync, count_above_cap_is_checked_before_stride_above_4096)
{
	struct drm_ncgpu_bo_sync_op op = sync_op(self->base.wb.handle, FLUSH, 0, 1);

	EXPECT_EQ(-EINVAL, __ncgpu_bo_sync_strided(self->base.fd, &op, MAX_STRIDE + 8,
						   self->base.dev.info.max_sync_ops + 1));
}

TEST_F(bo_sync, count_equal_to_max_sync_ops_is_ok)
{
	uint32_t i, count = self->base.dev.info.max_sync_ops;
	struct drm_ncgpu_bo_sync_op *ops = calloc(count, sizeof(*ops));

	ASSERT_NE(NULL, ops);
	for (i = 0; i < count; i++)
		ops[i] = sync_op(self->base.wb.handle, FLUSH, i % self->base.wb.size, 1);
	ASSERT_EQ(0, __ncgpu_bo_sync(self->base.fd, ops, count));
	free(ops);
}

TEST_F(bo_sync, count_above_max_sync_ops_is_einval)
{
	uint32_t i, count = self->base.dev.info.max_sync_ops + 1;
	struct drm_ncgpu_bo_sync_op *ops = calloc(count, sizeof(*ops));

	ASSERT_NE(NULL, ops);
	for (i = 0; i < count; i++)
		ops[i] = sync_op(self->base.wb.handle, FLUSH, i % self->base.wb.size, 1);
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync(self->base.fd, ops, count));
	free(ops);
}

TEST_F(bo_sync, unreadable_array_is_efault)
{
	void *hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(-EFAULT, __ncgpu_bo_sync_strided(self->base.fd, hole, OP_MIN_STRIDE, 1));
	munmap(hole, 4096);
}

TEST_F(bo_sync, bad_handle_is_enoent)
{
	ASSERT_EQ(-ENOENT, __ncgpu_bo_sync_range(self->base.fd, BAD_HANDLE, FLUSH, 0, 1));
}

TEST_F(bo_sync, range_that_wraps_is_einval)
{
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, FLUSH,
						 UINT64_MAX, 2));
}

TEST_F(bo_sync, range_starting_at_end_is_einval)
{
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, FLUSH,
						 self->base.wb.size, 1));
}

TEST_F(bo_sync, range_ending_past_end_is_einval)
{
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, FLUSH, 1,
						 self->base.wb.size));
}

TEST_F(bo_sync, empty_range_at_end_is_ok)
{
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, FLUSH,
					   self->base.wb.size, 0));
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, FLUSH_INV,
					   self->base.wb.size, 0));
}

TEST_F(bo_sync, unaligned_range_is_ok)
{
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, FLUSH, 3, 5));
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, FLUSH_INV, 3, 5));
}

TEST_F(bo_sync, imported_bo_is_einval)
{
	struct ncgpu_foreign_bo bo;
	int ret = open_vgem_bo(self->base.fd, &bo);

	if (ret == -ENODEV)
		SKIP(return, "vgem not loaded");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, bo.handle, FLUSH, 0, 1));
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, bo.handle, FLUSH_INV, 0, bo.size));
}

TEST_F(bo_sync, imported_bo_with_size_0_is_einval)
{
	struct ncgpu_foreign_bo bo;
	int ret = open_vgem_bo(self->base.fd, &bo);

	if (ret == -ENODEV)
		SKIP(return, "vgem not loaded");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, bo.handle, FLUSH, 0, 0));
}

TEST_F(bo_sync, unknown_type_2_is_einval)
{
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, 2, 0, 1));
}

TEST_F(bo_sync, unknown_type_0xffffffff_is_einval)
{
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, 0xffffffffu,
						 0, 1));
}

TEST_F(bo_sync, bad_handle_is_checked_before_bad_range)
{
	ASSERT_EQ(-ENOENT, __ncgpu_bo_sync_range(self->base.fd, BAD_HANDLE, FLUSH, UINT64_MAX, 2));
}

TEST_F(bo_sync, bad_handle_is_checked_before_bad_type)
{
	ASSERT_EQ(-ENOENT, __ncgpu_bo_sync_range(self->base.fd, BAD_HANDLE, 2, 0, 1));
}

TEST_F(bo_sync, bad_range_with_bad_type_is_einval)
{
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, 2,
						 self->base.wb.size, 1));
}

TEST_F(bo_sync, bad_type_is_checked_before_size_0)
{
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, 2, 0, 0));
}

TEST_F(bo_sync, bad_type_is_checked_before_write_combined)
{
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, self->base.probe.handle, 2, 0, 1));
}

TEST_F(bo_sync, write_combined_bo_is_ok)
{
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->base.fd, self->base.probe.handle, FLUSH, 0,
					   self->base.probe.size));
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->base.fd, self->base.probe.handle, FLUSH_INV, 3,
					   5));
}

TEST_F(bo_sync, no_mmap_bo_is_ok)
{
	uint32_t handle;

	ASSERT_EQ(0, __ncgpu_bo_create(self->base.fd, 4096, DRM_NCGPU_BO_NO_MMAP, &handle));
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->base.fd, handle, FLUSH, 0, 4096));
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->base.fd, handle, FLUSH_INV, 1, 1));
}

TEST_F(bo_sync, size_0_is_ok)
{
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, FLUSH, 7, 0));
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, FLUSH_INV, 0, 0));
}

TEST_F(bo_sync, io_coherent_device_validates_then_succeeds)
{
	struct ncgpu_foreign_bo bo;
	int ret;

	if (self->base.split)
		SKIP(return, "device is not IO-coherent");
	ASSERT_EQ(-ENOENT, __ncgpu_bo_sync_range(self->base.fd, BAD_HANDLE, FLUSH, 0, 1));
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, FLUSH,
						 UINT64_MAX, 2));
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, FLUSH,
						 self->base.wb.size, 1));
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, 2, 0, 1));
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, FLUSH, 0,
					   self->base.wb.size));
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, FLUSH_INV, 3, 5));
	ret = open_vgem_bo(self->base.fd, &bo);
	if (ret == -ENODEV)
		return;
	ASSERT_EQ(0, ret);
	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->base.fd, bo.handle, FLUSH, 0, 1));
}

TEST_F(bo_sync, batch_stops_at_first_error_keeping_earlier_ops)
{
	size_t g = self->base.granule;
	struct drm_ncgpu_bo_sync_op ops[3] = {
		sync_op(self->base.wb.handle, FLUSH, 0, 1),
		sync_op(BAD_HANDLE, FLUSH, 0, 1),
		sync_op(self->base.wb.handle, FLUSH, 2 * g, 1),
	};

	if (!self->base.split)
		SKIP(return, "IO-coherent device: BO_SYNC has no visible effect");
	memset(self->base.wb.map, 0xa1, g);
	memset(self->base.wb.map + 2 * g, 0xb2, g);
	ASSERT_EQ(-ENOENT, __ncgpu_bo_sync(self->base.fd, ops, 3));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	EXPECT_TRUE(ncgpu_bytes_equal(self->base.probe.map, 0xa1, g)) TH_LOG("op 0 was undone");
	EXPECT_TRUE(ncgpu_bytes_equal(self->base.probe.map + 2 * g, 0, g)) TH_LOG("op 2 ran");
	/* Control: op 2 alone does reach the device. */
	ASSERT_EQ(0, __ncgpu_bo_sync(self->base.fd, &ops[2], 1));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	ASSERT_TRUE(ncgpu_bytes_equal(self->base.probe.map + 2 * g, 0xb2, g));
}

TEST_F(bo_sync, batch_returns_first_failing_ops_error)
{
	struct drm_ncgpu_bo_sync_op ops[3] = {
		sync_op(self->base.wb.handle, FLUSH, 0, 1),
		sync_op(self->base.wb.handle, 2, 0, 1),
		sync_op(BAD_HANDLE, FLUSH, 0, 1),
	};

	ASSERT_EQ(-EINVAL, __ncgpu_bo_sync(self->base.fd, ops, 3));
	ops[1] = sync_op(BAD_HANDLE, FLUSH, 0, 1);
	ops[2] = sync_op(self->base.wb.handle, 2, 0, 1);
	ASSERT_EQ(-ENOENT, __ncgpu_bo_sync(self->base.fd, ops, 3));
}

TEST_F(bo_sync, does_not_wait_for_device_jobs)
{
	size_t g = self->base.granule;
	struct drm_ncgpu_cmd job[2] = {
		ncgpu_cmd_stall(500000),
		ncgpu_cmd_fill(self->base.wb.handle, 3 * g, g, 0x1234),
	};
	struct drm_ncgpu_bo_sync_op ops[2] = {
		sync_op(self->base.wb.handle, FLUSH, 0, g),
		sync_op(self->base.wb.handle, FLUSH_INV, g, g),
	};
	int64_t start, elapsed_ms;

	memset(self->base.wb.map, 0x42, 2 * g);
	ASSERT_EQ(0, __ncgpu_submit(self->base.fd, job, 2, 0, 0));
	ASSERT_EQ(-EBUSY, __ncgpu_bo_wait(self->base.fd, self->base.wb.handle, 0));
	start = ncgpu_now_ns();
	ASSERT_EQ(0, __ncgpu_bo_sync(self->base.fd, ops, 2));
	elapsed_ms = (ncgpu_now_ns() - start) / NCGPU_TEST_NSEC_PER_MSEC;
	EXPECT_GT(250, elapsed_ms) TH_LOG("BO_SYNC took %lld ms", (long long)elapsed_ms);
	/* Still busy: BO_SYNC returned while the job was running. */
	ASSERT_EQ(-EBUSY, __ncgpu_bo_wait(self->base.fd, self->base.wb.handle, 0));
	ASSERT_EQ(0, ncgpu_bo_wait_for(self->base.fd, self->base.wb.handle,
				       5 * NCGPU_TEST_NSEC_PER_SEC));
}

TEST_HARNESS_MAIN
