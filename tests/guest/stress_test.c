// SPDX-License-Identifier: MIT
/*
 * Concurrency stress, bounded in time. At once:
 * - owner threads share one DRM file; each runs rounds on BOs of its own:
 *   CPU writes, FLUSH, a job (short STALL, COPY, FILL), BO_WAIT or a syncobj
 *   wait, FLUSH_AND_INVALIDATE, then checks both BOs hold exactly what the
 *   job wrote; now and then it shares a BO with a file of its own through
 *   PRIME and has the device write it there;
 * - racer threads share another file and a pool of handles that they create,
 *   close, submit, sync, wait on, export and map behind each other's backs:
 *   only allowed errnos may come back;
 * - a closer thread closes DRM files and dma-bufs while jobs on them run, and
 *   checks that the jobs still complete and show through the dma-buf;
 * - forked processes exit or are killed with jobs in flight, or share the
 *   owners' file and run checked rounds themselves.
 * The harness then checks that ncgpu unloads and the kernel log is clean.
 *
 * NCGPU_SEED=N seeds the run; NCGPU_STRESS_SECONDS=S changes its length.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ncgpu_test.h"

#define DEFAULT_SECONDS 5
#define OWNERS 3
#define RACERS 2
#define MAX_CHILDREN 2
#define RACE_POOL 16
#define MAX_PAGES 8
#define MAX_STALL_US 300
#define WAIT_NS (10 * NCGPU_TEST_NSEC_PER_SEC)
#define CHILD_ROUNDS 3
#define CHILD_JOBS 3
#define WB DRM_NCGPU_BO_WB_MMAP

enum counter { ROUNDS, SHARES, RACE_CALLS, CLOSED_FILES, CHILDREN, KILLED, NR_COUNTERS };

static const char *const counter_names[NR_COUNTERS] = {
	"checked rounds", "PRIME shares", "racing calls", "files closed with jobs in flight",
	"child processes", "children killed",
};

struct stress {
	/* Shared by the owner threads, and inherited by some children. */
	int fd;
	/* Shared by the racer threads. */
	int race_fd;
	int64_t deadline;
	uint64_t seed;
	size_t page;
	/* Handles the racers fight over: read and written without a lock. */
	uint32_t race_handles[RACE_POOL];
	uint64_t race_sizes[RACE_POOL];
	unsigned long counters[NR_COUNTERS];
	pthread_mutex_t lock;
	unsigned int failures;
	char failure[320];
};

struct worker {
	struct stress *s;
	uint64_t rng;
	/* A DRM file of the worker's own, to import shared BOs into. */
	int own_fd;
	uint32_t syncobj;
	/* In a forked child: report to stderr and the exit status, take no lock. */
	bool in_child;
	bool failed;
	pthread_t thread;
};

/* Write-back half of the time, else write-combined. */
static uint32_t random_bo_flags(struct worker *w)
{
	return ncgpu_rand_percent(&w->rng, 50) ? WB : 0;
}

static bool running(const struct stress *s)
{
	return ncgpu_now_ns() < s->deadline;
}

static void count(struct stress *s, enum counter c)
{
	__atomic_add_fetch(&s->counters[c], 1, __ATOMIC_RELAXED);
}

static void fail(struct worker *w, const char *fmt, ...)
{
	struct stress *s = w->s;
	char msg[sizeof(s->failure)];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->failed = true;
	if (w->in_child) {
		if (write(STDERR_FILENO, "# child: ", 9) > 0 && write(STDERR_FILENO, msg, n) > 0)
			n = write(STDERR_FILENO, "\n", 1);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (!s->failures++)
		memcpy(s->failure, msg, sizeof(msg));
	pthread_mutex_unlock(&s->lock);
}

/* Fails unless @ret is 0 or one of the zero-terminated @allowed errnos. */
static bool allowed(struct worker *w, const char *call, int ret, const int *allowed_errnos)
{
	const int *e;

	if (!ret)
		return true;
	for (e = allowed_errnos; *e; e++)
		if (-ret == *e)
			return false;
	fail(w, "%s: %s", call, strerror(-ret));
	return false;
}

static bool ok(struct worker *w, const char *call, int ret)
{
	static const int none[] = { 0 };

	return allowed(w, call, ret, none);
}

static bool check_bytes(struct worker *w, const char *what, const uint8_t *p, size_t len,
			uint8_t seed, uint64_t fill_off, uint64_t fill_len, uint64_t value)
{
	uint8_t want;
	size_t i;

	for (i = 0; i < len; i++) {
		want = i >= fill_off && i < fill_off + fill_len ?
		       ncgpu_fill_byte(value, i - fill_off) : ncgpu_pattern_byte(seed, i);
		if (p[i] != want) {
			fail(w, "%s: byte 0x%zx is 0x%02x, expected 0x%02x", what, i, p[i], want);
			return false;
		}
	}
	return true;
}

static void release(int fd, struct ncgpu_mapped_bo *bo)
{
	munmap(bo->map, bo->size);
	__gem_close(fd, bo->handle);
}

/* ------------------------------------------------------------------ */
/* Owners */

/*
 * Exports a new write-combined BO, imports it into the worker's own file,
 * has the device fill it there and checks the fill through the exporter's
 * mapping.
 */
static void share_round(struct worker *w)
{
	struct stress *s = w->s;
	struct drm_ncgpu_bo_query_info info;
	uint64_t value = ncgpu_rand_next(&w->rng);
	struct ncgpu_mapped_bo bo;
	uint32_t imported;
	int dmabuf;

	if (!ok(w, "BO_CREATE", ncgpu_mapped_bo_create(s->fd, s->page, 0, &bo)))
		return;
	if (ok(w, "PRIME export", __prime_handle_to_fd(s->fd, bo.handle, &dmabuf))) {
		if (ok(w, "PRIME import", __prime_fd_to_handle(w->own_fd, dmabuf, &imported))) {
			close(dmabuf);
			if (ok(w, "BO_QUERY_INFO", __ncgpu_bo_query_info(w->own_fd, imported, &info)) &&
			    info.extra_flags & DRM_NCGPU_BO_IS_IMPORTED)
				fail(w, "a re-imported ncgpu BO is flagged imported");
			if (ok(w, "FILL of the import",
			       ncgpu_fill_wait(w->own_fd, imported, 0, s->page, value)))
				check_bytes(w, "BO filled through its import", bo.map, s->page, 0,
					    0, s->page, value);
			__gem_close(w->own_fd, imported);
		} else {
			close(dmabuf);
		}
	}
	release(s->fd, &bo);
	count(s, SHARES);
}

static int wait_job(struct worker *w, uint32_t handle)
{
	if (ncgpu_rand_percent(&w->rng, 50))
		return ncgpu_bo_wait_for(w->s->fd, handle, WAIT_NS);
	return ncgpu_syncobj_wait_for(w->s->fd, w->syncobj, WAIT_NS);
}

static int invalidate_if_cached(int fd, const struct ncgpu_mapped_bo *bo)
{
	if (!(bo->flags & WB))
		return 0;
	return __ncgpu_bo_sync_range(fd, bo->handle, DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE, 0, bo->size);
}

/* Closes @bo's handle and mapping in a random order; a mapping outlives its handle. */
static void owner_release(struct worker *w, struct ncgpu_mapped_bo *bo, uint8_t seed,
			  uint64_t fill_off, uint64_t fill_len, uint64_t value)
{
	if (ncgpu_rand_percent(&w->rng, 50)) {
		release(w->s->fd, bo);
		return;
	}
	ok(w, "GEM_CLOSE", __gem_close(w->s->fd, bo->handle));
	check_bytes(w, "mapping after GEM_CLOSE", bo->map, bo->size, seed, fill_off, fill_len,
		    value);
	munmap(bo->map, bo->size);
}

/*
 * One checked round: src gets a CPU pattern, the job copies src to dst and
 * then fills part of src; afterwards dst holds the pattern and src the
 * pattern with the fill.
 */
static void owner_round(struct worker *w)
{
	static const int poll_errnos[] = { EBUSY, 0 };
	struct stress *s = w->s;
	size_t size = (1 + ncgpu_rand_below(&w->rng, MAX_PAGES)) * s->page;
	uint64_t fill_off = ncgpu_rand_below(&w->rng, size);
	uint64_t fill_len = ncgpu_rand_below(&w->rng, size - fill_off + 1);
	uint64_t value = ncgpu_rand_next(&w->rng);
	uint8_t seed = ncgpu_rand_next(&w->rng);
	struct ncgpu_mapped_bo src, dst;
	struct drm_ncgpu_cmd job[3];

	if (!ok(w, "BO_CREATE", ncgpu_mapped_bo_create(s->fd, size, random_bo_flags(w), &src)))
		return;
	if (!ok(w, "BO_CREATE", ncgpu_mapped_bo_create(s->fd, size, random_bo_flags(w), &dst))) {
		release(s->fd, &src);
		return;
	}
	ncgpu_fill_pattern(src.map, size, seed);
	job[0] = ncgpu_cmd_stall(ncgpu_rand_below(&w->rng, MAX_STALL_US));
	job[1] = ncgpu_cmd_copy(dst.handle, 0, src.handle, 0, size);
	job[2] = ncgpu_cmd_fill(src.handle, fill_off, fill_len, value);
	if ((!(src.flags & WB) ||
	     ok(w, "FLUSH", __ncgpu_bo_sync_range(s->fd, src.handle, DRM_NCGPU_BO_SYNC_FLUSH, 0, size))) &&
	    ok(w, "SUBMIT", __ncgpu_submit(s->fd, job, 3, 0, w->syncobj))) {
		allowed(w, "BO_WAIT poll", __ncgpu_bo_wait(s->fd, dst.handle, 0), poll_errnos);
		if (!w->in_child && ncgpu_rand_percent(&w->rng, 30))
			share_round(w);
		if (ok(w, "waiting for the job", wait_job(w, src.handle)) &&
		    ok(w, "FLUSH_AND_INVALIDATE", invalidate_if_cached(s->fd, &src)) &&
		    ok(w, "FLUSH_AND_INVALIDATE", invalidate_if_cached(s->fd, &dst)) &&
		    check_bytes(w, "copy destination", dst.map, size, seed, 0, 0, 0))
			check_bytes(w, "filled source", src.map, size, seed, fill_off, fill_len,
				    value);
	}
	owner_release(w, &src, seed, fill_off, fill_len, value);
	release(s->fd, &dst);
	count(s, ROUNDS);
}

static void *owner_thread(void *arg)
{
	struct worker *w = arg;

	while (running(w->s) && !w->failed)
		owner_round(w);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Racers */

static unsigned int race_slot(struct worker *w, uint32_t *handle, uint64_t *size)
{
	unsigned int i = ncgpu_rand_below(&w->rng, RACE_POOL);

	*handle = __atomic_load_n(&w->s->race_handles[i], __ATOMIC_RELAXED);
	*size = __atomic_load_n(&w->s->race_sizes[i], __ATOMIC_RELAXED);
	return i;
}

static void race_create(struct worker *w, unsigned int i)
{
	static const int errnos[] = { ENOMEM, 0 };
	uint64_t size = (1 + ncgpu_rand_below(&w->rng, 2 * MAX_PAGES)) * w->s->page;
	uint32_t handle;

	if (!allowed(w, "BO_CREATE",
		     __ncgpu_bo_create(w->s->race_fd, size, random_bo_flags(w), &handle), errnos))
		return;
	__atomic_store_n(&w->s->race_sizes[i], size, __ATOMIC_RELAXED);
	__atomic_store_n(&w->s->race_handles[i], handle, __ATOMIC_RELAXED);
}

static void race_submit(struct worker *w, uint32_t handle, uint64_t size)
{
	/* A handle number may name a smaller BO by now: EINVAL. */
	static const int errnos[] = { ENOENT, EINVAL, 0 };
	struct drm_ncgpu_cmd job[2] = {
		ncgpu_cmd_stall(ncgpu_rand_below(&w->rng, MAX_STALL_US)),
		ncgpu_cmd_fill(handle, 0, size, ncgpu_rand_next(&w->rng)),
	};

	allowed(w, "racing SUBMIT", __ncgpu_submit(w->s->race_fd, job, 2, 0, 0), errnos);
}

static void race_map(struct worker *w, uint32_t handle, uint64_t size)
{
	static const int offset_errnos[] = { ENOENT, 0 };
	/* The BO may be gone (EINVAL), or its handle closed (EACCES), or smaller. */
	static const int mmap_errnos[] = { EINVAL, EACCES, 0 };
	volatile uint8_t *p;
	uint64_t offset;
	size_t i;

	if (!allowed(w, "racing BO_MMAP_OFFSET",
		     __ncgpu_bo_mmap_offset(w->s->race_fd, handle, &offset), offset_errnos))
		return;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, w->s->race_fd, offset);
	if (!allowed(w, "racing mmap", p == MAP_FAILED ? -errno : 0, mmap_errnos))
		return;
	for (i = 0; i < size; i += w->s->page)
		p[i] = p[i] + 1;
	munmap((void *)p, size);
}

static void race_export(struct worker *w, uint32_t handle)
{
	/* Write-back BOs cannot be exported from a non-coherent device: EINVAL. */
	static const int errnos[] = { ENOENT, EINVAL, 0 };
	int dmabuf;

	if (allowed(w, "racing PRIME export", __prime_handle_to_fd(w->s->race_fd, handle, &dmabuf),
		    errnos))
		close(dmabuf);
}

static void race_once(struct worker *w)
{
	static const int close_errnos[] = { EINVAL, 0 };
	static const int sync_errnos[] = { ENOENT, EINVAL, 0 };
	static const int wait_errnos[] = { ENOENT, EBUSY, ETIMEDOUT, 0 };
	int fd = w->s->race_fd;
	uint32_t handle;
	uint64_t size;
	unsigned int i = race_slot(w, &handle, &size);

	switch (ncgpu_rand_below(&w->rng, 7)) {
	case 0:
		race_create(w, i);
		break;
	case 1:
		allowed(w, "racing GEM_CLOSE", __gem_close(fd, handle), close_errnos);
		break;
	case 2:
		race_submit(w, handle, size);
		break;
	case 3:
		allowed(w, "racing BO_SYNC",
			__ncgpu_bo_sync_range(fd, handle, ncgpu_rand_below(&w->rng, 2), 0, size), sync_errnos);
		break;
	case 4:
		allowed(w, "racing BO_WAIT",
			ncgpu_bo_wait_for(fd, handle, ncgpu_rand_below(&w->rng, 2) * 100000),
			wait_errnos);
		break;
	case 5:
		race_export(w, handle);
		break;
	default:
		race_map(w, handle, size);
	}
	count(w->s, RACE_CALLS);
}

static void *racer_thread(void *arg)
{
	struct worker *w = arg;

	while (running(w->s))
		race_once(w);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Closer */

/*
 * Closes a DRM file while its job runs; the job must still complete, and its
 * result show through the dma-buf and the mapping that outlive the file.
 */
static void close_file_round(struct worker *w)
{
	struct stress *s = w->s;
	size_t size = (1 + ncgpu_rand_below(&w->rng, MAX_PAGES)) * s->page;
	uint64_t value = ncgpu_rand_next(&w->rng);
	struct ncgpu_mapped_bo bo;
	struct drm_ncgpu_cmd job[2];
	int fd = ncgpu_open(), dmabuf = -1;

	if (!ok(w, "opening ncgpu", fd < 0 ? fd : 0))
		return;
	if (ok(w, "BO_CREATE", ncgpu_mapped_bo_create(fd, size, 0, &bo))) {
		job[0] = ncgpu_cmd_stall(1000 + ncgpu_rand_below(&w->rng, 4000));
		job[1] = ncgpu_cmd_fill(bo.handle, 0, size, value);
		if (!ok(w, "PRIME export", __prime_handle_to_fd(fd, bo.handle, &dmabuf)) ||
		    !ok(w, "SUBMIT", __ncgpu_submit(fd, job, 2, 0, 0)))
			bo.map = NULL;
	}
	close(fd);
	count(s, CLOSED_FILES);
	if (dmabuf < 0)
		return;
	if (bo.map && ok(w, "DMA_BUF_IOCTL_SYNC start",
			 __dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ))) {
		check_bytes(w, "BO filled by a job of a closed file", bo.map, size, 0, 0, size,
			    value);
		ok(w, "DMA_BUF_IOCTL_SYNC end",
		   __dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	}
	munmap(bo.map, size);
	close(dmabuf);
}

static void *closer_thread(void *arg)
{
	struct worker *w = arg;

	while (running(w->s) && !w->failed)
		close_file_round(w);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Children */

/*
 * Queues jobs on BOs of a file of its own, maps and exports one, then exits,
 * or with @until_killed keeps creating, mapping and syncing BOs until killed.
 * SUBMIT never blocks, so the number of jobs is bounded here.
 */
static void child_exits_with_jobs(struct worker *w, bool until_killed)
{
	size_t size = 16 * w->s->page;
	struct drm_ncgpu_cmd job[3];
	struct ncgpu_mapped_bo a, b, c;
	int fd = ncgpu_open(), dmabuf;
	unsigned int i;

	if (fd < 0 || ncgpu_mapped_bo_create(fd, size, 0, &a) ||
	    ncgpu_mapped_bo_create(fd, size, WB, &b))
		_exit(1);
	__prime_handle_to_fd(fd, a.handle, &dmabuf);
	for (i = 0; i < CHILD_JOBS; i++) {
		job[0] = ncgpu_cmd_stall(1000 + ncgpu_rand_below(&w->rng, 2000));
		job[1] = ncgpu_cmd_fill(a.handle, 0, size, ncgpu_rand_next(&w->rng));
		job[2] = ncgpu_cmd_copy(b.handle, 0, a.handle, 0, size);
		if (__ncgpu_submit(fd, job, 3, 0, 0))
			_exit(1);
	}
	while (until_killed) {
		if (ncgpu_mapped_bo_create(fd, size, WB, &c))
			_exit(1);
		memset(c.map, 1, size);
		__ncgpu_bo_sync_range(fd, c.handle, DRM_NCGPU_BO_SYNC_FLUSH, 0, size);
		release(fd, &c);
	}
	_exit(0);
}

static void child_main(struct worker *w, unsigned int kind)
{
	unsigned int i;

	w->in_child = true;
	switch (kind) {
	case 0:
		child_exits_with_jobs(w, false);
		break;
	case 1:
		child_exits_with_jobs(w, true);
		break;
	default:
		w->own_fd = -1;
		if (__syncobj_create(w->s->fd, &w->syncobj))
			_exit(1);
		for (i = 0; i < CHILD_ROUNDS && !w->failed; i++)
			owner_round(w);
		_exit(w->failed);
	}
}

/* Reaps children; a child killed by us is fine, any other end is checked. */
static void reap(struct worker *w, pid_t *pids, unsigned int *n, bool block)
{
	unsigned int i = 0;
	int status;
	pid_t pid;

	while (i < *n) {
		pid = waitpid(pids[i], &status, block ? 0 : WNOHANG);
		if (pid == 0) {
			i++;
			continue;
		}
		if (pid > 0 && !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) &&
		    !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			fail(w, "a child process failed (status 0x%x)", status);
		pids[i] = pids[--*n];
	}
}

static void spawn_children(struct worker *w)
{
	pid_t pids[MAX_CHILDREN];
	unsigned int n = 0, kind;
	pid_t pid;

	while (running(w->s)) {
		reap(w, pids, &n, false);
		if (n == MAX_CHILDREN) {
			usleep(2000);
			continue;
		}
		kind = ncgpu_rand_below(&w->rng, 3);
		w->rng ^= n;
		pid = fork();
		if (pid == 0)
			child_main(w, kind);
		if (pid < 0) {
			fail(w, "fork: %s", strerror(errno));
			break;
		}
		pids[n++] = pid;
		count(w->s, CHILDREN);
		if (kind == 1) {
			usleep(1000 + ncgpu_rand_below(&w->rng, 20000));
			kill(pid, SIGKILL);
			count(w->s, KILLED);
		}
	}
	reap(w, pids, &n, true);
}

/* ------------------------------------------------------------------ */

FIXTURE(stress) {
	struct ncgpu_test_device dev;
	struct stress s;
	struct worker workers[OWNERS + RACERS + 2];
};

FIXTURE_SETUP(stress)
{
	ncgpu_test_device_setup(_metadata, &self->dev);
	memset(&self->s, 0, sizeof(self->s));
	self->s.fd = self->dev.fd;
	self->s.race_fd = ncgpu_open();
	ASSERT_LE(0, self->s.race_fd);
	self->s.page = sysconf(_SC_PAGESIZE);
	pthread_mutex_init(&self->s.lock, NULL);
}

FIXTURE_TEARDOWN(stress)
{
	close(self->s.race_fd);
	close(self->dev.fd);
}

static int start_worker(struct stress *s, struct worker *w, unsigned int id,
			void *(*fn)(void *))
{
	int ret;

	memset(w, 0, sizeof(*w));
	w->s = s;
	w->rng = s->seed ^ (0x9e3779b97f4a7c15ull * (id + 1));
	w->own_fd = ncgpu_open();
	if (w->own_fd < 0)
		return w->own_fd;
	ret = __syncobj_create(s->fd, &w->syncobj);
	if (ret)
		return ret;
	return fn ? -pthread_create(&w->thread, NULL, fn, w) : 0;
}

static void print_counters(const struct stress *s)
{
	unsigned int i;

	for (i = 0; i < NR_COUNTERS; i++)
		printf("# %s: %lu\n", counter_names[i], s->counters[i]);
	fflush(stdout);
}

TEST_F_TIMEOUT(stress, concurrent_users_keep_data_and_kernel_intact, 60)
{
	struct stress *s = &self->s;
	struct worker *spawner = &self->workers[OWNERS + RACERS + 1];
	unsigned int i, nthreads = OWNERS + RACERS + 1;
	uint32_t drain;
	int ret;

	s->seed = ncgpu_test_seed();
	s->deadline = ncgpu_now_ns() + ncgpu_env_u64("NCGPU_STRESS_SECONDS", DEFAULT_SECONDS) *
		      NCGPU_TEST_NSEC_PER_SEC;
	for (i = 0; i < nthreads; i++) {
		ret = start_worker(s, &self->workers[i], i, i < OWNERS ? owner_thread :
				   i < OWNERS + RACERS ? racer_thread : closer_thread);
		ASSERT_EQ(0, ret) TH_LOG("starting worker %u: %s", i, strerror(-ret));
	}
	ASSERT_EQ(0, start_worker(s, spawner, nthreads, NULL));
	spawn_children(spawner);
	for (i = 0; i < nthreads; i++)
		pthread_join(self->workers[i].thread, NULL);

	/* Jobs run in submission order: an empty job's fence means all are done. */
	ASSERT_EQ(0, __syncobj_create(s->fd, &drain));
	ASSERT_EQ(0, __ncgpu_submit(s->fd, NULL, 0, 0, drain));
	EXPECT_EQ(0, ncgpu_syncobj_wait_for(s->fd, drain, WAIT_NS))
		TH_LOG("the device queue did not drain");
	print_counters(s);
	EXPECT_EQ(0u, s->failures) TH_LOG("%u failures, the first: %s (seed %" PRIu64 ")",
					  s->failures, s->failure, s->seed);
}

TEST_HARNESS_MAIN
