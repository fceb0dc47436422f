// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The ncgpu authors
 *
 * The library's exported ABI, its error sentences, what it accepts as a
 * device's file and the CPU cache functions.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* The names @nm_command prints must be those of lib/ncgpu.symbols. */
static void assert_symbols_equal_the_symbol_list(const char *nm_command)
{
	static struct symbol_list exported, listed;
	FILE *in;
	int i;

	in = popen(nm_command, "r");
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

static void test_exported_symbols_equal_the_symbol_list(void **state)
{
	(void)state;
	assert_symbols_equal_the_symbol_list("nm -D --defined-only " NCGPU_SHARED_LIB);
}

/* The library's internal functions, which its files share, are local in it. */
static void test_static_library_globals_equal_the_symbol_list(void **state)
{
	(void)state;
	assert_symbols_equal_the_symbol_list("nm -g --defined-only --format=just-symbols "
					     NCGPU_STATIC_LIB " | grep -v ':$'");
}

/*
 * The sentence ncgpu_strerror() gives for @code: exactly @text, or one that
 * contains it where the whole sentence is too long to pin down.
 */
struct strerror_case {
	int code;
	const char *text;
	bool contains;
};

static void test_strerror_case(void **state)
{
	const struct strerror_case *c = *state;

	if (c->contains)
		assert_non_null(strstr(ncgpu_strerror(c->code), c->text));
	else
		assert_string_equal(ncgpu_strerror(c->code), c->text);
}

static void test_strerror_accepts_positive_errno(void **state)
{
	(void)state;
	assert_string_equal(ncgpu_strerror(ETIMEDOUT), ncgpu_strerror(-ETIMEDOUT));
}

static void test_open_fd_rejects_unknown_flags(void **state)
{
	struct ncgpu_device *dev = NULL;

	(void)state;
	assert_int_equal(ncgpu_device_open_fd(0, ~NCGPU_DEVICE_OWNS_FD, &dev), -EINVAL);
	assert_null(dev);
}

static void test_open_fd_rejects_a_closed_fd(void **state)
{
	struct ncgpu_device *dev = NULL;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(ncgpu_device_open_fd(fds[0], 0, &dev), -EBADF);
	assert_null(dev);
}

/* A file that is no DRM device is refused, and stays open even if offered. */
static void test_open_fd_rejects_a_file_that_is_no_ncgpu_device(void **state)
{
	struct ncgpu_device *dev = NULL;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ncgpu_device_open_fd(fd, 0, &dev), -ENODEV);
	assert_int_equal(ncgpu_device_open_fd(fd, NCGPU_DEVICE_OWNS_FD, &dev), -ENODEV);
	assert_null(dev);
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);
}

/* Closes a device made on a pipe's read end; says whether that end is still open. */
static bool pipe_open_after_close(bool owns_fd)
{
	struct ncgpu_device_info info = { .sync_granule = 64, .max_sync_ops = 16 };
	struct ncgpu_device *dev;
	bool still_open;
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	dev = ncgpu_device_new(fds[0], &info);
	assert_non_null(dev);
	dev->owns_fd = owns_fd;
	ncgpu_device_close(dev);
	still_open = fcntl(fds[0], F_GETFD) >= 0;
	if (still_open)
		close(fds[0]);
	close(fds[1]);
	return still_open;
}

static void test_close_leaves_a_borrowed_fd_open(void **state)
{
	(void)state;
	assert_true(pipe_open_after_close(false));
}

static void test_close_closes_an_owned_fd(void **state)
{
	(void)state;
	assert_false(pipe_open_after_close(true));
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

#define STRERROR_CASE(test_name, ...)						\
	{ .name = #test_name, .test_func = test_strerror_case,			\
	  .initial_state = &(struct strerror_case){ __VA_ARGS__ } }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exported_symbols_equal_the_symbol_list),
		cmocka_unit_test(test_static_library_globals_equal_the_symbol_list),
		STRERROR_CASE(test_strerror_explains_missing_device,
			      -ENODEV, "no ncgpu device found (is the ncgpu module loaded?)", false),
		STRERROR_CASE(test_strerror_explains_invalid_range,
			      -EINVAL, "range beyond its buffer", true),
		STRERROR_CASE(test_strerror_explains_size_limit,
			      -E2BIG, "size above the device's limit", false),
		cmocka_unit_test(test_strerror_accepts_positive_errno),
		STRERROR_CASE(test_strerror_of_unknown_code_is_unknown_error,
			      -4242, "unknown error", false),
		STRERROR_CASE(test_strerror_of_int32_min_is_unknown_error,
			      INT32_MIN, "unknown error", false),
		STRERROR_CASE(test_strerror_falls_back_to_the_c_library,
			      -ENOSPC, "No space left on device", false),
		STRERROR_CASE(test_strerror_of_positive_errno_falls_back_to_the_c_library,
			      EROFS, "Read-only file system", false),
		cmocka_unit_test(test_open_fd_rejects_unknown_flags),
		cmocka_unit_test(test_open_fd_rejects_a_closed_fd),
		cmocka_unit_test(test_open_fd_rejects_a_file_that_is_no_ncgpu_device),
		cmocka_unit_test(test_close_leaves_a_borrowed_fd_open),
		cmocka_unit_test(test_close_closes_an_owned_fd),
		cmocka_unit_test(test_cpu_cache_line_is_a_power_of_two_where_supported),
		cmocka_unit_test(test_cpu_flush_keeps_the_data),
	};

	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
