// SPDX-License-Identifier: MIT
/*
 * The engine's limits, each in a run of its own that sets its module
 * parameter (vm/suites.conf): job_timeout_ms=200 stops a long job,
 * max_queued_jobs=4 makes SUBMIT wait for a slot. Each test skips itself in
 * the other runs.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "ncgpu_job_test.h"
#include "ncgpu_test.h"

#define BO_SIZE 4096
#define FILL_VALUE 0x0123456789abcdefull
#define SEC NCGPU_TEST_NSEC_PER_SEC

NCGPU_WC_BO_FIXTURE(engine, BO_SIZE)

static int submit_stalls(int fd, uint64_t usec, uint32_t count, uint32_t *syncobj)
{
	struct drm_ncgpu_cmd stalls[8];
	uint32_t i;

	for (i = 0; i < count && i < 8; i++)
		stalls[i] = ncgpu_cmd_stall(usec);
	return ncgpu_submit_signalling(fd, stalls, i, syncobj);
}

TEST_F(engine, job_running_past_its_timeout_signals_etimedout)
{
	struct drm_ncgpu_cmd fill = ncgpu_cmd_fill(self->bo.handle, 0, 64, FILL_VALUE);
	uint32_t slow, next;

	if (ncgpu_module_param_long("job_timeout_ms") != 200)
		SKIP(return, "needs job_timeout_ms=200");
	/* Three 100 ms stalls cannot finish within 200 ms. */
	ASSERT_EQ(0, submit_stalls(self->fd, 100000, 3, &slow));
	ASSERT_EQ(0, ncgpu_submit_signalling(self->fd, &fill, 1, &next));
	ASSERT_EQ(0, ncgpu_syncobj_wait_for(self->fd, next, 10 * SEC));
	EXPECT_EQ(-ETIMEDOUT, ncgpu_syncobj_fence_status(self->fd, slow));
	EXPECT_EQ(1, ncgpu_syncobj_fence_status(self->fd, next))
		TH_LOG("the job after the one that timed out did not complete cleanly");
	for (size_t i = 0; i < 64; i++)
		ASSERT_EQ(ncgpu_fill_byte(FILL_VALUE, i), self->bo.map[i]);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F(engine, submit_beyond_max_queued_jobs_waits_for_a_slot)
{
	struct drm_ncgpu_cmd fill = ncgpu_cmd_fill(self->bo.handle, 0, BO_SIZE, FILL_VALUE);
	uint32_t first, last;
	int i;

	if (ncgpu_module_param_long("max_queued_jobs") != 4)
		SKIP(return, "needs max_queued_jobs=4");
	ASSERT_EQ(0, submit_stalls(self->fd, 200000, 1, &first));
	for (i = 1; i < 4; i++)
		ASSERT_EQ(0, submit_stalls(self->fd, 200000, 1, &last));
	ASSERT_EQ(0, __ncgpu_submit(self->fd, &fill, 1, 0, 0));
	EXPECT_EQ(1, ncgpu_syncobj_fence_status(self->fd, first))
		TH_LOG("the fifth SUBMIT returned before any of the four jobs finished");
	EXPECT_EQ(0, ncgpu_bo_wait_for(self->fd, self->bo.handle, 10 * SEC));
	EXPECT_TRUE(ncgpu_is_filled(self->bo.map, FILL_VALUE, BO_SIZE));
}

TEST_F(engine, submit_waiting_for_a_slot_is_interrupted_by_a_signal)
{
	struct sigaction no_restart = { .sa_handler = on_alarm }, old;
	struct itimerval in_50ms = { .it_value = { .tv_usec = 50000 } };
	struct drm_ncgpu_cmd fill = ncgpu_cmd_fill(self->bo.handle, 0, BO_SIZE, FILL_VALUE);
	struct drm_ncgpu_submit submit = {
		.cmds = { .stride = sizeof(fill), .count = 1, .array = (uintptr_t)&fill },
	};
	uint32_t last;
	int i, ret;

	if (ncgpu_module_param_long("max_queued_jobs") != 4)
		SKIP(return, "needs max_queued_jobs=4");
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, submit_stalls(self->fd, 500000, 1, &last));
	ASSERT_EQ(0, sigaction(SIGALRM, &no_restart, &old));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &in_50ms, NULL));
	/* ioctl(2) itself: the test's wrappers retry on EINTR. */
	ret = ioctl(self->fd, DRM_IOCTL_NCGPU_SUBMIT, &submit) ? -errno : 0;
	sigaction(SIGALRM, &old, NULL);
	EXPECT_EQ(-EINTR, ret);
	EXPECT_EQ(0, ncgpu_syncobj_fence_status(self->fd, last));
	ASSERT_EQ(0, ncgpu_syncobj_wait_for(self->fd, last, 10 * SEC));
	EXPECT_TRUE(ncgpu_bytes_equal(self->bo.map, 0, BO_SIZE)) TH_LOG("the interrupted SUBMIT queued its job");
}

TEST_HARNESS_MAIN
