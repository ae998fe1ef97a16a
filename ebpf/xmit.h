/* SPDX-License-Identifier: BSD-2-Clause */
/* The XDP transmitter: sends copies of one frame out of an interface from inside the kernel,
 * running xdp_tx.bpf.c through BPF_PROG_RUN in live frame mode (BPF_F_TEST_XDP_LIVE_FRAMES,
 * kernel 5.18+). There is no socket and no skb on the sending side: the kernel redirects each
 * frame to the device's ndo_xdp_xmit in batches. The program can stamp each frame's sequence
 * number and fix its L4 checksum. A veth only takes such frames while its peer has NAPI on
 * (GRO enabled, or an XDP program attached); without it they are dropped without a count, so
 * callers check the device's tx_packets. All functions return 0 (or a count) on success and a
 * negative errno on failure; built without XDP every call returns -EOPNOTSUPP. */
#ifndef PKTENG_EBPF_XMIT_H
#define PKTENG_EBPF_XMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/xdp_tx.h"

struct pe_xdp_tx_opts {
	size_t sz;	   /* sizeof(struct pe_xdp_tx_opts) */
	int ifindex;	   /* the interface to send on, in the caller's namespace */
	const void *frame; /* the template: 14..PE_XDP_TX_LEN_MAX bytes, copied at open */
	uint32_t len;
	uint32_t seq_off;  /* offset of the 8-byte big-endian sequence number (0: none); the
			       template holds 0 there */
	uint32_t csum_off; /* offset of the L4 checksum covering it (0: none) */
	bool csum_udp;	   /* the checksum is UDP's: a result of 0 is sent as 0xffff */
	uint32_t batch;	   /* frames per batch, 1..PE_XDP_TX_BATCH_MAX; 0: 64 */
	bool debug;	   /* let libbpf's messages through to stderr */
};

struct pe_xdp_tx;

/* Loads the program for this frame. NULL with errno set: EINVAL (bad opts), EMSGSIZE (len out
 * of range), EPERM (needs CAP_BPF and CAP_NET_ADMIN), EOPNOTSUPP (not built with XDP). */
struct pe_xdp_tx *pe_xdp_tx_open(const struct pe_xdp_tx_opts *opts);
void pe_xdp_tx_close(struct pe_xdp_tx *x);

/* Runs the program n times (n >= 1): n frames handed to the device, sequence numbers going on
 * from the last run's. Returns the number handed over, which is n unless a signal cut the run
 * short (then fewer, possibly 0), or -errno: -ENODEV (no such interface), -EOPNOTSUPP (the
 * kernel has no live frame mode)... A signal ends a run between two batches. A run of more
 * than one frame costs an RCU grace period at its end (the kernel's page pool waits for frames
 * still in flight), tens of milliseconds on a VM: send in runs of many frames. */
long pe_xdp_tx_run(struct pe_xdp_tx *x, uint32_t n);

/* Runs the program once on the template without sending anything (BPF_PROG_RUN without live
 * frames), as frame number seq: the frame it would send goes to out (len bytes, the template's
 * length). Leaves the count alone. 0 or -errno. */
int pe_xdp_tx_peek(struct pe_xdp_tx *x, uint64_t seq, uint8_t *out, uint32_t len);

/* Frames handed over so far (the next sequence number). Another thread may call it while a
 * run goes on, to watch the run's progress. */
uint64_t pe_xdp_tx_count(const struct pe_xdp_tx *x);

#endif
