/* Per-frame cost of the XDP counter through BPF_PROG_TEST_RUN (the kernel runs the program
 * REPEAT times per call), against a peer in the same run: a two-instruction program that only
 * returns XDP_PASS, so the ratio is the counter's own cost over the test-run loop's. Needs root
 * (CAP_BPF). Each benchmark first checks the frame lands in the right class, then times.
 * Select with --benchmark_filter=xdp */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ebpf/loader.h"
#include "perf/microbench.h"
#include "raw/frame.h"

#define REPEAT 100000

enum { F_IPV4_UDP, F_QINQ_IPV6_TCP, F_IPV6_4EXT };

/* The frame of each benchmark argument, and the classes it must land in. */
static int bench_frame(int kind, uint8_t *buf, size_t *len, unsigned *l3, unsigned *l4)
{
	struct pe_frame_tmpl t;
	struct pe_frame_opts o;
	int i, err;

	pe_frame_opts_default(&o);
	o.l3 = kind == F_IPV4_UDP ? PE_FRAME_L3_IPV4 : PE_FRAME_L3_IPV6;
	o.l4 = kind == F_QINQ_IPV6_TCP ? PE_FRAME_L4_TCP : PE_FRAME_L4_UDP;
	o.n_vlans = kind == F_QINQ_IPV6_TCP ? 2 : 0;
	err = pe_frame_build(&t, &o);
	if (err)
		return err;
	*len = t.len;
	memcpy(buf, pe_frame_data(&t), t.len);
	*l3 = kind == F_IPV4_UDP ? PE_XDP_L3_IPV4 : PE_XDP_L3_IPV6;
	*l4 = kind == F_QINQ_IPV6_TCP ? PE_XDP_L4_TCP : PE_XDP_L4_UDP;
	if (kind == F_IPV6_4EXT) {
		/* four destination-options headers (the parser's limit) between IPv6 and UDP */
		uint8_t *ip6 = buf + t.off_l3, next = ip6[6];

		memmove(ip6 + 40 + 32, ip6 + 40, *len - t.off_l3 - 40);
		ip6[6] = 60;
		for (i = 0; i < 4; i++) {
			memset(ip6 + 40 + 8 * i, 0, 8);
			ip6[40 + 8 * i] = i == 3 ? next : 60;
		}
		*len += 32;
	}
	return 0;
}

static const char *kind_name(int kind)
{
	return kind == F_IPV4_UDP	 ? "ipv4-udp"
	       : kind == F_QINQ_IPV6_TCP ? "qinq-ipv6-tcp"
					 : "ipv6-4ext-udp";
}

static void bench_xdp_count(struct pe_bench *b)
{
	int kind = (int)pe_bench_arg(b);
	struct pe_xdp_stats s;
	uint8_t buf[256];
	unsigned l3, l4;
	uint32_t verdict = 0, ns = 0;
	double kernel_ns = 0;
	struct pe_xdp *x;
	size_t len;
	long runs = 0;

	if (bench_frame(kind, buf, &len, &l3, &l4)) {
		pe_bench_fail(b, "pe_frame_build failed");
		return;
	}
	x = pe_xdp_open(NULL);
	if (!x) {
		pe_bench_fail(b, errno == EPERM	       ? "needs root (CAP_BPF)"
				 : errno == EOPNOTSUPP ? "built without the XDP counter"
						       : "cannot load the XDP counter");
		return;
	}
	if (pe_xdp_test_run(x, buf, len, 3, &verdict, NULL) || verdict != XDP_PASS ||
	    pe_xdp_read(x, &s) || s.l3[l3].pkts != 3 || s.l4[l4].pkts != 3 ||
	    s.l3[l3].bytes != 3 * len || pe_xdp_stats_total(&s).pkts != 3) {
		pe_xdp_close(x);
		pe_bench_fail(b, "the frame was not counted in its class");
		return;
	}
	pe_bench_label(b, kind_name(kind));
	while (pe_bench_running(b)) {
		if (pe_xdp_test_run(x, buf, len, REPEAT, &verdict, &ns)) {
			pe_bench_fail(b, "BPF_PROG_TEST_RUN failed");
			break;
		}
		kernel_ns += ns;
		runs++;
	}
	if (runs)
		pe_bench_counter(b, "kernel_ns_per_frame", kernel_ns / runs);
	pe_bench_items_per_iter(b, REPEAT);
	pe_xdp_close(x);
}
PE_BENCH_ARGS(bench_xdp_count, F_IPV4_UDP, F_QINQ_IPV6_TCP, F_IPV6_4EXT);

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* The peer: `r0 = XDP_PASS; exit`, loaded with the bare syscall. */
static void bench_xdp_pass_peer(struct pe_bench *b)
{
	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS},
		{.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr a;
	uint8_t buf[256];
	unsigned l3, l4;
	double kernel_ns = 0;
	size_t len;
	long runs = 0;
	int fd;

	bench_frame(F_IPV4_UDP, buf, &len, &l3, &l4);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uintptr_t) "GPL";
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0) {
		pe_bench_fail(b, errno == EPERM ? "needs root (CAP_BPF)" : "BPF_PROG_LOAD failed");
		return;
	}
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = fd;
	a.test.data_in = (uintptr_t)buf;
	a.test.data_size_in = (uint32_t)len;
	a.test.repeat = 1;
	if (sys_bpf(BPF_PROG_TEST_RUN, &a) || a.test.retval != XDP_PASS) {
		close(fd);
		pe_bench_fail(b, "the pass program did not return XDP_PASS");
		return;
	}
	pe_bench_label(b, kind_name(F_IPV4_UDP));
	a.test.repeat = REPEAT;
	while (pe_bench_running(b)) {
		if (sys_bpf(BPF_PROG_TEST_RUN, &a)) {
			pe_bench_fail(b, "BPF_PROG_TEST_RUN failed");
			break;
		}
		kernel_ns += a.test.duration;
		runs++;
	}
	if (runs)
		pe_bench_counter(b, "kernel_ns_per_frame", kernel_ns / runs);
	pe_bench_items_per_iter(b, REPEAT);
	close(fd);
}
PE_BENCH(bench_xdp_pass_peer);
