// SPDX-License-Identifier: MIT
/*
 * ncgpu info: what the device and its driver report.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tool.h"

static const char *const info_usage =
	"usage: ncgpu info [--help] [--device PATH]\n"
	"\n"
	"Show the driver version, coherency mode and limits of an ncgpu device.\n"
	"\n"
	"options:\n"
	"  --device PATH   the DRM node to use, such as /dev/dri/renderD128;\n"
	"                  default: the first render node driven by ncgpu\n"
	"  --help          show this help\n"
	"\n"
	"exit status: 0 success, 1 failure, 2 no ncgpu device, 64 usage error\n";

static const char *coherency_name(uint32_t coherency)
{
	switch (coherency) {
	case DRM_NCGPU_COHERENCY_NONE:
		return "none (the device does not snoop CPU caches)";
	case DRM_NCGPU_COHERENCY_IO:
		return "io (the device snoops CPU caches; no maintenance needed)";
	default:
		return "unknown";
	}
}

static const char *backend_name(enum ncgpu_sync_backend backend)
{
	return backend == NCGPU_SYNC_BACKEND_CPU ? "cpu (cache instructions)" :
						   "kernel (DRM_IOCTL_NCGPU_BO_SYNC)";
}

/*
 * A parameter of the loaded module, which no ioctl reports, from sysfs; "?"
 * when it cannot be read.
 */
static void read_module_param(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/ncgpu/parameters/%s", name);
	f = fopen(path, "re");
	if (!f || !fgets(buf, (int)len, f))
		snprintf(buf, len, "?");
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static void print_engine_params(void)
{
	char value[32];

	read_module_param("job_timeout_ms", value, sizeof(value));
	printf("job_timeout:    %s ms\n", value);
	read_module_param("max_queued_jobs", value, sizeof(value));
	printf("max_queued_jobs: %s per file\n", value);
}

static void print_info(const struct ncgpu_device *dev)
{
	struct ncgpu_device_info info;
	char path[256];

	ncgpu_device_info(dev, &info);
	tool_device_path(dev, path, sizeof(path));
	printf("device:         %s\n", path);
	printf("driver:         ncgpu %d.%d.%d\n", info.version_major, info.version_minor,
	       info.version_patchlevel);
	printf("coherency:      %s\n", coherency_name(info.coherency));
	printf("emulated:       %s\n", info.emulated ? "yes" : "no");
	printf("sync granule:   %" PRIu32 " bytes (nonCoherentAtomSize %" PRIu64 ")\n",
	       info.sync_granule, ncgpu_noncoherent_atom_size(dev));
	printf("sync backend:   %s\n", backend_name(ncgpu_device_get_sync_backend(dev)));
	printf("max_sync_ops:   %" PRIu32 "\n", info.max_sync_ops);
	printf("max_bo_size:    %" PRIu64 " bytes (%" PRIu64 " MiB)\n", info.max_bo_size,
	       info.max_bo_size >> 20);
	printf("max_cmds:       %" PRIu32 "\n", info.max_cmds);
	printf("max_submit_syncs: %" PRIu32 " waits and signals per job\n", info.max_submit_syncs);
	print_engine_params();
}

int ncgpu_cmd_info(int argc, char **argv)
{
	struct tool_options opts;
	struct ncgpu_device *dev;
	int status;

	if (!tool_parse_options(argc, argv, info_usage, &opts, &status))
		return status;
	status = tool_open_device(opts.device, &dev);
	if (status)
		return status;
	print_info(dev);
	ncgpu_device_close(dev);
	return TOOL_EXIT_OK;
}
