// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * Error sentences that say what an errno means for an ncgpu call, where
 * strerror() would only name the errno; the C library names the others.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "ncgpu_internal.h"

struct error_sentence {
	int err;
	const char *sentence;
};

static const struct error_sentence error_sentences[] = {
	{ 0, "success" },
	{ ENODEV, "no ncgpu device found (is the ncgpu module loaded?)" },
	{ EACCES, "permission denied opening the DRM node" },
	{ EINVAL, "invalid argument (a range beyond its buffer, an unknown flag, "
		  "or an operation the buffer does not allow)" },
	{ ENOENT, "no such buffer, syncobj or device node" },
	{ E2BIG, "size above the device's limit" },
	{ ENOMEM, "out of memory" },
	{ EPERM, "operation not permitted on this buffer (it cannot be mapped)" },
	{ EBUSY, "the buffer is still in use by the device" },
	{ ETIMEDOUT, "timed out waiting for the device" },
	{ EOPNOTSUPP, "not supported on this CPU architecture" },
	{ EFAULT, "bad address passed to the kernel" },
	{ EBADF, "bad file descriptor" },
	{ EMFILE, "too many open files" },
	{ ENOTTY, "the device does not know this request (is it an ncgpu device?)" },
	{ EIO, "input/output error from the device" },
};

NCGPU_PUBLIC const char *ncgpu_strerror(int err)
{
	const char *description;
	unsigned int i;

	for (i = 0; i < sizeof(error_sentences) / sizeof(error_sentences[0]); i++) {
		if (error_sentences[i].err == err || -error_sentences[i].err == err)
			return error_sentences[i].sentence;
	}
	/*
	 * glibc's own static text: strerror() may write a shared buffer for
	 * unknown numbers, and strerror_r() would need one of the caller's.
	 * INT_MIN has no positive counterpart; no errno is that large anyway.
	 */
	description = err > INT_MIN ? strerrordesc_np(err < 0 ? -err : err) : NULL;
	return description ? description : "unknown error";
}
