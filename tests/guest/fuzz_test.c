// SPDX-License-Identifier: MIT
/*
 * Seeded ioctl fuzzer. It calls every ncgpu ioctl, the DRM core ioctls ncgpu
 * relies on (GEM_CLOSE, PRIME both ways, SYNCOBJ_CREATE/DESTROY/WAIT),
 * DMA_BUF_IOCTL_SYNC, and mmap/munmap of BOs and dma-bufs, with random and
 * boundary values for sizes, flags, handles, offsets, strides, counts and
 * pointers: NULL, a PROT_NONE page, kernel and non-canonical addresses,
 * misaligned, read-only, and arrays that run into a guard page.
 *
 * A small model of the live objects (BOs and their handles in two files,
 * syncobjs, dma-bufs, mappings) predicts whether each call is valid. Every
 * return must be 0 or an errno ncgpu-uapi.md (or the DRM core, for its
 * ioctls) allows for that call; a valid call must succeed, or fail only as a
 * valid call may (ENOMEM; EBUSY, ETIMEDOUT or ETIME for waits); an invalid
 * call must fail. A periodic SA_RESTART signal interrupts waits and sleeping
 * locks, so EINTR or a leaked ERESTART* code fails the run too. Nothing may
 * reach the kernel log above debug level; kernel reports are also caught by
 * the harness's kernel log check.
 *
 * restart_test.c makes such interruptions deterministic.
 *
 * NCGPU_SEED=N replays a run (job timing aside); NCGPU_FUZZ_OPS=N and
 * NCGPU_FUZZ_SECONDS=S bound it.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "ncgpu_test.h"

#define DEFAULT_OPS 20000
#define DEFAULT_SECONDS 5
#define NR_FILES 2
#define POOL_HANDLES 24
#define POOL_SYNCOBJS 12
#define POOL_DMABUFS 12
#define POOL_MAPS 16
#define CLOSED_HANDLES 8
/* Larger BOs are closed at once: device jobs on them would take too long. */
#define MAX_POOL_BO_SIZE (256u * 1024)
/* Commands per job above which every command is made cheap. */
#define CHEAP_JOB_CMDS 16
#define CHEAP_BYTES 64
#define MAX_STALL_US 500
#define ARENA_SIZE (4u << 20)
#define MAX_STRIDE NCGPU_TEST_MAX_STRIDE
#define ERRNO_SLOTS 160
#define MAX_FAILURES 8
#define DRAIN_EVERY 256
#define DRAIN_NS (10 * NCGPU_TEST_NSEC_PER_SEC)
#define SIGNAL_PERIOD_US 2000
#define KMSG_RECORD 8192
#define NO_BO (-1)

enum call {
	CALL_DEV_QUERY,
	CALL_BO_CREATE,
	CALL_BO_MMAP_OFFSET,
	CALL_BO_QUERY_INFO,
	CALL_BO_SYNC,
	CALL_SUBMIT,
	CALL_BO_WAIT,
	CALL_UNKNOWN_IOCTL,
	CALL_GEM_CLOSE,
	CALL_PRIME_HANDLE_TO_FD,
	CALL_PRIME_FD_TO_HANDLE,
	CALL_SYNCOBJ_CREATE,
	CALL_SYNCOBJ_DESTROY,
	CALL_SYNCOBJ_WAIT,
	CALL_DMABUF_SYNC,
	CALL_MMAP_BO,
	CALL_MMAP_DMABUF,
	CALL_MUNMAP,
	CALL_CLOSE_DMABUF,
	CALL_REOPEN,
	NR_CALLS
};

static const char *const call_names[NR_CALLS] = {
	[CALL_DEV_QUERY] = "DEV_QUERY",
	[CALL_BO_CREATE] = "BO_CREATE",
	[CALL_BO_MMAP_OFFSET] = "BO_MMAP_OFFSET",
	[CALL_BO_QUERY_INFO] = "BO_QUERY_INFO",
	[CALL_BO_SYNC] = "BO_SYNC",
	[CALL_SUBMIT] = "SUBMIT",
	[CALL_BO_WAIT] = "BO_WAIT",
	[CALL_UNKNOWN_IOCTL] = "unknown ncgpu ioctl",
	[CALL_GEM_CLOSE] = "GEM_CLOSE",
	[CALL_PRIME_HANDLE_TO_FD] = "PRIME_HANDLE_TO_FD",
	[CALL_PRIME_FD_TO_HANDLE] = "PRIME_FD_TO_HANDLE",
	[CALL_SYNCOBJ_CREATE] = "SYNCOBJ_CREATE",
	[CALL_SYNCOBJ_DESTROY] = "SYNCOBJ_DESTROY",
	[CALL_SYNCOBJ_WAIT] = "SYNCOBJ_WAIT",
	[CALL_DMABUF_SYNC] = "DMA_BUF_IOCTL_SYNC",
	[CALL_MMAP_BO] = "mmap(BO)",
	[CALL_MMAP_DMABUF] = "mmap(dma-buf)",
	[CALL_MUNMAP] = "munmap",
	[CALL_CLOSE_DMABUF] = "close(dma-buf)",
	[CALL_REOPEN] = "close+open(DRM file)",
};

/*
 * The errnos each call may return at all (zero-terminated): for ncgpu's
 * ioctls, those of the uAPI header's "Checks and errors", plus EFAULT for a bad argument pointer; the DRM core's and
 * the mm's for the others. EMFILE is absent: the fuzzer keeps few fds.
 */
static const int allowed_errnos[NR_CALLS][8] = {
	[CALL_DEV_QUERY] = { EINVAL, EFAULT },
	[CALL_BO_CREATE] = { EINVAL, E2BIG, ENOMEM, EFAULT },
	[CALL_BO_MMAP_OFFSET] = { EINVAL, ENOENT, EPERM, EFAULT },
	[CALL_BO_QUERY_INFO] = { ENOENT, EFAULT },
	[CALL_BO_SYNC] = { EINVAL, E2BIG, ENOENT, EFAULT, ENOMEM },
	[CALL_SUBMIT] = { EINVAL, E2BIG, ENOENT, EFAULT, ENOMEM },
	[CALL_BO_WAIT] = { EINVAL, ENOENT, EBUSY, ETIMEDOUT, EFAULT },
	[CALL_UNKNOWN_IOCTL] = { EINVAL },
	[CALL_GEM_CLOSE] = { EINVAL, EFAULT },
	[CALL_PRIME_HANDLE_TO_FD] = { EINVAL, ENOENT, ENOMEM, EFAULT },
	[CALL_PRIME_FD_TO_HANDLE] = { EINVAL, EBADF, ENOMEM, EFAULT },
	[CALL_SYNCOBJ_CREATE] = { EINVAL, ENOMEM, EFAULT },
	[CALL_SYNCOBJ_DESTROY] = { EINVAL, EFAULT },
	[CALL_SYNCOBJ_WAIT] = { EINVAL, ENOENT, ETIME, EFAULT, ENOMEM },
	[CALL_DMABUF_SYNC] = { EINVAL, EFAULT },
	[CALL_MMAP_BO] = { EINVAL, EACCES, EPERM, ENOMEM, EOVERFLOW },
	[CALL_MMAP_DMABUF] = { EINVAL, EACCES, EPERM, ENOMEM, EOVERFLOW },
};

/* The errnos with which a valid call may still fail (zero-terminated). */
static const int valid_errnos[NR_CALLS][4] = {
	[CALL_BO_CREATE] = { ENOMEM },
	[CALL_BO_SYNC] = { ENOMEM },
	[CALL_SUBMIT] = { ENOMEM },
	[CALL_BO_WAIT] = { EBUSY, ETIMEDOUT },
	[CALL_PRIME_HANDLE_TO_FD] = { ENOMEM },
	[CALL_PRIME_FD_TO_HANDLE] = { ENOMEM },
	[CALL_SYNCOBJ_CREATE] = { ENOMEM },
	[CALL_SYNCOBJ_WAIT] = { ETIME, ENOMEM },
	[CALL_MMAP_BO] = { ENOMEM },
	[CALL_MMAP_DMABUF] = { ENOMEM },
};

enum expect {
	EXPECT_SUCCESS,	/* valid: 0 or one of valid_errnos */
	EXPECT_FAILURE,	/* invalid: an errno */
	EXPECT_EFAULT,	/* the argument itself is unreadable or unwritable */
	EXPECT_ANY,	/* the model does not know; only allowed_errnos apply */
};

/* Where a user pointer points. */
enum ptr_kind {
	PTR_OK,
	PTR_MISALIGNED,
	PTR_READONLY,
	PTR_INTO_GUARD,
	PTR_NULL,
	PTR_PROT_NONE,
	PTR_KERNEL,
	PTR_KERNEL_TEXT,
	PTR_NON_CANONICAL,
	PTR_TOP_BIT,
	PTR_ALL_ONES,
	NR_PTR_KINDS
};

static const uint64_t bad_addresses[NR_PTR_KINDS] = {
	[PTR_KERNEL] = 0xffff800000000000ull,
	[PTR_KERNEL_TEXT] = 0xffffffff81000000ull,
	[PTR_NON_CANONICAL] = 0x0000800000000000ull,
	[PTR_TOP_BIT] = 0x8000000000000000ull,
	[PTR_ALL_ONES] = 0xfffffffffffffff8ull,
};

/* A BO as the model knows it, whatever handles name it. */
struct fuzz_bo {
	uint64_t size;
	uint32_t flags;
	/* Comes from vgem. */
	bool foreign;
	/* Exported at least once without DRM_RDWR: its dma-buf may be read-only. */
	bool exported_ro;
	/* Fake mmap offset once known; forgotten when no handle is left. */
	uint64_t offset;
};

struct fuzz_handle {
	uint32_t handle;
	int bo;
};

struct fuzz_syncobj {
	uint32_t handle;
	bool has_fence;
};

struct fuzz_file {
	int fd;
	unsigned int nhandles, nsyncobjs;
	struct fuzz_handle handles[POOL_HANDLES];
	struct fuzz_syncobj syncobjs[POOL_SYNCOBJS];
	uint32_t closed[CLOSED_HANDLES];
};

struct fuzz_dmabuf {
	int fd;
	int bo;
};

struct fuzz_map {
	uint8_t *addr;
	size_t len;
	int prot;
};

struct fuzz {
	struct drm_ncgpu_dev_info info;
	bool io;
	size_t page;
	uint64_t seed, rng;
	unsigned int op;
	/* While set, generators make valid values only: long valid arrays happen. */
	bool tame;
	struct fuzz_file files[NR_FILES];
	int vgem, devnull;
	/* A file of its own, so that no fuzzed call touches its syncobj. */
	int drain_fd;
	uint32_t drain_syncobj;
	struct fuzz_bo *bos;
	unsigned int nbos, max_bos;
	struct fuzz_dmabuf dmabufs[POOL_DMABUFS];
	unsigned int ndmabufs;
	struct fuzz_map maps[POOL_MAPS];
	unsigned int nmaps;
	/* Arrays and answers live here, followed by a PROT_NONE guard page. */
	uint8_t *arena;
	/* Ioctl arguments live at the end of this page, followed by a guard. */
	uint8_t *argpage;
	uint8_t *prot_none;
	uint8_t *scratch;
	unsigned int counts[NR_CALLS][ERRNO_SLOTS];
	unsigned int failures;
	char messages[MAX_FAILURES][320];
};

static volatile sig_atomic_t signals_delivered;

static void count_signal(int sig)
{
	signals_delivered++;
}

/* A @p percent chance of an odd value, never while f->tame. */
static bool wild(struct fuzz *f, unsigned int p)
{
	return !f->tame && ncgpu_rand_percent(&f->rng, p);
}

#define PICK(f, ...) ({ \
	const uint64_t _choices[] = { __VA_ARGS__ }; \
	_choices[ncgpu_rand_below(&(f)->rng, sizeof(_choices) / sizeof(_choices[0]))]; \
})

static uint32_t nonzero_u32(struct fuzz *f)
{
	return PICK(f, 1, 0x80000000u, UINT32_MAX, (uint32_t)ncgpu_rand_next(&f->rng) | 1);
}

/* A pad field: zero, as the uAPI requires, @zero_percent percent of the time. */
static uint32_t gen_pad(struct fuzz *f, unsigned int zero_percent)
{
	return ncgpu_rand_percent(&f->rng, zero_percent) ? 0 : nonzero_u32(f);
}

static const char *errno_name(int err)
{
	switch (err) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ETIME: return "ETIME";
	case EOVERFLOW: return "EOVERFLOW";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: return NULL;
	}
}

static void describe_errno(int err, char *buf, size_t len)
{
	const char *name = errno_name(err);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "errno %d", err);
}

static bool in_list(const int *list, size_t n, int err)
{
	size_t i;

	for (i = 0; i < n && list[i]; i++)
		if (list[i] == err)
			return true;
	return false;
}

static void fail(struct fuzz *f, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	if (f->failures++ >= MAX_FAILURES)
		return;
	msg = f->messages[f->failures - 1];
	n = snprintf(msg, sizeof(f->messages[0]), "op %u: ", f->op);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(f->messages[0]) - n, fmt, ap);
	va_end(ap);
}

/* Why @err is wrong for @call under @expect, or NULL when it is fine. */
static const char *judge(enum call call, int err, enum expect expect)
{
	if (err == EINTR || (err >= 512 && err <= 516))
		return "was interrupted (EINTR/ERESTART* must never reach userspace)";
	if (err && !in_list(allowed_errnos[call], 8, err))
		return "returned an errno the uAPI does not allow for it";
	switch (expect) {
	case EXPECT_SUCCESS:
		return err && !in_list(valid_errnos[call], 4, err) ? "rejected a valid call" : NULL;
	case EXPECT_FAILURE:
		return err ? NULL : "accepted an invalid call";
	case EXPECT_EFAULT:
		return err == EFAULT ? NULL : "did not fail with EFAULT for a bad argument pointer";
	default:
		return NULL;
	}
}

/* Counts the result of a call and checks it; @what describes the arguments. */
static void record(struct fuzz *f, enum call call, int err, enum expect expect,
		   const char *what)
{
	const char *wrong = judge(call, err, expect);
	char name[24];

	f->counts[call][err < ERRNO_SLOTS ? err : ERRNO_SLOTS - 1]++;
	if (!wrong)
		return;
	describe_errno(err, name, sizeof(name));
	fail(f, "%s %s: %s (%s)", call_names[call], wrong, name, what);
}

/* ------------------------------------------------------------------ */
/* Pointers */

static enum ptr_kind gen_ptr_kind(struct fuzz *f)
{
	if (ncgpu_rand_percent(&f->rng, 88))
		return ncgpu_rand_percent(&f->rng, 80) ? PTR_OK : PTR_MISALIGNED;
	return (enum ptr_kind)(PTR_READONLY +
			       ncgpu_rand_below(&f->rng, NR_PTR_KINDS - PTR_READONLY));
}

/*
 * Copies @len bytes of @data to where a pointer of @kind points, as far as
 * that is mapped, and returns the pointer. Sets *@readable when the kernel
 * can read all @len bytes there, *@writable when it can also write them.
 */
static uint64_t place(struct fuzz *f, enum ptr_kind kind, const void *data, size_t len,
		      bool *readable, bool *writable)
{
	uint8_t *dst;
	size_t room;

	*readable = *writable = false;
	switch (kind) {
	case PTR_OK:
	case PTR_READONLY:
		dst = f->arena;
		break;
	case PTR_MISALIGNED:
		dst = f->arena + 1 + ncgpu_rand_below(&f->rng, 7);
		break;
	case PTR_INTO_GUARD:
		/* The last bytes lie in the guard page. */
		len = len ? len : 1;
		if (len > ARENA_SIZE)
			len = ARENA_SIZE;
		dst = f->arena + ARENA_SIZE - len + 1 +
		      ncgpu_rand_below(&f->rng, len < 64 ? len : 64);
		break;
	case PTR_NULL:
		return 0;
	case PTR_PROT_NONE:
		return (uintptr_t)f->prot_none + ncgpu_rand_below(&f->rng, 64);
	default:
		return bad_addresses[kind];
	}
	room = f->arena + ARENA_SIZE - dst;
	if (data)
		memcpy(dst, data, len < room ? len : room);
	*readable = len <= room;
	*writable = *readable && kind != PTR_READONLY;
	return (uintptr_t)dst;
}

/* Makes the arena read-only for the next call when @kind asks for it. */
static void arena_protect(struct fuzz *f, enum ptr_kind kind, bool on)
{
	if (kind == PTR_READONLY)
		mprotect(f->arena, ARENA_SIZE, on ? PROT_READ : PROT_READ | PROT_WRITE);
}

/*
 * Calls @request with its argument @arg of @size bytes, copied to the end of
 * a page followed by a guard page. With a small chance the argument pointer
 * is bad instead: then the call must fail with EFAULT, and *@bad_arg is set.
 * Read-only arguments are used only for @pure calls (no side effect): the
 * DRM core copies back even when the call failed.
 */
static int call_ioctl(struct fuzz *f, int fd, unsigned long request, void *arg, size_t size,
		      bool pure, bool *bad_arg)
{
	enum ptr_kind kind = ncgpu_rand_percent(&f->rng, 97) ? PTR_OK : gen_ptr_kind(f);
	bool copies_back = _IOC_DIR(request) & _IOC_READ;
	uint8_t *where = f->argpage + f->page - size;
	uint64_t ptr;
	size_t room;
	int ret;

	if (kind == PTR_READONLY && !pure)
		kind = PTR_NULL;
	*bad_arg = kind >= PTR_INTO_GUARD || (kind == PTR_READONLY && copies_back);
	switch (kind) {
	case PTR_OK:
	case PTR_READONLY:
		ptr = (uintptr_t)where;
		break;
	case PTR_MISALIGNED:
		where -= 1 + ncgpu_rand_below(&f->rng, 7);
		ptr = (uintptr_t)where;
		break;
	case PTR_INTO_GUARD:
		where += 1 + ncgpu_rand_below(&f->rng, size);
		ptr = (uintptr_t)where;
		break;
	case PTR_NULL:
		ptr = 0;
		break;
	case PTR_PROT_NONE:
		ptr = (uintptr_t)f->prot_none;
		break;
	default:
		ptr = bad_addresses[kind];
	}
	room = f->argpage + f->page - where;
	if (kind <= PTR_INTO_GUARD)
		memcpy(where, arg, room < size ? room : size);
	if (kind == PTR_READONLY)
		mprotect(f->argpage, f->page, PROT_READ);
	ret = ioctl(fd, request, (void *)(uintptr_t)ptr) ? errno : 0;
	if (kind == PTR_READONLY)
		mprotect(f->argpage, f->page, PROT_READ | PROT_WRITE);
	if (kind <= PTR_MISALIGNED)
		memcpy(arg, where, size);
	return ret;
}

/*
 * What a call made with call_ioctl() must return: EFAULT when its argument
 * pointer was bad, else success only when its arguments are @valid.
 */
static enum expect expectation(bool bad_arg, bool valid)
{
	return bad_arg ? EXPECT_EFAULT : valid ? EXPECT_SUCCESS : EXPECT_FAILURE;
}

/* ------------------------------------------------------------------ */
/* The model */

static struct fuzz_file *pick_file(struct fuzz *f)
{
	return &f->files[ncgpu_rand_percent(&f->rng, 75) ? 0 : 1];
}

static int new_bo(struct fuzz *f, uint64_t size, uint32_t flags, bool foreign)
{
	struct fuzz_bo *bo;

	if (f->nbos == f->max_bos) {
		f->max_bos *= 2;
		f->bos = realloc(f->bos, f->max_bos * sizeof(*f->bos));
	}
	bo = &f->bos[f->nbos];
	*bo = (struct fuzz_bo){ .size = size, .flags = flags, .foreign = foreign };
	return f->nbos++;
}

/* The BO behind @handle in @file, or NO_BO. */
static int lookup_handle(struct fuzz_file *file, uint32_t handle)
{
	unsigned int i;

	for (i = 0; i < file->nhandles; i++)
		if (file->handles[i].handle == handle)
			return file->handles[i].bo;
	return NO_BO;
}

/* The handle of @bo in @file, or 0. */
static uint32_t handle_of(struct fuzz_file *file, int bo)
{
	unsigned int i;

	for (i = 0; i < file->nhandles; i++)
		if (file->handles[i].bo == bo)
			return file->handles[i].handle;
	return 0;
}

static bool bo_has_handles(struct fuzz *f, int bo)
{
	return handle_of(&f->files[0], bo) || handle_of(&f->files[1], bo);
}

static void forget_handle(struct fuzz *f, struct fuzz_file *file, unsigned int index)
{
	int bo = file->handles[index].bo;

	file->closed[ncgpu_rand_below(&f->rng, CLOSED_HANDLES)] = file->handles[index].handle;
	file->handles[index] = file->handles[--file->nhandles];
	/* With no handle left the BO may die and its offset be reused. */
	if (!bo_has_handles(f, bo))
		f->bos[bo].offset = 0;
}

static void close_handle(struct fuzz *f, struct fuzz_file *file, unsigned int index)
{
	struct drm_gem_close c = { .handle = file->handles[index].handle };
	int err = ioctl(file->fd, DRM_IOCTL_GEM_CLOSE, &c) ? errno : 0;

	record(f, CALL_GEM_CLOSE, err, EXPECT_SUCCESS, "closing a pool handle");
	forget_handle(f, file, index);
}

static void adopt_handle(struct fuzz *f, struct fuzz_file *file, uint32_t handle, int bo)
{
	if (file->nhandles == POOL_HANDLES)
		close_handle(f, file, ncgpu_rand_below(&f->rng, POOL_HANDLES));
	file->handles[file->nhandles++] = (struct fuzz_handle){ .handle = handle, .bo = bo };
}

static struct fuzz_syncobj *lookup_syncobj(struct fuzz_file *file, uint32_t handle)
{
	unsigned int i;

	for (i = 0; i < file->nsyncobjs; i++)
		if (file->syncobjs[i].handle == handle)
			return &file->syncobjs[i];
	return NULL;
}

static void destroy_syncobj(struct fuzz *f, struct fuzz_file *file, unsigned int index)
{
	struct drm_syncobj_destroy d = { .handle = file->syncobjs[index].handle };
	int err = ioctl(file->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d) ? errno : 0;

	record(f, CALL_SYNCOBJ_DESTROY, err, EXPECT_SUCCESS, "destroying a pool syncobj");
	file->syncobjs[index] = file->syncobjs[--file->nsyncobjs];
}

static void adopt_syncobj(struct fuzz *f, struct fuzz_file *file, uint32_t handle,
			  bool has_fence)
{
	if (file->nsyncobjs == POOL_SYNCOBJS)
		destroy_syncobj(f, file, ncgpu_rand_below(&f->rng, POOL_SYNCOBJS));
	file->syncobjs[file->nsyncobjs++] = (struct fuzz_syncobj){
		.handle = handle, .has_fence = has_fence,
	};
}

static void close_dmabuf(struct fuzz *f, unsigned int index)
{
	int err = close(f->dmabufs[index].fd) ? errno : 0;

	record(f, CALL_CLOSE_DMABUF, err, EXPECT_SUCCESS, "closing a pool dma-buf");
	f->dmabufs[index] = f->dmabufs[--f->ndmabufs];
}

static void adopt_dmabuf(struct fuzz *f, int fd, int bo)
{
	if (f->ndmabufs == POOL_DMABUFS)
		close_dmabuf(f, ncgpu_rand_below(&f->rng, POOL_DMABUFS));
	f->dmabufs[f->ndmabufs++] = (struct fuzz_dmabuf){ .fd = fd, .bo = bo };
}

static void unmap(struct fuzz *f, unsigned int index)
{
	int err = munmap(f->maps[index].addr, f->maps[index].len) ? errno : 0;

	record(f, CALL_MUNMAP, err, EXPECT_SUCCESS, "unmapping a pool mapping");
	f->maps[index] = f->maps[--f->nmaps];
}

/* Reads and, when writable, writes every page of a mapping. */
static void touch(struct fuzz *f, const struct fuzz_map *map)
{
	volatile uint8_t *p = map->addr;
	size_t off;

	for (off = 0; off < map->len; off += f->page) {
		if (map->prot & PROT_READ)
			(void)p[off];
		if (map->prot & PROT_WRITE)
			p[off] = (uint8_t)off;
	}
}

static void adopt_map(struct fuzz *f, void *addr, size_t len, int prot)
{
	if (f->nmaps == POOL_MAPS)
		unmap(f, ncgpu_rand_below(&f->rng, POOL_MAPS));
	f->maps[f->nmaps] = (struct fuzz_map){ .addr = addr, .len = len, .prot = prot };
	touch(f, &f->maps[f->nmaps++]);
}

/* ------------------------------------------------------------------ */
/* Values */

/* A handle for @file: mostly a live one. *@bo is the BO it names, or NO_BO. */
static uint32_t gen_handle(struct fuzz *f, struct fuzz_file *file, int *bo)
{
	struct fuzz_file *other = &f->files[file == &f->files[0]];
	uint32_t handle;

	if (file->nhandles && !wild(f, 15)) {
		handle = file->handles[ncgpu_rand_below(&f->rng, file->nhandles)].handle;
	} else {
		switch (ncgpu_rand_below(&f->rng, 5)) {
		case 0:
			handle = 0;
			break;
		case 1:
			handle = PICK(f, UINT32_MAX, 0x80000000u, 0x7fffffffu);
			break;
		case 2:
			handle = file->closed[ncgpu_rand_below(&f->rng, CLOSED_HANDLES)];
			break;
		case 3:
			handle = !other->nhandles ? 1 :
				 other->handles[ncgpu_rand_below(&f->rng, other->nhandles)].handle;
			break;
		default:
			handle = 1 + ncgpu_rand_below(&f->rng, 64);
		}
	}
	*bo = lookup_handle(file, handle);
	return handle;
}

/* A syncobj handle for @file, or 0 with @allow_zero; *@obj is the live one or NULL. */
static uint32_t gen_syncobj(struct fuzz *f, struct fuzz_file *file, bool allow_zero,
			    struct fuzz_syncobj **obj)
{
	uint32_t handle;

	if (allow_zero && ncgpu_rand_percent(&f->rng, 45))
		handle = 0;
	else if (file->nsyncobjs && ncgpu_rand_percent(&f->rng, 85))
		handle = file->syncobjs[ncgpu_rand_below(&f->rng, file->nsyncobjs)].handle;
	else
		handle = PICK(f, 0, UINT32_MAX, 1 + ncgpu_rand_below(&f->rng, 64), file->closed[0]);
	*obj = handle ? lookup_syncobj(file, handle) : NULL;
	return handle;
}

static uint64_t gen_bo_size(struct fuzz *f)
{
	uint64_t max = f->info.max_bo_size, page = f->page;

	if (ncgpu_rand_percent(&f->rng, 75))
		return 1 + ncgpu_rand_below(&f->rng, ncgpu_rand_percent(&f->rng, 60) ?
						     4 * page : MAX_POOL_BO_SIZE);
	if (ncgpu_rand_percent(&f->rng, 85))
		return PICK(f, 0, 1, page - 1, page, page + 1, max - 1, max, max + 1,
			    max + page, 2 * max, 1ull << 63, UINT64_MAX,
			    UINT64_MAX - page + 2);
	return ncgpu_rand_next(&f->rng);
}

static uint32_t gen_bo_flags(struct fuzz *f)
{
	if (ncgpu_rand_percent(&f->rng, 85))
		return PICK(f, 0, 0, DRM_NCGPU_BO_WB_MMAP, DRM_NCGPU_BO_WB_MMAP,
			    DRM_NCGPU_BO_NO_MMAP);
	return PICK(f, DRM_NCGPU_BO_NO_MMAP | DRM_NCGPU_BO_WB_MMAP,
		    1u << ncgpu_rand_below(&f->rng, 32), UINT32_MAX,
		    (uint32_t)ncgpu_rand_next(&f->rng));
}

/*
 * A range in a BO of @bo_size bytes, valid ranges at most @limit bytes long.
 * Returns whether it lies inside the BO without wrapping.
 */
static bool gen_range(struct fuzz *f, uint64_t bo_size, uint64_t limit, __u64 *offset,
		      __u64 *size)
{
	uint64_t room;

	switch (ncgpu_rand_below(&f->rng, f->tame ? 6 : 10)) {
	case 0: case 1: case 2: case 3: case 4:
		*offset = ncgpu_rand_below(&f->rng, bo_size + 1);
		room = bo_size - *offset;
		*size = ncgpu_rand_below(&f->rng, (room < limit ? room : limit) + 1);
		break;
	case 5:
		*offset = 0;
		*size = bo_size < limit ? bo_size : limit;
		break;
	case 6:
		/* At the end, maybe one byte past it. */
		*offset = bo_size - ncgpu_rand_below(&f->rng, 3);
		*size = ncgpu_rand_below(&f->rng, 4);
		break;
	case 7:
		/* Wrapping around 2^64. */
		*offset = UINT64_MAX - ncgpu_rand_below(&f->rng, 2 * f->page);
		*size = 1 + ncgpu_rand_below(&f->rng, 4 * f->page);
		break;
	case 8:
		*offset = PICK(f, 0, 1, bo_size, bo_size + 1, 1ull << 63);
		*size = PICK(f, UINT64_MAX, UINT64_MAX - bo_size + 1, bo_size + 1, 1ull << 63);
		break;
	default:
		*offset = ncgpu_rand_percent(&f->rng, 50) ? ncgpu_rand_next(&f->rng) :
			  ncgpu_rand_below(&f->rng, 2 * bo_size + 2);
		*size = ncgpu_rand_percent(&f->rng, 50) ? ncgpu_rand_next(&f->rng) :
			ncgpu_rand_below(&f->rng, 2 * bo_size + 2);
	}
	return *offset <= bo_size && *size <= bo_size - *offset;
}

static uint64_t bo_size_or_zero(struct fuzz *f, int bo)
{
	return bo == NO_BO ? ncgpu_rand_below(&f->rng, 2) * f->page : f->bos[bo].size;
}

/*
 * A user array: count, stride and the elements built by @gen_elem, placed
 * where a pointer of a random kind points. Returns whether the kernel must
 * accept the array itself (the elements are judged by @gen_elem).
 */
struct fuzz_array {
	struct drm_ncgpu_obj_array desc;
	enum ptr_kind kind;
	bool elems_valid;
};

typedef bool (*gen_elem_fn)(struct fuzz *f, struct fuzz_file *file, void *elem, bool cheap);

static uint32_t gen_count(struct fuzz *f, uint32_t cap)
{
	if (ncgpu_rand_percent(&f->rng, 70))
		return 1 + ncgpu_rand_below(&f->rng, 4);
	if (ncgpu_rand_percent(&f->rng, 35))
		return ncgpu_rand_percent(&f->rng, 50) ? 0 : 5 + ncgpu_rand_below(&f->rng, 60);
	/* Arrays at the cap are long to build: one pick in six. */
	return PICK(f, cap, cap - 1, cap + 1, UINT32_MAX, 0x80000000u,
		    1 + ncgpu_rand_below(&f->rng, cap));
}

static uint32_t gen_stride(struct fuzz *f, uint32_t elem, uint32_t count)
{
	if (ncgpu_rand_percent(&f->rng, 80))
		return elem;
	if (ncgpu_rand_percent(&f->rng, 60))
		return elem + 8 * (1 + ncgpu_rand_below(&f->rng, 4));
	if (count <= 4 && ncgpu_rand_percent(&f->rng, 30))
		return PICK(f, MAX_STRIDE, MAX_STRIDE + 1, MAX_STRIDE + 8, UINT32_MAX, 0x80000000u);
	return PICK(f, 0, 1, elem - 1, elem - 8, elem + 1);
}

static bool build_array(struct fuzz *f, struct fuzz_file *file, struct fuzz_array *a,
			uint32_t cap, uint32_t elem_size, gen_elem_fn gen_elem)
{
	uint32_t count = gen_count(f, cap), stride = gen_stride(f, elem_size, count), i;
	bool cheap = count > CHEAP_JOB_CMDS, readable, writable, tails_zero = true;
	size_t len = (size_t)count * stride;
	uint8_t *tmp = f->scratch;

	a->desc = (struct drm_ncgpu_obj_array){ .count = count, .stride = stride };
	a->kind = gen_ptr_kind(f);
	a->elems_valid = true;
	if (count > cap || stride < elem_size || len > ARENA_SIZE) {
		/* Rejected, or too large to build: the kernel runs into the guard. */
		a->desc.array = place(f, a->kind, NULL, 0, &readable, &writable);
		return count == 0;
	}
	memset(tmp, 0, len);
	f->tame = count > 4 && ncgpu_rand_percent(&f->rng, 50);
	for (i = 0; i < count; i++)
		a->elems_valid &= gen_elem(f, file, tmp + (size_t)i * stride, cheap);
	f->tame = false;
	if (stride > elem_size && count && ncgpu_rand_percent(&f->rng, 10)) {
		tmp[(size_t)ncgpu_rand_below(&f->rng, count) * stride + elem_size +
		    ncgpu_rand_below(&f->rng, stride - elem_size)] =
			1 + ncgpu_rand_below(&f->rng, 255);
		tails_zero = false;
	}
	a->desc.array = place(f, a->kind, tmp, len, &readable, &writable);
	/* A stride above the cap is refused however good the elements are. */
	return count == 0 || (readable && tails_zero && stride <= MAX_STRIDE);
}

/* ------------------------------------------------------------------ */
/* ncgpu ioctls */

static bool all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void op_dev_query(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	struct drm_ncgpu_dev_query q = {
		.type = ncgpu_rand_percent(&f->rng, 85) ? DRM_NCGPU_DEV_QUERY_INFO : nonzero_u32(f),
		.size = ncgpu_rand_percent(&f->rng, 70) ? PICK(f, 16, 24, 32, 33, 64, 4096) :
			PICK(f, 0, 1, 15, UINT32_MAX, ncgpu_rand_below(&f->rng, 9000)),
	};
	enum ptr_kind kind = ncgpu_rand_percent(&f->rng, 25) ? PTR_NULL : gen_ptr_kind(f);
	bool readable, writable, bad_arg, valid, size_query;
	uint8_t *answer;
	char what[96];
	int err;

	q.pointer = place(f, kind, NULL, q.size, &readable, &writable);
	answer = (uint8_t *)(uintptr_t)q.pointer;
	if (writable)
		memset(answer, 0xa5, q.size);
	size_query = !q.pointer;
	valid = q.type == DRM_NCGPU_DEV_QUERY_INFO && (size_query || (q.size >= 16 && writable));
	arena_protect(f, kind, true);
	err = call_ioctl(f, file->fd, DRM_IOCTL_NCGPU_DEV_QUERY, &q, sizeof(q), true, &bad_arg);
	arena_protect(f, kind, false);
	snprintf(what, sizeof(what), "type %u size %u pointer 0x%llx", q.type, q.size,
		 (unsigned long long)q.pointer);
	record(f, CALL_DEV_QUERY, err, expectation(bad_arg, valid), what);
	if (err || bad_arg)
		return;
	if (size_query && q.size != sizeof(f->info))
		fail(f, "DEV_QUERY reported answer size %u, not %zu", q.size, sizeof(f->info));
	else if (!size_query && writable &&
		 (memcmp(answer, &f->info, q.size < 32 ? q.size : 32) ||
		  !all_zero(answer + 32, q.size > 32 ? q.size - 32 : 0)))
		fail(f, "DEV_QUERY answer is wrong or not zero-filled (%s)", what);
}

static void op_bo_create(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	struct drm_ncgpu_bo_create c = {
		.size = gen_bo_size(f), .flags = gen_bo_flags(f),
		.handle = (uint32_t)ncgpu_rand_next(&f->rng),
	};
	uint64_t asked = c.size;
	bool valid = c.size && c.size <= f->info.max_bo_size &&
		     !(c.flags & ~(DRM_NCGPU_BO_NO_MMAP | DRM_NCGPU_BO_WB_MMAP)) &&
		     c.flags != (DRM_NCGPU_BO_NO_MMAP | DRM_NCGPU_BO_WB_MMAP);
	bool bad_arg;
	char what[64];
	int err;

	err = call_ioctl(f, file->fd, DRM_IOCTL_NCGPU_BO_CREATE, &c, sizeof(c), false, &bad_arg);
	snprintf(what, sizeof(what), "size 0x%llx flags 0x%x", (unsigned long long)asked, c.flags);
	record(f, CALL_BO_CREATE, err, expectation(bad_arg, valid), what);
	if (err)
		return;
	if (c.size != ((asked + f->page - 1) & ~(uint64_t)(f->page - 1)) || !c.handle)
		fail(f, "BO_CREATE returned size 0x%llx handle %u (%s)",
		     (unsigned long long)c.size, c.handle, what);
	adopt_handle(f, file, c.handle, new_bo(f, c.size, c.flags, false));
	if (c.size > MAX_POOL_BO_SIZE)
		close_handle(f, file, file->nhandles - 1);
}

static void op_bo_mmap_offset(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	struct drm_ncgpu_bo_mmap_offset m = { .pad = gen_pad(f, 85) };
	bool valid, bad_arg;
	char what[48];
	int bo, err;

	m.handle = gen_handle(f, file, &bo);
	m.offset = ncgpu_rand_next(&f->rng);
	valid = !m.pad && bo != NO_BO && !(f->bos[bo].flags & DRM_NCGPU_BO_NO_MMAP) &&
		!f->bos[bo].foreign;
	err = call_ioctl(f, file->fd, DRM_IOCTL_NCGPU_BO_MMAP_OFFSET, &m, sizeof(m), true,
			 &bad_arg);
	snprintf(what, sizeof(what), "handle %u pad %u", m.handle, m.pad);
	record(f, CALL_BO_MMAP_OFFSET, err, expectation(bad_arg, valid), what);
	if (err || bo == NO_BO)
		return;
	if (f->bos[bo].offset && f->bos[bo].offset != m.offset)
		fail(f, "BO_MMAP_OFFSET changed from 0x%llx to 0x%llx (%s)",
		     (unsigned long long)f->bos[bo].offset, (unsigned long long)m.offset, what);
	f->bos[bo].offset = m.offset;
}

static void check_query_info(struct fuzz *f, const struct fuzz_bo *bo,
			     const struct drm_ncgpu_bo_query_info *q)
{
	bool cached = f->io || (bo->flags & DRM_NCGPU_BO_WB_MMAP);
	uint32_t extra = (bo->foreign ? DRM_NCGPU_BO_IS_IMPORTED : 0) |
			 (cached ? DRM_NCGPU_BO_CPU_CACHED : 0);

	if (q->extra_flags != extra || q->create_flags != bo->flags || q->pad)
		fail(f, "BO_QUERY_INFO of handle %u: extra 0x%x create 0x%x pad %u, "
		     "expected extra 0x%x create 0x%x pad 0", q->handle, q->extra_flags,
		     q->create_flags, q->pad, extra, bo->flags);
}

static void op_bo_query_info(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	struct drm_ncgpu_bo_query_info q = {
		.extra_flags = (uint32_t)ncgpu_rand_next(&f->rng),
		.create_flags = (uint32_t)ncgpu_rand_next(&f->rng),
		.pad = (uint32_t)ncgpu_rand_next(&f->rng),
	};
	bool bad_arg;
	char what[32];
	int bo, err;

	q.handle = gen_handle(f, file, &bo);
	err = call_ioctl(f, file->fd, DRM_IOCTL_NCGPU_BO_QUERY_INFO, &q, sizeof(q), true,
			 &bad_arg);
	snprintf(what, sizeof(what), "handle %u", q.handle);
	record(f, CALL_BO_QUERY_INFO, err, expectation(bad_arg, bo != NO_BO), what);
	if (!err && !bad_arg && bo != NO_BO)
		check_query_info(f, &f->bos[bo], &q);
}

static bool gen_sync_op(struct fuzz *f, struct fuzz_file *file, void *elem, bool cheap)
{
	struct drm_ncgpu_bo_sync_op *op = elem;
	bool range_ok;
	int bo;

	unsigned int tries = 0;

	do
		op->handle = gen_handle(f, file, &bo);
	while (f->tame && bo != NO_BO && f->bos[bo].foreign && ++tries < 4);
	op->type = !wild(f, 10) ? ncgpu_rand_below(&f->rng, 2) :
		   PICK(f, 2, 3, UINT32_MAX, (uint32_t)ncgpu_rand_next(&f->rng));
	range_ok = gen_range(f, bo_size_or_zero(f, bo), cheap ? CHEAP_BYTES : UINT64_MAX,
			     &op->offset, &op->size);
	return bo != NO_BO && range_ok && !f->bos[bo].foreign && op->type <= 1;
}

static void op_bo_sync(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	struct drm_ncgpu_bo_sync s;
	struct fuzz_array a;
	bool valid, bad_arg;
	char what[80];
	int err;

	valid = build_array(f, file, &a, f->info.max_sync_ops, sizeof(struct drm_ncgpu_bo_sync_op),
			    gen_sync_op);
	valid = valid && (!a.desc.count || a.elems_valid);
	s.ops = a.desc;
	arena_protect(f, a.kind, true);
	err = call_ioctl(f, file->fd, DRM_IOCTL_NCGPU_BO_SYNC, &s, sizeof(s), true, &bad_arg);
	arena_protect(f, a.kind, false);
	snprintf(what, sizeof(what), "count %u stride %u array 0x%llx", a.desc.count,
		 a.desc.stride, (unsigned long long)a.desc.array);
	record(f, CALL_BO_SYNC, err, expectation(bad_arg, valid), what);
}

static bool gen_copy(struct fuzz *f, struct fuzz_file *file, struct drm_ncgpu_cmd *c,
		     bool cheap)
{
	int dst, src;
	bool dst_ok, src_ok, overlap;
	__u64 unused;

	c->dst_handle = gen_handle(f, file, &dst);
	if (wild(f, 20)) {
		c->src_handle = c->dst_handle;
		src = dst;
	} else {
		c->src_handle = gen_handle(f, file, &src);
	}
	dst_ok = gen_range(f, bo_size_or_zero(f, dst), cheap ? CHEAP_BYTES : UINT64_MAX,
			   &c->dst_offset, &c->size);
	if (!wild(f, 20)) {
		uint64_t src_size = bo_size_or_zero(f, src);

		c->src_offset = c->size <= src_size ?
				ncgpu_rand_below(&f->rng, src_size - c->size + 1) : 0;
		if (src == dst && wild(f, 50))
			c->src_offset = c->dst_offset +
					ncgpu_rand_below(&f->rng, 2 * c->size + 1) - c->size;
	} else {
		gen_range(f, bo_size_or_zero(f, src), UINT64_MAX, &c->src_offset, &unused);
	}
	overlap = c->dst_handle == c->src_handle && c->size &&
		  c->dst_offset < c->src_offset + c->size && c->src_offset < c->dst_offset + c->size;
	if (overlap && f->tame)
		c->size = 0;
	overlap = overlap && c->size;
	src_ok = src != NO_BO && c->src_offset <= f->bos[src].size &&
		 c->size <= f->bos[src].size - c->src_offset;
	/* COPY's value is MBZ (uAPI 1.1). */
	c->value = wild(f, 8) ? nonzero_u32(f) : 0;
	return dst != NO_BO && dst_ok && src_ok && !overlap && !c->value;
}

static bool gen_fill(struct fuzz *f, struct fuzz_file *file, struct drm_ncgpu_cmd *c,
		     bool cheap)
{
	bool range_ok;
	int dst;

	c->dst_handle = gen_handle(f, file, &dst);
	range_ok = gen_range(f, bo_size_or_zero(f, dst), cheap ? CHEAP_BYTES : UINT64_MAX,
			     &c->dst_offset, &c->size);
	c->value = ncgpu_rand_next(&f->rng);
	if (wild(f, 8))
		c->src_handle = nonzero_u32(f);
	if (wild(f, 8))
		c->src_offset = 1 + ncgpu_rand_below(&f->rng, f->page);
	return dst != NO_BO && range_ok && !c->src_handle && !c->src_offset;
}

static bool gen_stall(struct fuzz *f, struct drm_ncgpu_cmd *c, bool cheap)
{
	__u64 *fields[] = { NULL, &c->dst_offset, &c->src_offset, &c->size };

	c->value = !wild(f, 10) ? ncgpu_rand_below(&f->rng, (cheap ? 10 : MAX_STALL_US) + 1) :
		   PICK(f, DRM_NCGPU_STALL_MAX_US + 1, UINT64_MAX, 1ull << 63,
			DRM_NCGPU_STALL_MAX_US + 1 + (ncgpu_rand_next(&f->rng) >> 1));
	if (wild(f, 10)) {
		unsigned int which = ncgpu_rand_below(&f->rng, 5);

		if (which == 0)
			c->dst_handle = nonzero_u32(f);
		else if (which == 4)
			c->src_handle = nonzero_u32(f);
		else
			*fields[which] = 1 + ncgpu_rand_below(&f->rng, 4096);
	}
	return c->value <= DRM_NCGPU_STALL_MAX_US && !c->dst_handle && !c->src_handle &&
	       !c->dst_offset && !c->src_offset && !c->size;
}

static bool gen_cmd(struct fuzz *f, struct fuzz_file *file, void *elem, bool cheap)
{
	struct drm_ncgpu_cmd *c = elem;
	bool valid;

	c->op = !wild(f, 5) ? ncgpu_rand_below(&f->rng, 3) :
		PICK(f, 3, UINT32_MAX, (uint32_t)ncgpu_rand_next(&f->rng));
	c->flags = !wild(f, 5) ? 0 : nonzero_u32(f);
	switch (c->op) {
	case DRM_NCGPU_CMD_COPY:
		valid = gen_copy(f, file, c, cheap);
		break;
	case DRM_NCGPU_CMD_FILL:
		valid = gen_fill(f, file, c, cheap);
		break;
	case DRM_NCGPU_CMD_STALL:
		valid = gen_stall(f, c, cheap);
		break;
	default:
		c->dst_handle = (uint32_t)ncgpu_rand_next(&f->rng);
		c->size = ncgpu_rand_next(&f->rng);
		valid = false;
	}
	return valid && !c->flags;
}

static void op_submit(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	struct fuzz_syncobj *in, *out;
	struct drm_ncgpu_submit s = { 0 };
	struct fuzz_array a;
	bool valid, bad_arg;
	char what[112];
	int err;

	valid = build_array(f, file, &a, f->info.max_cmds, sizeof(struct drm_ncgpu_cmd), gen_cmd);
	valid = valid && (!a.desc.count || a.elems_valid);
	s.cmds = a.desc;
	s.in_syncobj = gen_syncobj(f, file, true, &in);
	s.out_syncobj = gen_syncobj(f, file, true, &out);
	if (ncgpu_rand_percent(&f->rng, 4))
		s.flags = nonzero_u32(f);
	if (ncgpu_rand_percent(&f->rng, 4))
		s.pad = nonzero_u32(f);
	valid = valid && !s.flags && !s.pad && (!s.in_syncobj || (in && in->has_fence)) &&
		(!s.out_syncobj || out);
	arena_protect(f, a.kind, true);
	err = call_ioctl(f, file->fd, DRM_IOCTL_NCGPU_SUBMIT, &s, sizeof(s), false, &bad_arg);
	arena_protect(f, a.kind, false);
	snprintf(what, sizeof(what), "count %u stride %u array 0x%llx in %u out %u flags %u pad %u",
		 s.cmds.count, s.cmds.stride, (unsigned long long)s.cmds.array, s.in_syncobj,
		 s.out_syncobj, s.flags, s.pad);
	record(f, CALL_SUBMIT, err, expectation(bad_arg, valid), what);
	if (!err && out)
		out->has_fence = true;
}

static void op_bo_wait(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	struct drm_ncgpu_bo_wait w = { .pad = gen_pad(f, 90) };
	bool bad_arg;
	char what[64];
	int bo, err;

	w.handle = gen_handle(f, file, &bo);
	/* Absolute deadlines: passed, a few ms ahead, never. */
	w.timeout_ns = ncgpu_rand_percent(&f->rng, 85) ?
		       (int64_t)PICK(f, 0, 0, 1, ncgpu_now_ns() - NCGPU_TEST_NSEC_PER_SEC,
				     ncgpu_now_ns() + 1000000, ncgpu_now_ns() + 3000000, INT64_MAX) :
		       (int64_t)PICK(f, -1, INT64_MIN,
				     -(int64_t)ncgpu_rand_below(&f->rng, 1ull << 40) - 1);
	err = call_ioctl(f, file->fd, DRM_IOCTL_NCGPU_BO_WAIT, &w, sizeof(w), true, &bad_arg);
	snprintf(what, sizeof(what), "handle %u pad %u timeout %lld", w.handle, w.pad,
		 (long long)w.timeout_ns);
	record(f, CALL_BO_WAIT, err,
	       expectation(bad_arg, !w.pad && w.timeout_ns >= 0 && bo != NO_BO), what);
	if (!bad_arg && ((err == EBUSY && w.timeout_ns) || (err == ETIMEDOUT && !w.timeout_ns)))
		fail(f, "BO_WAIT returned %s for timeout %lld", errno_name(err),
		     (long long)w.timeout_ns);
}

static void op_unknown_ioctl(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	unsigned int nr = DRM_COMMAND_BASE + DRM_NCGPU_BO_WAIT + 1 +
			  ncgpu_rand_below(&f->rng, DRM_COMMAND_END - DRM_COMMAND_BASE -
						    DRM_NCGPU_BO_WAIT - 1);
	uint64_t arg[2] = { ncgpu_rand_next(&f->rng), ncgpu_rand_next(&f->rng) };
	char what[24];
	int err;

	err = ioctl(file->fd, DRM_IOWR(nr, uint64_t[2]), arg) ? errno : 0;
	snprintf(what, sizeof(what), "nr 0x%x", nr);
	record(f, CALL_UNKNOWN_IOCTL, err, EXPECT_FAILURE, what);
}

/* ------------------------------------------------------------------ */
/* DRM core and dma-buf */

static void op_gem_close(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	struct drm_gem_close c = { .pad = gen_pad(f, 80) };
	bool bad_arg;
	char what[32];
	int bo, err;
	unsigned int i;

	c.handle = gen_handle(f, file, &bo);
	err = call_ioctl(f, file->fd, DRM_IOCTL_GEM_CLOSE, &c, sizeof(c), false, &bad_arg);
	snprintf(what, sizeof(what), "handle %u", c.handle);
	record(f, CALL_GEM_CLOSE, err, expectation(bad_arg, bo != NO_BO), what);
	for (i = 0; !err && i < file->nhandles; i++)
		if (file->handles[i].handle == c.handle)
			forget_handle(f, file, i);
}

static void op_prime_export(struct fuzz *f)
{
	const uint32_t ok_flags = DRM_CLOEXEC | DRM_RDWR;
	struct fuzz_file *file = pick_file(f);
	struct drm_prime_handle p = {
		.flags = ncgpu_rand_percent(&f->rng, 75) ? ok_flags :
			 ncgpu_rand_percent(&f->rng, 60) ? PICK(f, 0, DRM_CLOEXEC, DRM_RDWR) :
			 PICK(f, 1u << ncgpu_rand_below(&f->rng, 32), UINT32_MAX,
			      ok_flags | O_NONBLOCK),
		.fd = (int32_t)ncgpu_rand_next(&f->rng),
	};
	bool valid, bad_arg;
	char what[40];
	int bo, err;

	p.handle = gen_handle(f, file, &bo);
	valid = !(p.flags & ~ok_flags) && bo != NO_BO &&
		(f->io || f->bos[bo].foreign || !(f->bos[bo].flags & DRM_NCGPU_BO_WB_MMAP));
	err = call_ioctl(f, file->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p, sizeof(p), false,
			 &bad_arg);
	snprintf(what, sizeof(what), "handle %u flags 0x%x", p.handle, p.flags);
	record(f, CALL_PRIME_HANDLE_TO_FD, err, expectation(bad_arg, valid), what);
	if (err || bo == NO_BO)
		return;
	if (!(p.flags & DRM_RDWR))
		f->bos[bo].exported_ro = true;
	adopt_dmabuf(f, p.fd, bo);
}

static int gen_import_fd(struct fuzz *f, struct fuzz_file *file, int *bo)
{
	unsigned int i;

	*bo = NO_BO;
	if (f->ndmabufs && ncgpu_rand_percent(&f->rng, 80)) {
		i = ncgpu_rand_below(&f->rng, f->ndmabufs);
		*bo = f->dmabufs[i].bo;
		return f->dmabufs[i].fd;
	}
	return PICK(f, file->fd, f->devnull, -1, 1 << 20, INT32_MIN);
}

static void op_prime_import(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	struct drm_prime_handle p = {
		.handle = (uint32_t)ncgpu_rand_next(&f->rng),
		.flags = (uint32_t)ncgpu_rand_next(&f->rng),
	};
	uint32_t expected;
	bool bad_arg;
	char what[24];
	int bo, err;

	p.fd = gen_import_fd(f, file, &bo);
	expected = bo == NO_BO ? 0 : handle_of(file, bo);
	err = call_ioctl(f, file->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p, sizeof(p), false,
			 &bad_arg);
	snprintf(what, sizeof(what), "fd %d", p.fd);
	record(f, CALL_PRIME_FD_TO_HANDLE, err, expectation(bad_arg, bo != NO_BO), what);
	if (err || bo == NO_BO)
		return;
	if (expected && p.handle != expected)
		fail(f, "PRIME_FD_TO_HANDLE gave handle %u for a BO the file holds as %u",
		     p.handle, expected);
	else if (!expected && lookup_handle(file, p.handle) != NO_BO)
		fail(f, "PRIME_FD_TO_HANDLE gave handle %u, which names another BO", p.handle);
	else if (!expected)
		adopt_handle(f, file, p.handle, bo);
}

/* A vgem BO as a dma-buf: imports of it are foreign BOs. */
static void op_vgem_export(struct fuzz *f)
{
	size_t size = (1 + ncgpu_rand_below(&f->rng, 8)) * 4096;
	uint32_t handle;
	int dmabuf;

	if (f->vgem < 0 || __dumb_create(f->vgem, size, &handle))
		return;
	if (!__prime_handle_to_fd(f->vgem, handle, &dmabuf))
		adopt_dmabuf(f, dmabuf, new_bo(f, size, 0, true));
	__gem_close(f->vgem, handle);
}

static void op_syncobj_create(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	struct drm_syncobj_create c = {
		.flags = ncgpu_rand_percent(&f->rng, 90) ? PICK(f, 0, DRM_SYNCOBJ_CREATE_SIGNALED) :
			 nonzero_u32(f),
	};
	bool valid = !(c.flags & ~DRM_SYNCOBJ_CREATE_SIGNALED), bad_arg;
	char what[24];
	int err;

	err = call_ioctl(f, file->fd, DRM_IOCTL_SYNCOBJ_CREATE, &c, sizeof(c), false, &bad_arg);
	snprintf(what, sizeof(what), "flags 0x%x", c.flags);
	record(f, CALL_SYNCOBJ_CREATE, err, expectation(bad_arg, valid), what);
	if (!err)
		adopt_syncobj(f, file, c.handle, c.flags & DRM_SYNCOBJ_CREATE_SIGNALED);
}

static void op_syncobj_destroy(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	struct drm_syncobj_destroy d = { .pad = gen_pad(f, 90) };
	struct fuzz_syncobj *obj;
	bool bad_arg;
	char what[32];
	int err;

	d.handle = gen_syncobj(f, file, false, &obj);
	err = call_ioctl(f, file->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d, sizeof(d), false, &bad_arg);
	snprintf(what, sizeof(what), "handle %u pad %u", d.handle, d.pad);
	record(f, CALL_SYNCOBJ_DESTROY, err, expectation(bad_arg, obj && !d.pad), what);
	if (!err && obj)
		*obj = file->syncobjs[--file->nsyncobjs];
}

static void op_syncobj_wait(struct fuzz *f)
{
	const uint32_t ok_flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL |
				  DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
	struct fuzz_file *file = pick_file(f);
	struct drm_syncobj_wait w = {
		.count_handles = ncgpu_rand_percent(&f->rng, 85) ?
				 1 + ncgpu_rand_below(&f->rng, 4) :
				 PICK(f, 0, 5 + ncgpu_rand_below(&f->rng, 12)),
		.flags = ncgpu_rand_percent(&f->rng, 85) ? ncgpu_rand_below(&f->rng, 4) :
			 nonzero_u32(f),
	};
	bool valid = w.count_handles && !(w.flags & ~ok_flags), readable, writable, bad_arg;
	uint32_t handles[16];
	struct fuzz_syncobj *obj;
	enum ptr_kind kind = gen_ptr_kind(f);
	int64_t now = ncgpu_now_ns();
	char what[64];
	unsigned int i;
	int err;

	for (i = 0; i < w.count_handles; i++) {
		handles[i] = gen_syncobj(f, file, false, &obj);
		valid = valid && obj && (obj->has_fence ||
					 (w.flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT));
	}
	/* Never an endless wait for a fence that no one will submit. */
	w.timeout_nsec = PICK(f, 0, now - NCGPU_TEST_NSEC_PER_SEC, now + 1000000,
			      now + 3000000, (w.flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT) ?
			      now : INT64_MAX);
	w.handles = place(f, kind, handles, w.count_handles * sizeof(handles[0]), &readable,
			  &writable);
	valid = valid && readable;
	arena_protect(f, kind, true);
	err = call_ioctl(f, file->fd, DRM_IOCTL_SYNCOBJ_WAIT, &w, sizeof(w), true, &bad_arg);
	arena_protect(f, kind, false);
	snprintf(what, sizeof(what), "count %u flags 0x%x handles 0x%llx", w.count_handles,
		 w.flags, (unsigned long long)w.handles);
	record(f, CALL_SYNCOBJ_WAIT, err, expectation(bad_arg, valid), what);
}

static void op_dmabuf_sync(struct fuzz *f)
{
	const uint64_t ok_flags = DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END;
	struct dma_buf_sync s = {
		.flags = ncgpu_rand_percent(&f->rng, 85) ?
			 (1 + ncgpu_rand_below(&f->rng, 3)) |
			 (ncgpu_rand_percent(&f->rng, 50) ? DMA_BUF_SYNC_END : 0) :
			 PICK(f, 0, DMA_BUF_SYNC_END, 8, UINT64_MAX,
			      1ull << ncgpu_rand_below(&f->rng, 64)),
	};
	bool valid = !(s.flags & ~ok_flags) && (s.flags & DMA_BUF_SYNC_RW), bad_arg;
	char what[32];
	int err;

	if (!f->ndmabufs)
		return;
	err = call_ioctl(f, f->dmabufs[ncgpu_rand_below(&f->rng, f->ndmabufs)].fd,
			 DMA_BUF_IOCTL_SYNC, &s, sizeof(s), true, &bad_arg);
	snprintf(what, sizeof(what), "flags 0x%llx", (unsigned long long)s.flags);
	record(f, CALL_DMABUF_SYNC, err, expectation(bad_arg, valid), what);
}

/* A mapping length for an object of @size bytes. */
static size_t gen_map_len(struct fuzz *f, uint64_t size)
{
	return PICK(f, size, size, size, size - ncgpu_rand_below(&f->rng, f->page), 1,
		    size + f->page, 0, 1 + ncgpu_rand_below(&f->rng, 2 * size + f->page));
}

static int gen_prot(struct fuzz *f)
{
	return ncgpu_rand_percent(&f->rng, 85) ?
	       PICK(f, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ) :
	       PICK(f, PROT_NONE, PROT_WRITE);
}

/* The BO a file may map at @offset, NO_BO if it may not, or -2 if the model does not know. */
static int bo_at_offset(struct fuzz *f, struct fuzz_file *file, uint64_t offset, bool *mine)
{
	unsigned int i;

	*mine = false;
	for (i = 0; i < f->nbos; i++) {
		if (f->bos[i].offset != offset || !offset)
			continue;
		*mine = handle_of(file, i) != 0;
		return i;
	}
	return -2;
}

/* Mostly the offset of a BO of @file (or of the other file: EACCES), if known. */
static uint64_t gen_map_offset(struct fuzz *f, struct fuzz_file *file)
{
	struct fuzz_file *from = ncgpu_rand_percent(&f->rng, 85) ? file :
				 &f->files[file == &f->files[0]];
	const struct fuzz_bo *bo = !from->nhandles ? NULL :
		&f->bos[from->handles[ncgpu_rand_below(&f->rng, from->nhandles)].bo];
	uint64_t known = bo && bo->offset ? bo->offset : 0;

	if (known && ncgpu_rand_percent(&f->rng, 75))
		return known;
	if (known && ncgpu_rand_percent(&f->rng, 50))
		return known + PICK(f, f->page, -(uint64_t)f->page, 1, 16 * f->page);
	return PICK(f, 0, f->page, (uint64_t)1 << 32, 1ull << 44,
		    (ncgpu_rand_next(&f->rng) >> 20) * f->page);
}

static void op_mmap_bo(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	uint64_t offset = gen_map_offset(f, file);
	int flags = ncgpu_rand_percent(&f->rng, 90) ? MAP_SHARED : MAP_PRIVATE;
	int prot = gen_prot(f), bo;
	enum expect expect = EXPECT_ANY;
	size_t len;
	bool mine;
	char what[80];
	void *p;

	bo = bo_at_offset(f, file, offset, &mine);
	len = gen_map_len(f, bo >= 0 ? f->bos[bo].size : f->page);
	if (bo >= 0)
		expect = mine && flags == MAP_SHARED && len && len <= f->bos[bo].size ?
			 EXPECT_SUCCESS : EXPECT_FAILURE;
	p = mmap(NULL, len, prot, flags, file->fd, (off_t)offset);
	snprintf(what, sizeof(what), "offset 0x%llx len 0x%zx prot %d %s",
		 (unsigned long long)offset, len, prot, flags == MAP_SHARED ? "shared" : "private");
	record(f, CALL_MMAP_BO, p == MAP_FAILED ? errno : 0, expect, what);
	if (p != MAP_FAILED)
		adopt_map(f, p, len, prot);
}

static void op_mmap_dmabuf(struct fuzz *f)
{
	struct fuzz_dmabuf *d;
	const struct fuzz_bo *bo;
	int flags = ncgpu_rand_percent(&f->rng, 90) ? MAP_SHARED : MAP_PRIVATE, prot = gen_prot(f);
	enum expect expect;
	uint64_t offset;
	size_t len;
	char what[80];
	void *p;

	if (!f->ndmabufs)
		return;
	d = &f->dmabufs[ncgpu_rand_below(&f->rng, f->ndmabufs)];
	bo = &f->bos[d->bo];
	offset = ncgpu_rand_percent(&f->rng, 80) ? 0 :
		 PICK(f, f->page, bo->size, bo->size + f->page,
		      ncgpu_rand_below(&f->rng, bo->size / f->page) * f->page);
	len = gen_map_len(f, bo->size - (offset < bo->size ? offset : 0));
	expect = flags == MAP_SHARED && len && offset + len <= bo->size &&
		 !(bo->flags & DRM_NCGPU_BO_NO_MMAP) ? EXPECT_SUCCESS : EXPECT_FAILURE;
	if (bo->foreign || ((prot & PROT_WRITE) && bo->exported_ro))
		expect = EXPECT_ANY;
	p = mmap(NULL, len, prot, flags, d->fd, (off_t)offset);
	snprintf(what, sizeof(what), "offset 0x%llx len 0x%zx of 0x%llx prot %d %s",
		 (unsigned long long)offset, len, (unsigned long long)bo->size, prot,
		 flags == MAP_SHARED ? "shared" : "private");
	record(f, CALL_MMAP_DMABUF, p == MAP_FAILED ? errno : 0, expect, what);
	if (p != MAP_FAILED)
		adopt_map(f, p, len, prot);
}

static void op_unmap_or_touch(struct fuzz *f)
{
	unsigned int i;

	if (!f->nmaps)
		return;
	i = ncgpu_rand_below(&f->rng, f->nmaps);
	if (ncgpu_rand_percent(&f->rng, 50))
		unmap(f, i);
	else
		touch(f, &f->maps[i]);
}

static void op_close_dmabuf(struct fuzz *f)
{
	if (f->ndmabufs)
		close_dmabuf(f, ncgpu_rand_below(&f->rng, f->ndmabufs));
}

static int open_file(struct fuzz_file *file)
{
	memset(file, 0, sizeof(*file));
	file->fd = ncgpu_open();
	return file->fd < 0 ? -file->fd : 0;
}

/* Closes a DRM file with whatever it holds, jobs included, and opens a new one. */
static void op_reopen(struct fuzz *f)
{
	struct fuzz_file *file = pick_file(f);
	int err = close(file->fd) ? errno : 0;

	while (file->nhandles)
		forget_handle(f, file, 0);
	if (!err)
		err = open_file(file);
	record(f, CALL_REOPEN, err, EXPECT_SUCCESS, "");
}

/* Waits until the device queue is empty: jobs complete in submission order. */
static void drain(struct fuzz *f)
{
	int ret = __ncgpu_submit(f->drain_fd, NULL, 0, 0, f->drain_syncobj);

	if (!ret)
		ret = ncgpu_syncobj_wait_for(f->drain_fd, f->drain_syncobj, DRAIN_NS);
	if (ret)
		fail(f, "the device queue did not drain: %s", strerror(-ret));
}

/* ------------------------------------------------------------------ */
/* The run */

static const struct {
	void (*run)(struct fuzz *f);
	unsigned int weight;
} ops[] = {
	{ op_dev_query, 3 }, { op_bo_create, 10 }, { op_bo_mmap_offset, 6 },
	{ op_bo_query_info, 4 }, { op_bo_sync, 10 }, { op_submit, 14 }, { op_bo_wait, 5 },
	{ op_unknown_ioctl, 1 }, { op_gem_close, 5 }, { op_prime_export, 5 },
	{ op_prime_import, 5 }, { op_vgem_export, 1 }, { op_syncobj_create, 3 },
	{ op_syncobj_destroy, 2 }, { op_syncobj_wait, 4 }, { op_dmabuf_sync, 3 },
	{ op_mmap_bo, 6 }, { op_mmap_dmabuf, 3 }, { op_unmap_or_touch, 4 },
	{ op_close_dmabuf, 2 },
};

static void run_one(struct fuzz *f)
{
	unsigned int total = 0, i, pick;

	/* About one DRM file in 500 ops is closed with all it holds. */
	if (ncgpu_rand_below(&f->rng, 500) == 0) {
		op_reopen(f);
		return;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		total += ops[i].weight;
	pick = ncgpu_rand_below(&f->rng, total);
	for (i = 0; pick >= ops[i].weight; i++)
		pick -= ops[i].weight;
	ops[i].run(f);
}

static void print_summary(const struct fuzz *f)
{
	char line[512], name[24];
	unsigned int call, err;
	int n;

	for (call = 0; call < NR_CALLS; call++) {
		n = snprintf(line, sizeof(line), "# %-22s", call_names[call]);
		for (err = 0; err < ERRNO_SLOTS; err++) {
			if (!f->counts[call][err])
				continue;
			describe_errno(err, name, sizeof(name));
			n += snprintf(line + n, sizeof(line) - n, " %s=%u", name,
				      f->counts[call][err]);
		}
		printf("%s\n", line);
	}
	fflush(stdout);
}

/* Fails the run for each new kernel log record above debug level. */
static void check_kernel_log(struct fuzz *f, int kmsg)
{
	char record[KMSG_RECORD];
	const char *text;
	int level;

	while ((level = ncgpu_kmsg_next(kmsg, record, sizeof(record), &text)) != -EAGAIN) {
		if (level == -EPIPE)
			fail(f, "kernel log records were lost: the log overflowed");
		else if (level < 0)
			break;
		else if (level < 7 && ncgpu_kmsg_is_machine_noise(text))
			printf("# ignored, about the emulated machine: %s\n", text);
		else if (level < 7)
			fail(f, "the kernel logged at level %d: %.200s", level, text);
	}
}

static void start_signals(void)
{
	struct sigaction sa = { .sa_handler = count_signal, .sa_flags = SA_RESTART };
	struct itimerval every = {
		.it_interval = { .tv_usec = SIGNAL_PERIOD_US },
		.it_value = { .tv_usec = SIGNAL_PERIOD_US },
	};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &every, NULL);
}

static void stop_signals(void)
{
	struct itimerval off = { 0 };

	setitimer(ITIMER_REAL, &off, NULL);
}

static void *map_area(size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int setup_memory(struct fuzz *f)
{
	f->arena = map_area(ARENA_SIZE + f->page, PROT_READ | PROT_WRITE);
	f->argpage = map_area(2 * f->page, PROT_READ | PROT_WRITE);
	f->prot_none = map_area(f->page, PROT_NONE);
	f->scratch = malloc(ARENA_SIZE);
	f->max_bos = 1024;
	f->bos = malloc(f->max_bos * sizeof(*f->bos));
	if (!f->arena || !f->argpage || !f->prot_none || !f->scratch || !f->bos)
		return -ENOMEM;
	mprotect(f->arena + ARENA_SIZE, f->page, PROT_NONE);
	mprotect(f->argpage + f->page, f->page, PROT_NONE);
	return 0;
}

FIXTURE(fuzz) {
	struct ncgpu_test_device dev;
	struct fuzz f;
};

FIXTURE_SETUP(fuzz)
{
	struct fuzz *f = &self->f;

	ncgpu_test_device_setup(_metadata, &self->dev);
	memset(f, 0, sizeof(*f));
	f->info = self->dev.info;
	f->io = f->info.coherency == DRM_NCGPU_COHERENCY_IO;
	f->page = sysconf(_SC_PAGESIZE);
	ASSERT_EQ(0, setup_memory(f));
	ASSERT_EQ(0, open_file(&f->files[0]));
	ASSERT_EQ(0, open_file(&f->files[1]));
	f->drain_fd = self->dev.fd;
	ASSERT_EQ(0, __syncobj_create(f->drain_fd, &f->drain_syncobj));
	f->vgem = ncgpu_open_primary_driver("vgem");
	f->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, f->devnull);
}

FIXTURE_TEARDOWN(fuzz)
{
	close(self->dev.fd);
}

TEST_F_TIMEOUT(fuzz, ioctls_return_only_allowed_errnos, 120)
{
	struct fuzz *f = &self->f;
	uint64_t max_ops = ncgpu_env_u64("NCGPU_FUZZ_OPS", DEFAULT_OPS);
	int64_t start = ncgpu_now_ns(), deadline;
	int kmsg = ncgpu_kmsg_open();
	unsigned int i;

	deadline = start +
		   ncgpu_env_u64("NCGPU_FUZZ_SECONDS", DEFAULT_SECONDS) * NCGPU_TEST_NSEC_PER_SEC;
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(-kmsg));
	f->seed = ncgpu_test_seed();
	f->rng = f->seed;
	if (f->vgem < 0)
		printf("# vgem not loaded: no foreign dma-bufs\n");
	start_signals();
	for (f->op = 0; f->op < max_ops && ncgpu_now_ns() < deadline; f->op++) {
		run_one(f);
		if (f->op % DRAIN_EVERY == DRAIN_EVERY - 1)
			drain(f);
	}
	drain(f);
	stop_signals();
	check_kernel_log(f, kmsg);
	close(kmsg);
	printf("# %u calls in %.1f s, %d signals delivered\n", f->op,
	       (ncgpu_now_ns() - start) / 1e9, (int)signals_delivered);
	print_summary(f);
	for (i = 0; i < f->failures && i < MAX_FAILURES; i++)
		TH_LOG("%s", f->messages[i]);
	EXPECT_EQ(0u, f->failures) TH_LOG("seed %" PRIu64 ": replay with NCGPU_SEED=%" PRIu64,
					  f->seed, f->seed);
}

TEST_HARNESS_MAIN
