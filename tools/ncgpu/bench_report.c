// SPDX-License-Identifier: MIT
/*
 * What ncgpu bench reports besides its tables: the machine and device it
 * ran on, the ratios, and the JSON that bench/json.sh, bench/check.sh and
 * bench/report.sh read. Its keys are their interface.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* Machine description */

static void trim_newline(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

/* x86 names the CPU model; arm64 gives implementer and part numbers. */
static void read_cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256], implementer[32] = "", *colon;

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		colon = strchr(line, ':');
		if (!colon)
			continue;
		trim_newline(colon);
		if (!strncmp(line, "model name", 10)) {
			snprintf(buf, len, "%s", colon + 2);
			break;
		}
		if (!strncmp(line, "CPU implementer", 15))
			snprintf(implementer, sizeof(implementer), "%s", colon + 2);
		if (!strncmp(line, "CPU part", 8) && implementer[0]) {
			snprintf(buf, len, "implementer %s part %s", implementer, colon + 2);
			break;
		}
	}
	fclose(f);
}

/* What CLOCK_MONOTONIC reads; without a vDSO clock each read is a syscall. */
static void read_clocksource(char *buf, size_t len)
{
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	if (fgets(buf, len, f))
		trim_newline(buf);
	fclose(f);
}

void read_machine(struct machine *m)
{
	if (uname(&m->uts))
		memset(&m->uts, 0, sizeof(m->uts));
	read_cpu_model(m->cpu_model, sizeof(m->cpu_model));
	read_clocksource(m->clocksource, sizeof(m->clocksource));
	m->cpus = sysconf(_SC_NPROCESSORS_ONLN);
}

/* JSON */

static void json_machine(FILE *f, const struct machine *m)
{
	fputs("  \"guest\": { \"arch\": ", f);
	bench_json_string(f, m->uts.machine);
	fputs(", \"kernel\": ", f);
	bench_json_string(f, m->uts.release);
	fputs(", \"cpu_model\": ", f);
	bench_json_string(f, m->cpu_model);
	fprintf(f, ", \"cpus\": %ld },\n", m->cpus);
}

static void json_device(FILE *f, const struct bench *b)
{
	struct ncgpu_device_info info;

	ncgpu_device_info(b->dev, &info);
	fprintf(f, "  \"device\": { \"coherency\": \"%s\", \"emulated\": %s, "
		"\"sync_granule\": %u, \"max_sync_ops\": %u },\n",
		info.coherency == DRM_NCGPU_COHERENCY_IO ? "io" : "none",
		info.emulated ? "true" : "false", info.sync_granule, info.max_sync_ops);
}

static void json_method(FILE *f, const struct bench *b, const struct machine *m)
{
	fputs("  \"method\": { \"clock\": \"CLOCK_MONOTONIC\", \"clocksource\": ", f);
	bench_json_string(f, m->clocksource);
	fprintf(f, ", \"timer_overhead_ns\": %.1f, \"timer_overhead_subtracted\": true, "
		"\"heavy_warmup\": %u, \"heavy_reps\": %u, \"light_warmup\": %u, "
		"\"light_reps\": %u, \"quick\": %s },\n",
		b->timer_overhead, b->heavy.warmup, b->heavy.count, b->light.warmup,
		b->light.count, b->quick ? "true" : "false");
}

static void json_figures(FILE *f, const char *key, const struct figure *list,
			 unsigned int count, bool last)
{
	unsigned int i;

	fprintf(f, "  \"%s\": {\n", key);
	for (i = 0; i < count; i++)
		fprintf(f, "    \"%s\": %.6g%s\n", list[i].name, list[i].value,
			i + 1 < count ? "," : "");
	fprintf(f, "  }%s\n", last ? "" : ",");
}

int write_json(const struct bench *b, const struct machine *m)
{
	FILE *f = strcmp(b->json_path, "-") ? fopen(b->json_path, "w") : stdout;
	int ret;

	if (!f)
		return -errno;
	fputs("{\n  \"schema\": 1,\n  \"command\": \"ncgpu bench\",\n", f);
	json_machine(f, m);
	json_device(f, b);
	json_method(f, b, m);
	bench_json_results(f, b->results, b->nresults);
	json_figures(f, "figures", b->figures, b->nfigures, false);
	json_figures(f, "ratios", b->ratios, b->nratios, true);
	fputs("}\n", f);
	ret = ferror(f) ? -EIO : 0;
	if (f != stdout && fclose(f))
		ret = -errno;
	return ret;
}

void print_header(const struct bench *b, const struct machine *m)
{
	struct ncgpu_device_info info;

	ncgpu_device_info(b->dev, &info);
	printf("ncgpu bench: %s, kernel %s, %ld CPUs (%s)\n", m->uts.machine, m->uts.release,
	       m->cpus, m->cpu_model);
	printf("device: coherency %s%s, sync_granule %u B, max_sync_ops %u\n",
	       info.coherency == DRM_NCGPU_COHERENCY_IO ? "io" : "none",
	       info.emulated ? " (emulated)" : "", info.sync_granule, info.max_sync_ops);
	printf("reps: %u (+%u warm-up) for BO-sized work, %u (+%u) for single calls\n",
	       b->heavy.count, b->heavy.warmup, b->light.count, b->light.warmup);
	printf("clock: CLOCK_MONOTONIC on %s; its own cost, %.0f ns, is subtracted from "
	       "each sample\n", m->clocksource, b->timer_overhead);
	printf("times are per call: median, quartiles q1 and q3, min and max\n");
	if (info.coherency == DRM_NCGPU_COHERENCY_IO)
		printf("note: an IO-coherent device does no maintenance; figures are call "
		       "overhead only\n");
	fflush(stdout);
}

void print_ratios(const struct bench *b)
{
	unsigned int i;

	printf("\nratios (side by side in this run; bench/check.sh has the targets)\n");
	for (i = 0; i < b->nratios; i++)
		printf("  %-46s %.4g\n", b->ratios[i].name, b->ratios[i].value);
	fflush(stdout);
}
