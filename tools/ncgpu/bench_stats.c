// SPDX-License-Identifier: MIT
/*
 * The statistics of benchmark samples; see bench_stats.h. Built into the
 * ncgpu tool and into bench/host_cache_bench, so it needs only libc.
 */
#include <stdlib.h>
#include <time.h>

#include "bench_stats.h"

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Quantile @q of sorted @v, interpolated between neighbours. */
static double quantile(const double *v, unsigned int n, double q)
{
	double pos = q * (n - 1);
	unsigned int lo = (unsigned int)pos;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (pos - lo) * (v[lo + 1] - v[lo]);
}

void bench_summarize(double *samples, unsigned int n, struct bench_summary *s)
{
	qsort(samples, n, sizeof(*samples), cmp_double);
	s->samples = n;
	s->median = quantile(samples, n, 0.5);
	s->q1 = quantile(samples, n, 0.25);
	s->q3 = quantile(samples, n, 0.75);
	s->min = samples[0];
	s->max = samples[n - 1];
}

void bench_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

void bench_json_results(FILE *f, const struct bench_summary *results, unsigned int n)
{
	const struct bench_summary *s;
	unsigned int i;

	fputs("  \"results\": [\n", f);
	for (i = 0; i < n; i++) {
		s = &results[i];
		fprintf(f, "    { \"name\": \"%s\", \"size\": %llu, \"samples\": %u, "
			"\"median_ns\": %.1f, \"q1_ns\": %.1f, \"q3_ns\": %.1f, "
			"\"min_ns\": %.1f, \"max_ns\": %.1f }%s\n",
			s->name, (unsigned long long)s->size, s->samples, s->median, s->q1, s->q3,
			s->min, s->max, i + 1 < n ? "," : "");
	}
	fputs("  ],\n", f);
}
