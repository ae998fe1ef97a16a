/* SPDX-License-Identifier: BSD-2-Clause */
/* The XDP transmitter's loader (xmit.h): loads xdp_tx.bpf.c through its skeleton with the
 * frame's offsets in .rodata and runs it with BPF_F_TEST_XDP_LIVE_FRAMES. Built only with
 * PKTENG_HAVE_XDP. */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ebpf/xmit.h"
#include "xdp_tx.skel.h"

struct pe_xdp_tx {
	struct pe_xdp_tx_bpf *skel;
	struct xdp_md ctx;
	uint32_t batch, len;
	uint8_t frame[];
};

static bool debug;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!debug || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

struct pe_xdp_tx *pe_xdp_tx_open(const struct pe_xdp_tx_opts *o)
{
	struct pe_xdp_tx *x;
	int err;

	if (!o || o->sz < sizeof(*o) || !o->frame || o->ifindex <= 0 ||
	    o->batch > PE_XDP_TX_BATCH_MAX || (o->seq_off && o->seq_off + 8 > o->len) ||
	    (o->csum_off && (!o->seq_off || o->csum_off + 2 > o->len))) {
		errno = EINVAL;
		return NULL;
	}
	if (o->len < ETH_HLEN || o->len > PE_XDP_TX_LEN_MAX) {
		errno = EMSGSIZE;
		return NULL;
	}
	debug = o->debug;
	libbpf_set_print(print_libbpf);
	x = calloc(1, sizeof(*x) + o->len);
	if (!x)
		return NULL;
	memcpy(x->frame, o->frame, o->len);
	x->len = o->len;
	x->batch = o->batch ? o->batch : PE_XDP_TX_BATCH_MAX;
	x->ctx.data_end = o->len;
	x->ctx.ingress_ifindex = (__u32)o->ifindex;
	x->skel = pe_xdp_tx_bpf__open();
	if (!x->skel) {
		err = errno;
		goto fail;
	}
	memcpy((void *)x->skel->rodata->pe_frame, o->frame, o->len);
	x->skel->rodata->pe_len = o->len;
	x->skel->rodata->pe_seq_off = o->seq_off;
	if (o->csum_off) {
		const uint8_t *c = x->frame + o->csum_off;

		x->skel->rodata->pe_csum_off = o->csum_off;
		x->skel->rodata->pe_csum0 = (uint32_t)c[0] << 8 | c[1];
		x->skel->rodata->pe_csum_udp = o->csum_udp;
	}
	err = -pe_xdp_tx_bpf__load(x->skel);
	if (err)
		goto fail;
	return x;
fail:
	pe_xdp_tx_bpf__destroy(x->skel);
	free(x);
	errno = err;
	return NULL;
}

void pe_xdp_tx_close(struct pe_xdp_tx *x)
{
	if (!x)
		return;
	pe_xdp_tx_bpf__destroy(x->skel);
	free(x);
}

long pe_xdp_tx_run(struct pe_xdp_tx *x, uint32_t n)
{
	uint64_t before;
	int err;

	if (!x || !n)
		return -EINVAL;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = x->frame, .data_size_in = x->len,
		    .ctx_in = &x->ctx, .ctx_size_in = sizeof(x->ctx), .repeat = n,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = x->batch);
	before = x->skel->bss->pe_seq_next;
	err = bpf_prog_test_run_opts(bpf_program__fd(x->skel->progs.pe_xdp_tx), &o);
	/* The program counts the frames it ran on: a signal stops the run between batches. */
	if (err && err != -EINTR)
		return err;
	return (long)(x->skel->bss->pe_seq_next - before);
}

int pe_xdp_tx_peek(struct pe_xdp_tx *x, uint64_t seq, uint8_t *out, uint32_t len)
{
	uint64_t saved;
	int err;

	if (!x || !out || len != x->len)
		return -EINVAL;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = x->frame, .data_size_in = x->len,
		    .data_out = out, .data_size_out = len, .repeat = 1);
	saved = x->skel->bss->pe_seq_next;
	x->skel->bss->pe_seq_next = seq;
	err = bpf_prog_test_run_opts(bpf_program__fd(x->skel->progs.pe_xdp_tx), &o);
	x->skel->bss->pe_seq_next = saved;
	if (err)
		return err;
	return o.retval == XDP_TX && o.data_size_out == len ? 0 : -EPROTO;
}

uint64_t pe_xdp_tx_count(const struct pe_xdp_tx *x)
{
	/* the program's counter, which a run on another thread may be moving */
	return x ? __atomic_load_n(&x->skel->bss->pe_seq_next, __ATOMIC_RELAXED) : 0;
}
