// SPDX-License-Identifier: MIT
/*
 * Helpers shared by the subcommands of the ncgpu tool.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

/* Prints "ncgpu: @problem '@arg'" and the usage. */
static bool usage_error(const char *usage, const char *problem, const char *arg, int *status)
{
	fprintf(stderr, "ncgpu: %s '%s'\n%s", problem, arg, usage);
	*status = TOOL_EXIT_USAGE;
	return false;
}

bool tool_parse_options(int argc, char **argv, const char *usage, struct tool_options *opts,
			int *status)
{
	int i;

	opts->device = NULL;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(usage, stdout);
			*status = TOOL_EXIT_OK;
			return false;
		}
		if (!strncmp(arg, "--device=", strlen("--device="))) {
			opts->device = arg + strlen("--device=");
		} else if (!strcmp(arg, "--device")) {
			if (i + 1 == argc)
				return usage_error(usage, "missing path after", arg, status);
			opts->device = argv[++i];
		} else if (arg[0] == '-') {
			return usage_error(usage, "unknown option", arg, status);
		} else {
			return usage_error(usage, "unexpected argument", arg, status);
		}
	}
	return true;
}

int tool_open_device(const char *path, struct ncgpu_device **dev)
{
	int ret = ncgpu_device_open(path, dev);

	if (!ret)
		return TOOL_EXIT_OK;
	if (!path && ret == -ENODEV) {
		fputs("ncgpu: no ncgpu device found: is the ncgpu module loaded?\n", stderr);
		return TOOL_EXIT_NO_DEVICE;
	}
	if (ret == -ENODEV) {
		fprintf(stderr, "ncgpu: %s is not an ncgpu device\n", path);
		return TOOL_EXIT_NO_DEVICE;
	}
	if (path)
		fprintf(stderr, "ncgpu: cannot open %s: %s\n", path, ncgpu_strerror(ret));
	else
		fprintf(stderr, "ncgpu: cannot open the ncgpu device: %s\n", ncgpu_strerror(ret));
	return ret == -ENOENT ? TOOL_EXIT_NO_DEVICE : TOOL_EXIT_FAILURE;
}

void tool_device_path(const struct ncgpu_device *dev, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", ncgpu_device_fd(dev));
	n = readlink(link, buf, len - 1);
	if (n < 0) {
		snprintf(buf, len, "(unknown: %s)", strerror(errno));
		return;
	}
	buf[n] = '\0';
}

void tool_error(const char *what, int err)
{
	fprintf(stderr, "ncgpu: %s: %s\n", what, ncgpu_strerror(err));
}
