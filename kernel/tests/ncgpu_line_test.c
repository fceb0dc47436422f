// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of one line of the coherence model: dirty detection of every
 * byte, and a clean-and-invalidate that keeps a CPU store landing between
 * its two steps (the race a userspace test can hit only by chance).
 *
 * Copyright (C) 2026 The ncgpu authors
 */

#include <kunit/test.h>

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "ncgpu_line.h"

/* What a CPU store writes: no pattern below makes it. */
#define STORED 0x5707ed5707ed5707ull

/**
 * struct ncgpu_line_case - A line length the module accepts
 * @granule: the sync_granule, in bytes
 */
struct ncgpu_line_case {
	unsigned int granule;
};

static const struct ncgpu_line_case ncgpu_line_cases[] = {
	{ 16 }, { 64 }, { 128 }, { 4096 },
};

static void ncgpu_line_desc(const struct ncgpu_line_case *t, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "granule %u", t->granule);
}

KUNIT_ARRAY_PARAM(ncgpu_line, ncgpu_line_cases, ncgpu_line_desc);

/* Fills @words words at @p with a pattern that depends on @seed. */
static void ncgpu_line_pattern(u64 *p, unsigned int words, u64 seed)
{
	unsigned int i;

	for (i = 0; i < words; i++)
		p[i] = (seed + i) * 0x9e3779b97f4a7c15ull;
}

/*
 * A line of the case's length with device memory: the CPU view holds pattern
 * 1, the device view pattern 2, and the line is synced as pattern 1 (clean,
 * and the device wrote since).
 */
static struct ncgpu_line *ncgpu_line_new(struct kunit *test)
{
	const struct ncgpu_line_case *t = test->param_value;
	unsigned int words = t->granule / sizeof(u64);
	struct ncgpu_line *line;
	u64 *zeros;

	line = kunit_kzalloc(test, sizeof(*line), GFP_KERNEL);
	zeros = kunit_kzalloc(test, t->granule, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, line);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, zeros);
	line->words = words;
	line->zero_hash = ncgpu_line_hash_words(zeros, words);
	line->cpu = kunit_kzalloc(test, t->granule, GFP_KERNEL);
	line->dev = kunit_kzalloc(test, t->granule, GFP_KERNEL);
	line->snap = kunit_kzalloc(test, t->granule, GFP_KERNEL);
	line->synced = kunit_kzalloc(test, sizeof(u64), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, line->cpu);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, line->dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, line->snap);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, line->synced);
	ncgpu_line_pattern(line->cpu, words, 1);
	ncgpu_line_pattern(line->dev, words, 2);
	*line->synced = ncgpu_line_hash(line, line->cpu);
	return line;
}

static bool ncgpu_line_is_dirty(const struct ncgpu_line *line)
{
	return ncgpu_line_hash(line, line->cpu) != *line->synced;
}

/* Whether every word of @a but word @skip equals @b's. */
static bool ncgpu_words_equal_but(const u64 *a, const u64 *b, unsigned int words,
				  unsigned int skip)
{
	unsigned int i;

	for (i = 0; i < words; i++)
		if (i != skip && a[i] != b[i])
			return false;
	return true;
}

/* Without a store meanwhile, the CPU view becomes the device's, and clean. */
static void ncgpu_test_line_reload_takes_the_device_view(struct kunit *test)
{
	struct ncgpu_line *line = ncgpu_line_new(test);

	KUNIT_ASSERT_EQ(test, ncgpu_line_clean(line), 0);
	ncgpu_line_reload(line);
	KUNIT_EXPECT_EQ(test, memcmp(line->cpu, line->dev, line->words * sizeof(u64)), 0);
	KUNIT_EXPECT_FALSE(test, ncgpu_line_is_dirty(line));
}

/* The device wrote the line and the CPU did not: the clean keeps the device's data. */
static void ncgpu_test_line_clean_of_clean_line_keeps_device_data(struct kunit *test)
{
	struct ncgpu_line *line = ncgpu_line_new(test);
	u64 *expected = kunit_kzalloc(test, line->words * sizeof(u64), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, expected);
	ncgpu_line_pattern(expected, line->words, 2);
	KUNIT_ASSERT_EQ(test, ncgpu_line_clean(line), 0);
	KUNIT_EXPECT_EQ(test, memcmp(line->dev, expected, line->words * sizeof(u64)), 0);
}

/* A clean line that the device wrote: the store lands after the snapshot. */
static void ncgpu_test_line_store_between_clean_and_reload_is_kept(struct kunit *test)
{
	struct ncgpu_line *line = ncgpu_line_new(test);
	unsigned int last = line->words - 1;

	KUNIT_ASSERT_EQ(test, ncgpu_line_clean(line), 0);
	WRITE_ONCE(line->cpu[last], STORED);
	ncgpu_line_reload(line);
	KUNIT_EXPECT_EQ(test, line->cpu[last], STORED);
	KUNIT_EXPECT_TRUE(test, ncgpu_words_equal_but(line->cpu, line->dev, line->words, last));
	KUNIT_EXPECT_TRUE_MSG(test, ncgpu_line_is_dirty(line),
			      "the store must reach the device with the next flush");
}

/* A dirty line: the clean writes it back, and a store after that stays dirty. */
static void ncgpu_test_line_store_after_write_back_is_kept(struct kunit *test)
{
	struct ncgpu_line *line = ncgpu_line_new(test);
	u64 *written = kunit_kzalloc(test, line->words * sizeof(u64), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, written);
	ncgpu_line_pattern(line->cpu, line->words, 3);
	memcpy(written, line->cpu, line->words * sizeof(u64));
	KUNIT_ASSERT_EQ(test, ncgpu_line_clean(line), 0);
	WRITE_ONCE(line->cpu[0], STORED);
	ncgpu_line_reload(line);
	KUNIT_EXPECT_EQ(test, line->cpu[0], STORED);
	KUNIT_EXPECT_EQ(test, memcmp(line->dev, written, line->words * sizeof(u64)), 0);
	KUNIT_EXPECT_TRUE(test, ncgpu_line_is_dirty(line));
}

/* Changing any one byte of a synced line makes the clean write the line back. */
static void ncgpu_test_line_clean_sees_a_change_of_any_byte(struct kunit *test)
{
	struct ncgpu_line *line = ncgpu_line_new(test);
	unsigned int bytes = line->words * sizeof(u64), at;
	u8 *cpu = (u8 *)line->cpu;

	for (at = 0; at < bytes; at++) {
		*line->synced = ncgpu_line_hash(line, line->cpu);
		cpu[at] ^= 0x5a;
		KUNIT_ASSERT_EQ(test, ncgpu_line_clean(line), 0);
		KUNIT_ASSERT_EQ_MSG(test, memcmp(line->dev, line->cpu, bytes), 0,
				    "a change of byte %u alone was not written back", at);
	}
}

/* A dirty line without device memory asks for it; a clean one does not. */
static void ncgpu_test_line_dirty_line_without_device_memory_is_eagain(struct kunit *test)
{
	struct ncgpu_line *line = ncgpu_line_new(test);

	line->dev = NULL;
	line->synced = NULL;
	KUNIT_EXPECT_EQ(test, ncgpu_line_clean(line), -EAGAIN);
	memset(line->cpu, 0, line->words * sizeof(u64));
	KUNIT_EXPECT_EQ(test, ncgpu_line_clean(line), 0);
}

static struct kunit_case ncgpu_line_tests[] = {
	KUNIT_CASE_PARAM(ncgpu_test_line_reload_takes_the_device_view, ncgpu_line_gen_params),
	KUNIT_CASE_PARAM(ncgpu_test_line_clean_of_clean_line_keeps_device_data,
			 ncgpu_line_gen_params),
	KUNIT_CASE_PARAM(ncgpu_test_line_store_between_clean_and_reload_is_kept,
			 ncgpu_line_gen_params),
	KUNIT_CASE_PARAM(ncgpu_test_line_store_after_write_back_is_kept, ncgpu_line_gen_params),
	KUNIT_CASE_PARAM(ncgpu_test_line_clean_sees_a_change_of_any_byte, ncgpu_line_gen_params),
	KUNIT_CASE_PARAM(ncgpu_test_line_dirty_line_without_device_memory_is_eagain,
			 ncgpu_line_gen_params),
	{ }
};

static struct kunit_suite ncgpu_line_test_suite = {
	.name = "ncgpu_line",
	.test_cases = ncgpu_line_tests,
};

kunit_test_suite(ncgpu_line_test_suite);
