/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* What the XDP transmitter (xdp_tx.bpf.c) and its loader (xmit.c) agree on. Included by BPF
 * and user-space code, so it needs no header. */
#ifndef PKTENG_EBPF_XDP_TX_H
#define PKTENG_EBPF_XDP_TX_H

#define PE_XDP_TX_BATCH_MAX 64	 /* the kernel's limit on frames per batch (NAPI_POLL_WEIGHT) */
#define PE_XDP_TX_LEN_MAX   3000 /* what fits a page next to the XDP headroom, rounded down */

#endif
