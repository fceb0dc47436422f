// SPDX-License-Identifier: MIT
/*
 * The ncgpu command line tool, run as a user runs it: each test forks and
 * execs /bin/ncgpu (NCGPU_TOOL overrides the path), then checks its exit
 * status and what it printed. Also runs the README's libncgpu example.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ncgpu_job_test.h"
#include "ncgpu_test.h"

#define DEFAULT_TOOL "/bin/ncgpu"
#define README_EXAMPLE "/bin/readme_example"
#define MAX_ARGS 8
#define OUTPUT_MAX (64 * 1024)

enum {
	EXIT_NO_DEVICE = 2,
	EXIT_USAGE = 64,
};

/* What one run of a program did. */
struct tool_run {
	int status;
	char out[OUTPUT_MAX];
	char err[OUTPUT_MAX];
};

static const char *tool_path(void)
{
	const char *path = getenv("NCGPU_TOOL");

	return path && *path ? path : DEFAULT_TOOL;
}

/* Reads what a child wrote into @fd, from the start, as a string. */
static void slurp(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * Hides every DRM node from the calling process, as if no DRM driver were
 * loaded: a private mount namespace with an empty /dev/dri.
 */
static int hide_dri_nodes(void)
{
	if (access("/dev/dri", F_OK) && errno == ENOENT)
		return 0;
	if (unshare(CLONE_NEWNS))
		return -errno;
	/* Keep the empty /dev/dri from propagating back to the test's namespace. */
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (mount("tmpfs", "/dev/dri", "tmpfs", 0, NULL))
		return -errno;
	return 0;
}

static void exec_child(char *const argv[], int out, int err, bool hide_dri)
{
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	if (hide_dri && hide_dri_nodes()) {
		perror("hiding /dev/dri");
		_exit(127);
	}
	execv(argv[0], argv);
	perror(argv[0]);
	_exit(127);
}

static int temp_file(void)
{
	char path[] = "/tmp/tool_test.XXXXXX";
	int fd = mkstemp(path);

	if (fd >= 0)
		unlink(path);
	return fd;
}

/* Runs @argv (NULL-terminated) with stdin from /dev/null; returns 0 or -errno. */
static int run_program(char *const argv[], bool hide_dri, struct tool_run *run)
{
	int out = temp_file(), err = temp_file(), status;
	pid_t pid;

	if (out < 0 || err < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		exec_child(argv, out, err, hide_dri);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	run->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	slurp(out, run->out, sizeof(run->out));
	slurp(err, run->err, sizeof(run->err));
	return 0;
}

/* Runs the tool with the space-separated arguments @args. */
static int run_tool(const char *args, bool hide_dri, struct tool_run *run)
{
	char copy[256], *argv[MAX_ARGS + 2], *save = NULL, *word;
	int argc = 0;

	snprintf(copy, sizeof(copy), "%s", args);
	argv[argc++] = (char *)tool_path();
	for (word = strtok_r(copy, " ", &save); word && argc <= MAX_ARGS;
	     word = strtok_r(NULL, " ", &save))
		argv[argc++] = word;
	argv[argc] = NULL;
	return run_program(argv, hide_dri, run);
}

/* Shows what the program printed, as diagnostics of the next verdict. */
static void show_output(const char *what, const struct tool_run *run)
{
	const char *line = run->out;

	fprintf(stderr, "# %s exited with status %d; stdout:\n", what, run->status);
	while (*line) {
		int len = strcspn(line, "\n");

		fprintf(stderr, "#   %.*s\n", len, line);
		line += len + (line[len] == '\n');
	}
	fprintf(stderr, "# stderr: %s\n", run->err);
}

/* The number after "@label" at the start of a line of @text, or -1. */
static long labelled_number(const char *text, const char *label)
{
	const char *p = text;
	size_t len = strlen(label);

	while (p && *p) {
		if (!strncmp(p, label, len))
			return strtol(p + len, NULL, 10);
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return -1;
}

static struct tool_run *new_run(void)
{
	return calloc(1, sizeof(struct tool_run));
}

/* Runs the tool; the test fails unless it exits with @status. */
#define EXPECT_TOOL_STATUS(run, args, hide_dri, status_) do { \
	ASSERT_EQ(0, run_tool(args, hide_dri, run)); \
	if ((run)->status != (status_)) \
		show_output("ncgpu " args, run); \
	EXPECT_EQ(status_, (run)->status) TH_LOG("ncgpu %s", args); \
} while (0)

TEST(help_exits_0)
{
	static const char *const commands[] = { "--help", "help", "info --help", "demo --help" };
	struct tool_run *run = new_run();
	unsigned int i;

	ASSERT_NE(NULL, run);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		ASSERT_EQ(0, run_tool(commands[i], false, run));
		EXPECT_EQ(0, run->status) TH_LOG("ncgpu %s", commands[i]);
		EXPECT_NE(NULL, strstr(run->out, "usage: ncgpu")) TH_LOG("ncgpu %s", commands[i]);
	}
	free(run);
}

TEST(bad_arguments_exit_64)
{
	static const char *const commands[] = {
		"", "frobnicate", "info --frobnicate", "demo --frobnicate", "info --device",
		"info extra",
	};
	struct tool_run *run = new_run();
	unsigned int i;

	ASSERT_NE(NULL, run);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		ASSERT_EQ(0, run_tool(commands[i], false, run));
		EXPECT_EQ(EXIT_USAGE, run->status) TH_LOG("ncgpu %s", commands[i]);
		/* The usage follows the complaint, on stderr. */
		EXPECT_NE(NULL, strstr(run->err, "usage: ncgpu")) TH_LOG("ncgpu %s", commands[i]);
	}
	free(run);
}

TEST(not_an_ncgpu_node_exits_2)
{
	struct tool_run *run = new_run();

	ASSERT_NE(NULL, run);
	EXPECT_TOOL_STATUS(run, "info --device /dev/null", false, EXIT_NO_DEVICE);
	EXPECT_NE(NULL, strstr(run->err, "not an ncgpu device"));
	EXPECT_TOOL_STATUS(run, "demo --device=/dev/null", false, EXIT_NO_DEVICE);
	EXPECT_TOOL_STATUS(run, "info --device /dev/dri/no-such-node", false, EXIT_NO_DEVICE);
	free(run);
}

/* With no DRM node at all, as when the module is not loaded. */
TEST(no_device_exits_2)
{
	struct tool_run *run = new_run();

	ASSERT_NE(NULL, run);
	EXPECT_TOOL_STATUS(run, "info", true, EXIT_NO_DEVICE);
	EXPECT_NE(NULL, strstr(run->err, "no ncgpu device found: is the ncgpu module loaded?"))
		TH_LOG("stderr: %s", run->err);
	EXPECT_TOOL_STATUS(run, "demo", true, EXIT_NO_DEVICE);
	free(run);
}

NCGPU_DEVICE_FIXTURE(device)

TEST_F(device, info_reports_the_device)
{
	const char *coherency = self->dev.info.coherency == DRM_NCGPU_COHERENCY_IO ?
				"coherency:      io" : "coherency:      none";
	long job_timeout_ms = ncgpu_module_param_long("job_timeout_ms");
	long max_queued_jobs = ncgpu_module_param_long("max_queued_jobs");
	struct tool_run *run = new_run();

	ASSERT_NE(NULL, run);
	EXPECT_TOOL_STATUS(run, "info", false, 0);
	EXPECT_EQ(self->dev.info.sync_granule, labelled_number(run->out, "sync granule:"));
	EXPECT_EQ(self->dev.info.max_sync_ops, labelled_number(run->out, "max_sync_ops:"));
	EXPECT_EQ(self->dev.info.max_cmds, labelled_number(run->out, "max_cmds:"));
	EXPECT_EQ(self->dev.info.max_submit_syncs, labelled_number(run->out, "max_submit_syncs:"));
	ASSERT_LT(0, job_timeout_ms);
	ASSERT_LT(0, max_queued_jobs);
	EXPECT_EQ(job_timeout_ms, labelled_number(run->out, "job_timeout:"));
	EXPECT_EQ(max_queued_jobs, labelled_number(run->out, "max_queued_jobs:"));
	EXPECT_NE(NULL, strstr(run->out, coherency));
	EXPECT_NE(NULL, strstr(run->out, "device:         /dev/dri/renderD"));
	free(run);
}

TEST_F_TIMEOUT(device, demo_shows_every_step, 180)
{
	bool coherent = self->dev.info.coherency == DRM_NCGPU_COHERENCY_IO;
	struct tool_run *run = new_run();

	ASSERT_NE(NULL, run);
	EXPECT_TOOL_STATUS(run, "demo", false, 0);
	EXPECT_NE(NULL, strstr(run->out, "All 6 steps behaved as expected."));
	EXPECT_EQ(NULL, strstr(run->out, "UNEXPECTED"));
	EXPECT_NE(NULL, strstr(run->out, "after the wait for point 3 it is at point 3"));
	if (coherent) {
		EXPECT_NE(NULL, strstr(run->out, "coherency=io: the device snoops the CPU cache"));
		EXPECT_NE(NULL, strstr(run->out, "export of the cached buffer: dma-buf fd"));
	} else {
		EXPECT_NE(NULL, strstr(run->out, "stale data detected: 4096 of 4096 bytes differ"));
		EXPECT_NE(NULL, strstr(run->out, "export of the cached buffer refused with EINVAL"));
		EXPECT_NE(NULL, strstr(run->out, "export of the write-combined buffer: dma-buf fd"));
	}
	/* A wrong exit status has shown the output already. */
	if (!_metadata->passed && !run->status)
		show_output("ncgpu demo", run);
	free(run);
}

TEST_F(device, readme_example_round_trips)
{
	char *argv[] = { README_EXAMPLE, NULL };
	struct tool_run *run = new_run();

	ASSERT_NE(NULL, run);
	if (access(README_EXAMPLE, X_OK)) {
		free(run);
		SKIP(return, "no %s in this guest", README_EXAMPLE);
	}
	ASSERT_EQ(0, run_program(argv, false, run));
	if (run->status)
		show_output(README_EXAMPLE, run);
	EXPECT_EQ(0, run->status);
	EXPECT_STREQ("hello from the CPU, through the device\n", run->out);
	free(run);
}

TEST_HARNESS_MAIN
