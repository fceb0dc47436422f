/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * What the guest tests look for in a buffer: a FILL's bytes, one repeated
 * byte, a seeded pattern. A stale-data test passes when these say nothing
 * changed, so tests/host/test_guest_checks.c makes sure they see one changed
 * byte anywhere.
 */
#ifndef NCGPU_BYTES_H
#define NCGPU_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Byte @i of a FILL range: byte i % 8 of @value, little-endian. */
static inline uint8_t ncgpu_fill_byte(uint64_t value, uint64_t i)
{
	return (uint8_t)(value >> (8 * (i % 8)));
}

/* Whether @len bytes at @p hold a FILL of @value that started at @p. */
static inline bool ncgpu_is_filled(const uint8_t *p, uint64_t value, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != ncgpu_fill_byte(value, i))
			return false;
	return true;
}

/* Offset of the first byte of @buf that is not @value, or -1. */
static inline long ncgpu_first_byte_not(const void *buf, size_t len, uint8_t value)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != value)
			return (long)i;
	return -1;
}

/* Whether @len bytes at @p are all @value. */
static inline bool ncgpu_bytes_equal(const uint8_t *p, uint8_t value, size_t len)
{
	return ncgpu_first_byte_not(p, len, value) < 0;
}

/* Word @i of the pattern that @seed names; no two words of it are alike. */
static inline uint64_t ncgpu_pattern_word(uint64_t seed, size_t i)
{
	return seed ^ (i * 0x9e3779b97f4a7c15ull);
}

/* Byte @i of the pattern that @seed names, as ncgpu_fill_pattern() writes it (little-endian). */
static inline uint8_t ncgpu_pattern_byte(uint64_t seed, size_t i)
{
	return (uint8_t)(ncgpu_pattern_word(seed, i / 8) >> (8 * (i % 8)));
}

static inline void ncgpu_fill_pattern(void *buf, size_t len, uint64_t seed)
{
	uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		w[i] = ncgpu_pattern_word(seed, i);
}

/* Byte offset of the first word of @buf that breaks the pattern, or -1. */
static inline long ncgpu_pattern_mismatch(const void *buf, size_t len, uint64_t seed)
{
	const uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		if (w[i] != ncgpu_pattern_word(seed, i))
			return (long)(i * sizeof(*w));
	return -1;
}

#endif /* NCGPU_BYTES_H */
