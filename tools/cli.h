/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared pieces of the `pkteng` command line: the subcommand contract, exit codes, one-line
 * errors and strict number parsing. Subcommands live in cmd_NAME.c and export pe_cmd_NAME. */
#ifndef PKTENG_TOOLS_CLI_H
#define PKTENG_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	PE_EXIT_OK = 0,
	PE_EXIT_FAIL = 1,  /* the run failed: I/O error, peer gone, kernel refused */
	PE_EXIT_USAGE = 2, /* bad arguments: nothing was done */
};

struct pe_cmd {
	const char *name;    /* as typed: "frame" */
	const char *summary; /* one line for `pkteng --help` */
	/* argv[0] is "pkteng NAME", so getopt's own messages name the subcommand. Returns an
	 * exit code from the enum above. */
	int (*run)(int argc, char **argv);
};

/* Prints "pkteng: " + message + "\n" on stderr; returns PE_EXIT_USAGE or PE_EXIT_FAIL so a
 * caller can `return pe_usage("...")`. Messages name the bad thing: "--dev eth9: no such interface". */
int pe_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int pe_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict unsigned parse of a whole string in [min, max]; accepts decimal and 0x hex.
 * Returns 0, or -EINVAL (not a number, trailing junk) / -ERANGE (out of range). */
int pe_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Like pe_parse_u64 but accepts a K/M/G (x1000) or Ki/Mi/Gi (x1024) suffix: "64K", "1Gi". */
int pe_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A non-negative decimal number of seconds ("10", "0.5") in [min_s, max_s]. */
int pe_parse_seconds(const char *s, double min_s, double max_s, double *out);
/* A time as "SECONDS[.FRACTION]" since 1970 ("1765000000.25", up to nine decimals) into ns:
 * --start-at. Returns 0, or -EINVAL (not such a number, before 2001 or after 2255). */
int pe_parse_unix_ns(const char *s, uint64_t *out);

/* Runs handler on SIGINT and SIGTERM, without SA_RESTART so a blocked call returns EINTR
 * and the caller sees its stop flag. */
void pe_cli_on_stop(void (*handler)(int));

/* Raises the soft open-file limit to the hard one (a server holding many connections; the
 * caps of pe_server and pe_registry are then fitted to it). Best effort. */
void pe_cli_raise_nofile(void);

/* Handles -h/--help and the '?' getopt result in one place: prints `usage` and returns
 * PE_EXIT_OK for help, PE_EXIT_USAGE for '?' (getopt has already printed the one line). */
int pe_cli_help(const char *usage, bool is_error);

#endif
