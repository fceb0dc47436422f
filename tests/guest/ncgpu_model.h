/* SPDX-License-Identifier: MIT */
/*
 * Reference model of what the CPU and the device observe in an ncgpu BO, from
 * the uAPI contract alone (BO_SYNC, SUBMIT, evict_chaos). A test drives the
 * driver and this model with the same operations and compares every read.
 *
 * A write-back BO on a non-coherent device has two views. CPU accesses use
 * the CPU view, device jobs the device view. A granule is dirty when its CPU
 * view differs from the snapshot taken when it was last synced; only a FLUSH
 * (or a spontaneous eviction) carries dirty granules to the device, only a
 * FLUSH_AND_INVALIDATE carries device data back. Every other BO has one view.
 */
#ifndef NCGPU_MODEL_H
#define NCGPU_MODEL_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncgpu_drm.h"
#include "ncgpu_rand.h"

struct ncgpu_model_bo {
	size_t size;
	size_t granule;
	/* Whether CPU and device views are separate (WB BO, non-coherent device). */
	bool split;
	uint8_t *cpu;
	/* Aliases @cpu when the BO has one view. */
	uint8_t *dev;
	/* CPU view as of each granule's last sync; NULL when the BO has one view. */
	uint8_t *synced;
	/* A job that is not known to have completed uses the BO. */
	bool busy;
};

/* Both views of a new BO read as zero. Returns 0 or -ENOMEM. */
static inline int ncgpu_model_bo_init(struct ncgpu_model_bo *bo, size_t size, size_t granule,
				      bool split)
{
	memset(bo, 0, sizeof(*bo));
	bo->size = size;
	bo->granule = granule;
	bo->split = split;
	bo->cpu = calloc(1, size);
	bo->dev = split ? calloc(1, size) : bo->cpu;
	bo->synced = split ? calloc(1, size) : NULL;
	if (!bo->cpu || !bo->dev || (split && !bo->synced))
		return -ENOMEM;
	return 0;
}

static inline void ncgpu_model_bo_fini(struct ncgpu_model_bo *bo)
{
	if (bo->split) {
		free(bo->dev);
		free(bo->synced);
	}
	free(bo->cpu);
	memset(bo, 0, sizeof(*bo));
}

static inline bool ncgpu_model_granule_dirty(const struct ncgpu_model_bo *bo, size_t g)
{
	size_t off = g * bo->granule;

	return bo->split && memcmp(bo->cpu + off, bo->synced + off, bo->granule);
}

static inline void ncgpu_model_write_back(struct ncgpu_model_bo *bo, size_t g)
{
	size_t off = g * bo->granule;

	memcpy(bo->dev + off, bo->cpu + off, bo->granule);
	memcpy(bo->synced + off, bo->cpu + off, bo->granule);
}

static inline void ncgpu_model_flush_granule(struct ncgpu_model_bo *bo, size_t g)
{
	if (ncgpu_model_granule_dirty(bo, g))
		ncgpu_model_write_back(bo, g);
}

static inline void ncgpu_model_invalidate_granule(struct ncgpu_model_bo *bo, size_t g)
{
	size_t off = g * bo->granule;

	ncgpu_model_flush_granule(bo, g);
	memcpy(bo->cpu + off, bo->dev + off, bo->granule);
	memcpy(bo->synced + off, bo->dev + off, bo->granule);
}

/*
 * One BO_SYNC op that passed validation: acts on every granule intersecting
 * [offset, offset + size) and on no other.
 */
static inline void ncgpu_model_sync(struct ncgpu_model_bo *bo, uint32_t type, uint64_t offset,
				    uint64_t size)
{
	size_t g, first, last;

	if (!bo->split || !size)
		return;
	first = offset / bo->granule;
	last = (offset + size - 1) / bo->granule;
	for (g = first; g <= last; g++) {
		if (type == DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE)
			ncgpu_model_invalidate_granule(bo, g);
		else
			ncgpu_model_flush_granule(bo, g);
	}
}

static inline void ncgpu_model_cpu_write(struct ncgpu_model_bo *bo, uint64_t offset,
					 const void *data, size_t len)
{
	memcpy(bo->cpu + offset, data, len);
}

/* The FILL of a job just queued: the model applies it at once. */
static inline void ncgpu_model_dev_fill(struct ncgpu_model_bo *bo, uint64_t offset,
					uint64_t size, uint64_t value)
{
	uint64_t i;

	for (i = 0; i < size; i++)
		bo->dev[offset + i] = (uint8_t)(value >> (8 * (i % 8)));
	bo->busy = true;
}

/* The COPY of a job just queued: the model applies it at once. */
static inline void ncgpu_model_dev_copy(struct ncgpu_model_bo *dst, uint64_t dst_offset,
					struct ncgpu_model_bo *src, uint64_t src_offset,
					uint64_t size)
{
	memmove(dst->dev + dst_offset, src->dev + src_offset, size);
	dst->busy = true;
	src->busy = true;
}

/* evict_chaos=1000 at a job's completion: every dirty granule is written back. */
static inline void ncgpu_model_evict_all(struct ncgpu_model_bo *bo)
{
	size_t g;

	if (!bo->split)
		return;
	for (g = 0; g < bo->size / bo->granule; g++)
		ncgpu_model_flush_granule(bo, g);
}


/*
 * How a randomized test against the model explains a failure: its seed, its
 * last operations (noted before each runs) and what went wrong.
 */
#define NCGPU_MODEL_HISTORY 32

struct ncgpu_model_log {
	uint64_t seed;
	/* The operation running now. */
	unsigned int op;
	char history[NCGPU_MODEL_HISTORY][128];
	char error[256];
};

/* Records what went wrong in the current operation; returns false. */
static inline bool __attribute__((format(printf, 2, 3)))
ncgpu_model_fail(struct ncgpu_model_log *log, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(log->error, sizeof(log->error), "op %u: ", log->op);

	va_start(ap, fmt);
	vsnprintf(log->error + n, sizeof(log->error) - n, fmt, ap);
	va_end(ap);
	return false;
}

/* Notes what the current operation does, for the history of a failure. */
static inline void __attribute__((format(printf, 2, 3)))
ncgpu_model_note(struct ncgpu_model_log *log, const char *fmt, ...)
{
	char *slot = log->history[log->op % NCGPU_MODEL_HISTORY];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(slot, sizeof(log->history[0]), fmt, ap);
	va_end(ap);
}

static inline void ncgpu_model_dump_history(const struct ncgpu_model_log *log)
{
	unsigned int i, first = log->op >= NCGPU_MODEL_HISTORY ?
				log->op - NCGPU_MODEL_HISTORY + 1 : 0;

	fprintf(stderr, "# seed: %" PRIu64 ", last operations:\n", log->seed);
	for (i = first; i <= log->op; i++)
		fprintf(stderr, "#   %5u %s\n", i, log->history[i % NCGPU_MODEL_HISTORY]);
}

/*
 * Compares @len bytes that the driver showed of BO number @bo (modelled by
 * @ref) at @offset with what the model expects.
 */
static inline bool ncgpu_model_compare(struct ncgpu_model_log *log, const char *what,
				       unsigned int bo, const struct ncgpu_model_bo *ref,
				       uint64_t offset, const uint8_t *seen,
				       const uint8_t *expected, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (seen[i] != expected[i])
			return ncgpu_model_fail(log, "%s of bo %u (%s) [%" PRIu64 ", +%zu): byte %"
						PRIu64 " is 0x%02x, model says 0x%02x", what, bo,
						ref->split ? "wb" : "one-view", offset, len,
						offset + i, seen[i], expected[i]);
	return true;
}

static inline bool ncgpu_model_ranges_overlap(uint64_t a, uint64_t b, uint64_t len)
{
	return len && a < b + len && b < a + len;
}

/*
 * Whether a CPU access of a BO (@ref) gives the same result whenever the
 * pending jobs complete: CPU-view accesses of a BO with two views, writes
 * only without evict_chaos (whose write-backs depend on the dirty state at a
 * job's completion), and anything on a BO no pending job uses.
 */
static inline bool ncgpu_model_cpu_access_commutes(bool jobs_pending,
						   const struct ncgpu_model_bo *ref, bool writes,
						   int evict_chaos)
{
	if (!jobs_pending)
		return true;
	if (!ref->split)
		return !ref->busy;
	return !writes || evict_chaos == 0;
}

/*
 * Runs @ops operations of @random_op on @run (NCGPU_MODEL_OPS=N overrides
 * @ops), then @final_check; stops at the first that fails, with log->op at
 * it, and then dumps the history. Returns whether all matched.
 */
static inline bool ncgpu_model_run_ops(struct ncgpu_model_log *log, unsigned int ops,
				       bool (*random_op)(void *run),
				       bool (*final_check)(void *run), void *run)
{
	bool ok = true;

	ops = ncgpu_env_u64("NCGPU_MODEL_OPS", ops);
	for (log->op = 0; ok && log->op < ops; log->op++)
		ok = random_op(run);
	if (ok)
		ok = final_check(run);
	else
		log->op--;
	if (!ok)
		ncgpu_model_dump_history(log);
	return ok;
}

/* evict_chaos=1000: every line is evicted at every job's completion. */
#define NCGPU_MODEL_CHAOS_ALWAYS 1000
#define NCGPU_MODEL_MAX_BOS 6
#define NCGPU_MODEL_MAX_CPU_ACCESS 300

/*
 * What a randomized run against the model keeps besides the driver's objects:
 * its random stream and log, the device's evict_chaos, whether jobs may
 * still run, and the model and CPU mapping of each of its BOs.
 */
struct ncgpu_model_run {
	uint64_t rng;
	int evict_chaos;
	bool pending;
	unsigned int nbos;
	struct ncgpu_model_bo *bos[NCGPU_MODEL_MAX_BOS];
	uint8_t *maps[NCGPU_MODEL_MAX_BOS];
	struct ncgpu_model_log log;
};

static inline void ncgpu_model_add_bo(struct ncgpu_model_run *run, struct ncgpu_model_bo *ref,
				      uint8_t *map)
{
	run->bos[run->nbos] = ref;
	run->maps[run->nbos] = map;
	run->nbos++;
}

/* What every completed job does on top of its commands. */
static inline void ncgpu_model_job_completion(struct ncgpu_model_run *run)
{
	unsigned int i;

	if (run->evict_chaos != NCGPU_MODEL_CHAOS_ALWAYS)
		return;
	for (i = 0; i < run->nbos; i++)
		ncgpu_model_evict_all(run->bos[i]);
}

/* The driver said every job completed. */
static inline void ncgpu_model_jobs_completed(struct ncgpu_model_run *run)
{
	unsigned int i;

	for (i = 0; i < run->nbos; i++)
		run->bos[i]->busy = false;
	run->pending = false;
}

enum ncgpu_model_cpu_access { NCGPU_MODEL_CPU_READ, NCGPU_MODEL_CPU_WRITE, NCGPU_MODEL_CPU_XOR };

/*
 * A random CPU read, write or xor-modify of up to NCGPU_MODEL_MAX_CPU_ACCESS
 * bytes of a random BO, through its mapping: what it reads must match the
 * model, what it writes goes to both. When the access does not commute with
 * the pending jobs, @wait_idle(@test_run) waits for them first.
 */
static inline bool ncgpu_model_cpu_access(struct ncgpu_model_run *run,
					  bool (*wait_idle)(void *test_run), void *test_run)
{
	static const char *const names[] = { "read", "write", "xor" };
	enum ncgpu_model_cpu_access kind = ncgpu_rand_below(&run->rng, 3);
	unsigned int i = ncgpu_rand_below(&run->rng, run->nbos);
	struct ncgpu_model_bo *ref = run->bos[i];
	uint8_t data[NCGPU_MODEL_MAX_CPU_ACCESS], key = (uint8_t)(ncgpu_rand_next(&run->rng) | 1);
	uint64_t offset = ncgpu_rand_below(&run->rng, ref->size);
	uint64_t len = 1 + ncgpu_rand_below(&run->rng, NCGPU_MODEL_MAX_CPU_ACCESS);
	uint8_t *map = run->maps[i];
	size_t j;

	if (len > ref->size - offset)
		len = ref->size - offset;
	ncgpu_model_note(&run->log, "cpu %s bo %u [%" PRIu64 ", +%" PRIu64 ")%s", names[kind], i,
			 offset, len, run->pending ? " while jobs run" : "");
	if (!ncgpu_model_cpu_access_commutes(run->pending, ref, kind != NCGPU_MODEL_CPU_READ,
					     run->evict_chaos) &&
	    !wait_idle(test_run))
		return false;
	if (kind != NCGPU_MODEL_CPU_WRITE &&
	    !ncgpu_model_compare(&run->log, "cpu read", i, ref, offset, map + offset,
				 ref->cpu + offset, len))
		return false;
	if (kind == NCGPU_MODEL_CPU_READ)
		return true;
	for (j = 0; j < len; j++)
		data[j] = kind == NCGPU_MODEL_CPU_WRITE ? (uint8_t)ncgpu_rand_next(&run->rng) :
			  ref->cpu[offset + j] ^ key;
	memcpy(map + offset, data, len);
	ncgpu_model_cpu_write(ref, offset, data, len);
	return true;
}

#endif /* NCGPU_MODEL_H */
