/* SPDX-License-Identifier: BSD-2-Clause */
/* The frames `pkteng inject` builds from the frame flags: --vary parsed into a pe_varier,
 * checked against the template (with --imix), and the largest frame it leads to, for the TX
 * ring's slots and the MTU. */
#ifndef PKTENG_TOOLS_INJECT_VARY_H
#define PKTENG_TOOLS_INJECT_VARY_H

#include <stdbool.h>
#include <stddef.h>

#include "raw/frame.h"
#include "raw/packet.h"

/* Adds the FIELD=LO-HI items of one --vary argument (separated by ',') to vr. Returns 0, or
 * PE_EXIT_USAGE after the one-line error (unknown field, bad range, more than vr holds). */
int pe_inject_vary_parse(struct pe_varier *vr, const char *arg);
/* Checks that every variation fits the frames of t before anything is sent: sizes within
 * the headers' range, fields the frames have, room for IMIX's 1518 bytes. Returns 0, or
 * PE_EXIT_USAGE after the one-line error. */
int pe_inject_vary_check(const struct pe_varier *vr, const struct pe_frame_tmpl *t);
/* The most bytes one frame of t takes in a send buffer once varied. */
unsigned pe_inject_vary_frame_max(const struct pe_varier *vr, const struct pe_frame_tmpl *t);
/* Checks the largest varied frame of t against what tx's device takes (pe_tx_limit(): MTU +
 * header, + 4 only for a frame whose outer tag is 802.1Q, + 4 for an SO_NOFCS FCS), counting
 * the bytes handed to the kernel: the FCS only when it is in the frame (fcs). Returns 0, or
 * PE_EXIT_USAGE after the one-line error naming the frame's size, outer tag and the limit. */
int pe_inject_vary_check_len(const struct pe_varier *vr, const struct pe_frame_tmpl *t, bool fcs,
			     const struct pe_tx *tx, const char *dev);
/* "above what DEV accepts: N bytes (MTU M + 14-byte header[ + one 802.1Q tag]...)" into buf:
 * the tail of the messages of both length checks. */
void pe_inject_limit_text(char *buf, size_t cap, const char *dev, const struct pe_tx_limit *l);

#endif
