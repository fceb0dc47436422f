/* SPDX-License-Identifier: MIT */
/*
 * Seeded pseudo-random numbers, random BO ranges and numeric environment
 * knobs for the randomized guest tests, so that one seed replays a run of
 * any of them. Kept apart from ncgpu_test.h, which includes it, for the
 * tests on libncgpu that need nothing else.
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

/*
 * A random range of a @size-byte BO, biased towards @granule edges: the whole
 * BO, empty, one byte, whole granules, ranges across a granule edge, or up to
 * @max_len bytes anywhere. With a non-zero @whole_size, also "from an offset
 * to the end" given as that length (libncgpu's NCGPU_WHOLE_SIZE), which is
 * not clipped. Other lengths are clipped to the BO.
 */
static inline void ncgpu_rand_range(uint64_t *state, uint64_t granule, uint64_t size,
				    uint64_t max_len, uint64_t whole_size, uint64_t *offset,
				    uint64_t *len)
{
	uint64_t g = granule, edge;

	switch (ncgpu_rand_below(state, whole_size ? 9 : 8)) {
	case 0:
		*offset = 0;
		*len = size;
		return;
	case 1:
		*offset = ncgpu_rand_below(state, size + 1);
		*len = 0;
		return;
	case 2:
		*offset = ncgpu_rand_below(state, size);
		*len = 1;
		return;
	case 3:
		*offset = ncgpu_rand_below(state, size / g) * g;
		*len = (1 + ncgpu_rand_below(state, 4)) * g;
		break;
	case 4:
		edge = (1 + ncgpu_rand_below(state, size / g)) * g;
		*offset = edge - 1 - ncgpu_rand_below(state, g < edge ? g : edge);
		*len = 1 + ncgpu_rand_below(state, 2 * g);
		break;
	case 8:
		*offset = ncgpu_rand_below(state, size + 1);
		*len = whole_size;
		return;
	default:
		*offset = ncgpu_rand_below(state, size);
		*len = 1 + ncgpu_rand_below(state, max_len);
		break;
	}
	if (*len > size - *offset)
		*len = size - *offset;
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
