// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * The job builder, its waits and signals, what ncgpu_job_submit() and
 * ncgpu_submit() hand to the kernel, and the deadline ncgpu_bo_wait() and
 * ncgpu_timeline_wait() make of their timeout.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "fake_kernel.h"

#define BO_SIZE 4096
#define NSEC_PER_SEC 1000000000LL
/* An enum constant, so an int: as a 64-bit value it would be sign-extended. */
#define SIGNAL ((uint32_t)DRM_NCGPU_SYNC_OP_SIGNAL)

struct fixture {
	struct ncgpu_device *dev;
	struct ncgpu_bo *dst;
	struct ncgpu_bo *src;
	struct ncgpu_job job;
	/* The row of a table case, NULL for other tests. */
	const void *row;
};

static int setup(void **state)
{
	static struct fixture f;

	fake_reset();
	f.dev = fake_ncgpu_device(64);
	f.dst = fake_bo(f.dev, BO_SIZE, 0);
	f.src = fake_bo(f.dev, BO_SIZE, 0);
	ncgpu_job_init(&f.job);
	f.row = *state;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ncgpu_job_fini(&f->job);
	fake_device_free(f->dev);
	return 0;
}

/*
 * One command added to an empty job: @ret, and when that is 0 the command
 * the job then holds. A COPY reads f->src, or no BO with @no_src.
 */
struct cmd_case {
	uint32_t op;
	bool no_src;
	uint64_t dst_offset;
	uint64_t src_offset;
	uint64_t size;
	uint64_t value;
	int ret;
};

static int add_cmd(struct fixture *f, const struct cmd_case *c)
{
	switch (c->op) {
	case DRM_NCGPU_CMD_COPY:
		return ncgpu_job_copy(&f->job, f->dst, c->dst_offset, c->no_src ? NULL : f->src,
				      c->src_offset, c->size);
	case DRM_NCGPU_CMD_FILL:
		return ncgpu_job_fill(&f->job, f->dst, c->dst_offset, c->size, c->value);
	default:
		return ncgpu_job_stall(&f->job, c->value);
	}
}

static void test_cmd_case(void **state)
{
	struct fixture *f = *state;
	const struct cmd_case *c = f->row;
	const struct drm_ncgpu_cmd *cmd;

	assert_int_equal(add_cmd(f, c), c->ret);
	assert_int_equal(f->job.count, c->ret ? 0 : 1);
	if (c->ret)
		return;
	cmd = &f->job.cmds[0];
	assert_int_equal(cmd->op, c->op);
	assert_int_equal(cmd->dst_handle, c->op == DRM_NCGPU_CMD_STALL ? 0 : f->dst->handle);
	assert_int_equal(cmd->src_handle, c->op == DRM_NCGPU_CMD_COPY ? f->src->handle : 0);
	assert_int_equal(cmd->dst_offset, c->dst_offset);
	assert_int_equal(cmd->src_offset, c->src_offset);
	assert_int_equal(cmd->size, c->size);
	assert_int_equal(cmd->value, c->value);
	assert_int_equal(cmd->flags, 0);
}

static void test_job_grows_past_its_first_allocation(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 100; i++)
		assert_int_equal(ncgpu_job_fill(&f->job, f->dst, i, 1, i), 0);
	assert_int_equal(f->job.count, 100);
	assert_int_equal(f->job.cmds[99].dst_offset, 99);
}

static void test_submit_passes_commands_and_syncobjs(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_job_copy(&f->job, f->dst, 0, f->src, 0, 64), 0);
	assert_int_equal(ncgpu_job_stall(&f->job, 10), 0);
	assert_int_equal(ncgpu_submit(f->dev, &f->job, 3, 4), 0);
	assert_int_equal(fake.last_submit.cmds.count, 2);
	assert_int_equal(fake.last_submit.cmds.stride, sizeof(struct drm_ncgpu_cmd));
	assert_int_equal(fake.last_submit.in_syncobj, 3);
	assert_int_equal(fake.last_submit.out_syncobj, 4);
	assert_int_equal(fake.last_submit.flags, 0);
	assert_int_equal(fake.last_submit.pad, 0);
	assert_int_equal(fake.last_cmds[1].op, DRM_NCGPU_CMD_STALL);
}

static void test_submit_of_no_job_sends_an_empty_job(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_submit(f->dev, NULL, 0, 7), 0);
	assert_int_equal(fake.last_submit.cmds.count, 0);
	assert_int_equal(fake.last_submit.out_syncobj, 7);
}

static void test_add_wait_at_a_point_records_a_timeline_wait(void **state)
{
	struct fixture *f = *state;
	const struct drm_ncgpu_sync_op *op;

	assert_int_equal(ncgpu_job_add_wait(&f->job, 5, 42), 0);
	assert_int_equal(f->job.sync_count, 1);
	op = &f->job.syncs[0];
	assert_int_equal(op->flags, DRM_NCGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ);
	assert_int_equal(op->handle, 5);
	assert_int_equal(op->timeline_point, 42);
}

static void test_add_wait_at_point_0_records_a_binary_wait(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_job_add_wait(&f->job, 5, 0), 0);
	assert_int_equal(f->job.syncs[0].flags, DRM_NCGPU_SYNC_OP_HANDLE_TYPE_SYNCOBJ);
	assert_int_equal(f->job.syncs[0].timeline_point, 0);
}

static void test_add_signal_records_a_signal_op(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_job_add_signal(&f->job, 6, 3), 0);
	assert_int_equal(ncgpu_job_add_signal(&f->job, 7, 0), 0);
	assert_int_equal(f->job.syncs[0].flags, SIGNAL | DRM_NCGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ);
	assert_int_equal(f->job.syncs[0].handle, 6);
	assert_int_equal(f->job.syncs[0].timeline_point, 3);
	assert_int_equal(f->job.syncs[1].flags, SIGNAL | DRM_NCGPU_SYNC_OP_HANDLE_TYPE_SYNCOBJ);
	assert_int_equal(f->job.syncs[1].handle, 7);
}

static void test_wait_or_signal_of_handle_0_is_rejected(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_job_add_wait(&f->job, 0, 1), -EINVAL);
	assert_int_equal(ncgpu_job_add_signal(&f->job, 0, 0), -EINVAL);
	assert_int_equal(f->job.sync_count, 0);
}

static void test_sync_ops_grow_past_their_first_allocation(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 100; i++)
		assert_int_equal(ncgpu_job_add_signal(&f->job, 9, i + 1), 0);
	assert_int_equal(f->job.sync_count, 100);
	assert_int_equal(f->job.syncs[99].timeline_point, 100);
}

static void test_job_submit_passes_commands_and_sync_ops_once(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_job_fill(&f->job, f->dst, 0, 64, 1), 0);
	assert_int_equal(ncgpu_job_add_wait(&f->job, 3, 1), 0);
	assert_int_equal(ncgpu_job_add_signal(&f->job, 4, 2), 0);
	assert_int_equal(ncgpu_job_submit(f->dev, &f->job), 0);
	assert_int_equal(fake_count(FAKE_EVENT_SUBMIT), 1);
	assert_int_equal(fake.last_submit.cmds.count, 1);
	assert_int_equal(fake.last_submit.syncs.count, 2);
	assert_int_equal(fake.last_submit.syncs.stride, sizeof(struct drm_ncgpu_sync_op));
	assert_int_equal(fake.last_submit.in_syncobj, 0);
	assert_int_equal(fake.last_submit.out_syncobj, 0);
	assert_int_equal(fake.last_syncs[0].handle, 3);
	assert_int_equal(fake.last_syncs[1].flags & SIGNAL, SIGNAL);
	assert_int_equal(fake.last_syncs[1].timeline_point, 2);
}

static void test_submit_adds_in_and_out_syncobj_to_the_jobs_sync_ops(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_job_add_signal(&f->job, 4, 2), 0);
	assert_int_equal(ncgpu_submit(f->dev, &f->job, 5, 6), 0);
	assert_int_equal(fake.last_submit.in_syncobj, 5);
	assert_int_equal(fake.last_submit.out_syncobj, 6);
	assert_int_equal(fake.last_submit.syncs.count, 1);
	assert_int_equal(fake.last_syncs[0].handle, 4);
}

static void test_job_submit_of_no_job_sends_an_empty_job(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_job_submit(f->dev, NULL), 0);
	assert_int_equal(fake_count(FAKE_EVENT_SUBMIT), 1);
	assert_int_equal(fake.last_submit.cmds.count, 0);
	assert_int_equal(fake.last_submit.syncs.count, 0);
}

static void test_sync_ops_on_a_driver_without_them_are_not_sent(void **state)
{
	struct fixture *f = *state;

	f->dev->info.max_submit_syncs = 0;
	assert_int_equal(ncgpu_job_add_wait(&f->job, 3, 1), 0);
	assert_int_equal(ncgpu_job_submit(f->dev, &f->job), -EOPNOTSUPP);
	assert_int_equal(fake_count(FAKE_EVENT_SUBMIT), 0);
	/* Control: a job without them is still sent. */
	assert_int_equal(ncgpu_submit(f->dev, NULL, 0, 7), 0);
	assert_int_equal(fake_count(FAKE_EVENT_SUBMIT), 1);
}

static void test_job_submit_sends_pending_flushes_first(void **state)
{
	struct fixture *f = *state;
	struct ncgpu_bo *wb = fake_wb_bo(f->dev, BO_SIZE);
	struct ncgpu_range range = { .bo = wb, .offset = 0, .size = 64 };

	assert_int_equal(ncgpu_flush_ranges(f->dev, &range, 1), 0);
	assert_int_equal(ncgpu_job_submit(f->dev, &f->job), 0);
	assert_int_equal(fake.event_count, 2);
	assert_int_equal(fake.events[0].kind, FAKE_EVENT_SYNC);
	assert_int_equal(fake.events[1].kind, FAKE_EVENT_SUBMIT);
}

static void test_job_fini_frees_the_sync_ops(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_job_add_wait(&f->job, 3, 1), 0);
	ncgpu_job_fini(&f->job);
	assert_null(f->job.syncs);
	assert_int_equal(f->job.sync_count, 0);
}

static int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void test_bo_wait_sends_now_plus_timeout_as_deadline(void **state)
{
	struct fixture *f = *state;
	int64_t before = monotonic_ns(), after;

	assert_int_equal(ncgpu_bo_wait(f->dst, 5 * NSEC_PER_SEC), 0);
	after = monotonic_ns();
	assert_int_equal(fake_count(FAKE_EVENT_WAIT_BO), 1);
	assert_int_equal(fake.wait_handle, f->dst->handle);
	assert_in_range(fake.wait_deadline_ns, before + 5 * NSEC_PER_SEC,
			after + 5 * NSEC_PER_SEC);
}

static void test_bo_wait_of_zero_polls(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_bo_wait(f->dst, 0), 0);
	assert_int_equal(fake_count(FAKE_EVENT_WAIT_BO), 1);
	assert_int_equal(fake.wait_deadline_ns, 0);
}

static void test_bo_wait_infinite_deadline_does_not_overflow(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_bo_wait(f->dst, NCGPU_TIMEOUT_INFINITE), 0);
	assert_int_equal(fake.wait_deadline_ns, INT64_MAX);
}

static void test_bo_wait_negative_timeout_is_rejected(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_bo_wait(f->dst, -1), -EINVAL);
	assert_int_equal(ncgpu_bo_wait(f->dst, INT64_MIN), -EINVAL);
	assert_int_equal(fake_count(FAKE_EVENT_WAIT_BO), 0);
}

static void test_timeline_wait_sends_point_and_now_plus_timeout(void **state)
{
	struct fixture *f = *state;
	int64_t before = monotonic_ns(), after;

	assert_int_equal(ncgpu_timeline_wait(f->dev, 8, 3, 2 * NSEC_PER_SEC), 0);
	after = monotonic_ns();
	assert_int_equal(fake_count(FAKE_EVENT_WAIT_TIMELINE), 1);
	assert_int_equal(fake.wait_handle, 8);
	assert_int_equal(fake.wait_point, 3);
	assert_in_range(fake.wait_deadline_ns, before + 2 * NSEC_PER_SEC,
			after + 2 * NSEC_PER_SEC);
}

static void test_timeline_wait_infinite_deadline_does_not_overflow(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_timeline_wait(f->dev, 8, 3, NCGPU_TIMEOUT_INFINITE), 0);
	assert_int_equal(fake.wait_deadline_ns, INT64_MAX);
}

static void test_timeline_wait_timeout_is_etimedout(void **state)
{
	struct fixture *f = *state;

	fake.wait_timeline_result = -ETIME;
	assert_int_equal(ncgpu_timeline_wait(f->dev, 8, 3, 0), -ETIMEDOUT);
	fake.wait_timeline_result = -ENOENT;
	assert_int_equal(ncgpu_timeline_wait(f->dev, 8, 3, 0), -ENOENT);
}

static void test_timeline_wait_negative_timeout_is_rejected(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ncgpu_timeline_wait(f->dev, 8, 3, -1), -EINVAL);
	assert_int_equal(fake_count(FAKE_EVENT_WAIT_TIMELINE), 0);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define CMD_CASE(test_name, ...)							\
	{ .name = #test_name, .test_func = test_cmd_case, .setup_func = setup,		\
	  .teardown_func = teardown, .initial_state = &(struct cmd_case){ __VA_ARGS__ } }

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* op, no_src, dst_offset, src_offset, size, value, ret */
		CMD_CASE(test_copy_records_a_copy_command,
			 DRM_NCGPU_CMD_COPY, false, 8, 16, 100, 0, 0),
		CMD_CASE(test_fill_records_a_fill_command,
			 DRM_NCGPU_CMD_FILL, false, 64, 0, 128, 0x0123456789abcdefull, 0),
		CMD_CASE(test_stall_records_a_stall_command,
			 DRM_NCGPU_CMD_STALL, false, 0, 0, 0, 1000, 0),
		CMD_CASE(test_stall_above_the_maximum_is_rejected,
			 DRM_NCGPU_CMD_STALL, false, 0, 0, 0, DRM_NCGPU_STALL_MAX_US + 1, -EINVAL),
		CMD_CASE(test_copy_beyond_the_source_is_rejected,
			 DRM_NCGPU_CMD_COPY, false, 0, BO_SIZE - 8, 16, 0, -EINVAL),
		CMD_CASE(test_fill_beyond_the_destination_is_rejected,
			 DRM_NCGPU_CMD_FILL, false, 8, 0, UINT64_MAX, 0, -EINVAL),
		CMD_CASE(test_copy_without_source_is_rejected,
			 DRM_NCGPU_CMD_COPY, true, 0, 0, 16, 0, -EINVAL),
		TEST(test_job_grows_past_its_first_allocation),
		TEST(test_submit_passes_commands_and_syncobjs),
		TEST(test_submit_of_no_job_sends_an_empty_job),
		TEST(test_add_wait_at_a_point_records_a_timeline_wait),
		TEST(test_add_wait_at_point_0_records_a_binary_wait),
		TEST(test_add_signal_records_a_signal_op),
		TEST(test_wait_or_signal_of_handle_0_is_rejected),
		TEST(test_sync_ops_grow_past_their_first_allocation),
		TEST(test_job_submit_passes_commands_and_sync_ops_once),
		TEST(test_submit_adds_in_and_out_syncobj_to_the_jobs_sync_ops),
		TEST(test_job_submit_of_no_job_sends_an_empty_job),
		TEST(test_sync_ops_on_a_driver_without_them_are_not_sent),
		TEST(test_job_submit_sends_pending_flushes_first),
		TEST(test_job_fini_frees_the_sync_ops),
		TEST(test_bo_wait_sends_now_plus_timeout_as_deadline),
		TEST(test_bo_wait_of_zero_polls),
		TEST(test_bo_wait_infinite_deadline_does_not_overflow),
		TEST(test_bo_wait_negative_timeout_is_rejected),
		TEST(test_timeline_wait_sends_point_and_now_plus_timeout),
		TEST(test_timeline_wait_infinite_deadline_does_not_overflow),
		TEST(test_timeline_wait_timeout_is_etimedout),
		TEST(test_timeline_wait_negative_timeout_is_rejected),
	};

	return cmocka_run_group_tests_name("job", tests, NULL, NULL);
}
