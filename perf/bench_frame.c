/* SPDX-License-Identifier: BSD-2-Clause */
/* Cost per frame of varying a template (IPv4 src, UDP ports, an 8-byte sequence stamp and
 * the FCS, as the injector does) against building the same frame from scratch, at 64 and
 * 1518 bytes. Each benchmark first checks its frame equals a rebuild and parses clean.
 * Select with --benchmark_filter=frame */
#include <arpa/inet.h>
#include <string.h>

#include "perf/microbench.h"
#include "raw/frame.h"

static struct pe_frame_tmpl tmpl, ref;

static void opts_for(struct pe_frame_opts *o, size_t size, uint32_t i)
{
	pe_frame_opts_default(o);
	o->size_bytes = size;
	o->payload.kind = PE_FRAME_PAYLOAD_INC;
	o->fcs = true;
	o->src_ip.v4.s_addr = htonl(0xc6120000u | (i & 0xffff));
	o->sport = (uint16_t)(1024 + (i & 0x3fff));
	o->dport = (uint16_t)(i >> 3);
}

/* The template path for frame i: three setters and the FCS. */
static void vary(uint32_t i)
{
	struct in_addr a = { .s_addr = htonl(0xc6120000u | (i & 0xffff)) };

	pe_frame_set_ipv4_src(&tmpl, a);
	pe_frame_set_ports(&tmpl, (uint16_t)(1024 + (i & 0x3fff)), (uint16_t)(i >> 3));
	pe_frame_stamp_seq(&tmpl, 0, i);
	pe_frame_finish_fcs(&tmpl);
}

/* The scratch path for frame i: options, a full build (checksums, FCS), the stamp. */
static void build(uint32_t i, size_t size)
{
	struct pe_frame_opts o;

	opts_for(&o, size, i);
	pe_frame_build(&ref, &o);
	pe_frame_stamp_seq(&ref, 0, i);
	pe_frame_finish_fcs(&ref);
}

static bool check(struct pe_bench *b, size_t size)
{
	struct pe_frame_opts o;
	struct pe_frame_info fi;

	opts_for(&o, size, 0);
	if (pe_frame_build(&tmpl, &o)) {
		pe_bench_fail(b, "pe_frame_build failed");
		return false;
	}
	for (uint32_t i = 1; i < 5000; i += 997) {
		vary(i);
		build(i, size);
		if (tmpl.len != ref.len || memcmp(tmpl.buf, ref.buf, tmpl.len) ||
		    pe_frame_validate(tmpl.buf, tmpl.len, PE_FRAME_PARSE_FCS, &fi) != PE_FRAME_OK) {
			pe_bench_fail(b, "varied template differs from a rebuild");
			return false;
		}
	}
	return true;
}

static void frame_vary_template(struct pe_bench *b)
{
	size_t size = (size_t)pe_bench_arg(b);
	uint32_t i = 0;

	if (!check(b, size))
		return;
	while (pe_bench_running(b)) {
		vary(++i);
		pe_bench_use(tmpl.buf);
	}
	pe_bench_items_per_iter(b, 1);
	pe_bench_bytes_per_iter(b, (int64_t)tmpl.len);
}
PE_BENCH_ARGS(frame_vary_template, 64, 1518);

static void frame_build_scratch(struct pe_bench *b)
{
	size_t size = (size_t)pe_bench_arg(b);
	uint32_t i = 0;

	if (!check(b, size))
		return;
	while (pe_bench_running(b)) {
		build(++i, size);
		pe_bench_use(ref.buf);
	}
	pe_bench_items_per_iter(b, 1);
	pe_bench_bytes_per_iter(b, (int64_t)ref.len);
}
PE_BENCH_ARGS(frame_build_scratch, 64, 1518);

/* Without the FCS (the NIC adds it): what the checksum arithmetic alone costs. */
static void frame_vary_template_nofcs(struct pe_bench *b)
{
	size_t size = (size_t)pe_bench_arg(b);
	struct pe_frame_opts o;
	uint32_t i = 0;

	if (!check(b, size))
		return;
	opts_for(&o, size, 0);
	o.fcs = false;
	pe_frame_build(&tmpl, &o);
	while (pe_bench_running(b)) {
		struct in_addr a = { .s_addr = htonl(0xc6120000u | (++i & 0xffff)) };

		pe_frame_set_ipv4_src(&tmpl, a);
		pe_frame_set_ports(&tmpl, (uint16_t)(1024 + (i & 0x3fff)), (uint16_t)(i >> 3));
		pe_frame_stamp_seq(&tmpl, 0, i);
		pe_bench_use(tmpl.buf);
	}
	pe_bench_items_per_iter(b, 1);
}
PE_BENCH_ARGS(frame_vary_template_nofcs, 64, 1518);

/* IMIX-style size change per frame (64, 570, 1518 rotating) plus the stamp and the FCS. */
static void frame_vary_size_imix(struct pe_bench *b)
{
	static const uint16_t sizes[3] = { 64, 570, 1518 };
	struct pe_frame_opts o;
	uint32_t i = 0;

	opts_for(&o, 64, 0);
	pe_frame_build(&tmpl, &o);
	for (int k = 0; k < 6; k++) { /* each size, twice: equal to a rebuild at that size */
		opts_for(&o, sizes[k % 3], 0);
		pe_frame_build(&ref, &o);
		pe_frame_stamp_seq(&ref, 0, k);
		pe_frame_finish_fcs(&ref);
		pe_frame_set_size(&tmpl, sizes[k % 3]);
		pe_frame_stamp_seq(&tmpl, 0, k);
		pe_frame_finish_fcs(&tmpl);
		if (tmpl.len != ref.len || memcmp(tmpl.buf, ref.buf, tmpl.len)) {
			pe_bench_fail(b, "resized template differs from a rebuild");
			return;
		}
	}
	while (pe_bench_running(b)) {
		pe_frame_set_size(&tmpl, sizes[++i % 3]);
		pe_frame_stamp_seq(&tmpl, 0, i);
		pe_frame_finish_fcs(&tmpl);
		pe_bench_use(tmpl.buf);
	}
	pe_bench_items_per_iter(b, 1);
}
PE_BENCH(frame_vary_size_imix);
