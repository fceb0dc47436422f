// SPDX-License-Identifier: MIT
/*
 * dma-buf CPU access and sharing: DMA_BUF_IOCTL_SYNC on ncgpu exports waits
 * for jobs and runs the begin/end hooks, reservation fences carry the right
 * usage, and BOs imported from vgem work as job sources and destinations
 * whose exporter waits for ncgpu's jobs.
 *
 * On a non-coherent device only write-combined BOs can be exported, so the
 * exports here are write-combined; on an IO-coherent device a write-back
 * export is checked as well.
 */
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "ncgpu_test.h"

#define BO_SIZE (4 * 4096)
#define FILL_VALUE 0x0123456789abcdefull
#define SEC NCGPU_TEST_NSEC_PER_SEC
#define START DMA_BUF_SYNC_START
#define END DMA_BUF_SYNC_END

FIXTURE(dmabuf) {
	struct ncgpu_test_device dev;
	int fd;
	bool split;
	/* Write-combined BOs; x is exported as x_dmabuf. */
	struct ncgpu_mapped_bo x, y;
	int x_dmabuf;
};

FIXTURE_SETUP(dmabuf)
{
	ncgpu_test_device_setup(_metadata, &self->dev);
	self->fd = self->dev.fd;
	self->split = ncgpu_wb_views_split(&self->dev);
	ASSERT_EQ(0, ncgpu_mapped_bo_create(self->fd, BO_SIZE, 0, &self->x));
	ASSERT_EQ(0, ncgpu_mapped_bo_create(self->fd, BO_SIZE, 0, &self->y));
	ASSERT_EQ(0, __prime_handle_to_fd(self->fd, self->x.handle, &self->x_dmabuf));
}

FIXTURE_TEARDOWN(dmabuf)
{
	close(self->x_dmabuf);
	close(self->fd);
}

static int submit_stalled_fill(int fd, uint32_t handle, uint64_t usec)
{
	struct drm_ncgpu_cmd job[2] = {
		ncgpu_cmd_stall(usec),
		ncgpu_cmd_fill(handle, 0, BO_SIZE, FILL_VALUE),
	};

	return __ncgpu_submit(fd, job, 2, 0, 0);
}

/* 1 when the sync_file's fence has signalled, 0 when not, -errno on error. */
static int sync_file_signalled(int sync_file)
{
	struct pollfd p = { .fd = sync_file, .events = POLLIN };
	int ret = poll(&p, 1, 0);

	return ret < 0 ? -errno : ret;
}

/* The fences of @dmabuf that a CPU access of kind @flags would wait for. */
static int export_sync_file(int dmabuf, uint32_t flags, int *sync_file)
{
	struct dma_buf_export_sync_file e = { .flags = flags, .fd = -1 };
	int ret = ncgpu_ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e);

	*sync_file = e.fd;
	return ret;
}

static void check_sync_start_waits(struct __test_metadata *_metadata,
				   FIXTURE_DATA(dmabuf) *self, uint64_t direction)
{
	ASSERT_EQ(0, submit_stalled_fill(self->fd, self->x.handle, 300000));
	ASSERT_EQ(-EBUSY, __ncgpu_bo_wait(self->fd, self->x.handle, 0));
	ASSERT_EQ(0, __dmabuf_sync(self->x_dmabuf, START | direction));
	ASSERT_EQ(0, __ncgpu_bo_wait(self->fd, self->x.handle, 0));
	ASSERT_TRUE(ncgpu_is_filled(self->x.map, FILL_VALUE, BO_SIZE));
	ASSERT_EQ(0, __dmabuf_sync(self->x_dmabuf, END | direction));
}

TEST_F(dmabuf, sync_start_read_waits_for_job_writing_the_buffer)
{
	check_sync_start_waits(_metadata, self, DMA_BUF_SYNC_READ);
}

TEST_F(dmabuf, sync_start_write_waits_for_job_writing_the_buffer)
{
	check_sync_start_waits(_metadata, self, DMA_BUF_SYNC_WRITE);
}

TEST_F(dmabuf, sync_start_rw_waits_for_job_writing_the_buffer)
{
	check_sync_start_waits(_metadata, self, DMA_BUF_SYNC_RW);
}

TEST_F(dmabuf, sync_accepts_every_direction_at_start_and_end)
{
	static const uint64_t directions[] = {
		DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_RW,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(directions); i++) {
		EXPECT_EQ(0, __dmabuf_sync(self->x_dmabuf, START | directions[i]));
		EXPECT_EQ(0, __dmabuf_sync(self->x_dmabuf, END | directions[i]));
	}
}

TEST_F(dmabuf, cpu_writes_through_dmabuf_mapping_reach_the_device)
{
	uint8_t *map = ncgpu_map_dmabuf(self->x_dmabuf, BO_SIZE);

	ASSERT_NE(NULL, map);
	ASSERT_EQ(0, __dmabuf_sync(self->x_dmabuf, START | DMA_BUF_SYNC_WRITE));
	ncgpu_fill_pattern(map, BO_SIZE, 7);
	ASSERT_EQ(0, __dmabuf_sync(self->x_dmabuf, END | DMA_BUF_SYNC_WRITE));
	ASSERT_EQ(0, ncgpu_copy_wait(self->fd, self->y.handle, 0, self->x.handle, 0, BO_SIZE));
	ASSERT_EQ(0, memcmp(self->y.map, map, BO_SIZE));
	munmap(map, BO_SIZE);
}

TEST_F(dmabuf, device_writes_reach_dmabuf_mapping_after_sync_start)
{
	uint8_t *map = ncgpu_map_dmabuf(self->x_dmabuf, BO_SIZE);

	ASSERT_NE(NULL, map);
	ASSERT_EQ(0, submit_stalled_fill(self->fd, self->x.handle, 100000));
	ASSERT_EQ(0, __dmabuf_sync(self->x_dmabuf, START | DMA_BUF_SYNC_READ));
	ASSERT_TRUE(ncgpu_is_filled(map, FILL_VALUE, BO_SIZE));
	ASSERT_EQ(0, __dmabuf_sync(self->x_dmabuf, END | DMA_BUF_SYNC_READ));
	munmap(map, BO_SIZE);
}

TEST_F(dmabuf, reservation_has_write_usage_for_dst_and_read_usage_for_src)
{
	struct drm_ncgpu_cmd job[2] = {
		ncgpu_cmd_stall(500000),
		ncgpu_cmd_copy(self->y.handle, 0, self->x.handle, 0, BO_SIZE),
	};
	int y_dmabuf, src_writers, src_all, dst_writers;

	ASSERT_EQ(0, __prime_handle_to_fd(self->fd, self->y.handle, &y_dmabuf));
	ASSERT_EQ(0, __ncgpu_submit(self->fd, job, 2, 0, 0));
	/* READ exports the fences a CPU reader waits for: the writers only. */
	ASSERT_EQ(0, export_sync_file(self->x_dmabuf, DMA_BUF_SYNC_READ, &src_writers));
	ASSERT_EQ(0, export_sync_file(self->x_dmabuf, DMA_BUF_SYNC_WRITE, &src_all));
	ASSERT_EQ(0, export_sync_file(y_dmabuf, DMA_BUF_SYNC_READ, &dst_writers));
	ASSERT_EQ(-EBUSY, __ncgpu_bo_wait(self->fd, self->x.handle, 0));
	EXPECT_EQ(1, sync_file_signalled(src_writers)) TH_LOG("source got a write fence");
	EXPECT_EQ(0, sync_file_signalled(src_all)) TH_LOG("source got no fence");
	EXPECT_EQ(0, sync_file_signalled(dst_writers)) TH_LOG("destination got no write fence");
	ASSERT_EQ(0, ncgpu_bo_wait_for(self->fd, self->y.handle, 5 * SEC));
	EXPECT_EQ(1, sync_file_signalled(dst_writers));
}

TEST_F(dmabuf, sync_waits_for_job_submitted_through_another_file)
{
	int other = ncgpu_open();
	uint32_t handle;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, __prime_fd_to_handle(other, self->x_dmabuf, &handle));
	ASSERT_EQ(0, submit_stalled_fill(other, handle, 300000));
	ASSERT_EQ(-EBUSY, __ncgpu_bo_wait(self->fd, self->x.handle, 0));
	ASSERT_EQ(0, __dmabuf_sync(self->x_dmabuf, START | DMA_BUF_SYNC_READ));
	ASSERT_TRUE(ncgpu_is_filled(self->x.map, FILL_VALUE, BO_SIZE));
	ASSERT_EQ(0, __dmabuf_sync(self->x_dmabuf, END | DMA_BUF_SYNC_READ));
	close(other);
}

TEST_F(dmabuf, io_coherent_write_back_bo_exports_and_syncs)
{
	struct ncgpu_mapped_bo wb;
	uint8_t *map;
	int dmabuf;

	if (self->split)
		SKIP(return, "non-coherent device: write-back BOs are not exportable");
	ASSERT_EQ(0, ncgpu_mapped_bo_create(self->fd, BO_SIZE, DRM_NCGPU_BO_WB_MMAP, &wb));
	ASSERT_EQ(0, __prime_handle_to_fd(self->fd, wb.handle, &dmabuf));
	map = ncgpu_map_dmabuf(dmabuf, BO_SIZE);
	ASSERT_NE(NULL, map);
	ASSERT_EQ(0, __dmabuf_sync(dmabuf, START | DMA_BUF_SYNC_WRITE));
	ncgpu_fill_pattern(map, BO_SIZE, 3);
	ASSERT_EQ(0, __dmabuf_sync(dmabuf, END | DMA_BUF_SYNC_WRITE));
	ASSERT_EQ(0, ncgpu_copy_wait(self->fd, self->y.handle, 0, wb.handle, 0, BO_SIZE));
	ASSERT_EQ(0, memcmp(self->y.map, map, BO_SIZE));
	ASSERT_EQ(0, submit_stalled_fill(self->fd, wb.handle, 200000));
	ASSERT_EQ(0, __dmabuf_sync(dmabuf, START | DMA_BUF_SYNC_READ));
	ASSERT_TRUE(ncgpu_is_filled(map, FILL_VALUE, BO_SIZE));
	ASSERT_EQ(0, __dmabuf_sync(dmabuf, END | DMA_BUF_SYNC_READ));
}

FIXTURE(foreign) {
	struct ncgpu_test_device dev;
	int fd;
	/* A write-combined ncgpu BO of BO_SIZE bytes. */
	struct ncgpu_mapped_bo x;
	/* A vgem BO of BO_SIZE bytes imported into ncgpu. */
	struct ncgpu_foreign_bo vgem;
};

FIXTURE_SETUP(foreign)
{
	struct drm_ncgpu_bo_query_info info;
	int card;

	ncgpu_test_device_setup(_metadata, &self->dev);
	self->fd = self->dev.fd;
	card = ncgpu_open_primary_driver("vgem");
	if (card < 0)
		NCGPU_SETUP_SKIP("vgem not loaded");
	ASSERT_EQ(0, ncgpu_mapped_bo_create(self->fd, BO_SIZE, 0, &self->x));
	ASSERT_EQ(0, ncgpu_foreign_bo_create(self->fd, card, BO_SIZE, &self->vgem));
	ASSERT_EQ(0, __ncgpu_bo_query_info(self->fd, self->vgem.handle, &info));
	ASSERT_TRUE(!!(info.extra_flags & DRM_NCGPU_BO_IS_IMPORTED));
}

FIXTURE_TEARDOWN(foreign)
{
	close(self->fd);
}

TEST_F(foreign, imported_bo_is_a_copy_source)
{
	ncgpu_fill_pattern(self->vgem.map, BO_SIZE, 11);
	ASSERT_EQ(0, ncgpu_copy_wait(self->fd, self->x.handle, 0, self->vgem.handle, 0,
				     BO_SIZE));
	ASSERT_EQ(0, memcmp(self->x.map, self->vgem.map, BO_SIZE));
}

TEST_F(foreign, imported_bo_is_a_copy_destination)
{
	ncgpu_fill_pattern(self->x.map, BO_SIZE, 29);
	ASSERT_EQ(0, ncgpu_copy_wait(self->fd, self->vgem.handle, 0, self->x.handle, 0,
				     BO_SIZE));
	ASSERT_EQ(0, __dmabuf_sync(self->vgem.dmabuf, START | DMA_BUF_SYNC_READ));
	ASSERT_EQ(0, memcmp(self->vgem.map, self->x.map, BO_SIZE));
	ASSERT_EQ(0, __dmabuf_sync(self->vgem.dmabuf, END | DMA_BUF_SYNC_READ));
}

TEST_F(foreign, imported_bo_is_a_fill_destination)
{
	ASSERT_EQ(0, ncgpu_fill_wait(self->fd, self->vgem.handle, 0, BO_SIZE, FILL_VALUE));
	ASSERT_TRUE(ncgpu_is_filled(self->vgem.map, FILL_VALUE, BO_SIZE));
}

TEST_F(foreign, exporter_sync_waits_for_job_writing_imported_bo)
{
	ASSERT_EQ(0, submit_stalled_fill(self->fd, self->vgem.handle, 300000));
	ASSERT_EQ(-EBUSY, __ncgpu_bo_wait(self->fd, self->vgem.handle, 0));
	ASSERT_EQ(0, __dmabuf_sync(self->vgem.dmabuf, START | DMA_BUF_SYNC_READ));
	ASSERT_EQ(0, __ncgpu_bo_wait(self->fd, self->vgem.handle, 0));
	ASSERT_TRUE(ncgpu_is_filled(self->vgem.map, FILL_VALUE, BO_SIZE));
	ASSERT_EQ(0, __dmabuf_sync(self->vgem.dmabuf, END | DMA_BUF_SYNC_READ));
}

TEST_HARNESS_MAIN
