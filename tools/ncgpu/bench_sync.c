// SPDX-License-Identifier: MIT
/*
 * The cost of BO_SYNC: against range size, at both ends of a large BO,
 * batched against single calls, flush+invalidate against flush, and
 * through libncgpu's queue against a direct call.
 */
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

/* The BO of the range-size sweep, and the largest range flushed in it. */
#define SWEEP_BO_SIZE (64 * MIB)
/* Offset independence: a 64 B flush at both ends of this BO. */
#define OFFSET_BO_SIZE (256 * MIB)
/* Batching: this many 64 B ops in one call against as many calls. */
#define BATCH_OPS 4096u
#define BATCH_STRIDE KIB
#define LIB_BO_SIZE MIB

/* Ranges up to this size take a few microseconds to flush: many more reps. */
#define LIGHT_MAX_SIZE (64 * KIB)

static const uint64_t sweep_sizes[] = { 64, 4 * KIB, 64 * KIB, MIB, 16 * MIB, 64 * MIB };

/* A single BO_SYNC op, after dirtying [dirty_offset, + dirty_size). */
struct sync_case {
	const struct wb_bo *wb;
	uint32_t type;
	uint64_t offset;
	uint64_t size;
	uint64_t dirty_offset;
	uint64_t dirty_size;
};

static int run_sync_case(struct bench *b, const void *arg, double *ns)
{
	const struct sync_case *c = arg;
	double t0;
	int ret;

	if (c->dirty_size)
		wb_bo_dirty(b, c->wb, c->dirty_offset, c->dirty_size);
	t0 = bench_now_ns();
	ret = wb_bo_flush(b, c->wb, c->type, c->offset, c->size);
	*ns = bench_now_ns() - t0;
	return ret;
}

/* a. Flush cost against range size */

/*
 * The whole-BO flush is not interleaved with the exact ones: run between two
 * samples of a 64 B flush, it would leave that flush every cache and TLB of
 * the machine cold, which is not what a 64 B flush costs.
 */
static int sweep_size(struct bench *b, const struct wb_bo *wb, uint64_t size)
{
	const uint32_t flush = DRM_NCGPU_BO_SYNC_FLUSH;
	const struct sync_case exact_dirty = { wb, flush, 0, size, 0, size };
	const struct sync_case exact_clean = { wb, flush, 0, size, 0, 0 };
	const struct sync_case whole_dirty = { wb, flush, 0, wb->size, 0, size };
	const struct variant exact[] = {
		{ "flush_exact_dirty", size, run_sync_case, &exact_dirty },
		{ "flush_exact_clean", size, run_sync_case, &exact_clean },
	};
	const struct variant whole = {
		"flush_whole_bo_dirty", size, run_sync_case, &whole_dirty,
	};
	int ret;

	ret = measure(b, exact, 2, size <= LIGHT_MAX_SIZE ? &b->light : &b->heavy);
	if (!ret)
		ret = measure(b, &whole, 1, &b->heavy);
	return ret;
}

static void sweep_figures(struct bench *b)
{
	double granules = (double)SWEEP_BO_SIZE / ncgpu_noncoherent_atom_size(b->dev);
	double dirty_ns = median_of(b, "flush_exact_dirty", SWEEP_BO_SIZE) / granules;
	double clean_ns = median_of(b, "flush_exact_clean", SWEEP_BO_SIZE) / granules;

	add_figure(b, "flush_ns_per_dirty_granule", dirty_ns);
	add_figure(b, "flush_ns_per_clean_granule", clean_ns);
	add_ratio(b, "flush_64B_over_64MiB_dirty", median_of(b, "flush_exact_dirty", SMALL_RANGE),
		  median_of(b, "flush_exact_dirty", SWEEP_BO_SIZE));
	add_median_ratio(b, "flush_64B_over_whole_bo_baseline", "flush_exact_dirty",
			 "flush_whole_bo_dirty", SMALL_RANGE);
	add_ratio(b, "dirty_over_clean_granule", dirty_ns, clean_ns);
}

int bench_sweep(struct bench *b)
{
	struct wb_bo wb;
	unsigned int i;
	int ret;

	print_section("a. BO_SYNC FLUSH against range size, 64 MiB write-back BO "
		      "(whole_bo = the begin/end baseline)");
	ret = wb_bo_create(b, SWEEP_BO_SIZE, &wb);
	if (ret)
		return ret;
	ret = wb_bo_populate(b, &wb);
	for (i = 0; i < sizeof(sweep_sizes) / sizeof(sweep_sizes[0]) && !ret; i++)
		ret = sweep_size(b, &wb, sweep_sizes[i]);
	wb_bo_close(&wb);
	if (!ret)
		sweep_figures(b);
	return ret;
}

/* b. Offset independence */

int bench_offset(struct bench *b)
{
	struct wb_bo wb;
	struct sync_case start = { &wb, DRM_NCGPU_BO_SYNC_FLUSH, 0, SMALL_RANGE, 0, SMALL_RANGE };
	struct sync_case end = start;
	const struct variant v[] = {
		{ "flush_at_start", SMALL_RANGE, run_sync_case, &start },
		{ "flush_at_end", SMALL_RANGE, run_sync_case, &end },
	};
	int ret;

	print_section("b. 64 B FLUSH at the start and at the end of a 256 MiB BO (dirty)");
	ret = wb_bo_create(b, OFFSET_BO_SIZE, &wb);
	if (ret)
		return ret;
	end.offset = wb.size - SMALL_RANGE;
	end.dirty_offset = end.offset;
	ret = measure(b, v, 2, &b->light);
	wb_bo_close(&wb);
	if (!ret)
		add_median_ratio(b, "offset_end_over_start", "flush_at_end", "flush_at_start",
				 SMALL_RANGE);
	return ret;
}

/* c. Batching */

/* BATCH_OPS ops, sent in one call or one call each. */
struct batch_case {
	const struct wb_bo *wb;
	const struct drm_ncgpu_bo_sync_op *ops;
	bool dirty;
	bool single_calls;
};

static int run_batch(struct bench *b, const void *arg, double *ns)
{
	const struct batch_case *c = arg;
	uint32_t i, per_call = c->single_calls ? 1 : BATCH_OPS;
	double t0;
	int ret = 0;

	for (i = 0; i < BATCH_OPS && c->dirty; i++)
		wb_bo_dirty(b, c->wb, c->ops[i].offset, c->ops[i].size);
	t0 = bench_now_ns();
	for (i = 0; i < BATCH_OPS && !ret; i += per_call)
		ret = bo_sync(b->fd, &c->ops[i], per_call);
	*ns = bench_now_ns() - t0;
	return ret;
}

/* The cost of the calls alone: BATCH_OPS calls without ops. */
static int run_empty_calls(struct bench *b, const void *arg, double *ns)
{
	uint32_t i;
	double t0;
	int ret = 0;

	(void)arg;
	t0 = bench_now_ns();
	for (i = 0; i < BATCH_OPS && !ret; i++)
		ret = bo_sync(b->fd, NULL, 0);
	*ns = bench_now_ns() - t0;
	return ret;
}

static void batch_ops_init(const struct wb_bo *wb, uint64_t stride, uint64_t size,
			   struct drm_ncgpu_bo_sync_op *ops)
{
	uint32_t i;

	for (i = 0; i < BATCH_OPS; i++) {
		ops[i] = (struct drm_ncgpu_bo_sync_op){
			.handle = wb->handle, .type = DRM_NCGPU_BO_SYNC_FLUSH,
			.offset = i * stride, .size = size,
		};
	}
}

static double per_op(const struct bench *b, const char *name)
{
	return median_of(b, name, BATCH_OPS * SMALL_RANGE) / BATCH_OPS;
}

static void batch_figures(struct bench *b)
{
	add_figure(b, "batch_ns_per_op_one_call", per_op(b, "batch_4096_ops_one_call"));
	add_figure(b, "batch_ns_per_op_single_calls", per_op(b, "batch_4096_single_calls"));
	add_figure(b, "batch_ns_per_clean_op", per_op(b, "batch_4096_clean_ops_one_call"));
	add_figure(b, "batch_ns_per_empty_op", per_op(b, "batch_4096_empty_ops_one_call"));
	add_figure(b, "batch_ns_per_contiguous_op",
		   per_op(b, "batch_4096_contiguous_ops_one_call"));
	add_figure(b, "bo_sync_ns_per_call_without_ops", per_op(b, "batch_4096_calls_without_ops"));
	add_ratio(b, "batch_over_single_calls", per_op(b, "batch_4096_ops_one_call"),
		  per_op(b, "batch_4096_single_calls"));
}

/*
 * Where the time of a batched op goes: the same ops on clean granules (no
 * write-back), with size 0 (handle lookup and checks only), and on
 * contiguous granules (fewer pages touched), and calls without ops.
 */
static int batch_breakdown(struct bench *b, const struct wb_bo *wb,
			   const struct drm_ncgpu_bo_sync_op *scattered)
{
	static struct drm_ncgpu_bo_sync_op empty[BATCH_OPS], contiguous[BATCH_OPS];
	const struct batch_case clean_case = { wb, scattered, false, false };
	const struct batch_case empty_case = { wb, empty, false, false };
	const struct batch_case contiguous_case = { wb, contiguous, true, false };
	const uint64_t bytes = BATCH_OPS * SMALL_RANGE;
	const struct variant v[] = {
		{ "batch_4096_clean_ops_one_call", bytes, run_batch, &clean_case },
		{ "batch_4096_empty_ops_one_call", bytes, run_batch, &empty_case },
		{ "batch_4096_contiguous_ops_one_call", bytes, run_batch, &contiguous_case },
		{ "batch_4096_calls_without_ops", bytes, run_empty_calls, NULL },
	};

	batch_ops_init(wb, BATCH_STRIDE, 0, empty);
	batch_ops_init(wb, SMALL_RANGE, SMALL_RANGE, contiguous);
	return measure(b, v, 4, &b->heavy);
}

int bench_batch(struct bench *b)
{
	static struct drm_ncgpu_bo_sync_op ops[BATCH_OPS];
	struct wb_bo wb;
	const struct batch_case one_call = { &wb, ops, true, false };
	const struct batch_case single_calls = { &wb, ops, true, true };
	const struct variant v[] = {
		{ "batch_4096_ops_one_call", BATCH_OPS * SMALL_RANGE, run_batch, &one_call },
		{ "batch_4096_single_calls", BATCH_OPS * SMALL_RANGE, run_batch, &single_calls },
	};
	int ret;

	print_section("c. 4096 FLUSH ops of 64 B, one per KiB (distinct granules, dirty): "
		      "one call against 4096 calls, then where the time goes");
	ret = wb_bo_create(b, BATCH_OPS * BATCH_STRIDE, &wb);
	if (ret)
		return ret;
	batch_ops_init(&wb, BATCH_STRIDE, SMALL_RANGE, ops);
	ret = wb_bo_populate(b, &wb);
	if (!ret)
		ret = measure(b, v, 2, &b->heavy);
	if (!ret)
		ret = batch_breakdown(b, &wb, ops);
	wb_bo_close(&wb);
	if (!ret)
		batch_figures(b);
	return ret;
}

/* d. FLUSH_AND_INVALIDATE against FLUSH */

static int invalidate_size(struct bench *b, const struct wb_bo *wb, uint64_t size,
			   const struct reps *reps)
{
	const struct sync_case flush = { wb, DRM_NCGPU_BO_SYNC_FLUSH, 0, size, 0, size };
	const struct sync_case finv = {
		wb, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE, 0, size, 0, size,
	};
	const struct variant v[] = {
		{ "flush_dirty", size, run_sync_case, &flush },
		{ "flush_invalidate_dirty", size, run_sync_case, &finv },
	};

	return measure(b, v, 2, reps);
}

int bench_invalidate(struct bench *b)
{
	struct wb_bo wb;
	int ret;

	print_section("d. FLUSH_AND_INVALIDATE against FLUSH (dirty granules)");
	ret = wb_bo_create(b, MIB, &wb);
	if (ret)
		return ret;
	ret = wb_bo_populate(b, &wb);
	if (!ret)
		ret = invalidate_size(b, &wb, SMALL_RANGE, &b->light);
	if (!ret)
		ret = invalidate_size(b, &wb, MIB, &b->heavy);
	wb_bo_close(&wb);
	if (ret)
		return ret;
	add_median_ratio(b, "flush_invalidate_over_flush_64B", "flush_invalidate_dirty",
			 "flush_dirty", SMALL_RANGE);
	add_median_ratio(b, "flush_invalidate_over_flush_1MiB", "flush_invalidate_dirty",
			 "flush_dirty", MIB);
	return 0;
}

/* f. The library's queued flush against a direct BO_SYNC */

/* A 64 B flush, direct or through libncgpu's queue, maybe sent by a submit. */
struct lib_case {
	const struct wb_bo *wb;
	uint32_t syncobj;
	bool through_lib;
	bool submit;
};

static int flush_small(struct bench *b, const struct lib_case *c)
{
	const struct ncgpu_range range = { c->wb->bo, 0, SMALL_RANGE };
	int ret;

	if (!c->through_lib)
		return wb_bo_flush(b, c->wb, DRM_NCGPU_BO_SYNC_FLUSH, 0, SMALL_RANGE);
	ret = ncgpu_flush_ranges(b->dev, &range, 1);
	/* Without a submit to carry it, the queued flush is sent by hand. */
	if (!ret && !c->submit)
		ret = ncgpu_flush_pending(b->dev);
	return ret;
}

static int run_lib_case(struct bench *b, const void *arg, double *ns)
{
	const struct lib_case *c = arg;
	double t0;
	int ret;

	wb_bo_dirty(b, c->wb, 0, SMALL_RANGE);
	t0 = bench_now_ns();
	ret = flush_small(b, c);
	if (!ret && c->submit)
		ret = ncgpu_submit(b->dev, NULL, 0, c->syncobj);
	*ns = bench_now_ns() - t0;
	/*
	 * The job runs on the other CPU, and cleans up after its fence has
	 * signalled: neither may overlap the next sample.
	 */
	if (!ret && c->submit) {
		ret = ncgpu_syncobj_wait(b->dev, c->syncobj, NCGPU_TIMEOUT_INFINITE);
		usleep(SETTLE_US);
	}
	return ret;
}

static int measure_library(struct bench *b, const struct wb_bo *wb, uint32_t syncobj)
{
	const struct lib_case direct = { wb, syncobj, false, false };
	const struct lib_case lib = { wb, syncobj, true, false };
	const struct lib_case direct_submit = { wb, syncobj, false, true };
	const struct lib_case lib_submit = { wb, syncobj, true, true };
	const struct variant alone[] = {
		{ "direct_bo_sync", SMALL_RANGE, run_lib_case, &direct },
		{ "lib_flush_pending", SMALL_RANGE, run_lib_case, &lib },
	};
	const struct variant with_submit[] = {
		{ "direct_bo_sync_then_submit", SMALL_RANGE, run_lib_case, &direct_submit },
		{ "lib_flush_sent_at_submit", SMALL_RANGE, run_lib_case, &lib_submit },
	};
	int ret;

	ret = measure(b, alone, 2, &b->light);
	if (!ret)
		ret = measure(b, with_submit, 2, &b->light);
	return ret;
}

int bench_library(struct bench *b)
{
	uint32_t syncobj;
	struct wb_bo wb;
	int ret;

	print_section("f. 64 B flush (dirty): libncgpu's queue against a direct BO_SYNC, "
		      "alone and sent with an empty job");
	if (ncgpu_device_get_sync_backend(b->dev) != NCGPU_SYNC_BACKEND_KERNEL)
		printf("  note: the library uses the CPU backend, not BO_SYNC\n");
	ret = ncgpu_syncobj_create(b->dev, &syncobj);
	if (ret)
		return ret;
	ret = wb_bo_create(b, LIB_BO_SIZE, &wb);
	if (!ret) {
		ret = wb_bo_populate(b, &wb);
		if (!ret)
			ret = measure_library(b, &wb, syncobj);
		wb_bo_close(&wb);
	}
	ncgpu_syncobj_destroy(b->dev, syncobj);
	if (ret)
		return ret;
	add_median_ratio(b, "lib_flush_over_direct", "lib_flush_pending", "direct_bo_sync",
			 SMALL_RANGE);
	add_median_ratio(b, "lib_submit_over_direct_submit", "lib_flush_sent_at_submit",
			 "direct_bo_sync_then_submit", SMALL_RANGE);
	return 0;
}
