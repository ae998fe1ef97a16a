/* SPDX-License-Identifier: BSD-2-Clause */
/* The frames of `pkteng inject --replay FILE.pcap`: read into memory with their timestamps,
 * and checked against the device's MTU before anything is sent. */
#ifndef PKTENG_TOOLS_INJECT_REPLAY_H
#define PKTENG_TOOLS_INJECT_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raw/packet.h"
#include "raw/sendloop.h"

struct pe_inject_replay {
	struct pe_send_frame *f; /* NULL until loaded; t_ns: the capture's timestamps */
	size_t n;
	bool fcs; /* the file's link type says the frames end with their FCS */
};

/* Reads the frames of the pcap at path into r (zeroed by the caller), skipping records
 * shorter than an Ethernet header or longer than 65535 bytes. Returns 0, or PE_EXIT_USAGE
 * after the one-line error (not a pcap, damaged, no frames, out of memory); r then holds
 * nothing to free. */
int pe_inject_replay_load(struct pe_inject_replay *r, const char *path);
/* The longest frame. */
unsigned pe_inject_replay_frame_max(const struct pe_inject_replay *r);
/* Checks every frame (all its bytes are sent, an FCS the file has included) against what
 * tx's device takes (pe_tx_limit()). Returns 0, or PE_EXIT_USAGE after the one-line error
 * naming the first frame above it (counting from 1), its outer tag and the limit. */
int pe_inject_replay_check_len(const struct pe_inject_replay *r, const char *path,
			       const struct pe_tx *tx, const char *dev);
void pe_inject_replay_free(struct pe_inject_replay *r);

#endif
