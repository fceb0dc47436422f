/* SPDX-License-Identifier: MIT */
/*
 * The subcommands of the ncgpu tool. Each takes the arguments from its own
 * name on (argv[0] is "info", "demo", ...) and returns the tool's exit
 * status: 0 ok, 1 failure, 2 no device, 64 bad arguments.
 */
#ifndef NCGPU_TOOL_COMMANDS_H
#define NCGPU_TOOL_COMMANDS_H

int ncgpu_cmd_info(int argc, char **argv);
int ncgpu_cmd_demo(int argc, char **argv);
int ncgpu_cmd_bench(int argc, char **argv);

#endif /* NCGPU_TOOL_COMMANDS_H */
