/* SPDX-License-Identifier: MIT */
/*
 * What the subcommands of the ncgpu tool share: exit statuses, option
 * parsing and opening the device with an explanation when that fails.
 */
#ifndef NCGPU_TOOL_H
#define NCGPU_TOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "ncgpu.h"

/* Exit statuses of the tool; 64 is sysexits.h's EX_USAGE. */
enum tool_exit {
	TOOL_EXIT_OK = 0,
	TOOL_EXIT_FAILURE = 1,
	TOOL_EXIT_NO_DEVICE = 2,
	TOOL_EXIT_USAGE = 64,
};

/* The options every device subcommand takes. */
struct tool_options {
	/* DRM node given with --device, or NULL for the first ncgpu node. */
	const char *device;
};

/*
 * Parses "[--device PATH] [--help]" from argv[1] on. Returns true to go on;
 * false when the command is done (help printed, or a bad argument reported
 * with @usage), with its exit status in *status.
 */
bool tool_parse_options(int argc, char **argv, const char *usage, struct tool_options *opts,
			int *status);

/*
 * Opens the device at @path (NULL: the first ncgpu render node). On failure
 * says why on stderr and returns the exit status; 0 on success.
 */
int tool_open_device(const char *path, struct ncgpu_device **dev);

/* The path of the device's DRM node, as the kernel names the open file. */
void tool_device_path(const struct ncgpu_device *dev, char *buf, size_t len);

/* Prints "ncgpu: @what: <ncgpu_strerror(@err)>" on stderr. */
void tool_error(const char *what, int err);

#endif /* NCGPU_TOOL_H */
