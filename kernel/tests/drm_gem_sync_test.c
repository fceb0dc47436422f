// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the helpers of drm_gem_sync.h that the driver uses in both
 * forms of the sync layer: range checks, granule widening and the cache
 * operation of each access. The layer itself is tested in the kernel, by
 * the drm_gem_sync_test suites of the series in upstream/.
 *
 * Copyright (C) 2026 The ncgpu authors
 */

#include <kunit/test.h>

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

static void drm_test_gem_sync_restartable_restarts_only_eintr(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, drm_gem_sync_restartable(-EINTR), -ERESTARTSYS);
	KUNIT_EXPECT_EQ(test, drm_gem_sync_restartable(-ERESTARTSYS), -ERESTARTSYS);
	KUNIT_EXPECT_EQ(test, drm_gem_sync_restartable(-ENOMEM), -ENOMEM);
	KUNIT_EXPECT_EQ(test, drm_gem_sync_restartable(0), 0);
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
	{ }
};

static struct kunit_suite drm_gem_sync_access_test_suite = {
	.name = "drm_gem_sync_access",
	.test_cases = drm_gem_sync_access_tests,
};

static struct kunit_case drm_gem_sync_restartable_tests[] = {
	KUNIT_CASE(drm_test_gem_sync_restartable_restarts_only_eintr),
	{ }
};

static struct kunit_suite drm_gem_sync_restartable_test_suite = {
	.name = "drm_gem_sync_restartable",
	.test_cases = drm_gem_sync_restartable_tests,
};

kunit_test_suites(&drm_gem_sync_range_test_suite,
		  &drm_gem_sync_widen_test_suite,
		  &drm_gem_sync_access_test_suite,
		  &drm_gem_sync_restartable_test_suite);

MODULE_DESCRIPTION("KUnit tests of the GEM sync helpers of ncgpu");
MODULE_LICENSE("GPL");
