// SPDX-License-Identifier: MIT
/*
 * ncgpu demo: a guided walkthrough of CPU cache maintenance with libncgpu,
 * for someone who meets a non-coherent device for the first time. Every step
 * checks that the device behaved as the text says; the exit status tells
 * whether all of them did.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "tool.h"

#define SMALL_BO_SIZE 4096u
#define LARGE_BO_SIZE (64ull << 20)
#define SMALL_FLUSH_SIZE 64u
#define FILL_VALUE 0x0123456789abcdefull
#define SHOWN_MISMATCHES 4
#define SHOWN_BYTES 8
#define MAX_DEMO_BOS 3
#define PIPELINE_STAGES 3
#define FIRST_STAGE_STALL_US 100000
#define JOB_TIMEOUT_NS (30ll * 1000000000ll)

static const char *const demo_usage =
	"usage: ncgpu demo [--help] [--device PATH]\n"
	"\n"
	"Walk through CPU cache maintenance on an ncgpu device, step by step:\n"
	"flush before the device reads, what a missing flush looks like,\n"
	"invalidate before the CPU reads, which buffers can be shared, what\n"
	"exact ranges save, and jobs chained through a timeline. Each step checks\n"
	"that the device behaved as described.\n"
	"\n"
	"options:\n"
	"  --device PATH   the DRM node to use, such as /dev/dri/renderD128;\n"
	"                  default: the first render node driven by ncgpu\n"
	"  --help          show this help\n"
	"\n"
	"exit status: 0 every step behaved as expected, 1 a step did not,\n"
	"2 no ncgpu device, 64 usage error\n";

struct demo {
	struct ncgpu_device *dev;
	struct ncgpu_device_info info;
	/* coherency=io: the device snoops the CPU caches. */
	bool coherent;
	uint32_t syncobj;
	unsigned int step;
	/* The BOs of the current step, closed when it ends. */
	struct ncgpu_bo *bos[MAX_DEMO_BOS];
	unsigned int nbos;
};

/* Non-zero everywhere, so that stale zeros always differ from it. */
static uint8_t pattern_byte(size_t i, uint8_t seed)
{
	return (uint8_t)(1 + (i + seed) % 255);
}

static void write_pattern(uint8_t *map, size_t size, uint8_t seed)
{
	size_t i;

	for (i = 0; i < size; i++)
		map[i] = pattern_byte(i, seed);
}

static uint8_t fill_byte(size_t i)
{
	return (uint8_t)(FILL_VALUE >> (8 * (i % 8)));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void format_duration(double s, char *buf, size_t len)
{
	if (s < 1e-3)
		snprintf(buf, len, "%.1f us", s * 1e6);
	else if (s < 1)
		snprintf(buf, len, "%.1f ms", s * 1e3);
	else
		snprintf(buf, len, "%.2f s", s);
}

static void heading(struct demo *d, const char *title, const char *explanation)
{
	printf("\n%u. %s\n\n%s", ++d->step, title, explanation);
}

static bool expected(const char *what)
{
	printf("   -> ok: %s\n", what);
	return true;
}

static bool unexpected(const char *what)
{
	printf("   -> UNEXPECTED: %s\n", what);
	return false;
}

static bool call_failed(const char *what, int err)
{
	/* The error goes to stderr: keep it after what stdout has said so far. */
	fflush(stdout);
	tool_error(what, err);
	return unexpected("a library call failed (see above)");
}

/* Creates a BO that lives until the end of the step, and maps it unless @map is NULL. */
static int demo_bo(struct demo *d, uint64_t size, uint32_t flags, struct ncgpu_bo **bo,
		   uint8_t **map)
{
	void *ptr;
	int ret;

	ret = ncgpu_bo_create(d->dev, size, flags, bo);
	if (ret)
		return ret;
	d->bos[d->nbos++] = *bo;
	if (!map)
		return 0;
	ret = ncgpu_bo_map(*bo, &ptr);
	if (!ret)
		*map = ptr;
	return ret;
}

static void release_bos(struct demo *d)
{
	while (d->nbos)
		ncgpu_bo_close(d->bos[--d->nbos]);
}

static int run_job(struct demo *d, const struct ncgpu_job *job)
{
	int ret = ncgpu_submit(d->dev, job, 0, d->syncobj);

	return ret ? ret : ncgpu_syncobj_wait(d->dev, d->syncobj, JOB_TIMEOUT_NS);
}

static int device_copy(struct demo *d, struct ncgpu_bo *dst, struct ncgpu_bo *src, uint64_t size)
{
	struct ncgpu_job job;
	int ret;

	ncgpu_job_init(&job);
	ret = ncgpu_job_copy(&job, dst, 0, src, 0, size);
	if (!ret)
		ret = run_job(d, &job);
	ncgpu_job_fini(&job);
	return ret;
}

static int device_fill(struct demo *d, struct ncgpu_bo *dst, uint64_t size, uint64_t value)
{
	struct ncgpu_job job;
	int ret;

	ncgpu_job_init(&job);
	ret = ncgpu_job_fill(&job, dst, 0, size, value);
	if (!ret)
		ret = run_job(d, &job);
	ncgpu_job_fini(&job);
	return ret;
}

static int flush_whole(struct demo *d, struct ncgpu_bo *bo)
{
	struct ncgpu_range range = { .bo = bo, .offset = 0, .size = NCGPU_WHOLE_SIZE };

	return ncgpu_flush_ranges(d->dev, &range, 1);
}

static int invalidate_whole(struct demo *d, struct ncgpu_bo *bo)
{
	struct ncgpu_range range = { .bo = bo, .offset = 0, .size = NCGPU_WHOLE_SIZE };

	return ncgpu_invalidate_ranges(d->dev, &range, 1);
}

static size_t count_pattern_mismatches(const uint8_t *seen, size_t size, uint8_t seed)
{
	size_t i, n = 0;

	for (i = 0; i < size; i++)
		n += seen[i] != pattern_byte(i, seed);
	return n;
}

static void show_mismatches(const uint8_t *seen, size_t size, uint8_t seed)
{
	unsigned int shown = 0;
	size_t i;

	printf("        offset  expected  seen\n");
	for (i = 0; i < size && shown < SHOWN_MISMATCHES; i++) {
		if (seen[i] == pattern_byte(i, seed))
			continue;
		printf("      %8zu      0x%02x  0x%02x\n", i, pattern_byte(i, seed), seen[i]);
		shown++;
	}
}

static void show_bytes(const char *label, const uint8_t *map)
{
	unsigned int i;

	printf("   %s", label);
	for (i = 0; i < SHOWN_BYTES; i++)
		printf(" %02x", map[i]);
	printf(" ...\n");
}

static bool step_flush(struct demo *d)
{
	struct ncgpu_bo *cached, *wc;
	uint8_t *src, *dst;
	int ret;

	heading(d, "The CPU writes and flushes, then the device reads",
		"   The CPU writes 4096 bytes into a cached (WB_MMAP) buffer, then calls\n"
		"   ncgpu_flush_ranges() on it so that the bytes leave the CPU cache. The\n"
		"   library sends the flush right before the next submit. The device then\n"
		"   copies the buffer into a write-combined (WC) one, which bypasses the\n"
		"   CPU cache, so the CPU can read the copy without any maintenance.\n\n");
	ret = demo_bo(d, SMALL_BO_SIZE, DRM_NCGPU_BO_WB_MMAP, &cached, &src);
	if (!ret)
		ret = demo_bo(d, SMALL_BO_SIZE, 0, &wc, &dst);
	if (ret)
		return call_failed("creating the buffers", ret);
	write_pattern(src, SMALL_BO_SIZE, 0);
	ret = flush_whole(d, cached);
	if (!ret)
		ret = device_copy(d, wc, cached, SMALL_BO_SIZE);
	if (ret)
		return call_failed("flush and copy", ret);
	if (count_pattern_mismatches(dst, SMALL_BO_SIZE, 0)) {
		show_mismatches(dst, SMALL_BO_SIZE, 0);
		return unexpected("the device did not see what the CPU wrote and flushed");
	}
	return expected("the copy matches all 4096 bytes the CPU wrote");
}

static bool explain_stale_copy(const uint8_t *dst)
{
	size_t bad = count_pattern_mismatches(dst, SMALL_BO_SIZE, 1);

	if (!bad)
		return unexpected("the device saw the CPU's bytes although nobody flushed them");
	printf("   stale data detected: %zu of %u bytes differ from what the CPU wrote\n", bad,
	       SMALL_BO_SIZE);
	show_mismatches(dst, SMALL_BO_SIZE, 1);
	printf("\n   Why: the CPU's writes are still in dirty lines of its cache, and the\n"
	       "   device reads memory, which still holds the old bytes (zeros). On real\n"
	       "   hardware a forgotten flush shows only when a line happens to stay in\n"
	       "   the cache; ncgpu makes it show every time.\n");
	return true;
}

static bool step_missing_flush(struct demo *d)
{
	struct ncgpu_bo *cached, *wc;
	uint8_t *src, *dst;
	int ret;

	heading(d, "The same without the flush",
		"   A fresh cached buffer gets new bytes from the CPU, and the device copies\n"
		"   it into a WC buffer, but this time nobody calls ncgpu_flush_ranges().\n\n");
	ret = demo_bo(d, SMALL_BO_SIZE, DRM_NCGPU_BO_WB_MMAP, &cached, &src);
	if (!ret)
		ret = demo_bo(d, SMALL_BO_SIZE, 0, &wc, &dst);
	if (ret)
		return call_failed("creating the buffers", ret);
	write_pattern(src, SMALL_BO_SIZE, 1);
	ret = device_copy(d, wc, cached, SMALL_BO_SIZE);
	if (ret)
		return call_failed("copy", ret);
	if (d->coherent) {
		printf("   coherency=io: the device snoops the CPU cache, so no flush is needed.\n");
		if (count_pattern_mismatches(dst, SMALL_BO_SIZE, 1))
			return unexpected("an IO-coherent device did not see the CPU's bytes");
		return expected("the copy matches without a flush");
	}
	if (!explain_stale_copy(dst))
		return false;
	ret = flush_whole(d, cached);
	if (!ret)
		ret = device_copy(d, wc, cached, SMALL_BO_SIZE);
	if (ret)
		return call_failed("flush and copy", ret);
	if (count_pattern_mismatches(dst, SMALL_BO_SIZE, 1))
		return unexpected("the copy is still stale after the flush");
	return expected("stale without the flush; with it, the same copy matches");
}

static bool fill_matches(const uint8_t *map, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++) {
		if (map[i] != fill_byte(i))
			return false;
	}
	return true;
}

static bool step_invalidate(struct demo *d)
{
	struct ncgpu_bo *cached;
	uint8_t *map;
	int ret;

	heading(d, "The device writes, the CPU invalidates and reads",
		"   The device fills a cached buffer with the 64-bit pattern\n"
		"   0x0123456789abcdef. Once the job has finished, the CPU calls\n"
		"   ncgpu_invalidate_ranges() before reading: it drops the CPU's cached\n"
		"   copy of those lines, so that the next reads fetch what the device wrote.\n\n");
	ret = demo_bo(d, SMALL_BO_SIZE, DRM_NCGPU_BO_WB_MMAP, &cached, &map);
	if (!ret)
		ret = device_fill(d, cached, SMALL_BO_SIZE, FILL_VALUE);
	if (ret)
		return call_failed("fill", ret);
	if (d->coherent) {
		printf("   coherency=io: the CPU cache is kept coherent, so the invalidate is\n"
		       "   a no-op and the CPU reads the device's bytes at once.\n");
	} else {
		show_bytes("without the invalidate the CPU reads:", map);
		if (fill_matches(map, SMALL_BO_SIZE))
			return unexpected("the CPU saw the device's bytes without an invalidate");
		printf("   (stale: its cache still holds the buffer's old contents)\n");
	}
	ret = invalidate_whole(d, cached);
	if (ret)
		return call_failed("invalidate", ret);
	show_bytes("after the invalidate the CPU reads:  ", map);
	if (!fill_matches(map, SMALL_BO_SIZE))
		return unexpected("the CPU does not see the device's bytes after the invalidate");
	return expected("after the invalidate the CPU reads all 4096 bytes the device wrote");
}

/* Exports @bo; true when it behaved as @shareable says it should. */
static bool try_export(struct ncgpu_bo *bo, const char *kind, bool shareable)
{
	int fd, ret = ncgpu_bo_export(bo, &fd);

	if (!ret) {
		printf("   export of the %s buffer: dma-buf fd %d\n", kind, fd);
		close(fd);
		return shareable;
	}
	if (shareable || ret != -EINVAL) {
		tool_error("export", ret);
		return false;
	}
	printf("   export of the %s buffer refused with EINVAL\n", kind);
	return true;
}

static bool step_export(struct demo *d)
{
	struct ncgpu_bo *cached, *wc;
	bool ok;
	int ret;

	heading(d, "Sharing: only write-combined buffers are exported",
		"   A driver that imports a buffer through dma-buf knows nothing of this\n"
		"   process's cache maintenance. So on a non-coherent device ncgpu exports\n"
		"   write-combined buffers only, and exporting a cached one fails with EINVAL.\n\n");
	ret = demo_bo(d, SMALL_BO_SIZE, DRM_NCGPU_BO_WB_MMAP, &cached, NULL);
	if (!ret)
		ret = demo_bo(d, SMALL_BO_SIZE, 0, &wc, NULL);
	if (ret)
		return call_failed("creating the buffers", ret);
	if (d->coherent)
		printf("   coherency=io: every buffer is cached and every buffer can be shared.\n");
	ok = try_export(cached, "cached", d->coherent);
	ok = try_export(wc, d->coherent ? "other (cached too, on this device)" : "write-combined",
			true) && ok;
	if (!ok)
		return unexpected("the export policy did not hold");
	return expected(d->coherent ? "both buffers are exported" :
				      "the cached buffer is refused, the WC one is exported");
}

/* Flushes the first @size bytes of @bo and sends the flush; returns the time it took. */
static int timed_flush(struct demo *d, struct ncgpu_bo *bo, uint64_t size, double *seconds)
{
	struct ncgpu_range range = { .bo = bo, .offset = 0, .size = size };
	double start = now_s();
	int ret;

	ret = ncgpu_flush_ranges(d->dev, &range, 1);
	if (!ret)
		ret = ncgpu_flush_pending(d->dev);
	*seconds = now_s() - start;
	return ret;
}

static void print_flush_times(const struct demo *d, uint64_t size, double small, double whole)
{
	char small_text[32], whole_text[32];

	format_duration(small, small_text, sizeof(small_text));
	format_duration(whole, whole_text, sizeof(whole_text));
	printf("   flush of %u bytes:   %12s\n", SMALL_FLUSH_SIZE, small_text);
	printf("   flush of %3" PRIu64 " MiB:    %12s\n", size >> 20, whole_text);
	if (d->coherent)
		printf("   coherency=io: the library skips both flushes, so both cost next to\n"
		       "   nothing.\n");
	else if (small > 0)
		printf("   the whole buffer took %.0f times as long\n", whole / small);
}

static bool step_exact_ranges(struct demo *d)
{
	uint64_t size = LARGE_BO_SIZE < d->info.max_bo_size ? LARGE_BO_SIZE : d->info.max_bo_size;
	double small, whole;
	struct ncgpu_bo *cached;
	uint8_t *map;
	int ret;

	heading(d, "Exact ranges: 64 bytes are not 64 MiB",
		"   Maintenance costs time in proportion to the range. The CPU dirties a\n"
		"   whole 64 MiB cached buffer, then flushes 64 bytes of it, then all of it,\n"
		"   each timed with clock_gettime(). A driver that flushes only what it\n"
		"   wrote saves the difference. (A demonstration, not a benchmark.)\n\n");
	ret = demo_bo(d, size, DRM_NCGPU_BO_WB_MMAP, &cached, &map);
	if (ret)
		return call_failed("creating the buffer", ret);
	memset(map, 0xa5, size);
	ret = timed_flush(d, cached, SMALL_FLUSH_SIZE, &small);
	if (!ret)
		ret = timed_flush(d, cached, NCGPU_WHOLE_SIZE, &whole);
	if (ret)
		return call_failed("flush", ret);
	print_flush_times(d, size, small, whole);
	return expected("both flushes succeeded");
}

/*
 * Stage i (from 0) waits for point i of @timeline (the first waits for
 * nothing), fills bos[0] or copies bos[i - 1] into bos[i], and signals
 * point i + 1.
 */
static int submit_stage(struct demo *d, uint32_t timeline, struct ncgpu_bo **bos, unsigned int i)
{
	struct ncgpu_job job;
	int ret;

	ncgpu_job_init(&job);
	if (i) {
		ret = ncgpu_job_add_wait(&job, timeline, i);
		if (!ret)
			ret = ncgpu_job_copy(&job, bos[i], 0, bos[i - 1], 0, SMALL_BO_SIZE);
	} else {
		/* A slow first job, so that the others wait behind it for a while. */
		ret = ncgpu_job_stall(&job, FIRST_STAGE_STALL_US);
		if (!ret)
			ret = ncgpu_job_fill(&job, bos[0], 0, SMALL_BO_SIZE, FILL_VALUE);
	}
	if (!ret)
		ret = ncgpu_job_add_signal(&job, timeline, i + 1);
	if (!ret)
		ret = ncgpu_job_submit(d->dev, &job);
	ncgpu_job_fini(&job);
	return ret;
}

/* Submits every stage, then waits for the last point alone. */
static int run_pipeline(struct demo *d, uint32_t timeline, struct ncgpu_bo **bos,
			uint64_t *queued, uint64_t *done)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < PIPELINE_STAGES && !ret; i++)
		ret = submit_stage(d, timeline, bos, i);
	if (!ret)
		ret = ncgpu_timeline_query(d->dev, timeline, queued);
	if (!ret)
		ret = ncgpu_timeline_wait(d->dev, timeline, PIPELINE_STAGES, JOB_TIMEOUT_NS);
	if (!ret)
		ret = ncgpu_timeline_query(d->dev, timeline, done);
	return ret;
}

static bool step_timeline(struct demo *d)
{
	struct ncgpu_bo *bos[PIPELINE_STAGES];
	uint64_t queued, done;
	uint8_t *last = NULL;
	uint32_t timeline;
	unsigned int i;
	int ret = 0;

	heading(d, "A timeline: three jobs chained through points 1, 2 and 3",
		"   A Vulkan timeline semaphore is a DRM timeline syncobj: a counter that\n"
		"   only grows. Three jobs are submitted at once. The first fills a buffer\n"
		"   and signals point 1; the second waits for point 1, copies that buffer\n"
		"   into a second one and signals point 2; the third waits for point 2,\n"
		"   copies on into a third buffer and signals point 3. The CPU then waits\n"
		"   for point 3 alone (ncgpu_timeline_wait()).\n\n");
	/* Only the last buffer is read, by the CPU. */
	for (i = 0; i + 1 < PIPELINE_STAGES && !ret; i++)
		ret = demo_bo(d, SMALL_BO_SIZE, 0, &bos[i], NULL);
	if (!ret)
		ret = demo_bo(d, SMALL_BO_SIZE, 0, &bos[i], &last);
	if (ret)
		return call_failed("creating the buffers", ret);
	ret = ncgpu_timeline_create(d->dev, &timeline);
	if (ret)
		return call_failed("creating the timeline", ret);
	ret = run_pipeline(d, timeline, bos, &queued, &done);
	ncgpu_syncobj_destroy(d->dev, timeline);
	if (ret)
		return call_failed("the pipeline", ret);
	printf("   right after the three submits the timeline was at point %" PRIu64 "\n", queued);
	printf("   after the wait for point 3 it is at point %" PRIu64 "\n", done);
	if (done != PIPELINE_STAGES || !fill_matches(last, SMALL_BO_SIZE))
		return unexpected("point 3 signalled before the third buffer had the data");
	return expected("the third buffer holds the first job's fill, passed on by the others");
}

static void introduce(struct demo *d)
{
	char path[256];

	tool_device_path(d->dev, path, sizeof(path));
	printf("ncgpu demo: CPU cache maintenance with libncgpu\n"
	       "device %s: coherency %s%s, sync granule %" PRIu32 " bytes\n\n", path,
	       d->coherent ? "io" : "none", d->info.emulated ? " (emulated)" : "",
	       d->info.sync_granule);
	if (d->coherent) {
		printf("This device is IO-coherent: it snoops the CPU caches, so no buffer ever\n"
		       "needs maintenance, and the library skips every flush and invalidate.\n"
		       "The steps show that the data arrives anyway.\n");
		return;
	}
	printf("This device does not snoop the CPU caches. A buffer the CPU maps cached\n"
	       "(write-back) therefore needs explicit maintenance, as Vulkan's\n"
	       "vkFlushMappedMemoryRanges and vkInvalidateMappedMemoryRanges: flush\n"
	       "after the CPU wrote, invalidate before the CPU reads what the device\n"
	       "wrote. Write-combined buffers bypass the cache and need none, but CPU\n"
	       "reads of them are slow.\n");
}

static bool (*const steps[])(struct demo *d) = {
	step_flush, step_missing_flush, step_invalidate, step_export, step_exact_ranges,
	step_timeline,
};

#define STEP_COUNT (sizeof(steps) / sizeof(steps[0]))

static unsigned int run_steps(struct demo *d)
{
	unsigned int i, failed = 0;

	for (i = 0; i < STEP_COUNT; i++) {
		failed += !steps[i](d);
		release_bos(d);
		fflush(stdout);
	}
	return failed;
}

int ncgpu_cmd_demo(int argc, char **argv)
{
	struct tool_options opts;
	struct demo d = { 0 };
	unsigned int failed;
	int status, ret;

	if (!tool_parse_options(argc, argv, demo_usage, &opts, &status))
		return status;
	status = tool_open_device(opts.device, &d.dev);
	if (status)
		return status;
	ncgpu_device_info(d.dev, &d.info);
	d.coherent = d.info.coherency == DRM_NCGPU_COHERENCY_IO;
	ret = ncgpu_syncobj_create(d.dev, &d.syncobj);
	if (ret) {
		tool_error("creating a syncobj", ret);
		ncgpu_device_close(d.dev);
		return TOOL_EXIT_FAILURE;
	}
	introduce(&d);
	failed = run_steps(&d);
	ncgpu_syncobj_destroy(d.dev, d.syncobj);
	ncgpu_device_close(d.dev);
	if (failed) {
		printf("\n%u of %zu steps did not behave as expected.\n", failed, STEP_COUNT);
		return TOOL_EXIT_FAILURE;
	}
	printf("\nAll %zu steps behaved as expected.\n", STEP_COUNT);
	return TOOL_EXIT_OK;
}
