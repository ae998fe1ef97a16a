/* SPDX-License-Identifier: BSD-2-Clause */
/* The `pkteng` command: finds the subcommand and hands it argv, in the style of `ip` and
 * `bpftool`. The table is generated at build time from the cmd_*.c files. */
#include <stdio.h>
#include <string.h>

#include "tools/cli.h"
#include "tools/version.h"

#define PE_CMD(n) extern const struct pe_cmd pe_cmd_##n;
#include "commands.def"
#undef PE_CMD

static const struct pe_cmd *const cmds[] = {
#define PE_CMD(n) &pe_cmd_##n,
#include "commands.def"
#undef PE_CMD
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: pkteng [--version] [--help] COMMAND [ARGS]\n\n"
		   "A packet engine for Linux: frames, injection, capture, offloads, TCP/UDP\n"
		   "benchmarks on io_uring and epoll, and an XDP frame counter.\n\nCommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i]->name, cmds[i]->summary);
	fprintf(f,
		"\n'pkteng COMMAND --help' describes a command's options. In every command -i is\n"
		"the report interval in seconds (iperf3's -i); an interface is --dev (tcpdump's "
		"-i).\n");
}

static const struct pe_cmd *find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i]->name, name))
			return cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct pe_cmd *cmd;
	char prog[64];

	if (argc < 2) {
		usage(stderr);
		return PE_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && (cmd = find(argv[2]))) {
			char *hargv[] = { prog, "--help", NULL };

			snprintf(prog, sizeof(prog), "pkteng %s", cmd->name);
			return cmd->run(2, hargv);
		}
		usage(stdout);
		return PE_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		pe_print_version(stdout);
		return PE_EXIT_OK;
	}
	cmd = find(argv[1]);
	if (!cmd)
		return pe_usage("'%s' is not a command; 'pkteng --help' lists them", argv[1]);
	snprintf(prog, sizeof(prog), "pkteng %s", cmd->name);
	argv[1] = prog;
	return cmd->run(argc - 1, argv + 1);
}
