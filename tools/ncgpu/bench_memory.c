// SPDX-License-Identifier: MIT
/*
 * The coherence model's memory: what a fully used BO costs beyond its own
 * pages, and that the memory follows use, read from /proc/meminfo.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define MEMORY_BO_SIZE (64 * MIB)
/* Memory that follows use: one 64 B flush of this never-mapped BO... */
#define UNTOUCHED_BO_SIZE (512 * MIB)
/* ...and 64 B written, flushed and copied by a job from this mapped one. */
#define SMALL_USE_BO_SIZE (256 * MIB)
/* Time given to a finished job's clean-up before memory is measured. */
#define CLEANUP_US 100000
#define SMALL_USE_REPS 5

/* e. Memory overhead of the coherence model */

/* The /proc/meminfo fields the overhead is computed from, in bytes. */
struct meminfo {
	double mem_free;
	double mem_available;
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
		else if (sscanf(line, "MemAvailable: %lf", &kib) == 1)
			m->mem_available = kib * KIB;
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

int bench_memory(struct bench *b)
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

/*
 * /proc/meminfo once the kernel has given back what it keeps for later:
 * empty slabs and caches that an earlier measurement left behind would
 * otherwise be freed in the middle of the next one.
 */
static int read_meminfo_settled(struct meminfo *m)
{
	FILE *f = fopen("/proc/sys/vm/drop_caches", "w");

	if (f) {
		fputs("3", f);
		fclose(f);
	}
	return read_meminfo(m);
}

/* Memory used between @before and @after beyond shmem pages and page tables. */
static double memory_beyond_pages(const struct meminfo *before, const struct meminfo *after)
{
	double used = before->mem_free + before->pcp_free - after->mem_free - after->pcp_free;

	return used - (after->shmem - before->shmem) - (after->page_tables - before->page_tables);
}

/*
 * One 64 B FLUSH of a new, never-mapped write-back BO of 512 MiB. Both of its
 * views are zeros, so the flush has nothing to do: it must neither populate
 * the BO's pages (Shmem) nor allocate model state (MemAvailable).
 */
int bench_untouched_flush(struct bench *b)
{
	struct drm_ncgpu_bo_sync_op op = { .type = DRM_NCGPU_BO_SYNC_FLUSH, .size = SMALL_RANGE };
	struct meminfo before, after;
	struct ncgpu_bo *bo;
	double shmem, available;
	int ret;

	printf("\ne2. 64 B FLUSH of a never-mapped 512 MiB write-back BO\n");
	ret = read_meminfo_settled(&before);
	if (ret)
		return ret;
	ret = ncgpu_bo_create(b->dev, UNTOUCHED_BO_SIZE, DRM_NCGPU_BO_WB_MMAP, &bo);
	if (ret)
		return ret;
	op.handle = ncgpu_bo_handle(bo);
	ret = bo_sync(b->fd, &op, 1);
	if (!ret)
		ret = read_meminfo(&after);
	ncgpu_bo_close(bo);
	if (ret)
		return ret;
	shmem = after.shmem - before.shmem;
	available = before.mem_available - after.mem_available;
	printf("  Shmem grew by %.0f KiB, MemAvailable dropped by %.0f KiB\n", shmem / KIB,
	       available / KIB);
	add_figure(b, "untouched_flush_shmem_bytes", shmem);
	add_figure(b, "untouched_flush_available_bytes", available);
	add_ratio(b, "untouched_flush_shmem_over_1MiB", shmem, MIB);
	add_ratio(b, "untouched_flush_available_over_1MiB", available, MIB);
	return 0;
}

static int copy_wait(struct bench *b, struct ncgpu_bo *dst, const struct wb_bo *src)
{
	struct ncgpu_job job;
	int ret;

	ncgpu_job_init(&job);
	ret = ncgpu_job_copy(&job, dst, 0, src->bo, 0, SMALL_RANGE);
	if (!ret)
		ret = ncgpu_submit(b->dev, &job, 0, 0);
	if (!ret)
		ret = ncgpu_bo_wait(dst, NCGPU_TIMEOUT_INFINITE);
	ncgpu_job_fini(&job);
	return ret;
}

/*
 * A fresh 256 MiB write-back BO, mapped (the mapping pins every page, as the
 * shmem helper does), then 64 B written, flushed and copied by a job to a
 * write-combined BO. The model's memory is what that use costs beyond
 * shmem pages and page tables; the mapping's own cost beyond its pages is
 * reported apart (the shmem helper's page array and shmem's page index; the
 * model attaches there and allocates nothing).
 */
static int small_use_once(struct bench *b, double *model, double *mapping)
{
	struct meminfo before, mapped, after;
	struct ncgpu_bo *wc = NULL;
	struct wb_bo wb;
	void *map;
	int ret;

	ret = read_meminfo_settled(&before);
	if (!ret)
		ret = wb_bo_create(b, SMALL_USE_BO_SIZE, &wb);
	if (ret)
		return ret;
	ret = ncgpu_bo_create(b->dev, sysconf(_SC_PAGESIZE), 0, &wc);
	if (!ret)
		ret = ncgpu_bo_map(wc, &map);
	if (!ret)
		ret = read_meminfo_settled(&mapped);
	if (!ret) {
		wb_bo_dirty(b, &wb, 0, SMALL_RANGE);
		ret = wb_bo_flush(b, &wb, DRM_NCGPU_BO_SYNC_FLUSH, 0, SMALL_RANGE);
	}
	if (!ret)
		ret = copy_wait(b, wc, &wb);
	/* The job's own memory goes in a work item after its fence has signalled. */
	usleep(CLEANUP_US);
	if (!ret)
		ret = read_meminfo_settled(&after);
	ncgpu_bo_close(wc);
	wb_bo_close(&wb);
	if (ret)
		return ret;
	*mapping = memory_beyond_pages(&before, &mapped);
	*model = memory_beyond_pages(&mapped, &after);
	return 0;
}

int bench_small_use(struct bench *b)
{
	double model[SMALL_USE_REPS], mapping[SMALL_USE_REPS];
	struct bench_summary m, o;
	unsigned int i;
	int ret = 0;

	printf("\ne3. 64 B written, flushed and copied from a fresh, mapped 256 MiB write-back BO "
	       "(median of %d)\n", SMALL_USE_REPS);
	for (i = 0; i < SMALL_USE_REPS && !ret; i++)
		ret = small_use_once(b, &model[i], &mapping[i]);
	if (ret)
		return ret;
	bench_summarize(model, SMALL_USE_REPS, &m);
	bench_summarize(mapping, SMALL_USE_REPS, &o);
	printf("  model memory %.1f KiB (%.1f to %.1f); the mapping beyond its pages %.0f KiB\n",
	       m.median / KIB, m.min / KIB, m.max / KIB, o.median / KIB);
	add_figure(b, "small_use_model_bytes", m.median);
	add_figure(b, "small_use_mapping_overhead_bytes", o.median);
	add_ratio(b, "small_use_model_over_64KiB", m.median, 64 * KIB);
	return 0;
}
