/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng inject --method xdp`: the frame sent from inside the kernel by the XDP transmitter
 * (ebpf/xmit.h) in one long run on a worker thread, counted against the device's own
 * tx_packets. */
#ifndef PKTENG_TOOLS_INJECT_XDP_H
#define PKTENG_TOOLS_INJECT_XDP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "tools/inject/report.h"

struct pe_inject_xdp {
	const char *dev;
	const uint8_t *frame; /* sequence number 0 stamped at seq_off (0: not stamped) */
	uint16_t len;
	uint32_t seq_off, csum_off;
	bool csum_udp;
	uint64_t count;	   /* 0: until time_s or a stop */
	double time_s;	   /* 0: until count or a stop */
	double interval_s; /* 0: no interval lines */
	unsigned burst;	   /* frames per kernel batch, 1..64 */
	const volatile sig_atomic_t *stop;
	/* --method auto: a kernel or device that takes no XDP frames is not an error. The run
	 * then returns PE_INJECT_XDP_NONE with nothing counted and says why in why. */
	bool fallback;
	char *why;
	size_t why_len;
	/* Called once the device has counted the first frame, before the rest are sent (the
	 * report opens there); a non-zero return is the run's exit code. */
	int (*ready)(void *ctx);
	void *ctx;
};

/* pe_inject_xdp_run's return when .fallback is set and XDP cannot send on this device; its
 * why then starts with PE_INJECT_XDP_NONE_WHY. */
#define PE_INJECT_XDP_NONE     (-1)
#define PE_INJECT_XDP_NONE_WHY "xdp unavailable: "

/* The frame against the device's MTU, as af_packet checks it (pe_if_limit). Returns 0 or an
 * exit code after the one-line error. */
int pe_inject_xdp_check_len(const struct pe_inject_xdp *a);

/* Sends as a.count/a.time_s say and fills tot and secs. tot->frames is what the device
 * counted (tx_packets), never more than was handed to it; frames it did not count are errors.
 * Returns an exit code after a one-line error: no XDP in this build, no privilege, or a device
 * that takes nothing from XDP (a veth whose peer has no NAPI); with .fallback those three
 * return PE_INJECT_XDP_NONE instead, without a line. */
int pe_inject_xdp_run(const struct pe_inject_xdp *a, struct pe_inject_report *rep,
		      struct pe_send_counts *tot, double *secs);

#endif
