// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * Flush and invalidate of BO ranges: widening to the atom, validation, skip
 * rules, the flush queue and when it is sent.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_kernel.h"

#define BO_SIZE 4096

static int reset_fake(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

static int flush_one(struct ncgpu_device *dev, struct ncgpu_bo *bo, uint64_t offset,
		     uint64_t size)
{
	struct ncgpu_range range = { bo, offset, size };

	return ncgpu_flush_ranges(dev, &range, 1);
}

static int invalidate_one(struct ncgpu_device *dev, struct ncgpu_bo *bo, uint64_t offset,
			  uint64_t size)
{
	struct ncgpu_range range = { bo, offset, size };

	return ncgpu_invalidate_ranges(dev, &range, 1);
}

static void assert_op(const struct drm_ncgpu_bo_sync_op *op, const struct ncgpu_bo *bo,
		      uint32_t type, uint64_t offset, uint64_t size)
{
	assert_int_equal(op->handle, bo->handle);
	assert_int_equal(op->type, type);
	assert_int_equal(op->offset, offset);
	assert_int_equal(op->size, size);
}

/*
 * One flush of [offset, offset + size) on a fresh device: the call's result,
 * and the one op it queues when it succeeds.
 */
struct flush_case {
	uint32_t granule;
	uint64_t bo_size;
	uint64_t offset;
	uint64_t size;
	int ret;
	uint64_t want_offset;
	uint64_t want_size;
};

static void test_flush_case(void **state)
{
	const struct flush_case *c = *state;
	struct ncgpu_device *dev = fake_ncgpu_device(c->granule);
	struct ncgpu_bo *bo = fake_wb_bo(dev, c->bo_size);

	assert_int_equal(flush_one(dev, bo, c->offset, c->size), c->ret);
	if (c->ret) {
		assert_int_equal(dev->queue.count, 0);
	} else {
		assert_int_equal(dev->queue.count, 1);
		assert_op(&dev->queue.ops[0], bo, DRM_NCGPU_BO_SYNC_FLUSH, c->want_offset,
			  c->want_size);
	}
	fake_device_free(dev);
}

static void test_range_beyond_bo_end_fails_and_queues_nothing(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_bo *bo = fake_wb_bo(dev, BO_SIZE);
	struct ncgpu_range ranges[] = {
		{ bo, 0, 64 },
		{ bo, BO_SIZE - 100, 200 },
	};

	(void)state;
	assert_int_equal(ncgpu_flush_ranges(dev, ranges, 2), -EINVAL);
	assert_int_equal(dev->queue.count, 0);
	assert_int_equal(ncgpu_flush_pending(dev), 0);
	assert_int_equal(fake.event_count, 0);
	fake_device_free(dev);
}

static void test_invalidate_beyond_bo_end_fails_and_sends_nothing(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_bo *bo = fake_wb_bo(dev, BO_SIZE);

	(void)state;
	assert_int_equal(invalidate_one(dev, bo, 0, BO_SIZE + 1), -EINVAL);
	assert_int_equal(fake.event_count, 0);
	fake_device_free(dev);
}

static void test_range_without_bo_fails(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);

	(void)state;
	assert_int_equal(flush_one(dev, NULL, 0, 64), -EINVAL);
	fake_device_free(dev);
}

static void test_range_of_another_device_fails(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_device *other = fake_ncgpu_device(64);
	struct ncgpu_bo *bo = fake_wb_bo(other, BO_SIZE);

	(void)state;
	assert_int_equal(flush_one(dev, bo, 0, 64), -EINVAL);
	fake_device_free(other);
	fake_device_free(dev);
}

static void test_empty_range_queues_nothing(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_bo *bo = fake_wb_bo(dev, BO_SIZE);

	(void)state;
	assert_int_equal(flush_one(dev, bo, 100, 0), 0);
	assert_int_equal(flush_one(dev, bo, BO_SIZE, NCGPU_WHOLE_SIZE), 0);
	assert_int_equal(dev->queue.count, 0);
	fake_device_free(dev);
}

static void test_flush_is_queued_not_sent(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_bo *bo = fake_wb_bo(dev, BO_SIZE);

	(void)state;
	assert_int_equal(flush_one(dev, bo, 0, 64), 0);
	assert_int_equal(fake.event_count, 0);
	assert_int_equal(dev->queue.count, 1);
	fake_device_free(dev);
}

static void test_flush_pending_sends_the_queue_in_one_call_in_order(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_bo *a = fake_wb_bo(dev, BO_SIZE);
	struct ncgpu_bo *b = fake_wb_bo(dev, BO_SIZE);

	(void)state;
	assert_int_equal(flush_one(dev, a, 0, 64), 0);
	assert_int_equal(flush_one(dev, b, 128, 64), 0);
	assert_int_equal(flush_one(dev, a, 256, 64), 0);
	assert_int_equal(ncgpu_flush_pending(dev), 0);
	assert_int_equal(fake_count(FAKE_EVENT_SYNC), 1);
	assert_int_equal(fake.op_count, 3);
	assert_op(&fake.ops[0], a, DRM_NCGPU_BO_SYNC_FLUSH, 0, 64);
	assert_op(&fake.ops[1], b, DRM_NCGPU_BO_SYNC_FLUSH, 128, 64);
	assert_op(&fake.ops[2], a, DRM_NCGPU_BO_SYNC_FLUSH, 256, 64);
	assert_int_equal(dev->queue.count, 0);
	fake_device_free(dev);
}

static void test_flush_pending_with_empty_queue_sends_nothing(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);

	(void)state;
	assert_int_equal(ncgpu_flush_pending(dev), 0);
	assert_int_equal(fake.event_count, 0);
	fake_device_free(dev);
}

static void test_queue_is_sent_when_it_reaches_max_sync_ops(void **state)
{
	struct ncgpu_device *dev = fake_device_new(DRM_NCGPU_COHERENCY_NONE, true, 64, 4);
	struct ncgpu_bo *bo = fake_wb_bo(dev, BO_SIZE);
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(flush_one(dev, bo, i * 64, 64), 0);
	assert_int_equal(fake.event_count, 0);
	assert_int_equal(flush_one(dev, bo, 3 * 64, 64), 0);
	assert_int_equal(fake_count(FAKE_EVENT_SYNC), 1);
	assert_int_equal(fake.events[0].count, 4);
	assert_int_equal(dev->queue.count, 0);
	fake_device_free(dev);
}

static void test_long_range_list_is_sent_in_chunks_of_max_sync_ops(void **state)
{
	struct ncgpu_device *dev = fake_device_new(DRM_NCGPU_COHERENCY_NONE, true, 64, 4);
	struct ncgpu_bo *bo = fake_wb_bo(dev, BO_SIZE);
	struct ncgpu_range ranges[10];
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		ranges[i] = (struct ncgpu_range){ bo, i * 64, 64 };
	assert_int_equal(ncgpu_flush_ranges(dev, ranges, 10), 0);
	assert_int_equal(fake_count(FAKE_EVENT_SYNC), 2);
	assert_int_equal(fake.events[0].count, 4);
	assert_int_equal(fake.events[1].count, 4);
	assert_int_equal(dev->queue.count, 2);
	assert_op(&fake.ops[7], bo, DRM_NCGPU_BO_SYNC_FLUSH, 7 * 64, 64);
	fake_device_free(dev);
}

static void test_submit_sends_pending_flushes_once_before_the_job(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_bo *bo = fake_wb_bo(dev, BO_SIZE);

	(void)state;
	assert_int_equal(flush_one(dev, bo, 0, 64), 0);
	assert_int_equal(flush_one(dev, bo, 512, 64), 0);
	assert_int_equal(ncgpu_submit(dev, NULL, 0, 0), 0);
	assert_int_equal(fake.event_count, 2);
	assert_int_equal(fake.events[0].kind, FAKE_EVENT_SYNC);
	assert_int_equal(fake.events[0].count, 2);
	assert_int_equal(fake.events[1].kind, FAKE_EVENT_SUBMIT);
	fake_device_free(dev);
}

static void test_submit_without_pending_flushes_sends_no_sync(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);

	(void)state;
	assert_int_equal(ncgpu_submit(dev, NULL, 0, 0), 0);
	assert_int_equal(fake_count(FAKE_EVENT_SYNC), 0);
	assert_int_equal(fake_count(FAKE_EVENT_SUBMIT), 1);
	fake_device_free(dev);
}

static void test_submit_is_not_sent_when_its_flushes_fail(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_bo *bo = fake_wb_bo(dev, BO_SIZE);

	(void)state;
	assert_int_equal(flush_one(dev, bo, 0, 64), 0);
	fake.sync_result = -ENOENT;
	assert_int_equal(ncgpu_submit(dev, NULL, 0, 0), -ENOENT);
	assert_int_equal(fake_count(FAKE_EVENT_SUBMIT), 0);
	fake_device_free(dev);
}

static void test_failed_send_empties_the_queue(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_bo *bo = fake_wb_bo(dev, BO_SIZE);

	(void)state;
	assert_int_equal(flush_one(dev, bo, 0, 64), 0);
	fake.sync_result = -EINVAL;
	assert_int_equal(ncgpu_flush_pending(dev), -EINVAL);
	assert_int_equal(dev->queue.count, 0);
	fake_device_free(dev);
}

static void test_zero_granule_falls_back_to_64_byte_atoms(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(0);

	(void)state;
	assert_int_equal(ncgpu_noncoherent_atom_size(dev), 64);
	fake_device_free(dev);
}

static void test_atom_size_is_the_reported_granule(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(4096);

	(void)state;
	assert_int_equal(ncgpu_noncoherent_atom_size(dev), 4096);
	fake_device_free(dev);
}

/*
 * A BO that needs no maintenance, on a device of @coherency (@emulated or
 * not): flushes and invalidates of it succeed and send or queue nothing.
 */
struct skip_case {
	uint32_t coherency;
	bool emulated;
	uint32_t bo_flags;
};

static void test_skip_case(void **state)
{
	const struct skip_case *c = *state;
	struct ncgpu_device *dev = fake_device_new(c->coherency, c->emulated, 64, 4096);
	struct ncgpu_bo *bo = fake_bo(dev, BO_SIZE, c->bo_flags);

	assert_int_equal(flush_one(dev, bo, 0, 64), 0);
	assert_int_equal(invalidate_one(dev, bo, 0, 64), 0);
	assert_int_equal(dev->queue.count, 0);
	assert_int_equal(fake.event_count, 0);
	fake_device_free(dev);
}

static void test_skipped_bo_still_has_its_range_checked(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_bo *bo = fake_bo(dev, BO_SIZE, 0);

	(void)state;
	assert_int_equal(flush_one(dev, bo, 0, BO_SIZE + 1), -EINVAL);
	fake_device_free(dev);
}

static void test_invalidate_is_sent_at_once_as_flush_and_invalidate(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_bo *bo = fake_wb_bo(dev, BO_SIZE);

	(void)state;
	assert_int_equal(invalidate_one(dev, bo, 100, 100), 0);
	assert_int_equal(fake_count(FAKE_EVENT_SYNC), 1);
	assert_int_equal(fake.op_count, 1);
	assert_op(&fake.ops[0], bo, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE, 64, 192);
	assert_int_equal(dev->queue.count, 0);
	fake_device_free(dev);
}

static void test_invalidate_sends_pending_flushes_first_in_the_same_call(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_bo *a = fake_wb_bo(dev, BO_SIZE);
	struct ncgpu_bo *b = fake_wb_bo(dev, BO_SIZE);

	(void)state;
	assert_int_equal(flush_one(dev, a, 0, 64), 0);
	assert_int_equal(invalidate_one(dev, b, 0, 64), 0);
	assert_int_equal(fake_count(FAKE_EVENT_SYNC), 1);
	assert_int_equal(fake.op_count, 2);
	assert_op(&fake.ops[0], a, DRM_NCGPU_BO_SYNC_FLUSH, 0, 64);
	assert_op(&fake.ops[1], b, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE, 0, 64);
	fake_device_free(dev);
}

static void test_closing_a_bo_drops_its_pending_flushes(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_bo *kept = fake_wb_bo(dev, BO_SIZE);
	struct ncgpu_bo *closed = fake_wb_bo(dev, BO_SIZE);

	(void)state;
	assert_int_equal(flush_one(dev, closed, 0, 64), 0);
	assert_int_equal(flush_one(dev, kept, 64, 64), 0);
	assert_int_equal(flush_one(dev, closed, 128, 64), 0);
	assert_int_equal(ncgpu_bo_close(closed), 0);
	assert_int_equal(ncgpu_flush_pending(dev), 0);
	assert_int_equal(fake.op_count, 1);
	assert_op(&fake.ops[0], kept, DRM_NCGPU_BO_SYNC_FLUSH, 64, 64);
	fake_device_free(dev);
}

static void test_cpu_backend_maintains_the_widened_range_at_once(void **state)
{
	static char map[BO_SIZE];
	struct ncgpu_device *dev = fake_device_new(DRM_NCGPU_COHERENCY_NONE, false, 64, 4096);
	struct ncgpu_bo *bo = fake_wb_bo(dev, BO_SIZE);

	(void)state;
	dev->backend = NCGPU_SYNC_BACKEND_CPU;
	bo->map = map;
	assert_int_equal(flush_one(dev, bo, 100, 100), 0);
	assert_int_equal(fake_count(FAKE_EVENT_CPU_SYNC), 1);
	assert_ptr_equal(fake.cpu_ptr, map + 64);
	assert_int_equal(fake.cpu_size, 192);
	assert_int_equal(fake.cpu_type, DRM_NCGPU_BO_SYNC_FLUSH);
	assert_int_equal(fake_count(FAKE_EVENT_SYNC), 0);
	assert_int_equal(dev->queue.count, 0);
	fake_device_free(dev);
}

static void test_cpu_backend_invalidates_with_flush_and_invalidate(void **state)
{
	static char map[BO_SIZE];
	struct ncgpu_device *dev = fake_device_new(DRM_NCGPU_COHERENCY_NONE, false, 64, 4096);
	struct ncgpu_bo *bo = fake_wb_bo(dev, BO_SIZE);

	(void)state;
	dev->backend = NCGPU_SYNC_BACKEND_CPU;
	bo->map = map;
	assert_int_equal(invalidate_one(dev, bo, 0, NCGPU_WHOLE_SIZE), 0);
	assert_int_equal(fake.cpu_type, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE);
	assert_int_equal(fake.cpu_size, BO_SIZE);
	assert_int_equal(fake_count(FAKE_EVENT_SYNC), 0);
	fake_device_free(dev);
}

/*
 * The sync backend a new device of @coherency (@emulated or not) picks: the
 * CPU's where @cpu_where_available and the CPU has cache operations, else
 * the kernel's.
 */
struct backend_case {
	uint32_t coherency;
	bool emulated;
	bool cpu_where_available;
};

static void test_backend_case(void **state)
{
	const struct backend_case *c = *state;
	struct ncgpu_device *dev = fake_device_new(c->coherency, c->emulated, 64, 4096);
	bool cpu = c->cpu_where_available && ncgpu_cpu_has_cache_ops();

	assert_int_equal(ncgpu_device_get_sync_backend(dev),
			 cpu ? NCGPU_SYNC_BACKEND_CPU : NCGPU_SYNC_BACKEND_KERNEL);
	fake_device_free(dev);
}

static void test_switching_backend_sends_pending_flushes(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);
	struct ncgpu_bo *bo = fake_wb_bo(dev, BO_SIZE);

	(void)state;
	if (!ncgpu_cpu_has_cache_ops())
		skip();
	assert_int_equal(flush_one(dev, bo, 0, 64), 0);
	assert_int_equal(ncgpu_device_set_sync_backend(dev, NCGPU_SYNC_BACKEND_CPU), 0);
	assert_int_equal(fake_count(FAKE_EVENT_SYNC), 1);
	assert_int_equal(ncgpu_device_get_sync_backend(dev), NCGPU_SYNC_BACKEND_CPU);
	fake_device_free(dev);
}

static void test_unknown_backend_is_rejected(void **state)
{
	struct ncgpu_device *dev = fake_ncgpu_device(64);

	(void)state;
	assert_int_equal(ncgpu_device_set_sync_backend(dev, (enum ncgpu_sync_backend)7), -EINVAL);
	assert_int_equal(ncgpu_device_get_sync_backend(dev), NCGPU_SYNC_BACKEND_KERNEL);
	fake_device_free(dev);
}

#define TEST(name) cmocka_unit_test_setup(name, reset_fake)
#define FLUSH_CASE(test_name, ...)						\
	{ .name = #test_name, .test_func = test_flush_case, .setup_func = reset_fake,	\
	  .initial_state = &(struct flush_case){ __VA_ARGS__ } }

#define SKIP_CASE(test_name, ...)						\
	{ .name = #test_name, .test_func = test_skip_case, .setup_func = reset_fake,	\
	  .initial_state = &(struct skip_case){ __VA_ARGS__ } }
#define BACKEND_CASE(test_name, ...)							\
	{ .name = #test_name, .test_func = test_backend_case, .setup_func = reset_fake,	\
	  .initial_state = &(struct backend_case){ __VA_ARGS__ } }

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* [100, 200) touches the atoms at 64, 128 and 192. */
		FLUSH_CASE(test_flush_rounds_unaligned_range_out_to_64_byte_atoms,
			   64, BO_SIZE, 100, 100, 0, 64, 192),
		/* [100, 200) touches the atoms at 0 and 128. */
		FLUSH_CASE(test_flush_rounds_unaligned_range_out_to_128_byte_atoms,
			   128, BO_SIZE, 100, 100, 0, 0, 256),
		FLUSH_CASE(test_flush_rounds_a_range_inside_one_atom_to_that_atom,
			   64, BO_SIZE, 70, 1, 0, 64, 64),
		FLUSH_CASE(test_flush_keeps_an_aligned_range_as_it_is,
			   64, BO_SIZE, 128, 64, 0, 128, 64),
		FLUSH_CASE(test_whole_size_reaches_the_end_of_the_bo,
			   64, BO_SIZE, 100, NCGPU_WHOLE_SIZE, 0, 64, BO_SIZE - 64),
		FLUSH_CASE(test_whole_size_from_offset_zero_covers_the_bo,
			   64, BO_SIZE, 0, NCGPU_WHOLE_SIZE, 0, 0, BO_SIZE),
		/* The atom holding byte 999 would end at 1024; the BO ends at 1000. */
		FLUSH_CASE(test_widened_end_is_clipped_to_the_bo_size,
			   64, 1000, 990, 5, 0, 960, 40),
		FLUSH_CASE(test_whole_size_from_beyond_bo_end_fails,
			   64, BO_SIZE, BO_SIZE + 1, NCGPU_WHOLE_SIZE, -EINVAL, 0, 0),
		FLUSH_CASE(test_size_that_wraps_around_fails,
			   64, BO_SIZE, 64, UINT64_MAX - 32, -EINVAL, 0, 0),
		TEST(test_range_beyond_bo_end_fails_and_queues_nothing),
		TEST(test_invalidate_beyond_bo_end_fails_and_sends_nothing),
		TEST(test_range_without_bo_fails),
		TEST(test_range_of_another_device_fails),
		TEST(test_empty_range_queues_nothing),
		TEST(test_flush_is_queued_not_sent),
		TEST(test_flush_pending_sends_the_queue_in_one_call_in_order),
		TEST(test_flush_pending_with_empty_queue_sends_nothing),
		TEST(test_queue_is_sent_when_it_reaches_max_sync_ops),
		TEST(test_long_range_list_is_sent_in_chunks_of_max_sync_ops),
		TEST(test_submit_sends_pending_flushes_once_before_the_job),
		TEST(test_submit_without_pending_flushes_sends_no_sync),
		TEST(test_submit_is_not_sent_when_its_flushes_fail),
		TEST(test_failed_send_empties_the_queue),
		TEST(test_zero_granule_falls_back_to_64_byte_atoms),
		FLUSH_CASE(test_zero_granule_widens_flushes_to_64_byte_atoms,
			   0, BO_SIZE, 100, 100, 0, 64, 192),
		TEST(test_atom_size_is_the_reported_granule),
		/* coherency, emulated, bo_flags */
		SKIP_CASE(test_flush_skips_write_combined_bo,
			  DRM_NCGPU_COHERENCY_NONE, true, 0),
		SKIP_CASE(test_flush_skips_bo_of_io_coherent_device,
			  DRM_NCGPU_COHERENCY_IO, false, DRM_NCGPU_BO_CPU_CACHED),
		SKIP_CASE(test_flush_skips_imported_bo,
			  DRM_NCGPU_COHERENCY_NONE, true,
			  DRM_NCGPU_BO_IS_IMPORTED | DRM_NCGPU_BO_CPU_CACHED),
		TEST(test_skipped_bo_still_has_its_range_checked),
		TEST(test_invalidate_is_sent_at_once_as_flush_and_invalidate),
		TEST(test_invalidate_sends_pending_flushes_first_in_the_same_call),
		TEST(test_closing_a_bo_drops_its_pending_flushes),
		TEST(test_cpu_backend_maintains_the_widened_range_at_once),
		TEST(test_cpu_backend_invalidates_with_flush_and_invalidate),
		/* coherency, emulated, cpu_where_available */
		BACKEND_CASE(test_emulated_device_uses_the_kernel_backend,
			     DRM_NCGPU_COHERENCY_NONE, true, false),
		BACKEND_CASE(test_real_noncoherent_device_uses_cpu_backend_where_available,
			     DRM_NCGPU_COHERENCY_NONE, false, true),
		BACKEND_CASE(test_io_coherent_device_uses_the_kernel_backend,
			     DRM_NCGPU_COHERENCY_IO, false, false),
		TEST(test_switching_backend_sends_pending_flushes),
		TEST(test_unknown_backend_is_rejected),
	};

	return cmocka_run_group_tests_name("sync", tests, NULL, NULL);
}
