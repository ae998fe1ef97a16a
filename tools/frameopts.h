/* SPDX-License-Identifier: BSD-2-Clause */
/* The frame flags of the commands that build frames (`pkteng frame`, `pkteng inject`):
 * --src-mac ... --fcs parsed into a struct pe_frame_opts and built, with one set of messages
 * and one block of help lines for both. */
#ifndef PKTENG_TOOLS_FRAMEOPTS_H
#define PKTENG_TOOLS_FRAMEOPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "raw/frame.h"

/* getopt_long values of the frame flags: a command keeps its own below this. */
#define PE_FRAMEOPT_BASE 1000

struct pe_frameopts {
	struct pe_frame_opts o; /* the result, after pe_frameopts_build() */
	const char *src_ip, *dst_ip, *proto, *size, *ethertype;
	bool have_vlan, have_qinq, have_ports, have_tcp_flags, have_payload;
	struct pe_frame_vlan inner, outer;
	uint8_t *hex_payload; /* malloc'd; pe_frameopts_free() */
	size_t hex_len;
};

/* The long options (terminated by a zero entry), to copy into a command's table. */
extern const struct option pe_frameopts_long[];
/* How many they are, without the zero entry. */
#define PE_FRAMEOPTS_N 18
/* The help lines of the frame flags ("Frame flags:" and one line a flag or pair), to print
 * after a command's own usage text. */
extern const char pe_frameopts_usage[];

/* Copies a command's own n long options, then the frame flags and the zero entry, into out
 * (n + PE_FRAMEOPTS_N + 1 entries). */
void pe_frameopts_table(struct option *out, const struct option *own, size_t n);
/* For getopt's 'h' and '?': frees f; for help prints usage then pe_frameopts_usage on stdout
 * and returns PE_EXIT_OK, for an error returns PE_EXIT_USAGE (getopt printed the line). */
int pe_frameopts_help(struct pe_frameopts *f, const char *usage, bool is_error);

void pe_frameopts_init(struct pe_frameopts *f);
/* Handles one getopt_long result. Returns 0 when taken, -1 when c is not a frame flag, or
 * PE_EXIT_USAGE (PE_EXIT_FAIL when out of memory) after printing the one-line error. */
int pe_frameopts_handle(struct pe_frameopts *f, int c, const char *arg);
/* Checks the combination (families of the addresses, a lone IPv6 address defaulting the
 * other side to 2001:2::1 or 2001:2::2, --proto against ports/flags/IPs, --size against the
 * headers) and builds the template into t. Returns 0 or PE_EXIT_USAGE. */
int pe_frameopts_build(struct pe_frameopts *f, struct pe_frame_tmpl *t);
void pe_frameopts_free(struct pe_frameopts *f);

#endif
