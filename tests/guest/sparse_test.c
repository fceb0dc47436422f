// SPDX-License-Identifier: MIT
/*
 * The coherence model's memory follows what is touched, not the size of the
 * BO. The write-back BOs here are never mapped (a CPU mapping pins every page
 * of a BO, as the shmem helper does), so their CPU view has no page yet: a
 * sync where both views are zero allocates nothing, a job reading such a BO
 * pins none of its pages, and a job writing a few bytes of it grows only the
 * device view, by a page. Each of these tests reads /proc/meminfo around
 * what it does; a model that pins the whole BO, or keeps state for every
 * page of it, misses by hundreds of MiB. The other tests check that device
 * data in pages the CPU never touched still reaches the CPU, and is not
 * overwritten by a flush of those pages.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "ncgpu_test.h"

#define WB DRM_NCGPU_BO_WB_MMAP
#define FLUSH DRM_NCGPU_BO_SYNC_FLUSH
#define FLUSH_INV DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE
#define FILL_VALUE 0x8899aabbccddeeffull
/* Shmem is the page cache of BOs (and tmpfs, which nothing writes meanwhile). */
#define SHMEM_SLACK_KIB 1024
/* Enough BOs that 16 bytes of state per page would exceed the memory slack. */
#define UNTOUCHED_BOS 16
#define SMALL_BO_SIZE (64 * 4096)
#define TOUCHED_PAGE 5

/*
 * What the system holds, in KiB: memory in use (free memory with the per-CPU
 * lists, as a loss) and shmem pages.
 */
struct usage {
	long used;
	long shmem;
};

static struct usage usage_now(void)
{
	struct usage u = {
		.used = -(ncgpu_proc_value("/proc/meminfo", "MemFree") +
			  ncgpu_pcp_free_pages() * (getpagesize() / 1024)),
		.shmem = ncgpu_proc_value("/proc/meminfo", "Shmem"),
	};

	return u;
}

/*
 * Usage once it stops moving, 10 s at most: memory that an earlier test
 * gave back is freed by work items after its process has exited (a job
 * drops its BO references after its fence has signalled), and a test must
 * not count that as what it saved.
 */
static struct usage settled_usage(void)
{
	int64_t deadline = ncgpu_now_ns() + 10 * NCGPU_TEST_NSEC_PER_SEC;
	struct usage was, now = usage_now();

	do {
		was = now;
		usleep(20000);
		now = usage_now();
	} while ((labs(now.shmem - was.shmem) >= 256 || labs(now.used - was.used) >= 1024) &&
		 ncgpu_now_ns() < deadline);
	return now;
}

FIXTURE(sparse) {
	struct ncgpu_test_device dev;
	int fd;
	size_t page;
	/* The largest BO the device takes: 512 MiB. */
	uint64_t big;
	/* A write-combined BO that jobs copy device views into. */
	struct ncgpu_mapped_bo probe;
	struct usage at_setup;
};

FIXTURE_SETUP(sparse)
{
	ncgpu_test_device_setup(_metadata, &self->dev);
	self->fd = self->dev.fd;
	if (self->dev.info.coherency != DRM_NCGPU_COHERENCY_NONE)
		NCGPU_SETUP_SKIP("IO-coherent device: write-back BOs have one view");
	self->page = sysconf(_SC_PAGESIZE);
	self->big = self->dev.info.max_bo_size;
	ASSERT_EQ(0, ncgpu_mapped_bo_create(self->fd, self->page, 0, &self->probe));
	self->at_setup = settled_usage();
}

/*
 * Waits, 10 s at most, until what the test took is back, so that the next
 * test measures from a quiet start: a BO that a job used is freed by a work
 * item after the job's fence has signalled, a moment after its last handle
 * is closed.
 */
static void wait_for_memory_back(const struct usage *before)
{
	int64_t deadline = ncgpu_now_ns() + 10 * NCGPU_TEST_NSEC_PER_SEC;
	struct usage now;

	do {
		now = usage_now();
		if (now.shmem - before->shmem < SHMEM_SLACK_KIB &&
		    now.used - before->used < ncgpu_memory_slack_kib())
			return;
		usleep(10000);
	} while (ncgpu_now_ns() < deadline);
}

FIXTURE_TEARDOWN(sparse)
{
	close(self->fd);
	wait_for_memory_back(&self->at_setup);
}

static void create(struct __test_metadata *_metadata, int fd, uint64_t size, uint32_t *handle)
{
	ASSERT_EQ(0, __ncgpu_bo_create(fd, size, WB, handle));
}

/*
 * Both views of a never-mapped BO are zeros: a sync of the whole BO has
 * nothing to do. Returns the KiB by which Shmem grew around it.
 */
static long shmem_kib_after_syncing_untouched_bo(struct __test_metadata *_metadata,
						 FIXTURE_DATA(sparse) *self, uint32_t type)
{
	struct usage before = usage_now();
	uint32_t bo;

	create(_metadata, self->fd, self->big, &bo);
	EXPECT_EQ(0, __ncgpu_bo_sync_range(self->fd, bo, type, 0, self->big));
	return usage_now().shmem - before.shmem;
}

TEST_F(sparse, flush_of_untouched_bo_populates_no_page)
{
	long grown = shmem_kib_after_syncing_untouched_bo(_metadata, self, FLUSH);

	ASSERT_GT(SHMEM_SLACK_KIB, grown)
		TH_LOG("flushing an untouched %llu MiB BO populated %ld KiB",
		       (unsigned long long)(self->big / NCGPU_TEST_MIB), grown);
}

TEST_F(sparse, flush_and_invalidate_of_untouched_bo_populates_no_page)
{
	long grown = shmem_kib_after_syncing_untouched_bo(_metadata, self, FLUSH_INV);

	ASSERT_GT(SHMEM_SLACK_KIB, grown)
		TH_LOG("invalidating an untouched %llu MiB BO populated %ld KiB",
		       (unsigned long long)(self->big / NCGPU_TEST_MIB), grown);
}

/* Nor does the model keep anything for their pages: state comes with use. */
TEST_F(sparse, syncs_of_untouched_bos_keep_no_state_per_page)
{
	struct usage before = usage_now(), after;
	uint32_t bos[UNTOUCHED_BOS];
	unsigned int i;

	for (i = 0; i < UNTOUCHED_BOS; i++) {
		create(_metadata, self->fd, self->big, &bos[i]);
		ASSERT_EQ(0, __ncgpu_bo_sync_range(self->fd, bos[i], FLUSH_INV, 0, 64));
		ASSERT_EQ(0, __ncgpu_bo_sync_range(self->fd, bos[i], FLUSH_INV, self->big - 64, 64));
	}
	after = usage_now();
	ASSERT_GT(ncgpu_memory_slack_kib(), after.used - before.used)
		TH_LOG("syncing 128 bytes of %d untouched %llu MiB BOs took %ld KiB",
		       UNTOUCHED_BOS, (unsigned long long)(self->big / NCGPU_TEST_MIB),
		       after.used - before.used);
	for (i = 0; i < UNTOUCHED_BOS; i++)
		__gem_close(self->fd, bos[i]);
}

TEST_F(sparse, job_reading_untouched_bo_populates_no_page)
{
	struct usage before = usage_now(), after;
	uint32_t bo;

	create(_metadata, self->fd, self->big, &bo);
	memset(self->probe.map, 0xee, 64);
	ASSERT_EQ(0, ncgpu_copy_wait(self->fd, self->probe.handle, 0, bo, self->big - 64, 64));
	after = usage_now();
	EXPECT_TRUE(!memcmp(self->probe.map, (uint8_t[64]){ 0 }, 64));
	ASSERT_GT(SHMEM_SLACK_KIB, after.shmem - before.shmem)
		TH_LOG("a job reading 64 bytes of an untouched BO populated %ld KiB",
		       after.shmem - before.shmem);
}

/* The device view grows where the job writes; the CPU view not at all. */
TEST_F(sparse, job_writing_untouched_bo_grows_only_the_device_view_by_a_page)
{
	struct usage before = usage_now(), after;
	uint32_t bo;

	create(_metadata, self->fd, self->big, &bo);
	ASSERT_EQ(0, ncgpu_fill_wait(self->fd, bo, self->big - 64, 64, FILL_VALUE));
	after = usage_now();
	EXPECT_GT(SHMEM_SLACK_KIB, after.shmem - before.shmem)
		TH_LOG("a job writing 64 bytes of an untouched BO populated %ld KiB",
		       after.shmem - before.shmem);
	ASSERT_GT(ncgpu_memory_slack_kib(), after.used - before.used)
		TH_LOG("a job writing 64 bytes of an untouched BO took %ld KiB",
		       after.used - before.used);
}

/* Whether @len bytes at @p are the bytes a FILL of FILL_VALUE writes. */
static bool is_zero(const uint8_t *p, size_t len)
{
	return !len || (!p[0] && !memcmp(p, p + 1, len - 1));
}

/*
 * The device writes 64 bytes in the middle of page TOUCHED_PAGE of a new,
 * never-mapped BO of SMALL_BO_SIZE; @type syncs that page; then the BO is
 * mapped. Returns the mapping, or NULL.
 */
static uint8_t *fill_sync_and_map(struct __test_metadata *_metadata,
				  FIXTURE_DATA(sparse) *self, uint32_t *bo, int type)
{
	uint64_t page = TOUCHED_PAGE * self->page;
	uint8_t *map;
	int ret;

	create(_metadata, self->fd, SMALL_BO_SIZE, bo);
	ret = ncgpu_fill_wait(self->fd, *bo, page + 128, 64, FILL_VALUE);
	if (!ret && type >= 0)
		ret = __ncgpu_bo_sync_range(self->fd, *bo, type, page, self->page);
	if (ret)
		return NULL;
	map = __ncgpu_bo_map(self->fd, *bo, SMALL_BO_SIZE, &ret);
	return ret ? NULL : map;
}

TEST_F(sparse, device_write_to_untouched_page_reaches_cpu_through_invalidate)
{
	uint8_t *page;
	uint32_t bo;

	page = fill_sync_and_map(_metadata, self, &bo, FLUSH_INV);
	ASSERT_NE(NULL, page);
	page += TOUCHED_PAGE * self->page;
	EXPECT_TRUE(is_zero(page, 128));
	EXPECT_TRUE(ncgpu_is_filled(page + 128, FILL_VALUE, 64));
	EXPECT_TRUE(is_zero(page + 192, self->page - 192));
}

/* The negative control: without the invalidation the CPU sees zeros. */
TEST_F(sparse, device_write_to_untouched_page_does_not_reach_cpu_without_invalidate)
{
	uint8_t *map;
	uint32_t bo;

	map = fill_sync_and_map(_metadata, self, &bo, -1);
	ASSERT_NE(NULL, map);
	ASSERT_TRUE(is_zero(map, SMALL_BO_SIZE));
}

/* An untouched CPU page is clean: flushing it keeps what the device wrote. */
TEST_F(sparse, flush_of_untouched_page_keeps_device_data)
{
	uint64_t at = TOUCHED_PAGE * self->page + 128;
	uint32_t bo;

	create(_metadata, self->fd, SMALL_BO_SIZE, &bo);
	ASSERT_EQ(0, ncgpu_fill_wait(self->fd, bo, at, 64, FILL_VALUE));
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->fd, bo, FLUSH, 0, SMALL_BO_SIZE));
	ASSERT_EQ(0, ncgpu_copy_wait(self->fd, self->probe.handle, 0, bo, at, 64));
	ASSERT_TRUE(ncgpu_is_filled(self->probe.map, FILL_VALUE, 64));
}

TEST_HARNESS_MAIN
