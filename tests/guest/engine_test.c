// SPDX-License-Identifier: MIT
/*
 * The engine on the GPU scheduler: fairness between files, what closing a
 * file does to its jobs, BOs named through two handles, jobs that cannot hold
 * a CPU, and job memory charged to the submitter's cgroup. The module
 * parameters' limits are in engine_limits_test.c.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ncgpu_job_test.h"
#include "ncgpu_test.h"

#define BO_SIZE 4096
#define FILL_VALUE 0x0123456789abcdefull
#define MSEC NCGPU_TEST_NSEC_PER_MSEC
#define SEC NCGPU_TEST_NSEC_PER_SEC

NCGPU_WC_BO_FIXTURE(engine, BO_SIZE)

static bool bo_holds_fill(const struct ncgpu_mapped_bo *bo, uint64_t value)
{
	return ncgpu_is_filled(bo->map, value, bo->size);
}

static bool bo_is_zero(const struct ncgpu_mapped_bo *bo)
{
	return ncgpu_bytes_equal(bo->map, 0, bo->size);
}

/*
 * A child queues 100 one-second stalls and then a FILL of a BO it shares with
 * its parent, tells the parent through @ready, and exits once it reads from
 * @go: the jobs it had not started are cancelled.
 */
static void queue_and_exit(int dmabuf, int ready, int go)
{
	struct drm_ncgpu_cmd cmd = ncgpu_cmd_stall(1000000);
	uint32_t handle;
	int fd = ncgpu_open(), i;
	char byte = 0;

	if (fd < 0 || __prime_fd_to_handle(fd, dmabuf, &handle))
		_exit(2);
	for (i = 0; i < 100; i++)
		if (__ncgpu_submit(fd, &cmd, 1, 0, 0))
			_exit(3);
	cmd = ncgpu_cmd_fill(handle, 0, BO_SIZE, FILL_VALUE);
	if (__ncgpu_submit(fd, &cmd, 1, 0, 0))
		_exit(4);
	if (write(ready, &byte, 1) != 1 || read(go, &byte, 1) != 1)
		_exit(5);
	_exit(0);
}

TEST_F(engine, exiting_process_jobs_not_started_are_cancelled)
{
	struct dma_buf_export_sync_file fill_fence = { .flags = DMA_BUF_SYNC_WRITE, .fd = -1 };
	struct pollfd idle = { .events = POLLOUT };
	int ready[2], go[2], status;
	int64_t exiting, elapsed_ms;
	char byte = 0;
	pid_t pid;

	ASSERT_EQ(0, __prime_handle_to_fd(self->fd, self->bo.handle, &idle.fd));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		queue_and_exit(idle.fd, ready[1], go[0]);
	ASSERT_EQ(1, read(ready[0], &byte, 1)) TH_LOG("the child could not queue its jobs");
	/* The FILL's fence, the BO's only one, while it is pending. */
	ASSERT_EQ(0, ncgpu_ioctl(idle.fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &fill_fence));
	ASSERT_EQ(0, ncgpu_sync_file_status(fill_fence.fd));
	exiting = ncgpu_now_ns();
	ASSERT_EQ(1, write(go[1], &byte, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("status %#x", status);

	/* POLLOUT on a dma-buf: every fence in its reservation object has signalled. */
	ASSERT_EQ(1, poll(&idle, 1, 60000)) TH_LOG("the BO never became idle");
	elapsed_ms = (ncgpu_now_ns() - exiting) / MSEC;
	printf("# idle %lld ms after the child began to exit (100 s of jobs queued)\n",
	       (long long)elapsed_ms);
	fflush(stdout);
	EXPECT_GT(20000, elapsed_ms) TH_LOG("the exited process's jobs ran on");
	EXPECT_EQ(-ESRCH, ncgpu_sync_file_status(fill_fence.fd));
	EXPECT_TRUE(bo_is_zero(&self->bo)) TH_LOG("a cancelled FILL wrote the BO");
	close(fill_fence.fd);
	close(idle.fd);
}

TEST_F(engine, live_close_returns_after_the_files_jobs_ran)
{
	int other = ncgpu_open(), dmabuf;
	struct drm_ncgpu_cmd job[2] = { ncgpu_cmd_stall(300000) };
	uint32_t handle;
	int64_t start;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, __prime_handle_to_fd(self->fd, self->bo.handle, &dmabuf));
	ASSERT_EQ(0, __prime_fd_to_handle(other, dmabuf, &handle));
	close(dmabuf);
	job[1] = ncgpu_cmd_fill(handle, 0, BO_SIZE, FILL_VALUE);
	/* Before SUBMIT: the stall may begin before close() is called. */
	start = ncgpu_now_ns();
	ASSERT_EQ(0, __ncgpu_submit(other, job, 2, 0, 0));
	ASSERT_EQ(0, close(other));
	EXPECT_LE(300 * MSEC, ncgpu_now_ns() - start)
		TH_LOG("close() returned before the file's 300 ms job had run");
	EXPECT_TRUE(bo_holds_fill(&self->bo, FILL_VALUE))
		TH_LOG("the job of the closed file did not run");
}

TEST_F(engine, job_waiting_for_its_fence_holds_up_no_other_file)
{
	struct drm_ncgpu_cmd fill = ncgpu_cmd_fill(self->bo.handle, 0, BO_SIZE, FILL_VALUE);
	struct ncgpu_external_fence ef;
	uint32_t blocked, other_job;
	int other = ncgpu_open(), ret;
	struct ncgpu_mapped_bo bo;

	ASSERT_LE(0, other);
	ret = ncgpu_external_fence_create(self->fd, &ef);
	if (ret == -ENODEV)
		SKIP(return, "vgem not loaded");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, __syncobj_create(self->fd, &blocked));
	ASSERT_EQ(0, __ncgpu_submit(self->fd, &fill, 1, ef.syncobj, blocked));

	ASSERT_EQ(0, ncgpu_mapped_bo_create(other, BO_SIZE, 0, &bo));
	fill.dst_handle = bo.handle;
	ASSERT_EQ(0, ncgpu_submit_signalling(other, &fill, 1, &other_job));
	ASSERT_EQ(0, ncgpu_syncobj_wait_for(other, other_job, 10 * SEC))
		TH_LOG("a job of another file waited for the blocked one");
	EXPECT_TRUE(bo_holds_fill(&bo, FILL_VALUE));
	EXPECT_EQ(0, ncgpu_syncobj_fence_status(self->fd, blocked));

	ASSERT_EQ(0, ncgpu_external_fence_signal(&ef));
	ASSERT_EQ(0, ncgpu_syncobj_wait_for(self->fd, blocked, 10 * SEC));
	EXPECT_TRUE(bo_holds_fill(&self->bo, FILL_VALUE));
	close(other);
	close(ef.card);
}

#define BUSY_JOBS 200

TEST_F(engine, busy_file_does_not_starve_another)
{
	struct drm_ncgpu_cmd stall = ncgpu_cmd_stall(10000);
	struct drm_ncgpu_cmd fill = ncgpu_cmd_fill(self->bo.handle, 0, BO_SIZE, FILL_VALUE);
	uint32_t busy_last, quick;
	int busy = ncgpu_open(), i;
	int64_t start;

	ASSERT_LE(0, busy);
	for (i = 0; i < BUSY_JOBS - 1; i++)
		ASSERT_EQ(0, __ncgpu_submit(busy, &stall, 1, 0, 0));
	ASSERT_EQ(0, ncgpu_submit_signalling(busy, &stall, 1, &busy_last));

	start = ncgpu_now_ns();
	ASSERT_EQ(0, ncgpu_submit_signalling(self->fd, &fill, 1, &quick));
	ASSERT_EQ(0, ncgpu_syncobj_wait_for(self->fd, quick, 10 * SEC));
	printf("# the other file's job finished %lld ms after its SUBMIT, behind %d jobs of 10 ms\n",
	       (long long)((ncgpu_now_ns() - start) / MSEC), BUSY_JOBS);
	fflush(stdout);
	/* Round robin: it runs after one or two of the busy file's jobs, not after all. */
	EXPECT_EQ(0, ncgpu_syncobj_fence_status(busy, busy_last))
		TH_LOG("the quick job waited for all %d jobs of the busy file", BUSY_JOBS);
	EXPECT_TRUE(bo_holds_fill(&self->bo, FILL_VALUE));
	close(busy);
}

/* A second handle of @handle on the primary node @card, through a flink name. */
static int flink_alias(int card, uint32_t handle, uint32_t *alias)
{
	struct drm_gem_flink flink = { .handle = handle };
	struct drm_gem_open open_args = { 0 };
	int ret = ncgpu_ioctl(card, DRM_IOCTL_GEM_FLINK, &flink);

	open_args.name = flink.name;
	if (!ret)
		ret = ncgpu_ioctl(card, DRM_IOCTL_GEM_OPEN, &open_args);
	*alias = open_args.handle;
	return ret;
}

TEST(bo_named_by_two_handles_is_one_bo_of_the_job)
{
	int card = ncgpu_open_primary_driver("ncgpu");
	struct ncgpu_mapped_bo bo;
	struct drm_ncgpu_cmd copy;
	uint32_t alias;

	if (card < 0)
		SKIP(return, "ncgpu not loaded");
	ASSERT_EQ(0, ncgpu_mapped_bo_create(card, BO_SIZE, 0, &bo));
	ASSERT_EQ(0, flink_alias(card, bo.handle, &alias));
	ASSERT_NE(bo.handle, alias);
	memset(bo.map, 0x5a, 64);

	copy = ncgpu_cmd_copy(alias, 128, bo.handle, 0, 64);
	ASSERT_EQ(0, ncgpu_submit_wait(card, &copy, 1)) TH_LOG("two handles of one BO");
	for (size_t i = 128; i < 192; i++)
		ASSERT_EQ(0x5a, bo.map[i]);

	copy = ncgpu_cmd_copy(alias, 32, bo.handle, 0, 64);
	EXPECT_EQ(-EINVAL, __ncgpu_submit(card, &copy, 1, 0, 0))
		TH_LOG("an overlapping COPY through two handles of one BO");
	close(card);
}

/*
 * A queued job writes a vgem BO; its handle and both DRM files are closed
 * before it runs. The debug lane runs this under lockdep: dropping the last
 * reference to an import takes the exporter's locks, never on the way to a
 * fence's signal.
 */
TEST(vgem_import_written_by_a_queued_job_outlives_its_files)
{
	int vgem = ncgpu_open_primary_driver("vgem"), fd = ncgpu_open();
	struct drm_ncgpu_cmd job[2] = { ncgpu_cmd_stall(100000) };
	struct pollfd idle = { .events = POLLOUT };
	struct ncgpu_foreign_bo bo;

	if (vgem < 0)
		SKIP(return, "vgem not loaded");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ncgpu_foreign_bo_create(fd, vgem, BO_SIZE, &bo));
	job[1] = ncgpu_cmd_fill(bo.handle, 0, BO_SIZE, FILL_VALUE);
	ASSERT_EQ(0, __ncgpu_submit(fd, job, 2, 0, 0));
	ASSERT_EQ(0, __gem_close(fd, bo.handle));
	ASSERT_EQ(0, __gem_close(vgem, bo.foreign_handle));
	close(fd);
	close(vgem);

	idle.fd = bo.dmabuf;
	ASSERT_EQ(1, poll(&idle, 1, 10000));
	for (size_t i = 0; i < BO_SIZE; i++)
		ASSERT_EQ(ncgpu_fill_byte(FILL_VALUE, i), bo.map[i]);
	munmap(bo.map, BO_SIZE);
	close(bo.dmabuf);
}

#define LONG_FILL_BO_SIZE (512ull * NCGPU_TEST_MIB)
#define LONG_FILL_CMDS 3

/*
 * A thread on one CPU that measures how long it waits, once its 1 ms sleeps
 * end, for the CPU: its run queue delay (schedstat), which a CPU held by
 * the job makes long. Unlike the wall clock, it leaves out most of the time
 * that a busy host takes the guest's CPU away from the whole guest.
 */
struct cpu_watch {
	pthread_t thread;
	int cpu;
	volatile bool stop;
	bool measured;
	int64_t worst_ns;
};

/* Nanoseconds this thread has waited on a run queue, or -1. */
static int64_t run_queue_delay_ns(int fd)
{
	char buf[128];
	long long on_cpu, delay;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return sscanf(buf, "%lld %lld", &on_cpu, &delay) == 2 ? delay : -1;
}

static void *watch_cpu(void *arg)
{
	struct cpu_watch *w = arg;
	int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	int64_t before, after;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (fd < 0 || pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		goto out;
	before = run_queue_delay_ns(fd);
	while (!w->stop && before >= 0) {
		usleep(1000);
		after = run_queue_delay_ns(fd);
		if (after < 0)
			break;
		if (after - before > w->worst_ns)
			w->worst_ns = after - before;
		before = after;
		w->measured = true;
	}
out:
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* A watched long job's duration and the longest run queue wait it caused. */
struct yield_sample {
	int64_t job_ms;
	int64_t worst_ms;
};

static int watched_long_fill(int fd, uint32_t handle, struct yield_sample *sample)
{
	struct drm_ncgpu_cmd fills[LONG_FILL_CMDS];
	struct cpu_watch watch[2] = { { .cpu = 0 }, { .cpu = 1 } };
	uint32_t done = 0;
	int64_t start;
	int i, ret;

	for (i = 0; i < LONG_FILL_CMDS; i++)
		fills[i] = ncgpu_cmd_fill(handle, 0, LONG_FILL_BO_SIZE, FILL_VALUE + i);
	for (i = 0; i < 2; i++)
		if (pthread_create(&watch[i].thread, NULL, watch_cpu, &watch[i]))
			return -EAGAIN;
	start = ncgpu_now_ns();
	ret = ncgpu_submit_signalling(fd, fills, LONG_FILL_CMDS, &done);
	if (!ret)
		ret = ncgpu_syncobj_wait_for(fd, done, 60 * SEC);
	sample->job_ms = (ncgpu_now_ns() - start) / MSEC;
	sample->worst_ms = 0;
	for (i = 0; i < 2; i++) {
		watch[i].stop = true;
		pthread_join(watch[i].thread, NULL);
		if (!watch[i].measured && !ret)
			ret = -ENODATA;
		if (watch[i].worst_ns / MSEC > sample->worst_ms)
			sample->worst_ms = watch[i].worst_ns / MSEC;
	}
	if (done)
		__syncobj_destroy(fd, done);
	return ret;
}

#define YIELD_TRIES 3

/*
 * Copy and fill loops reach a scheduling point every MiB: a job that writes
 * 1.5 GiB through a write-combined mapping must not hold a CPU for seconds, as
 * it would without them on a kernel that preempts only voluntarily (Debian's
 * default, where the soft lockup detector would report it). A thread on each
 * CPU sees how long it waits for its CPU.
 *
 * Without the scheduling points, a thread waited for more than half a FILL's
 * time, every time; with them, a fifth at most, on a host so busy that it
 * kept taking the guest's CPUs away. The bound is a third of a FILL: a busy
 * host slows the FILLs as much as it delays the threads, so no fixed bound
 * would hold on it (and the FILLs of a later try, on populated pages, are
 * faster). Such a host can still delay one thread once for long, so the job
 * gets three tries; a job that holds its CPU fails them all.
 */
TEST_F_TIMEOUT(engine, long_fill_job_yields_the_cpu, 180)
{
	struct yield_sample sample;
	uint32_t handle;
	int try, ret;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	/* KASAN checks every byte: a job long enough to matter would time out. */
	if (!access("/proc/lockdep", F_OK))
		SKIP(return, "a debug kernel");
	ASSERT_EQ(0, __ncgpu_bo_create(self->fd, LONG_FILL_BO_SIZE, 0, &handle));
	for (try = 1; try <= YIELD_TRIES; try++) {
		ret = watched_long_fill(self->fd, handle, &sample);
		ASSERT_EQ(0, ret) TH_LOG("try %d: %s", try, strerror(-ret));
		printf("# try %d: a job of %d x 512 MiB FILLs ran %lld ms; a thread waited for its CPU at most %lld ms\n",
		       try, LONG_FILL_CMDS, (long long)sample.job_ms, (long long)sample.worst_ms);
		fflush(stdout);
		if (sample.worst_ms < sample.job_ms / (3 * LONG_FILL_CMDS))
			break;
	}
	__gem_close(self->fd, handle);
	EXPECT_GE(YIELD_TRIES, try)
		TH_LOG("in each of %d tries the job held a CPU for a third of a FILL's time or more",
		       YIELD_TRIES);
}

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_LIMITED CGROUP_ROOT "/ncgpu-limited"

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -errno;
	close(fd);
	return ret;
}

static bool has_memory_controller(void)
{
	char controllers[256] = "";
	int fd = open(CGROUP_ROOT "/cgroup.controllers", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, controllers, sizeof(controllers) - 1);

	if (fd >= 0)
		close(fd);
	return n > 0 && strstr(controllers, "memory");
}

/* A cgroup v2 with the memory controller and memory.max of 32 MiB. */
static int make_limited_cgroup(void)
{
	struct stat st;
	int ret;

	if (stat(CGROUP_ROOT "/cgroup.controllers", &st) &&
	    mount("none", CGROUP_ROOT, "cgroup2", 0, NULL))
		return -errno;
	if (!has_memory_controller())
		return -ENODEV;
	ret = write_text(CGROUP_ROOT "/cgroup.subtree_control", "+memory");
	if (ret)
		return ret;
	if (mkdir(CGROUP_LIMITED, 0755) && errno != EEXIST)
		return -errno;
	return write_text(CGROUP_LIMITED "/memory.max", "33554432");
}

/*
 * Joins the limited cgroup and queues jobs of max_cmds commands, each holding
 * about 450 KiB of kernel memory, behind one that waits for a fence only this
 * process signals, until SUBMIT fails. Exits 0 when that failure was
 * -ENOMEM.
 */
static void queue_until_out_of_memory(uint32_t max_cmds)
{
	struct drm_ncgpu_cmd *cmds = calloc(max_cmds, sizeof(*cmds));
	struct ncgpu_external_fence gate;
	uint32_t handle, i;
	int fd, ret = 0, jobs;

	if (!cmds || write_text(CGROUP_LIMITED "/cgroup.procs", "0"))
		_exit(2);
	fd = ncgpu_open();
	if (fd < 0 || __ncgpu_bo_create(fd, BO_SIZE, DRM_NCGPU_BO_NO_MMAP, &handle) ||
	    ncgpu_external_fence_create(fd, &gate))
		_exit(3);
	for (i = 0; i < max_cmds; i++)
		cmds[i] = ncgpu_cmd_fill(handle, 0, 64, i);
	ret = __ncgpu_submit(fd, cmds, 1, gate.syncobj, 0);
	/* 200 jobs would hold about 90 MiB; the file may queue 256. */
	for (jobs = 0; jobs < 200 && !ret; jobs++)
		ret = __ncgpu_submit(fd, cmds, max_cmds, 0, 0);
	ncgpu_external_fence_signal(&gate);
	_exit(ret == -ENOMEM ? 0 : 4);
}

TEST_F(engine, memory_limit_stops_a_submitter_in_its_cgroup_only)
{
	struct drm_ncgpu_cmd fill = ncgpu_cmd_fill(self->bo.handle, 0, BO_SIZE, FILL_VALUE);
	int status, ret;
	pid_t pid;

	if (!ncgpu_module_loaded("vgem"))
		SKIP(return, "vgem not loaded");
	ret = make_limited_cgroup();
	if (ret == -ENODEV || ret == -ENOENT)
		SKIP(return, "no cgroup v2 memory controller: %s", strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("cannot make the cgroup: %s", strerror(-ret));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		queue_until_out_of_memory(self->dev.info.max_cmds);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	printf("# the limited submitter %s %d\n", WIFSIGNALED(status) ?
	       "was killed by signal" : "exited with", WIFSIGNALED(status) ?
	       WTERMSIG(status) : WEXITSTATUS(status));
	fflush(stdout);
	/* ncgpu fails the SUBMIT at the limit rather than wake the cgroup's OOM killer. */
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("SUBMIT at the cgroup's limit did not fail with -ENOMEM (status %#x)",
		       status);

	/* Outside the cgroup, the device still works. */
	ASSERT_EQ(0, ncgpu_submit_wait(self->fd, &fill, 1));
	EXPECT_TRUE(bo_holds_fill(&self->bo, FILL_VALUE));
	rmdir(CGROUP_LIMITED);
}

TEST_HARNESS_MAIN
