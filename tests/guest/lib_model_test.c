// SPDX-License-Identifier: MIT
/*
 * The randomized model test of model_test.c, through libncgpu instead of raw
 * ioctls: seeded random CPU reads, writes and xor-modifies through the
 * mappings, ncgpu_flush_ranges() and ncgpu_invalidate_ranges() over random,
 * overlapping, empty and NCGPU_WHOLE_SIZE ranges (sometimes with an invalid
 * one), ncgpu_flush_pending(), jobs of copies, fills and stalls (sometimes
 * empty, sometimes submitted twice), and reads of the device view. Each is
 * checked against the reference model of ncgpu_model.h.
 *
 * The model mirrors what the library promises: ranges are widened to the
 * atom and clipped to the BO; write-combined BOs and IO-coherent devices are
 * skipped; flushes wait in a queue that is sent in order right before the
 * next submit, before an invalidate, on ncgpu_flush_pending(), or when it
 * holds max_sync_ops operations. So a flush acts on the CPU view as it is
 * when the queue is sent, not when the flush was asked for.
 *
 * NCGPU_SEED=N replays a run; NCGPU_MODEL_OPS=N changes its length.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ncgpu.h"
#include "ncgpu_model.h"
#include "ncgpu_test.h"

#define MAX_BO_PAGES 16
#define MAX_RANGES 10
#define MAX_JOB_CMDS 4
#define MAX_STALL_US 2000
#define WAIT_NS (10ll * 1000000000ll)

struct lib_bo {
	struct ncgpu_bo *bo;
	uint8_t *map;
	uint64_t size;
	struct ncgpu_model_bo ref;
};

/* A sync operation the library has queued or is about to send. */
struct model_op {
	unsigned int bo;
	uint32_t type;
	uint64_t offset;
	uint64_t size;
};

/* A job command, kept to replay it on the model. */
struct model_cmd {
	uint32_t op;
	unsigned int dst, src;
	uint64_t dst_offset, src_offset, size, value;
};

struct lib_run {
	struct ncgpu_model_run model;
	struct ncgpu_device *dev;
	struct ncgpu_device_info info;
	uint64_t atom;
	size_t page;
	struct lib_bo bos[NCGPU_MODEL_MAX_BOS];
	/* Write-combined BO into which the device view is copied to be read. */
	struct ncgpu_bo *probe;
	uint8_t *probe_map;
	/* Holds the fence of the last job; jobs complete in submission order. */
	uint32_t last_job;
	/* The last job touched no BO, so only its syncobj tells when it is done. */
	bool last_job_empty;
	/* The library's flush queue as the model predicts it; max_sync_ops long. */
	struct model_op *queue;
	uint32_t queued;
};

FIXTURE(lib_model) {
	struct lib_run run;
};

FIXTURE_VARIANT(lib_model) {
	unsigned int bos;
	unsigned int max_pages;
	unsigned int ops;
};

/* Sizes up to 16 pages: long ranges, many granules. */
FIXTURE_VARIANT_ADD(lib_model, mixed_sizes) {
	.bos = 4, .max_pages = MAX_BO_PAGES, .ops = 2500,
};

/* One page each: ranges collide on the same granules much more often. */
FIXTURE_VARIANT_ADD(lib_model, single_pages) {
	.bos = 4, .max_pages = 1, .ops = 2500,
};

static bool call_failed(struct lib_run *run, const char *what, int ret)
{
	return ncgpu_model_fail(&run->model.log, "%s: %s (%d)", what, ncgpu_strerror(ret), ret);
}

/* Waits for every submitted job, through the last job's syncobj or the busy BOs. */
static bool wait_idle(struct lib_run *run)
{
	unsigned int i;
	int ret;

	if (!run->model.pending)
		return true;
	if (run->last_job_empty || ncgpu_rand_percent(&run->model.rng, 50)) {
		ret = ncgpu_syncobj_wait(run->dev, run->last_job, WAIT_NS);
		if (ret)
			return call_failed(run, "ncgpu_syncobj_wait", ret);
	} else {
		/* Jobs complete in order, and the last one uses a busy BO. */
		for (i = 0; i < run->model.nbos; i++) {
			if (!run->bos[i].ref.busy)
				continue;
			ret = ncgpu_bo_wait(run->bos[i].bo, WAIT_NS);
			if (ret)
				return call_failed(run, "ncgpu_bo_wait", ret);
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

/* The library's widening: whole atoms, clipped to the BO; empty stays empty. */
static void widen(const struct lib_run *run, uint64_t bo_size, uint64_t offset, uint64_t size,
		  uint64_t *wide_offset, uint64_t *wide_size)
{
	uint64_t end = size == NCGPU_WHOLE_SIZE ? bo_size : offset + size;

	*wide_offset = offset;
	*wide_size = 0;
	if (offset == end)
		return;
	*wide_offset = offset - offset % run->atom;
	end = (end + run->atom - 1) / run->atom * run->atom;
	*wide_size = (end < bo_size ? end : bo_size) - *wide_offset;
}

static void apply_queue(struct lib_run *run)
{
	uint32_t i;

	for (i = 0; i < run->queued; i++) {
		const struct model_op *op = &run->queue[i];

		ncgpu_model_sync(&run->bos[op->bo].ref, op->type, op->offset, op->size);
	}
	run->queued = 0;
}

/* Queues what the library queues for one valid range; sends when it would. */
static void model_range(struct lib_run *run, unsigned int bo, const struct ncgpu_range *range,
			uint32_t type)
{
	struct model_op *op = &run->queue[run->queued];

	if (!run->bos[bo].ref.split)
		return;
	widen(run, run->bos[bo].size, range->offset, range->size, &op->offset, &op->size);
	if (!op->size)
		return;
	op->bo = bo;
	op->type = type;
	if (++run->queued >= run->info.max_sync_ops)
		apply_queue(run);
}

/*
 * A send must not race with jobs on the BOs it maintains: the model applies
 * a job when it is submitted, so the device view must not change under a
 * sync. Waits when a queued op or one of @bos (-1 terminated) is busy.
 */
static bool settle_before_send(struct lib_run *run, const int *bos)
{
	bool racing = false;
	uint32_t i;

	for (i = 0; i < run->queued; i++)
		racing |= run->bos[run->queue[i].bo].ref.busy;
	for (; bos && *bos >= 0; bos++)
		racing |= run->bos[*bos].ref.busy && run->bos[*bos].ref.split;
	return !racing || wait_idle(run);
}

static unsigned int pick_bo(struct lib_run *run)
{
	return ncgpu_rand_below(&run->model.rng, run->model.nbos);
}

/* A random range of a @size-byte BO, biased towards atom edges. */
static void pick_range(struct lib_run *run, uint64_t size, uint64_t max_len, uint64_t *offset,
		       uint64_t *len)
{
	ncgpu_rand_range(&run->model.rng, run->atom, size, max_len, NCGPU_WHOLE_SIZE, offset, len);
}

/* Makes a range invalid in one of the ways the library must refuse. */
static void spoil_range(struct lib_run *run, struct ncgpu_range *range)
{
	uint64_t size = ncgpu_bo_size(range->bo);

	switch (ncgpu_rand_below(&run->model.rng, 3)) {
	case 0:
		range->offset = size + 1 + ncgpu_rand_below(&run->model.rng, run->atom);
		range->size = ncgpu_rand_below(&run->model.rng, 2) ? NCGPU_WHOLE_SIZE : 0;
		break;
	case 1:
		range->offset = ncgpu_rand_below(&run->model.rng, size);
		range->size = size - range->offset + 1 + ncgpu_rand_below(&run->model.rng, run->atom);
		break;
	default:
		range->bo = NULL;
		break;
	}
}

/*
 * 1-10 ranges over random BOs, or one range cut in pieces listed in reverse
 * order; @bos gets their BO indexes, -1 terminated. Returns the count.
 */
static uint32_t make_ranges(struct lib_run *run, struct ncgpu_range *ranges, int *bos)
{
	uint32_t i, n = 1 + ncgpu_rand_below(&run->model.rng, MAX_RANGES);
	bool pieces = ncgpu_rand_percent(&run->model.rng, 30);
	unsigned int b = pick_bo(run);
	uint64_t offset, len, piece;

	pick_range(run, run->bos[b].size, run->bos[b].size, &offset, &len);
	if (len == NCGPU_WHOLE_SIZE)
		len = run->bos[b].size - offset;
	piece = len / n + 1;
	for (i = 0; i < n; i++) {
		if (pieces) {
			ranges[i].offset = offset + (n - 1 - i) * piece;
			if (ranges[i].offset > offset + len)
				ranges[i].offset = offset + len;
			ranges[i].size = piece < offset + len - ranges[i].offset ?
					 piece : offset + len - ranges[i].offset;
		} else {
			b = pick_bo(run);
			pick_range(run, run->bos[b].size, 4 * run->atom, &ranges[i].offset,
				   &ranges[i].size);
		}
		ranges[i].bo = run->bos[b].bo;
		bos[i] = b;
	}
	bos[n] = -1;
	return n;
}

static bool sync_ranges(struct lib_run *run, uint32_t type)
{
	struct ncgpu_range ranges[MAX_RANGES];
	int bos[MAX_RANGES + 1], expected = 0, ret;
	uint32_t i, n = make_ranges(run, ranges, bos), bad = n;
	bool invalidate = type == DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE;
	bool sends = invalidate || run->queued + n >= run->info.max_sync_ops;

	if (ncgpu_rand_percent(&run->model.rng, 10)) {
		bad = ncgpu_rand_below(&run->model.rng, n);
		spoil_range(run, &ranges[bad]);
		expected = -EINVAL;
		sends = false;
	}
	ncgpu_model_note(&run->model.log,
			 "%s %u ranges, r0 bo %d [%" PRIu64 ", +%" PRIu64 "), %u queued, bad %d",
	     invalidate ? "invalidate" : "flush", n, bos[0], ranges[0].offset, ranges[0].size,
	     run->queued, bad < n ? (int)bad : -1);
	if (sends && !settle_before_send(run, bos))
		return false;
	ret = invalidate ? ncgpu_invalidate_ranges(run->dev, ranges, n) :
			   ncgpu_flush_ranges(run->dev, ranges, n);
	if (ret != expected)
		return ncgpu_model_fail(&run->model.log, "%s gave %d, expected %d",
			    invalidate ? "ncgpu_invalidate_ranges" : "ncgpu_flush_ranges", ret,
			    expected);
	if (expected)
		return true;
	for (i = 0; i < n; i++)
		model_range(run, bos[i], &ranges[i], type);
	if (invalidate)
		apply_queue(run);
	return true;
}

static bool flush_pending(struct lib_run *run)
{
	int ret;

	ncgpu_model_note(&run->model.log, "flush pending (%u queued)", run->queued);
	if (!settle_before_send(run, NULL))
		return false;
	ret = ncgpu_flush_pending(run->dev);
	if (ret)
		return call_failed(run, "ncgpu_flush_pending", ret);
	apply_queue(run);
	return true;
}

/* A FILL or COPY of a random range; a COPY within one BO never overlaps. */
static struct model_cmd make_data_cmd(struct lib_run *run)
{
	struct model_cmd c = { .dst = pick_bo(run), .src = pick_bo(run) };
	uint64_t dsize = run->bos[c.dst].size, ssize = run->bos[c.src].size;
	uint64_t max = dsize < ssize ? dsize : ssize;

	pick_range(run, dsize, 4096, &c.dst_offset, &c.size);
	if (c.size == NCGPU_WHOLE_SIZE)
		c.size = dsize - c.dst_offset;
	if (ncgpu_rand_percent(&run->model.rng, 40)) {
		c.op = DRM_NCGPU_CMD_FILL;
		c.value = ncgpu_rand_next(&run->model.rng);
		return c;
	}
	c.op = DRM_NCGPU_CMD_COPY;
	c.size = c.size < max ? c.size : max;
	c.dst_offset = ncgpu_rand_below(&run->model.rng, dsize - c.size + 1);
	c.src_offset = ncgpu_rand_below(&run->model.rng, ssize - c.size + 1);
	if (c.dst == c.src && ncgpu_model_ranges_overlap(c.dst_offset, c.src_offset, c.size)) {
		c.size = ncgpu_rand_below(&run->model.rng, dsize / 2 + 1);
		c.src_offset = ncgpu_rand_below(&run->model.rng, dsize / 2 - c.size + 1);
		c.dst_offset = dsize / 2 + ncgpu_rand_below(&run->model.rng, dsize / 2 - c.size + 1);
	}
	return c;
}

static int add_cmd(struct lib_run *run, struct ncgpu_job *job, const struct model_cmd *c)
{
	struct lib_bo *dst = &run->bos[c->dst], *src = &run->bos[c->src];

	switch (c->op) {
	case DRM_NCGPU_CMD_FILL:
		return ncgpu_job_fill(job, dst->bo, c->dst_offset, c->size, c->value);
	case DRM_NCGPU_CMD_COPY:
		return ncgpu_job_copy(job, dst->bo, c->dst_offset, src->bo, c->src_offset, c->size);
	default:
		return ncgpu_job_stall(job, c->value);
	}
}

static void model_cmd(struct lib_run *run, const struct model_cmd *c)
{
	struct lib_bo *dst = &run->bos[c->dst], *src = &run->bos[c->src];

	if (c->op == DRM_NCGPU_CMD_FILL) {
		ncgpu_model_dev_fill(&dst->ref, c->dst_offset, c->size, c->value);
	} else if (c->op == DRM_NCGPU_CMD_COPY) {
		ncgpu_model_dev_copy(&dst->ref, c->dst_offset, &src->ref, c->src_offset, c->size);
	}
}

/*
 * Submits @job (NULL: empty), which sends the queued flushes first. The
 * caller models the job's commands, then ncgpu_model_job_completion().
 */
static bool submit(struct lib_run *run, const struct ncgpu_job *job, bool moves_bytes)
{
	int ret;

	if (!settle_before_send(run, NULL))
		return false;
	ret = ncgpu_submit(run->dev, job, 0, run->last_job);
	if (ret)
		return call_failed(run, "ncgpu_submit", ret);
	apply_queue(run);
	run->model.pending = true;
	run->last_job_empty = !moves_bytes;
	return true;
}

static bool submit_modelled(struct lib_run *run, const struct ncgpu_job *job,
			    const struct model_cmd *cmds, unsigned int n)
{
	unsigned int i;

	if (!submit(run, job, n))
		return false;
	for (i = 0; i < n; i++)
		model_cmd(run, &cmds[i]);
	ncgpu_model_job_completion(&run->model);
	return true;
}

static struct model_cmd make_cmd(struct lib_run *run, bool first)
{
	struct model_cmd c;

	/* The first command moves bytes, so waiting for busy BOs covers the job. */
	if (!first && ncgpu_rand_percent(&run->model.rng, 15)) {
		c = (struct model_cmd){ .op = DRM_NCGPU_CMD_STALL };
		c.value = ncgpu_rand_below(&run->model.rng, MAX_STALL_US);
		return c;
	}
	do
		c = make_data_cmd(run);
	while (!c.size);
	return c;
}

static bool device_job(struct lib_run *run)
{
	struct model_cmd cmds[MAX_JOB_CMDS] = { 0 };
	unsigned int i, n = ncgpu_rand_percent(&run->model.rng, 5) ? 0 :
			    1 + ncgpu_rand_below(&run->model.rng, MAX_JOB_CMDS);
	struct ncgpu_job job;
	bool ok = true;
	int ret = 0;

	ncgpu_job_init(&job);
	for (i = 0; i < n && !ret; i++) {
		cmds[i] = make_cmd(run, i == 0);
		ret = add_cmd(run, &job, &cmds[i]);
	}
	ncgpu_model_note(&run->model.log,
			 "job of %u cmds, cmd0 op%u d%u+%" PRIu64 " s%u+%" PRIu64 " n%" PRIu64
	     ", %u flushes queued", n, cmds[0].op, cmds[0].dst, cmds[0].dst_offset, cmds[0].src,
	     cmds[0].src_offset, cmds[0].size, run->queued);
	if (ret)
		ok = call_failed(run, "building the job", ret);
	if (ok)
		ok = submit_modelled(run, n ? &job : NULL, cmds, n);
	/* A job stays the caller's and may run again. */
	if (ok && n && ncgpu_rand_percent(&run->model.rng, 10))
		ok = submit_modelled(run, &job, cmds, n);
	ncgpu_job_fini(&job);
	return ok && (ncgpu_rand_percent(&run->model.rng, 30) ? wait_idle(run) : true);
}

/* Copies a range of BO @i's device view into the probe and compares it. */
static bool check_device_view(struct lib_run *run, unsigned int i, uint64_t offset,
			      uint64_t len)
{
	struct ncgpu_job job;
	uint8_t *expected;
	bool ok;
	int ret;

	ncgpu_model_note(&run->model.log, "device view of bo %u [%" PRIu64 ", +%" PRIu64 ")", i, offset,
			 len);
	/* An empty COPY need not fence the BO, and a BO wait may be how we wait. */
	if (!len)
		return true;
	ncgpu_job_init(&job);
	ret = ncgpu_job_copy(&job, run->probe, 0, run->bos[i].bo, offset, len);
	expected = malloc(len);
	ok = ret ? call_failed(run, "ncgpu_job_copy", ret) :
		   expected ? true : ncgpu_model_fail(&run->model.log, "out of memory");
	if (ok)
		ok = submit(run, &job, true);
	if (ok) {
		/* What the copy reads: after the queued flushes, before any eviction. */
		memcpy(expected, run->bos[i].ref.dev + offset, len);
		run->bos[i].ref.busy = true;
		ncgpu_model_job_completion(&run->model);
		ok = wait_idle(run) &&
		     ncgpu_model_compare(&run->model.log, "device view", i, &run->bos[i].ref, offset,
					 run->probe_map, expected, len);
	}
	ncgpu_job_fini(&job);
	free(expected);
	return ok;
}

static bool random_device_view_check(struct lib_run *run)
{
	unsigned int i = pick_bo(run);
	uint64_t offset, len;

	pick_range(run, run->bos[i].size, run->bos[i].size, &offset, &len);
	if (len == NCGPU_WHOLE_SIZE)
		len = run->bos[i].size - offset;
	return check_device_view(run, i, offset, len);
}

static bool random_op(void *arg)
{
	struct lib_run *run = arg;
	unsigned int r = ncgpu_rand_below(&run->model.rng, 100);

	if (r < 35)
		return ncgpu_model_cpu_access(&run->model, wait_idle_of, run);
	if (r < 55)
		return sync_ranges(run, DRM_NCGPU_BO_SYNC_FLUSH);
	if (r < 63)
		return sync_ranges(run, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE);
	if (r < 66)
		return flush_pending(run);
	if (r < 86)
		return device_job(run);
	if (r < 96)
		return random_device_view_check(run);
	ncgpu_model_note(&run->model.log, "wait for idle");
	return wait_idle(run);
}

/* Waits for every job; then device views first, then every CPU view after an invalidate. */
static bool final_check(void *arg)
{
	struct lib_run *run = arg;
	struct ncgpu_range whole = { .offset = 0, .size = NCGPU_WHOLE_SIZE };
	unsigned int i;
	int ret;

	if (!wait_idle(run))
		return false;
	for (i = 0; i < run->model.nbos; i++)
		if (!check_device_view(run, i, 0, run->bos[i].size))
			return false;
	for (i = 0; i < run->model.nbos; i++) {
		struct lib_bo *b = &run->bos[i];

		ncgpu_model_note(&run->model.log, "final invalidate and read of bo %u", i);
		whole.bo = b->bo;
		ret = ncgpu_invalidate_ranges(run->dev, &whole, 1);
		if (ret)
			return call_failed(run, "final ncgpu_invalidate_ranges", ret);
		model_range(run, i, &whole, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE);
		apply_queue(run);
		if (!ncgpu_model_compare(&run->model.log, "final cpu read", i, &run->bos[i].ref, 0,
					 b->map, b->ref.cpu, b->size))
			return false;
	}
	return true;
}

static int create_bo(struct lib_run *run, uint64_t size, uint32_t flags, struct ncgpu_bo **bo,
		     uint8_t **map)
{
	void *ptr;
	int ret = ncgpu_bo_create(run->dev, size, flags, bo);

	if (!ret)
		ret = ncgpu_bo_map(*bo, &ptr);
	if (!ret)
		*map = ptr;
	return ret;
}

static int create_bos(struct lib_run *run, const FIXTURE_VARIANT(lib_model) *variant)
{
	bool split_views = run->info.coherency == DRM_NCGPU_COHERENCY_NONE;
	unsigned int i;
	int ret;

	for (i = 0; i < variant->bos; i++) {
		struct lib_bo *b = &run->bos[i];
		bool wb = !(i % 2);

		b->size = (1 + ncgpu_rand_below(&run->model.rng, variant->max_pages)) * run->page;
		ret = create_bo(run, b->size, wb ? DRM_NCGPU_BO_WB_MMAP : 0, &b->bo, &b->map);
		if (ret)
			return ret;
		/* Counted before its model is made: the teardown closes it. */
		ncgpu_model_add_bo(&run->model, &b->ref, b->map);
		ret = ncgpu_model_bo_init(&b->ref, b->size, run->info.sync_granule,
					  wb && split_views);
		if (ret)
			return ret;
	}
	ret = create_bo(run, variant->max_pages * run->page, 0, &run->probe, &run->probe_map);
	return ret ? ret : ncgpu_syncobj_create(run->dev, &run->last_job);
}

FIXTURE_SETUP(lib_model)
{
	struct lib_run *run = &self->run;
	int ret;

	ret = ncgpu_device_open(NULL, &run->dev);
	if (ret == -ENODEV && access("/sys/module/ncgpu", F_OK))
		NCGPU_SETUP_SKIP("ncgpu module not loaded");
	ASSERT_EQ(0, ret) TH_LOG("ncgpu_device_open: %s", ncgpu_strerror(ret));
	ncgpu_device_info(run->dev, &run->info);
	run->atom = ncgpu_noncoherent_atom_size(run->dev);
	ASSERT_EQ(run->info.sync_granule, run->atom);
	run->model.evict_chaos = ncgpu_evict_chaos();
	ASSERT_LE(0, run->model.evict_chaos);
	if (run->model.evict_chaos && run->model.evict_chaos != NCGPU_MODEL_CHAOS_ALWAYS)
		NCGPU_SETUP_SKIP("evict_chaos=%d write-backs are unpredictable", run->model.evict_chaos);
	run->queue = calloc(run->info.max_sync_ops, sizeof(*run->queue));
	ASSERT_NE(NULL, run->queue);
	run->page = sysconf(_SC_PAGESIZE);
	run->model.log.seed = ncgpu_test_seed();
	run->model.rng = run->model.log.seed;
	ASSERT_EQ(0, create_bos(run, variant)) TH_LOG("seed: %" PRIu64, run->model.log.seed);
}

FIXTURE_TEARDOWN(lib_model)
{
	struct lib_run *run = &self->run;
	unsigned int i;

	for (i = 0; i < run->model.nbos; i++) {
		ncgpu_bo_close(run->bos[i].bo);
		ncgpu_model_bo_fini(&run->bos[i].ref);
	}
	ncgpu_bo_close(run->probe);
	if (run->last_job)
		ncgpu_syncobj_destroy(run->dev, run->last_job);
	free(run->queue);
	ncgpu_device_close(run->dev);
}

TEST_F_TIMEOUT(lib_model, random_ops_match_reference, 240)
{
	struct lib_run *run = &self->run;

	ASSERT_TRUE(ncgpu_model_run_ops(&run->model.log, variant->ops, random_op, final_check, run))
		TH_LOG("seed %" PRIu64 ": %s", run->model.log.seed, run->model.log.error);
}

TEST_HARNESS_MAIN
