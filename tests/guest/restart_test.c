// SPDX-License-Identifier: MIT
/*
 * Signals never surface as EINTR. With SA_RESTART, a signal that interrupts
 * a sleeping call makes the kernel restart it (-ERESTARTSYS): EINTR reaches
 * userspace only when a driver path returns -EINTR itself. The fuzzer's
 * signals hit such paths by chance; here a fast timer interrupts, again and
 * again, the calls that sleep on the device or on a lock the device holds.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "ncgpu_test.h"

NCGPU_DEVICE_FIXTURE(restart);

static void ignore_signal(int sig)
{
	(void)sig;
}

#define RESTART_SECONDS 2
#define RESTART_BO_SIZE (1024 * 1024)
#define RESTART_SIGNAL_US 200

enum restartable { R_MMAP, R_BO_SYNC, R_BO_WAIT, R_DMABUF_SYNC, NR_RESTARTABLE };

static const char *const restartable_names[NR_RESTARTABLE] = {
	"mmap of a write-back BO", "BO_SYNC", "BO_WAIT", "DMA_BUF_IOCTL_SYNC",
};

/* The waits last a job each: the quick calls come more often. */
static const enum restartable restartable_order[] = {
	R_MMAP, R_BO_SYNC, R_MMAP, R_BO_SYNC, R_MMAP, R_BO_SYNC, R_MMAP, R_BO_SYNC,
	R_MMAP, R_BO_SYNC, R_MMAP, R_BO_SYNC, R_MMAP, R_BO_SYNC, R_MMAP, R_BO_SYNC,
	R_BO_WAIT, R_DMABUF_SYNC,
};

/*
 * A device kept writing a write-back BO and an exported one, and a thread
 * syncing the whole write-back BO: both hold its device view's lock a while.
 */
struct busy_device {
	int fd;
	uint32_t wb, exported;
	uint64_t wb_offset;
	int dmabuf;
	volatile bool stop;
};

static void *keep_device_busy(void *arg)
{
	struct busy_device *b = arg;
	struct drm_ncgpu_cmd job[4];
	unsigned int i;

	for (i = 0; i < 4; i++)
		job[i] = ncgpu_cmd_fill(i % 2 ? b->exported : b->wb, 0, RESTART_BO_SIZE, i);
	while (!b->stop)
		ncgpu_submit_wait(b->fd, job, 4);
	return NULL;
}

static void *keep_syncing(void *arg)
{
	struct busy_device *b = arg;

	while (!b->stop)
		__ncgpu_bo_sync_range(b->fd, b->wb, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE, 0, RESTART_BO_SIZE);
	return NULL;
}

/* One call that may sleep on the device or on a lock the device holds; 0 or errno. */
static int restartable_call(struct busy_device *b, enum restartable which)
{
	struct drm_ncgpu_bo_sync_op op = {
		.handle = b->wb, .type = DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE, .size = 64,
	};
	struct drm_ncgpu_bo_sync sync = { .ops = DRM_NCGPU_OBJ_ARRAY(1, &op) };
	struct drm_ncgpu_bo_wait wait = { .handle = b->wb, .timeout_ns = ncgpu_now_ns() + 1000000 };
	struct dma_buf_sync cpu = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW };
	void *p;

	switch (which) {
	case R_MMAP:
		p = mmap(NULL, RESTART_BO_SIZE, PROT_READ, MAP_SHARED, b->fd, b->wb_offset);
		if (p == MAP_FAILED)
			return errno;
		munmap(p, RESTART_BO_SIZE);
		return 0;
	case R_BO_SYNC:
		return ioctl(b->fd, DRM_IOCTL_NCGPU_BO_SYNC, &sync) ? errno : 0;
	case R_BO_WAIT:
		return ioctl(b->fd, DRM_IOCTL_NCGPU_BO_WAIT, &wait) ? errno : 0;
	default:
		if (ioctl(b->dmabuf, DMA_BUF_IOCTL_SYNC, &cpu))
			return errno;
		cpu.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
		return ioctl(b->dmabuf, DMA_BUF_IOCTL_SYNC, &cpu) ? errno : 0;
	}
}

/* A thread keeps the device busy on the BOs of the interrupted calls. */
TEST_F_TIMEOUT(restart, signals_never_surface_as_eintr, 60)
{
	struct busy_device b = { .fd = self->dev.fd };
	unsigned int calls[NR_RESTARTABLE] = { 0 }, eintr[NR_RESTARTABLE] = { 0 }, i, n;
	enum restartable which;
	int64_t deadline = ncgpu_now_ns() + RESTART_SECONDS * NCGPU_TEST_NSEC_PER_SEC;
	struct itimerval every = {
		.it_interval = { .tv_usec = RESTART_SIGNAL_US },
		.it_value = { .tv_usec = RESTART_SIGNAL_US },
	}, off = { 0 };
	struct sigaction sa = { .sa_handler = ignore_signal, .sa_flags = SA_RESTART };
	pthread_t device, syncer;
	int err;

	ASSERT_EQ(0, __ncgpu_bo_create(b.fd, RESTART_BO_SIZE, DRM_NCGPU_BO_WB_MMAP, &b.wb));
	ASSERT_EQ(0, __ncgpu_bo_mmap_offset(b.fd, b.wb, &b.wb_offset));
	ASSERT_EQ(0, __ncgpu_bo_create(b.fd, RESTART_BO_SIZE, 0, &b.exported));
	ASSERT_EQ(0, __prime_handle_to_fd(b.fd, b.exported, &b.dmabuf));
	ASSERT_EQ(0, pthread_create(&device, NULL, keep_device_busy, &b));
	ASSERT_EQ(0, pthread_create(&syncer, NULL, keep_syncing, &b));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &every, NULL);
	for (n = 0; ncgpu_now_ns() < deadline; n++) {
		which = restartable_order[n % (sizeof(restartable_order) /
					       sizeof(restartable_order[0]))];
		err = restartable_call(&b, which);
		calls[which]++;
		eintr[which] += err == EINTR;
		if (err && err != EINTR && !(which == R_BO_WAIT && err == ETIMEDOUT))
			TH_LOG("%s: %s", restartable_names[which], strerror(err));
	}
	setitimer(ITIMER_REAL, &off, NULL);
	b.stop = true;
	pthread_join(device, NULL);
	pthread_join(syncer, NULL);
	for (i = 0; i < NR_RESTARTABLE; i++) {
		printf("# %s: %u calls, %u EINTR\n", restartable_names[i], calls[i], eintr[i]);
		EXPECT_EQ(0u, eintr[i]) TH_LOG("%s returned EINTR under SA_RESTART signals",
					       restartable_names[i]);
	}
	fflush(stdout);
	close(b.dmabuf);
}

TEST_HARNESS_MAIN
