// SPDX-License-Identifier: MIT
/*
 * vgem's cached mappings, end to end, on a kernel with the series of
 * upstream/: vgem maps its buffers write-back, exports one, ncgpu imports it,
 * and DMA_BUF_IOCTL_SYNC on vgem's dma-buf syncs ncgpu's mapping of it (the
 * dma-buf CPU access defaults of the DRM core).
 *
 * The guest boots with swiotlb=force, so ncgpu's DMA mapping of the import
 * bounces: the device (ncgpu's engine, which reaches an import through its
 * DMA addresses) sees a bounce buffer, which only dma_sync_*() keeps in step
 * with vgem's pages. Each test first checks that without the sync the other
 * side still sees stale data, then that the sync brings the new data over.
 * Without swiotlb=force both sides share the pages and nothing here can fail,
 * so the tests skip.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "ncgpu_job_test.h"

#define BO_SIZE (16 * 4096)
#define FILL_VALUE 0x8877665544332211ull
#define PATTERN_SEED 29

/* Whether the kernel command line has the word @word. */
static bool cmdline_has(const char *word)
{
	char buf[4096], *tok, *save;
	ssize_t n;
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

static uint8_t pattern_byte(size_t i)
{
	return (uint8_t)(i * 7 + PATTERN_SEED + (i >> 8));
}

FIXTURE(vgem_cached) {
	struct ncgpu_test_device dev;
	int card;
	/* A vgem BO of BO_SIZE bytes, mapped through vgem, imported into ncgpu. */
	struct ncgpu_foreign_bo vgem;
	/* An ncgpu write-combined BO: what the device copies out of the import. */
	struct ncgpu_mapped_bo out;
};

FIXTURE_SETUP(vgem_cached)
{
	if (!cmdline_has("swiotlb=force"))
		NCGPU_SETUP_SKIP("needs a boot with swiotlb=force, so that the import bounces");
	ncgpu_test_device_setup(_metadata, &self->dev);
	self->card = ncgpu_open_primary_driver("vgem");
	if (self->card < 0)
		NCGPU_SETUP_SKIP("vgem not loaded");
	ASSERT_EQ(0, ncgpu_foreign_bo_create(self->dev.fd, self->card, BO_SIZE, &self->vgem));
	ASSERT_EQ(0, ncgpu_mapped_bo_create(self->dev.fd, BO_SIZE, 0, &self->out));
}

FIXTURE_TEARDOWN(vgem_cached)
{
	munmap(self->out.map, BO_SIZE);
	munmap(self->vgem.map, BO_SIZE);
	close(self->vgem.dmabuf);
	close(self->card);
	close(self->dev.fd);
}

/* The device copies the whole import into self->out. */
static void device_reads_import(struct __test_metadata *_metadata,
				FIXTURE_DATA(vgem_cached) *self)
{
	ASSERT_EQ(0, ncgpu_copy_wait(self->dev.fd, self->out.handle, 0, self->vgem.handle, 0,
				     BO_SIZE));
}

TEST_F(vgem_cached, sync_start_shows_device_writes_to_the_cpu)
{
	ASSERT_EQ(0, ncgpu_fill_wait(self->dev.fd, self->vgem.handle, 0, BO_SIZE, FILL_VALUE));
	/* The device wrote its DMA view; vgem's cached pages do not have it yet. */
	ASSERT_TRUE(ncgpu_bytes_equal(self->vgem.map, 0, BO_SIZE))
		TH_LOG("the device's writes reached vgem's pages without a sync: no bouncing?");

	ASSERT_EQ(0, __dmabuf_sync(self->vgem.dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_TRUE(ncgpu_is_filled(self->vgem.map, FILL_VALUE, BO_SIZE))
		TH_LOG("DMA_BUF_SYNC_START did not sync ncgpu's mapping for the CPU");
	ASSERT_EQ(0, __dmabuf_sync(self->vgem.dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
}

TEST_F(vgem_cached, sync_end_shows_cpu_writes_to_the_device)
{
	size_t i;

	ASSERT_EQ(0, __dmabuf_sync(self->vgem.dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	for (i = 0; i < BO_SIZE; i++)
		self->vgem.map[i] = pattern_byte(i);
	/* Not ended yet: the device's view of the import is still the old one. */
	device_reads_import(_metadata, self);
	ASSERT_TRUE(ncgpu_bytes_equal(self->out.map, 0, BO_SIZE))
		TH_LOG("the CPU's writes reached the device without a sync: no bouncing?");

	ASSERT_EQ(0, __dmabuf_sync(self->vgem.dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
	device_reads_import(_metadata, self);
	for (i = 0; i < BO_SIZE; i++)
		ASSERT_EQ(pattern_byte(i), self->out.map[i])
			TH_LOG("DMA_BUF_SYNC_END did not sync ncgpu's mapping for the device");
}

#define MEMTYPE_PAGES 256

/*
 * An unpatched vgem makes every page of a mapped buffer write-combining, the
 * patched one leaves them write-back.
 */
TEST_F(vgem_cached, vgem_maps_write_back)
{
	size_t size = MEMTYPE_PAGES * 4096, i;
	long before, after;
	uint32_t handle;
	uint8_t *map;
	const char *why;
	int err;

	why = ncgpu_memtype_check_unavailable();
	if (why)
		SKIP(return, "%s", why);
	before = ncgpu_count_wc_pages();
	ASSERT_LE(0, before) TH_LOG("reading /proc/kpageflags: %s", strerror(-before));
	ASSERT_EQ(0, __dumb_create(self->card, size, &handle));
	map = __dumb_map(self->card, handle, size, &err);
	ASSERT_EQ(0, err);
	for (i = 0; i < size; i += 4096)
		map[i] = 1;
	after = ncgpu_count_wc_pages();
	munmap(map, size);
	__gem_close(self->card, handle);
	EXPECT_GT(MEMTYPE_PAGES / 2, after - before)
		TH_LOG("%ld pages of a vgem buffer became write-combining", after - before);
}

TEST_HARNESS_MAIN
