// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * CPU cache maintenance from userspace, as Mesa's util/cache_ops: for
 * hardware that really is non-coherent (an emulated ncgpu device never sees
 * it) and for benchmarks. arm64 has no invalidate-only instruction usable
 * from EL0, so "invalidate" is always clean + invalidate.
 */
#include <errno.h>
#include <pthread.h>

#include "ncgpu_internal.h"

#if defined(__x86_64__)
#include <cpuid.h>

#define CPUID_FEATURES 1
#define CPUID_EXTENDED_FEATURES 7
#define CPUID_EBX_CLFLUSHOPT (1u << 23)
/* CPUID.1:EBX[15:8] is the CLFLUSH line size in 8-byte units. */
#define CPUID_EBX_CLFLUSH_SIZE(ebx) ((((ebx) >> 8) & 0xff) * 8)
#define X86_DEFAULT_LINE 64

static size_t x86_line_size;
static bool x86_has_clflushopt;
static pthread_once_t x86_probe_once = PTHREAD_ONCE_INIT;

static void x86_probe(void)
{
	unsigned int eax, ebx, ecx, edx;

	x86_line_size = X86_DEFAULT_LINE;
	if (__get_cpuid(CPUID_FEATURES, &eax, &ebx, &ecx, &edx) && CPUID_EBX_CLFLUSH_SIZE(ebx) != 0)
		x86_line_size = CPUID_EBX_CLFLUSH_SIZE(ebx);
	if (__get_cpuid_count(CPUID_EXTENDED_FEATURES, 0, &eax, &ebx, &ecx, &edx))
		x86_has_clflushopt = ebx & CPUID_EBX_CLFLUSHOPT;
}

static size_t line_size(void)
{
	pthread_once(&x86_probe_once, x86_probe);
	return x86_line_size;
}

/* clflush also drops the line, so flush and flush+invalidate are the same. */
static void flush_lines(char *p, char *end, size_t line, bool invalidate)
{
	(void)invalidate;
	/* Order earlier stores before the flushes; clflushopt is weakly ordered. */
	__asm__ volatile("mfence" ::: "memory");
	if (x86_has_clflushopt) {
		for (; p < end; p += line)
			__asm__ volatile("clflushopt %0" : "+m"(*(volatile char *)p));
	} else {
		for (; p < end; p += line)
			__asm__ volatile("clflush %0" : "+m"(*(volatile char *)p));
	}
	__asm__ volatile("mfence" ::: "memory");
}

#elif defined(__aarch64__)

static size_t line_size(void)
{
	uint64_t ctr;

	/* CTR_EL0.DminLine (bits 19:16): log2 of the smallest line in words. */
	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	return (size_t)4 << ((ctr >> 16) & 0xf);
}

static void flush_lines(char *p, char *end, size_t line, bool invalidate)
{
	if (invalidate) {
		for (; p < end; p += line)
			__asm__ volatile("dc civac, %0" : : "r"(p) : "memory");
	} else {
		for (; p < end; p += line)
			__asm__ volatile("dc cvac, %0" : : "r"(p) : "memory");
	}
	/* Maintenance is complete, and later reads miss, only after a DSB. */
	__asm__ volatile("dsb sy" ::: "memory");
}

#else

static size_t line_size(void)
{
	return 0;
}

static void flush_lines(char *p, char *end, size_t line, bool invalidate)
{
	(void)p;
	(void)end;
	(void)line;
	(void)invalidate;
}

#endif

bool ncgpu_cpu_has_cache_ops(void)
{
	return line_size() != 0;
}

static int flush_range(void *ptr, size_t size, bool invalidate)
{
	size_t line = line_size();
	uintptr_t start, end;

	if (!line)
		return -EOPNOTSUPP;
	if (!size)
		return 0;
	start = (uintptr_t)ptr & ~(uintptr_t)(line - 1);
	end = (uintptr_t)ptr + size;
	flush_lines((char *)start, (char *)end, line, invalidate);
	return 0;
}

int ncgpu_cpu_sync(void *ptr, size_t size, uint32_t type)
{
	return flush_range(ptr, size, type == DRM_NCGPU_BO_SYNC_FLUSH_AND_INVALIDATE);
}

NCGPU_PUBLIC int ncgpu_cpu_flush_range(void *ptr, size_t size)
{
	return flush_range(ptr, size, false);
}

NCGPU_PUBLIC int ncgpu_cpu_flush_invalidate_range(void *ptr, size_t size)
{
	return flush_range(ptr, size, true);
}

NCGPU_PUBLIC size_t ncgpu_cpu_cache_line_size(void)
{
	return line_size();
}
