// SPDX-License-Identifier: MIT
/*
 * libncgpu's job builder with waits and signals, and its timeline helpers,
 * on the device: what a Vulkan driver's queue submit and timeline
 * semaphores are built on.
 *
 * Data goes through write-combined BOs, which need no cache maintenance in
 * any coherency mode.
 */
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ncgpu.h"

#define BO_SIZE 4096
#define STAGES 3
#define FILL_VALUE 0x0f1e2d3c4b5a6978ull
#define WAIT_NS (10ll * 1000000000ll)

/* 6.1's SKIP() in a FIXTURE_SETUP still runs the test body; jump back instead. */
#define SETUP_SKIP(fmt, ...) SKIP(longjmp(_metadata->env, 1), fmt, ##__VA_ARGS__)

FIXTURE(lib_timeline) {
	struct ncgpu_device *dev;
	/* Write-combined BOs and their mappings. */
	struct ncgpu_bo *bo[STAGES];
	uint8_t *map[STAGES];
	uint32_t timeline;
};

FIXTURE_SETUP(lib_timeline)
{
	void *map;
	int i, ret;

	ret = ncgpu_device_open(NULL, &self->dev);
	if (ret == -ENODEV && access("/sys/module/ncgpu", F_OK))
		SETUP_SKIP("ncgpu module not loaded");
	ASSERT_EQ(0, ret) TH_LOG("ncgpu_device_open: %s", ncgpu_strerror(ret));
	for (i = 0; i < STAGES; i++) {
		ASSERT_EQ(0, ncgpu_bo_create(self->dev, BO_SIZE, 0, &self->bo[i]));
		ASSERT_EQ(0, ncgpu_bo_map(self->bo[i], &map));
		self->map[i] = map;
	}
	ASSERT_EQ(0, ncgpu_timeline_create(self->dev, &self->timeline));
}

FIXTURE_TEARDOWN(lib_timeline)
{
	int i;

	if (!self->dev)
		return;
	ncgpu_syncobj_destroy(self->dev, self->timeline);
	for (i = 0; i < STAGES; i++)
		ncgpu_bo_close(self->bo[i]);
	ncgpu_device_close(self->dev);
}

static bool is_filled(const uint8_t *map)
{
	size_t i;

	for (i = 0; i < BO_SIZE; i++) {
		if (map[i] != (uint8_t)(FILL_VALUE >> (8 * (i % 8))))
			return false;
	}
	return true;
}

static uint64_t timeline_point(struct __test_metadata *_metadata, struct ncgpu_device *dev,
			       uint32_t timeline)
{
	uint64_t point = UINT64_MAX;

	EXPECT_EQ(0, ncgpu_timeline_query(dev, timeline, &point));
	return point;
}

/* A job that fills @bo and signals @point of @timeline. */
static int submit_fill_signalling(struct ncgpu_device *dev, struct ncgpu_bo *bo,
				  uint32_t timeline, uint64_t point)
{
	struct ncgpu_job job;
	int ret;

	ncgpu_job_init(&job);
	ret = ncgpu_job_fill(&job, bo, 0, BO_SIZE, FILL_VALUE);
	if (!ret)
		ret = ncgpu_job_add_signal(&job, timeline, point);
	if (!ret)
		ret = ncgpu_job_submit(dev, &job);
	ncgpu_job_fini(&job);
	return ret;
}

/* Stage i > 0 copies bo[i - 1] into bo[i] once point i has signalled, then signals i + 1. */
static int submit_copy_stage(FIXTURE_DATA(lib_timeline) *self, int i)
{
	struct ncgpu_job job;
	int ret;

	ncgpu_job_init(&job);
	ret = ncgpu_job_add_wait(&job, self->timeline, i);
	if (!ret)
		ret = ncgpu_job_copy(&job, self->bo[i], 0, self->bo[i - 1], 0, BO_SIZE);
	if (!ret)
		ret = ncgpu_job_add_signal(&job, self->timeline, i + 1);
	if (!ret)
		ret = ncgpu_job_submit(self->dev, &job);
	ncgpu_job_fini(&job);
	return ret;
}

TEST_F(lib_timeline, job_builder_chains_three_jobs_through_points_1_2_3)
{
	int i;

	ASSERT_EQ(0, submit_fill_signalling(self->dev, self->bo[0], self->timeline, 1));
	for (i = 1; i < STAGES; i++)
		ASSERT_EQ(0, submit_copy_stage(self, i));
	ASSERT_EQ(0, ncgpu_timeline_wait(self->dev, self->timeline, STAGES, WAIT_NS));
	EXPECT_TRUE(is_filled(self->map[STAGES - 1]));
	EXPECT_EQ((uint64_t)STAGES, timeline_point(_metadata, self->dev, self->timeline));
}

TEST_F(lib_timeline, query_reports_the_point_the_cpu_signalled)
{
	EXPECT_EQ(0u, timeline_point(_metadata, self->dev, self->timeline));
	ASSERT_EQ(0, ncgpu_timeline_signal(self->dev, self->timeline, 4));
	EXPECT_EQ(4u, timeline_point(_metadata, self->dev, self->timeline));
}

/* As vkWaitSemaphores: a point not submitted yet times out, it is no error. */
TEST_F(lib_timeline, timeline_wait_waits_for_a_point_submitted_later)
{
	EXPECT_EQ(-ETIMEDOUT, ncgpu_timeline_wait(self->dev, self->timeline, 1, 0));
	ASSERT_EQ(0, submit_fill_signalling(self->dev, self->bo[0], self->timeline, 1));
	EXPECT_EQ(0, ncgpu_timeline_wait(self->dev, self->timeline, 1, WAIT_NS));
	EXPECT_TRUE(is_filled(self->map[0]));
}

TEST_F(lib_timeline, cpu_signal_releases_a_job_waiting_for_an_earlier_point)
{
	ASSERT_EQ(0, ncgpu_timeline_signal(self->dev, self->timeline, 1));
	ASSERT_EQ(0, submit_copy_stage(self, 1));
	EXPECT_EQ(0, ncgpu_timeline_wait(self->dev, self->timeline, 2, WAIT_NS));
}

TEST_F(lib_timeline, submit_signals_out_syncobj_and_the_jobs_signal_ops)
{
	struct ncgpu_job job;
	uint32_t out;

	ASSERT_EQ(0, ncgpu_syncobj_create(self->dev, &out));
	ncgpu_job_init(&job);
	ASSERT_EQ(0, ncgpu_job_fill(&job, self->bo[0], 0, BO_SIZE, FILL_VALUE));
	ASSERT_EQ(0, ncgpu_job_add_signal(&job, self->timeline, 1));
	ASSERT_EQ(0, ncgpu_submit(self->dev, &job, 0, out));
	EXPECT_EQ(0, ncgpu_syncobj_wait(self->dev, out, WAIT_NS));
	EXPECT_EQ(0, ncgpu_timeline_wait(self->dev, self->timeline, 1, WAIT_NS));
	EXPECT_TRUE(is_filled(self->map[0]));
	ncgpu_job_fini(&job);
	ncgpu_syncobj_destroy(self->dev, out);
}

TEST_F(lib_timeline, failed_job_submit_changes_no_timeline)
{
	struct ncgpu_job job;
	uint32_t other;

	ASSERT_EQ(0, ncgpu_timeline_create(self->dev, &other));
	ncgpu_job_init(&job);
	ASSERT_EQ(0, ncgpu_job_add_signal(&job, self->timeline, 1));
	ASSERT_EQ(0, ncgpu_job_add_wait(&job, other, 5));
	EXPECT_EQ(-EINVAL, ncgpu_job_submit(self->dev, &job));
	EXPECT_EQ(0u, timeline_point(_metadata, self->dev, self->timeline));
	EXPECT_EQ(-ETIMEDOUT, ncgpu_timeline_wait(self->dev, self->timeline, 1, 0));
	ncgpu_job_fini(&job);
	ncgpu_syncobj_destroy(self->dev, other);
}

TEST_HARNESS_MAIN
