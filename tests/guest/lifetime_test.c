// SPDX-License-Identifier: MIT
/*
 * Module lifetime, in the manner of IGT's vgem_basic "unload" test: ncgpu
 * refuses to unload while anything userspace holds can still call into it (a
 * DRM file, a BO mapping, an exported dma-buf, a dma-buf mapping, a vgem
 * import, a job fence), and unloads once the last of them is gone.
 *
 * Each test unloads ncgpu itself with delete_module(2), as rmmod does, and
 * loads it again with the same parameters through finit_module(2) of the
 * module file the guest was given (NCGPU_MODULE overrides its path), so the
 * harness finds it loaded as before. Run it in a suite of its own: nothing
 * else may use ncgpu meanwhile.
 *
 * When a holder does not pin the module, unloading would leave the holder
 * pointing into freed module memory. So each test first checks the module's
 * reference count, and only tries to unload when the count says it may.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ncgpu_test.h"

#define MODULE_PATH "/lib/modules/ncgpu.ko"
#define BO_SIZE (16 * 4096)
#define STALL_US 200000
#define FILL_VALUE 0x0123456789abcdefull
#define WAIT_NS (10 * NCGPU_TEST_NSEC_PER_SEC)

FIXTURE(lifetime) {
	/* Parameters to load ncgpu with again, as it was loaded. */
	char params[160];
};

/* References to ncgpu's module, or -errno. */
static int module_refcount(void)
{
	char buf[32];
	ssize_t n;
	int fd = open("/sys/module/ncgpu/refcnt", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return atoi(buf);
}

/* delete_module(2) as rmmod calls it: 0 or -errno. */
static int unload(void)
{
	return syscall(SYS_delete_module, "ncgpu", O_NONBLOCK) ? -errno : 0;
}

static int reload(const char *params)
{
	const char *path = getenv("NCGPU_MODULE");
	int fd = open(path && *path ? path : MODULE_PATH, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int read_params(char *buf, size_t len)
{
	static const char *const names[] = { "coherency", "sync_granule", "evict_chaos" };
	char value[64];
	size_t i, n = 0;
	int ret;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ret = ncgpu_module_param(names[i], value, sizeof(value));
		if (ret)
			return ret;
		n += snprintf(buf + n, len - n, "%s%s=%s", i ? " " : "", names[i], value);
	}
	return n < len ? 0 : -E2BIG;
}

FIXTURE_SETUP(lifetime)
{
	if (!ncgpu_module_loaded("ncgpu"))
		NCGPU_SETUP_SKIP("ncgpu module not loaded");
	ASSERT_EQ(0, read_params(self->params, sizeof(self->params)));
	ASSERT_EQ(0, module_refcount()) TH_LOG("ncgpu is in use before the test");
}

FIXTURE_TEARDOWN(lifetime)
{
	int ret;

	/* A test that failed after unloading ncgpu leaves it to be loaded again. */
	if (!ncgpu_module_loaded("ncgpu")) {
		ret = reload(self->params);
		EXPECT_EQ(0, ret) TH_LOG("loading ncgpu again: %s", strerror(-ret));
	}
}

/* Polls until nothing holds ncgpu: 0, or -ETIMEDOUT after @timeout_ns. */
static int wait_module_unused(int64_t timeout_ns)
{
	int64_t deadline = ncgpu_now_ns() + timeout_ns;
	int refs;

	while ((refs = module_refcount()) > 0 && ncgpu_now_ns() < deadline)
		usleep(10000);
	return refs > 0 ? -ETIMEDOUT : refs;
}

/* Asserts that ncgpu is pinned, and that delete_module(2) therefore refuses it. */
#define ASSERT_UNLOAD_REFUSED(what) do { \
	int _ret; \
	ASSERT_LT(0, module_refcount()) TH_LOG("%s does not pin the module: unloading " \
					       "now would leave it pointing into freed " \
					       "memory", what); \
	_ret = unload(); \
	/* A module in use is EWOULDBLOCK (6.1); EBUSY is what rmmod's doc says. */ \
	ASSERT_TRUE(_ret == -EWOULDBLOCK || _ret == -EBUSY) \
		TH_LOG("unloading ncgpu while %s is alive: %s, expected %s", what, \
		       strerror(-_ret), strerror(EWOULDBLOCK)); \
} while (0)

/*
 * Asserts that ncgpu unloads, then loads it again and checks it works. A job
 * lets go of the module in a work item after its fence has signalled, so the
 * last references may take a moment to go.
 */
#define ASSERT_UNLOADS_THEN_RELOAD() do { \
	int _ret, _fd; \
	ASSERT_EQ(0, wait_module_unused(WAIT_NS)) TH_LOG("ncgpu is still in use"); \
	_ret = unload(); \
	ASSERT_EQ(0, _ret) TH_LOG("unloading ncgpu once all is gone: %s", strerror(-_ret)); \
	ASSERT_FALSE(ncgpu_module_loaded("ncgpu")); \
	_ret = reload(self->params); \
	ASSERT_EQ(0, _ret) TH_LOG("loading ncgpu %s again: %s", self->params, \
				  strerror(-_ret)); \
	_fd = ncgpu_open(); \
	ASSERT_LE(0, _fd) TH_LOG("no ncgpu render node after loading it again"); \
	close(_fd); \
} while (0)

static int open_ncgpu(struct __test_metadata *_metadata)
{
	int fd = ncgpu_open();

	EXPECT_LE(0, fd) TH_LOG("opening ncgpu: %s", strerror(-fd));
	return fd;
}

/* A write-combined BO of @fd exported as a dma-buf; the handle is closed. */
static int export_new_bo(int fd, int *dmabuf)
{
	uint32_t handle;
	int ret = __ncgpu_bo_create(fd, BO_SIZE, 0, &handle);

	if (ret)
		return ret;
	ret = __prime_handle_to_fd(fd, handle, dmabuf);
	__gem_close(fd, handle);
	return ret;
}

TEST_F(lifetime, render_node_file_pins_module)
{
	int fd = open_ncgpu(_metadata);

	ASSERT_LE(0, fd);
	ASSERT_UNLOAD_REFUSED("an open render node");
	close(fd);
	ASSERT_UNLOADS_THEN_RELOAD();
}

TEST_F(lifetime, primary_node_file_pins_module)
{
	int fd = ncgpu_open_primary_driver("ncgpu");

	ASSERT_LE(0, fd) TH_LOG("ncgpu has no primary node");
	ASSERT_UNLOAD_REFUSED("an open primary node");
	close(fd);
	ASSERT_UNLOADS_THEN_RELOAD();
}

TEST_F(lifetime, bo_mapping_pins_module)
{
	struct ncgpu_mapped_bo bo;
	int fd = open_ncgpu(_metadata);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ncgpu_mapped_bo_create(fd, BO_SIZE, DRM_NCGPU_BO_WB_MMAP, &bo));
	bo.map[0] = 1;
	__gem_close(fd, bo.handle);
	close(fd);
	ASSERT_UNLOAD_REFUSED("a BO mapping");
	EXPECT_EQ(1, bo.map[0]);
	munmap(bo.map, BO_SIZE);
	ASSERT_UNLOADS_THEN_RELOAD();
}

TEST_F(lifetime, dmabuf_pins_module)
{
	int fd = open_ncgpu(_metadata), dmabuf;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, export_new_bo(fd, &dmabuf));
	close(fd);
	ASSERT_UNLOAD_REFUSED("a dma-buf");
	close(dmabuf);
	ASSERT_UNLOADS_THEN_RELOAD();
}

TEST_F(lifetime, dmabuf_mapping_pins_module)
{
	int fd = open_ncgpu(_metadata), dmabuf;
	uint8_t *map;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, export_new_bo(fd, &dmabuf));
	close(fd);
	map = mmap(NULL, BO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	ASSERT_NE(MAP_FAILED, map);
	close(dmabuf);
	ASSERT_UNLOAD_REFUSED("a dma-buf mapping");
	map[BO_SIZE - 1] = 1;
	munmap(map, BO_SIZE);
	ASSERT_UNLOADS_THEN_RELOAD();
}

TEST_F(lifetime, vgem_import_pins_module)
{
	int vgem = ncgpu_open_primary_driver("vgem"), fd, dmabuf;
	uint32_t vgem_handle;

	if (vgem < 0)
		SKIP(return, "vgem not loaded");
	fd = open_ncgpu(_metadata);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, export_new_bo(fd, &dmabuf));
	ASSERT_EQ(0, __prime_fd_to_handle(vgem, dmabuf, &vgem_handle));
	close(dmabuf);
	close(fd);
	ASSERT_UNLOAD_REFUSED("vgem's import of an ncgpu dma-buf");
	ASSERT_EQ(0, __gem_close(vgem, vgem_handle));
	ASSERT_UNLOADS_THEN_RELOAD();
	close(vgem);
}

/* A job's fence exported as a sync_file: its operations are ncgpu's code. */
TEST_F(lifetime, job_fence_in_sync_file_pins_module)
{
	struct drm_syncobj_handle export = {
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
	};
	struct drm_ncgpu_cmd stall = ncgpu_cmd_stall(1000);
	int fd = open_ncgpu(_metadata);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, __syncobj_create(fd, &export.handle));
	ASSERT_EQ(0, __ncgpu_submit(fd, &stall, 1, 0, export.handle));
	ASSERT_EQ(0, ncgpu_syncobj_wait_for(fd, export.handle, WAIT_NS));
	ASSERT_EQ(0, ncgpu_ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &export));
	close(fd);
	ASSERT_UNLOAD_REFUSED("a sync_file holding a job fence");
	close(export.fd);
	ASSERT_UNLOADS_THEN_RELOAD();
}

/* The fence of a job that wrote a vgem BO stays in that BO's reservation object. */
TEST_F(lifetime, job_fence_in_vgem_bo_pins_module)
{
	int vgem = ncgpu_open_primary_driver("vgem"), fd;
	struct ncgpu_foreign_bo bo;

	if (vgem < 0)
		SKIP(return, "vgem not loaded");
	fd = open_ncgpu(_metadata);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ncgpu_foreign_bo_create(fd, vgem, BO_SIZE, &bo));
	ASSERT_EQ(0, ncgpu_fill_wait(fd, bo.handle, 0, BO_SIZE, FILL_VALUE));
	close(bo.dmabuf);
	munmap(bo.map, BO_SIZE);
	close(fd);
	ASSERT_UNLOAD_REFUSED("a vgem BO holding a job fence");
	ASSERT_EQ(0, __gem_close(vgem, bo.foreign_handle));
	close(vgem);
	ASSERT_UNLOADS_THEN_RELOAD();
}

/*
 * A live process's close() waits for the file's jobs, as the GPU scheduler's
 * entities do: once it returns, the jobs have run and let go of ncgpu.
 */
TEST_F(lifetime, live_close_waits_for_jobs_then_module_unloads)
{
	struct drm_ncgpu_cmd job[2] = { ncgpu_cmd_stall(STALL_US) };
	uint32_t handle;
	int fd = open_ncgpu(_metadata);
	int64_t start;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, __ncgpu_bo_create(fd, BO_SIZE, DRM_NCGPU_BO_WB_MMAP, &handle));
	job[1] = ncgpu_cmd_fill(handle, 0, BO_SIZE, FILL_VALUE);
	start = ncgpu_now_ns();
	ASSERT_EQ(0, __ncgpu_submit(fd, job, 2, 0, 0));
	close(fd);
	EXPECT_LE(STALL_US * 1000ll, ncgpu_now_ns() - start)
		TH_LOG("close() returned before the file's job had run");
	ASSERT_UNLOADS_THEN_RELOAD();
}

/*
 * An exiting process's jobs that have not started within about a second are
 * cancelled, and nothing of them holds ncgpu afterwards.
 */
TEST_F(lifetime, exiting_process_jobs_are_cancelled_then_module_unloads)
{
	struct drm_ncgpu_cmd stall = ncgpu_cmd_stall(1000000);
	int status, i, fd;
	int64_t exited;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fd = ncgpu_open();
		for (i = 0; fd >= 0 && i < 100; i++)
			if (__ncgpu_submit(fd, &stall, 1, 0, 0))
				_exit(2);
		_exit(fd < 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	exited = ncgpu_now_ns();
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("status %#x", status);
	ASSERT_EQ(0, wait_module_unused(WAIT_NS))
		TH_LOG("100 s of jobs still hold ncgpu 10 s after their process exited");
	printf("# ncgpu unused %lld ms after the process exited\n",
	       (long long)((ncgpu_now_ns() - exited) / NCGPU_TEST_NSEC_PER_MSEC));
	fflush(stdout);
	ASSERT_UNLOADS_THEN_RELOAD();
}

TEST_HARNESS_MAIN
