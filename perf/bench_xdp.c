/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-frame cost of the XDP counter through BPF_PROG_TEST_RUN (the kernel runs the program
 * REPEAT times per call), against a peer in the same run: a two-instruction program that only
 * returns XDP_PASS, whose figure is the test-run loop's own cost. bench_xdp_count_own runs both
 * in turn and reports the difference: what the counter adds per frame. Needs root (CAP_BPF).
 * Each benchmark first checks the frame lands in the right class, then times.
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

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* The peer: `r0 = XDP_PASS; exit`, loaded with the bare syscall. Returns its fd, or -1 with
 * *why set. */
static int load_pass_prog(const char **why)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uintptr_t) "GPL";
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0)
		*why = errno == EPERM ? "needs root (CAP_BPF)" : "BPF_PROG_LOAD failed";
	return fd;
}

/* Runs prog fd on the frame `repeat` times; the kernel's mean ns per run in *ns. */
static int pass_run(int fd, const uint8_t *buf, size_t len, uint32_t repeat, uint32_t *verdict,
		    uint32_t *ns)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = fd;
	a.test.data_in = (uintptr_t)buf;
	a.test.data_size_in = (uint32_t)len;
	a.test.repeat = repeat;
	if (sys_bpf(BPF_PROG_TEST_RUN, &a))
		return -errno;
	*verdict = a.test.retval;
	*ns = a.test.duration;
	return 0;
}

/* The timed loop: each iteration test-runs the counter x (when not NULL), then the bare
 * program fd (when >= 0), REPEAT times each; ns[0] and ns[1] get the kernel's mean ns per frame
 * of each over the iterations. 0, or -1 after pe_bench_fail(). */
static int time_runs(struct pe_bench *b, struct pe_xdp *x, int fd, const uint8_t *buf, size_t len,
		     double ns[2])
{
	uint32_t verdict, t;
	long runs = 0;

	ns[0] = ns[1] = 0;
	while (pe_bench_running(b)) {
		if (x && pe_xdp_test_run(x, buf, len, REPEAT, &verdict, &t))
			goto fail;
		ns[0] += x ? t : 0;
		if (fd >= 0 && pass_run(fd, buf, len, REPEAT, &verdict, &t))
			goto fail;
		ns[1] += fd >= 0 ? t : 0;
		runs++;
	}
	pe_bench_items_per_iter(b, REPEAT);
	if (!runs)
		return -1;
	ns[0] /= runs;
	ns[1] /= runs;
	return 0;
fail:
	pe_bench_fail(b, "BPF_PROG_TEST_RUN failed");
	return -1;
}

/* Builds the frame of `kind` into buf, loads the counter and checks that three test runs land
 * in the frame's classes, then labels the benchmark. The counter, or NULL after
 * pe_bench_fail(). */
static struct pe_xdp *count_open(struct pe_bench *b, int kind, uint8_t *buf, size_t *len)
{
	struct pe_xdp_stats s;
	unsigned l3, l4;
	uint32_t verdict = 0;
	struct pe_xdp *x;

	if (bench_frame(kind, buf, len, &l3, &l4)) {
		pe_bench_fail(b, "pe_frame_build failed");
		return NULL;
	}
	x = pe_xdp_open(NULL);
	if (!x) {
		pe_bench_fail(b, errno == EPERM	       ? "needs root (CAP_BPF)"
				 : errno == EOPNOTSUPP ? "built without the XDP counter"
						       : "cannot load the XDP counter");
		return NULL;
	}
	if (pe_xdp_test_run(x, buf, *len, 3, &verdict, NULL) || verdict != XDP_PASS ||
	    pe_xdp_read(x, &s) || s.l3[l3].pkts != 3 || s.l4[l4].pkts != 3 ||
	    s.l3[l3].bytes != 3 * *len || pe_xdp_stats_total(&s).pkts != 3) {
		pe_xdp_close(x);
		pe_bench_fail(b, "the frame was not counted in its class");
		return NULL;
	}
	pe_bench_label(b, kind_name(kind));
	return x;
}

static void bench_xdp_count(struct pe_bench *b)
{
	uint8_t buf[256];
	struct pe_xdp *x;
	double ns[2];
	size_t len;

	x = count_open(b, (int)pe_bench_arg(b), buf, &len);
	if (!x)
		return;
	if (!time_runs(b, x, -1, buf, len, ns))
		pe_bench_counter(b, "kernel_ns_per_frame", ns[0]);
	pe_xdp_close(x);
}
PE_BENCH_ARGS(bench_xdp_count, F_IPV4_UDP, F_QINQ_IPV6_TCP, F_IPV6_4EXT);

static void bench_xdp_pass_peer(struct pe_bench *b)
{
	const char *why = NULL;
	uint8_t buf[256];
	unsigned l3, l4;
	uint32_t verdict = 0, t;
	double ns[2];
	size_t len;
	int fd;

	bench_frame(F_IPV4_UDP, buf, &len, &l3, &l4);
	fd = load_pass_prog(&why);
	if (fd < 0) {
		pe_bench_fail(b, why);
		return;
	}
	if (pass_run(fd, buf, len, 1, &verdict, &t) || verdict != XDP_PASS) {
		close(fd);
		pe_bench_fail(b, "the pass program did not return XDP_PASS");
		return;
	}
	pe_bench_label(b, kind_name(F_IPV4_UDP));
	if (!time_runs(b, NULL, fd, buf, len, ns))
		pe_bench_counter(b, "kernel_ns_per_frame", ns[1]);
	close(fd);
}
PE_BENCH(bench_xdp_pass_peer);

/* The counter's own cost: each iteration test-runs the counter and then the bare program on the
 * same frame, REPEAT times each, so both see the same machine; own_ns_per_frame is the
 * difference of the kernel's means, the time the counter adds to the test-run loop (which the
 * bare program's figure is made of). The wall time covers both programs. */
static void bench_xdp_count_own(struct pe_bench *b)
{
	const char *why = NULL;
	uint8_t buf[256];
	struct pe_xdp *x;
	double ns[2];
	size_t len;
	int fd;

	fd = load_pass_prog(&why);
	if (fd < 0) {
		pe_bench_fail(b, why);
		return;
	}
	x = count_open(b, (int)pe_bench_arg(b), buf, &len);
	if (x && !time_runs(b, x, fd, buf, len, ns)) {
		pe_bench_counter(b, "count_ns_per_frame", ns[0]);
		pe_bench_counter(b, "pass_ns_per_frame", ns[1]);
		pe_bench_counter(b, "own_ns_per_frame", ns[0] - ns[1]);
	}
	pe_xdp_close(x);
	close(fd);
}
PE_BENCH_ARGS(bench_xdp_count_own, F_IPV4_UDP, F_QINQ_IPV6_TCP, F_IPV6_4EXT);
