/* The frames `pkteng inject` builds from the frame flags: --vary parsed into a pe_varier,
 * checked against the template (with --imix), and the largest frame it leads to, for the TX
 * ring's slots and the MTU. */
#ifndef PKTENG_TOOLS_INJECT_VARY_H
#define PKTENG_TOOLS_INJECT_VARY_H

#include <stdbool.h>

#include "raw/frame.h"
#include "raw/packet.h"

/* Adds the FIELD=LO-HI items of one --vary argument (separated by ',') to vr. Returns 0, or
 * PE_EXIT_USAGE after the one-line error (unknown field, bad range, more than vr holds). */
int pe_inject_vary_parse(struct pe_varier *vr, const char *arg);
/* Whether frames change size from one to the next (--imix or --vary size=...). */
bool pe_inject_vary_resizes(const struct pe_varier *vr);
/* Checks that every variation fits the frames of t before anything is sent: sizes within
 * the headers' range, fields the frames have, room for IMIX's 1518 bytes. Returns 0, or
 * PE_EXIT_USAGE after the one-line error. */
int pe_inject_vary_check(const struct pe_varier *vr, const struct pe_frame_tmpl *t);
/* The most bytes one frame of t takes in a send buffer once varied. */
unsigned pe_inject_vary_frame_max(const struct pe_varier *vr, const struct pe_frame_tmpl *t);
/* Checks the largest varied frame of t against the MTU of dev: the bytes past the Ethernet
 * header and tags, the FCS counted only when it travels as data (fcs without nofcs).
 * Returns 0, or PE_EXIT_USAGE after the one-line error. */
int pe_inject_vary_check_mtu(const struct pe_varier *vr, const struct pe_frame_tmpl *t, bool fcs,
			     bool nofcs, const char *dev, unsigned mtu);

#endif
