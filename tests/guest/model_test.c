// SPDX-License-Identifier: MIT
/*
 * Seeded random operations on write-back and write-combined BOs, checked
 * against the reference model of ncgpu_model.h, in the manner of Vulkan CTS
 * dEQP-VK.memory.mapping.*.random: CPU reads, writes and xor-modifies through
 * the mappings, batched BO_SYNC ops over random, overlapping and reverse-order
 * ranges, device FILL/COPY/STALL jobs, and reads of the device view. Every CPU
 * read and every device-view read is compared with the model, then a final
 * full comparison of both views.
 *
 * Jobs may still run while the CPU works, as long as the CPU operation
 * commutes with them in the model: CPU-view accesses of write-back BOs (writes
 * only without evict_chaos, whose write-backs depend on the dirty state at
 * job completion), and anything on a BO no pending job uses.
 *
 * NCGPU_SEED=N replays a run; NCGPU_MODEL_OPS=N changes its length.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "ncgpu_model.h"
#include "ncgpu_test.h"

#define MAX_BO_PAGES 16
#define MAX_SYNC_OPS 10
#define MAX_JOB_CMDS 4
#define MAX_STALL_US 2000
#define BAD_HANDLE 0x7fffffffu
#define WAIT_NS (10 * NCGPU_TEST_NSEC_PER_SEC)

struct model_bo {
	struct ncgpu_mapped_bo bo;
	struct ncgpu_model_bo ref;
};

struct model_run {
	struct ncgpu_model_run model;
	int fd;
	size_t granule;
	size_t page;
	struct model_bo bos[NCGPU_MODEL_MAX_BOS];
	/* Write-combined BO into which the device view is copied to be read. */
	struct ncgpu_mapped_bo probe;
	/* Holds the fence of the last job; jobs complete in submission order. */
	uint32_t last_job;
};

FIXTURE(model) {
	struct ncgpu_test_device dev;
	struct model_run run;
};

FIXTURE_VARIANT(model) {
	unsigned int bos;
	unsigned int max_pages;
	unsigned int ops;
};

/* Sizes up to 16 pages: long ranges, many granules. */
FIXTURE_VARIANT_ADD(model, mixed_sizes) {
	.bos = 4, .max_pages = MAX_BO_PAGES, .ops = 2500,
};

/* One page each: ranges collide on the same granules much more often. */
FIXTURE_VARIANT_ADD(model, single_pages) {
	.bos = 4, .max_pages = 1, .ops = 2500,
};

/* Waits for every submitted job, through the last job's syncobj or BO_WAIT. */
static bool wait_idle(struct model_run *run)
{
	unsigned int i;
	int ret;

	if (!run->model.pending)
		return true;
	if (ncgpu_rand_percent(&run->model.rng, 50)) {
		ret = ncgpu_syncobj_wait_for(run->fd, run->last_job, WAIT_NS);
		if (ret)
			return ncgpu_model_fail(&run->model.log, "SYNCOBJ_WAIT: %s", strerror(-ret));
	} else {
		/* Every job uses a BO, so waiting for the busy BOs waits for every job. */
		for (i = 0; i < run->model.nbos; i++) {
			if (!run->bos[i].ref.busy)
				continue;
			ret = ncgpu_bo_wait_for(run->fd, run->bos[i].bo.handle, WAIT_NS);
			if (ret)
				return ncgpu_model_fail(&run->model.log, "BO_WAIT of bo %u: %s", i,
							strerror(-ret));
		}
	}
	ncgpu_model_jobs_completed(&run->model);
	return true;
}

/* wait_idle(), as ncgpu_model_cpu_access() calls it back. */
static bool wait_idle_of(void *run)
{
	return wait_idle(run);
}

/* A random range of a @size-byte BO, biased towards granule edges. */
static void pick_range(struct model_run *run, size_t size, size_t max_len, uint64_t *offset,
		       uint64_t *len)
{
	ncgpu_rand_range(&run->model.rng, run->granule, size, max_len, 0, offset, len);
}

static struct model_bo *pick_bo(struct model_run *run, unsigned int *index)
{
	*index = ncgpu_rand_below(&run->model.rng, run->model.nbos);
	return &run->bos[*index];
}

/*
 * 1-10 ops: independent ranges, one range cut in pieces synced in reverse
 * order, or ranges that overlap; sometimes with a failing op in the middle.
 */
static unsigned int make_sync_ops(struct model_run *run, struct drm_ncgpu_bo_sync_op *ops)
{
	unsigned int n = 1 + ncgpu_rand_below(&run->model.rng, MAX_SYNC_OPS);
	unsigned int pattern = ncgpu_rand_below(&run->model.rng, 3);
	uint64_t offset, len, piece;
	unsigned int i, bo;
	struct model_bo *b = pick_bo(run, &bo);

	pick_range(run, b->bo.size, b->bo.size, &offset, &len);
	piece = len / n + 1;
	for (i = 0; i < n; i++) {
		ops[i].type = ncgpu_rand_below(&run->model.rng, 2);
		ops[i].handle = b->bo.handle;
		if (pattern == 1) {
			ops[i].offset = offset + (n - 1 - i) * piece;
			if (ops[i].offset > offset + len)
				ops[i].offset = offset + len;
			ops[i].size = piece < offset + len - ops[i].offset ?
				      piece : offset + len - ops[i].offset;
		} else if (pattern == 2) {
			ops[i].offset = offset;
			ops[i].size = ncgpu_rand_below(&run->model.rng, len + 1);
		} else {
			b = pick_bo(run, &bo);
			ops[i].handle = b->bo.handle;
			pick_range(run, b->bo.size, 4 * run->granule, &offset, &len);
			ops[i].offset = offset;
			ops[i].size = len;
		}
	}
	return n;
}

static struct model_bo *bo_of_handle(struct model_run *run, uint32_t handle)
{
	unsigned int i;

	for (i = 0; i < run->model.nbos; i++)
		if (run->bos[i].bo.handle == handle)
			return &run->bos[i];
	return NULL;
}

/* Replaces op @k with one that fails its checks; returns the errno it must give. */
static int spoil_op(struct model_run *run, struct drm_ncgpu_bo_sync_op *op)
{
	struct model_bo *b = bo_of_handle(run, op->handle);

	switch (ncgpu_rand_below(&run->model.rng, 3)) {
	case 0:
		op->handle = BAD_HANDLE;
		return -ENOENT;
	case 1:
		op->offset = b->bo.size - ncgpu_rand_below(&run->model.rng, 2);
		op->size = 2;
		return -EINVAL;
	default:
		op->type = 2 + ncgpu_rand_below(&run->model.rng, 100);
		return -EINVAL;
	}
}

static bool bo_sync_batch(struct model_run *run)
{
	struct drm_ncgpu_bo_sync_op ops[MAX_SYNC_OPS];
	unsigned int i, n = make_sync_ops(run, ops), bad = n;
	int expected = 0, ret;
	bool racing = false;

	if (ncgpu_rand_percent(&run->model.rng, 10)) {
		bad = ncgpu_rand_below(&run->model.rng, n);
		expected = spoil_op(run, &ops[bad]);
	}
	ncgpu_model_note(&run->model.log,
			 "bo_sync %u ops, op0 h%u t%u [%" PRIu64 ", +%" PRIu64 "), failing op %d", n,
	     ops[0].handle, ops[0].type, (uint64_t)ops[0].offset, (uint64_t)ops[0].size,
	     bad < n ? (int)bad : -1);
	for (i = 0; i < n; i++) {
		struct model_bo *b = bo_of_handle(run, ops[i].handle);

		racing |= b && b->ref.split && b->ref.busy;
	}
	if (racing && !wait_idle(run))
		return false;
	ret = __ncgpu_bo_sync(run->fd, ops, n);
	if (ret != expected)
		return ncgpu_model_fail(&run->model.log, "BO_SYNC gave %d, expected %d", ret, expected);
	for (i = 0; i < bad; i++)
		ncgpu_model_sync(&bo_of_handle(run, ops[i].handle)->ref, ops[i].type,
				 ops[i].offset, ops[i].size);
	return true;
}

/* A FILL or COPY of a random range; a COPY within one BO never overlaps. */
static struct drm_ncgpu_cmd make_data_cmd(struct model_run *run)
{
	unsigned int di, si;
	struct model_bo *dst = pick_bo(run, &di), *src = pick_bo(run, &si);
	uint64_t doff, soff, len, max = dst->bo.size < src->bo.size ? dst->bo.size :
					   src->bo.size;

	pick_range(run, dst->bo.size, 4096, &doff, &len);
	if (ncgpu_rand_percent(&run->model.rng, 40))
		return ncgpu_cmd_fill(dst->bo.handle, doff, len, ncgpu_rand_next(&run->model.rng));
	len = len < max ? len : max;
	doff = ncgpu_rand_below(&run->model.rng, dst->bo.size - len + 1);
	soff = ncgpu_rand_below(&run->model.rng, src->bo.size - len + 1);
	if (dst == src && ncgpu_model_ranges_overlap(doff, soff, len)) {
		len = ncgpu_rand_below(&run->model.rng, dst->bo.size / 2 + 1);
		soff = ncgpu_rand_below(&run->model.rng, dst->bo.size / 2 - len + 1);
		doff = dst->bo.size / 2 + ncgpu_rand_below(&run->model.rng, dst->bo.size / 2 - len + 1);
	}
	return ncgpu_cmd_copy(dst->bo.handle, doff, src->bo.handle, soff, len);
}

static void model_cmd(struct model_run *run, const struct drm_ncgpu_cmd *cmd)
{
	struct model_bo *dst = bo_of_handle(run, cmd->dst_handle);

	if (cmd->op == DRM_NCGPU_CMD_FILL) {
		ncgpu_model_dev_fill(&dst->ref, cmd->dst_offset, cmd->size, cmd->value);
	} else if (cmd->op == DRM_NCGPU_CMD_COPY) {
		struct model_bo *src = bo_of_handle(run, cmd->src_handle);

		ncgpu_model_dev_copy(&dst->ref, cmd->dst_offset, &src->ref, cmd->src_offset,
				     cmd->size);
	}
}

static bool submit(struct model_run *run, const struct drm_ncgpu_cmd *cmds, unsigned int n)
{
	int ret = __ncgpu_submit(run->fd, cmds, n, 0, run->last_job);

	if (ret)
		return ncgpu_model_fail(&run->model.log, "SUBMIT: %s", strerror(-ret));
	run->model.pending = true;
	return true;
}

static bool device_job(struct model_run *run)
{
	struct drm_ncgpu_cmd cmds[MAX_JOB_CMDS];
	unsigned int i, n = 1 + ncgpu_rand_below(&run->model.rng, MAX_JOB_CMDS);

	/* The first command writes or reads bytes, so BO_WAIT on busy BOs covers the job. */
	do
		cmds[0] = make_data_cmd(run);
	while (!cmds[0].size);
	for (i = 1; i < n; i++)
		cmds[i] = ncgpu_rand_percent(&run->model.rng, 15) ?
			  ncgpu_cmd_stall(ncgpu_rand_below(&run->model.rng, MAX_STALL_US)) :
			  make_data_cmd(run);
	ncgpu_model_note(&run->model.log,
			 "job of %u cmds, cmd0 op%u d%u+%" PRIu64 " s%u+%" PRIu64 " n%" PRIu64, n,
	     cmds[0].op, cmds[0].dst_handle, (uint64_t)cmds[0].dst_offset, cmds[0].src_handle,
	     (uint64_t)cmds[0].src_offset, (uint64_t)cmds[0].size);
	if (!submit(run, cmds, n))
		return false;
	for (i = 0; i < n; i++)
		model_cmd(run, &cmds[i]);
	ncgpu_model_job_completion(&run->model);
	return ncgpu_rand_percent(&run->model.rng, 30) ? wait_idle(run) : true;
}

/* Copies a range of BO @i's device view into the probe and compares it. */
static bool check_device_view(struct model_run *run, unsigned int i, uint64_t offset,
			      uint64_t len)
{
	struct model_bo *b = &run->bos[i];
	struct drm_ncgpu_cmd copy = ncgpu_cmd_copy(run->probe.handle, 0, b->bo.handle, offset,
						   len);
	uint8_t *expected;
	bool ok;

	ncgpu_model_note(&run->model.log, "device view of bo %u [%" PRIu64 ", +%" PRIu64 ")", i, offset,
			 len);
	/* An empty COPY need not fence the BO, and BO_WAIT may be how we wait. */
	if (!len)
		return true;
	expected = malloc(len);
	if (!expected)
		return ncgpu_model_fail(&run->model.log, "out of memory");
	memcpy(expected, b->ref.dev + offset, len);
	ok = submit(run, &copy, 1);
	if (ok) {
		b->ref.busy = true;
		ncgpu_model_job_completion(&run->model);
		ok = wait_idle(run) &&
		     ncgpu_model_compare(&run->model.log, "device view", i, &run->bos[i].ref, offset,
					 run->probe.map, expected, len);
	}
	free(expected);
	return ok;
}

static bool random_device_view_check(struct model_run *run)
{
	uint64_t offset, len;
	unsigned int i;
	struct model_bo *b = pick_bo(run, &i);

	pick_range(run, b->bo.size, b->bo.size, &offset, &len);
	return check_device_view(run, i, offset, len);
}

static bool random_op(void *arg)
{
	struct model_run *run = arg;
	unsigned int r = ncgpu_rand_below(&run->model.rng, 100);

	if (r < 35)
		return ncgpu_model_cpu_access(&run->model, wait_idle_of, run);
	if (r < 60)
		return bo_sync_batch(run);
	if (r < 85)
		return device_job(run);
	if (r < 95)
		return random_device_view_check(run);
	ncgpu_model_note(&run->model.log, "wait for idle");
	return wait_idle(run);
}

/* Waits for every job; then device views first, then every CPU view after an invalidate. */
static bool final_check(void *arg)
{
	struct model_run *run = arg;
	unsigned int i;
	int ret;

	if (!wait_idle(run))
		return false;
	for (i = 0; i < run->model.nbos; i++)
		if (!check_device_view(run, i, 0, run->bos[i].bo.size))
			return false;
	for (i = 0; i < run->model.nbos; i++) {
		struct model_bo *b = &run->bos[i];

		ncgpu_model_note(&run->model.log, "final flush-and-invalidate and read of bo %u", i);
		ret = __ncgpu_bo_sync_range(run->fd, b->bo.handle, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE, 0,
				 b->bo.size);
		if (ret)
			return ncgpu_model_fail(&run->model.log, "final BO_SYNC of bo %u: %s", i,
						strerror(-ret));
		ncgpu_model_sync(&b->ref, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE, 0, b->bo.size);
		if (!ncgpu_model_compare(&run->model.log, "final cpu read", i, &run->bos[i].ref, 0,
					 b->bo.map, b->ref.cpu, b->bo.size))
			return false;
	}
	return true;
}

static int create_bos(struct model_run *run, const FIXTURE_VARIANT(model) *variant,
		      bool split_views)
{
	unsigned int i;
	int ret;

	for (i = 0; i < variant->bos; i++) {
		struct model_bo *b = &run->bos[i];
		size_t size = (1 + ncgpu_rand_below(&run->model.rng, variant->max_pages)) * run->page;
		bool wb = !(i % 2);

		ret = ncgpu_mapped_bo_create(run->fd, size, wb ? DRM_NCGPU_BO_WB_MMAP : 0, &b->bo);
		if (!ret)
			ret = ncgpu_model_bo_init(&b->ref, size, run->granule, wb && split_views);
		if (ret)
			return ret;
		ncgpu_model_add_bo(&run->model, &b->ref, b->bo.map);
	}
	ret = ncgpu_mapped_bo_create(run->fd, variant->max_pages * run->page, 0, &run->probe);
	return ret ? ret : __syncobj_create(run->fd, &run->last_job);
}

FIXTURE_SETUP(model)
{
	struct model_run *run = &self->run;
	bool split_views;

	ncgpu_test_device_setup(_metadata, &self->dev);
	run->fd = self->dev.fd;
	run->model.evict_chaos = ncgpu_evict_chaos();
	ASSERT_LE(0, run->model.evict_chaos);
	if (run->model.evict_chaos && run->model.evict_chaos != NCGPU_MODEL_CHAOS_ALWAYS)
		NCGPU_SETUP_SKIP("evict_chaos=%d write-backs are unpredictable", run->model.evict_chaos);
	run->granule = self->dev.info.sync_granule;
	run->page = sysconf(_SC_PAGESIZE);
	run->model.log.seed = ncgpu_test_seed();
	run->model.rng = run->model.log.seed;
	split_views = self->dev.info.coherency == DRM_NCGPU_COHERENCY_NONE;
	ASSERT_EQ(0, create_bos(run, variant, split_views)) TH_LOG("seed: %" PRIu64, run->model.log.seed);
}

FIXTURE_TEARDOWN(model)
{
	close(self->dev.fd);
}

TEST_F_TIMEOUT(model, random_ops_match_reference, 240)
{
	struct model_run *run = &self->run;

	ASSERT_TRUE(ncgpu_model_run_ops(&run->model.log, variant->ops, random_op, final_check, run))
		TH_LOG("seed %" PRIu64 ": %s", run->model.log.seed, run->model.log.error);
}

TEST_HARNESS_MAIN
