/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng inject --method xdp`. The transmitter's program on its own (BPF_PROG_RUN without
 * sending): for every frame kind and sequence numbers that carry across the checksum's words,
 * the frame it would send equals the template stamped and checksummed in full by raw/frame.c.
 * Then in the namespace lab, with GRO on the peer's veth (its NAPI takes XDP frames): N frames
 * of each kind arrive exactly, byte for byte what scapy builds, and the counters on both ends
 * agree with the report; a peer without NAPI gets a one-line error and nothing counted; and
 * the flags the method cannot honour are refused by name. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

#include "ebpf/loader.h"
#include "ebpf/xmit.h"
#include "raw/frame.h"
#include "raw/stamp.h"
#include "tests/raw/rawtest.h"
#include "tests/ebpf/xdplab.h"
#include "tests/testutil.h"

/* --- The program, frame by frame ----------------------------------------------------------- */

struct pkind {
	const char *name;
	enum pe_frame_l3 l3;
	enum pe_frame_l4 l4;
	int n_vlans;
	unsigned size; /* on the wire with FCS */
};

static const struct pkind pkinds[] = {
	{ "ipv4-udp", PE_FRAME_L3_IPV4, PE_FRAME_L4_UDP, 0, 64 },
	{ "ipv4-tcp", PE_FRAME_L3_IPV4, PE_FRAME_L4_TCP, 0, 100 },
	{ "ipv4-icmp", PE_FRAME_L3_IPV4, PE_FRAME_L4_ICMP, 0, 81 },
	{ "ipv6-udp", PE_FRAME_L3_IPV6, PE_FRAME_L4_UDP, 0, 1518 },
	{ "ipv6-tcp", PE_FRAME_L3_IPV6, PE_FRAME_L4_TCP, 0, 128 },
	{ "ipv6-icmp", PE_FRAME_L3_IPV6, PE_FRAME_L4_ICMP, 0, 99 },
	{ "qinq-udp", PE_FRAME_L3_IPV4, PE_FRAME_L4_UDP, 2, 200 },
	{ "raw", PE_FRAME_L3_RAW, PE_FRAME_L4_NONE, 1, 64 },
};

/* The template as inject builds it: the sequence stamp (raw/stamp.h) of frame 0. */
static void build(const struct pkind *k, struct pe_frame_tmpl *t)
{
	struct pe_frame_opts o;

	pe_frame_opts_default(&o);
	o.l3 = k->l3;
	o.l4 = k->l4;
	o.n_vlans = k->n_vlans;
	o.vlan[0].id = 7;
	o.vlan[1].id = 42;
	o.size_bytes = k->size;
	if (k->l3 == PE_FRAME_L3_IPV6) {
		cr_assert_eq(inet_pton(AF_INET6, "2001:2::1", &o.src_ip.v6), 1);
		cr_assert_eq(inet_pton(AF_INET6, "2001:2::2", &o.dst_ip.v6), 1);
	}
	cr_assert_eq(pe_frame_build(t, &o), 0, "%s", k->name);
	cr_assert_eq(pe_stamp_frame(t, 0, true), 0, "%s", k->name);
}

Test(xdp_inject, program_stamps_and_checksums_every_kind)
{
	static struct pe_frame_tmpl t, want;
	uint8_t got[PE_FRAME_BUF_MAX];

	PE_REQUIRE_XDP();
	for (size_t i = 0; i < sizeof(pkinds) / sizeof(pkinds[0]); i++) {
		const struct pkind *k = &pkinds[i];
		uint16_t co;
		uint64_t seqs[8] = { 0,		 1,	     0xffff,
				     0x10000,	 0xfffe0001, 0x0123456789abcdefull,
				     UINT64_MAX, 0 };
		struct pe_xdp_tx *x;

		build(k, &t);
		co = pe_frame_l4_csum_off(&t);
		/* UDP: the sequence number whose sum cancels the template's checksum sends
		 * 0xffff (RFC 768: 0 means none). */
		seqs[7] = co ? (uint64_t)(t.buf[co] << 8 | t.buf[co + 1]) : 2;
		struct pe_xdp_tx_opts o = { .sz = sizeof(o),
					    .ifindex = 1,
					    .frame = pe_frame_data(&t),
					    .len = t.len,
					    .seq_off = t.off_payload + PE_STAMP_SEQ_OFF,
					    .csum_off = co,
					    .csum_udp = t.l4 == PE_FRAME_L4_UDP };
		x = pe_xdp_tx_open(&o);
		cr_assert(x, "%s: pe_xdp_tx_open: %s", k->name, strerror(errno));
		for (int j = 0; j < 8; j++) {
			struct pe_frame_info info;

			want = t;
			cr_assert_eq(pe_stamp_frame(&want, seqs[j], false), 0);
			pe_frame_update_csums(&want); /* in full, not incrementally */
			cr_assert_eq(pe_xdp_tx_peek(x, seqs[j], got, t.len), 0, "%s", k->name);
			cr_expect_arr_eq(got, pe_frame_data(&want), t.len, "%s: seq %#llx", k->name,
					 (unsigned long long)seqs[j]);
			cr_expect_eq(pe_frame_validate(got, t.len, 0, &info), PE_FRAME_OK,
				     "%s: seq %#llx", k->name, (unsigned long long)seqs[j]);
		}
		if (k->l4 == PE_FRAME_L4_UDP) {
			cr_expect_eq(got[co], 0xff, "%s", k->name);
			cr_expect_eq(got[co + 1], 0xff, "%s", k->name);
		}
		cr_expect_eq(pe_xdp_tx_count(x), 0, "%s: peeking sends nothing", k->name);
		pe_xdp_tx_close(x);
	}
}

Test(xdp_inject, open_refuses_bad_options)
{
	static const uint8_t f[60];
	struct pe_xdp_tx_opts o = { .sz = sizeof(o), .ifindex = 1, .frame = f, .len = 60 };

	PE_REQUIRE_XDP();
	o.batch = PE_XDP_TX_BATCH_MAX + 1;
	cr_expect_null(pe_xdp_tx_open(&o));
	cr_expect_eq(errno, EINVAL);
	o.batch = 0;
	o.seq_off = 60 - PE_STAMP_SEQ_LEN + 1; /* the number would end past the frame */
	cr_expect_null(pe_xdp_tx_open(&o));
	cr_expect_eq(errno, EINVAL);
	o.seq_off = 0;
	o.csum_off = 40; /* a checksum to fix but no sequence number */
	cr_expect_null(pe_xdp_tx_open(&o));
	cr_expect_eq(errno, EINVAL);
	o.csum_off = 0;
	o.len = 13;
	cr_expect_null(pe_xdp_tx_open(&o));
	cr_expect_eq(errno, EMSGSIZE);
	o.len = PE_XDP_TX_LEN_MAX + 1;
	cr_expect_null(pe_xdp_tx_open(&o));
	cr_expect_eq(errno, EMSGSIZE);
}

/* --- In the lab ------------------------------------------------------------------------------ */

static struct pe_lab lab;
static char *dir;
static bool live_refused; /* the kernel answers BPF_PROG_RUN with live frames with EPERM */

/* Live frames need more than the program: some kernels (and sandboxes' seccomp or LSM rules)
 * refuse BPF_F_TEST_XDP_LIVE_FRAMES with EPERM even to root. One frame to a MAC nobody has
 * tells; the tests that send then skip with that reason instead of failing. */
#define REQUIRE_LIVE_FRAMES()                                                                      \
	do {                                                                                       \
		PE_REQUIRE_XDP();                                                                  \
		if (live_refused)                                                                  \
			cr_skip_test("this kernel refuses BPF_PROG_RUN live frames (EPERM)");      \
	} while (0)

static void setup(void)
{
	struct pe_run r;

	pe_rt_init(&lab, &dir, NULL);
	if (!pe_is_root() || !pe_xdp_available())
		return;
	cr_assert_eq(pe_lab_run(&lab, 1, &r, "ethtool -K %s gro on", lab.ifname[1]), 0);
	cr_assert_eq(r.status, 0, "ethtool -K gro on: %s", r.err);
	pe_run_free(&r);
	live_refused = pe_rt_xdp_live_refused(&lab);
}

static void teardown(void)
{
	pe_rt_fini(&lab, &dir);
}

struct kind {
	const char *name, *inj, *size, *scapy;
};

#define E   "Ether(src='02:00:00:00:00:01',dst='02:00:00:00:00:02')"
#define IP4 "IP(src='198.18.0.1',dst='198.18.0.2',ttl=64,id=0,flags=0)"
#define IP6 "IPv6(src='2001:2::1',dst='2001:2::2',hlim=64)"

static const struct kind kinds[] = {
	{ "ipv4-udp", "", "64", E "/" IP4 "/UDP(sport=9,dport=9)" },
	{ "ipv4-tcp", "--proto tcp --size 100", "100",
	  E "/" IP4 "/TCP(sport=9,dport=9,flags='S',window=65535,seq=0)" },
	{ "ipv4-icmp", "--proto icmp --size 80", "80", E "/" IP4 "/ICMP(type=8,id=1,seq=1)" },
	{ "ipv6-udp", "--dst-ip 2001:2::2 --size 1518", "1518", E "/" IP6 "/UDP(sport=9,dport=9)" },
	{ "ipv6-icmp", "--dst-ip 2001:2::2 --proto icmp --size 100", "100",
	  E "/" IP6 "/ICMPv6EchoRequest(id=1,seq=1)" },
	{ "qinq-udp", "--vlan 42 --qinq 7 --size 200", "200",
	  E "/Dot1AD(vlan=7)/Dot1Q(vlan=42)/" IP4 "/UDP(sport=9,dport=9)" },
};

ParameterizedTestParameters(xdp_inject, kinds)
{
	PE_PARAM_INDEXES(sizeof(kinds) / sizeof(kinds[0]));
}

/* 700 frames: more than one batch of 64, and the frames a run recycles through its pages. */
ParameterizedTest(unsigned *pi, xdp_inject, kinds, .init = setup, .fini = teardown, .timeout = 60)
{
	const struct kind *kd = &kinds[*pi];
	const unsigned n = 700;
	struct pe_rt_io r;
	struct pe_run chk;
	char inj[256], cap[64];

	REQUIRE_LIVE_FRAMES();
	snprintf(inj, sizeof(inj), "-n %u --method xdp %s", n, kd->inj);
	snprintf(cap, sizeof(cap), "-n %u -t 20", n);
	cr_assert_eq(pe_rt_io(&lab, dir, inj, cap, 25000, &r), 0, "%s", kd->name);
	cr_assert_eq(r.inj_status, 0, "%s: inject: %s", kd->name, r.inj_err);
	cr_assert_eq(r.cap_status, 0, "%s: capture: %s", kd->name, r.cap_err);
	cr_assert(r.inj && r.cap, "%s: reports: %s / %s", kd->name, r.inj_out, r.cap_out);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(
				 json_object_object_get(r.inj, "start"), "backend")),
			 "xdp");
	cr_expect_eq(pe_rt_int(r.inj, "summary.tx_frames"), n, "%s: inject reported", kd->name);
	cr_expect_eq(pe_rt_int(r.inj, "summary.errors"), 0, "%s", kd->name);
	cr_expect_eq(r.tx_delta, n, "%s: tx_packets delta", kd->name);
	cr_expect_eq(r.rx_delta, n, "%s: peer rx_packets delta", kd->name);
	cr_expect_eq(pe_rt_int(r.cap, "summary.rx_frames"), n, "%s: captured", kd->name);
	cr_expect_eq(pe_rt_int(r.cap, "summary.bad_frames"), 0, "%s: %s", kd->name, r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.frames"), n, "%s: %s", kd->name, r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.missing"), 0, "%s", kd->name);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.reordered"), 0, "%s", kd->name);
	cr_assert_eq(pe_run(&chk, "%s %s/tests/raw/check_frames.py %s %u exact %s \"%s\"",
			    PE_PYTHON, PE_TEST_SRC, r.pcap, n, kd->size, kd->scapy),
		     0);
	cr_expect_eq(chk.status, 0, "%s: scapy: %s%s", kd->name, chk.out, chk.err);
	pe_run_free(&chk);
	pe_rt_io_free(&r);
}

/* Sequence numbers past 16 bits carry into the checksum's next word: 150,000 frames in several
 * runs of the kernel's loop, every one checked by the capture's parser. */
Test(xdp_inject, long_run_in_order, .init = setup, .fini = teardown, .timeout = 120)
{
	const unsigned n = 150000;
	struct pe_rt_io r;
	char cap[64];

	REQUIRE_LIVE_FRAMES();
	snprintf(cap, sizeof(cap), "-n %u -t 60", n);
	cr_assert_eq(pe_rt_io(&lab, dir,
			      "-n 150000 --method xdp --burst 16 --dst-ip 2001:2::2 --size 80", cap,
			      65000, &r),
		     0);
	cr_assert_eq(r.inj_status, 0, "inject: %s", r.inj_err);
	cr_assert_eq(r.cap_status, 0, "capture: %s", r.cap_err);
	cr_expect_eq(pe_rt_int(r.inj, "summary.tx_frames"), n);
	cr_expect_eq(r.tx_delta, n);
	cr_expect_eq(r.rx_delta, n);
	cr_expect_eq(pe_rt_int(r.cap, "summary.rx_frames"), n, "%s", r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.kernel_rx_drops"), 0, "%s", r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.bad_frames"), 0, "%s", r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.last"), n - 1, "%s", r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.missing"), 0, "%s", r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.reordered"), 0, "%s", r.cap_out);
	pe_rt_io_free(&r);
}

/* -t with interval lines: the report's total is the device's count, the four intervals add up
 * to no more than it, and the run stops on time. */
Test(xdp_inject, timed_with_intervals, .init = setup, .fini = teardown, .timeout = 60)
{
	struct pe_run run;
	uint64_t tx0, tx1, sum = 0;
	json_object *o, *iv;
	double secs;

	REQUIRE_LIVE_FRAMES();
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx0), 0);
	cr_assert_eq(pe_lab_run(&lab, 0, &run,
				"%s inject --dev %s --method xdp -t 1 -i 0.25 --json "
				"--dst-mac 02:00:00:00:00:99",
				pe_rt_bin(), lab.ifname[0]),
		     0);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx1), 0);
	cr_assert_eq(run.status, 0, "%s", run.err);
	o = json_tokener_parse(run.out);
	cr_assert(o, "%s", run.out);
	cr_expect_eq((uint64_t)pe_rt_int(o, "summary.tx_frames"), tx1 - tx0);
	cr_expect_gt(tx1 - tx0, 1000);
	secs = pe_rt_double(o, "summary.t1_s");
	/* the run ends between two batches once its worker sees the stop */
	cr_expect(secs >= 1.0 && secs < 1.2, "%.3f s", secs);
	cr_assert(json_object_object_get_ex(o, "intervals", &iv));
	cr_expect_eq(json_object_array_length(iv), 4, "%s", run.out);
	for (size_t i = 0; i < json_object_array_length(iv); i++)
		sum += (uint64_t)pe_rt_int(json_object_array_get_idx(iv, i), "tx_frames");
	cr_expect_leq(sum, tx1 - tx0);
	json_object_put(o);
	pe_run_free(&run);
}

/* No -n, no -t: SIGINT ends the kernel's run between two batches, and the report still counts
 * exactly what the device sent. */
Test(xdp_inject, sigint_ends_the_run, .init = setup, .fini = teardown, .timeout = 60)
{
	struct pe_run run;
	uint64_t tx0, tx1;
	json_object *o;

	REQUIRE_LIVE_FRAMES();
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx0), 0);
	cr_assert_eq(
		pe_lab_run(&lab, 0, &run,
			   "timeout --preserve-status -s INT 0.5 %s inject --dev %s --method xdp "
			   "--json --dst-mac 02:00:00:00:00:99",
			   pe_rt_bin(), lab.ifname[0]),
		0);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx1), 0);
	cr_expect_eq(run.status, 0, "%s", run.err);
	o = json_tokener_parse(run.out);
	cr_assert(o, "%s / %s", run.out, run.err);
	cr_expect_eq((uint64_t)pe_rt_int(o, "summary.tx_frames"), tx1 - tx0);
	cr_expect_gt(tx1 - tx0, 1000);
	cr_expect_eq(pe_rt_int(o, "summary.errors"), 0);
	cr_expect_lt(pe_rt_double(o, "summary.t1_s"), 0.6);
	json_object_put(o);
	pe_run_free(&run);
}

/* Without NAPI on the peer a veth drops XDP frames without a count: one line, exit 1, no
 * report, nothing counted. */
Test(xdp_inject, peer_without_napi, .init = setup, .fini = teardown, .timeout = 60)
{
	struct pe_run run;
	uint64_t tx0, tx1;

	REQUIRE_LIVE_FRAMES();
	cr_assert_eq(pe_lab_run(&lab, 1, &run, "ethtool -K %s gro off", lab.ifname[1]), 0);
	cr_assert_eq(run.status, 0);
	pe_run_free(&run);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx0), 0);
	cr_assert_eq(pe_lab_run(&lab, 0, &run, "%s inject --dev %s --method xdp -n 1000 --json",
				pe_rt_bin(), lab.ifname[0]),
		     0);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx1), 0);
	cr_expect_eq(run.status, 1);
	cr_expect_str_eq(run.err,
			 "pkteng: inject: veth0 counted none of the frames sent through XDP: its "
			 "driver has no XDP transmit, or it is a veth whose peer has no NAPI (on "
			 "the peer: ethtool -K PEER gro on, or an XDP program)\n");
	cr_expect_str_eq(run.out, "");
	cr_expect_eq(tx1, tx0);
	pe_run_free(&run);
}

/* A frame above the MTU is refused before anything is sent or switched: the offload stays. */
Test(xdp_inject, frame_above_mtu, .init = setup, .fini = teardown, .timeout = 60)
{
	struct pe_run run, k;
	uint64_t tx0, tx1;

	PE_REQUIRE_XDP();
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx0), 0);
	cr_assert_eq(pe_lab_run(&lab, 0, &run,
				"%s inject --dev %s --method xdp --jumbo --size 1519 -n 10 "
				"--offload tx=off",
				pe_rt_bin(), lab.ifname[0]),
		     0);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx1), 0);
	cr_expect_eq(run.status, 2);
	cr_expect_str_eq(run.err,
			 "pkteng: inject: a 1519-byte frame (1515 bytes without the FCS) is "
			 "above what veth0 takes (MTU 1500: 1514 bytes)\n");
	cr_expect_str_eq(run.out, "");
	cr_expect_eq(tx1, tx0);
	cr_assert_eq(
		pe_lab_run(&lab, 0, &k, "ethtool -k %s | grep '^tx-checksumming:'", lab.ifname[0]),
		0);
	cr_expect_str_eq(k.out, "tx-checksumming: on\n");
	pe_run_free(&k);
	pe_run_free(&run);
}

/* --- Refused flags (no privileges needed: nothing is opened) --------------------------------- */

Test(xdp_inject, refuses_what_it_cannot_do)
{
	static const struct {
		const char *args, *err;
	} c[] = {
		{ "--rate 1000", "--rate" },
		{ "--rate-mbps 10", "--rate-mbps" },
		{ "--vary sport=1-9", "--vary" },
		{ "--imix", "--imix" },
		{ "--seed 3", "--seed" },
		{ "--fcs", "--fcs" },
		{ "--qdisc-bypass", "--qdisc-bypass" },
		{ "--tpacket-version 2", "--tpacket-version" },
		{ "--replay /nonexistent.pcap", "--replay" },
	};
	struct pe_run run;
	char want[256];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		cr_assert_eq(
			pe_run(&run, "%s inject --dev lo --method xdp %s", pe_rt_bin(), c[i].args),
			0);
		snprintf(want, sizeof(want),
			 "pkteng: --method xdp: %s needs --method sendmmsg, ring or uring (xdp "
			 "sends one frame, sequence-stamped, flat out)\n",
			 c[i].err);
		cr_expect_eq(run.status, 2, "%s", c[i].args);
		cr_expect_str_eq(run.err, want, "%s", c[i].args);
		cr_expect_str_eq(run.out, "");
		pe_run_free(&run);
	}
	cr_assert_eq(pe_run(&run, "%s inject --dev lo --method xdp --burst 65", pe_rt_bin()), 0);
	cr_expect_eq(run.status, 2);
	cr_expect_str_eq(run.err,
			 "pkteng: --burst 65: --method xdp sends 1..64 frames per batch\n");
	pe_run_free(&run);
	cr_assert_eq(pe_run(&run, "%s inject --dev lo --method xdpp", pe_rt_bin()), 0);
	cr_expect_eq(run.status, 2);
	cr_expect_str_eq(run.err,
			 "pkteng: --method xdpp: expected auto, xdp, ring, sendmmsg or uring\n");
	pe_run_free(&run);
}
