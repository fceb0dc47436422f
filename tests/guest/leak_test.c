// SPDX-License-Identifier: MIT
/*
 * Information leaks. Before each test, BOs of every kind are filled with a
 * secret by the CPU and by the device (which for write-back BOs writes their
 * device view) and freed. New BOs must then read as zero through every path:
 * a CPU write-back or write-combined mapping, the device view (copied by the
 * device into a fresh write-combined BO), a dma-buf mapping and a vgem
 * import. Ioctl answers must not carry stale bytes either.
 *
 * The guest boots with init_on_alloc=0, so the kernel does not zero pages on
 * the driver's behalf: a page allocated without zeroing still holds the
 * secret it held when freed.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "ncgpu_test.h"

/* No zero byte, so that any byte of it is told apart from fresh memory. */
#define SECRET 0xa5c3e1f0d2b49687ull
#define SPILL_BOS 9
#define SPILL_SIZE (512 * 1024)
#define BO_SIZE (256 * 1024)
#define MARK 0x5aull
#define WB DRM_NCGPU_BO_WB_MMAP
#define NO_MMAP DRM_NCGPU_BO_NO_MMAP
#define WAIT_NS (10 * NCGPU_TEST_NSEC_PER_SEC)

FIXTURE(leak) {
	struct ncgpu_test_device dev;
	int fd;
	size_t page;
	/* Flags of a BO that can be exported: write-combined unless IO-coherent. */
	uint32_t export_flags;
};

/* @p is page-aligned: the secret lies as a FILL of SECRET would lay it. */
static void fill_secret(uint8_t *p, size_t len)
{
	uint64_t *words = (uint64_t *)p, secret = SECRET;
	size_t i;

	if (*(const uint8_t *)&secret != (uint8_t)SECRET)
		secret = __builtin_bswap64(secret);
	for (i = 0; i < len / 8; i++)
		words[i] = secret;
}

static int spill_one(int fd, uint32_t flags)
{
	struct drm_ncgpu_cmd fill = ncgpu_cmd_fill(0, 0, SPILL_SIZE, SECRET);
	struct ncgpu_mapped_bo bo;
	int ret = ncgpu_mapped_bo_create(fd, SPILL_SIZE, flags, &bo);

	if (ret)
		return ret;
	if (bo.map)
		fill_secret(bo.map, SPILL_SIZE);
	/* The CPU's secret reaches the device view too. */
	if (flags & WB)
		ret = __ncgpu_bo_sync_range(fd, bo.handle, DRM_NCGPU_BO_SYNC_FLUSH, 0, SPILL_SIZE);
	fill.dst_handle = bo.handle;
	if (!ret)
		ret = ncgpu_submit_wait(fd, &fill, 1);
	if (bo.map)
		munmap(bo.map, SPILL_SIZE);
	__gem_close(fd, bo.handle);
	return ret;
}

/* Writes the secret through a dma-buf mapping of an exported BO. */
static int spill_through_dmabuf(int fd, uint32_t flags)
{
	uint32_t handle;
	int dmabuf = -1, ret = __ncgpu_bo_create(fd, SPILL_SIZE, flags, &handle);
	void *map;

	if (ret)
		return ret;
	ret = __prime_handle_to_fd(fd, handle, &dmabuf);
	__gem_close(fd, handle);
	if (ret)
		return ret;
	map = mmap(NULL, SPILL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
	} else {
		__dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		fill_secret(map, SPILL_SIZE);
		__dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		munmap(map, SPILL_SIZE);
	}
	close(dmabuf);
	return ret;
}

/* Fills and frees BOs of every kind: their pages go back to the allocator. */
static int spill_secret(int fd, uint32_t export_flags)
{
	static const uint32_t kinds[] = { WB, 0, NO_MMAP };
	unsigned int i;
	int ret = 0;

	for (i = 0; i < SPILL_BOS && !ret; i++)
		ret = spill_one(fd, kinds[i % 3]);
	if (!ret)
		ret = spill_through_dmabuf(fd, export_flags);
	return ret;
}

FIXTURE_SETUP(leak)
{
	int ret;

	ncgpu_test_device_setup(_metadata, &self->dev);
	self->fd = self->dev.fd;
	self->page = sysconf(_SC_PAGESIZE);
	self->export_flags = self->dev.info.coherency == DRM_NCGPU_COHERENCY_IO ? WB : 0;
	ret = spill_secret(self->fd, self->export_flags);
	ASSERT_EQ(0, ret) TH_LOG("spilling the secret: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(leak)
{
	close(self->fd);
}

/*
 * Checks that @p holds zeros except where @expected (if not NULL) says
 * otherwise; logs the first difference and whether it is a secret byte.
 */
static bool holds_only(struct __test_metadata *_metadata, const char *path, const uint8_t *p,
		       const uint8_t *expected, size_t len)
{
	size_t i, wrong = 0, secret = 0, first = len;
	uint8_t want;

	/* The common case, fast: all as expected. */
	if (expected ? !memcmp(p, expected, len) : (!p[0] && !memcmp(p, p + 1, len - 1)))
		return true;
	for (i = 0; i < len; i++) {
		want = expected ? expected[i] : 0;
		if (p[i] == want)
			continue;
		if (first == len)
			first = i;
		wrong++;
		secret += p[i] == ncgpu_fill_byte(SECRET, i);
	}
	if (wrong)
		TH_LOG("%s: %zu of %zu bytes are not what a new BO holds (%zu of them the "
		       "secret); first at 0x%zx: 0x%02x", path, wrong, len, secret, first, p[first]);
	return !wrong;
}

/* The device's view of @handle, copied by the device into a fresh write-combined BO. */
static uint8_t *device_view(struct __test_metadata *_metadata, int fd, uint32_t handle,
			    size_t size, struct ncgpu_mapped_bo *probe)
{
	int ret = ncgpu_mapped_bo_create(fd, size, 0, probe);

	EXPECT_EQ(0, ret) TH_LOG("probe BO: %s", strerror(-ret));
	if (ret)
		return NULL;
	ret = ncgpu_copy_wait(fd, probe->handle, 0, handle, 0, size);
	EXPECT_EQ(0, ret) TH_LOG("COPY into the probe: %s", strerror(-ret));
	return ret ? NULL : probe->map;
}

static void release(int fd, struct ncgpu_mapped_bo *bo)
{
	if (bo->map)
		munmap(bo->map, bo->size);
	__gem_close(fd, bo->handle);
}

static void expect_device_view(struct __test_metadata *_metadata, int fd, uint32_t handle,
			       const uint8_t *expected, size_t size, const char *path)
{
	struct ncgpu_mapped_bo probe = { 0 };
	uint8_t *view = device_view(_metadata, fd, handle, size, &probe);

	if (view) {
		EXPECT_TRUE(holds_only(_metadata, path, view, expected, size));
	}
	if (probe.handle)
		release(fd, &probe);
}

TEST_F(leak, new_wc_bo_reads_zero_on_cpu_and_device)
{
	struct ncgpu_mapped_bo bo;

	ASSERT_EQ(0, ncgpu_mapped_bo_create(self->fd, BO_SIZE, 0, &bo));
	EXPECT_TRUE(holds_only(_metadata, "write-combined CPU mapping", bo.map, NULL, BO_SIZE));
	expect_device_view(_metadata, self->fd, bo.handle, NULL, BO_SIZE,
			   "device view of a write-combined BO");
	release(self->fd, &bo);
}

TEST_F(leak, new_no_mmap_bo_reads_zero_on_device)
{
	uint32_t handle;

	ASSERT_EQ(0, __ncgpu_bo_create(self->fd, BO_SIZE, NO_MMAP, &handle));
	expect_device_view(_metadata, self->fd, handle, NULL, BO_SIZE,
			   "device view of a NO_MMAP BO");
	__gem_close(self->fd, handle);
}

TEST_F(leak, new_wb_bo_reads_zero_on_cpu_and_device)
{
	struct ncgpu_mapped_bo bo;

	ASSERT_EQ(0, ncgpu_mapped_bo_create(self->fd, BO_SIZE, WB, &bo));
	EXPECT_TRUE(holds_only(_metadata, "write-back CPU mapping", bo.map, NULL, BO_SIZE));
	expect_device_view(_metadata, self->fd, bo.handle, NULL, BO_SIZE,
			   "device view of a write-back BO");
	ASSERT_EQ(0, __ncgpu_bo_sync_range(self->fd, bo.handle, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE, 0,
				BO_SIZE));
	EXPECT_TRUE(holds_only(_metadata, "write-back CPU mapping after invalidation", bo.map,
			       NULL, BO_SIZE));
	release(self->fd, &bo);
}

/*
 * Partial writes make the device view allocate pages of which only a few
 * bytes are written: the rest must read as zero, on the device and, after an
 * invalidation, on the CPU. Even pages get 8 bytes from the device, odd
 * pages one flushed CPU byte.
 */
TEST_F(leak, partly_written_wb_bo_shows_only_what_was_written)
{
	size_t page = self->page, npages = BO_SIZE / page, i;
	struct drm_ncgpu_cmd *fills = calloc(npages, sizeof(*fills));
	uint8_t *expected = calloc(1, BO_SIZE);
	struct ncgpu_mapped_bo bo;
	int ret;

	ASSERT_TRUE(fills && expected);
	ASSERT_EQ(0, ncgpu_mapped_bo_create(self->fd, BO_SIZE, WB, &bo));
	for (i = 0; i < npages; i += 2) {
		fills[i / 2] = ncgpu_cmd_fill(bo.handle, i * page, 8, MARK);
		expected[i * page] = MARK;
	}
	for (i = 1; i < npages; i += 2) {
		bo.map[i * page + page / 2] = MARK;
		expected[i * page + page / 2] = MARK;
		ret = __ncgpu_bo_sync_range(self->fd, bo.handle, DRM_NCGPU_BO_SYNC_FLUSH, i * page + page / 2, 1);
		ASSERT_EQ(0, ret) TH_LOG("FLUSH: %s", strerror(-ret));
	}
	ret = ncgpu_submit_wait(self->fd, fills, npages / 2);
	ASSERT_EQ(0, ret) TH_LOG("partial FILLs: %s", strerror(-ret));
	expect_device_view(_metadata, self->fd, bo.handle, expected, BO_SIZE,
			   "device view of a partly written write-back BO");
	ret = __ncgpu_bo_sync_range(self->fd, bo.handle, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE, 0, BO_SIZE);
	ASSERT_EQ(0, ret) TH_LOG("FLUSH_AND_INVALIDATE: %s", strerror(-ret));
	EXPECT_TRUE(holds_only(_metadata, "CPU view of a partly written write-back BO after "
			       "invalidation", bo.map, expected, BO_SIZE));
	release(self->fd, &bo);
	free(fills);
	free(expected);
}

static void expect_zero_dmabuf(struct __test_metadata *_metadata, int dmabuf, const char *path)
{
	uint8_t *map = ncgpu_map_dmabuf(dmabuf, BO_SIZE);

	ASSERT_NE(NULL, map) TH_LOG("mapping the dma-buf: %s", strerror(errno));
	ASSERT_EQ(0, __dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_TRUE(holds_only(_metadata, path, map, NULL, BO_SIZE));
	ASSERT_EQ(0, __dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	munmap(map, BO_SIZE);
}

TEST_F(leak, new_exported_bo_reads_zero_through_dmabuf)
{
	uint32_t handle;
	int dmabuf;

	ASSERT_EQ(0, __ncgpu_bo_create(self->fd, BO_SIZE, self->export_flags, &handle));
	ASSERT_EQ(0, __prime_handle_to_fd(self->fd, handle, &dmabuf));
	expect_zero_dmabuf(_metadata, dmabuf, "dma-buf mapping of a new BO");
	close(dmabuf);
	__gem_close(self->fd, handle);
}

/*
 * vgem cannot map an imported buffer itself (MODE_MAP_DUMB refuses imports),
 * so its view is the dma-buf vgem exports for its handle of the import.
 */
TEST_F(leak, new_bo_imported_into_vgem_reads_zero)
{
	int vgem = ncgpu_open_primary_driver("vgem");
	uint32_t handle, vgem_handle;
	int dmabuf, vgem_dmabuf;

	if (vgem < 0)
		SKIP(return, "vgem not loaded");
	ASSERT_EQ(0, __ncgpu_bo_create(self->fd, BO_SIZE, self->export_flags, &handle));
	ASSERT_EQ(0, __prime_handle_to_fd(self->fd, handle, &dmabuf));
	ASSERT_EQ(0, __prime_fd_to_handle(vgem, dmabuf, &vgem_handle));
	close(dmabuf);
	__gem_close(self->fd, handle);
	ASSERT_EQ(0, __prime_handle_to_fd(vgem, vgem_handle, &vgem_dmabuf));
	expect_zero_dmabuf(_metadata, vgem_dmabuf, "vgem's dma-buf of its import of a new BO");
	close(vgem_dmabuf);
	close(vgem);
}

TEST_F(leak, query_answers_carry_no_stale_bytes)
{
	uint8_t answer[4096], expected[4096] = { 0 };
	struct drm_ncgpu_dev_query q = {
		.type = DRM_NCGPU_DEV_QUERY_INFO, .size = sizeof(answer),
		.pointer = (uintptr_t)answer,
	};
	struct drm_ncgpu_bo_query_info info;
	uint32_t handle;

	memset(answer, 0xa5, sizeof(answer));
	memcpy(expected, &self->dev.info, sizeof(self->dev.info));
	ASSERT_EQ(0, ncgpu_ioctl(self->fd, DRM_IOCTL_NCGPU_DEV_QUERY, &q));
	EXPECT_TRUE(holds_only(_metadata, "DEV_QUERY answer", answer, expected, sizeof(answer)));

	ASSERT_EQ(0, __ncgpu_bo_create(self->fd, BO_SIZE, 0, &handle));
	memset(&info, 0xa5, sizeof(info));
	info.handle = handle;
	ASSERT_EQ(0, ncgpu_ioctl(self->fd, DRM_IOCTL_NCGPU_BO_QUERY_INFO, &info));
	EXPECT_EQ(0u, info.pad);
	EXPECT_EQ(0u, info.create_flags);
	__gem_close(self->fd, handle);
}

TEST_HARNESS_MAIN
