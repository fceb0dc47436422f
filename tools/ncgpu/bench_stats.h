/* SPDX-License-Identifier: MIT */
/*
 * The statistics of benchmark samples, shared by "ncgpu bench" (in the
 * guest) and bench/host_cache_bench.c (on the host), so that both compute
 * their medians and quartiles alike and write them as the same JSON, the
 * one bench/json.sh reads.
 */
#ifndef NCGPU_BENCH_STATS_H
#define NCGPU_BENCH_STATS_H

#include <stdint.h>
#include <stdio.h>

/* Size of a measurement's name, with its NUL. */
#define BENCH_NAME_MAX 48

/* How the samples of one measurement came out, in nanoseconds per call. */
struct bench_summary {
	char name[BENCH_NAME_MAX];
	uint64_t size;
	unsigned int samples;
	double median;
	double q1;
	double q3;
	double min;
	double max;
};

/* CLOCK_MONOTONIC in nanoseconds, the clock every sample is timed with. */
double bench_now_ns(void);

/* Sorts the @n (at least 1) @samples and fills in the statistics of @s, not its name or size. */
void bench_summarize(double *samples, unsigned int n, struct bench_summary *s);

/* Writes @s as a JSON string: quoted, with '"', '\' and control characters escaped. */
void bench_json_string(FILE *f, const char *s);

/* Writes the @n summaries as the "results" member of the JSON object being written. */
void bench_json_results(FILE *f, const struct bench_summary *results, unsigned int n);

#endif /* NCGPU_BENCH_STATS_H */
