// SPDX-License-Identifier: MIT
/*
 * The engine and jobs: copy throughput, an empty job's round trip, jobs
 * pipelined against waited for one by one, and what sync ops add to SUBMIT.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "bench.h"

#define COPY_SIZE (16 * MIB)

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

int bench_copy(struct bench *b)
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

int bench_jobs(struct bench *b)
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
	add_median_ratio(b, "pipelined_over_serial_jobs", "empty_jobs_pipelined_1000",
			 "empty_jobs_serial_1000", 0);
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
	ret = drmIoctl(b->fd, DRM_IOCTL_NCGPU_SUBMIT, &args) ? -errno : 0;
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
		ret = drmIoctl(b->fd, SUBMIT_V1_1, &old) ? -errno : 0;
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
	add_median_ratio(b, name, variant, "submit_empty_32_bytes", 0);
}

int bench_submit_syncs(struct bench *b)
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
