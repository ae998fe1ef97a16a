/* SPDX-License-Identifier: BSD-2-Clause */
/* What `pkteng suite` and `pkteng bench` (the loopback suite) share on the command line. */
#ifndef PKTENG_TOOLS_SUITE_CLI_H
#define PKTENG_TOOLS_SUITE_CLI_H

struct pe_suite;
struct pe_suite_bin;

/* Adds --bin [NAME=]PATH to bins. 0, or PE_EXIT_USAGE after the one-line error. */
int pe_suite_cli_bin(const char *arg, struct pe_suite_bin *bins, unsigned *n);
/* Runs a planned suite into out_dir (NULL: no directory), stops after the current run on
 * Ctrl-C, prints the table of medians; `who` prefixes the errors. Returns the exit code. */
int pe_suite_cli_run(struct pe_suite *s, const char *out_dir, const char *who);

#endif
