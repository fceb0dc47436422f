// SPDX-License-Identifier: MIT
/*
 * The coherence model as userspace sees it. On a non-coherent device a
 * write-back BO has a CPU view and a device view: CPU writes reach the device
 * only through a FLUSH of their granule, device writes reach the CPU only
 * through a FLUSH_AND_INVALIDATE, and both act on exactly the granules their
 * range touches. Every test that shows data arriving has a twin showing it
 * does not arrive without the sync, so a driver that is coherent by accident
 * fails.
 *
 * The device view is read by a COPY into a write-combined probe BO. That COPY
 * is always the first job after the CPU writes it checks, so the results hold
 * with evict_chaos too: a spontaneous write-back happens only at a job's
 * completion, after the job has read its sources.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "ncgpu_test.h"

#define FLUSH DRM_NCGPU_BO_SYNC_FLUSH
#define FLUSH_INV DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE
#define FILL_VALUE 0xf7e6d5c4b3a29180ull
#define SEC NCGPU_TEST_NSEC_PER_SEC
#define CHAOS_ALWAYS 1000
/*
 * How long FLUSH_AND_INVALIDATE calls race a store loop, and how many at
 * least, unless that takes longer than RACE_MAX_NS (a KASAN kernel on a
 * loaded host). Under emulation on a loaded host the two CPUs of the guest
 * run at once only now and then; the chance to catch a lost store grows with
 * time.
 */
#define RACE_NS (2 * SEC)
#define RACE_MAX_NS (20 * SEC)
#define RACE_MIN_SYNCS 20000
#define RACE_TIMEOUT_S 60

FIXTURE(coherence) {
	/* Its write-back BO holds at least eight granules. */
	struct ncgpu_wb_fixture base;
	int evict_chaos;
	/* A write-combined BO of the same size. */
	struct ncgpu_mapped_bo wc;
};

FIXTURE_SETUP(coherence)
{
	ncgpu_wb_fixture_setup(_metadata, &self->base, 8);
	self->evict_chaos = ncgpu_evict_chaos();
	ASSERT_LE(0, self->evict_chaos);
	ASSERT_EQ(0, ncgpu_mapped_bo_create(self->base.fd, self->base.wb.size, 0, &self->wc));
}

FIXTURE_TEARDOWN(coherence)
{
	close(self->base.fd);
}

#define REQUIRE_SPLIT_VIEWS() do { \
	if (!self->base.split) \
		SKIP(return, "IO-coherent device: write-back BOs have one view"); \
} while (0)

static int sync_one(FIXTURE_DATA(coherence) *self, uint32_t type, uint64_t offset,
		    uint64_t size)
{
	return __ncgpu_bo_sync_range(self->base.fd, self->base.wb.handle, type, offset, size);
}

static uint8_t *granule_at(const FIXTURE_DATA(coherence) *self, uint8_t *map, size_t g)
{
	return map + g * self->base.granule;
}

/* Whether granule @g of @map holds @value in every byte. */
static bool granule_is(const FIXTURE_DATA(coherence) *self, uint8_t *map, size_t g,
		       uint8_t value)
{
	return ncgpu_bytes_equal(granule_at(self, map, g), value, self->base.granule);
}

static bool granule_is_filled(const FIXTURE_DATA(coherence) *self, uint8_t *map, size_t g)
{
	return ncgpu_is_filled(granule_at(self, map, g), FILL_VALUE, self->base.granule);
}

static int fill_granules(FIXTURE_DATA(coherence) *self, size_t first, size_t count)
{
	return ncgpu_fill_wait(self->base.fd, self->base.wb.handle, first * self->base.granule,
			       count * self->base.granule, FILL_VALUE);
}

/* CPU-writes @value into granules first..first+count-1 of the WB BO. */
static void cpu_write_granules(FIXTURE_DATA(coherence) *self, size_t first, size_t count,
			       uint8_t value)
{
	memset(granule_at(self, self->base.wb.map, first), value, count * self->base.granule);
}

TEST_F(coherence, cpu_write_without_flush_is_not_seen_by_device)
{
	REQUIRE_SPLIT_VIEWS();
	memset(self->base.wb.map, 0xa5, self->base.wb.size);
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	ASSERT_TRUE(ncgpu_bytes_equal(self->base.probe.map, 0, self->base.wb.size));
}

TEST_F(coherence, cpu_write_with_flush_is_seen_by_device)
{
	memset(self->base.wb.map, 0xa5, self->base.wb.size);
	ASSERT_EQ(0, sync_one(self, FLUSH, 0, self->base.wb.size));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	ASSERT_TRUE(ncgpu_bytes_equal(self->base.probe.map, 0xa5, self->base.wb.size));
}

TEST_F(coherence, device_write_without_invalidate_is_not_seen_by_cpu)
{
	REQUIRE_SPLIT_VIEWS();
	ASSERT_EQ(0, ncgpu_fill_wait(self->base.fd, self->base.wb.handle, 0, self->base.wb.size,
				     FILL_VALUE));
	ASSERT_TRUE(ncgpu_bytes_equal(self->base.wb.map, 0, self->base.wb.size));
	/* Control: the device did write. */
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	ASSERT_TRUE(ncgpu_is_filled(self->base.probe.map, FILL_VALUE, self->base.wb.size));
}

TEST_F(coherence, device_write_with_flush_and_invalidate_is_seen_by_cpu)
{
	ASSERT_EQ(0, ncgpu_fill_wait(self->base.fd, self->base.wb.handle, 0, self->base.wb.size,
				     FILL_VALUE));
	ASSERT_EQ(0, sync_one(self, FLUSH_INV, 0, self->base.wb.size));
	ASSERT_TRUE(ncgpu_is_filled(self->base.wb.map, FILL_VALUE, self->base.wb.size));
}

TEST_F(coherence, one_byte_flush_at_unaligned_offset_affects_one_granule)
{
	size_t g = self->base.granule;

	REQUIRE_SPLIT_VIEWS();
	cpu_write_granules(self, 1, 1, 0x11);
	cpu_write_granules(self, 2, 1, 0x22);
	cpu_write_granules(self, 3, 1, 0x33);
	ASSERT_EQ(0, sync_one(self, FLUSH, 2 * g + g / 2 + 1, 1));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	EXPECT_TRUE(granule_is(self, self->base.probe.map, 1, 0));
	EXPECT_TRUE(granule_is(self, self->base.probe.map, 2, 0x22));
	EXPECT_TRUE(granule_is(self, self->base.probe.map, 3, 0));
}

TEST_F(coherence, flush_straddling_a_boundary_affects_two_granules)
{
	size_t g = self->base.granule;

	REQUIRE_SPLIT_VIEWS();
	cpu_write_granules(self, 1, 1, 0x11);
	cpu_write_granules(self, 2, 1, 0x22);
	cpu_write_granules(self, 3, 1, 0x33);
	cpu_write_granules(self, 4, 1, 0x44);
	ASSERT_EQ(0, sync_one(self, FLUSH, 3 * g - 1, 2));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	EXPECT_TRUE(granule_is(self, self->base.probe.map, 1, 0));
	EXPECT_TRUE(granule_is(self, self->base.probe.map, 2, 0x22));
	EXPECT_TRUE(granule_is(self, self->base.probe.map, 3, 0x33));
	EXPECT_TRUE(granule_is(self, self->base.probe.map, 4, 0));
}

TEST_F(coherence, flush_writes_back_every_byte_of_the_granule)
{
	uint8_t *cpu = granule_at(self, self->base.wb.map, 2);
	size_t i, g = self->base.granule;

	for (i = 0; i < g; i++)
		cpu[i] = (uint8_t)(i * 3 + 1);
	ASSERT_EQ(0, sync_one(self, FLUSH, 3 * g - 1, 1));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	ASSERT_EQ(0, memcmp(granule_at(self, self->base.probe.map, 2), cpu, g));
}

/*
 * Granule 1 gets a pattern and is flushed; then only byte @at of it changes
 * and the granule is synced with @type again. The device view lands in the
 * probe. A model that compares only part of a granule misses the change.
 */
static int sync_after_changing_one_byte(FIXTURE_DATA(coherence) *self, size_t at,
					uint32_t type)
{
	uint8_t *cpu = granule_at(self, self->base.wb.map, 1);
	size_t i, g = self->base.granule;
	int ret;

	for (i = 0; i < g; i++)
		cpu[i] = (uint8_t)(i * 7 + 3);
	ret = sync_one(self, FLUSH, g, g);
	if (ret)
		return ret;
	cpu[at] ^= 0x5a;
	ret = sync_one(self, type, g, g);
	return ret ? ret : ncgpu_read_device_view(&self->base);
}

static bool device_granule_matches_cpu(FIXTURE_DATA(coherence) *self, size_t g)
{
	return !memcmp(granule_at(self, self->base.probe.map, g), granule_at(self,
									     self->base.wb.map, g),
		       self->base.granule);
}

TEST_F(coherence, flush_writes_back_a_change_of_only_the_last_byte)
{
	ASSERT_EQ(0, sync_after_changing_one_byte(self, self->base.granule - 1, FLUSH));
	ASSERT_TRUE(device_granule_matches_cpu(self, 1));
}

TEST_F(coherence, flush_writes_back_a_change_of_only_a_middle_byte)
{
	ASSERT_EQ(0, sync_after_changing_one_byte(self, self->base.granule / 2 + 3, FLUSH));
	ASSERT_TRUE(device_granule_matches_cpu(self, 1));
}

TEST_F(coherence, flush_writes_back_a_change_of_only_the_first_byte)
{
	ASSERT_EQ(0, sync_after_changing_one_byte(self, 0, FLUSH));
	ASSERT_TRUE(device_granule_matches_cpu(self, 1));
}

/* The invalidation must not reload the device's old byte over the change either. */
TEST_F(coherence, flush_and_invalidate_keeps_a_change_of_only_the_last_byte)
{
	uint8_t changed = (uint8_t)((self->base.granule - 1) * 7 + 3) ^ 0x5a;

	ASSERT_EQ(0, sync_after_changing_one_byte(self, self->base.granule - 1, FLUSH_INV));
	ASSERT_EQ(changed, granule_at(self, self->base.wb.map, 1)[self->base.granule - 1]);
	ASSERT_TRUE(device_granule_matches_cpu(self, 1));
}

TEST_F(coherence, flush_of_partly_written_granule_overwrites_device_data)
{
	size_t g = self->base.granule;
	uint8_t *dev = granule_at(self, self->base.probe.map, 1);

	REQUIRE_SPLIT_VIEWS();
	ASSERT_EQ(0, fill_granules(self, 1, 1));
	granule_at(self, self->base.wb.map, 1)[5] = 0x77;
	ASSERT_EQ(0, sync_one(self, FLUSH, g + 5, 1));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	/* A line write-back carries the CPU's stale bytes too, as a real cache does. */
	ASSERT_EQ(0x77, dev[5]);
	ASSERT_TRUE(ncgpu_bytes_equal(dev, 0, 5));
	ASSERT_TRUE(ncgpu_bytes_equal(dev + 6, 0, g - 6));
}

TEST_F(coherence, flush_of_clean_granule_keeps_device_data)
{
	REQUIRE_SPLIT_VIEWS();
	ASSERT_EQ(0, fill_granules(self, 1, 1));
	cpu_write_granules(self, 2, 1, 0x22);
	ASSERT_EQ(0, sync_one(self, FLUSH, 0, self->base.wb.size));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	EXPECT_TRUE(granule_is_filled(self, self->base.probe.map, 1));
	EXPECT_TRUE(granule_is(self, self->base.probe.map, 2, 0x22));
}

TEST_F(coherence, flush_and_invalidate_of_one_granule_keeps_neighbours_stale)
{
	size_t g = self->base.granule;

	REQUIRE_SPLIT_VIEWS();
	ASSERT_EQ(0, fill_granules(self, 1, 3));
	ASSERT_EQ(0, sync_one(self, FLUSH_INV, 2 * g + 3, 1));
	EXPECT_TRUE(granule_is(self, self->base.wb.map, 1, 0));
	EXPECT_TRUE(granule_is_filled(self, self->base.wb.map, 2));
	EXPECT_TRUE(granule_is(self, self->base.wb.map, 3, 0));
}

TEST_F(coherence, flush_and_invalidate_of_dirty_granule_keeps_cpu_data)
{
	size_t g = self->base.granule;

	ASSERT_EQ(0, fill_granules(self, 1, 1));
	cpu_write_granules(self, 1, 1, 0x5c);
	ASSERT_EQ(0, sync_one(self, FLUSH_INV, g, g));
	EXPECT_TRUE(granule_is(self, self->base.wb.map, 1, 0x5c));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	EXPECT_TRUE(granule_is(self, self->base.probe.map, 1, 0x5c));
}

/* A thread storing to one word while FLUSH_AND_INVALIDATE runs on its granule. */
struct store_race {
	volatile uint64_t *word;
	/* Sync calls made so far, for the storer to pace itself. */
	atomic_uint syncs;
	atomic_bool stop;
	atomic_bool lost;
	/* The last value stored, and what the word held instead when a store was lost. */
	uint64_t last;
	uint64_t seen;
	/* Seed of the storer's random pauses. */
	uint64_t seed;
};

/* Keeps the calling thread on @cpu, if there is one: the race needs two CPUs at once. */
static void stay_on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Nothing else writes the word but an invalidation, which may only reload
 * what the word held when it was written back, and that is the last store:
 * any other value means a store was overwritten.
 */
static bool last_store_is_there(struct store_race *r)
{
	uint64_t now = *r->word;

	if (now == r->last)
		return true;
	r->seen = now;
	atomic_store(&r->lost, true);
	return false;
}

/*
 * Stores 1, 2, 3... at random moments, about once per sync call, watching
 * the word in between. So the granule is often clean when a call reads it,
 * and a store then lands at any point of the call, the invalidation
 * included.
 */
static void *store_in_a_loop(void *arg)
{
	struct store_race *r = arg;
	uint64_t rng = r->seed, delay = 64, wait, n;
	unsigned int syncs = 0, now;

	stay_on_cpu(1);
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		wait = ncgpu_rand_below(&rng, 2 * delay + 1);
		for (n = 0; n < wait; n++)
			if (!last_store_is_there(r))
				return NULL;
		if (!last_store_is_there(r))
			return NULL;
		*r->word = ++r->last;
		now = atomic_load_explicit(&r->syncs, memory_order_relaxed);
		if (now == syncs && delay < (1u << 20))
			delay *= 2;
		else if (now - syncs > 1 && delay > 1)
			delay /= 2;
		syncs = now;
	}
	return NULL;
}

/*
 * A real clean-and-invalidate of a line is one step: a store lands either
 * before it, and is written back and read again, or after it, and stays in
 * the cache as dirty data. Either way the CPU keeps it, and the device gets
 * it with the next flush.
 */
TEST_F_TIMEOUT(coherence, store_racing_flush_and_invalidate_is_never_lost, RACE_TIMEOUT_S)
{
	struct store_race race = {
		.word = (volatile uint64_t *)granule_at(self, self->base.wb.map, 1),
		.seed = ncgpu_test_seed(),
	};
	int64_t start = ncgpu_now_ns(), now = start;
	size_t g = self->base.granule;
	pthread_t storer;
	int i, ret = 0;

	REQUIRE_SPLIT_VIEWS();
	stay_on_cpu(0);
	ASSERT_EQ(0, pthread_create(&storer, NULL, store_in_a_loop, &race));
	for (i = 0; (i < RACE_MIN_SYNCS || now - start < RACE_NS) && now - start < RACE_MAX_NS &&
	     !ret && !atomic_load(&race.lost); i++) {
		atomic_fetch_add_explicit(&race.syncs, 1, memory_order_relaxed);
		ret = sync_one(self, FLUSH_INV, g, g);
		now = ncgpu_now_ns();
	}
	atomic_store(&race.stop, true);
	pthread_join(storer, NULL);
	ASSERT_EQ(0, ret);
	ASSERT_FALSE(atomic_load(&race.lost))
		TH_LOG("seed %llu: after %d FLUSH_AND_INVALIDATE calls, store %llu was overwritten with %llu",
		       (unsigned long long)race.seed, i, (unsigned long long)race.last,
		       (unsigned long long)race.seen);
	ASSERT_EQ(race.last, *race.word);
	/* The stores after the last invalidation are dirty: the flush writes them back. */
	ASSERT_EQ(0, sync_one(self, FLUSH, g, g));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	ASSERT_TRUE(device_granule_matches_cpu(self, 1));
}

TEST_F(coherence, cpu_and_device_use_disjoint_granules_at_once)
{
	size_t g = self->base.granule;
	struct drm_ncgpu_cmd job[2] = {
		ncgpu_cmd_stall(300000),
		ncgpu_cmd_fill(self->base.wb.handle, g, g, FILL_VALUE),
	};
	struct drm_ncgpu_bo_sync_op both[2] = {
		{ .handle = self->base.wb.handle, .type = FLUSH_INV, .offset = g, .size = g },
		{ .handle = self->base.wb.handle, .type = FLUSH_INV, .offset = 3 * g, .size = g },
	};

	ASSERT_EQ(0, __ncgpu_submit(self->base.fd, job, 2, 0, 0));
	ASSERT_EQ(-EBUSY, __ncgpu_bo_wait(self->base.fd, self->base.wb.handle, 0));
	cpu_write_granules(self, 3, 1, 0x3b);
	ASSERT_EQ(0, sync_one(self, FLUSH, 3 * g, g));
	/* The CPU did its part while the job was running. */
	ASSERT_EQ(-EBUSY, __ncgpu_bo_wait(self->base.fd, self->base.wb.handle, 0));
	ASSERT_EQ(0, ncgpu_bo_wait_for(self->base.fd, self->base.wb.handle, 5 * SEC));
	ASSERT_EQ(0, __ncgpu_bo_sync(self->base.fd, both, 2));
	EXPECT_TRUE(granule_is_filled(self, self->base.wb.map, 1));
	EXPECT_TRUE(granule_is(self, self->base.wb.map, 3, 0x3b));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	EXPECT_TRUE(granule_is_filled(self, self->base.probe.map, 1));
	EXPECT_TRUE(granule_is(self, self->base.probe.map, 3, 0x3b));
}

TEST_F(coherence, write_combined_cpu_write_is_seen_by_device_without_sync)
{
	memset(self->wc.map, 0x6b, self->wc.size);
	ASSERT_EQ(0, ncgpu_copy_wait(self->base.fd, self->base.probe.handle, 0, self->wc.handle, 0,
				     self->wc.size));
	ASSERT_TRUE(ncgpu_bytes_equal(self->base.probe.map, 0x6b, self->wc.size));
}

TEST_F(coherence, write_combined_device_write_is_seen_by_cpu_without_sync)
{
	ASSERT_EQ(0, ncgpu_fill_wait(self->base.fd, self->wc.handle, 0, self->wc.size, FILL_VALUE));
	ASSERT_TRUE(ncgpu_is_filled(self->wc.map, FILL_VALUE, self->wc.size));
}

TEST_F(coherence, io_coherent_cpu_write_is_seen_by_device_without_sync)
{
	if (self->base.split)
		SKIP(return, "device is not IO-coherent");
	memset(self->base.wb.map, 0x6b, self->base.wb.size);
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	ASSERT_TRUE(ncgpu_bytes_equal(self->base.probe.map, 0x6b, self->base.wb.size));
}

TEST_F(coherence, io_coherent_device_write_is_seen_by_cpu_without_sync)
{
	if (self->base.split)
		SKIP(return, "device is not IO-coherent");
	ASSERT_EQ(0, ncgpu_fill_wait(self->base.fd, self->base.wb.handle, 0, self->base.wb.size,
				     FILL_VALUE));
	ASSERT_TRUE(ncgpu_is_filled(self->base.wb.map, FILL_VALUE, self->base.wb.size));
}

/* A job that does not touch the WB BO, so only an eviction can change its device view. */
static int run_unrelated_job(FIXTURE_DATA(coherence) *self)
{
	return ncgpu_fill_wait(self->base.fd, self->wc.handle, 0, self->wc.size, 1);
}

TEST_F(coherence, no_spontaneous_write_back_without_evict_chaos)
{
	REQUIRE_SPLIT_VIEWS();
	if (self->evict_chaos)
		SKIP(return, "evict_chaos=%d", self->evict_chaos);
	cpu_write_granules(self, 1, 1, 0x4e);
	ASSERT_EQ(0, run_unrelated_job(self));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	ASSERT_TRUE(granule_is(self, self->base.probe.map, 1, 0));
}

TEST_F(coherence, evict_chaos_writes_back_dirty_granules_at_job_completion)
{
	REQUIRE_SPLIT_VIEWS();
	if (self->evict_chaos != CHAOS_ALWAYS)
		SKIP(return, "needs evict_chaos=1000, have %d", self->evict_chaos);
	cpu_write_granules(self, 1, 1, 0x4e);
	ASSERT_EQ(0, run_unrelated_job(self));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	EXPECT_TRUE(granule_is(self, self->base.probe.map, 1, 0x4e));
	EXPECT_TRUE(granule_is(self, self->base.probe.map, 2, 0));
}

TEST_F(coherence, evict_chaos_write_back_follows_the_jobs_own_writes)
{
	REQUIRE_SPLIT_VIEWS();
	if (self->evict_chaos != CHAOS_ALWAYS)
		SKIP(return, "needs evict_chaos=1000, have %d", self->evict_chaos);
	cpu_write_granules(self, 1, 1, 0x4e);
	ASSERT_EQ(0, fill_granules(self, 1, 2));
	ASSERT_EQ(0, ncgpu_read_device_view(&self->base));
	EXPECT_TRUE(granule_is(self, self->base.probe.map, 1, 0x4e));
	EXPECT_TRUE(granule_is_filled(self, self->base.probe.map, 2));
}

TEST_F(coherence, evict_chaos_does_not_invalidate_cpu_view)
{
	REQUIRE_SPLIT_VIEWS();
	if (self->evict_chaos != CHAOS_ALWAYS)
		SKIP(return, "needs evict_chaos=1000, have %d", self->evict_chaos);
	cpu_write_granules(self, 1, 1, 0x4e);
	ASSERT_EQ(0, fill_granules(self, 2, 1));
	EXPECT_TRUE(granule_is(self, self->base.wb.map, 1, 0x4e));
	EXPECT_TRUE(granule_is(self, self->base.wb.map, 2, 0));
}

TEST_HARNESS_MAIN
