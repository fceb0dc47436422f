// SPDX-License-Identifier: MIT
/*
 * ncgpu - inspect and try out the ncgpu virtual GPU, through libncgpu.
 *
 * This file only dispatches: each subcommand lives in its own file and is
 * declared in commands.h.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tool.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "info", ncgpu_cmd_info },
	{ "demo", ncgpu_cmd_demo },
	{ "bench", ncgpu_cmd_bench },
};

static const char *const main_usage =
	"usage: ncgpu [--help] COMMAND [OPTIONS]\n"
	"\n"
	"Inspect and try out ncgpu, a virtual GPU whose memory is not coherent\n"
	"with the CPU cache.\n"
	"\n"
	"commands:\n"
	"  info    show the device's coherency mode and limits\n"
	"  demo    walk through CPU cache maintenance, step by step\n"
	"  bench   measure the cost of cache maintenance\n"
	"  help    show this help, or 'ncgpu help COMMAND' for a command's\n"
	"\n"
	"Run 'ncgpu COMMAND --help' for the options of a command.\n"
	"\n"
	"exit status: 0 success, 1 failure, 2 no ncgpu device, 64 usage error\n";

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	}
	return NULL;
}

static int unknown_command(const char *name)
{
	fprintf(stderr, "ncgpu: unknown command '%s'\n%s", name, main_usage);
	return TOOL_EXIT_USAGE;
}

/* "ncgpu help COMMAND" is "ncgpu COMMAND --help". */
static int help(int argc, char **argv)
{
	char help_option[] = "--help";
	const struct command *command;
	char *args[3];

	if (argc < 2) {
		fputs(main_usage, stdout);
		return TOOL_EXIT_OK;
	}
	command = find_command(argv[1]);
	if (!command)
		return unknown_command(argv[1]);
	args[0] = argv[1];
	args[1] = help_option;
	args[2] = NULL;
	return command->run(2, args);
}

int main(int argc, char **argv)
{
	const struct command *command;

	if (argc < 2) {
		fputs(main_usage, stderr);
		return TOOL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return help(argc - 1, argv + 1);
	command = find_command(argv[1]);
	if (!command)
		return unknown_command(argv[1]);
	return command->run(argc - 1, argv + 1);
}
