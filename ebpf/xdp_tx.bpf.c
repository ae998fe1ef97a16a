/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The XDP transmitter behind `pkteng inject --method xdp`: run through BPF_PROG_RUN in live
 * frame mode, the kernel hands it a page holding the frame per repetition and sends what it
 * returns XDP_TX for out of the interface given as ingress. The kernel fills a page with the
 * frame only once and recycles it, and whoever received the frame may have changed it (a veth
 * peer's stack pops VLAN tags in place), so the program writes the whole template into every
 * frame, then stamps its 64-bit big-endian sequence number and fixes the L4 checksum for it.
 * The loader is xmit.c. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "ebpf/xdp_tx.h"

/* Set by the loader before load (skeleton .rodata): the template and its length, then offsets
 * from the frame's first byte, where 0 turns a step off. */
const volatile __u8 pe_frame[PE_XDP_TX_LEN_MAX] __attribute__((aligned(8))) = { 0 };
const volatile __u32 pe_len = 0;
const volatile __u32 pe_seq_off = 0;  /* where the sequence number goes */
const volatile __u32 pe_csum_off = 0; /* the L4 checksum field */
const volatile __u32 pe_csum0 = 0;    /* that field in the template, whose sequence number is 0 */
const volatile __u32 pe_csum_udp = 0; /* UDP: a sum of 0 goes out as 0xffff */

/* The next frame's sequence number. One BPF_PROG_RUN at a time uses a loaded program, so no
 * other CPU touches it while a run is going; the loader reads it between runs. */
__u64 pe_seq_next = 0;

static __always_inline __u32 fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	return (s & 0xffff) + (s >> 16);
}

SEC("xdp")
int pe_xdp_tx(struct xdp_md *ctx)
{
	__u8 *data = (__u8 *)(long)ctx->data, *end = (__u8 *)(long)ctx->data_end;
	__u64 seq = pe_seq_next++;
	__u32 len = pe_len, off = pe_seq_off & 0xfff, coff = pe_csum_off & 0xfff, sum;
	__u8 *p, *c;

	if (!len || len > sizeof(pe_frame) || data + len > end)
		return XDP_ABORTED;
	/* 8 bytes a store: for a short frame this costs less than bpf_xdp_store_bytes() */
	for (__u32 i = 0; i < len / 8; i++)
		((__u64 *)data)[i] = ((const volatile __u64 *)pe_frame)[i];
	for (__u32 i = len & ~7u; i < len; i++)
		data[i] = pe_frame[i];
	if (!off)
		return XDP_TX;
	p = data + off;
	if (p + 8 > end)
		return XDP_ABORTED;
	for (int i = 0; i < 8; i++)
		p[i] = (__u8)(seq >> (56 - 8 * i));
	if (!coff)
		return XDP_TX;
	c = data + coff;
	if (c + 2 > end)
		return XDP_ABORTED;
	/* RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'): m, the template's eight bytes, are zeros, so
	 * each ~m is 0xffff; m' is the sequence number as four 16-bit words. An odd offset puts
	 * its bytes in the other halves of the checksum's words. */
	sum = fold((seq >> 48) + ((seq >> 32) & 0xffff) + ((seq >> 16) & 0xffff) + (seq & 0xffff));
	if (off & 1)
		sum = ((sum << 8) | (sum >> 8)) & 0xffff;
	sum = fold((~pe_csum0 & 0xffff) + 4 * 0xffff + sum);
	sum = ~sum & 0xffff;
	if (pe_csum_udp && !sum)
		sum = 0xffff;
	c[0] = (__u8)(sum >> 8);
	c[1] = (__u8)sum;
	return XDP_TX;
}

char _license[] SEC("license") = "Dual BSD/GPL";
