/* SPDX-License-Identifier: MIT */
/*
 * What the parts of "ncgpu bench" share: the state of a run, the way a
 * suite measures and records its figures, the write-back BOs the suites
 * flush, and the suites themselves, in bench.c's order of running them.
 */
#ifndef NCGPU_TOOL_BENCH_H
#define NCGPU_TOOL_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/utsname.h>

#include "bench_stats.h"
#include "ncgpu.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)

/* The range of the single small flushes that several suites time. */
#define SMALL_RANGE 64ull
/* Time given to a finished job's clean-up before the next sample. */
#define SETTLE_US 1000

#define MAX_RESULTS 64
#define MAX_FIGURES 32

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
	/* Numbers the calls to wb_bo_dirty(). */
	uint64_t seq;
	struct bench_summary results[MAX_RESULTS];
	unsigned int nresults;
	struct figure figures[MAX_FIGURES];
	unsigned int nfigures;
	struct figure ratios[MAX_FIGURES];
	unsigned int nratios;
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

/* Measuring and recording (bench_measure.c) */

/* The median cost of reading the clock twice, which every sample includes. */
double measure_timer_overhead(void);
/* Starts a table of measurements under @title. */
void print_section(const char *title);
/*
 * Runs the @nv variants interleaved, one sample of each per rep, and records
 * and prints the summary of each as a result named after it.
 */
int measure(struct bench *b, const struct variant *v, unsigned int nv, const struct reps *reps);
/* The median of the result @name of @size, 0 if there is none. */
double median_of(const struct bench *b, const char *name, uint64_t size);
/* Records and prints a figure. */
void add_figure(struct bench *b, const char *name, double value);
/* Records @num / @den (0 if @den is not positive); the ratios are printed at the end. */
void add_ratio(struct bench *b, const char *name, double num, double den);
/* Records the ratio of the medians of the results @num and @den, both of @size. */
void add_median_ratio(struct bench *b, const char *name, const char *num, const char *den,
		      uint64_t size);

/* Write-back BOs (bench_bo.c) */

/* A mapped write-back BO. */
struct wb_bo {
	struct ncgpu_bo *bo;
	uint32_t handle;
	uint8_t *map;
	uint64_t size;
};

/* BO_SYNC with @count ops, straight to the kernel: no library queue in between. */
int bo_sync(int fd, const struct drm_ncgpu_bo_sync_op *ops, uint32_t count);
int wb_bo_create(struct bench *b, uint64_t size, struct wb_bo *wb);
void wb_bo_close(struct wb_bo *wb);
/* Makes every granule of the range differ from what it was last synced with. */
void wb_bo_dirty(struct bench *b, const struct wb_bo *wb, uint64_t offset, uint64_t size);
int wb_bo_flush(const struct bench *b, const struct wb_bo *wb, uint32_t type,
		uint64_t offset, uint64_t size);
/* Gives the whole BO a device view, so that no timed call allocates one. */
int wb_bo_populate(struct bench *b, const struct wb_bo *wb);

/* The suites; each prints its section and records its figures and ratios. */

/* The coherence model's memory (bench_memory.c) */
int bench_memory(struct bench *b);
int bench_untouched_flush(struct bench *b);
int bench_small_use(struct bench *b);

/* The cost of BO_SYNC, direct and through libncgpu (bench_sync.c) */
int bench_sweep(struct bench *b);
int bench_offset(struct bench *b);
int bench_batch(struct bench *b);
int bench_invalidate(struct bench *b);
int bench_library(struct bench *b);

/* Engine copies and jobs (bench_jobs.c) */
int bench_copy(struct bench *b);
int bench_jobs(struct bench *b);
int bench_submit_syncs(struct bench *b);

/* What a run ran on, and its report (bench_report.c) */

struct machine {
	struct utsname uts;
	char cpu_model[128];
	char clocksource[32];
	long cpus;
};

void read_machine(struct machine *m);
void print_header(const struct bench *b, const struct machine *m);
void print_ratios(const struct bench *b);
/* Writes every result, figure and ratio as JSON to b->json_path ('-': stdout). */
int write_json(const struct bench *b, const struct machine *m);

#endif /* NCGPU_TOOL_BENCH_H */
