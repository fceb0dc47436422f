// SPDX-License-Identifier: MIT
/*
 * Limits: BO sizes at and above max_bo_size, BO_SYNC and SUBMIT counts at
 * and above their caps, and thousands of BOs created, mapped, synced,
 * exported, filled by jobs using as many BOs as they have commands, and
 * freed. Each
 * limit is either honoured or refused cleanly (E2BIG, EINVAL); afterwards the
 * memory is back, and the OOM killer never ran (the kernel log has no "Out of
 * memory", /proc/vmstat no new oom_kill). The harness then checks that ncgpu
 * unloads, so nothing holds a reference.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "ncgpu_test.h"

#define WB DRM_NCGPU_BO_WB_MMAP
#define NO_MMAP DRM_NCGPU_BO_NO_MMAP
#define MANY_BOS 5000
#define MANY_BO_SIZE 4096
/*
 * One BO in this many is write-combined and one NO_MMAP: on x86 they cost
 * page attribute changes, slow under emulation. One in MAP_EVERY is mapped.
 */
#define UNCACHED_EVERY 50
#define MAP_EVERY 8
#define LAZY_HUGE_BOS 8
#define LARGE_BO_SIZE (32 * NCGPU_TEST_MIB)
#define SYNC_BO_SIZE (16 * 4096)
#define KMSG_RECORD 8192

FIXTURE(limits) {
	struct ncgpu_test_device dev;
	int fd;
	size_t page;
	long oom_kills;
	int kmsg;
};

static long oom_kills(void)
{
	return ncgpu_proc_value("/proc/vmstat", "oom_kill");
}

/* Free memory in KiB, per-CPU lists included, after dropping the page cache. */
static long free_kib(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "3", 1) < 0)
			perror("drop_caches");
		close(fd);
	}
	return ncgpu_proc_value("/proc/meminfo", "MemFree") +
	       ncgpu_pcp_free_pages() * (getpagesize() / 1024);
}

/*
 * Free memory not back yet, in KiB against @before, once it is within the
 * slack or after 10 s. Jobs drop their BO references in a work item once
 * their fence has signalled, so a BO that a job used is freed a moment after
 * its last handle is closed.
 */
static long kib_not_given_back(long before)
{
	int64_t deadline = ncgpu_now_ns() + 10 * NCGPU_TEST_NSEC_PER_SEC;
	long missing;

	while ((missing = before - free_kib()) >= ncgpu_memory_slack_kib() &&
	       ncgpu_now_ns() < deadline)
		usleep(10000);
	return missing;
}


FIXTURE_SETUP(limits)
{
	ncgpu_test_device_setup(_metadata, &self->dev);
	self->fd = self->dev.fd;
	self->page = sysconf(_SC_PAGESIZE);
	self->oom_kills = oom_kills();
	self->kmsg = ncgpu_kmsg_open();
	ASSERT_LE(0, self->kmsg) TH_LOG("/dev/kmsg: %s", strerror(-self->kmsg));
}

/* Finds a new kernel log record about the OOM killer; copies it to @found. */
static bool oom_logged(int kmsg, char *found, size_t len)
{
	char record[KMSG_RECORD];
	const char *text;
	int level;

	while ((level = ncgpu_kmsg_next(kmsg, record, sizeof(record), &text)) != -EAGAIN) {
		if (level < 0 && level != -EPIPE)
			break;
		if (level >= 0 && (strstr(text, "Out of memory") || strstr(text, "oom-kill"))) {
			snprintf(found, len, "%.200s", text);
			return true;
		}
	}
	return false;
}

FIXTURE_TEARDOWN(limits)
{
	char found[256];

	EXPECT_EQ(self->oom_kills, oom_kills()) TH_LOG("the OOM killer ran");
	EXPECT_FALSE(self->kmsg >= 0 && oom_logged(self->kmsg, found, sizeof(found)))
		TH_LOG("kernel log: %s", found);
	close(self->kmsg);
	close(self->fd);
}

static int create(int fd, uint64_t size, uint32_t flags, uint64_t *out_size, uint32_t *handle)
{
	struct drm_ncgpu_bo_create c = { .size = size, .flags = flags };
	int ret = ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_BO_CREATE, &c);

	*out_size = c.size;
	*handle = c.handle;
	return ret;
}

TEST_F(limits, bo_size_at_and_above_max)
{
	uint64_t max = self->dev.info.max_bo_size, size;
	uint64_t too_big[] = { max + 1, max + self->page, 2 * max, 1ull << 63, UINT64_MAX,
			       UINT64_MAX - self->page + 2 };
	uint32_t handle;
	unsigned int i;

	ASSERT_LE(256 * NCGPU_TEST_MIB, max);
	ASSERT_EQ(0, create(self->fd, max, 0, &size, &handle));
	EXPECT_EQ(max, size);
	__gem_close(self->fd, handle);
	ASSERT_EQ(0, create(self->fd, max - 1, WB, &size, &handle));
	EXPECT_EQ(max, size) TH_LOG("max_bo_size - 1 rounds up to max_bo_size");
	__gem_close(self->fd, handle);
	for (i = 0; i < sizeof(too_big) / sizeof(too_big[0]); i++) {
		EXPECT_EQ(-E2BIG, create(self->fd, too_big[i], 0, &size, &handle))
			TH_LOG("size 0x%llx", (unsigned long long)too_big[i]);
	}
}

/*
 * Memory is allocated when used, not at creation: many max-size BOs cost
 * nothing yet, and checking ranges at their end allocates nothing either.
 * (Using one would pin all of it: seconds under emulation.)
 */
TEST_F(limits, unused_max_size_bos_cost_no_memory)
{
	uint64_t max = self->dev.info.max_bo_size, size;
	struct drm_ncgpu_cmd past_end;
	uint32_t handles[LAZY_HUGE_BOS];
	long before = free_kib(), during;
	unsigned int i;

	for (i = 0; i < LAZY_HUGE_BOS; i++) {
		ASSERT_EQ(0, create(self->fd, max, i % 2 ? WB : 0, &size, &handles[i]));
	}
	/* Write-combined: a sync succeeds and does nothing. */
	EXPECT_EQ(0, __ncgpu_bo_sync_range(self->fd, handles[0], DRM_NCGPU_BO_SYNC_FLUSH, max - 1, 1));
	EXPECT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->fd, handles[1], DRM_NCGPU_BO_SYNC_FLUSH, max - 1, 2));
	EXPECT_EQ(-EINVAL, __ncgpu_bo_sync_range(self->fd, handles[1], DRM_NCGPU_BO_SYNC_FLUSH, max + 1, 0));
	past_end = ncgpu_cmd_fill(handles[0], max - 8, 9, 0);
	EXPECT_EQ(-EINVAL, __ncgpu_submit(self->fd, &past_end, 1, 0, 0));
	past_end = ncgpu_cmd_copy(handles[0], 0, handles[1], max, 1);
	EXPECT_EQ(-EINVAL, __ncgpu_submit(self->fd, &past_end, 1, 0, 0));
	during = free_kib();
	EXPECT_GT(ncgpu_memory_slack_kib(), before - during)
		TH_LOG("%d unused BOs of %llu MiB took %ld KiB", LAZY_HUGE_BOS,
		       (unsigned long long)(max / NCGPU_TEST_MIB), before - during);
	for (i = 0; i < LAZY_HUGE_BOS; i++)
		__gem_close(self->fd, handles[i]);
}

/* The device writes the last bytes of a large write-back BO; the CPU reads them. */
TEST_F(limits, large_bo_is_usable_to_its_last_byte)
{
	uint64_t value = 0x0123456789abcdefull, end = LARGE_BO_SIZE;
	struct ncgpu_mapped_bo bo;
	long before = free_kib(), after;
	size_t i;
	int ret;

	ret = ncgpu_mapped_bo_create(self->fd, LARGE_BO_SIZE, WB, &bo);
	ASSERT_EQ(0, ret) TH_LOG("%llu MiB BO: %s", end / NCGPU_TEST_MIB, strerror(-ret));
	ret = ncgpu_fill_wait(self->fd, bo.handle, end - 8, 8, value);
	ASSERT_EQ(0, ret) TH_LOG("FILL of the last 8 bytes: %s", strerror(-ret));
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->fd, bo.handle, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE,
				end - 1, 1));
	for (i = 0; i < 8 && bo.map[end - 8 + i] == ncgpu_fill_byte(value, i); i++)
		;
	EXPECT_EQ(8u, i) TH_LOG("the last bytes do not hold the FILL");
	munmap(bo.map, LARGE_BO_SIZE);
	__gem_close(self->fd, bo.handle);
	after = before - kib_not_given_back(before);
	EXPECT_GT(ncgpu_memory_slack_kib(), before - after)
		TH_LOG("%ld KiB not given back after freeing the BO", before - after);
}

static struct drm_ncgpu_bo_sync_op *sync_ops(uint32_t count, uint32_t handle, size_t bo_size)
{
	struct drm_ncgpu_bo_sync_op *ops = calloc(count, sizeof(*ops));
	uint32_t i;

	for (i = 0; ops && i < count; i++)
		ops[i] = (struct drm_ncgpu_bo_sync_op){
			.handle = handle, .type = i % 2, .offset = (i * 97) % bo_size, .size = 1,
		};
	return ops;
}

TEST_F(limits, sync_op_count_at_and_above_cap)
{
	uint32_t cap = self->dev.info.max_sync_ops, handle;
	struct drm_ncgpu_bo_sync_op *ops;
	uint8_t *wide;

	ASSERT_LE(4096u, cap);
	ASSERT_EQ(0, __ncgpu_bo_create(self->fd, SYNC_BO_SIZE, WB, &handle));
	ops = sync_ops(cap + 1, handle, SYNC_BO_SIZE);
	wide = ncgpu_strided_array(ops, sizeof(*ops), cap, sizeof(*ops) + 8);
	ASSERT_TRUE(ops && wide);
	EXPECT_EQ(0, __ncgpu_bo_sync_strided(self->fd, ops, sizeof(*ops), cap));
	EXPECT_EQ(-EINVAL, __ncgpu_bo_sync_strided(self->fd, ops, sizeof(*ops), cap + 1));
	EXPECT_EQ(-EINVAL, __ncgpu_bo_sync_strided(self->fd, ops, sizeof(*ops), UINT32_MAX));
	EXPECT_EQ(0, __ncgpu_bo_sync_strided(self->fd, wide, sizeof(*ops) + 8, cap));
	wide[(size_t)cap * (sizeof(*ops) + 8) - 1] = 1;
	EXPECT_EQ(-E2BIG, __ncgpu_bo_sync_strided(self->fd, wide, sizeof(*ops) + 8, cap))
		TH_LOG("a non-zero tail in the last of %u ops", cap);
	free(ops);
	free(wide);
	__gem_close(self->fd, handle);
}

/* Command i writes the 8-byte value i at offset 8 * i. */
static struct drm_ncgpu_cmd *numbered_fills(uint32_t count, uint32_t handle)
{
	struct drm_ncgpu_cmd *cmds = calloc(count, sizeof(*cmds));
	uint32_t i;

	for (i = 0; cmds && i < count; i++)
		cmds[i] = ncgpu_cmd_fill(handle, 8ull * i, 8, i);
	return cmds;
}

TEST_F(limits, cmd_count_at_and_above_cap)
{
	uint32_t cap = self->dev.info.max_cmds, syncobj, i;
	struct drm_ncgpu_cmd *cmds;
	struct ncgpu_mapped_bo bo;
	uint64_t *words;
	uint8_t *wide;

	ASSERT_LE(1024u, cap);
	ASSERT_EQ(0, ncgpu_mapped_bo_create(self->fd, 8ull * (cap + 1), 0, &bo));
	ASSERT_EQ(0, __syncobj_create(self->fd, &syncobj));
	cmds = numbered_fills(cap + 1, bo.handle);
	wide = ncgpu_strided_array(cmds, sizeof(*cmds), cap, sizeof(*cmds) + 16);
	ASSERT_TRUE(cmds && wide);
	EXPECT_EQ(-EINVAL, __ncgpu_submit_strided(self->fd, cmds, sizeof(*cmds), cap + 1, 0, 0));
	EXPECT_EQ(-EINVAL, __ncgpu_submit_strided(self->fd, cmds, sizeof(*cmds), UINT32_MAX, 0, 0));
	wide[(size_t)cap * (sizeof(*cmds) + 16) - 1] = 1;
	EXPECT_EQ(-E2BIG, __ncgpu_submit_strided(self->fd, wide, sizeof(*cmds) + 16, cap, 0, 0));
	wide[(size_t)cap * (sizeof(*cmds) + 16) - 1] = 0;
	EXPECT_EQ(0, __ncgpu_submit_strided(self->fd, wide, sizeof(*cmds) + 16, cap, 0, 0));
	ASSERT_EQ(0, __ncgpu_submit_strided(self->fd, cmds, sizeof(*cmds), cap, 0, syncobj));
	ASSERT_EQ(0, ncgpu_syncobj_wait_for(self->fd, syncobj, 10 * NCGPU_TEST_NSEC_PER_SEC));
	words = (uint64_t *)bo.map;
	for (i = 0; i < cap && words[i] == i; i++)
		;
	EXPECT_EQ(cap, i) TH_LOG("command %u of %u did not run as written", i, cap);
	EXPECT_EQ(0ull, words[cap]) TH_LOG("a refused command ran");
	free(cmds);
	free(wide);
	munmap(bo.map, bo.size);
	__gem_close(self->fd, bo.handle);
}

static uint32_t bo_kind(unsigned int i)
{
	if (i % UNCACHED_EVERY == 0)
		return 0;
	return i % UNCACHED_EVERY == 1 ? NO_MMAP : WB;
}

struct many_bos {
	uint32_t handles[MANY_BOS];
	uint8_t *maps[MANY_BOS];
};

/* Whether the device's FILL of value @value shows in a mapped BO. */
static bool holds_fill(int fd, uint32_t handle, uint32_t flags, const uint8_t *map,
		       uint64_t value)
{
	size_t i;

	if (flags == WB && __ncgpu_bo_sync_range(fd, handle, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE, 0,
				      MANY_BO_SIZE))
		return false;
	for (i = 0; i < MANY_BO_SIZE; i++)
		if (map[i] != ncgpu_fill_byte(value, i))
			return false;
	return true;
}

/*
 * Creates MANY_BOS BOs, maps and writes some, syncs the write-back ones
 * (which gives them their pages), exports the others, fills all with the
 * device in jobs of max_cmds commands, each on a BO of its own, checks the
 * mapped ones and frees them all.
 */
static int many_bos_round(int fd, struct many_bos *m, uint32_t cap, long *used_kib, long before)
{
	struct drm_ncgpu_cmd *cmds = calloc(cap, sizeof(*cmds));
	unsigned int i, n;
	int ret = cmds ? 0 : -ENOMEM, dmabuf;

	for (i = 0; i < MANY_BOS && !ret; i++) {
		struct ncgpu_mapped_bo bo = { 0 };

		if (i % MAP_EVERY)
			ret = __ncgpu_bo_create(fd, MANY_BO_SIZE, bo_kind(i), &bo.handle);
		else
			ret = ncgpu_mapped_bo_create(fd, MANY_BO_SIZE, bo_kind(i), &bo);
		m->handles[i] = bo.handle;
		m->maps[i] = ret ? NULL : bo.map;
		if (!ret && bo.map)
			memset(bo.map, 0x77, MANY_BO_SIZE);
		if (!ret && bo_kind(i) == WB)
			ret = __ncgpu_bo_sync_range(fd, bo.handle, DRM_NCGPU_BO_SYNC_FLUSH, 0, MANY_BO_SIZE);
		if (!ret && bo_kind(i) != WB &&
		    !(ret = __prime_handle_to_fd(fd, bo.handle, &dmabuf)))
			close(dmabuf);
	}
	n = i;
	for (i = 0; i < n && !ret; i += cap) {
		unsigned int j, count = n - i < cap ? n - i : cap;

		for (j = 0; j < count; j++)
			cmds[j] = ncgpu_cmd_fill(m->handles[i + j], 0, MANY_BO_SIZE, i + j);
		ret = ncgpu_submit_wait(fd, cmds, count);
	}
	for (i = 0; i < n && !ret; i++)
		if (m->maps[i] && !holds_fill(fd, m->handles[i], bo_kind(i), m->maps[i], i))
			ret = -EIO;
	*used_kib = before - free_kib();
	for (i = 0; i < n; i++) {
		if (m->maps[i])
			munmap(m->maps[i], MANY_BO_SIZE);
		__gem_close(fd, m->handles[i]);
	}
	free(cmds);
	return ret;
}

/*
 * Commands of one job here, one BO each. Lockdep tracks at most 2047 nested
 * reservation locks in one acquire context: on a kernel with lockdep (the
 * debug lane), a larger job would switch it off for everything after.
 */
static uint32_t job_bo_cap(uint32_t max_cmds)
{
	return access("/proc/lockdep", F_OK) || max_cmds < 2000 ? max_cmds : 2000;
}

/* Seconds on Debian's kernel; minutes on the debug lane's KASAN kernel. */
TEST_F_TIMEOUT(limits, thousands_of_bos_give_their_memory_back, 300)
{
	struct many_bos *m = calloc(1, sizeof(*m));
	long before, used, after;
	int ret;

	ASSERT_NE(NULL, m);
	before = free_kib();
	ret = many_bos_round(self->fd, m, job_bo_cap(self->dev.info.max_cmds), &used, before);
	ASSERT_EQ(0, ret) TH_LOG("%d BOs: %s", MANY_BOS, ret == -EIO ?
				 "a mapped BO does not show its FILL" : strerror(-ret));
	after = before - kib_not_given_back(before);
	printf("# %d BOs of %d KiB used %ld KiB; %ld KiB not back after freeing them\n",
	       MANY_BOS, MANY_BO_SIZE / 1024, used, before - after);
	fflush(stdout);
	EXPECT_LT((long)MANY_BOS * MANY_BO_SIZE / 1024, used)
		TH_LOG("the BOs used less memory than their size: the check below is moot");
	EXPECT_GT(ncgpu_memory_slack_kib(), before - after)
		TH_LOG("%ld KiB not given back after freeing %d BOs", before - after, MANY_BOS);
	free(m);
}

TEST_HARNESS_MAIN
