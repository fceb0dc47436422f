// SPDX-License-Identifier: MIT
/*
 * Allocation failures in every ncgpu path a process can reach: creating,
 * mapping, syncing, submitting (with sync ops too), exporting and importing
 * (with vgem on the other side) must fail cleanly with -ENOMEM (-ENOSPC
 * where shmem says so), or succeed, and leave nothing behind: no leaked
 * reference (the run's rmmod), no leaked memory (the debug lane's kmemleak
 * scan), no kernel warning (the run's kernel log check).
 *
 * Needs a kernel with failslab and fail_page_alloc (the debug lane's);
 * elsewhere every test skips. Two ways of failing:
 *   fail_nth     each operation is repeated with its 1st, 2nd, 3rd, ...
 *                allocation failing (/proc/thread-self/fail-nth) until one
 *                run no longer reaches the failure: every allocation of the
 *                operation has failed once;
 *   fail_random  the whole chain in a loop, with a small probability of
 *                failing each allocation of this process (debugfs
 *                task-filter and /proc/self/make-it-fail).
 * Both attributes are set to fail sleeping, highmem and order-0 allocations
 * too, and not to log, as each failure would print a stack trace.
 */
#define _GNU_SOURCE
#include <stdbool.h>

#include "kselftest_harness.h"
#include "ncgpu_sync_test.h"
#include "ncgpu_test.h"

#define DEBUGFS "/sys/kernel/debug"
#define BO_SIZE (4 * 4096)
/* No operation here allocates nearly this often; more means a loop. */
#define MAX_FAILURE_POINTS 500u
#define RANDOM_ROUNDS 100
#define RANDOM_PERCENT "1"
#define WAIT_NS (10 * NCGPU_TEST_NSEC_PER_SEC)
/* A debug kernel under TCG is slow: well above the harness's 30 s. */
#define TEST_TIMEOUT_S 240

static const char *const fault_attrs[] = { "failslab", "fail_page_alloc" };

/* Everything one operation works on; 0 handles and -1 fds are absent. */
struct fault_ctx {
	int fd;
	int fd2;
	int card;
	uint32_t bo;
	uint32_t peer_bo;
	uint32_t syncobj;
	uint32_t timeline;
	uint32_t imported;
	int imported_fd;
	uint32_t vgem_bo;
	uint32_t vgem_imported;
	int dmabuf;
	int vgem_dmabuf;
	uint64_t mmap_offset;
	uint8_t *map;
};

static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int set_attr(const char *attr, const char *name, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), DEBUGFS "/%s/%s", attr, name);
	return write_file(path, value);
}

/* Whether the kernel has both fault attributes, in a mounted debugfs. */
static bool have_fault_injection(void)
{
	return !access(DEBUGFS "/failslab", F_OK) && !access(DEBUGFS "/fail_page_alloc", F_OK);
}

/*
 * Makes every allocation kind eligible and silent; @percent is the
 * probability for the tasks that ask for failures (task-filter), "0" for
 * fail-nth only.
 */
static int setup_fault_attrs(const char *percent)
{
	static const char *const settings[][2] = {
		{ "verbose", "0" }, { "task-filter", "Y" }, { "ignore-gfp-wait", "N" },
		{ "interval", "1" }, { "times", "-1" }, { "space", "0" },
	};
	size_t a, s;
	int ret = 0;

	for (a = 0; a < 2 && !ret; a++) {
		for (s = 0; s < sizeof(settings) / sizeof(settings[0]) && !ret; s++)
			ret = set_attr(fault_attrs[a], settings[s][0], settings[s][1]);
		if (!ret)
			ret = set_attr(fault_attrs[a], "probability", percent);
	}
	if (!ret)
		ret = set_attr("fail_page_alloc", "ignore-gfp-highmem", "N");
	if (!ret)
		ret = set_attr("fail_page_alloc", "min-order", "0");
	return ret;
}

static void reset_fault_attrs(void)
{
	size_t a;

	for (a = 0; a < 2; a++)
		set_attr(fault_attrs[a], "probability", "0");
}

static void ctx_init(struct fault_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->fd = ncgpu_open();
	ctx->fd2 = ncgpu_open();
	ctx->card = ncgpu_open_primary_driver("vgem");
	ctx->imported_fd = -1;
	ctx->dmabuf = -1;
	ctx->vgem_dmabuf = -1;
}

static void close_handle(int fd, uint32_t *handle)
{
	if (*handle)
		__gem_close(fd, *handle);
	*handle = 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Frees what the last operation and its preparation made, never failing. */
static void ctx_release(struct fault_ctx *ctx)
{
	if (ctx->map)
		munmap(ctx->map, BO_SIZE);
	ctx->map = NULL;
	if (ctx->syncobj) {
		ncgpu_syncobj_wait_for(ctx->fd, ctx->syncobj, WAIT_NS);
		__syncobj_destroy(ctx->fd, ctx->syncobj);
		ctx->syncobj = 0;
	}
	if (ctx->timeline) {
		__syncobj_destroy(ctx->fd, ctx->timeline);
		ctx->timeline = 0;
	}
	if (ctx->imported)
		close_handle(ctx->imported_fd, &ctx->imported);
	close_handle(ctx->card, &ctx->vgem_imported);
	close_handle(ctx->card, &ctx->vgem_bo);
	close_fd(&ctx->dmabuf);
	close_fd(&ctx->vgem_dmabuf);
	close_handle(ctx->fd, &ctx->bo);
	close_handle(ctx->fd, &ctx->peer_bo);
}

static void ctx_fini(struct fault_ctx *ctx)
{
	ctx_release(ctx);
	close_fd(&ctx->card);
	close_fd(&ctx->fd2);
	close_fd(&ctx->fd);
}

/*
 * The operations, each split into what it needs (made without failures) and
 * the call under test. They return 0 or -errno and record what they made in
 * the context for ctx_release().
 */
struct fault_op {
	bool needs_vgem;
	int (*prepare)(struct fault_ctx *ctx);
	int (*run)(struct fault_ctx *ctx);
};

static int prepare_nothing(struct fault_ctx *ctx)
{
	return 0;
}

/* Without a fake offset yet: making one is what BO_MMAP_OFFSET allocates for. */
static int prepare_unmapped_bo(struct fault_ctx *ctx)
{
	return __ncgpu_bo_create(ctx->fd, BO_SIZE, DRM_NCGPU_BO_WB_MMAP, &ctx->bo);
}

static int prepare_wb_bo(struct fault_ctx *ctx)
{
	int ret = __ncgpu_bo_create(ctx->fd, BO_SIZE, DRM_NCGPU_BO_WB_MMAP, &ctx->bo);

	return ret ? ret : __ncgpu_bo_mmap_offset(ctx->fd, ctx->bo, &ctx->mmap_offset);
}

static int prepare_wc_bo(struct fault_ctx *ctx)
{
	int ret = __ncgpu_bo_create(ctx->fd, BO_SIZE, 0, &ctx->bo);

	return ret ? ret : __ncgpu_bo_mmap_offset(ctx->fd, ctx->bo, &ctx->mmap_offset);
}

static int map_bo(struct fault_ctx *ctx)
{
	void *p = mmap(NULL, BO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ctx->fd,
		       ctx->mmap_offset);

	if (p == MAP_FAILED)
		return -errno;
	ctx->map = p;
	return 0;
}

/* A write-back BO whose every granule is dirty: a flush must copy them all. */
static int prepare_dirty_wb_bo(struct fault_ctx *ctx)
{
	int ret = prepare_wb_bo(ctx);

	if (!ret)
		ret = map_bo(ctx);
	if (!ret)
		memset(ctx->map, 0xa5, BO_SIZE);
	return ret;
}

static int prepare_two_bos(struct fault_ctx *ctx)
{
	int ret = prepare_wb_bo(ctx);

	if (!ret)
		ret = __ncgpu_bo_create(ctx->fd, BO_SIZE, 0, &ctx->peer_bo);
	if (!ret)
		ret = __syncobj_create(ctx->fd, &ctx->syncobj);
	return ret;
}

/* Two BOs, a binary syncobj and a timeline at point 1. */
static int prepare_sync_ops(struct fault_ctx *ctx)
{
	int ret = prepare_two_bos(ctx);

	if (!ret)
		ret = __syncobj_create(ctx->fd, &ctx->timeline);
	return ret ? ret : __syncobj_timeline_signal(ctx->fd, ctx->timeline, 1);
}

static int prepare_export(struct fault_ctx *ctx)
{
	int ret = prepare_wc_bo(ctx);

	return ret ? ret : __prime_handle_to_fd(ctx->fd, ctx->bo, &ctx->dmabuf);
}

static int prepare_vgem_export(struct fault_ctx *ctx)
{
	int ret = __dumb_create(ctx->card, BO_SIZE, &ctx->vgem_bo);

	return ret ? ret : __prime_handle_to_fd(ctx->card, ctx->vgem_bo, &ctx->vgem_dmabuf);
}

static int prepare_export_in_vgem(struct fault_ctx *ctx)
{
	int ret = prepare_export(ctx);

	return ret ? ret : __prime_fd_to_handle(ctx->card, ctx->dmabuf, &ctx->vgem_imported);
}

static int run_bo_create(struct fault_ctx *ctx)
{
	return __ncgpu_bo_create(ctx->fd, BO_SIZE, DRM_NCGPU_BO_WB_MMAP, &ctx->bo);
}

static int run_mmap_offset(struct fault_ctx *ctx)
{
	uint64_t offset;

	return __ncgpu_bo_mmap_offset(ctx->fd, ctx->bo, &offset);
}

static int run_sync(struct fault_ctx *ctx)
{
	const struct drm_ncgpu_bo_sync_op ops[] = {
		{ .handle = ctx->bo, .type = DRM_NCGPU_BO_SYNC_FLUSH, .size = BO_SIZE / 2 },
		{ .handle = ctx->bo, .type = DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE,
		  .offset = 100, .size = BO_SIZE - 100 },
	};

	return __ncgpu_bo_sync(ctx->fd, ops, 2);
}

static int run_submit(struct fault_ctx *ctx)
{
	const struct drm_ncgpu_cmd cmds[] = {
		ncgpu_cmd_fill(ctx->bo, 0, BO_SIZE, 0x0123456789abcdefull),
		ncgpu_cmd_copy(ctx->peer_bo, 0, ctx->bo, 0, BO_SIZE),
	};

	return __ncgpu_submit(ctx->fd, cmds, 2, 0, ctx->syncobj);
}

static int run_export(struct fault_ctx *ctx)
{
	return __prime_handle_to_fd(ctx->fd, ctx->bo, &ctx->dmabuf);
}

static int run_export_peer(struct fault_ctx *ctx)
{
	return __prime_handle_to_fd(ctx->fd, ctx->peer_bo, &ctx->dmabuf);
}

static int run_import_own(struct fault_ctx *ctx)
{
	ctx->imported_fd = ctx->fd2;
	return __prime_fd_to_handle(ctx->fd2, ctx->dmabuf, &ctx->imported);
}

static int run_import_vgem(struct fault_ctx *ctx)
{
	ctx->imported_fd = ctx->fd;
	return __prime_fd_to_handle(ctx->fd, ctx->vgem_dmabuf, &ctx->imported);
}

static int run_export_to_vgem(struct fault_ctx *ctx)
{
	return __prime_fd_to_handle(ctx->card, ctx->dmabuf, &ctx->vgem_imported);
}

static int run_dmabuf_sync(struct fault_ctx *ctx)
{
	int ret = __dmabuf_sync(ctx->dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);

	return ret ? ret : __dmabuf_sync(ctx->dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
}

/* shmem reports a failed inode allocation as -ENOSPC (__shmem_file_setup()). */
/*
 * A SUBMIT that waits for point 1 and signals points 2 and 3 and a binary
 * syncobj. When it fails, it must have changed no syncobj: -ENOTRECOVERABLE
 * says it did. Its allocations have all been made (or failed) by then, so
 * the query meets no armed failure.
 */
static int run_submit_sync_ops(struct fault_ctx *ctx)
{
	const struct drm_ncgpu_cmd cmds[] = {
		ncgpu_cmd_fill(ctx->bo, 0, BO_SIZE, 0x0123456789abcdefull),
		ncgpu_cmd_copy(ctx->peer_bo, 0, ctx->bo, 0, BO_SIZE),
	};
	const struct drm_ncgpu_sync_op ops[] = {
		ncgpu_wait_op(ctx->timeline, 1), ncgpu_signal_op(ctx->timeline, 2),
		ncgpu_signal_op(ctx->timeline, 3), ncgpu_signal_op(ctx->syncobj, 0),
	};
	int ret = ncgpu_submit_syncs(ctx->fd, cmds, 2, ops, 4);
	uint64_t point = 0;

	if (!ret)
		return __syncobj_timeline_wait(ctx->fd, ctx->timeline, 3, WAIT_NS);
	if (__syncobj_query(ctx->fd, ctx->timeline, &point) || point != 1 ||
	    ncgpu_syncobj_wait_for(ctx->fd, ctx->syncobj, 0) != -EINVAL)
		return -ENOTRECOVERABLE;
	return ret;
}

static bool allowed_error(int ret)
{
	return ret == 0 || ret == -ENOMEM || ret == -ENOSPC;
}

/*
 * Opens the devices of @ctx for a fixture, or skips the test: outside the
 * debug lane (no fault injection), without ncgpu, or without vgem when
 * @needs_vgem.
 */
static void ctx_setup(struct __test_metadata *_metadata, struct fault_ctx *ctx, bool needs_vgem)
{
	ctx_init(ctx);
	if (!have_fault_injection())
		NCGPU_SETUP_SKIP("no failslab/fail_page_alloc in debugfs (debug lane only)");
	if (ctx->fd < 0 && !ncgpu_module_loaded("ncgpu"))
		NCGPU_SETUP_SKIP("ncgpu module not loaded");
	if (needs_vgem && ctx->card < 0)
		NCGPU_SETUP_SKIP("vgem not loaded");
	ASSERT_LE(0, ctx->fd);
	ASSERT_LE(0, ctx->fd2);
}

FIXTURE(fail_nth) {
	struct fault_ctx ctx;
	int fail_nth;
};

FIXTURE_VARIANT(fail_nth) {
	struct fault_op op;
};

#define FAULT_OP(name, ...) \
	FIXTURE_VARIANT_ADD(fail_nth, name) { .op = { __VA_ARGS__ } }

FAULT_OP(bo_create, .prepare = prepare_nothing, .run = run_bo_create);
FAULT_OP(bo_mmap_offset, .prepare = prepare_unmapped_bo, .run = run_mmap_offset);
FAULT_OP(mmap_wb, .prepare = prepare_wb_bo, .run = map_bo);
FAULT_OP(mmap_wc, .prepare = prepare_wc_bo, .run = map_bo);
FAULT_OP(bo_sync, .prepare = prepare_dirty_wb_bo, .run = run_sync);
FAULT_OP(submit, .prepare = prepare_two_bos, .run = run_submit);
FAULT_OP(submit_sync_ops, .prepare = prepare_sync_ops, .run = run_submit_sync_ops);
FAULT_OP(prime_export, .prepare = prepare_wc_bo, .run = run_export);
FAULT_OP(prime_import_own, .prepare = prepare_export, .run = run_import_own);
FAULT_OP(prime_import_vgem, .needs_vgem = true, .prepare = prepare_vgem_export,
	 .run = run_import_vgem);
FAULT_OP(export_to_vgem, .needs_vgem = true, .prepare = prepare_export,
	 .run = run_export_to_vgem);
FAULT_OP(dmabuf_sync, .needs_vgem = true, .prepare = prepare_export_in_vgem,
	 .run = run_dmabuf_sync);

FIXTURE_SETUP(fail_nth)
{
	self->fail_nth = -1;
	ctx_setup(_metadata, &self->ctx, variant->op.needs_vgem);
	ASSERT_EQ(0, setup_fault_attrs("0"));
	self->fail_nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fail_nth);
}

FIXTURE_TEARDOWN(fail_nth)
{
	ctx_fini(&self->ctx);
	close_fd(&self->fail_nth);
	reset_fault_attrs();
}

static int arm_fail_nth(int fd, unsigned int nth)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", nth);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/* Disarms fail-nth; returns whether the armed failure happened. */
static bool disarm_fail_nth(int fd)
{
	char buf[16] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	arm_fail_nth(fd, 0);
	return n > 0 && atoi(buf) == 0;
}

TEST_F_TIMEOUT(fail_nth, every_allocation_failure_is_clean, TEST_TIMEOUT_S)
{
	const struct fault_op *op = &variant->op;
	unsigned int nth;
	bool failed;
	int ret;

	for (nth = 1; nth <= MAX_FAILURE_POINTS; nth++) {
		ret = op->prepare(&self->ctx);
		ASSERT_EQ(0, ret) TH_LOG("preparing: %s", strerror(-ret));
		ASSERT_EQ(0, arm_fail_nth(self->fail_nth, nth));
		ret = op->run(&self->ctx);
		failed = disarm_fail_nth(self->fail_nth);
		ctx_release(&self->ctx);
		if (!failed) {
			ASSERT_EQ(0, ret) TH_LOG("without a failure: %s", strerror(-ret));
			break;
		}
		EXPECT_TRUE(allowed_error(ret))
			TH_LOG("allocation %u failed: got %s, not ENOMEM or ENOSPC", nth, strerror(-ret));
	}
	ASSERT_GE(MAX_FAILURE_POINTS, nth) TH_LOG("still allocating after %u failures", nth);
	TH_LOG("%u allocations failed one by one", nth - 1);

	/* Nothing the failures left behind gets in the way. */
	ASSERT_EQ(0, op->prepare(&self->ctx));
	EXPECT_EQ(0, op->run(&self->ctx));
	ctx_release(&self->ctx);
}

FIXTURE(fail_random) {
	struct fault_ctx ctx;
	int make_it_fail;
};

FIXTURE_SETUP(fail_random)
{
	self->make_it_fail = -1;
	ctx_setup(_metadata, &self->ctx, true);
	self->make_it_fail = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, self->make_it_fail);
	ASSERT_EQ(0, setup_fault_attrs(RANDOM_PERCENT));
}

FIXTURE_TEARDOWN(fail_random)
{
	if (self->make_it_fail >= 0)
		pwrite(self->make_it_fail, "0", 1, 0);
	close_fd(&self->make_it_fail);
	ctx_fini(&self->ctx);
	reset_fault_attrs();
}

/* Runs one step with this process's allocations failing at random. */
static int failing(int make_it_fail, int (*step)(struct fault_ctx *), struct fault_ctx *ctx)
{
	int ret;

	if (make_it_fail >= 0 && pwrite(make_it_fail, "1", 1, 0) != 1)
		return -errno;
	ret = step(ctx);
	if (make_it_fail >= 0 && pwrite(make_it_fail, "0", 1, 0) != 1)
		return -errno;
	return ret;
}

static int run_wait(struct fault_ctx *ctx)
{
	return ncgpu_syncobj_wait_for(ctx->fd, ctx->syncobj, WAIT_NS);
}

/*
 * One round of the chain: create, map and dirty a write-back BO, flush it,
 * copy it to a write-combined BO (exportable, unlike the write-back one),
 * export that, import it into another file
 * and into vgem, sync it through the dma-buf, import a vgem BO. Stops at the
 * first error, which it returns; -1 for @make_it_fail runs it all without
 * failures.
 */
static int chain_round(struct fault_ctx *ctx, int make_it_fail)
{
	static int (*const steps[])(struct fault_ctx *) = {
		prepare_two_bos, map_bo, run_sync, run_submit, run_wait, run_export_peer,
		run_import_own, run_export_to_vgem, run_dmabuf_sync,
	};
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]) && !ret; i++) {
		ret = failing(make_it_fail, steps[i], ctx);
		/* Dirty lines for run_sync to write back. */
		if (!ret && steps[i] == map_bo)
			memset(ctx->map, 0x5a, BO_SIZE);
	}
	if (ret)
		return ret;
	/* The imported vgem BO takes the imported slot. */
	close_handle(ctx->imported_fd, &ctx->imported);
	ret = prepare_vgem_export(ctx);
	return ret ? ret : failing(make_it_fail, run_import_vgem, ctx);
}

TEST_F_TIMEOUT(fail_random, chain_in_a_loop, TEST_TIMEOUT_S)
{
	unsigned int round, completed = 0, failed = 0;
	int ret;

	/* Every step works at all before failures are mixed in. */
	ret = chain_round(&self->ctx, -1);
	ctx_release(&self->ctx);
	ASSERT_EQ(0, ret) TH_LOG("without failures: %s", strerror(-ret));

	for (round = 0; round < RANDOM_ROUNDS; round++) {
		ret = chain_round(&self->ctx, self->make_it_fail);
		ctx_release(&self->ctx);
		EXPECT_TRUE(allowed_error(ret))
			TH_LOG("round %u: got %s, not ENOMEM or ENOSPC", round, strerror(-ret));
		if (ret)
			failed++;
		else
			completed++;
	}
	TH_LOG("%u rounds completed, %u ended in a failed allocation", completed, failed);
	EXPECT_LT(0u, failed) TH_LOG("no allocation failed: fault injection is not working");

	ret = chain_round(&self->ctx, -1);
	ctx_release(&self->ctx);
	EXPECT_EQ(0, ret) TH_LOG("after the failures: %s", strerror(-ret));
}

/*
 * A job on many BOs with an allocation failing late in its SUBMIT, when all
 * its reservation objects are locked and most of them have a fence slot: the
 * job is all or nothing, so no BO may hold its fence and nothing runs. Each
 * BO is new, so its fence slot allocates its fence list: the job's last
 * allocations, one per BO, are those.
 *
 * The count of allocations varies by up to a hundred between submissions of
 * the same job: slab page refills count too, and how many freed objects the
 * caches can reuse depends on RCU and on KASAN's quarantine. The failure is
 * aimed well inside the last ones, LAST_BATCH_AIM allocations before the end.
 */
#define BATCHED_JOB_BOS 256
#define LAST_BATCH_AIM 128
#define BATCHED_FILL 0x1122334455667788ull
#define STALL_US 1000000
#define MAX_TRIES 16

FIXTURE(batched_job) {
	struct fault_ctx ctx;
	uint32_t handles[BATCHED_JOB_BOS];
	struct drm_ncgpu_cmd cmds[BATCHED_JOB_BOS];
	int fail_nth;
};

FIXTURE_SETUP(batched_job)
{
	self->fail_nth = -1;
	ctx_setup(_metadata, &self->ctx, false);
	ASSERT_EQ(0, setup_fault_attrs("0"));
	self->fail_nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fail_nth);
}

static void batched_job_release(FIXTURE_DATA(batched_job) *self)
{
	unsigned int i;

	ctx_release(&self->ctx);
	for (i = 0; i < BATCHED_JOB_BOS; i++)
		close_handle(self->ctx.fd, &self->handles[i]);
}

FIXTURE_TEARDOWN(batched_job)
{
	batched_job_release(self);
	ctx_fini(&self->ctx);
	close_fd(&self->fail_nth);
	reset_fault_attrs();
}

/* New BOs for one FILL each; the first is mapped (write-combined). */
static int batched_job_prepare(FIXTURE_DATA(batched_job) *self)
{
	unsigned int i;
	int ret = __syncobj_create(self->ctx.fd, &self->ctx.syncobj);

	for (i = 0; i < BATCHED_JOB_BOS && !ret; i++) {
		ret = __ncgpu_bo_create(self->ctx.fd, BO_SIZE, 0, &self->handles[i]);
		self->cmds[i] = ncgpu_cmd_fill(self->handles[i], 0, BO_SIZE, BATCHED_FILL);
	}
	self->ctx.map = ret ? NULL : __ncgpu_bo_map(self->ctx.fd, self->handles[0], BO_SIZE, &ret);
	return ret;
}

/* Submits the job with its @nth allocation failing; returns whether it failed. */
static bool batched_job_fails_at(FIXTURE_DATA(batched_job) *self, unsigned int nth, int *ret)
{
	*ret = batched_job_prepare(self);
	if (!*ret)
		*ret = arm_fail_nth(self->fail_nth, nth);
	if (*ret)
		return false;
	*ret = __ncgpu_submit(self->ctx.fd, self->cmds, BATCHED_JOB_BOS, 0, self->ctx.syncobj);
	return disarm_fail_nth(self->fail_nth);
}

TEST_F_TIMEOUT(batched_job, failing_late_in_submit_fences_no_bo, 2 * TEST_TIMEOUT_S)
{
	const struct drm_ncgpu_cmd stall[] = { ncgpu_cmd_stall(STALL_US), ncgpu_cmd_stall(STALL_US) };
	unsigned int lo = 1, hi = 4 * BATCHED_JOB_BOS, mid, nth, tries;
	uint32_t first = 0, last = BATCHED_JOB_BOS - 1;
	uint8_t first_byte;
	bool injected;
	int ret;

	/*
	 * The number of allocations: the largest nth that still fails. Under
	 * KASAN and kmemleak each object brings allocations of its own, so the
	 * bound is found by doubling.
	 */
	while (batched_job_fails_at(self, hi, &ret)) {
		batched_job_release(self);
		lo = hi;
		hi *= 2;
	}
	ASSERT_EQ(0, ret) TH_LOG("without a failure: %s", strerror(-ret));
	batched_job_release(self);
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (batched_job_fails_at(self, mid, &ret))
			lo = mid;
		else
			hi = mid;
		batched_job_release(self);
	}
	ASSERT_LT((unsigned int)BATCHED_JOB_BOS, lo);
	TH_LOG("the job allocates about %u times", lo);

	/*
	 * Two seconds of device work ahead keep the failed job's fence pending.
	 * A try whose job ran needs another aim. If the job allocated fewer
	 * times than before, nothing failed: aim lower. Some allocations have a
	 * fallback (kmemleak's metadata, KASAN's stack records): failing one
	 * fails nothing, and the next allocation is the job's again.
	 */
	nth = lo - LAST_BATCH_AIM;
	for (tries = 0; tries < MAX_TRIES; tries++) {
		ASSERT_EQ(0, __ncgpu_submit(self->ctx.fd, stall, 2, 0, 0));
		injected = batched_job_fails_at(self, nth, &ret);
		if (injected && ret)
			break;
		ASSERT_EQ(0, ret) TH_LOG("allocation %u: %s", nth, strerror(-ret));
		ASSERT_EQ(0, ncgpu_bo_wait_for(self->ctx.fd, self->handles[0], 3 * WAIT_NS));
		batched_job_release(self);
		nth -= injected ? 1 : LAST_BATCH_AIM / 2;
	}
	ASSERT_EQ(-ENOMEM, ret) TH_LOG("%u tries, down to allocation %u", MAX_TRIES, nth);
	TH_LOG("failed allocation %u (try %u)", nth, tries + 1);
	EXPECT_EQ(0, __ncgpu_bo_wait(self->ctx.fd, self->handles[first], 0))
		TH_LOG("the first BO holds the failed job's fence");
	EXPECT_EQ(0, __ncgpu_bo_wait(self->ctx.fd, self->handles[last], 0))
		TH_LOG("the last BO holds the failed job's fence");
	EXPECT_EQ(-EINVAL, ncgpu_syncobj_wait_for(self->ctx.fd, self->ctx.syncobj, 0))
		TH_LOG("the failed job's fence reached the out syncobj");
	/* The jobs ahead are done: a job queued by mistake would have run by now. */
	ASSERT_EQ(0, ncgpu_submit_wait(self->ctx.fd, stall, 1));
	first_byte = self->ctx.map[0];
	EXPECT_EQ(0, first_byte) TH_LOG("the failed job ran its commands");

	/* The same job on the same BOs runs once the allocation succeeds. */
	ASSERT_EQ(0, __ncgpu_submit(self->ctx.fd, self->cmds, BATCHED_JOB_BOS, 0,
				       self->ctx.syncobj));
	ASSERT_EQ(0, ncgpu_syncobj_wait_for(self->ctx.fd, self->ctx.syncobj, WAIT_NS));
	EXPECT_EQ(ncgpu_fill_byte(BATCHED_FILL, 0), self->ctx.map[0]);
}

TEST_HARNESS_MAIN
