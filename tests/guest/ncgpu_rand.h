/* SPDX-License-Identifier: MIT */
/*
 * Seeded pseudo-random numbers and numeric environment knobs for the
 * randomized guest tests, so that one seed replays a run of any of them.
 * Kept apart from ncgpu_test.h, which includes it: tests on libncgpu cannot
 * include ncgpu_test.h, whose ioctl wrappers share the library's names.
 */
#ifndef NCGPU_RAND_H
#define NCGPU_RAND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Next value of a seeded pseudo-random sequence (splitmix64) kept in *@state. */
static inline uint64_t ncgpu_rand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Next value of the sequence in [0, @n) (0 for n = 0); uniform enough for n far below 2^64. */
static inline uint64_t ncgpu_rand_below(uint64_t *state, uint64_t n)
{
	return n ? ncgpu_rand_next(state) % n : 0;
}

/* True with a chance of @percent in 100, drawn from the sequence in *@state. */
static inline bool ncgpu_rand_percent(uint64_t *state, unsigned int percent)
{
	return ncgpu_rand_below(state, 100) < percent;
}

/* The environment variable @name as a number (strtoull base 0), or @fallback if unset or empty. */
static inline uint64_t ncgpu_env_u64(const char *name, uint64_t fallback)
{
	const char *value = getenv(name);

	return value && *value ? strtoull(value, NULL, 0) : fallback;
}

#endif /* NCGPU_RAND_H */
