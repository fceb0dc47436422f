// SPDX-License-Identifier: MIT
/*
 * How ncgpu bench measures: variants interleaved rep by rep, each sample
 * less the clock's own cost, and every result, figure and ratio recorded
 * in struct bench for the report.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define MAX_SAMPLES 512

/* The median cost of reading the clock twice, which every sample includes. */
double measure_timer_overhead(void)
{
	static double v[MAX_SAMPLES];
	struct bench_summary s;
	unsigned int i;
	double t0;

	for (i = 0; i < MAX_SAMPLES; i++) {
		t0 = bench_now_ns();
		v[i] = bench_now_ns() - t0;
	}
	bench_summarize(v, MAX_SAMPLES, &s);
	return s.median;
}

static void format_time(double ns, char *buf, size_t len)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.3g us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.3g ms", ns / 1e6);
	else
		snprintf(buf, len, "%.3g s", ns / 1e9);
}

static void format_size(uint64_t size, char *buf, size_t len)
{
	if (size >= MIB && !(size % MIB))
		snprintf(buf, len, "%llu MiB", (unsigned long long)(size / MIB));
	else if (size >= KIB && !(size % KIB))
		snprintf(buf, len, "%llu KiB", (unsigned long long)(size / KIB));
	else
		snprintf(buf, len, "%llu B", (unsigned long long)size);
}

void print_section(const char *title)
{
	printf("\n%s\n", title);
	printf("  %-36s %8s %9s %9s %9s %9s %9s %4s\n", "measurement", "size", "median",
	       "q1", "q3", "min", "max", "n");
	fflush(stdout);
}

static void print_summary(const struct bench_summary *s)
{
	char size[24], t[5][16];

	format_size(s->size, size, sizeof(size));
	format_time(s->median, t[0], sizeof(t[0]));
	format_time(s->q1, t[1], sizeof(t[1]));
	format_time(s->q3, t[2], sizeof(t[2]));
	format_time(s->min, t[3], sizeof(t[3]));
	format_time(s->max, t[4], sizeof(t[4]));
	printf("  %-36s %8s %9s %9s %9s %9s %9s %4u\n", s->name, size, t[0], t[1], t[2],
	       t[3], t[4], s->samples);
	fflush(stdout);
}

static void add_named(struct figure *list, unsigned int *count, const char *name, double value)
{
	if (*count == MAX_FIGURES)
		return;
	snprintf(list[*count].name, sizeof(list[*count].name), "%s", name);
	list[*count].value = value;
	(*count)++;
}

void add_figure(struct bench *b, const char *name, double value)
{
	add_named(b->figures, &b->nfigures, name, value);
	printf("  %-46s %.6g\n", name, value);
	fflush(stdout);
}

void add_ratio(struct bench *b, const char *name, double num, double den)
{
	double ratio = den > 0 ? num / den : 0;

	add_named(b->ratios, &b->nratios, name, ratio);
}

static const struct bench_summary *find_result(const struct bench *b, const char *name,
						uint64_t size)
{
	unsigned int i;

	for (i = 0; i < b->nresults; i++) {
		if (!strcmp(b->results[i].name, name) && b->results[i].size == size)
			return &b->results[i];
	}
	return NULL;
}

double median_of(const struct bench *b, const char *name, uint64_t size)
{
	const struct bench_summary *s = find_result(b, name, size);

	return s ? s->median : 0;
}

void add_median_ratio(struct bench *b, const char *name, const char *num, const char *den,
		      uint64_t size)
{
	add_ratio(b, name, median_of(b, num, size), median_of(b, den, size));
}

/* A sample is one clock interval: the clock's own cost is not the operation's. */
static double clock_corrected(const struct bench *b, double ns)
{
	return ns > b->timer_overhead ? ns - b->timer_overhead : 0;
}

/* Runs the variants interleaved, one sample of each per rep. */
int measure(struct bench *b, const struct variant *v, unsigned int nv, const struct reps *reps)
{
	static double samples[8][MAX_SAMPLES];
	unsigned int rep, i;
	double ns;
	int ret;

	if (nv > 8 || reps->count > MAX_SAMPLES || b->nresults + nv > MAX_RESULTS)
		return -E2BIG;
	for (rep = 0; rep < reps->warmup + reps->count; rep++) {
		for (i = 0; i < nv; i++) {
			ret = v[i].run(b, v[i].arg, &ns);
			if (ret)
				return ret;
			if (rep >= reps->warmup)
				samples[i][rep - reps->warmup] = clock_corrected(b, ns);
		}
	}
	for (i = 0; i < nv; i++) {
		struct bench_summary *s = &b->results[b->nresults++];

		snprintf(s->name, sizeof(s->name), "%s", v[i].name);
		s->size = v[i].size;
		bench_summarize(samples[i], reps->count, s);
		print_summary(s);
	}
	return 0;
}
