// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The ncgpu authors
 */

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/errno.h>

#include "ncgpu_line.h"

/**
 * DOC: A line's clean and invalidate
 *
 * A real cache cleans and invalidates a line in one step: a CPU store lands
 * either before it, and is written back and read again, or after it, and
 * stays in the cache as dirty data. The model does it in two, with the line
 * read once in between: ncgpu_line_clean() copies the CPU view into a
 * snapshot, hashes it and writes exactly that back when it differs from
 * what was last synced; ncgpu_line_reload() then replaces each word of the
 * CPU view with the device's, by compare-and-swap against the snapshot. A
 * word the CPU stored to since the snapshot keeps the store, as if it had
 * landed after the invalidation, and the line is left dirty. No store is
 * ever lost.
 *
 * The hash takes a word at a time, so that reading the line, keeping the
 * snapshot and hashing it is one pass. Each step is a bijection of the state
 * for a given word and of the word for a given state, so two lines that
 * differ in a single word, a single byte say, always hash apart; other
 * differences collide with a chance of about 2^-64.
 */

#define NCGPU_HASH_SEED	0x243f6a8885a308d3ull
#define NCGPU_HASH_K1	0x9e3779b97f4a7c15ull
#define NCGPU_HASH_K2	0xc2b2ae3d27d4eb4full

static inline u64 ncgpu_hash_step(u64 state, u64 word)
{
	return rol64(state ^ (word * NCGPU_HASH_K1), 31) * NCGPU_HASH_K2;
}

/* MurmurHash3's 64-bit finaliser: a bijection that spreads every bit. */
static inline u64 ncgpu_hash_final(u64 state)
{
	state ^= state >> 33;
	state *= 0xff51afd7ed558ccdull;
	state ^= state >> 33;
	state *= 0xc4ceb9fe1a85ec53ull;
	return state ^ (state >> 33);
}

/**
 * ncgpu_line_hash_words() - Hash of @words words.
 * @data: The words.
 * @words: How many.
 *
 * Return: the hash, as ncgpu_line_clean() computes it for a line's content.
 */
u64 ncgpu_line_hash_words(const u64 *data, unsigned int words)
{
	u64 state = NCGPU_HASH_SEED;
	unsigned int i;

	for (i = 0; i < words; i++)
		state = ncgpu_hash_step(state, data[i]);
	return ncgpu_hash_final(state);
}

/**
 * ncgpu_line_hash() - Hash of a line's content, as the model stores it.
 * @line: The line, for its length and zero hash.
 * @data: @line->words words.
 *
 * Return: the hash, XORed with the hash of a zero line.
 */
u64 ncgpu_line_hash(const struct ncgpu_line *line, const u64 *data)
{
	return ncgpu_line_hash_words(data, line->words) ^ line->zero_hash;
}

/**
 * ncgpu_line_clean() - Write a line back if it is dirty.
 * @line: The line.
 *
 * Reads the CPU view once into @line->snap, which ncgpu_line_reload() then
 * uses. The line is dirty when the snapshot's hash differs from the synced
 * one: the snapshot, whole, becomes the device view and is synced.
 *
 * Return: 0, or -EAGAIN when the line is dirty and has no device memory.
 */
int ncgpu_line_clean(struct ncgpu_line *line)
{
	u64 state = NCGPU_HASH_SEED, word, hash;
	unsigned int i;

	for (i = 0; i < line->words; i++) {
		word = READ_ONCE(line->cpu[i]);
		line->snap[i] = word;
		state = ncgpu_hash_step(state, word);
	}
	hash = ncgpu_hash_final(state) ^ line->zero_hash;
	if (hash == (line->synced ? *line->synced : 0))
		return 0;
	if (!line->dev)
		return -EAGAIN;
	for (i = 0; i < line->words; i++)
		line->dev[i] = line->snap[i];
	*line->synced = hash;
	return 0;
}

/**
 * ncgpu_line_reload() - Drop the CPU's copy of a line just cleaned.
 * @line: The line, after a successful ncgpu_line_clean().
 *
 * Each word of the CPU view that still holds the snapshot's value gets the
 * device's; a word the CPU stored to meanwhile keeps the store.
 */
void ncgpu_line_reload(struct ncgpu_line *line)
{
	bool reloaded = false;
	unsigned int i;
	u64 word;

	for (i = 0; i < line->words; i++) {
		word = line->dev ? line->dev[i] : 0;
		if (word == line->snap[i])
			continue;
		cmpxchg64(&line->cpu[i], line->snap[i], word);
		reloaded = true;
	}
	/* The CPU view is the device's now, but for stores that won: those are dirty. */
	if (reloaded && line->synced)
		*line->synced = ncgpu_line_hash(line, line->dev);
}
