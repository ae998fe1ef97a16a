/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared pieces of the `pkteng` command line: the subcommand contract, exit codes, one-line
 * errors and strict number parsing. Subcommands live in cmd_NAME.c and export pe_cmd_NAME. */
#ifndef PKTENG_TOOLS_CLI_H
#define PKTENG_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
/* A decimal size in bytes with an optional suffix, binary as in iperf3: K, M, G, T (or k, m,
 * g, t, or Ki, Mi, Gi, Ti) multiply by 2^10, 2^20, 2^30, 2^40: "128K" is 131072. Returns 0,
 * -EINVAL (not a number, unknown suffix) or -ERANGE (overflow, outside [min, max]). */
int pe_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A decimal rate with an optional decimal suffix: K, M, G, T (or k, m, g, t) multiply by
 * 10^3, 10^6, 10^9, 10^12: "1G" is 1000000000. Returns as pe_parse_size. */
int pe_parse_rate(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A non-negative decimal number of seconds ("10", "0.5") in [min_s, max_s]. */
int pe_parse_seconds(const char *s, double min_s, double max_s, double *out);
/* A time as "SECONDS[.FRACTION]" since 1970 ("1765000000.25", up to nine decimals) into ns:
 * --start-at. Returns 0, or -EINVAL (not such a number, before 2001 or after 2255). */
int pe_parse_unix_ns(const char *s, uint64_t *out);

/* --connect-timeout and --idle-timeout: seconds (0.001..86400, "2.5") into milliseconds. Returns
 * 0, -EINVAL or -ERANGE. */
int pe_parse_timeout(const char *s, int *out_ms);

/* Output file arguments: "-" is standard output. pe_out_check checks another path before the
 * work starts (its directory exists and may be written, it is not a directory): 0 or -errno.
 * pe_out_open returns stdout for "-", else fopen(path, "we") (NULL and errno); pe_out_close
 * flushes stdout or closes the file: 0 or -errno. */
int pe_out_check(const char *path);
FILE *pe_out_open(const char *path);
int pe_out_close(FILE *f);
static inline bool pe_out_is_stdout(const char *path)
{
	return path && path[0] == '-' && !path[1];
}

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
