// SPDX-License-Identifier: MIT
/*
 * host_cache_bench - libncgpu's userspace cache maintenance on real hardware.
 *
 * Runs on the host, where the cache instructions are real (in a TCG guest
 * they cost nothing like hardware). It measures ncgpu_cpu_flush_range(), the
 * library's CPU backend (x86-64 clflushopt or clflush, arm64 DC CVAC):
 *   - on dirty lines (written just before) and on clean lines (read just
 *     before), 4 KiB to 64 MiB, against memcpy of the same bytes;
 *   - per call for one 64 B line, against a trivial ioctl. A DRM ioctl needs
 *     a DRM device, which the host may lack, so the trivial ioctl is
 *     FIONREAD on a pipe: the cost of entering and leaving the kernel.
 * The variants of a comparison are interleaved rep by rep.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ncgpu.h"
#include "../tools/ncgpu/bench_stats.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define MAX_SIZE (64 * MIB)
#define LINE_CALLS 4096u
#define LINE_STRIDE 4096u
#define MAX_SAMPLES 64
#define MAX_RESULTS 64

static const size_t sizes[] = { 4 * KIB, 64 * KIB, MIB, 16 * MIB, 64 * MIB };

static const char *const usage =
	"usage: host_cache_bench [--quick] [--json FILE] [--help]\n"
	"\n"
	"Measure libncgpu's userspace cache maintenance (ncgpu_cpu_flush_range)\n"
	"on this machine: flushing dirty and clean lines against memcpy of the\n"
	"same bytes, and one 64 B flush per call against a trivial ioctl\n"
	"(FIONREAD on a pipe). Needs about 200 MiB of memory.\n"
	"\n"
	"  --quick       fewer repetitions, for a smoke run\n"
	"  --json FILE   also write every figure as JSON to FILE ('-': stdout)\n";

struct ratio {
	char name[BENCH_NAME_MAX];
	double value;
};

struct host_bench {
	unsigned int warmup;
	unsigned int reps;
	bool quick;
	const char *json_path;
	unsigned char *buf;
	unsigned char *src;
	unsigned char *dst;
	int pipe_fd[2];
	unsigned int seq;
	volatile unsigned long sink;
	struct bench_summary results[MAX_RESULTS];
	unsigned int nresults;
	struct ratio ratios[MAX_RESULTS];
	unsigned int nratios;
};

/* One way of doing the thing compared; returns the time of the timed part. */
struct variant {
	const char *name;
	size_t size;
	int (*run)(struct host_bench *h, size_t size, double *ns);
};

static void format_time(double ns, char *buf, size_t len)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.1f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.3g us", ns / 1e3);
	else
		snprintf(buf, len, "%.3g ms", ns / 1e6);
}

static void print_summary(const struct bench_summary *s)
{
	char t[5][16];

	format_time(s->median, t[0], sizeof(t[0]));
	format_time(s->q1, t[1], sizeof(t[1]));
	format_time(s->q3, t[2], sizeof(t[2]));
	format_time(s->min, t[3], sizeof(t[3]));
	format_time(s->max, t[4], sizeof(t[4]));
	printf("  %-24s %10llu %10s %10s %10s %10s %10s %4u\n", s->name,
	       (unsigned long long)s->size, t[0], t[1], t[2], t[3], t[4], s->samples);
	fflush(stdout);
}

static void print_header(const char *title)
{
	printf("\n%s\n  %-24s %10s %10s %10s %10s %10s %10s %4s\n", title, "measurement",
	       "bytes", "median", "q1", "q3", "min", "max", "n");
}

static int measure(struct host_bench *h, const struct variant *v, unsigned int nv)
{
	static double samples[4][MAX_SAMPLES];
	unsigned int rep, i;
	double ns;
	int ret;

	if (nv > 4 || h->nresults + nv > MAX_RESULTS)
		return -E2BIG;
	for (rep = 0; rep < h->warmup + h->reps; rep++) {
		for (i = 0; i < nv; i++) {
			ret = v[i].run(h, v[i].size, &ns);
			if (ret)
				return ret;
			if (rep >= h->warmup)
				samples[i][rep - h->warmup] = ns;
		}
	}
	for (i = 0; i < nv; i++) {
		struct bench_summary *s = &h->results[h->nresults++];

		snprintf(s->name, sizeof(s->name), "%s", v[i].name);
		s->size = v[i].size;
		bench_summarize(samples[i], h->reps, s);
		print_summary(s);
	}
	return 0;
}

static double median_of(const struct host_bench *h, const char *name, uint64_t size)
{
	unsigned int i;

	for (i = 0; i < h->nresults; i++) {
		if (!strcmp(h->results[i].name, name) && h->results[i].size == size)
			return h->results[i].median;
	}
	return 0;
}

static void add_ratio(struct host_bench *h, const char *name, double num, double den)
{
	struct ratio *r;

	if (h->nratios == MAX_RESULTS)
		return;
	r = &h->ratios[h->nratios++];
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->value = den > 0 ? num / den : 0;
}

/* Range flushes */

static void make_dirty(struct host_bench *h, size_t size)
{
	memset(h->buf, 1 + h->seq++ % 255, size);
}

/* Loads every line of the range, so that it is cached and clean. */
static void make_clean(struct host_bench *h, size_t size)
{
	unsigned long sum = 0;
	size_t i;

	ncgpu_cpu_flush_range(h->buf, size);
	for (i = 0; i < size; i += 64)
		sum += h->buf[i];
	h->sink = sum;
}

static int timed_flush(struct host_bench *h, size_t size, double *ns)
{
	double t0 = bench_now_ns();
	int ret = ncgpu_cpu_flush_range(h->buf, size);

	*ns = bench_now_ns() - t0;
	return ret;
}

static int run_flush_dirty(struct host_bench *h, size_t size, double *ns)
{
	make_dirty(h, size);
	return timed_flush(h, size, ns);
}

static int run_flush_clean(struct host_bench *h, size_t size, double *ns)
{
	make_clean(h, size);
	return timed_flush(h, size, ns);
}

static int run_memcpy(struct host_bench *h, size_t size, double *ns)
{
	double t0 = bench_now_ns();

	memcpy(h->dst, h->src, size);
	*ns = bench_now_ns() - t0;
	h->sink = h->dst[size - 1];
	return 0;
}

static void range_ratios(struct host_bench *h, size_t size)
{
	char name[BENCH_NAME_MAX];
	double copy = median_of(h, "memcpy", size);

	snprintf(name, sizeof(name), "flush_dirty_over_memcpy_%lluKiB",
		 (unsigned long long)(size / KIB));
	add_ratio(h, name, median_of(h, "cpu_flush_dirty", size), copy);
	snprintf(name, sizeof(name), "flush_clean_over_memcpy_%lluKiB",
		 (unsigned long long)(size / KIB));
	add_ratio(h, name, median_of(h, "cpu_flush_clean", size), copy);
}

static int bench_ranges(struct host_bench *h)
{
	unsigned int i;
	int ret;

	print_header("ncgpu_cpu_flush_range() on a range against memcpy of it");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const struct variant v[] = {
			{ "cpu_flush_dirty", sizes[i], run_flush_dirty },
			{ "cpu_flush_clean", sizes[i], run_flush_clean },
			{ "memcpy", sizes[i], run_memcpy },
		};

		ret = measure(h, v, 3);
		if (ret)
			return ret;
		range_ratios(h, sizes[i]);
	}
	return 0;
}

/* Per call: one 64 B line against a trivial ioctl */

/* LINE_CALLS flushes of one dirty line each, a page apart. */
static int run_line_flushes(struct host_bench *h, size_t size, double *ns)
{
	unsigned int i;
	double t0;
	int ret = 0;

	(void)size;
	for (i = 0; i < LINE_CALLS; i++)
		h->buf[(size_t)i * LINE_STRIDE] = (unsigned char)h->seq++;
	t0 = bench_now_ns();
	for (i = 0; i < LINE_CALLS && !ret; i++)
		ret = ncgpu_cpu_flush_range(h->buf + (size_t)i * LINE_STRIDE, 64);
	*ns = (bench_now_ns() - t0) / LINE_CALLS;
	return ret;
}

static int run_ioctls(struct host_bench *h, size_t size, double *ns)
{
	unsigned int i;
	int pending;
	double t0;

	(void)size;
	t0 = bench_now_ns();
	for (i = 0; i < LINE_CALLS; i++) {
		if (ioctl(h->pipe_fd[0], FIONREAD, &pending))
			return -errno;
	}
	*ns = (bench_now_ns() - t0) / LINE_CALLS;
	return 0;
}

static int bench_calls(struct host_bench *h)
{
	const struct variant v[] = {
		{ "cpu_flush_64B_per_call", 64, run_line_flushes },
		{ "ioctl_fionread_per_call", 0, run_ioctls },
	};

	print_header("one call: a dirty 64 B line flushed in userspace against "
		     "ioctl(FIONREAD) on a pipe (mean of 4096 calls per sample)");
	double flush, trap;
	int ret;

	ret = measure(h, v, 2);
	if (ret)
		return ret;
	flush = median_of(h, "cpu_flush_64B_per_call", 64);
	trap = median_of(h, "ioctl_fionread_per_call", 0);
	add_ratio(h, "cpu_flush_64B_over_trivial_ioctl", flush, trap);
	/* A kernel path would trap, then issue the same instructions. */
	add_ratio(h, "cpu_flush_64B_over_kernel_path_bound", flush, flush + trap);
	return 0;
}

/* Machine and output */

struct machine {
	struct utsname uts;
	char cpu_model[128];
	long cpus;
	const char *flush_instruction;
};

static void read_cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256], *colon;

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		colon = strchr(line, ':');
		if (colon && !strncmp(line, "model name", 10)) {
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, len, "%s", colon + 2);
			break;
		}
	}
	fclose(f);
}

/* The instruction the library picks, by the same CPUID bit. */
static const char *flush_instruction(void)
{
#if defined(__x86_64__)
	unsigned int eax, ebx, ecx, edx;

	if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (ebx & (1u << 23)))
		return "clflushopt";
	return "clflush";
#elif defined(__aarch64__)
	return "dc cvac";
#else
	return "none";
#endif
}

static void read_machine(struct machine *m)
{
	if (uname(&m->uts))
		memset(&m->uts, 0, sizeof(m->uts));
	read_cpu_model(m->cpu_model, sizeof(m->cpu_model));
	m->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	m->flush_instruction = flush_instruction();
}

static void json_machine(FILE *f, const struct machine *m)
{
	fputs("  \"host\": { \"arch\": ", f);
	bench_json_string(f, m->uts.machine);
	fputs(", \"kernel\": ", f);
	bench_json_string(f, m->uts.release);
	fputs(", \"cpu_model\": ", f);
	bench_json_string(f, m->cpu_model);
	fprintf(f, ", \"cpus\": %ld, \"flush_instruction\": \"%s\", \"line_size\": %zu },\n",
		m->cpus, m->flush_instruction, ncgpu_cpu_cache_line_size());
}

static int write_json(const struct host_bench *h, const struct machine *m)
{
	FILE *f = strcmp(h->json_path, "-") ? fopen(h->json_path, "w") : stdout;
	unsigned int i;
	int ret;

	if (!f)
		return -errno;
	fputs("{\n  \"schema\": 1,\n  \"command\": \"host_cache_bench\",\n", f);
	json_machine(f, m);
	fprintf(f, "  \"method\": { \"clock\": \"CLOCK_MONOTONIC\", \"warmup\": %u, \"reps\": %u, "
		"\"trivial_ioctl\": \"FIONREAD on a pipe\", \"quick\": %s },\n",
		h->warmup, h->reps, h->quick ? "true" : "false");
	bench_json_results(f, h->results, h->nresults);
	fputs("  \"ratios\": {\n", f);
	for (i = 0; i < h->nratios; i++)
		fprintf(f, "    \"%s\": %.6g%s\n", h->ratios[i].name, h->ratios[i].value,
			i + 1 < h->nratios ? "," : "");
	fputs("  }\n}\n", f);
	ret = ferror(f) ? -EIO : 0;
	if (f != stdout && fclose(f))
		ret = -errno;
	return ret;
}

static void print_ratios(const struct host_bench *h)
{
	unsigned int i;

	printf("\nratios (side by side in this run)\n");
	for (i = 0; i < h->nratios; i++)
		printf("  %-40s %.4g\n", h->ratios[i].name, h->ratios[i].value);
}

static int parse_options(int argc, char **argv, struct host_bench *h)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--quick")) {
			h->quick = true;
		} else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			h->json_path = argv[++i];
		} else {
			fprintf(stderr, "host_cache_bench: bad argument '%s'\n%s", argv[i], usage);
			return 64;
		}
	}
	return -1;
}

static int setup(struct host_bench *h)
{
	h->warmup = h->quick ? 1 : 2;
	h->reps = h->quick ? 3 : 15;
	h->buf = aligned_alloc(4096, MAX_SIZE);
	h->src = aligned_alloc(4096, MAX_SIZE);
	h->dst = aligned_alloc(4096, MAX_SIZE);
	if (!h->buf || !h->src || !h->dst)
		return -ENOMEM;
	/* Every page is touched once, so that no timed loop takes page faults. */
	memset(h->buf, 0, MAX_SIZE);
	memset(h->src, 0x5a, MAX_SIZE);
	memset(h->dst, 0, MAX_SIZE);
	if (pipe(h->pipe_fd))
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	static struct host_bench h;
	struct machine m;
	int ret;

	ret = parse_options(argc, argv, &h);
	if (ret >= 0)
		return ret;
	read_machine(&m);
	printf("host_cache_bench: %s, kernel %s, %ld CPUs (%s), %s, line %zu B\n",
	       m.uts.machine, m.uts.release, m.cpus, m.cpu_model, m.flush_instruction,
	       ncgpu_cpu_cache_line_size());
	if (!ncgpu_cpu_cache_line_size()) {
		fprintf(stderr, "host_cache_bench: no userspace cache instructions on %s\n",
			m.uts.machine);
		return 1;
	}
	ret = setup(&h);
	if (!ret)
		ret = bench_ranges(&h);
	if (!ret)
		ret = bench_calls(&h);
	if (!ret)
		print_ratios(&h);
	if (!ret && h.json_path)
		ret = write_json(&h, &m);
	if (ret)
		fprintf(stderr, "host_cache_bench: %s\n", strerror(-ret));
	return ret ? 1 : 0;
}
