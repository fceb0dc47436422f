// SPDX-License-Identifier: MIT
/*
 * Timeline syncobjs and SUBMIT's sync ops (uAPI 1.2): DRM core's timeline
 * ioctls on ncgpu, wait and signal ops on binary and timeline syncobjs,
 * every errno of the sync ops and the order they are checked in, the all or
 * nothing rule, the 32-byte SUBMIT of older userspace, and the points of an
 * exiting process's jobs.
 *
 * A job that must not run yet is held by a fence only the test signals
 * (vgem's), never by a timing guess; tests that need one skip without vgem.
 * Data goes through write-combined BOs, which have one view in every
 * coherency mode and can be shared between DRM files.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ncgpu_job_test.h"
#include "ncgpu_sync_test.h"
#include "ncgpu_test.h"

#define BAD_HANDLE 0x7fffffffu
#define BO_SIZE 4096
#define FILL_VALUE 0x8877665544332211ull
#define SYNC_OP_MIN_STRIDE 16
#define SEC NCGPU_TEST_NSEC_PER_SEC
/* How long a job that must not run is given to run anyway. */
#define HELD_US 200000
/* How long each stage of the pipeline test keeps the device busy first. */
#define STAGE_STALL_US 100000
/* The points the jobs of an exiting process signal. */
#define EXIT_POINTS 4

FIXTURE(timeline) {
	struct ncgpu_test_device dev;
	int fd;
	/* A write-combined BO of BO_SIZE bytes that the jobs fill. */
	struct ncgpu_mapped_bo x;
	/* A syncobj without a fence, used as a timeline. */
	uint32_t tl;
	/* A syncobj without a fence, used as a binary one. */
	uint32_t bin;
};

FIXTURE_SETUP(timeline)
{
	ncgpu_test_device_setup(_metadata, &self->dev);
	self->fd = self->dev.fd;
	ASSERT_EQ(0, ncgpu_mapped_bo_create(self->fd, BO_SIZE, 0, &self->x));
	ASSERT_EQ(0, __syncobj_create(self->fd, &self->tl));
	ASSERT_EQ(0, __syncobj_create(self->fd, &self->bin));
}

FIXTURE_TEARDOWN(timeline)
{
	close(self->fd);
}

static struct drm_ncgpu_cmd fill_x(const struct ncgpu_mapped_bo *x)
{
	return ncgpu_cmd_fill(x->handle, 0, x->size, FILL_VALUE);
}

/* Lets any job that was wrongly queued finish, then tells whether @bo is still zero. */
static bool bo_untouched(int fd, const struct ncgpu_mapped_bo *bo)
{
	return !ncgpu_bo_wait_for(fd, bo->handle, 2 * SEC) && ncgpu_bytes_equal(bo->map, 0, bo->size);
}

/* Whether @syncobj holds no fence: a wait for it is -EINVAL. */
static bool holds_no_fence(int fd, uint32_t syncobj)
{
	return ncgpu_syncobj_wait_for(fd, syncobj, 0) == -EINVAL;
}

static uint64_t query_point(struct __test_metadata *_metadata, int fd, uint32_t timeline)
{
	uint64_t point = UINT64_MAX;

	EXPECT_EQ(0, __syncobj_query(fd, timeline, &point));
	return point;
}

/* Signals points 1..@last of @timeline, each by an empty job, and waits for the last. */
static int submit_points(int fd, uint32_t timeline, uint64_t last)
{
	struct drm_ncgpu_sync_op op;
	uint64_t point;
	int ret = 0;

	for (point = 1; point <= last && !ret; point++) {
		op = ncgpu_signal_op(timeline, point);
		ret = ncgpu_submit_syncs(fd, NULL, 0, &op, 1);
	}
	return ret ? ret : __syncobj_timeline_wait(fd, timeline, last, 10 * SEC);
}

/*
 * A fence that only the test signals, at point @point of @timeline: vgem's
 * fence, carried there by DRM core's TRANSFER. Skips the test without vgem.
 */
#define HOLD_POINT(ef, timeline, point)                                                  \
	do {                                                                             \
		int __ret = ncgpu_external_fence_create(self->fd, (ef));                 \
		if (__ret == -ENODEV)                                                    \
			SKIP(return, "vgem not loaded");                                 \
		ASSERT_EQ(0, __ret);                                                     \
		ASSERT_EQ(0, __syncobj_transfer(self->fd, (timeline), (point),       \
						    (ef)->syncobj, 0));                  \
	} while (0)

/* A binary syncobj holding a fence that only the test signals; skips without vgem. */
#define HOLD_BINARY(ef)                                                                  \
	do {                                                                             \
		int __ret = ncgpu_external_fence_create(self->fd, (ef));                 \
		if (__ret == -ENODEV)                                                    \
			SKIP(return, "vgem not loaded");                                 \
		ASSERT_EQ(0, __ret);                                                     \
	} while (0)

/* DRM core's timeline ioctls, which need DRIVER_SYNCOBJ_TIMELINE. */

TEST_F(timeline, reports_syncobj_timeline_cap)
{
	struct drm_get_cap cap = { .capability = DRM_CAP_SYNCOBJ_TIMELINE };

	ASSERT_EQ(0, ncgpu_ioctl(self->fd, DRM_IOCTL_GET_CAP, &cap));
	EXPECT_EQ(1ull, cap.value);
}

TEST_F(timeline, query_reports_the_point_the_cpu_signalled)
{
	EXPECT_EQ(0u, query_point(_metadata, self->fd, self->tl));
	ASSERT_EQ(0, __syncobj_timeline_signal(self->fd, self->tl, 5));
	EXPECT_EQ(5u, query_point(_metadata, self->fd, self->tl));
}

TEST_F(timeline, timeline_wait_for_a_signalled_point_returns)
{
	ASSERT_EQ(0, __syncobj_timeline_signal(self->fd, self->tl, 3));
	EXPECT_EQ(0, __syncobj_timeline_wait(self->fd, self->tl, 3, 0));
	/* Control: a later point has no fence yet. */
	EXPECT_EQ(-EINVAL, __syncobj_timeline_wait(self->fd, self->tl, 4, 0));
}

TEST_F(timeline, transfer_gives_a_binary_syncobj_the_fence_of_a_point)
{
	ASSERT_EQ(0, __syncobj_timeline_signal(self->fd, self->tl, 2));
	ASSERT_TRUE(holds_no_fence(self->fd, self->bin));
	ASSERT_EQ(0, __syncobj_transfer(self->fd, self->bin, 0, self->tl, 2));
	EXPECT_EQ(0, ncgpu_syncobj_wait_for(self->fd, self->bin, 0));
}

/* What wait and signal ops do. */

TEST_F(timeline, signal_op_gives_the_point_the_job_fence)
{
	struct drm_ncgpu_cmd cmd = fill_x(&self->x);
	struct drm_ncgpu_sync_op ops[2];
	struct ncgpu_external_fence ef;

	HOLD_BINARY(&ef);
	ops[0] = ncgpu_wait_op(ef.syncobj, 0);
	ops[1] = ncgpu_signal_op(self->tl, 1);
	ASSERT_EQ(0, ncgpu_submit_syncs(self->fd, &cmd, 1, ops, 2));
	EXPECT_EQ(-ETIME, __syncobj_timeline_wait(self->fd, self->tl, 1, 0));
	ASSERT_EQ(0, ncgpu_external_fence_signal(&ef));
	ASSERT_EQ(0, __syncobj_timeline_wait(self->fd, self->tl, 1, 10 * SEC));
	EXPECT_TRUE(ncgpu_is_filled(self->x.map, FILL_VALUE, BO_SIZE));
	EXPECT_EQ(1u, query_point(_metadata, self->fd, self->tl));
}

TEST_F(timeline, signal_op_replaces_the_fence_of_a_binary_syncobj)
{
	struct drm_ncgpu_cmd cmd = fill_x(&self->x);
	struct drm_ncgpu_sync_op ops[2];
	struct ncgpu_external_fence ef;

	HOLD_BINARY(&ef);
	/* It held a signalled fence, which the job's must replace. */
	ASSERT_EQ(0, __ncgpu_submit(self->fd, NULL, 0, 0, self->bin));
	ASSERT_EQ(0, ncgpu_syncobj_wait_for(self->fd, self->bin, 10 * SEC));
	ops[0] = ncgpu_wait_op(ef.syncobj, 0);
	ops[1] = ncgpu_signal_op(self->bin, 0);
	ASSERT_EQ(0, ncgpu_submit_syncs(self->fd, &cmd, 1, ops, 2));
	EXPECT_EQ(-ETIME, ncgpu_syncobj_wait_for(self->fd, self->bin, 0));
	ASSERT_EQ(0, ncgpu_external_fence_signal(&ef));
	ASSERT_EQ(0, ncgpu_syncobj_wait_for(self->fd, self->bin, 10 * SEC));
	EXPECT_TRUE(ncgpu_is_filled(self->x.map, FILL_VALUE, BO_SIZE));
}

TEST_F(timeline, empty_job_signal_ops_get_fences_that_signal)
{
	struct drm_ncgpu_sync_op ops[2] = {
		ncgpu_signal_op(self->tl, 1), ncgpu_signal_op(self->bin, 0),
	};

	ASSERT_EQ(0, ncgpu_submit_syncs(self->fd, NULL, 0, ops, 2));
	EXPECT_EQ(0, __syncobj_timeline_wait(self->fd, self->tl, 1, 10 * SEC));
	EXPECT_EQ(0, ncgpu_syncobj_wait_for(self->fd, self->bin, 10 * SEC));
}

/*
 * Three DRM files, one stage each: the first fills s[0], the second copies
 * it to s[1] after point 1, the third s[1] to s[2] after point 2. Each
 * stage stalls first, so a point that signalled before its job finished
 * would leave its data missing. The CPU waits for point 3 alone, which must
 * mean all three ran.
 */
TEST_F(timeline, three_job_pipeline_through_points_1_2_3)
{
	struct ncgpu_mapped_bo s[3];
	struct drm_ncgpu_cmd cmd[2];
	struct drm_ncgpu_sync_op ops[2];
	uint32_t tl[3], bo[3][3];
	int fds[3], i, j;

	fds[0] = self->fd;
	for (i = 0; i < 3; i++) {
		if (i) {
			fds[i] = ncgpu_open();
			ASSERT_LE(0, fds[i]);
		}
		ASSERT_EQ(0, ncgpu_mapped_bo_create(self->fd, BO_SIZE, 0, &s[i]));
	}
	tl[0] = self->tl;
	for (i = 0; i < 3; i++) {
		if (i)
			ASSERT_EQ(0, ncgpu_syncobj_share(self->fd, self->tl, fds[i], &tl[i]));
		for (j = 0; j < 3; j++) {
			bo[i][j] = s[j].handle;
			if (i)
				ASSERT_EQ(0, ncgpu_bo_share(self->fd, s[j].handle, fds[i],
							    &bo[i][j]));
		}
	}

	cmd[0] = ncgpu_cmd_stall(STAGE_STALL_US);
	cmd[1] = ncgpu_cmd_fill(bo[0][0], 0, BO_SIZE, FILL_VALUE);
	ops[0] = ncgpu_signal_op(tl[0], 1);
	ASSERT_EQ(0, ncgpu_submit_syncs(fds[0], cmd, 2, ops, 1));
	for (i = 1; i < 3; i++) {
		cmd[1] = ncgpu_cmd_copy(bo[i][i], 0, bo[i][i - 1], 0, BO_SIZE);
		ops[0] = ncgpu_wait_op(tl[i], i);
		ops[1] = ncgpu_signal_op(tl[i], i + 1);
		ASSERT_EQ(0, ncgpu_submit_syncs(fds[i], cmd, 2, ops, 2));
	}

	ASSERT_EQ(0, __syncobj_timeline_wait(self->fd, self->tl, 3, 10 * SEC));
	EXPECT_TRUE(ncgpu_is_filled(s[2].map, FILL_VALUE, BO_SIZE));
	EXPECT_TRUE(ncgpu_is_filled(s[1].map, FILL_VALUE, BO_SIZE));
	EXPECT_EQ(3u, query_point(_metadata, self->fd, self->tl));
	close(fds[1]);
	close(fds[2]);
}

/*
 * The waiting job is another file's, so nothing but its wait op holds it:
 * a file's jobs are not ordered after another file's, and it shares no BO
 * with the job that signals the point.
 */
TEST_F(timeline, wait_op_on_a_point_holds_the_job_until_the_point_signals)
{
	struct drm_ncgpu_cmd first = fill_x(&self->x), second;
	struct drm_ncgpu_sync_op signal_1, ops[2];
	struct ncgpu_external_fence ef;
	struct ncgpu_mapped_bo y;
	int other = ncgpu_open();
	uint32_t other_tl;

	ASSERT_LE(0, other);
	HOLD_BINARY(&ef);
	ASSERT_EQ(0, ncgpu_syncobj_share(self->fd, self->tl, other, &other_tl));
	ASSERT_EQ(0, ncgpu_mapped_bo_create(other, BO_SIZE, 0, &y));
	signal_1 = ncgpu_signal_op(self->tl, 1);
	ASSERT_EQ(0, ncgpu_submit_all(self->fd, &first, 1, ef.syncobj, 0, &signal_1, 1));
	second = ncgpu_cmd_fill(y.handle, 0, BO_SIZE, FILL_VALUE);
	ops[0] = ncgpu_wait_op(other_tl, 1);
	ops[1] = ncgpu_signal_op(other_tl, 2);
	ASSERT_EQ(0, ncgpu_submit_syncs(other, &second, 1, ops, 2));

	usleep(HELD_US);
	EXPECT_EQ(-EBUSY, __ncgpu_bo_wait(other, y.handle, 0));
	EXPECT_TRUE(ncgpu_bytes_equal(y.map, 0, BO_SIZE));
	ASSERT_EQ(0, ncgpu_external_fence_signal(&ef));
	ASSERT_EQ(0, __syncobj_timeline_wait(self->fd, self->tl, 2, 10 * SEC));
	EXPECT_TRUE(ncgpu_is_filled(y.map, FILL_VALUE, BO_SIZE));
	EXPECT_TRUE(ncgpu_is_filled(self->x.map, FILL_VALUE, BO_SIZE));
	close(other);
}

/*
 * The timeline's point is let go first: the job still waits for the binary
 * syncobj, and signals nothing, until that is let go too.
 */
TEST_F(timeline, one_submit_waits_on_a_timeline_and_a_binary_and_signals_three)
{
	struct drm_ncgpu_cmd cmd = fill_x(&self->x);
	struct ncgpu_external_fence at_point, binary;
	struct drm_ncgpu_sync_op ops[5];
	uint32_t tl2;

	HOLD_POINT(&at_point, self->tl, 1);
	HOLD_BINARY(&binary);
	ASSERT_EQ(0, __syncobj_create(self->fd, &tl2));
	ops[0] = ncgpu_wait_op(self->tl, 1);
	ops[1] = ncgpu_wait_op(binary.syncobj, 0);
	ops[2] = ncgpu_signal_op(self->tl, 2);
	ops[3] = ncgpu_signal_op(tl2, 7);
	ops[4] = ncgpu_signal_op(self->bin, 0);
	ASSERT_EQ(0, ncgpu_submit_syncs(self->fd, &cmd, 1, ops, 5));

	ASSERT_EQ(0, ncgpu_external_fence_signal(&at_point));
	usleep(HELD_US);
	EXPECT_TRUE(ncgpu_bytes_equal(self->x.map, 0, BO_SIZE));
	EXPECT_EQ(-ETIME, __syncobj_timeline_wait(self->fd, tl2, 7, 0));
	EXPECT_EQ(-ETIME, ncgpu_syncobj_wait_for(self->fd, self->bin, 0));

	ASSERT_EQ(0, ncgpu_external_fence_signal(&binary));
	EXPECT_EQ(0, __syncobj_timeline_wait(self->fd, self->tl, 2, 10 * SEC));
	EXPECT_EQ(0, __syncobj_timeline_wait(self->fd, tl2, 7, 10 * SEC));
	EXPECT_EQ(0, ncgpu_syncobj_wait_for(self->fd, self->bin, 10 * SEC));
	EXPECT_TRUE(ncgpu_is_filled(self->x.map, FILL_VALUE, BO_SIZE));
	EXPECT_EQ(7u, query_point(_metadata, self->fd, tl2));
}

/* Had the wait taken the job's own fence, the job would never run. */
TEST_F(timeline, wait_and_signal_of_one_binary_syncobj_waits_for_its_fence_before)
{
	struct drm_ncgpu_cmd cmd = fill_x(&self->x);
	struct ncgpu_external_fence ef;
	struct drm_ncgpu_sync_op ops[2];

	HOLD_BINARY(&ef);
	ops[0] = ncgpu_wait_op(ef.syncobj, 0);
	ops[1] = ncgpu_signal_op(ef.syncobj, 0);
	ASSERT_EQ(0, ncgpu_submit_syncs(self->fd, &cmd, 1, ops, 2));
	usleep(HELD_US);
	EXPECT_TRUE(ncgpu_bytes_equal(self->x.map, 0, BO_SIZE));
	ASSERT_EQ(0, ncgpu_external_fence_signal(&ef));
	ASSERT_EQ(0, ncgpu_syncobj_wait_for(self->fd, ef.syncobj, 10 * SEC));
	EXPECT_TRUE(ncgpu_is_filled(self->x.map, FILL_VALUE, BO_SIZE));
}

TEST_F(timeline, wait_and_signal_of_one_timeline_waits_for_the_earlier_point)
{
	struct drm_ncgpu_cmd cmd = fill_x(&self->x);
	struct ncgpu_external_fence ef;
	struct drm_ncgpu_sync_op ops[2];

	HOLD_POINT(&ef, self->tl, 1);
	ops[0] = ncgpu_wait_op(self->tl, 1);
	ops[1] = ncgpu_signal_op(self->tl, 2);
	ASSERT_EQ(0, ncgpu_submit_syncs(self->fd, &cmd, 1, ops, 2));
	usleep(HELD_US);
	EXPECT_TRUE(ncgpu_bytes_equal(self->x.map, 0, BO_SIZE));
	EXPECT_EQ(0u, query_point(_metadata, self->fd, self->tl));
	ASSERT_EQ(0, ncgpu_external_fence_signal(&ef));
	ASSERT_EQ(0, __syncobj_timeline_wait(self->fd, self->tl, 2, 10 * SEC));
	EXPECT_TRUE(ncgpu_is_filled(self->x.map, FILL_VALUE, BO_SIZE));
}

/* Points that signalled long ago leave the timeline's chain: nothing to wait for. */
TEST_F(timeline, wait_op_on_an_old_signalled_point_runs_the_job)
{
	struct drm_ncgpu_cmd cmd = fill_x(&self->x);
	struct drm_ncgpu_sync_op op = ncgpu_wait_op(self->tl, 1);

	ASSERT_EQ(0, submit_points(self->fd, self->tl, 8));
	ASSERT_EQ(0, ncgpu_submit_syncs(self->fd, &cmd, 1, &op, 1));
	ASSERT_EQ(0, ncgpu_bo_wait_for(self->fd, self->x.handle, 10 * SEC));
	EXPECT_TRUE(ncgpu_is_filled(self->x.map, FILL_VALUE, BO_SIZE));
}

/* struct drm_ncgpu_submit of driver minors 0 and 1, without syncs. */
struct submit_v1_1 {
	struct drm_ncgpu_obj_array cmds;
	uint32_t in_syncobj;
	uint32_t out_syncobj;
	uint32_t flags;
	uint32_t pad;
};

#define SUBMIT_V1_1 DRM_IOWR(DRM_COMMAND_BASE + DRM_NCGPU_SUBMIT, struct submit_v1_1)

/* The old struct ends a page and the next one is unmapped: no byte beyond it is read. */
TEST_F(timeline, submit_of_32_bytes_from_older_userspace_works)
{
	struct drm_ncgpu_cmd cmd = fill_x(&self->x);
	long page = sysconf(_SC_PAGESIZE);
	struct submit_v1_1 *args;
	uint8_t *pages;

	ASSERT_EQ(32u, sizeof(*args));
	pages = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_EQ(0, mprotect(pages + page, page, PROT_NONE));
	args = (struct submit_v1_1 *)(pages + page - sizeof(*args));
	*args = (struct submit_v1_1){
		.cmds = { .stride = sizeof(cmd), .count = 1, .array = (uintptr_t)&cmd },
		.out_syncobj = self->bin,
	};
	ASSERT_EQ(0, ncgpu_ioctl(self->fd, SUBMIT_V1_1, args));
	ASSERT_EQ(0, ncgpu_syncobj_wait_for(self->fd, self->bin, 10 * SEC));
	EXPECT_TRUE(ncgpu_is_filled(self->x.map, FILL_VALUE, BO_SIZE));
	munmap(pages, 2 * page);
}

/*
 * A child process submits jobs that signal points 1..EXIT_POINTS of a
 * timeline it shares with this file, the first stalling for two seconds,
 * and exits at once: its jobs get about a second, and the rest are
 * cancelled. Every point must still signal, and a job of this file waiting
 * for the last one must run.
 */
static int submit_points_and_exit(int timeline_fd, int done_fd)
{
	struct drm_syncobj_handle import = { .fd = timeline_fd };
	struct drm_ncgpu_cmd stalls[2] = { ncgpu_cmd_stall(1000000), ncgpu_cmd_stall(1000000) };
	struct drm_ncgpu_sync_op op;
	uint32_t point;
	int fd = ncgpu_open();

	if (fd < 0 || ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &import))
		return 1;
	for (point = 1; point <= EXIT_POINTS; point++) {
		op = ncgpu_signal_op(import.handle, point);
		if (ncgpu_submit_syncs(fd, stalls, point == 1 ? 2 : 0, &op, 1))
			return 1;
	}
	/* The DRM file is closed by the exit, as the process's jobs are queued. */
	return write(done_fd, "", 1) == 1 ? 0 : 1;
}

TEST_F(timeline, exiting_process_jobs_signal_every_point_and_wake_their_waiters)
{
	struct drm_syncobj_handle export = { .handle = self->tl };
	uint64_t points[EXIT_POINTS];
	uint32_t handles[EXIT_POINTS];
	struct drm_syncobj_timeline_wait all = {
		.handles = (uintptr_t)handles,
		.points = (uintptr_t)points,
		.count_handles = EXIT_POINTS,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
	};
	struct drm_ncgpu_cmd cmd = fill_x(&self->x);
	struct drm_ncgpu_sync_op ops[2];
	int done[2], status, i;
	pid_t pid;
	char byte;

	ASSERT_EQ(0, ncgpu_ioctl(self->fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &export));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(done[0]);
		_exit(submit_points_and_exit(export.fd, done[1]));
	}
	close(done[1]);
	ASSERT_EQ(1, read(done[0], &byte, 1)) TH_LOG("the child could not submit its jobs");

	ops[0] = ncgpu_wait_op(self->tl, EXIT_POINTS);
	ops[1] = ncgpu_signal_op(self->bin, 0);
	ASSERT_EQ(0, ncgpu_submit_syncs(self->fd, &cmd, 1, ops, 2));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));

	for (i = 0; i < EXIT_POINTS; i++) {
		handles[i] = self->tl;
		points[i] = i + 1;
	}
	all.timeout_nsec = ncgpu_now_ns() + 60 * SEC;
	EXPECT_EQ(0, ncgpu_ioctl(self->fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &all));
	EXPECT_EQ(0, ncgpu_syncobj_wait_for(self->fd, self->bin, 60 * SEC));
	EXPECT_TRUE(ncgpu_is_filled(self->x.map, FILL_VALUE, BO_SIZE));
}

/* Every errno of the sync ops. */

TEST_F(timeline, sync_op_flag_outside_type_and_signal_is_einval)
{
	struct drm_ncgpu_sync_op op = ncgpu_signal_op(self->bin, 0);

	op.flags |= 1u << 8;
	EXPECT_EQ(-EINVAL, ncgpu_submit_syncs(self->fd, NULL, 0, &op, 1));
	op.flags = (uint32_t)DRM_NCGPU_SYNC_OP_SIGNAL | 1u << 30;
	EXPECT_EQ(-EINVAL, ncgpu_submit_syncs(self->fd, NULL, 0, &op, 1));
	EXPECT_TRUE(holds_no_fence(self->fd, self->bin));
}

TEST_F(timeline, sync_op_unknown_handle_type_is_einval)
{
	struct drm_ncgpu_sync_op op = ncgpu_signal_op(self->tl, 1);

	op.flags = (uint32_t)DRM_NCGPU_SYNC_OP_SIGNAL | 2;
	EXPECT_EQ(-EINVAL, ncgpu_submit_syncs(self->fd, NULL, 0, &op, 1));
	op.flags = (uint32_t)DRM_NCGPU_SYNC_OP_SIGNAL | DRM_NCGPU_SYNC_OP_HANDLE_TYPE_MASK;
	EXPECT_EQ(-EINVAL, ncgpu_submit_syncs(self->fd, NULL, 0, &op, 1));
	EXPECT_TRUE(holds_no_fence(self->fd, self->tl));
}

TEST_F(timeline, binary_sync_op_with_a_point_is_einval)
{
	struct drm_ncgpu_sync_op op = ncgpu_signal_op(self->bin, 0);

	op.timeline_point = 1;
	EXPECT_EQ(-EINVAL, ncgpu_submit_syncs(self->fd, NULL, 0, &op, 1));
	EXPECT_TRUE(holds_no_fence(self->fd, self->bin));
}

TEST_F(timeline, timeline_sync_op_at_point_0_is_einval)
{
	struct drm_ncgpu_sync_op op = ncgpu_signal_op(self->tl, 1);

	op.timeline_point = 0;
	EXPECT_EQ(-EINVAL, ncgpu_submit_syncs(self->fd, NULL, 0, &op, 1));
	EXPECT_TRUE(holds_no_fence(self->fd, self->tl));
}

TEST_F(timeline, wait_op_bad_handle_is_enoent)
{
	struct drm_ncgpu_cmd cmd = fill_x(&self->x);
	struct drm_ncgpu_sync_op binary = ncgpu_wait_op(BAD_HANDLE, 0);
	struct drm_ncgpu_sync_op point = ncgpu_wait_op(0, 1);

	EXPECT_EQ(-ENOENT, ncgpu_submit_syncs(self->fd, &cmd, 1, &binary, 1));
	EXPECT_EQ(-ENOENT, ncgpu_submit_syncs(self->fd, &cmd, 1, &point, 1));
	EXPECT_TRUE(bo_untouched(self->fd, &self->x));
}

TEST_F(timeline, signal_op_bad_handle_is_enoent)
{
	struct drm_ncgpu_cmd cmd = fill_x(&self->x);
	struct drm_ncgpu_sync_op binary = ncgpu_signal_op(BAD_HANDLE, 0);
	struct drm_ncgpu_sync_op point = ncgpu_signal_op(BAD_HANDLE, 3);

	EXPECT_EQ(-ENOENT, ncgpu_submit_syncs(self->fd, &cmd, 1, &binary, 1));
	EXPECT_EQ(-ENOENT, ncgpu_submit_syncs(self->fd, &cmd, 1, &point, 1));
	EXPECT_TRUE(bo_untouched(self->fd, &self->x));
}

TEST_F(timeline, wait_op_on_binary_syncobj_without_fence_is_einval)
{
	struct drm_ncgpu_cmd cmd = fill_x(&self->x);
	struct drm_ncgpu_sync_op op = ncgpu_wait_op(self->bin, 0);

	EXPECT_EQ(-EINVAL, ncgpu_submit_syncs(self->fd, &cmd, 1, &op, 1));
	EXPECT_TRUE(bo_untouched(self->fd, &self->x));
}

TEST_F(timeline, wait_op_on_a_point_no_submit_has_signalled_is_einval)
{
	struct drm_ncgpu_cmd cmd = fill_x(&self->x);
	struct drm_ncgpu_sync_op op = ncgpu_wait_op(self->tl, 1);

	EXPECT_EQ(-EINVAL, ncgpu_submit_syncs(self->fd, &cmd, 1, &op, 1));
	ASSERT_EQ(0, submit_points(self->fd, self->tl, 1));
	op.timeline_point = 2;
	EXPECT_EQ(-EINVAL, ncgpu_submit_syncs(self->fd, &cmd, 1, &op, 1));
	EXPECT_TRUE(bo_untouched(self->fd, &self->x));
}

/* Signal ops of points 1..@count of @timeline, in a new array. */
static struct drm_ncgpu_sync_op *point_ops(uint32_t timeline, uint32_t count)
{
	struct drm_ncgpu_sync_op *ops = calloc(count, sizeof(*ops));
	uint32_t i;

	for (i = 0; ops && i < count; i++)
		ops[i] = ncgpu_signal_op(timeline, i + 1);
	return ops;
}

TEST_F(timeline, syncs_count_equal_to_max_submit_syncs_is_ok)
{
	uint32_t max = self->dev.info.max_submit_syncs;
	struct drm_ncgpu_sync_op *ops = point_ops(self->tl, max);

	ASSERT_NE(NULL, ops);
	ASSERT_EQ(0, ncgpu_submit_syncs(self->fd, NULL, 0, ops, max));
	EXPECT_EQ(0, __syncobj_timeline_wait(self->fd, self->tl, max, 10 * SEC));
	EXPECT_EQ(max, query_point(_metadata, self->fd, self->tl));
	free(ops);
}

TEST_F(timeline, syncs_count_above_max_submit_syncs_is_einval)
{
	uint32_t max = self->dev.info.max_submit_syncs;
	struct drm_ncgpu_sync_op *ops = point_ops(self->tl, max + 1);

	ASSERT_NE(NULL, ops);
	EXPECT_EQ(-EINVAL, ncgpu_submit_syncs(self->fd, NULL, 0, ops, max + 1));
	EXPECT_TRUE(holds_no_fence(self->fd, self->tl));
	free(ops);
}

/* SUBMIT of an empty job whose syncs array is given as it is. */
static int submit_sync_array(int fd, uint32_t stride, uint32_t count, const void *array)
{
	struct drm_ncgpu_submit s = {
		.syncs = { .stride = stride, .count = count, .array = (uintptr_t)array },
	};

	return ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_SUBMIT, &s);
}

/* A sync op followed by the tail bytes a newer userspace could append. */
struct padded_sync_op {
	struct drm_ncgpu_sync_op op;
	uint64_t tail;
};

TEST_F(timeline, empty_syncs_array_ignores_stride_and_pointer)
{
	EXPECT_EQ(0, submit_sync_array(self->fd, 0, 0, NULL));
	EXPECT_EQ(0, submit_sync_array(self->fd, 5, 0, (void *)8));
}

TEST_F(timeline, syncs_stride_below_minimum_is_einval)
{
	struct padded_sync_op op = { ncgpu_signal_op(self->bin, 0), 0 };

	EXPECT_EQ(-EINVAL, submit_sync_array(self->fd, SYNC_OP_MIN_STRIDE - 1, 1, &op));
	EXPECT_EQ(-EINVAL, submit_sync_array(self->fd, 8, 1, &op));
	EXPECT_TRUE(holds_no_fence(self->fd, self->bin));
}

TEST_F(timeline, syncs_stride_with_zero_tail_is_ok)
{
	struct padded_sync_op ops[2] = {
		{ ncgpu_signal_op(self->tl, 1), 0 }, { ncgpu_signal_op(self->bin, 0), 0 },
	};

	ASSERT_EQ(0, submit_sync_array(self->fd, sizeof(ops[0]), 2, ops));
	EXPECT_EQ(0, __syncobj_timeline_wait(self->fd, self->tl, 1, 10 * SEC));
	EXPECT_EQ(0, ncgpu_syncobj_wait_for(self->fd, self->bin, 10 * SEC));
}

TEST_F(timeline, syncs_stride_with_nonzero_tail_is_e2big)
{
	struct padded_sync_op ops[2] = {
		{ ncgpu_signal_op(self->tl, 1), 0 }, { ncgpu_signal_op(self->bin, 0), 1 },
	};

	EXPECT_EQ(-E2BIG, submit_sync_array(self->fd, sizeof(ops[0]), 2, ops));
	EXPECT_TRUE(holds_no_fence(self->fd, self->tl));
	EXPECT_TRUE(holds_no_fence(self->fd, self->bin));
}

TEST_F(timeline, syncs_stride_above_4096_is_e2big)
{
	static uint8_t buf[2 * NCGPU_TEST_MAX_STRIDE];
	struct drm_ncgpu_sync_op op = ncgpu_signal_op(self->bin, 0);

	memcpy(buf, &op, sizeof(op));
	EXPECT_EQ(-E2BIG, submit_sync_array(self->fd, NCGPU_TEST_MAX_STRIDE + 8, 1, buf));
	EXPECT_TRUE(holds_no_fence(self->fd, self->bin));
	/* Control: the same op at the largest stride is taken. */
	EXPECT_EQ(0, submit_sync_array(self->fd, NCGPU_TEST_MAX_STRIDE, 1, buf));
	EXPECT_EQ(0, ncgpu_syncobj_wait_for(self->fd, self->bin, 10 * SEC));
}

TEST_F(timeline, syncs_unreadable_array_is_efault)
{
	EXPECT_EQ(-EFAULT, submit_sync_array(self->fd, SYNC_OP_MIN_STRIDE, 1, (void *)8));
	EXPECT_EQ(-EFAULT, submit_sync_array(self->fd, SYNC_OP_MIN_STRIDE + 8, 2, (void *)8));
}

/* The order of checks: commands, in/out syncobjs, then the sync ops in array order. */

TEST_F(timeline, command_errors_come_before_sync_op_errors)
{
	struct drm_ncgpu_cmd bad_handle = ncgpu_cmd_fill(BAD_HANDLE, 0, 16, 1);
	struct drm_ncgpu_cmd bad_flags = fill_x(&self->x);
	struct drm_ncgpu_sync_op op = ncgpu_signal_op(self->bin, 0);

	bad_flags.flags = 1;
	op.flags |= 1u << 8;
	EXPECT_EQ(-ENOENT, ncgpu_submit_syncs(self->fd, &bad_handle, 1, &op, 1));
	op = ncgpu_signal_op(BAD_HANDLE, 0);
	EXPECT_EQ(-EINVAL, ncgpu_submit_syncs(self->fd, &bad_flags, 1, &op, 1));
}

TEST_F(timeline, in_and_out_syncobj_errors_come_before_sync_op_errors)
{
	struct drm_ncgpu_sync_op bad_flags = ncgpu_signal_op(self->bin, 0);
	struct drm_ncgpu_sync_op bad_handle = ncgpu_signal_op(BAD_HANDLE, 0);
	struct drm_ncgpu_submit bad_stride = {
		.in_syncobj = BAD_HANDLE,
		.syncs = { .stride = 1, .count = 1, .array = (uintptr_t)&bad_flags },
	};

	bad_flags.flags |= 1u << 8;
	EXPECT_EQ(-ENOENT, ncgpu_submit_all(self->fd, NULL, 0, 0, BAD_HANDLE, &bad_flags, 1));
	/* An in_syncobj without a fence is -EINVAL, a bad sync op handle -ENOENT. */
	EXPECT_EQ(-EINVAL, ncgpu_submit_all(self->fd, NULL, 0, self->tl, 0, &bad_handle, 1));
	/* The array itself is read after them too. */
	EXPECT_EQ(-ENOENT, ncgpu_ioctl(self->fd, DRM_IOCTL_NCGPU_SUBMIT, &bad_stride));
}

TEST_F(timeline, sync_ops_are_checked_in_array_order)
{
	struct drm_ncgpu_sync_op ops[2] = {
		ncgpu_wait_op(BAD_HANDLE, 0), ncgpu_signal_op(self->bin, 0),
	};

	ops[1].timeline_point = 1;
	EXPECT_EQ(-ENOENT, ncgpu_submit_syncs(self->fd, NULL, 0, ops, 2));
	ops[0] = ops[1];
	ops[1] = ncgpu_wait_op(BAD_HANDLE, 0);
	EXPECT_EQ(-EINVAL, ncgpu_submit_syncs(self->fd, NULL, 0, ops, 2));
}

/*
 * All or nothing: every op before the bad last one was valid, and signal
 * ops among them would have changed their syncobjs.
 */
TEST_F(timeline, failed_submit_with_a_bad_last_op_changes_no_syncobj)
{
	struct drm_ncgpu_cmd cmd = fill_x(&self->x);
	struct drm_ncgpu_sync_op ops[5];
	uint32_t held;

	ASSERT_EQ(0, submit_points(self->fd, self->tl, 2));
	ASSERT_EQ(0, __syncobj_create(self->fd, &held));
	ASSERT_EQ(0, __ncgpu_submit(self->fd, NULL, 0, 0, held));
	ops[0] = ncgpu_wait_op(self->tl, 2);
	ops[1] = ncgpu_signal_op(self->tl, 3);
	ops[2] = ncgpu_signal_op(self->bin, 0);
	ops[3] = ncgpu_wait_op(held, 0);
	ops[4] = ncgpu_signal_op(BAD_HANDLE, 4);
	ASSERT_EQ(-ENOENT, ncgpu_submit_syncs(self->fd, &cmd, 1, ops, 5));

	EXPECT_EQ(-EINVAL, __syncobj_timeline_wait(self->fd, self->tl, 3, 0));
	EXPECT_EQ(2u, query_point(_metadata, self->fd, self->tl));
	EXPECT_TRUE(holds_no_fence(self->fd, self->bin));
	EXPECT_TRUE(bo_untouched(self->fd, &self->x));
}

TEST_HARNESS_MAIN
