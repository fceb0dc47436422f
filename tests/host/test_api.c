// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * The library's exported ABI, its error sentences and the CPU cache
 * functions.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ncgpu_internal.h"

#define MAX_SYMBOLS 256
#define MAX_NAME 128

struct symbol_list {
	char names[MAX_SYMBOLS][MAX_NAME];
	int count;
};

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Keeps the last word of each line (nm's name column, or the whole line). */
static void read_names(FILE *in, struct symbol_list *list)
{
	char line[512], *word;

	list->count = 0;
	while (fgets(line, sizeof(line), in) && list->count < MAX_SYMBOLS) {
		line[strcspn(line, "\n")] = '\0';
		word = strrchr(line, ' ');
		word = word ? word + 1 : line;
		if (*word)
			snprintf(list->names[list->count++], MAX_NAME, "%.*s", MAX_NAME - 1, word);
	}
	qsort(list->names, list->count, MAX_NAME, compare_names);
}

static void print_difference(const struct symbol_list *a, const char *a_name,
			     const struct symbol_list *b)
{
	int i;

	for (i = 0; i < a->count; i++) {
		if (!bsearch(a->names[i], b->names, b->count, MAX_NAME, compare_names))
			print_error("only in %s: %s\n", a_name, a->names[i]);
	}
}

static void test_exported_symbols_equal_the_symbol_list(void **state)
{
	static struct symbol_list exported, listed;
	FILE *in;
	int i;

	(void)state;
	in = popen("nm -D --defined-only " NCGPU_SHARED_LIB, "r");
	assert_non_null(in);
	read_names(in, &exported);
	assert_int_equal(pclose(in), 0);
	in = fopen(NCGPU_SYMBOL_LIST, "r");
	assert_non_null(in);
	read_names(in, &listed);
	fclose(in);
	print_difference(&exported, "the library", &listed);
	print_difference(&listed, "the symbol list", &exported);
	assert_int_equal(exported.count, listed.count);
	for (i = 0; i < listed.count; i++)
		assert_string_equal(exported.names[i], listed.names[i]);
}

static void test_strerror_explains_missing_device(void **state)
{
	(void)state;
	assert_string_equal(ncgpu_strerror(-ENODEV),
			    "no ncgpu device found (is the ncgpu module loaded?)");
}

static void test_strerror_explains_invalid_range(void **state)
{
	(void)state;
	assert_non_null(strstr(ncgpu_strerror(-EINVAL), "range beyond its buffer"));
}

static void test_strerror_explains_size_limit(void **state)
{
	(void)state;
	assert_string_equal(ncgpu_strerror(-E2BIG), "size above the device's limit");
}

static void test_strerror_accepts_positive_errno(void **state)
{
	(void)state;
	assert_string_equal(ncgpu_strerror(ETIMEDOUT), ncgpu_strerror(-ETIMEDOUT));
}

static void test_strerror_of_unknown_code_is_unknown_error(void **state)
{
	(void)state;
	assert_string_equal(ncgpu_strerror(-4242), "unknown error");
	assert_string_equal(ncgpu_strerror(INT32_MIN), "unknown error");
}

static void test_cpu_cache_line_is_a_power_of_two_where_supported(void **state)
{
	size_t line = ncgpu_cpu_cache_line_size();

	(void)state;
	if (!ncgpu_cpu_has_cache_ops())
		skip();
	assert_true(line >= 16);
	assert_int_equal(line & (line - 1), 0);
}

static void test_cpu_flush_keeps_the_data(void **state)
{
	static unsigned char buf[1000];
	size_t i;

	(void)state;
	if (!ncgpu_cpu_has_cache_ops())
		skip();
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i * 7;
	assert_int_equal(ncgpu_cpu_flush_range(buf + 3, sizeof(buf) - 3), 0);
	assert_int_equal(ncgpu_cpu_flush_invalidate_range(buf + 3, sizeof(buf) - 3), 0);
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], (unsigned char)(i * 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exported_symbols_equal_the_symbol_list),
		cmocka_unit_test(test_strerror_explains_missing_device),
		cmocka_unit_test(test_strerror_explains_invalid_range),
		cmocka_unit_test(test_strerror_explains_size_limit),
		cmocka_unit_test(test_strerror_accepts_positive_errno),
		cmocka_unit_test(test_strerror_of_unknown_code_is_unknown_error),
		cmocka_unit_test(test_cpu_cache_line_is_a_power_of_two_where_supported),
		cmocka_unit_test(test_cpu_flush_keeps_the_data),
	};

	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
