// SPDX-License-Identifier: MIT
/*
 * ncgpu bench - what CPU cache maintenance costs on an ncgpu device.
 *
 * Under emulation (QEMU TCG) absolute times say little about hardware, so
 * every figure that matters is a ratio of two measurements taken side by
 * side in one run. The variants of a comparison are interleaved rep by rep,
 * so that a change of the machine's speed during the run hits all of them.
 * Work that prepares a measurement (dirtying the range) is never timed.
 *
 * The command reports figures; it does not judge them. bench/check.sh
 * compares the ratios of its JSON output with their targets.
 *
 * This file reads the options and runs the suites in order; bench.h says
 * which file has what.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "commands.h"
#include "tool.h"

static const char *const bench_usage =
	"usage: ncgpu bench [--quick] [--json FILE] [--device PATH] [--help]\n"
	"\n"
	"Measure what cache maintenance costs: BO_SYNC against range size\n"
	"(dirty and clean granules, and the whole-BO flush a begin/end design\n"
	"forces), flush offset independence, batching, flush+invalidate, engine\n"
	"copy throughput, the coherence model's memory overhead, the library's\n"
	"queued flush, and jobs: their round trip and what sync ops add to SUBMIT.\n"
	"Reports the median and spread of each figure, and ratios of figures\n"
	"measured side by side; it checks nothing.\n"
	"\n"
	"  --quick       fewer repetitions, for a smoke run\n"
	"  --json FILE   also write every figure as JSON to FILE ('-': stdout)\n"
	"  --device PATH DRM node to use (default: the first ncgpu render node)\n"
	"\n"
	"Needs about 600 MiB of free memory.\n"
	"exit status: 0 success, 1 failure, 2 no ncgpu device, 64 usage error\n";

static int usage_error(const char *fmt, const char *arg)
{
	fputs("ncgpu bench: ", stderr);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", bench_usage);
	return TOOL_EXIT_USAGE;
}

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct bench *b, const char **device)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(bench_usage, stdout);
			return TOOL_EXIT_OK;
		} else if (!strcmp(arg, "--quick")) {
			b->quick = true;
		} else if (!strcmp(arg, "--json") || !strcmp(arg, "--device")) {
			if (i + 1 == argc)
				return usage_error("option '%s' needs an argument", arg);
			*(!strcmp(arg, "--json") ? &b->json_path : device) = argv[++i];
		} else if (!strncmp(arg, "--json=", 7)) {
			b->json_path = arg + 7;
		} else if (!strncmp(arg, "--device=", 9)) {
			*device = arg + 9;
		} else {
			return usage_error(arg[0] == '-' ? "unknown option '%s'" :
				"unexpected argument '%s'", arg);
		}
	}
	return -1;
}

static void set_reps(struct bench *b)
{
	b->heavy = b->quick ? (struct reps){ 1, 3 } : (struct reps){ 2, 9 };
	b->light = b->quick ? (struct reps){ 10, 31 } : (struct reps){ 50, 301 };
}

static int run_all(struct bench *b)
{
	static int (*const steps[])(struct bench *b) = {
		bench_memory, bench_untouched_flush, bench_small_use, bench_sweep, bench_offset,
		bench_batch, bench_invalidate, bench_copy, bench_library, bench_jobs,
		bench_submit_syncs,
	};
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ret = steps[i](b);
		if (ret)
			return ret;
	}
	return 0;
}

int ncgpu_cmd_bench(int argc, char **argv)
{
	static struct bench b;
	const char *device = NULL;
	struct machine m;
	int ret;

	ret = parse_options(argc, argv, &b, &device);
	if (ret >= 0)
		return ret;
	set_reps(&b);
	ret = tool_open_device(device, &b.dev);
	if (ret)
		return ret;
	b.fd = ncgpu_device_fd(b.dev);
	b.atom = ncgpu_noncoherent_atom_size(b.dev);
	b.timer_overhead = measure_timer_overhead();
	read_machine(&m);
	print_header(&b, &m);

	ret = run_all(&b);
	if (!ret)
		print_ratios(&b);
	if (!ret && b.json_path) {
		ret = write_json(&b, &m);
		if (ret)
			tool_error(b.json_path, ret);
	} else if (ret) {
		tool_error("bench", ret);
	}
	ncgpu_device_close(b.dev);
	return ret ? TOOL_EXIT_FAILURE : TOOL_EXIT_OK;
}
