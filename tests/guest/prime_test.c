// SPDX-License-Identifier: MIT
/*
 * In-guest tests of ncgpu's PRIME (dma-buf) export and import, within ncgpu
 * and with vgem as a foreign driver.
 *
 * On a non-coherent device only write-combined BOs can be exported; on an
 * IO-coherent device every BO can. The tests read the mode from DEV_QUERY.
 */
#define _GNU_SOURCE
#include <stdbool.h>

#include "kselftest_harness.h"
#include "ncgpu_test.h"

#define BO_SIZE (64 * 1024)
#define SEED 0x0d15ea5e0b0e5eedull
#define WAIT_NS 10000000000ll
#define STALL_US 500000

/* The flags of a BO that can be exported, preferring non-zero create flags. */
static uint32_t exportable_flags(const struct ncgpu_test_device *dev)
{
	return ncgpu_io_coherent(dev) ? DRM_NCGPU_BO_WB_MMAP : 0;
}

static int export_bo(struct __test_metadata *_metadata, int fd, uint32_t handle)
{
	int dmabuf = -1;
	int ret = __prime_handle_to_fd(fd, handle, &dmabuf);

	ASSERT_EQ(0, ret) TH_LOG("PRIME_HANDLE_TO_FD(%u): %s", handle, strerror(-ret));
	return dmabuf;
}

static uint32_t import_dmabuf(struct __test_metadata *_metadata, int fd, int dmabuf)
{
	uint32_t handle = 0;
	int ret = __prime_fd_to_handle(fd, dmabuf, &handle);

	ASSERT_EQ(0, ret) TH_LOG("PRIME_FD_TO_HANDLE: %s", strerror(-ret));
	return handle;
}

static void *map_dmabuf(struct __test_metadata *_metadata, int dmabuf, size_t size)
{
	void *map = ncgpu_map_dmabuf(dmabuf, size);

	ASSERT_NE(NULL, map) TH_LOG("mapping the dma-buf: %s", strerror(errno));
	return map;
}

static void dmabuf_sync(struct __test_metadata *_metadata, int dmabuf, uint64_t flags)
{
	int ret = __dmabuf_sync(dmabuf, flags);

	ASSERT_EQ(0, ret) TH_LOG("DMA_BUF_IOCTL_SYNC(%#llx): %s", (unsigned long long)flags,
				 strerror(-ret));
}

/* Submits one job that stalls and then fills @handle with @value. */
static void submit_late_fill(struct __test_metadata *_metadata, int fd, uint32_t handle,
			     size_t size, uint64_t value)
{
	struct drm_ncgpu_cmd cmds[2] = {
		ncgpu_cmd_stall(STALL_US),
		ncgpu_cmd_fill(handle, 0, size, value),
	};
	int ret = __ncgpu_submit(fd, cmds, 2, 0, 0);

	ASSERT_EQ(0, ret) TH_LOG("SUBMIT: %s", strerror(-ret));
}

/* ---------------------------------------------------------------------- */

NCGPU_DEVICE_FIXTURE(prime)

TEST_F(prime, reports_import_and_export_cap)
{
	struct drm_get_cap cap = { .capability = DRM_CAP_PRIME };

	ASSERT_EQ(0, ncgpu_ioctl(self->dev.fd, DRM_IOCTL_GET_CAP, &cap));
	EXPECT_EQ((uint64_t)(DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT),
		  cap.value & (DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT));
}

TEST_F(prime, export_of_wc_bo_has_bo_size)
{
	struct drm_ncgpu_bo_create c = { .size = 12388 };
	int dmabuf;

	ASSERT_EQ(0, ncgpu_ioctl(self->dev.fd, DRM_IOCTL_NCGPU_BO_CREATE, &c));
	dmabuf = export_bo(_metadata, self->dev.fd, c.handle);
	EXPECT_EQ((off_t)c.size, lseek(dmabuf, 0, SEEK_END));
	close(dmabuf);
}

TEST_F(prime, export_rejects_bad_handle)
{
	uint32_t closed = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, 0);
	int dmabuf;

	ASSERT_EQ(0, __gem_close(self->dev.fd, closed));
	EXPECT_EQ(-ENOENT, __prime_handle_to_fd(self->dev.fd, closed, &dmabuf));
	EXPECT_EQ(-ENOENT, __prime_handle_to_fd(self->dev.fd, 0, &dmabuf));
}

TEST_F(prime, export_of_wb_bo_only_when_io_coherent)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE,
					       DRM_NCGPU_BO_WB_MMAP);
	int dmabuf = -1;
	int ret = __prime_handle_to_fd(self->dev.fd, handle, &dmabuf);

	if (!ncgpu_io_coherent(&self->dev)) {
		EXPECT_EQ(-EINVAL, ret) TH_LOG("a cached BO of a non-coherent device was exported");
	} else {
		ASSERT_EQ(0, ret) TH_LOG("IO-coherent device refused to export a WB BO");
		EXPECT_EQ((off_t)BO_SIZE, lseek(dmabuf, 0, SEEK_END));
	}
	if (!ret)
		close(dmabuf);
}

TEST_F(prime, self_import_gives_same_handle)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, 0);
	int dmabuf = export_bo(_metadata, self->dev.fd, handle);

	EXPECT_EQ(handle, import_dmabuf(_metadata, self->dev.fd, dmabuf));
	EXPECT_EQ(handle, import_dmabuf(_metadata, self->dev.fd, dmabuf));
	close(dmabuf);
}

TEST_F(prime, import_in_other_file_is_same_bo_not_imported)
{
	uint32_t flags = exportable_flags(&self->dev);
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, flags);
	struct drm_ncgpu_bo_query_info own =
		ncgpu_test_bo_query_info(_metadata, self->dev.fd, handle);
	struct drm_ncgpu_bo_query_info other_info;
	int dmabuf = export_bo(_metadata, self->dev.fd, handle);
	int other = ncgpu_open();
	uint32_t other_handle;

	ASSERT_LE(0, other);
	other_handle = import_dmabuf(_metadata, other, dmabuf);
	other_info = ncgpu_test_bo_query_info(_metadata, other, other_handle);
	EXPECT_EQ(0u, other_info.extra_flags & DRM_NCGPU_BO_IS_IMPORTED)
		TH_LOG("an ncgpu export came back as a foreign import");
	EXPECT_EQ(own.extra_flags, other_info.extra_flags);
	EXPECT_EQ(flags, other_info.create_flags);
	close(other);
	close(dmabuf);
}

TEST_F(prime, import_in_other_file_shares_data)
{
	uint32_t flags = exportable_flags(&self->dev);
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, flags);
	int dmabuf = export_bo(_metadata, self->dev.fd, handle);
	int other = ncgpu_open();
	uint32_t other_handle;
	void *own_map, *other_map;

	ASSERT_LE(0, other);
	other_handle = import_dmabuf(_metadata, other, dmabuf);
	own_map = ncgpu_test_bo_map(_metadata, self->dev.fd, handle, BO_SIZE);
	other_map = ncgpu_test_bo_map(_metadata, other, other_handle, BO_SIZE);
	ncgpu_fill_pattern(own_map, BO_SIZE, SEED);
	EXPECT_EQ(-1, ncgpu_pattern_mismatch(other_map, BO_SIZE, SEED))
		TH_LOG("the importing file does not see the exporter's writes");
	ncgpu_fill_pattern(other_map, BO_SIZE, ~SEED);
	EXPECT_EQ(-1, ncgpu_pattern_mismatch(own_map, BO_SIZE, ~SEED))
		TH_LOG("the exporting file does not see the importer's writes");
	munmap(own_map, BO_SIZE);
	munmap(other_map, BO_SIZE);
	close(other);
	close(dmabuf);
}

TEST_F(prime, reimport_into_exporting_file_gives_original_handle)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, 0);
	int dmabuf = export_bo(_metadata, self->dev.fd, handle);
	int other = ncgpu_open();
	int other_dmabuf;
	uint32_t other_handle;

	ASSERT_LE(0, other);
	other_handle = import_dmabuf(_metadata, other, dmabuf);
	close(dmabuf);
	other_dmabuf = export_bo(_metadata, other, other_handle);
	EXPECT_EQ(handle, import_dmabuf(_metadata, self->dev.fd, other_dmabuf));
	close(other_dmabuf);
	close(other);
}

TEST_F(prime, dmabuf_mmap_shows_bo_data)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, 0);
	int dmabuf = export_bo(_metadata, self->dev.fd, handle);
	void *bo_map = ncgpu_test_bo_map(_metadata, self->dev.fd, handle, BO_SIZE);
	void *buf_map = map_dmabuf(_metadata, dmabuf, BO_SIZE);

	ncgpu_fill_pattern(bo_map, BO_SIZE, SEED);
	dmabuf_sync(_metadata, dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	EXPECT_EQ(-1, ncgpu_pattern_mismatch(buf_map, BO_SIZE, SEED))
		TH_LOG("the dma-buf mapping does not show the BO's data");
	dmabuf_sync(_metadata, dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);

	dmabuf_sync(_metadata, dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	ncgpu_fill_pattern(buf_map, BO_SIZE, ~SEED);
	dmabuf_sync(_metadata, dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	EXPECT_EQ(-1, ncgpu_pattern_mismatch(bo_map, BO_SIZE, ~SEED))
		TH_LOG("the BO mapping does not show writes through the dma-buf");
	munmap(buf_map, BO_SIZE);
	munmap(bo_map, BO_SIZE);
	close(dmabuf);
}

TEST_F(prime, dmabuf_sync_start_and_end_succeed)
{
	const uint64_t access[] = { DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_RW };
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, 0);
	int dmabuf = export_bo(_metadata, self->dev.fd, handle);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(access); i++) {
		EXPECT_EQ(0, __dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | access[i]))
			TH_LOG("START, access %#llx", (unsigned long long)access[i]);
		EXPECT_EQ(0, __dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | access[i]))
			TH_LOG("END, access %#llx", (unsigned long long)access[i]);
	}
	close(dmabuf);
}

TEST_F(prime, dmabuf_sync_rejects_bad_flags)
{
	const uint64_t bad[] = {
		DMA_BUF_SYNC_START, DMA_BUF_SYNC_END, 1ull << 3,
		DMA_BUF_SYNC_READ | (1ull << 3), DMA_BUF_SYNC_RW | (1ull << 63),
	};
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, 0);
	int dmabuf = export_bo(_metadata, self->dev.fd, handle);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, __dmabuf_sync(dmabuf, bad[i]))
			TH_LOG("flags %#llx", (unsigned long long)bad[i]);
	}
	close(dmabuf);
}

TEST_F(prime, dmabuf_sync_waits_for_device_job)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, 0);
	int dmabuf = export_bo(_metadata, self->dev.fd, handle);
	void *buf_map = map_dmabuf(_metadata, dmabuf, BO_SIZE);

	submit_late_fill(_metadata, self->dev.fd, handle, BO_SIZE, 0x5a5a5a5a5a5a5a5aull);
	ASSERT_EQ(-EBUSY, __ncgpu_bo_wait(self->dev.fd, handle, 0))
		TH_LOG("the stalled job already finished, nothing to wait for");
	dmabuf_sync(_metadata, dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	EXPECT_EQ(-1, ncgpu_first_byte_not(buf_map, BO_SIZE, 0x5a))
		TH_LOG("SYNC_START returned before the device job wrote the BO");
	dmabuf_sync(_metadata, dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(buf_map, BO_SIZE);
	close(dmabuf);
}

TEST_F(prime, new_exported_bo_reads_zero_through_dmabuf)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, 0);
	void *map = ncgpu_test_bo_map(_metadata, self->dev.fd, handle, BO_SIZE);
	int dmabuf;
	long at;

	/* Leave a secret in freed memory first. */
	ncgpu_fill_pattern(map, BO_SIZE, SEED);
	munmap(map, BO_SIZE);
	ASSERT_EQ(0, __gem_close(self->dev.fd, handle));

	handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE,
				      exportable_flags(&self->dev));
	dmabuf = export_bo(_metadata, self->dev.fd, handle);
	map = map_dmabuf(_metadata, dmabuf, BO_SIZE);
	dmabuf_sync(_metadata, dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	at = ncgpu_first_byte_not(map, BO_SIZE, 0);
	EXPECT_EQ(-1, at) TH_LOG("byte %ld of a new BO's dma-buf is not zero", at);
	dmabuf_sync(_metadata, dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(map, BO_SIZE);
	close(dmabuf);
}

TEST_F(prime, dmabuf_mapping_outlives_fd_and_handle)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, 0);
	int dmabuf = export_bo(_metadata, self->dev.fd, handle);
	void *buf_map = map_dmabuf(_metadata, dmabuf, BO_SIZE);
	void *bo_map = ncgpu_test_bo_map(_metadata, self->dev.fd, handle, BO_SIZE);

	ncgpu_fill_pattern(buf_map, BO_SIZE, SEED);
	ASSERT_EQ(0, close(dmabuf));
	ASSERT_EQ(0, __gem_close(self->dev.fd, handle));
	ASSERT_EQ(-ENOENT, __prime_handle_to_fd(self->dev.fd, handle, &dmabuf))
		TH_LOG("GEM_CLOSE left the handle alive");

	EXPECT_EQ(-1, ncgpu_pattern_mismatch(buf_map, BO_SIZE, SEED));
	ncgpu_fill_pattern(buf_map, BO_SIZE, ~SEED);
	EXPECT_EQ(-1, ncgpu_pattern_mismatch(bo_map, BO_SIZE, ~SEED))
		TH_LOG("the two mappings no longer share memory");
	ASSERT_EQ(0, munmap(bo_map, BO_SIZE));
	EXPECT_EQ(-1, ncgpu_pattern_mismatch(buf_map, BO_SIZE, ~SEED))
		TH_LOG("unmapping the BO mapping broke the dma-buf mapping");
	ASSERT_EQ(0, munmap(buf_map, BO_SIZE));
}

TEST_F(prime, dmabuf_mmap_beyond_size_fails)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, 0);
	int dmabuf = export_bo(_metadata, self->dev.fd, handle);
	size_t size = BO_SIZE + ncgpu_page_size();
	void *map;

	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	EXPECT_EQ(MAP_FAILED, map) TH_LOG("a dma-buf mapping larger than the BO was accepted");
	if (map != MAP_FAILED)
		munmap(map, size);
	close(dmabuf);
}

/* ---------------------------------------------------------------------- */

FIXTURE(prime_vgem)
{
	struct ncgpu_test_device dev;
	int vgem;
};

FIXTURE_SETUP(prime_vgem)
{
	ncgpu_test_device_setup(_metadata, &self->dev);
	/* vgem's dumb buffers can only be created on its primary node. */
	self->vgem = ncgpu_open_primary_driver("vgem");
	if (self->vgem < 0 && !ncgpu_module_loaded("vgem"))
		NCGPU_SETUP_SKIP("vgem module not loaded");
	ASSERT_LE(0, self->vgem) TH_LOG("vgem is loaded but has no card node");
}

FIXTURE_TEARDOWN(prime_vgem)
{
	close(self->vgem);
	close(self->dev.fd);
}

#define VGEM_BO_SIZE (256 * 1024)

struct vgem_bo {
	uint32_t handle;
	uint64_t size;
};

static struct vgem_bo vgem_create(struct __test_metadata *_metadata, int vgem)
{
	struct vgem_bo bo = { .size = VGEM_BO_SIZE };
	int ret = __dumb_create(vgem, bo.size, &bo.handle);

	ASSERT_EQ(0, ret) TH_LOG("vgem MODE_CREATE_DUMB: %s", strerror(-ret));
	return bo;
}

static void *vgem_map(struct __test_metadata *_metadata, int vgem, struct vgem_bo bo)
{
	int err = 0;
	void *map = __dumb_map(vgem, bo.handle, bo.size, &err);

	ASSERT_NE(NULL, map) TH_LOG("mapping the vgem BO: %s", strerror(-err));
	return map;
}

/* Imports a vgem BO into ncgpu; returns the ncgpu handle. */
static uint32_t import_vgem_bo(struct __test_metadata *_metadata, FIXTURE_DATA(prime_vgem) *self,
			       struct vgem_bo bo)
{
	int dmabuf = export_bo(_metadata, self->vgem, bo.handle);
	uint32_t handle = import_dmabuf(_metadata, self->dev.fd, dmabuf);

	close(dmabuf);
	return handle;
}

TEST_F(prime_vgem, vgem_import_is_flagged_imported)
{
	struct vgem_bo bo = vgem_create(_metadata, self->vgem);
	uint32_t handle = import_vgem_bo(_metadata, self, bo);
	struct drm_ncgpu_bo_query_info info =
		ncgpu_test_bo_query_info(_metadata, self->dev.fd, handle);

	EXPECT_EQ((uint32_t)DRM_NCGPU_BO_IS_IMPORTED, info.extra_flags & DRM_NCGPU_BO_IS_IMPORTED);
	EXPECT_EQ(0u, info.create_flags);
	EXPECT_EQ(0u, info.pad);
}

TEST_F(prime_vgem, vgem_import_refuses_mmap_offset)
{
	struct vgem_bo bo = vgem_create(_metadata, self->vgem);
	uint32_t handle = import_vgem_bo(_metadata, self, bo);
	uint64_t offset;

	EXPECT_EQ(-EINVAL, __ncgpu_bo_mmap_offset(self->dev.fd, handle, &offset));
}

/* What ncgpu_guess_offsets() places between two ordinary BOs. */
struct refused_bos {
	int vgem;
	bool no_mmap;
	bool import;
};

static size_t refused_bos_size(const struct refused_bos *r)
{
	return (r->no_mmap ? 4 * ncgpu_page_size() : 0) + (r->import ? VGEM_BO_SIZE : 0);
}

static int make_refused_bos(int fd, void *arg)
{
	struct refused_bos *r = arg;
	struct ncgpu_foreign_bo foreign;
	uint32_t handle;
	int ret = 0;

	if (r->no_mmap)
		ret = __ncgpu_bo_create(fd, 4 * ncgpu_page_size(), DRM_NCGPU_BO_NO_MMAP, &handle);
	if (!ret && r->import)
		ret = ncgpu_foreign_bo_create(fd, r->vgem, VGEM_BO_SIZE, &foreign);
	return ret;
}

static uint64_t guess_offsets(struct __test_metadata *_metadata, int fd, struct refused_bos *r)
{
	uint64_t offset = 0;
	int ret = ncgpu_guess_offsets(fd, refused_bos_size(r), make_refused_bos, r, &offset);

	ASSERT_EQ(0, ret) TH_LOG("placing refused BOs between two others: %s", strerror(-ret));
	return offset;
}

/*
 * BO_MMAP_OFFSET refuses an import, but its fake offset is easy to guess;
 * mmap() of it must not reach the exporter's memory.
 */
TEST_F(prime_vgem, vgem_import_cannot_be_mapped_through_its_guessed_offset)
{
	struct refused_bos r = { .vgem = self->vgem, .import = true };
	uint64_t offset = guess_offsets(_metadata, self->dev.fd, &r);

	EXPECT_EQ(-EINVAL, ncgpu_try_mmap(self->dev.fd, offset, VGEM_BO_SIZE));
	EXPECT_EQ(-EINVAL, ncgpu_try_mmap(self->dev.fd, offset, ncgpu_page_size()));
}

/*
 * Between two ordinary BOs lie a NO_MMAP BO and a vgem import, and nothing
 * else: no page offset from the end of the first to the start of the second
 * maps anything.
 */
TEST_F(prime_vgem, no_page_offset_between_two_bos_maps_a_refused_bo)
{
	struct refused_bos r = { .vgem = self->vgem, .no_mmap = true, .import = true };
	uint64_t first = guess_offsets(_metadata, self->dev.fd, &r), offset;
	size_t page = ncgpu_page_size(), size = refused_bos_size(&r);
	unsigned int mapped = 0;

	for (offset = first; offset < first + size; offset += page) {
		if (ncgpu_try_mmap(self->dev.fd, offset, page))
			continue;
		mapped++;
		TH_LOG("page offset %#llx mapped", (unsigned long long)offset);
	}
	EXPECT_EQ(0u, mapped) TH_LOG("of %zu page offsets", size / page);
}

TEST_F(prime_vgem, device_reads_vgem_import)
{
	struct vgem_bo bo = vgem_create(_metadata, self->vgem);
	void *vgem_map_ptr = vgem_map(_metadata, self->vgem, bo);
	uint32_t src, dst;
	struct drm_ncgpu_cmd copy;
	void *dst_map;
	int ret;

	ncgpu_fill_pattern(vgem_map_ptr, bo.size, SEED);
	src = import_vgem_bo(_metadata, self, bo);
	dst = ncgpu_test_bo_create(_metadata, self->dev.fd, bo.size, 0);
	copy = ncgpu_cmd_copy(dst, 0, src, 0, bo.size);
	ret = __ncgpu_submit(self->dev.fd, &copy, 1, 0, 0);
	ASSERT_EQ(0, ret) TH_LOG("SUBMIT: %s", strerror(-ret));
	ASSERT_EQ(0, ncgpu_bo_wait_for(self->dev.fd, dst, WAIT_NS));
	dst_map = ncgpu_test_bo_map(_metadata, self->dev.fd, dst, bo.size);
	EXPECT_EQ(-1, ncgpu_pattern_mismatch(dst_map, bo.size, SEED))
		TH_LOG("the device did not read the vgem BO's data");
	munmap(dst_map, bo.size);
	munmap(vgem_map_ptr, bo.size);
}

TEST_F(prime_vgem, vgem_dmabuf_sync_waits_for_device_write)
{
	struct vgem_bo bo = vgem_create(_metadata, self->vgem);
	int dmabuf = export_bo(_metadata, self->vgem, bo.handle);
	uint32_t handle = import_dmabuf(_metadata, self->dev.fd, dmabuf);
	void *map = map_dmabuf(_metadata, dmabuf, bo.size);

	submit_late_fill(_metadata, self->dev.fd, handle, bo.size, 0xc3c3c3c3c3c3c3c3ull);
	ASSERT_EQ(-EBUSY, __ncgpu_bo_wait(self->dev.fd, handle, 0))
		TH_LOG("the stalled job already finished, nothing to wait for");
	dmabuf_sync(_metadata, dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	EXPECT_EQ(-1, ncgpu_first_byte_not(map, bo.size, 0xc3))
		TH_LOG("vgem's dma-buf does not show the finished device write");
	dmabuf_sync(_metadata, dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(map, bo.size);
	close(dmabuf);
}

TEST_F(prime_vgem, ncgpu_export_imports_into_vgem)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, 0);
	void *bo_map = ncgpu_test_bo_map(_metadata, self->dev.fd, handle, BO_SIZE);
	int dmabuf = export_bo(_metadata, self->dev.fd, handle);
	uint32_t vgem_handle = import_dmabuf(_metadata, self->vgem, dmabuf);
	void *buf_map;

	EXPECT_NE(0u, vgem_handle);
	ncgpu_fill_pattern(bo_map, BO_SIZE, SEED);
	buf_map = map_dmabuf(_metadata, dmabuf, BO_SIZE);
	dmabuf_sync(_metadata, dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	EXPECT_EQ(-1, ncgpu_pattern_mismatch(buf_map, BO_SIZE, SEED))
		TH_LOG("the dma-buf does not show data written through ncgpu");
	dmabuf_sync(_metadata, dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(buf_map, BO_SIZE);
	munmap(bo_map, BO_SIZE);
	close(dmabuf);
}

TEST_F(prime_vgem, roundtrip_through_vgem_gives_original_handle)
{
	uint32_t handle = ncgpu_test_bo_create(_metadata, self->dev.fd, BO_SIZE, 0);
	int dmabuf = export_bo(_metadata, self->dev.fd, handle);
	uint32_t vgem_handle = import_dmabuf(_metadata, self->vgem, dmabuf);
	int vgem_dmabuf;
	uint32_t back;

	close(dmabuf);
	vgem_dmabuf = export_bo(_metadata, self->vgem, vgem_handle);
	back = import_dmabuf(_metadata, self->dev.fd, vgem_dmabuf);
	EXPECT_EQ(handle, back);
	EXPECT_EQ(0u, ncgpu_test_bo_query_info(_metadata, self->dev.fd, back).extra_flags &
		      DRM_NCGPU_BO_IS_IMPORTED);
	close(vgem_dmabuf);
}

TEST_HARNESS_MAIN
