#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ncgpu.h>

/* Stops at the first failing call, saying which one and why. */
static void check(int ret, const char *what)
{
	if (ret) {
		fprintf(stderr, "%s: %s\n", what, ncgpu_strerror(ret));
		exit(1);
	}
}

int main(void)
{
	struct ncgpu_device *dev;
	struct ncgpu_bo *src, *dst;
	struct ncgpu_job job;
	void *in, *out;

	check(ncgpu_device_open(NULL, &dev), "open");
	/* Two write-back cached buffers, mapped into this process. */
	check(ncgpu_bo_create(dev, 4096, DRM_NCGPU_BO_WB_MMAP, &src), "create src");
	check(ncgpu_bo_create(dev, 4096, DRM_NCGPU_BO_WB_MMAP, &dst), "create dst");
	check(ncgpu_bo_map(src, &in), "map src");
	check(ncgpu_bo_map(dst, &out), "map dst");

	/* The CPU writes through its cache: flush, so that the device sees it. */
	strcpy(in, "hello from the CPU, through the device");
	struct ncgpu_range written = { .bo = src, .offset = 0, .size = 64 };
	check(ncgpu_flush_ranges(dev, &written, 1), "flush");

	/* The device copies src to dst; the queued flush is sent before the job. */
	ncgpu_job_init(&job);
	check(ncgpu_job_copy(&job, dst, 0, src, 0, 64), "copy");
	check(ncgpu_submit(dev, &job, 0, 0), "submit");
	check(ncgpu_bo_wait(dst, NCGPU_TIMEOUT_INFINITE), "wait");

	/* Drop the CPU's stale cached lines of dst, then read what the device wrote. */
	struct ncgpu_range copied = { .bo = dst, .offset = 0, .size = 64 };
	check(ncgpu_invalidate_ranges(dev, &copied, 1), "invalidate");
	printf("%s\n", (char *)out);

	ncgpu_job_fini(&job);
	ncgpu_bo_close(src);
	ncgpu_bo_close(dst);
	ncgpu_device_close(dev);
	return 0;
}
