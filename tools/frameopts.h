/* The frame flags shared by the commands that build frames (`pkteng inject`, and `pkteng
 * frame` can move to it): --src-mac ... --fcs parsed into a struct pe_frame_opts and built. */
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
/* Lines for a command's --help. */
extern const char pe_frameopts_usage[];

void pe_frameopts_init(struct pe_frameopts *f);
/* Handles one getopt_long result. Returns 0 when taken, -1 when c is not a frame flag, or
 * PE_EXIT_USAGE after printing the one-line error. */
int pe_frameopts_handle(struct pe_frameopts *f, int c, const char *arg);
/* Checks the combination and builds the template into t. Returns 0 or PE_EXIT_USAGE. */
int pe_frameopts_build(struct pe_frameopts *f, struct pe_frame_tmpl *t);
void pe_frameopts_free(struct pe_frameopts *f);

#endif
