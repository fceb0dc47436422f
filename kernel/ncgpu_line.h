/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The ncgpu authors
 */
#ifndef __NCGPU_LINE_H__
#define __NCGPU_LINE_H__

#include <linux/types.h>

/**
 * struct ncgpu_line - One line of the coherence model, as a sync sees it.
 *
 * Hashes are stored XORed with the hash of a zero line, so that a zero
 * hash means "synced as zeros". The memory is the caller's; a sync only
 * works on what it is given.
 */
struct ncgpu_line {
	/** @words: Length of the line in 64-bit words. */
	unsigned int words;

	/** @zero_hash: Hash of a zero line of this length. */
	u64 zero_hash;

	/** @cpu: The CPU view of the line, which the CPU may store to at any time. */
	u64 *cpu;

	/** @dev: The device view of the line; NULL when it has no memory, reads as zeros. */
	u64 *dev;

	/**
	 * @synced: The hash of the line's last synced content; NULL with @dev,
	 * for a line synced as zeros.
	 */
	u64 *synced;

	/** @snap: Room for one copy of the line, @words long. */
	u64 *snap;
};

u64 ncgpu_line_hash_words(const u64 *data, unsigned int words);
u64 ncgpu_line_hash(const struct ncgpu_line *line, const u64 *data);
int ncgpu_line_clean(struct ncgpu_line *line);
void ncgpu_line_reload(struct ncgpu_line *line);

#endif /* __NCGPU_LINE_H__ */
