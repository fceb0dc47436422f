// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the pure logic of the generic GEM sync layer: range checks,
 * granule widening, access flags, the export policy and the DMA segment
 * lookup.
 *
 * Copyright (C) 2026 The ncgpu authors
 */

#include <kunit/test.h>

#include <linux/dma-direction.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/string.h>

#include "drm_gem_sync.h"

#define DEV_ACCESS(type) (DRM_GEM_OBJECT_DEV_ACCESS | DRM_GEM_OBJECT_##type##_ACCESS)
#define CPU_ACCESS(type) (DRM_GEM_OBJECT_CPU_ACCESS | DRM_GEM_OBJECT_##type##_ACCESS)

/**
 * struct drm_gem_sync_range_case - a drm_gem_sync_check_range() call
 * @name: what the case checks
 * @obj_size: the object's size
 * @offset: the range's first byte
 * @size: the range's length
 * @expected: the expected return value
 */
struct drm_gem_sync_range_case {
	const char *name;
	u64 obj_size;
	u64 offset;
	u64 size;
	int expected;
};

static const struct drm_gem_sync_range_case drm_gem_sync_range_cases[] = {
	{ "whole_object", 4096, 0, 4096, 0 },
	{ "last_byte", 4096, 4095, 1, 0 },
	{ "one_byte_past_the_end", 4096, 4095, 2, -EINVAL },
	{ "offset_past_the_end", 4096, 8192, 1, -EINVAL },
	{ "empty_at_the_start", 4096, 0, 0, 0 },
	{ "empty_at_the_end", 4096, 4096, 0, 0 },
	{ "empty_past_the_end", 4096, 4097, 0, -EINVAL },
	{ "empty_object_empty_range", 0, 0, 0, 0 },
	{ "empty_object_one_byte", 0, 0, 1, -EINVAL },
	{ "end_wraps_past_zero", 4096, U64_MAX, 2, -EINVAL },
	{ "end_wraps_to_zero", 4096, 1, U64_MAX, -EINVAL },
	{ "largest_object_whole", U64_MAX, 0, U64_MAX, 0 },
	{ "largest_object_last_byte", U64_MAX, U64_MAX - 1, 1, 0 },
	{ "largest_object_past_the_end", U64_MAX, U64_MAX, 1, -EINVAL },
};

static void drm_gem_sync_range_desc(const struct drm_gem_sync_range_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(drm_gem_sync_range, drm_gem_sync_range_cases, drm_gem_sync_range_desc);

static void drm_test_gem_sync_check_range_rejects_outside_or_wrapping(struct kunit *test)
{
	const struct drm_gem_sync_range_case *t = test->param_value;

	KUNIT_EXPECT_EQ(test, drm_gem_sync_check_range(t->obj_size, t->offset, t->size),
			t->expected);
}

/**
 * struct drm_gem_sync_widen_case - a drm_gem_sync_widen() call
 * @name: what the case checks
 * @granule: the maintenance granule
 * @obj_size: the object's size
 * @offset: the range's first byte
 * @size: the range's length
 * @widened_offset: the expected first byte after widening
 * @widened_size: the expected length after widening
 */
struct drm_gem_sync_widen_case {
	const char *name;
	unsigned int granule;
	u64 obj_size;
	u64 offset;
	u64 size;
	u64 widened_offset;
	u64 widened_size;
};

static const struct drm_gem_sync_widen_case drm_gem_sync_widen_cases[] = {
	{ "aligned_unchanged", 64, 4096, 64, 128, 64, 128 },
	{ "one_byte_to_its_granule", 64, 4096, 100, 1, 64, 64 },
	{ "straddling_two_granules", 64, 4096, 60, 8, 0, 128 },
	{ "unaligned_start_and_end", 64, 4096, 65, 126, 64, 128 },
	{ "aligned_start_unaligned_end", 64, 4096, 128, 1, 128, 64 },
	{ "unaligned_start_aligned_end", 64, 4096, 127, 1, 64, 64 },
	{ "whole_object", 64, 4096, 0, 4096, 0, 4096 },
	{ "empty_stays_unmoved", 64, 4096, 100, 0, 100, 0 },
	{ "end_stops_at_object_end", 64, 4000, 3990, 10, 3968, 32 },
	{ "smallest_granule", 16, 4096, 17, 1, 16, 16 },
	{ "page_granule", 4096, 16384, 5000, 1, 4096, 4096 },
	{ "granule_larger_than_object", 4096, 100, 10, 10, 0, 100 },
	{ "end_at_u64_max", 64, U64_MAX, U64_MAX - 10, 10, U64_MAX - 63, 63 },
};

static void drm_gem_sync_widen_desc(const struct drm_gem_sync_widen_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(drm_gem_sync_widen, drm_gem_sync_widen_cases, drm_gem_sync_widen_desc);

static void drm_test_gem_sync_widen_to_whole_granules(struct kunit *test)
{
	const struct drm_gem_sync_widen_case *t = test->param_value;
	u64 offset = t->offset, size = t->size;

	drm_gem_sync_widen(&offset, &size, t->granule, t->obj_size);

	KUNIT_EXPECT_EQ(test, offset, t->widened_offset);
	KUNIT_EXPECT_EQ(test, size, t->widened_size);
}

/*
 * Why a widened range is wrong, or NULL: it must cover the range, start on a
 * granule, end on one or at the object's end, and add less than a granule on
 * either side. An empty range must not move.
 */
static const char *drm_gem_sync_widen_violation(unsigned int granule, u64 obj_size,
						u64 offset, u64 size, u64 new_offset,
						u64 new_size)
{
	u64 end = offset + size, new_end = new_offset + new_size;

	if (!size)
		return new_offset == offset && !new_size ? NULL : "moved an empty range";
	if (new_offset % granule)
		return "start not on a granule";
	if (new_offset > offset || offset - new_offset >= granule)
		return "start not the granule holding the first byte";
	if (new_end > obj_size)
		return "end beyond the object";
	if (new_end < end || new_end - end >= granule)
		return "end not the granule holding the last byte";
	if (new_end % granule && new_end != obj_size)
		return "end neither on a granule nor the object's end";
	return NULL;
}

/* Checks every range of one object; returns false after the first failure. */
static bool drm_gem_sync_widen_check_object(struct kunit *test, unsigned int granule,
					    u64 obj_size)
{
	u64 offset, size, new_offset, new_size;
	const char *violation;

	for (offset = 0; offset <= obj_size; offset++) {
		for (size = 0; size <= obj_size - offset; size++) {
			new_offset = offset;
			new_size = size;
			drm_gem_sync_widen(&new_offset, &new_size, granule, obj_size);
			violation = drm_gem_sync_widen_violation(granule, obj_size, offset, size,
								 new_offset, new_size);
			KUNIT_EXPECT_NULL_MSG(test, violation,
					      "granule %u, object %llu: [%llu, +%llu) -> [%llu, +%llu): %s",
					      granule, obj_size, offset, size, new_offset,
					      new_size, violation);
			if (violation)
				return false;
		}
	}
	return true;
}

static void drm_test_gem_sync_widen_covers_only_the_granules_touched(struct kunit *test)
{
	static const unsigned int granules[] = { 16, 64 };
	static const u64 obj_sizes[] = { 128, 100 };
	unsigned int g, s;

	for (g = 0; g < ARRAY_SIZE(granules); g++)
		for (s = 0; s < ARRAY_SIZE(obj_sizes); s++)
			if (!drm_gem_sync_widen_check_object(test, granules[g], obj_sizes[s]))
				return;
}

/**
 * struct drm_gem_sync_access_case - an access and the value expected for it
 * @name: what the case checks
 * @access: &enum drm_gem_object_access_flags, or invalid bits
 * @expected: the expected &enum drm_gem_sync_op or negative error code
 */
struct drm_gem_sync_access_case {
	const char *name;
	u32 access;
	int expected;
};

static const struct drm_gem_sync_access_case drm_gem_sync_op_cases[] = {
	{ "device_read_cleans", DEV_ACCESS(READ), DRM_GEM_SYNC_CLEAN },
	{ "device_write_cleans", DEV_ACCESS(WRITE), DRM_GEM_SYNC_CLEAN },
	{ "device_rw_cleans", DEV_ACCESS(RW), DRM_GEM_SYNC_CLEAN },
	{ "cpu_read_cleans_and_invalidates", CPU_ACCESS(READ), DRM_GEM_SYNC_CLEAN_INVALIDATE },
	{ "cpu_write_cleans_and_invalidates", CPU_ACCESS(WRITE), DRM_GEM_SYNC_CLEAN_INVALIDATE },
	{ "cpu_rw_cleans_and_invalidates", CPU_ACCESS(RW), DRM_GEM_SYNC_CLEAN_INVALIDATE },
	{ "cpu_without_access_type", DRM_GEM_OBJECT_CPU_ACCESS, -EINVAL },
	{ "device_without_access_type", DRM_GEM_OBJECT_DEV_ACCESS, -EINVAL },
	{ "unknown_low_bit", DEV_ACCESS(READ) | BIT(3), -EINVAL },
	{ "unknown_high_bit", CPU_ACCESS(RW) | BIT(31), -EINVAL },
};

static void drm_gem_sync_access_desc(const struct drm_gem_sync_access_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(drm_gem_sync_op, drm_gem_sync_op_cases, drm_gem_sync_access_desc);

static void drm_test_gem_sync_op_for_access_by_accessor(struct kunit *test)
{
	const struct drm_gem_sync_access_case *t = test->param_value;

	KUNIT_EXPECT_EQ(test, drm_gem_sync_op_for_access(t->access), t->expected);
}

/**
 * struct drm_gem_sync_dma_dir_case - a drm_gem_sync_access_from_dma_dir() call
 * @name: what the case checks
 * @dir: the dma-buf CPU access direction
 * @expected: the expected access type or negative error code
 */
struct drm_gem_sync_dma_dir_case {
	const char *name;
	enum dma_data_direction dir;
	int expected;
};

static const struct drm_gem_sync_dma_dir_case drm_gem_sync_dma_dir_cases[] = {
	{ "from_device_reads", DMA_FROM_DEVICE, DRM_GEM_OBJECT_READ_ACCESS },
	{ "to_device_writes", DMA_TO_DEVICE, DRM_GEM_OBJECT_WRITE_ACCESS },
	{ "bidirectional_reads_and_writes", DMA_BIDIRECTIONAL, DRM_GEM_OBJECT_RW_ACCESS },
	{ "none_is_invalid", DMA_NONE, -EINVAL },
	{ "unknown_is_invalid", (enum dma_data_direction)42, -EINVAL },
};

static void drm_gem_sync_dma_dir_desc(const struct drm_gem_sync_dma_dir_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(drm_gem_sync_dma_dir, drm_gem_sync_dma_dir_cases, drm_gem_sync_dma_dir_desc);

static void drm_test_gem_sync_access_from_dma_dir_by_direction(struct kunit *test)
{
	const struct drm_gem_sync_dma_dir_case *t = test->param_value;

	KUNIT_EXPECT_EQ(test, drm_gem_sync_access_from_dma_dir(t->dir), t->expected);
}

/*
 * A CPU access mapped from a dma-buf direction must be valid and need the
 * CPU's operation.
 */
static void drm_test_gem_sync_access_from_dma_dir_gives_valid_cpu_access(struct kunit *test)
{
	static const enum dma_data_direction dirs[] = {
		DMA_FROM_DEVICE, DMA_TO_DEVICE, DMA_BIDIRECTIONAL,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		int access = drm_gem_sync_access_from_dma_dir(dirs[i]);

		KUNIT_ASSERT_GT(test, access, 0);
		KUNIT_EXPECT_EQ(test,
				drm_gem_sync_op_for_access(DRM_GEM_OBJECT_CPU_ACCESS | access),
				DRM_GEM_SYNC_CLEAN_INVALIDATE);
		KUNIT_EXPECT_EQ(test,
				drm_gem_sync_op_for_access(DRM_GEM_OBJECT_DEV_ACCESS | access),
				DRM_GEM_SYNC_CLEAN);
	}
}

/**
 * struct drm_gem_sync_export_case - a drm_gem_sync_may_export() call
 * @name: what the case checks
 * @device_coherent: the device snoops the CPU caches
 * @cpu_cached: the object is mapped write-back cached
 * @expected: whether the object may be exported
 */
struct drm_gem_sync_export_case {
	const char *name;
	bool device_coherent;
	bool cpu_cached;
	bool expected;
};

static const struct drm_gem_sync_export_case drm_gem_sync_export_cases[] = {
	{ "noncoherent_write_combined", false, false, true },
	{ "noncoherent_cached_refused", false, true, false },
	{ "coherent_write_combined", true, false, true },
	{ "coherent_cached", true, true, true },
};

static void drm_gem_sync_export_desc(const struct drm_gem_sync_export_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(drm_gem_sync_export, drm_gem_sync_export_cases, drm_gem_sync_export_desc);

static void drm_test_gem_sync_may_export_no_cached_noncoherent(struct kunit *test)
{
	const struct drm_gem_sync_export_case *t = test->param_value;

	KUNIT_EXPECT_EQ(test, drm_gem_sync_may_export(t->device_coherent, t->cpu_cached),
			t->expected);
}

/* Segments of 1, 2, 1, 16, 3 and 1 pages, as a shmem table might have. */
static const u64 drm_gem_sync_seg_start[] = { 0, 4096, 12288, 16384, 81920, 94208 };
#define DRM_GEM_SYNC_SEG_END 98304ULL

/**
 * struct drm_gem_sync_lookup_case - a drm_gem_sync_sg_index_lookup() call
 * @name: what the case checks
 * @seg_start: the segments' start offsets
 * @nents: the number of segments
 * @offset: the offset looked up
 * @expected: the expected segment index or negative error code
 */
struct drm_gem_sync_lookup_case {
	const char *name;
	const u64 *seg_start;
	unsigned int nents;
	u64 offset;
	int expected;
};

static const u64 drm_gem_sync_late_start[] = { 4096, 8192 };

static const struct drm_gem_sync_lookup_case drm_gem_sync_lookup_cases[] = {
	{ "first_byte", drm_gem_sync_seg_start, 6, 0, 0 },
	{ "end_of_first_segment", drm_gem_sync_seg_start, 6, 4095, 0 },
	{ "start_of_second_segment", drm_gem_sync_seg_start, 6, 4096, 1 },
	{ "inside_a_long_segment", drm_gem_sync_seg_start, 6, 50000, 3 },
	{ "end_of_a_long_segment", drm_gem_sync_seg_start, 6, 81919, 3 },
	{ "start_of_last_segment", drm_gem_sync_seg_start, 6, 94208, 5 },
	{ "past_the_end_is_last_segment", drm_gem_sync_seg_start, 6, U64_MAX, 5 },
	{ "single_segment", drm_gem_sync_seg_start, 1, 123456, 0 },
	{ "two_segments_first", drm_gem_sync_seg_start, 2, 4095, 0 },
	{ "two_segments_second", drm_gem_sync_seg_start, 2, 4096, 1 },
	{ "no_segments", drm_gem_sync_seg_start, 0, 0, -ERANGE },
	{ "before_the_first_segment", drm_gem_sync_late_start, 2, 4095, -ERANGE },
	{ "more_segments_than_int_max", drm_gem_sync_seg_start, (unsigned int)INT_MAX + 1, 0,
	  -ERANGE },
};

static void drm_gem_sync_lookup_desc(const struct drm_gem_sync_lookup_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(drm_gem_sync_lookup, drm_gem_sync_lookup_cases, drm_gem_sync_lookup_desc);

static void drm_test_gem_sync_sg_index_lookup_finds_segment(struct kunit *test)
{
	const struct drm_gem_sync_lookup_case *t = test->param_value;

	KUNIT_EXPECT_EQ(test, drm_gem_sync_sg_index_lookup(t->seg_start, t->nents, t->offset),
			t->expected);
}

static int drm_gem_sync_linear_lookup(const u64 *seg_start, unsigned int nents, u64 offset)
{
	int i;

	for (i = nents - 1; i >= 0; i--)
		if (seg_start[i] <= offset)
			return i;
	return -ERANGE;
}

/* Every prefix of the table, every 256th offset and every segment edge. */
static void drm_test_gem_sync_sg_index_lookup_matches_linear_search(struct kunit *test)
{
	unsigned int nents, i;
	u64 offset;

	for (nents = 1; nents <= ARRAY_SIZE(drm_gem_sync_seg_start); nents++) {
		for (offset = 0; offset < DRM_GEM_SYNC_SEG_END; offset += 256)
			KUNIT_ASSERT_EQ_MSG(test,
					    drm_gem_sync_sg_index_lookup(drm_gem_sync_seg_start,
									 nents, offset),
					    drm_gem_sync_linear_lookup(drm_gem_sync_seg_start,
								       nents, offset),
					    "%u segments, offset %llu", nents, offset);
		for (i = 1; i < nents; i++) {
			offset = drm_gem_sync_seg_start[i];
			KUNIT_ASSERT_EQ_MSG(test,
					    drm_gem_sync_sg_index_lookup(drm_gem_sync_seg_start,
									 nents, offset - 1),
					    (int)i - 1, "%u segments, offset %llu", nents,
					    offset - 1);
			KUNIT_ASSERT_EQ_MSG(test,
					    drm_gem_sync_sg_index_lookup(drm_gem_sync_seg_start,
									 nents, offset),
					    (int)i, "%u segments, offset %llu", nents, offset);
		}
	}
}

static struct kunit_case drm_gem_sync_range_tests[] = {
	KUNIT_CASE_PARAM(drm_test_gem_sync_check_range_rejects_outside_or_wrapping,
			 drm_gem_sync_range_gen_params),
	{ }
};

static struct kunit_suite drm_gem_sync_range_test_suite = {
	.name = "drm_gem_sync_check_range",
	.test_cases = drm_gem_sync_range_tests,
};

static struct kunit_case drm_gem_sync_widen_tests[] = {
	KUNIT_CASE_PARAM(drm_test_gem_sync_widen_to_whole_granules,
			 drm_gem_sync_widen_gen_params),
	KUNIT_CASE(drm_test_gem_sync_widen_covers_only_the_granules_touched),
	{ }
};

static struct kunit_suite drm_gem_sync_widen_test_suite = {
	.name = "drm_gem_sync_widen",
	.test_cases = drm_gem_sync_widen_tests,
};

static struct kunit_case drm_gem_sync_access_tests[] = {
	KUNIT_CASE_PARAM(drm_test_gem_sync_op_for_access_by_accessor,
			 drm_gem_sync_op_gen_params),
	KUNIT_CASE_PARAM(drm_test_gem_sync_access_from_dma_dir_by_direction,
			 drm_gem_sync_dma_dir_gen_params),
	KUNIT_CASE(drm_test_gem_sync_access_from_dma_dir_gives_valid_cpu_access),
	{ }
};

static struct kunit_suite drm_gem_sync_access_test_suite = {
	.name = "drm_gem_sync_access",
	.test_cases = drm_gem_sync_access_tests,
};

static struct kunit_case drm_gem_sync_export_tests[] = {
	KUNIT_CASE_PARAM(drm_test_gem_sync_may_export_no_cached_noncoherent,
			 drm_gem_sync_export_gen_params),
	{ }
};

static struct kunit_suite drm_gem_sync_export_test_suite = {
	.name = "drm_gem_sync_may_export",
	.test_cases = drm_gem_sync_export_tests,
};

static struct kunit_case drm_gem_sync_lookup_tests[] = {
	KUNIT_CASE_PARAM(drm_test_gem_sync_sg_index_lookup_finds_segment,
			 drm_gem_sync_lookup_gen_params),
	KUNIT_CASE(drm_test_gem_sync_sg_index_lookup_matches_linear_search),
	{ }
};

static struct kunit_suite drm_gem_sync_lookup_test_suite = {
	.name = "drm_gem_sync_sg_index_lookup",
	.test_cases = drm_gem_sync_lookup_tests,
};

kunit_test_suites(&drm_gem_sync_range_test_suite,
		  &drm_gem_sync_widen_test_suite,
		  &drm_gem_sync_access_test_suite,
		  &drm_gem_sync_export_test_suite,
		  &drm_gem_sync_lookup_test_suite);

MODULE_DESCRIPTION("KUnit tests of the generic GEM sync layer");
MODULE_LICENSE("GPL");
