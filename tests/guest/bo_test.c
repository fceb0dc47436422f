// SPDX-License-Identifier: MIT
/*
 * In-guest tests of the ncgpu device and buffer objects: DRM_IOCTL_VERSION,
 * DEV_QUERY, BO_CREATE, BO_MMAP_OFFSET, BO_QUERY_INFO and CPU mappings.
 *
 * Expectations follow the coherency mode that DEV_QUERY reports, so the same
 * binary runs against coherency=none and coherency=io.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "ncgpu_test.h"

/* sizeof(struct drm_ncgpu_dev_info) in uAPI 1.0, an ABI constant. */
#define DEV_INFO_SIZE 32u
#define DEV_INFO_MIN_SIZE 16u

/* DRM minors 128..191 are render nodes. */
#define DRM_MAJOR 226u
#define DRM_RENDER_MINOR_FIRST 128u
#define DRM_RENDER_MINOR_LAST 191u

#define ALL_BO_FLAGS (DRM_NCGPU_BO_NO_MMAP | DRM_NCGPU_BO_WB_MMAP)
#define SECRET 0x5ec2e75ec2e75ec2ull
#define WAIT_NS 10000000000ll

static uint64_t page_round_up(uint64_t size)
{
	uint64_t page = ncgpu_page_size();

	return (size + page - 1) / page * page;
}

static int dev_query(int fd, uint32_t type, uint32_t *size, void *pointer)
{
	struct drm_ncgpu_dev_query q = {
		.type = type,
		.size = *size,
		.pointer = (uintptr_t)pointer,
	};
	int ret = ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_DEV_QUERY, &q);

	*size = q.size;
	return ret;
}

static int mmap_offset_pad(int fd, uint32_t handle, uint32_t pad)
{
	struct drm_ncgpu_bo_mmap_offset m = { .handle = handle, .pad = pad };

	return ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_BO_MMAP_OFFSET, &m);
}

static uint64_t bo_offset(struct __test_metadata *_metadata, int fd, uint32_t handle)
{
	uint64_t offset = 0;
	int ret = __ncgpu_bo_mmap_offset(fd, handle, &offset);

	ASSERT_EQ(0, ret) TH_LOG("BO_MMAP_OFFSET(%u): %s", handle, strerror(-ret));
	return offset;
}

/* Creates a BO, fills it with @secret, pushes it to the device view, frees it. */
static void leave_secret_behind(struct __test_metadata *_metadata, int fd, size_t size,
				uint32_t flags, uint64_t secret)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, fd, size, flags);
	void *map = ncgpu_test_bo_map(_metadata, fd, handle, size);
	int ret;

	ncgpu_fill_pattern(map, size, secret);
	if (flags & DRM_NCGPU_BO_WB_MMAP) {
		ret = __ncgpu_bo_sync_range(fd, handle, DRM_NCGPU_BO_SYNC_FLUSH, 0, size);
		ASSERT_EQ(0, ret) TH_LOG("BO_SYNC FLUSH: %s", strerror(-ret));
	}
	ASSERT_EQ(0, munmap(map, size));
	ASSERT_EQ(0, __gem_close(fd, handle));
}

/* ---------------------------------------------------------------------- */

NCGPU_DEVICE_FIXTURE(version)

TEST_F(version, reports_name_ncgpu_1_2)
{
	char name[32] = "";
	struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };

	ASSERT_EQ(0, ncgpu_ioctl(self->dev.fd, DRM_IOCTL_VERSION, &v));
	EXPECT_STREQ("ncgpu", name);
	EXPECT_EQ(1, v.version_major);
	EXPECT_EQ(2, v.version_minor);
}

TEST_F(version, device_is_a_render_node)
{
	struct stat st;

	ASSERT_EQ(0, fstat(self->dev.fd, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(DRM_MAJOR, major(st.st_rdev));
	EXPECT_LE(DRM_RENDER_MINOR_FIRST, minor(st.st_rdev));
	EXPECT_GE(DRM_RENDER_MINOR_LAST, minor(st.st_rdev));
}

TEST_F(version, reports_syncobj_cap)
{
	struct drm_get_cap cap = { .capability = DRM_CAP_SYNCOBJ };

	ASSERT_EQ(0, ncgpu_ioctl(self->dev.fd, DRM_IOCTL_GET_CAP, &cap));
	EXPECT_EQ(1ull, cap.value);
}

/* ---------------------------------------------------------------------- */

NCGPU_DEVICE_FIXTURE(dev_query)

TEST_F(dev_query, rejects_unknown_type)
{
	struct drm_ncgpu_dev_info info;
	uint32_t size = sizeof(info);

	EXPECT_EQ(-EINVAL, dev_query(self->dev.fd, 1, &size, &info));
	size = sizeof(info);
	EXPECT_EQ(-EINVAL, dev_query(self->dev.fd, 0xffffffffu, &size, &info));
}

TEST_F(dev_query, rejects_unknown_type_before_size_query)
{
	uint32_t size = 0;

	EXPECT_EQ(-EINVAL, dev_query(self->dev.fd, 1, &size, NULL));
}

TEST_F(dev_query, null_pointer_reports_answer_size)
{
	uint32_t size = 0xdeadbeefu;

	ASSERT_EQ(0, dev_query(self->dev.fd, DRM_NCGPU_DEV_QUERY_INFO, &size, NULL));
	EXPECT_EQ(DEV_INFO_SIZE, size);
}

TEST_F(dev_query, rejects_size_below_16)
{
	uint8_t buf[DEV_INFO_SIZE];
	uint32_t sizes[] = { 0, 1, 8, DEV_INFO_MIN_SIZE - 1 };
	uint32_t size;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(buf, 0xa5, sizeof(buf));
		size = sizes[i];
		EXPECT_EQ(-EINVAL, dev_query(self->dev.fd, DRM_NCGPU_DEV_QUERY_INFO, &size, buf))
			TH_LOG("size %u", sizes[i]);
		EXPECT_EQ(-1, ncgpu_first_byte_not(buf, sizeof(buf), 0xa5))
			TH_LOG("size %u: the buffer was written", sizes[i]);
	}
}

TEST_F(dev_query, size_16_copies_only_16_bytes)
{
	uint8_t buf[DEV_INFO_SIZE];
	uint32_t size = DEV_INFO_MIN_SIZE;

	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(0, dev_query(self->dev.fd, DRM_NCGPU_DEV_QUERY_INFO, &size, buf));
	EXPECT_EQ(0, memcmp(buf, &self->dev.info, DEV_INFO_MIN_SIZE));
	EXPECT_EQ(-1, ncgpu_first_byte_not(buf + DEV_INFO_MIN_SIZE, sizeof(buf) - DEV_INFO_MIN_SIZE,
				     0xa5))
		TH_LOG("bytes beyond the 16 requested were written");
}

TEST_F(dev_query, larger_size_zero_fills_the_tail)
{
	uint8_t buf[2 * DEV_INFO_SIZE];
	uint32_t size = sizeof(buf);

	memset(buf, 0xff, sizeof(buf));
	ASSERT_EQ(0, dev_query(self->dev.fd, DRM_NCGPU_DEV_QUERY_INFO, &size, buf));
	EXPECT_EQ(0, memcmp(buf, &self->dev.info, DEV_INFO_SIZE));
	EXPECT_EQ(-1, ncgpu_first_byte_not(buf + DEV_INFO_SIZE, DEV_INFO_SIZE, 0))
		TH_LOG("bytes 32..63 were not zero-filled");
}

TEST_F(dev_query, unwritable_pointer_faults)
{
	size_t page = ncgpu_page_size();
	uint32_t size = DEV_INFO_SIZE;
	void *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-EFAULT, dev_query(self->dev.fd, DRM_NCGPU_DEV_QUERY_INFO, &size, ro));
	munmap(ro, page);
}

TEST_F(dev_query, unwritable_zero_fill_tail_faults)
{
	size_t page = ncgpu_page_size();
	uint32_t size = 2 * DEV_INFO_SIZE;
	uint8_t *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + page, page, PROT_READ));
	/* The answer fits in the writable page, the zero-filled tail does not. */
	EXPECT_EQ(-EFAULT, dev_query(self->dev.fd, DRM_NCGPU_DEV_QUERY_INFO, &size,
				     two + page - DEV_INFO_SIZE));
	munmap(two, 2 * page);
}

TEST_F(dev_query, reports_coherency_of_module_parameter)
{
	uint32_t coherency = self->dev.info.coherency;
	char param[16];

	ASSERT_TRUE(coherency == DRM_NCGPU_COHERENCY_NONE || coherency == DRM_NCGPU_COHERENCY_IO)
		TH_LOG("unknown coherency %u", coherency);
	if (ncgpu_module_param("coherency", param, sizeof(param)))
		return;
	EXPECT_EQ(!strcmp(param, "io"), coherency == DRM_NCGPU_COHERENCY_IO)
		TH_LOG("parameter coherency=%s, DEV_QUERY says %u", param, coherency);
}

TEST_F(dev_query, reports_emulated_flag_unless_io_coherent)
{
	uint32_t expected = ncgpu_io_coherent(&self->dev) ? 0 : DRM_NCGPU_DEV_EMULATED;

	EXPECT_EQ(expected, self->dev.info.flags)
		TH_LOG("coherency %u, flags %#x", self->dev.info.coherency, self->dev.info.flags);
}

TEST_F(dev_query, reports_sync_granule_power_of_two_in_range)
{
	uint32_t granule = self->dev.info.sync_granule;
	char param[16];

	EXPECT_LE(16u, granule);
	EXPECT_GE(4096u, granule);
	EXPECT_EQ(0u, granule & (granule - 1)) TH_LOG("granule %u", granule);
	if (ncgpu_module_param("sync_granule", param, sizeof(param)))
		return;
	EXPECT_EQ(strtoul(param, NULL, 0), granule) TH_LOG("parameter sync_granule=%s", param);
}

TEST_F(dev_query, reports_max_sync_ops_at_least_4096)
{
	EXPECT_LE(4096u, self->dev.info.max_sync_ops);
}

TEST_F(dev_query, reports_max_bo_size_at_least_256mib)
{
	EXPECT_LE(256 * NCGPU_TEST_MIB, self->dev.info.max_bo_size);
}

TEST_F(dev_query, reports_max_cmds_at_least_1024)
{
	EXPECT_LE(1024u, self->dev.info.max_cmds);
}

TEST_F(dev_query, reports_max_submit_syncs_at_least_64)
{
	EXPECT_LE(64u, self->dev.info.max_submit_syncs);
}

/* ---------------------------------------------------------------------- */

NCGPU_DEVICE_FIXTURE(bo_create)

TEST_F(bo_create, rounds_size_up_to_page_size)
{
	uint64_t page = ncgpu_page_size();
	uint64_t sizes[] = { 1, page - 1, page, page + 1, 12388, 3 * page };
	struct drm_ncgpu_bo_create c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(&c, 0, sizeof(c));
		c.size = sizes[i];
		ASSERT_EQ(0, ncgpu_ioctl(self->dev.fd, DRM_IOCTL_NCGPU_BO_CREATE, &c));
		EXPECT_EQ(page_round_up(sizes[i]), c.size)
			TH_LOG("size %llu", (unsigned long long)sizes[i]);
		__gem_close(self->dev.fd, c.handle);
	}
}

TEST_F(bo_create, rejects_zero_size)
{
	uint32_t handle;

	EXPECT_EQ(-EINVAL, __ncgpu_bo_create(self->dev.fd, 0, 0, &handle));
}

TEST_F(bo_create, rejects_unknown_flag_bits)
{
	uint32_t handle = 0;
	unsigned int bit;
	int ret;

	for (bit = 0; bit < 32; bit++) {
		if ((1u << bit) & ALL_BO_FLAGS)
			continue;
		ret = __ncgpu_bo_create(self->dev.fd, ncgpu_page_size(), 1u << bit, &handle);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("flag bit %u", bit);
		if (!ret)
			__gem_close(self->dev.fd, handle);
	}
}

TEST_F(bo_create, rejects_no_mmap_with_wb_mmap)
{
	uint32_t handle;

	EXPECT_EQ(-EINVAL, __ncgpu_bo_create(self->dev.fd, ncgpu_page_size(),
					   DRM_NCGPU_BO_NO_MMAP | DRM_NCGPU_BO_WB_MMAP, &handle));
}

TEST_F(bo_create, rejects_size_above_max_bo_size)
{
	uint64_t max = self->dev.info.max_bo_size;
	uint32_t handle;

	EXPECT_EQ(-E2BIG, __ncgpu_bo_create(self->dev.fd, max + 1, 0, &handle));
	EXPECT_EQ(-E2BIG, __ncgpu_bo_create(self->dev.fd, max + ncgpu_page_size(), 0, &handle));
	EXPECT_EQ(-E2BIG, __ncgpu_bo_create(self->dev.fd, max + 1, DRM_NCGPU_BO_WB_MMAP, &handle));
}

TEST_F(bo_create, rejects_sizes_that_overflow_page_rounding)
{
	uint64_t sizes[] = { UINT64_MAX, UINT64_MAX - ncgpu_page_size() + 2, 1ull << 63 };
	uint32_t handle;
	size_t i;

	ASSERT_GT(1ull << 63, self->dev.info.max_bo_size);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		EXPECT_EQ(-E2BIG, __ncgpu_bo_create(self->dev.fd, sizes[i], 0, &handle))
			TH_LOG("size %#llx", (unsigned long long)sizes[i]);
	}
}

TEST_F(bo_create, accepts_max_bo_size)
{
	struct drm_ncgpu_bo_create c = { .size = self->dev.info.max_bo_size };
	int ret = ncgpu_ioctl(self->dev.fd, DRM_IOCTL_NCGPU_BO_CREATE, &c);

	/* Backing pages are allocated lazily, but running out of memory is allowed. */
	ASSERT_TRUE(ret == 0 || ret == -ENOMEM)
		TH_LOG("BO_CREATE(max_bo_size %llu): %s",
		       (unsigned long long)self->dev.info.max_bo_size, strerror(-ret));
	if (ret)
		return;
	EXPECT_EQ(page_round_up(self->dev.info.max_bo_size), c.size);
	EXPECT_EQ(0, __gem_close(self->dev.fd, c.handle));
}

TEST_F(bo_create, returns_distinct_nonzero_handles)
{
	uint32_t handles[32];
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(handles); i++) {
		handles[i] = ncgpu_test_bo_create(_metadata, self->dev.fd, ncgpu_page_size(),
				       (i % 3) ? 0 : DRM_NCGPU_BO_WB_MMAP);
		ASSERT_NE(0u, handles[i]);
		for (j = 0; j < i; j++) {
			ASSERT_NE(handles[j], handles[i]) TH_LOG("BOs %zu and %zu", j, i);
		}
	}
}

/* ---------------------------------------------------------------------- */

NCGPU_DEVICE_FIXTURE(bo_zero)

static void check_new_bo_reads_zero(struct __test_metadata *_metadata, int fd, size_t size,
				    uint32_t flags)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, fd, size, flags);
	void *map = ncgpu_test_bo_map(_metadata, fd, handle, size);
	long at = ncgpu_first_byte_not(map, size, 0);

	EXPECT_EQ(-1, at) TH_LOG("flags %#x: byte %ld of a new BO is %#x", flags, at,
				 ((uint8_t *)map)[at]);
	munmap(map, size);
	__gem_close(fd, handle);
}

TEST_F(bo_zero, new_wc_bo_reads_zero)
{
	leave_secret_behind(_metadata, self->dev.fd, NCGPU_TEST_MIB, 0, SECRET);
	check_new_bo_reads_zero(_metadata, self->dev.fd, NCGPU_TEST_MIB, 0);
}

TEST_F(bo_zero, new_wb_bo_reads_zero)
{
	leave_secret_behind(_metadata, self->dev.fd, NCGPU_TEST_MIB, DRM_NCGPU_BO_WB_MMAP, SECRET);
	check_new_bo_reads_zero(_metadata, self->dev.fd, NCGPU_TEST_MIB, DRM_NCGPU_BO_WB_MMAP);
}

TEST_F(bo_zero, freed_contents_never_reach_new_bos)
{
	const size_t size = 512 * 1024;
	uint32_t flags;
	int round, i;

	for (round = 0; round < 4; round++) {
		for (i = 0; i < 8; i++) {
			flags = (i & 1) ? DRM_NCGPU_BO_WB_MMAP : 0;
			leave_secret_behind(_metadata, self->dev.fd, size, flags, SECRET + round);
		}
		for (i = 0; i < 16; i++) {
			flags = (i % 3 == 0) ? 0 : DRM_NCGPU_BO_WB_MMAP;
			check_new_bo_reads_zero(_metadata, self->dev.fd, size / (1 + i % 4),
						flags);
		}
	}
}

TEST_F(bo_zero, device_reads_zero_from_new_wb_bo)
{
	const size_t size = 256 * 1024;
	uint32_t src, dst;
	struct drm_ncgpu_cmd copy;
	uint8_t *map;
	int ret;

	leave_secret_behind(_metadata, self->dev.fd, size, DRM_NCGPU_BO_WB_MMAP, SECRET);
	src = ncgpu_test_bo_create(_metadata, self->dev.fd, size, DRM_NCGPU_BO_WB_MMAP);
	dst = ncgpu_test_bo_create(_metadata, self->dev.fd, size, 0);
	map = ncgpu_test_bo_map(_metadata, self->dev.fd, dst, size);
	/* Non-zero bytes in dst prove the copy ran if they turn into zeros. */
	memset(map, 0xaa, size);
	copy = ncgpu_cmd_copy(dst, 0, src, 0, size);
	ret = __ncgpu_submit(self->dev.fd, &copy, 1, 0, 0);
	ASSERT_EQ(0, ret) TH_LOG("SUBMIT: %s", strerror(-ret));
	ASSERT_EQ(0, ncgpu_bo_wait_for(self->dev.fd, dst, WAIT_NS));
	EXPECT_EQ(-1, ncgpu_first_byte_not(map, size, 0)) TH_LOG("the device saw old memory");
	munmap(map, size);
}

TEST_F(bo_zero, new_wb_bo_reads_zero_after_flush_and_invalidate)
{
	const size_t size = 256 * 1024;
	uint32_t handle;
	void *map;
	int ret;

	leave_secret_behind(_metadata, self->dev.fd, size, DRM_NCGPU_BO_WB_MMAP, SECRET);
	handle = ncgpu_test_bo_create(_metadata, self->dev.fd, size, DRM_NCGPU_BO_WB_MMAP);
	map = ncgpu_test_bo_map(_metadata, self->dev.fd, handle, size);
	ret = __ncgpu_bo_sync_range(self->dev.fd, handle, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE, 0, size);
	ASSERT_EQ(0, ret) TH_LOG("BO_SYNC FLUSH_AND_INVALIDATE: %s", strerror(-ret));
	EXPECT_EQ(-1, ncgpu_first_byte_not(map, size, 0)) TH_LOG("the device view held old memory");
	munmap(map, size);
}

/* ---------------------------------------------------------------------- */

NCGPU_DEVICE_FIXTURE(bo_mmap_offset)

TEST_F(bo_mmap_offset, rejects_bad_handle)
{
	uint32_t closed = ncgpu_test_bo_create(_metadata, self->dev.fd, ncgpu_page_size(), 0);
	uint64_t offset;

	ASSERT_EQ(0, __gem_close(self->dev.fd, closed));
	EXPECT_EQ(-ENOENT, __ncgpu_bo_mmap_offset(self->dev.fd, 0, &offset));
	EXPECT_EQ(-ENOENT, __ncgpu_bo_mmap_offset(self->dev.fd, closed, &offset));
	EXPECT_EQ(-ENOENT, __ncgpu_bo_mmap_offset(self->dev.fd, 0xffffffffu, &offset));
}

TEST_F(bo_mmap_offset, rejects_nonzero_pad)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, ncgpu_page_size(), 0);

	EXPECT_EQ(-EINVAL, mmap_offset_pad(self->dev.fd, handle, 1));
	EXPECT_EQ(-EINVAL, mmap_offset_pad(self->dev.fd, handle, 0x80000000u));
	EXPECT_EQ(0, mmap_offset_pad(self->dev.fd, handle, 0));
}

TEST_F(bo_mmap_offset, rejects_no_mmap_bo)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, ncgpu_page_size(),
					       DRM_NCGPU_BO_NO_MMAP);
	uint64_t offset;

	EXPECT_EQ(-EPERM, __ncgpu_bo_mmap_offset(self->dev.fd, handle, &offset));
}

#define NO_MMAP_PAGES 4

static int make_no_mmap_bo(int fd, void *arg)
{
	uint32_t handle;

	return __ncgpu_bo_create(fd, NO_MMAP_PAGES * ncgpu_page_size(), DRM_NCGPU_BO_NO_MMAP,
				 &handle);
}

/* Refusing to tell the offset is not enough: mmap() itself refuses the BO. */
TEST_F(bo_mmap_offset, no_mmap_bo_cannot_be_mapped_through_its_guessed_offset)
{
	size_t size = NO_MMAP_PAGES * ncgpu_page_size();
	uint64_t offset;
	int ret = ncgpu_guess_offsets(self->dev.fd, size, make_no_mmap_bo, NULL, &offset);

	ASSERT_EQ(0, ret) TH_LOG("placing a NO_MMAP BO between two others: %s", strerror(-ret));
	EXPECT_EQ(-EPERM, ncgpu_try_mmap(self->dev.fd, offset, size));
	EXPECT_EQ(-EPERM, ncgpu_try_mmap(self->dev.fd, offset, ncgpu_page_size()));
}

TEST_F(bo_mmap_offset, rejects_handle_of_other_file)
{
	int other = ncgpu_open();
	uint32_t handle;
	uint64_t offset;

	ASSERT_LE(0, other);
	/* This file has no BO yet, so no handle number is valid in it. */
	handle = ncgpu_test_bo_create(_metadata, other, ncgpu_page_size(), 0);
	EXPECT_EQ(0, __ncgpu_bo_mmap_offset(other, handle, &offset));
	EXPECT_EQ(-ENOENT, __ncgpu_bo_mmap_offset(self->dev.fd, handle, &offset));
	close(other);
}

TEST_F(bo_mmap_offset, other_file_cannot_map_the_offset)
{
	size_t size = ncgpu_page_size();
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, size, 0);
	uint64_t offset = bo_offset(_metadata, self->dev.fd, handle);
	int other = ncgpu_open();
	void *map;

	ASSERT_LE(0, other);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, other, offset);
	EXPECT_EQ(MAP_FAILED, map) TH_LOG("another DRM file mapped this file's BO");
	if (map != MAP_FAILED)
		munmap(map, size);
	close(other);
}

TEST_F(bo_mmap_offset, refuses_private_mapping)
{
	size_t size = ncgpu_page_size();
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, size, 0);
	uint64_t offset = bo_offset(_metadata, self->dev.fd, handle);
	void *map;

	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->dev.fd, offset);
	EXPECT_EQ(MAP_FAILED, map) TH_LOG("MAP_PRIVATE mapping was accepted");
	if (map != MAP_FAILED)
		munmap(map, size);
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, self->dev.fd, offset);
	EXPECT_EQ(MAP_FAILED, map) TH_LOG("read-only MAP_PRIVATE mapping was accepted");
	if (map != MAP_FAILED)
		munmap(map, size);
}

TEST_F(bo_mmap_offset, refuses_mapping_beyond_bo_end)
{
	size_t size = 2 * ncgpu_page_size();
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, size, 0);
	uint64_t offset = bo_offset(_metadata, self->dev.fd, handle);
	void *map;

	map = mmap(NULL, size + ncgpu_page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd,
		   offset);
	EXPECT_EQ(MAP_FAILED, map) TH_LOG("mapping larger than the BO was accepted");
	if (map != MAP_FAILED)
		munmap(map, size + ncgpu_page_size());
}

static void check_map_read_write(struct __test_metadata *_metadata, int fd, uint32_t flags)
{
	size_t size = 64 * 1024;
	uint32_t handle = ncgpu_test_bo_create(_metadata, fd, size, flags);
	uint64_t offset = bo_offset(_metadata, fd, handle);
	void *first, *second;

	EXPECT_NE(0ull, offset);
	EXPECT_EQ(0ull, offset % ncgpu_page_size());
	first = ncgpu_test_bo_map(_metadata, fd, handle, size);
	second = ncgpu_test_bo_map(_metadata, fd, handle, size);
	ncgpu_fill_pattern(first, size, SECRET ^ flags);
	EXPECT_EQ(-1, ncgpu_pattern_mismatch(first, size, SECRET ^ flags));
	EXPECT_EQ(-1, ncgpu_pattern_mismatch(second, size, SECRET ^ flags))
		TH_LOG("two mappings of one BO disagree");
	munmap(first, size);
	munmap(second, size);
}

TEST_F(bo_mmap_offset, maps_wc_bo)
{
	check_map_read_write(_metadata, self->dev.fd, 0);
}

TEST_F(bo_mmap_offset, maps_wb_bo)
{
	check_map_read_write(_metadata, self->dev.fd, DRM_NCGPU_BO_WB_MMAP);
}

TEST_F(bo_mmap_offset, mapping_outlives_gem_close)
{
	const uint32_t flags[] = { 0, DRM_NCGPU_BO_WB_MMAP };
	size_t size = 64 * 1024;
	uint64_t offset;
	uint32_t handle;
	void *map;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		handle = ncgpu_test_bo_create(_metadata, self->dev.fd, size, flags[i]);
		map = ncgpu_test_bo_map(_metadata, self->dev.fd, handle, size);
		ncgpu_fill_pattern(map, size, SECRET);
		ASSERT_EQ(0, __gem_close(self->dev.fd, handle));
		ASSERT_EQ(-ENOENT, __ncgpu_bo_mmap_offset(self->dev.fd, handle, &offset))
			TH_LOG("GEM_CLOSE left the handle alive");
		EXPECT_EQ(-1, ncgpu_pattern_mismatch(map, size, SECRET))
			TH_LOG("flags %#x", flags[i]);
		ncgpu_fill_pattern(map, size, ~SECRET);
		EXPECT_EQ(-1, ncgpu_pattern_mismatch(map, size, ~SECRET))
			TH_LOG("flags %#x", flags[i]);
		ASSERT_EQ(0, munmap(map, size));
	}
}

/* ---------------------------------------------------------------------- */

NCGPU_DEVICE_FIXTURE(bo_query_info)

TEST_F(bo_query_info, rejects_bad_handle)
{
	uint32_t closed = ncgpu_test_bo_create(_metadata, self->dev.fd, ncgpu_page_size(), 0);
	struct drm_ncgpu_bo_query_info info;

	ASSERT_EQ(0, __gem_close(self->dev.fd, closed));
	EXPECT_EQ(-ENOENT, __ncgpu_bo_query_info(self->dev.fd, 0, &info));
	EXPECT_EQ(-ENOENT, __ncgpu_bo_query_info(self->dev.fd, closed, &info));
	EXPECT_EQ(-ENOENT, __ncgpu_bo_query_info(self->dev.fd, 0xffffffffu, &info));
}

TEST_F(bo_query_info, rejects_handle_of_other_file)
{
	struct drm_ncgpu_bo_query_info info;
	int other = ncgpu_open();
	uint32_t handle;

	ASSERT_LE(0, other);
	handle = ncgpu_test_bo_create(_metadata, other, ncgpu_page_size(), 0);
	EXPECT_EQ(0, __ncgpu_bo_query_info(other, handle, &info));
	EXPECT_EQ(-ENOENT, __ncgpu_bo_query_info(self->dev.fd, handle, &info));
	close(other);
}

static void check_create_flags_echoed(struct __test_metadata *_metadata, int fd, uint32_t flags)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, fd, ncgpu_page_size(), flags);
	struct drm_ncgpu_bo_query_info info = ncgpu_test_bo_query_info(_metadata, fd, handle);

	EXPECT_EQ(flags, info.create_flags);
}

TEST_F(bo_query_info, echoes_create_flags_0)
{
	check_create_flags_echoed(_metadata, self->dev.fd, 0);
}

TEST_F(bo_query_info, echoes_create_flags_no_mmap)
{
	check_create_flags_echoed(_metadata, self->dev.fd, DRM_NCGPU_BO_NO_MMAP);
}

TEST_F(bo_query_info, echoes_create_flags_wb_mmap)
{
	check_create_flags_echoed(_metadata, self->dev.fd, DRM_NCGPU_BO_WB_MMAP);
}

TEST_F(bo_query_info, reports_cpu_cached_for_wb_mmap_or_io_coherent)
{
	const uint32_t flags[] = { 0, DRM_NCGPU_BO_NO_MMAP, DRM_NCGPU_BO_WB_MMAP };
	struct drm_ncgpu_bo_query_info info;
	uint32_t handle, expected;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		handle = ncgpu_test_bo_create(_metadata, self->dev.fd, ncgpu_page_size(), flags[i]);
		info = ncgpu_test_bo_query_info(_metadata, self->dev.fd, handle);
		expected = (ncgpu_io_coherent(&self->dev) || flags[i] == DRM_NCGPU_BO_WB_MMAP) ?
			   DRM_NCGPU_BO_CPU_CACHED : 0;
		EXPECT_EQ(expected, info.extra_flags & DRM_NCGPU_BO_CPU_CACHED)
			TH_LOG("flags %#x, coherency %u", flags[i], self->dev.info.coherency);
	}
}

TEST_F(bo_query_info, own_bo_is_not_flagged_imported)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, ncgpu_page_size(), 0);
	struct drm_ncgpu_bo_query_info info =
		ncgpu_test_bo_query_info(_metadata, self->dev.fd, handle);

	EXPECT_EQ(0u, info.extra_flags & DRM_NCGPU_BO_IS_IMPORTED);
}

static struct drm_ncgpu_bo_query_info query_with_garbage(struct __test_metadata *_metadata,
							 int fd, uint32_t handle)
{
	struct drm_ncgpu_bo_query_info info = {
		.handle = handle,
		.extra_flags = 0xffffffffu,
		.create_flags = 0xffffffffu,
		.pad = 0xffffffffu,
	};
	int ret = ncgpu_ioctl(fd, DRM_IOCTL_NCGPU_BO_QUERY_INFO, &info);

	EXPECT_EQ(0, ret) TH_LOG("BO_QUERY_INFO with garbage out fields: %s", strerror(-ret));
	return info;
}

TEST_F(bo_query_info, overwrites_garbage_in_out_fields)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, ncgpu_page_size(), 0);
	struct drm_ncgpu_bo_query_info info = query_with_garbage(_metadata, self->dev.fd, handle);
	uint32_t cached = ncgpu_io_coherent(&self->dev) ? DRM_NCGPU_BO_CPU_CACHED : 0;

	EXPECT_EQ(handle, info.handle);
	EXPECT_EQ(cached, info.extra_flags);
	EXPECT_EQ(0u, info.create_flags);
}

TEST_F(bo_query_info, zeroes_pad)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, ncgpu_page_size(),
					       DRM_NCGPU_BO_WB_MMAP);
	struct drm_ncgpu_bo_query_info info = query_with_garbage(_metadata, self->dev.fd, handle);

	EXPECT_EQ(0u, info.pad);
}

/* ---------------------------------------------------------------------- */

/*
 * x86 keeps the PAT memory type of RAM pages in page flags, which
 * /proc/kpageflags exposes (PG_arch_1 and PG_uncached). A BO page mapped
 * write-combined must carry the WC type: for PFN mappings x86 replaces the
 * mapping's cache mode with the page's type, so a driver that only sets
 * pgprot_writecombine() still gets a write-back mapping.
 */
NCGPU_DEVICE_FIXTURE(bo_memtype)

#define KPF_UNCACHED 39
#define MEMTYPE_BO_PAGES 256

struct memtype_change {
	long mapped;	/* WC pages gained while the BO is mapped */
	long freed;	/* WC pages lost when the BO is freed */
};

static long wc_pages(struct __test_metadata *_metadata)
{
	long count = ncgpu_count_wc_pages();

	ASSERT_LE(0, count) TH_LOG("reading /proc/kpageflags: %s", strerror(-count));
	return count;
}

static struct memtype_change measure_memtype(struct __test_metadata *_metadata, int fd,
					     uint32_t flags)
{
	size_t page = ncgpu_page_size(), size = MEMTYPE_BO_PAGES * page, i;
	long before = wc_pages(_metadata), mapped;
	uint32_t handle = ncgpu_test_bo_create(_metadata, fd, size, flags);
	volatile uint8_t *map = ncgpu_test_bo_map(_metadata, fd, handle, size);
	struct memtype_change change;

	for (i = 0; i < size; i += page)
		map[i] = 1;
	mapped = wc_pages(_metadata);
	munmap((void *)map, size);
	__gem_close(fd, handle);
	change.mapped = mapped - before;
	change.freed = mapped - wc_pages(_metadata);
	return change;
}

TEST_F(bo_memtype, default_bo_is_write_combined_unless_io_coherent)
{
	const char *why = ncgpu_memtype_check_unavailable();
	struct memtype_change change;

	if (why)
		SKIP(return, "%s", why);
	change = measure_memtype(_metadata, self->dev.fd, 0);
	if (ncgpu_io_coherent(&self->dev)) {
		EXPECT_GT(MEMTYPE_BO_PAGES / 2, change.mapped)
			TH_LOG("io mode: %ld pages of a default BO became WC", change.mapped);
	} else {
		EXPECT_LE(MEMTYPE_BO_PAGES, change.mapped)
			TH_LOG("only %ld of %d BO pages became WC", change.mapped,
			       MEMTYPE_BO_PAGES);
	}
}

TEST_F(bo_memtype, wb_mmap_bo_is_write_back)
{
	const char *why = ncgpu_memtype_check_unavailable();
	struct memtype_change change;

	if (why)
		SKIP(return, "%s", why);
	change = measure_memtype(_metadata, self->dev.fd, DRM_NCGPU_BO_WB_MMAP);
	EXPECT_GT(MEMTYPE_BO_PAGES / 2, change.mapped)
		TH_LOG("%ld pages of a WB_MMAP BO became WC", change.mapped);
}

TEST_F(bo_memtype, freed_bo_pages_return_to_write_back)
{
	const char *why = ncgpu_memtype_check_unavailable();
	struct memtype_change change;

	if (why)
		SKIP(return, "%s", why);
	if (ncgpu_io_coherent(&self->dev))
		SKIP(return, "no BO is write-combined on an IO-coherent device");
	change = measure_memtype(_metadata, self->dev.fd, 0);
	ASSERT_LE(MEMTYPE_BO_PAGES, change.mapped);
	EXPECT_LE(MEMTYPE_BO_PAGES, change.freed)
		TH_LOG("only %ld of %d pages left WC when the BO was freed", change.freed,
		       MEMTYPE_BO_PAGES);
}

TEST_HARNESS_MAIN
