// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * The byte checks of the guest tests (tests/guest/ncgpu_bytes.h). A stale-data
 * test passes when they say "unchanged", so a check that could not see one
 * changed byte would pass every negative control without testing anything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ncgpu_bytes.h"

#define LEN 4096
#define FILL_VALUE 0x0123456789abcdefull
#define SEED 0x5eedull

/* Where a single change must show: the first, a middle and the last byte. */
static const size_t changed_bytes[] = { 0, LEN / 2 + 3, LEN - 1 };

static uint8_t buf[LEN];

static void bytes_equal_sees_one_changed_byte(void **state)
{
	size_t i;

	(void)state;
	memset(buf, 0xa5, LEN);
	assert_true(ncgpu_bytes_equal(buf, 0xa5, LEN));
	for (i = 0; i < sizeof(changed_bytes) / sizeof(changed_bytes[0]); i++) {
		buf[changed_bytes[i]] ^= 1;
		assert_false(ncgpu_bytes_equal(buf, 0xa5, LEN));
		assert_int_equal(ncgpu_first_byte_not(buf, LEN, 0xa5), changed_bytes[i]);
		buf[changed_bytes[i]] ^= 1;
	}
}

static void is_filled_sees_one_changed_byte(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN; i++)
		buf[i] = ncgpu_fill_byte(FILL_VALUE, i);
	assert_true(ncgpu_is_filled(buf, FILL_VALUE, LEN));
	assert_false(ncgpu_is_filled(buf + 1, FILL_VALUE, LEN - 1));
	for (i = 0; i < sizeof(changed_bytes) / sizeof(changed_bytes[0]); i++) {
		buf[changed_bytes[i]] ^= 0x80;
		assert_false(ncgpu_is_filled(buf, FILL_VALUE, LEN));
		buf[changed_bytes[i]] ^= 0x80;
	}
}

static void pattern_mismatch_names_the_changed_word(void **state)
{
	size_t i;

	(void)state;
	ncgpu_fill_pattern(buf, LEN, SEED);
	assert_int_equal(ncgpu_pattern_mismatch(buf, LEN, SEED), -1);
	assert_int_equal(ncgpu_pattern_mismatch(buf, LEN, SEED + 1), 0);
	for (i = 0; i < sizeof(changed_bytes) / sizeof(changed_bytes[0]); i++) {
		buf[changed_bytes[i]] ^= 0x10;
		assert_int_equal(ncgpu_pattern_mismatch(buf, LEN, SEED),
				 changed_bytes[i] & ~(size_t)7);
		buf[changed_bytes[i]] ^= 0x10;
	}
}

static void pattern_byte_is_what_fill_pattern_wrote(void **state)
{
	size_t i;

	(void)state;
	ncgpu_fill_pattern(buf, LEN, SEED);
	for (i = 0; i < LEN; i++)
		assert_int_equal(ncgpu_pattern_byte(SEED, i), buf[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bytes_equal_sees_one_changed_byte),
		cmocka_unit_test(is_filled_sees_one_changed_byte),
		cmocka_unit_test(pattern_mismatch_names_the_changed_word),
		cmocka_unit_test(pattern_byte_is_what_fill_pattern_wrote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
