// SPDX-License-Identifier: MIT
/*
 * ncgpu bench - what CPU cache maintenance costs on an ncgpu device.
 *
 * Under emulation (QEMU TCG) absolute times say little about hardware, so
 * every figure that matters is a ratio of two measurements taken side by
 * side in one run. The variants of a comparison are interleaved rep by rep,
 * so that a change of the machine's speed during the run hits all of them.
 * Work that prepares a measurement (dirtying the range) is never timed.
 *
 * The command reports figures; it does not judge them. bench/check.sh
 * compares the ratios of its JSON output with their targets.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench_stats.h"
#include "commands.h"
#include "tool.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)

/* The BO of the range-size sweep, and the largest range flushed in it. */
#define SWEEP_BO_SIZE (64 * MIB)
/* Offset independence: a 64 B flush at both ends of this BO. */
#define OFFSET_BO_SIZE (256 * MIB)
#define SMALL_RANGE 64ull
/* Batching: this many 64 B ops in one call against as many calls. */
#define BATCH_OPS 4096u
#define BATCH_STRIDE KIB
#define COPY_SIZE (16 * MIB)
#define MEMORY_BO_SIZE (64 * MIB)
#define LIB_BO_SIZE MIB
/* Time given to a finished job's clean-up before the next sample. */
#define SETTLE_US 1000

/* Ranges up to this size take a few microseconds to flush: many more reps. */
#define LIGHT_MAX_SIZE (64 * KIB)

#define MAX_SAMPLES 512
#define MAX_RESULTS 64
#define MAX_FIGURES 32

static const uint64_t sweep_sizes[] = { 64, 4 * KIB, 64 * KIB, MIB, 16 * MIB, 64 * MIB };

static const char *const bench_usage =
	"usage: ncgpu bench [--quick] [--json FILE] [--device PATH] [--help]\n"
	"\n"
	"Measure what cache maintenance costs: BO_SYNC against range size\n"
	"(dirty and clean granules, and the whole-BO flush a begin/end design\n"
	"forces), flush offset independence, batching, flush+invalidate, engine\n"
	"copy throughput, the coherence model's memory overhead, the library's\n"
	"queued flush, and jobs: their round trip and what sync ops add to SUBMIT.\n"
	"Reports the median and spread of each figure, and ratios of figures\n"
	"measured side by side; it checks nothing.\n"
	"\n"
	"  --quick       fewer repetitions, for a smoke run\n"
	"  --json FILE   also write every figure as JSON to FILE ('-': stdout)\n"
	"  --device PATH DRM node to use (default: the first ncgpu render node)\n"
	"\n"
	"Needs about 600 MiB of free memory.\n"
	"exit status: 0 success, 1 failure, 2 no ncgpu device, 64 usage error\n";

/* A single named value: a throughput, a byte count or a ratio. */
struct figure {
	char name[BENCH_NAME_MAX];
	double value;
};

/* How often each measurement is repeated. */
struct reps {
	unsigned int warmup;
	unsigned int count;
};

struct bench {
	struct ncgpu_device *dev;
	int fd;
	bool quick;
	const char *json_path;
	/* For BO-sized work, and for single calls of a few microseconds. */
	struct reps heavy;
	struct reps light;
	double timer_overhead;
	uint64_t atom;
	/* Numbers the calls to dirty(). */
	uint64_t seq;
	struct bench_summary results[MAX_RESULTS];
	unsigned int nresults;
	struct figure figures[MAX_FIGURES];
	unsigned int nfigures;
	struct figure ratios[MAX_FIGURES];
	unsigned int nratios;
};

/* A mapped write-back BO. */
struct wb_bo {
	struct ncgpu_bo *bo;
	uint32_t handle;
	uint8_t *map;
	uint64_t size;
};

/*
 * One way of doing the thing being compared. run() prepares, then times
 * only the operation itself, and stores the time in *ns.
 */
struct variant {
	const char *name;
	uint64_t size;
	int (*run)(struct bench *b, const void *arg, double *ns);
	const void *arg;
};

/* A single BO_SYNC op, after dirtying [dirty_offset, + dirty_size). */
struct sync_case {
	const struct wb_bo *wb;
	uint32_t type;
	uint64_t offset;
	uint64_t size;
	uint64_t dirty_offset;
	uint64_t dirty_size;
};

/* Time */

/* The median cost of reading the clock twice, which every sample includes. */
static double measure_timer_overhead(void)
{
	static double v[MAX_SAMPLES];
	struct bench_summary s;
	unsigned int i;
	double t0;

	for (i = 0; i < MAX_SAMPLES; i++) {
		t0 = bench_now_ns();
		v[i] = bench_now_ns() - t0;
	}
	bench_summarize(v, MAX_SAMPLES, &s);
	return s.median;
}

/* Output */

static void format_time(double ns, char *buf, size_t len)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.3g us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.3g ms", ns / 1e6);
	else
		snprintf(buf, len, "%.3g s", ns / 1e9);
}

static void format_size(uint64_t size, char *buf, size_t len)
{
	if (size >= MIB && !(size % MIB))
		snprintf(buf, len, "%llu MiB", (unsigned long long)(size / MIB));
	else if (size >= KIB && !(size % KIB))
		snprintf(buf, len, "%llu KiB", (unsigned long long)(size / KIB));
	else
		snprintf(buf, len, "%llu B", (unsigned long long)size);
}

static void print_section(const char *title)
{
	printf("\n%s\n", title);
	printf("  %-36s %8s %9s %9s %9s %9s %9s %4s\n", "measurement", "size", "median",
	       "q1", "q3", "min", "max", "n");
	fflush(stdout);
}

static void print_summary(const struct bench_summary *s)
{
	char size[24], t[5][16];

	format_size(s->size, size, sizeof(size));
	format_time(s->median, t[0], sizeof(t[0]));
	format_time(s->q1, t[1], sizeof(t[1]));
	format_time(s->q3, t[2], sizeof(t[2]));
	format_time(s->min, t[3], sizeof(t[3]));
	format_time(s->max, t[4], sizeof(t[4]));
	printf("  %-36s %8s %9s %9s %9s %9s %9s %4u\n", s->name, size, t[0], t[1], t[2],
	       t[3], t[4], s->samples);
	fflush(stdout);
}

static void add_named(struct figure *list, unsigned int *count, const char *name, double value)
{
	if (*count == MAX_FIGURES)
		return;
	snprintf(list[*count].name, sizeof(list[*count].name), "%s", name);
	list[*count].value = value;
	(*count)++;
}

static void add_figure(struct bench *b, const char *name, double value)
{
	add_named(b->figures, &b->nfigures, name, value);
	printf("  %-46s %.6g\n", name, value);
	fflush(stdout);
}

static void add_ratio(struct bench *b, const char *name, double num, double den)
{
	double ratio = den > 0 ? num / den : 0;

	add_named(b->ratios, &b->nratios, name, ratio);
}

static const struct bench_summary *find_result(const struct bench *b, const char *name,
						uint64_t size)
{
	unsigned int i;

	for (i = 0; i < b->nresults; i++) {
		if (!strcmp(b->results[i].name, name) && b->results[i].size == size)
			return &b->results[i];
	}
	return NULL;
}

static double median_of(const struct bench *b, const char *name, uint64_t size)
{
	const struct bench_summary *s = find_result(b, name, size);

	return s ? s->median : 0;
}

/* A sample is one clock interval: the clock's own cost is not the operation's. */
static double clock_corrected(const struct bench *b, double ns)
{
	return ns > b->timer_overhead ? ns - b->timer_overhead : 0;
}

/* Runs the variants interleaved, one sample of each per rep. */
static int measure(struct bench *b, const struct variant *v, unsigned int nv,
		   const struct reps *reps)
{
	static double samples[8][MAX_SAMPLES];
	unsigned int rep, i;
	double ns;
	int ret;

	if (nv > 8 || reps->count > MAX_SAMPLES || b->nresults + nv > MAX_RESULTS)
		return -E2BIG;
	for (rep = 0; rep < reps->warmup + reps->count; rep++) {
		for (i = 0; i < nv; i++) {
			ret = v[i].run(b, v[i].arg, &ns);
			if (ret)
				return ret;
			if (rep >= reps->warmup)
				samples[i][rep - reps->warmup] = clock_corrected(b, ns);
		}
	}
	for (i = 0; i < nv; i++) {
		struct bench_summary *s = &b->results[b->nresults++];

		snprintf(s->name, sizeof(s->name), "%s", v[i].name);
		s->size = v[i].size;
		bench_summarize(samples[i], reps->count, s);
		print_summary(s);
	}
	return 0;
}

/* Device calls */

static int ioctl_retry(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret ? -errno : 0;
}

static int sync_ops(int fd, const struct drm_ncgpu_bo_sync_op *ops, uint32_t count)
{
	struct drm_ncgpu_bo_sync args = { .ops = DRM_NCGPU_OBJ_ARRAY(count, ops) };

	return ioctl_retry(fd, DRM_IOCTL_NCGPU_BO_SYNC, &args);
}

static int wb_bo_create(struct bench *b, uint64_t size, struct wb_bo *wb)
{
	void *map;
	int ret;

	memset(wb, 0, sizeof(*wb));
	ret = ncgpu_bo_create(b->dev, size, DRM_NCGPU_BO_WB_MMAP, &wb->bo);
	if (ret)
		return ret;
	ret = ncgpu_bo_map(wb->bo, &map);
	if (ret) {
		ncgpu_bo_close(wb->bo);
		return ret;
	}
	wb->map = map;
	wb->handle = ncgpu_bo_handle(wb->bo);
	wb->size = ncgpu_bo_size(wb->bo);
	return 0;
}

static void wb_bo_close(struct wb_bo *wb)
{
	ncgpu_bo_close(wb->bo);
	memset(wb, 0, sizeof(*wb));
}

/*
 * Writes the whole range, and makes each of its granules differ from what it
 * was last synced with: every granule gets the number of this call, which
 * no earlier write gave it.
 */
static void dirty(struct bench *b, const struct wb_bo *wb, uint64_t offset, uint64_t size)
{
	uint64_t at;

	b->seq++;
	memset(wb->map + offset, (int)(b->seq & 0xff), size);
	for (at = offset; at + sizeof(b->seq) <= offset + size; at += b->atom)
		memcpy(wb->map + at, &b->seq, sizeof(b->seq));
}

static int wb_bo_flush(const struct bench *b, const struct wb_bo *wb, uint32_t type,
		       uint64_t offset, uint64_t size)
{
	struct drm_ncgpu_bo_sync_op op = {
		.handle = wb->handle, .type = type, .offset = offset, .size = size,
	};

	return sync_ops(b->fd, &op, 1);
}

/* Gives the whole BO a device view, so that no timed call allocates one. */
static int wb_bo_populate(struct bench *b, const struct wb_bo *wb)
{
	dirty(b, wb, 0, wb->size);
	return wb_bo_flush(b, wb, DRM_NCGPU_BO_SYNC_FLUSH, 0, wb->size);
}

static int run_sync_case(struct bench *b, const void *arg, double *ns)
{
	const struct sync_case *c = arg;
	double t0;
	int ret;

	if (c->dirty_size)
		dirty(b, c->wb, c->dirty_offset, c->dirty_size);
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
	add_ratio(b, "flush_64B_over_whole_bo_baseline",
		  median_of(b, "flush_exact_dirty", SMALL_RANGE),
		  median_of(b, "flush_whole_bo_dirty", SMALL_RANGE));
	add_ratio(b, "dirty_over_clean_granule", dirty_ns, clean_ns);
}

static int bench_sweep(struct bench *b)
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

static int bench_offset(struct bench *b)
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
		add_ratio(b, "offset_end_over_start", median_of(b, "flush_at_end", SMALL_RANGE),
			  median_of(b, "flush_at_start", SMALL_RANGE));
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
		dirty(b, c->wb, c->ops[i].offset, c->ops[i].size);
	t0 = bench_now_ns();
	for (i = 0; i < BATCH_OPS && !ret; i += per_call)
		ret = sync_ops(b->fd, &c->ops[i], per_call);
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
		ret = sync_ops(b->fd, NULL, 0);
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

static int bench_batch(struct bench *b)
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

static int bench_invalidate(struct bench *b)
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
	add_ratio(b, "flush_invalidate_over_flush_64B",
		  median_of(b, "flush_invalidate_dirty", SMALL_RANGE),
		  median_of(b, "flush_dirty", SMALL_RANGE));
	add_ratio(b, "flush_invalidate_over_flush_1MiB",
		  median_of(b, "flush_invalidate_dirty", MIB), median_of(b, "flush_dirty", MIB));
	return 0;
}

/* e. Engine copy throughput */

struct copy_case {
	struct ncgpu_job job;
	uint32_t syncobj;
};

static int run_copy(struct bench *b, const void *arg, double *ns)
{
	const struct copy_case *c = arg;
	double t0;
	int ret;

	t0 = bench_now_ns();
	ret = ncgpu_submit(b->dev, &c->job, 0, c->syncobj);
	if (!ret)
		ret = ncgpu_syncobj_wait(b->dev, c->syncobj, NCGPU_TIMEOUT_INFINITE);
	*ns = bench_now_ns() - t0;
	return ret;
}

static int copy_case_init(struct bench *b, struct ncgpu_bo *src, struct ncgpu_bo *dst,
			  struct copy_case *c)
{
	int ret;

	ncgpu_job_init(&c->job);
	c->syncobj = 0;
	ret = ncgpu_job_copy(&c->job, dst, 0, src, 0, COPY_SIZE);
	if (!ret)
		ret = ncgpu_syncobj_create(b->dev, &c->syncobj);
	return ret;
}

static void copy_case_fini(struct bench *b, struct copy_case *c)
{
	if (c->syncobj)
		ncgpu_syncobj_destroy(b->dev, c->syncobj);
	ncgpu_job_fini(&c->job);
}

/* The source BOs hold data in the device's view, so the copies read memory. */
static int copy_bos_create(struct bench *b, struct wb_bo wb[2], struct ncgpu_bo *wc[2])
{
	void *map;
	int ret;

	ret = wb_bo_create(b, COPY_SIZE, &wb[0]);
	if (!ret)
		ret = wb_bo_create(b, COPY_SIZE, &wb[1]);
	if (!ret)
		ret = wb_bo_populate(b, &wb[0]);
	if (!ret)
		ret = ncgpu_bo_create(b->dev, COPY_SIZE, 0, &wc[0]);
	if (!ret)
		ret = ncgpu_bo_create(b->dev, COPY_SIZE, 0, &wc[1]);
	if (!ret)
		ret = ncgpu_bo_map(wc[0], &map);
	if (!ret)
		memset(map, 0x5a, COPY_SIZE);
	return ret;
}

static void copy_bos_close(struct wb_bo wb[2], struct ncgpu_bo *wc[2])
{
	int i;

	for (i = 0; i < 2; i++) {
		if (wb[i].bo)
			wb_bo_close(&wb[i]);
		ncgpu_bo_close(wc[i]);
	}
}

static int measure_copies(struct bench *b, struct wb_bo wb[2], struct ncgpu_bo *wc[2])
{
	struct copy_case wbc = { .syncobj = 0 }, wcc = { .syncobj = 0 };
	int ret;

	ret = copy_case_init(b, wb[0].bo, wb[1].bo, &wbc);
	if (!ret)
		ret = copy_case_init(b, wc[0], wc[1], &wcc);
	if (!ret) {
		const struct variant v[] = {
			{ "copy_wb_to_wb", COPY_SIZE, run_copy, &wbc },
			{ "copy_wc_to_wc", COPY_SIZE, run_copy, &wcc },
		};

		ret = measure(b, v, 2, &b->heavy);
	}
	copy_case_fini(b, &wbc);
	copy_case_fini(b, &wcc);
	return ret;
}

static double mib_per_s(uint64_t bytes, double ns)
{
	return ns > 0 ? (double)bytes / MIB / (ns / 1e9) : 0;
}

static int bench_copy(struct bench *b)
{
	struct ncgpu_bo *wc[2] = { NULL, NULL };
	struct wb_bo wb[2];
	int ret;

	print_section("e. engine COPY of 16 MiB, submit to fence signalled");
	memset(wb, 0, sizeof(wb));
	ret = copy_bos_create(b, wb, wc);
	if (!ret)
		ret = measure_copies(b, wb, wc);
	copy_bos_close(wb, wc);
	if (ret)
		return ret;
	add_figure(b, "copy_wb_to_wb_mib_per_s",
		   mib_per_s(COPY_SIZE, median_of(b, "copy_wb_to_wb", COPY_SIZE)));
	add_figure(b, "copy_wc_to_wc_mib_per_s",
		   mib_per_s(COPY_SIZE, median_of(b, "copy_wc_to_wc", COPY_SIZE)));
	return 0;
}

/* e. Memory overhead of the coherence model */

/* The /proc/meminfo fields the overhead is computed from, in bytes. */
struct meminfo {
	double mem_free;
	double pcp_free;
	double shmem;
	double page_tables;
	double slab;
};

/*
 * Free pages cached on the per-CPU lists are not in MemFree; they come and go
 * with every allocation, so they are counted as free.
 */
static int read_pcp_free(struct meminfo *m)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[128];
	double pages;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " count: %lf", &pages) == 1)
			m->pcp_free += pages * sysconf(_SC_PAGESIZE);
	}
	fclose(f);
	return 0;
}

static int read_meminfo(struct meminfo *m)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	double kib;

	if (!f)
		return -errno;
	memset(m, 0, sizeof(*m));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemFree: %lf", &kib) == 1)
			m->mem_free = kib * KIB;
		else if (sscanf(line, "Shmem: %lf", &kib) == 1)
			m->shmem = kib * KIB;
		else if (sscanf(line, "PageTables: %lf", &kib) == 1)
			m->page_tables = kib * KIB;
		else if (sscanf(line, "Slab: %lf", &kib) == 1)
			m->slab = kib * KIB;
	}
	fclose(f);
	return read_pcp_free(m);
}

/*
 * Memory the kernel spent between @before and @after that is neither the
 * BO's own pages (shmem) nor the page tables of its mapping: the device
 * view, the line hashes and the per-page bookkeeping.
 */
static void memory_figures(struct bench *b, const struct meminfo *before,
			   const struct meminfo *after, uint64_t bo_size)
{
	double used = before->mem_free + before->pcp_free - after->mem_free - after->pcp_free;
	double shmem = after->shmem - before->shmem;
	double page_tables = after->page_tables - before->page_tables;
	double model = used - shmem - page_tables;

	add_figure(b, "memory_bo_bytes", bo_size);
	add_figure(b, "memory_used_bytes", used);
	add_figure(b, "memory_bo_pages_bytes", shmem);
	add_figure(b, "memory_page_tables_bytes", page_tables);
	add_figure(b, "memory_slab_bytes", after->slab - before->slab);
	add_figure(b, "memory_model_bytes", model);
	add_ratio(b, "memory_model_over_bo_size", model, bo_size);
}

static int bench_memory(struct bench *b)
{
	struct meminfo before, after;
	struct wb_bo wb;
	int ret;

	printf("\ne. coherence model memory, 64 MiB write-back BO, every granule dirtied "
	       "and flushed\n");
	ret = read_meminfo(&before);
	if (ret)
		return ret;
	ret = wb_bo_create(b, MEMORY_BO_SIZE, &wb);
	if (ret)
		return ret;
	ret = wb_bo_populate(b, &wb);
	if (!ret)
		ret = read_meminfo(&after);
	if (!ret)
		memory_figures(b, &before, &after, wb.size);
	wb_bo_close(&wb);
	return ret;
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

	dirty(b, c->wb, 0, SMALL_RANGE);
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

static int bench_library(struct bench *b)
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
	add_ratio(b, "lib_flush_over_direct",
		  median_of(b, "lib_flush_pending", SMALL_RANGE),
		  median_of(b, "direct_bo_sync", SMALL_RANGE));
	add_ratio(b, "lib_submit_over_direct_submit",
		  median_of(b, "lib_flush_sent_at_submit", SMALL_RANGE),
		  median_of(b, "direct_bo_sync_then_submit", SMALL_RANGE));
	return 0;
}

/* g. Jobs */

#define PIPELINED_JOBS 1000u

/* One empty job, from SUBMIT to its fence in @arg's syncobj. */
static int run_empty_job(struct bench *b, const void *arg, double *ns)
{
	const uint32_t *syncobj = arg;
	double t0 = bench_now_ns();
	int ret = ncgpu_submit(b->dev, NULL, 0, *syncobj);

	if (!ret)
		ret = ncgpu_syncobj_wait(b->dev, *syncobj, NCGPU_TIMEOUT_INFINITE);
	*ns = bench_now_ns() - t0;
	return ret;
}

/* PIPELINED_JOBS empty jobs back to back, then a wait for the last one. */
static int run_pipelined_jobs(struct bench *b, const void *arg, double *ns)
{
	const uint32_t *syncobj = arg;
	double t0 = bench_now_ns();
	unsigned int i;
	int ret = 0;

	for (i = 0; i < PIPELINED_JOBS && !ret; i++)
		ret = ncgpu_submit(b->dev, NULL, 0, i + 1 == PIPELINED_JOBS ? *syncobj : 0);
	if (!ret)
		ret = ncgpu_syncobj_wait(b->dev, *syncobj, NCGPU_TIMEOUT_INFINITE);
	*ns = bench_now_ns() - t0;
	return ret;
}

/* PIPELINED_JOBS empty jobs, each waited for before the next. */
static int run_serial_jobs(struct bench *b, const void *arg, double *ns)
{
	double t0 = bench_now_ns(), one;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < PIPELINED_JOBS && !ret; i++)
		ret = run_empty_job(b, arg, &one);
	*ns = bench_now_ns() - t0;
	return ret;
}

static int bench_jobs(struct bench *b)
{
	const struct variant round_trip = { "empty_job_round_trip", 0, run_empty_job, NULL };
	struct variant batches[] = {
		{ "empty_jobs_pipelined_1000", 0, run_pipelined_jobs, NULL },
		{ "empty_jobs_serial_1000", 0, run_serial_jobs, NULL },
	};
	struct variant one = round_trip;
	uint32_t syncobj;
	int ret;

	print_section("g. Jobs: an empty job from SUBMIT to its fence, and 1000 empty jobs "
		      "pipelined against 1000 submitted and waited for one by one");
	ret = ncgpu_syncobj_create(b->dev, &syncobj);
	if (ret)
		return ret;
	one.arg = &syncobj;
	batches[0].arg = &syncobj;
	batches[1].arg = &syncobj;
	ret = measure(b, &one, 1, &b->light);
	if (!ret)
		ret = measure(b, batches, 2, &b->heavy);
	ncgpu_syncobj_destroy(b->dev, syncobj);
	if (ret)
		return ret;
	add_figure(b, "empty_job_round_trip_ns", median_of(b, "empty_job_round_trip", 0));
	add_ratio(b, "pipelined_over_serial_jobs", median_of(b, "empty_jobs_pipelined_1000", 0),
		  median_of(b, "empty_jobs_serial_1000", 0));
	return 0;
}

/*
 * SUBMIT with sync ops: half of them wait for a signalled point of a
 * timeline each, half signal a new point of another timeline each, as a
 * Vulkan queue submit waits on and signals semaphores.
 */
#define MAX_BENCH_SYNCS 64u

/* struct drm_ncgpu_submit of driver minors 0 and 1: the empty SUBMIT of old userspace. */
struct submit_v1_1 {
	struct drm_ncgpu_obj_array cmds;
	uint32_t in_syncobj;
	uint32_t out_syncobj;
	uint32_t flags;
	uint32_t pad;
};

#define SUBMIT_V1_1 DRM_IOWR(DRM_COMMAND_BASE + DRM_NCGPU_SUBMIT, struct submit_v1_1)

struct sync_bench {
	uint32_t waited[MAX_BENCH_SYNCS / 2];
	uint32_t signalled[MAX_BENCH_SYNCS / 2];
	/* The point the next SUBMIT signals. */
	uint64_t next_point;
	/* An empty job signals it after each sample, which waits for it. */
	uint32_t drain;
};

struct submit_case {
	struct sync_bench *sb;
	/* Sync ops of the SUBMIT; -1 for the 32-byte SUBMIT of old userspace. */
	int ops;
};

static int submit_with_syncs(struct bench *b, struct sync_bench *sb, unsigned int nops,
			     double *ns)
{
	struct drm_ncgpu_sync_op ops[MAX_BENCH_SYNCS];
	struct drm_ncgpu_submit args = { .syncs = DRM_NCGPU_OBJ_ARRAY(nops, ops) };
	unsigned int i;
	double t0;
	int ret;

	for (i = 0; i < nops / 2; i++) {
		ops[2 * i] = (struct drm_ncgpu_sync_op){
			.flags = DRM_NCGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ,
			.handle = sb->waited[i],
			.timeline_point = 1,
		};
		ops[2 * i + 1] = (struct drm_ncgpu_sync_op){
			.flags = (uint32_t)DRM_NCGPU_SYNC_OP_SIGNAL |
				 DRM_NCGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ,
			.handle = sb->signalled[i],
			.timeline_point = sb->next_point,
		};
	}
	sb->next_point++;
	t0 = bench_now_ns();
	ret = ioctl_retry(b->fd, DRM_IOCTL_NCGPU_SUBMIT, &args);
	*ns = bench_now_ns() - t0;
	return ret;
}

/* Times one SUBMIT of an empty job; its job and clean-up are over before the next. */
static int run_sync_submit(struct bench *b, const void *arg, double *ns)
{
	const struct submit_case *c = arg;
	struct submit_v1_1 old = { 0 };
	double t0;
	int ret;

	if (c->ops < 0) {
		t0 = bench_now_ns();
		ret = ioctl_retry(b->fd, SUBMIT_V1_1, &old);
		*ns = bench_now_ns() - t0;
	} else {
		ret = submit_with_syncs(b, c->sb, c->ops, ns);
	}
	if (!ret)
		ret = ncgpu_submit(b->dev, NULL, 0, c->sb->drain);
	if (!ret)
		ret = ncgpu_syncobj_wait(b->dev, c->sb->drain, NCGPU_TIMEOUT_INFINITE);
	usleep(SETTLE_US);
	return ret;
}

static int sync_bench_create(struct bench *b, struct sync_bench *sb)
{
	unsigned int i;
	int ret;

	memset(sb, 0, sizeof(*sb));
	sb->next_point = 1;
	ret = ncgpu_syncobj_create(b->dev, &sb->drain);
	for (i = 0; i < MAX_BENCH_SYNCS / 2 && !ret; i++) {
		ret = ncgpu_timeline_create(b->dev, &sb->waited[i]);
		if (!ret)
			ret = ncgpu_timeline_signal(b->dev, sb->waited[i], 1);
		if (!ret)
			ret = ncgpu_timeline_create(b->dev, &sb->signalled[i]);
	}
	return ret;
}

static void sync_bench_destroy(struct bench *b, struct sync_bench *sb)
{
	unsigned int i;

	for (i = 0; i < MAX_BENCH_SYNCS / 2; i++) {
		if (sb->waited[i])
			ncgpu_syncobj_destroy(b->dev, sb->waited[i]);
		if (sb->signalled[i])
			ncgpu_syncobj_destroy(b->dev, sb->signalled[i]);
	}
	if (sb->drain)
		ncgpu_syncobj_destroy(b->dev, sb->drain);
}

static void sync_submit_ratio(struct bench *b, const char *name, const char *variant)
{
	add_ratio(b, name, median_of(b, variant, 0), median_of(b, "submit_empty_32_bytes", 0));
}

static int bench_submit_syncs(struct bench *b)
{
	static struct sync_bench sb;
	const struct submit_case cases[] = { { &sb, -1 }, { &sb, 0 }, { &sb, 8 }, { &sb, 64 } };
	const struct variant v[] = {
		{ "submit_empty_32_bytes", 0, run_sync_submit, &cases[0] },
		{ "submit_0_sync_ops", 0, run_sync_submit, &cases[1] },
		{ "submit_8_sync_ops", 0, run_sync_submit, &cases[2] },
		{ "submit_64_sync_ops", 0, run_sync_submit, &cases[3] },
	};
	int ret;

	print_section("g. Jobs: SUBMIT of an empty job with 0, 8 and 64 sync ops (half wait "
		      "for a timeline point, half signal one) against an empty 32-byte SUBMIT");
	ret = sync_bench_create(b, &sb);
	if (!ret)
		ret = measure(b, v, 4, &b->light);
	sync_bench_destroy(b, &sb);
	if (ret)
		return ret;
	sync_submit_ratio(b, "submit_0_sync_ops_over_empty_submit", "submit_0_sync_ops");
	sync_submit_ratio(b, "submit_8_sync_ops_over_empty_submit", "submit_8_sync_ops");
	sync_submit_ratio(b, "submit_64_sync_ops_over_empty_submit", "submit_64_sync_ops");
	return 0;
}

/* Machine description */

struct machine {
	struct utsname uts;
	char cpu_model[128];
	char clocksource[32];
	long cpus;
};

static void trim_newline(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

/* x86 names the CPU model; arm64 gives implementer and part numbers. */
static void read_cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256], implementer[32] = "", *colon;

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		colon = strchr(line, ':');
		if (!colon)
			continue;
		trim_newline(colon);
		if (!strncmp(line, "model name", 10)) {
			snprintf(buf, len, "%s", colon + 2);
			break;
		}
		if (!strncmp(line, "CPU implementer", 15))
			snprintf(implementer, sizeof(implementer), "%s", colon + 2);
		if (!strncmp(line, "CPU part", 8) && implementer[0]) {
			snprintf(buf, len, "implementer %s part %s", implementer, colon + 2);
			break;
		}
	}
	fclose(f);
}

/* What CLOCK_MONOTONIC reads; without a vDSO clock each read is a syscall. */
static void read_clocksource(char *buf, size_t len)
{
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	if (fgets(buf, len, f))
		trim_newline(buf);
	fclose(f);
}

static void read_machine(struct machine *m)
{
	if (uname(&m->uts))
		memset(&m->uts, 0, sizeof(m->uts));
	read_cpu_model(m->cpu_model, sizeof(m->cpu_model));
	read_clocksource(m->clocksource, sizeof(m->clocksource));
	m->cpus = sysconf(_SC_NPROCESSORS_ONLN);
}

/* JSON */

static void json_machine(FILE *f, const struct machine *m)
{
	fputs("  \"guest\": { \"arch\": ", f);
	bench_json_string(f, m->uts.machine);
	fputs(", \"kernel\": ", f);
	bench_json_string(f, m->uts.release);
	fputs(", \"cpu_model\": ", f);
	bench_json_string(f, m->cpu_model);
	fprintf(f, ", \"cpus\": %ld },\n", m->cpus);
}

static void json_device(FILE *f, const struct bench *b)
{
	struct ncgpu_device_info info;

	ncgpu_device_info(b->dev, &info);
	fprintf(f, "  \"device\": { \"coherency\": \"%s\", \"emulated\": %s, "
		"\"sync_granule\": %u, \"max_sync_ops\": %u },\n",
		info.coherency == DRM_NCGPU_COHERENCY_IO ? "io" : "none",
		info.emulated ? "true" : "false", info.sync_granule, info.max_sync_ops);
}

static void json_method(FILE *f, const struct bench *b, const struct machine *m)
{
	fputs("  \"method\": { \"clock\": \"CLOCK_MONOTONIC\", \"clocksource\": ", f);
	bench_json_string(f, m->clocksource);
	fprintf(f, ", \"timer_overhead_ns\": %.1f, \"timer_overhead_subtracted\": true, "
		"\"heavy_warmup\": %u, \"heavy_reps\": %u, \"light_warmup\": %u, "
		"\"light_reps\": %u, \"quick\": %s },\n",
		b->timer_overhead, b->heavy.warmup, b->heavy.count, b->light.warmup,
		b->light.count, b->quick ? "true" : "false");
}

static void json_figures(FILE *f, const char *key, const struct figure *list,
			 unsigned int count, bool last)
{
	unsigned int i;

	fprintf(f, "  \"%s\": {\n", key);
	for (i = 0; i < count; i++)
		fprintf(f, "    \"%s\": %.6g%s\n", list[i].name, list[i].value,
			i + 1 < count ? "," : "");
	fprintf(f, "  }%s\n", last ? "" : ",");
}

static int write_json(const struct bench *b, const struct machine *m)
{
	FILE *f = strcmp(b->json_path, "-") ? fopen(b->json_path, "w") : stdout;
	int ret;

	if (!f)
		return -errno;
	fputs("{\n  \"schema\": 1,\n  \"command\": \"ncgpu bench\",\n", f);
	json_machine(f, m);
	json_device(f, b);
	json_method(f, b, m);
	bench_json_results(f, b->results, b->nresults);
	json_figures(f, "figures", b->figures, b->nfigures, false);
	json_figures(f, "ratios", b->ratios, b->nratios, true);
	fputs("}\n", f);
	ret = ferror(f) ? -EIO : 0;
	if (f != stdout && fclose(f))
		ret = -errno;
	return ret;
}

/* The command */

static void print_header(const struct bench *b, const struct machine *m)
{
	struct ncgpu_device_info info;

	ncgpu_device_info(b->dev, &info);
	printf("ncgpu bench: %s, kernel %s, %ld CPUs (%s)\n", m->uts.machine, m->uts.release,
	       m->cpus, m->cpu_model);
	printf("device: coherency %s%s, sync_granule %u B, max_sync_ops %u\n",
	       info.coherency == DRM_NCGPU_COHERENCY_IO ? "io" : "none",
	       info.emulated ? " (emulated)" : "", info.sync_granule, info.max_sync_ops);
	printf("reps: %u (+%u warm-up) for BO-sized work, %u (+%u) for single calls\n",
	       b->heavy.count, b->heavy.warmup, b->light.count, b->light.warmup);
	printf("clock: CLOCK_MONOTONIC on %s; its own cost, %.0f ns, is subtracted from "
	       "each sample\n", m->clocksource, b->timer_overhead);
	printf("times are per call: median, quartiles q1 and q3, min and max\n");
	if (info.coherency == DRM_NCGPU_COHERENCY_IO)
		printf("note: an IO-coherent device does no maintenance; figures are call "
		       "overhead only\n");
	fflush(stdout);
}

static void print_ratios(const struct bench *b)
{
	unsigned int i;

	printf("\nratios (side by side in this run; bench/check.sh has the targets)\n");
	for (i = 0; i < b->nratios; i++)
		printf("  %-46s %.4g\n", b->ratios[i].name, b->ratios[i].value);
	fflush(stdout);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("ncgpu bench: ", stderr);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", bench_usage);
	return TOOL_EXIT_USAGE;
}

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct bench *b, const char **device)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(bench_usage, stdout);
			return TOOL_EXIT_OK;
		} else if (!strcmp(arg, "--quick")) {
			b->quick = true;
		} else if (!strcmp(arg, "--json") || !strcmp(arg, "--device")) {
			if (i + 1 == argc)
				return usage_error("option '%s' needs an argument", arg);
			*(!strcmp(arg, "--json") ? &b->json_path : device) = argv[++i];
		} else if (!strncmp(arg, "--json=", 7)) {
			b->json_path = arg + 7;
		} else if (!strncmp(arg, "--device=", 9)) {
			*device = arg + 9;
		} else {
			return usage_error(arg[0] == '-' ? "unknown option '%s'" :
				"unexpected argument '%s'", arg);
		}
	}
	return -1;
}

static void set_reps(struct bench *b)
{
	b->heavy = b->quick ? (struct reps){ 1, 3 } : (struct reps){ 2, 9 };
	b->light = b->quick ? (struct reps){ 10, 31 } : (struct reps){ 50, 301 };
}

static int run_all(struct bench *b)
{
	static int (*const steps[])(struct bench *b) = {
		bench_memory, bench_sweep, bench_offset, bench_batch, bench_invalidate,
		bench_copy, bench_library, bench_jobs, bench_submit_syncs,
	};
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ret = steps[i](b);
		if (ret)
			return ret;
	}
	return 0;
}

int ncgpu_cmd_bench(int argc, char **argv)
{
	static struct bench b;
	const char *device = NULL;
	struct machine m;
	int ret;

	ret = parse_options(argc, argv, &b, &device);
	if (ret >= 0)
		return ret;
	set_reps(&b);
	ret = tool_open_device(device, &b.dev);
	if (ret)
		return ret;
	b.fd = ncgpu_device_fd(b.dev);
	b.atom = ncgpu_noncoherent_atom_size(b.dev);
	b.timer_overhead = measure_timer_overhead();
	read_machine(&m);
	print_header(&b, &m);

	ret = run_all(&b);
	if (!ret)
		print_ratios(&b);
	if (!ret && b.json_path) {
		ret = write_json(&b, &m);
		if (ret)
			tool_error(b.json_path, ret);
	} else if (ret) {
		tool_error("bench", ret);
	}
	ncgpu_device_close(b.dev);
	return ret ? TOOL_EXIT_FAILURE : TOOL_EXIT_OK;
}
