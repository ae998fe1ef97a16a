/* SPDX-License-Identifier: BSD-2-Clause */
/* Inject in one namespace, capture in the peer: for each frame kind and each tx method,
 * exactly N frames arrive, byte for byte what scapy builds (or with checksums scapy agrees
 * with), and the interface counters agree with what pkteng reports. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "tests/raw/rawtest.h"

static struct pe_lab lab;
static char *dir;

static void setup(void)
{
	pe_rt_init(&lab, &dir, NULL);
}

static void teardown(void)
{
	pe_rt_fini(&lab, &dir);
}

struct kind {
	const char *name, *inj; /* inject flags */
	unsigned n;
	const char *mode; /* "exact" or "recheck" for check_frames.py */
	const char *arg1; /* exact: the size; recheck: the condition */
	const char *arg2; /* exact: the scapy expression */
	bool fcs;
};

#define E   "Ether(src='02:00:00:00:00:01',dst='02:00:00:00:00:02')"
#define IP4 "IP(src='198.18.0.1',dst='198.18.0.2',ttl=64,id=0,flags=0)"
#define IP6 "IPv6(src='2001:2::1',dst='2001:2::2',hlim=64)"

static const struct kind kinds[] = {
	{ "ipv4-udp", "--method sendmmsg", 500, "exact", "64", E "/" IP4 "/UDP(sport=9,dport=9)",
	  false },
	{ "ipv4-tcp", "--proto tcp --size 100 --method ring", 500, "exact", "100",
	  E "/" IP4 "/TCP(sport=9,dport=9,flags='S',window=65535,seq=0)", false },
	{ "ipv4-icmp", "--proto icmp --size 80 --method uring", 500, "exact", "80",
	  E "/" IP4 "/ICMP(type=8,id=1,seq=1)", false },
	{ "ipv6-udp", "--dst-ip 2001:2::2 --size 100 --method sendmmsg", 500, "exact", "100",
	  E "/" IP6 "/UDP(sport=9,dport=9)", false },
	{ "ipv6-tcp", "--dst-ip 2001:2::2 --proto tcp --size 128 --method ring --tpacket-version 2",
	  500, "exact", "128", E "/" IP6 "/TCP(sport=9,dport=9,flags='S',window=65535,seq=0)",
	  false },
	{ "ipv6-icmp", "--dst-ip 2001:2::2 --proto icmp --size 100 --method uring", 500, "exact",
	  "100", E "/" IP6 "/ICMPv6EchoRequest(id=1,seq=1)", false },
	{ "vlan-udp", "--vlan 42:3 --size 200", 500, "exact", "200",
	  E "/Dot1Q(vlan=42,prio=3)/" IP4 "/UDP(sport=9,dport=9)", false },
	{ "qinq-udp", "--vlan 42 --qinq 7 --size 200 --method ring", 500, "exact", "200",
	  E "/Dot1AD(vlan=7)/Dot1Q(vlan=42)/" IP4 "/UDP(sport=9,dport=9)", false },
	{ "raw-ethertype", "--ethertype 0x88b6 --size 64", 500, "exact", "64",
	  "Ether(src='02:00:00:00:00:01',dst='02:00:00:00:00:02',type=0x88b6)", false },
	{ "fcs", "--fcs --size 128 --method uring", 500, "exact", "128",
	  E "/" IP4 "/UDP(sport=9,dport=9)", true },
	{ "vary-in-order",
	  "--vary src-ip=198.18.0.1-198.18.0.254,dport=1000-1009 --vary sport=5-6 --size 90", 1000,
	  "recheck",
	  "p[IP].src == '198.18.0.%d' % (k % 254 + 1) and p[UDP].dport == 1000 + k % 10 "
	  "and p[UDP].sport == 5 + k % 2 and n == 86",
	  NULL, false },
	{ "vary-random-v6",
	  "--dst-ip 2001:2::2 --vary src-ip=2001:2::100-2001:2::1ff,sport=1000-2000 --seed 7 "
	  "--proto tcp --size 100 --method ring",
	  1000, "recheck",
	  "p[IPv6].src.startswith('2001:2::1') and 1000 <= p[TCP].sport <= 2000 and n == 96", NULL,
	  false },
	{ "imix", "--imix --method uring", 1200, "recheck",
	  "n + 4 == [64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 64, 570][k % 12]", NULL, false },
	{ "vary-size-fcs", "--vary size=64-1000 --fcs --method sendmmsg", 937, "recheck",
	  "n == 64 + k % 937", NULL, true },
};

ParameterizedTestParameters(raw_io, kinds)
{
	PE_PARAM_INDEXES(sizeof(kinds) / sizeof(kinds[0]));
}

ParameterizedTest(unsigned *pi, raw_io, kinds, .init = setup, .fini = teardown, .timeout = 60)
{
	const struct kind *kd = &kinds[*pi];
	struct pe_rt_io r;
	struct pe_run chk;
	char inj[512], cap[128];

	PE_REQUIRE_ROOT();
	snprintf(inj, sizeof(inj), "-n %u %s", kd->n, kd->inj);
	snprintf(cap, sizeof(cap), "-n %u -t 20%s", kd->n, kd->fcs ? " --check-fcs" : "");
	cr_assert_eq(pe_rt_io(&lab, dir, inj, cap, 25000, &r), 0, "%s", kd->name);
	cr_assert_eq(r.inj_status, 0, "%s: inject: %s", kd->name, r.inj_err);
	cr_assert_eq(r.cap_status, 0, "%s: capture: %s", kd->name, r.cap_err);
	cr_assert(r.inj && r.cap, "%s: reports: %s / %s", kd->name, r.inj_out, r.cap_out);
	cr_expect_eq(pe_rt_int(r.inj, "summary.tx_frames"), kd->n, "%s: inject reported", kd->name);
	cr_expect_eq(r.tx_delta, kd->n, "%s: tx_packets delta", kd->name);
	cr_expect_eq(r.rx_delta, kd->n, "%s: peer rx_packets delta", kd->name);
	cr_expect_eq(pe_rt_int(r.cap, "summary.rx_frames"), kd->n, "%s: captured", kd->name);
	cr_expect_eq(pe_rt_int(r.cap, "summary.bad_frames"), 0, "%s: %s", kd->name, r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.kernel_rx_drops"), 0, "%s", kd->name);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.frames"), kd->n, "%s: %s", kd->name, r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.missing"), 0, "%s", kd->name);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.reordered"), 0, "%s", kd->name);
	if (!strcmp(kd->mode, "exact"))
		cr_assert_eq(pe_run(&chk,
				    "%s %s/tests/raw/check_frames.py %s %u exact %s \"%s\" %s",
				    PE_PYTHON, PE_TEST_SRC, r.pcap, kd->n, kd->arg1, kd->arg2,
				    kd->fcs ? "--fcs" : ""),
			     0);
	else
		cr_assert_eq(pe_run(&chk, "%s %s/tests/raw/check_frames.py %s %u recheck \"%s\" %s",
				    PE_PYTHON, PE_TEST_SRC, r.pcap, kd->n, kd->arg1,
				    kd->fcs ? "--fcs" : ""),
			     0);
	cr_expect_eq(chk.status, 0, "%s: scapy: %s%s", kd->name, chk.out, chk.err);
	pe_run_free(&chk);
	pe_rt_io_free(&r);
}

/* Flat out with every method (and the qdisc bypassed): the device pushes back, nothing is
 * lost or counted twice. */
struct flat {
	const char *method;
	bool bypass;
};

static const struct flat flats[] = {
	{ "sendmmsg", false }, { "ring", false }, { "uring", false },
	{ "sendmmsg", true },  { "ring", true },  { "uring", true },
};

ParameterizedTestParameters(raw_io, flat_out)
{
	PE_PARAM_INDEXES(sizeof(flats) / sizeof(flats[0]));
}

ParameterizedTest(unsigned *pi, raw_io, flat_out, .init = setup, .fini = teardown, .timeout = 60)
{
	const struct flat *f = &flats[*pi];
	const unsigned n = 50000;
	struct pe_rt_io r;
	char inj[256], cap[64];

	PE_REQUIRE_ROOT();
	snprintf(inj, sizeof(inj), "-n %u --method %s --burst 256%s", n, f->method,
		 f->bypass ? " --qdisc-bypass" : "");
	snprintf(cap, sizeof(cap), "-n %u -t 20", n);
	cr_assert_eq(pe_rt_io(&lab, dir, inj, cap, 25000, &r), 0);
	cr_assert_eq(r.inj_status, 0, "%s: %s", f->method, r.inj_err);
	cr_expect_eq(pe_rt_int(r.inj, "summary.tx_frames"), n, "%s", f->method);
	cr_expect_eq(r.tx_delta, n, "%s: tx_packets", f->method);
	cr_expect_eq(r.rx_delta, n, "%s: peer rx_packets", f->method);
	/* The capture may lose frames to a full ring when it is starved of CPU; the kernel
	 * says how many, and together they make n. */
	cr_expect_eq(pe_rt_int(r.cap, "summary.rx_frames") +
			     pe_rt_int(r.cap, "summary.kernel_rx_drops"),
		     n, "%s: %s", f->method, r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.bad_frames"), 0);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.reordered"), 0);
	pe_rt_io_free(&r);
}

/* Replay: what was captured goes out again byte for byte, at a rate or at the file's own
 * timing. */
Test(raw_io, replay, .init = setup, .fini = teardown, .timeout = 60)
{
	struct pe_rt_io r;
	struct pe_run run;
	char first[300], args[400];

	PE_REQUIRE_ROOT();
	cr_assert_eq(
		pe_rt_io(&lab, dir, "-n 50 --vary sport=1-50 --size 100", "-n 50 -t 10", 15000, &r),
		0, "%s", r.cap_err);
	cr_assert_eq(pe_rt_int(r.cap, "summary.rx_frames"), 50, "%s", r.cap_out);
	snprintf(first, sizeof(first), "%s/first.pcap", dir);
	cr_assert_eq(rename(r.pcap, first), 0);
	pe_rt_io_free(&r);

	/* At a rate: 50 frames at 500/s */
	snprintf(args, sizeof(args), "--replay %s --rate 500", first);
	cr_assert_eq(pe_rt_io(&lab, dir, args, "-n 50 -t 10", 15000, &r), 0);
	cr_assert_eq(r.inj_status, 0, "%s", r.inj_err);
	cr_expect_eq(pe_rt_int(r.inj, "summary.tx_frames"), 50);
	cr_expect_eq(r.tx_delta, 50);
	cr_assert_eq(
		pe_run(&run,
		       "%s -c \"from scapy.all import rdpcap; import sys; "
		       "a=[bytes(p) for p in rdpcap('%s')]; b=[bytes(p) for p in rdpcap('%s')]; "
		       "print(len(a), len(b), a == b)\"",
		       PE_PYTHON, first, r.pcap),
		0);
	cr_expect_str_eq(run.out, "50 50 True\n", "%s", run.err);
	pe_run_free(&run);
	pe_rt_io_free(&r);

	/* Two sender runs in one capture (sequence 0..49, then 0..29 again): one restart, no
	 * frame missing or out of order. */
	cr_assert_eq(pe_run(&run,
			    "%s -c \"from scapy.all import rdpcap, wrpcap; a=rdpcap('%s'); "
			    "wrpcap('%s/twice.pcap', list(a) + list(a[:30]))\"",
			    PE_PYTHON, first, dir),
		     0);
	cr_assert_eq(run.status, 0, "%s", run.err);
	pe_run_free(&run);
	snprintf(args, sizeof(args), "--replay %s/twice.pcap --rate 2000", dir);
	cr_assert_eq(pe_rt_io(&lab, dir, args, "-n 80 -t 10", 15000, &r), 0);
	cr_expect_eq(pe_rt_int(r.cap, "summary.rx_frames"), 80, "%s", r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.frames"), 80);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.restarts"), 1);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.missing"), 0);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.reordered"), 0);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.last"), 29);
	pe_rt_io_free(&r);

	/* The file's own timing: frames 20 ms apart (set by scapy), 10 frames span 180 ms. */
	cr_assert_eq(pe_run(&run,
			    "%s -c \"from scapy.all import rdpcap, wrpcap; "
			    "a=rdpcap('%s')[:10]; [setattr(p, 'time', 1000 + i * 0.02) for i, p in "
			    "enumerate(a)]; wrpcap('%s/timed.pcap', a)\"",
			    PE_PYTHON, first, dir),
		     0);
	cr_assert_eq(run.status, 0, "%s", run.err);
	pe_run_free(&run);
	snprintf(args, sizeof(args), "--replay %s/timed.pcap", dir);
	cr_assert_eq(pe_rt_io(&lab, dir, args, "-n 10 -t 10", 15000, &r), 0);
	cr_expect_eq(pe_rt_int(r.inj, "summary.tx_frames"), 10, "%s", r.inj_out);
	{
		double span_ms = (pe_rt_int(r.cap, "summary.last_frame_t_ns") -
				  pe_rt_int(r.cap, "summary.first_frame_t_ns")) /
				 1e6;

		cr_expect(span_ms > 175 && span_ms < 200, "own timing: 10 frames spanned %.1f ms",
			  span_ms);
	}
	pe_rt_io_free(&r);
}

/* The capture's verdicts, against frames scapy damaged on purpose and replayed: a wrong FCS,
 * a wrong UDP checksum, a wrong IPv4 header checksum, each counted under its reason. */
Test(raw_io, capture_counts_bad_frames_by_reason, .init = setup, .fini = teardown, .timeout = 60)
{
	struct pe_rt_io r;
	struct pe_run run;
	char args[400];

	PE_REQUIRE_ROOT();
	cr_assert_eq(
		pe_run(&run,
		       "%s -c \"from scapy.all import *; import zlib, struct\n"
		       "def f(p): b = bytes(p); return b + struct.pack('<I', zlib.crc32(b))\n"
		       "e = Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')\n"
		       "ok = e/IP(src='198.18.0.1', dst='198.18.0.2')/UDP(sport=1, dport=9)/"
		       "Raw(b'x' * 40)\n"
		       "badfcs = bytearray(f(ok)); badfcs[-1] ^= 0xff\n"
		       "badudp = f(e/IP(src='198.18.0.1', dst='198.18.0.2')/UDP(sport=1, dport=9, "
		       "chksum=0x1234)/Raw(b'x' * 40))\n"
		       "badip = f(e/IP(src='198.18.0.1', dst='198.18.0.2', chksum=0x4321)/"
		       "UDP(sport=1, dport=9)/Raw(b'x' * 40))\n"
		       "wrpcap('%s/bad.pcap', [Ether(f(ok))] * 3 + [Ether(bytes(badfcs))] * 4 + "
		       "[Ether(badudp)] * 5 + [Ether(badip)] * 6)\"",
		       PE_PYTHON, dir),
		0);
	cr_assert_eq(run.status, 0, "%s", run.err);
	pe_run_free(&run);
	snprintf(args, sizeof(args), "--replay %s/bad.pcap --rate 1000", dir);
	cr_assert_eq(pe_rt_io(&lab, dir, args, "-n 18 -t 10 --check-fcs", 15000, &r), 0);
	cr_expect_eq(r.inj_status, 0, "%s", r.inj_err);
	cr_expect_eq(r.tx_delta, 18, "tx_packets delta %llu: %s", (unsigned long long)r.tx_delta,
		     r.inj_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.rx_frames"), 18, "%s", r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.bad_frames"), 15, "%s", r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.bad_by_reason.BAD_FCS"), 4, "%s", r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.bad_by_reason.BAD_L4_CSUM"), 5, "%s", r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.bad_by_reason.BAD_IP_CSUM"), 6, "%s", r.cap_out);
	pe_rt_io_free(&r);
}

/* --ethertype keeps only the frames asked for and counts the rest as filtered. */
Test(raw_io, capture_ethertype_filter, .init = setup, .fini = teardown, .timeout = 60)
{
	struct pe_lab_bg bg;
	struct pe_run run;
	char ready[300], out[300];
	json_object *cap;

	PE_REQUIRE_ROOT();
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	snprintf(out, sizeof(out), "%s/cap.json", dir);
	cr_assert_eq(
		pe_lab_bg_start(&lab, 1, &bg, out, NULL,
				"exec %s capture --dev %s --incoming --json --ethertype 0x86dd "
				"-n 30 -t 10 --ready-file %s",
				pe_rt_bin(), lab.ifname[1], ready),
		0);
	cr_assert_eq(pe_lab_wait_file(ready, &bg, 10000), 0);
	cr_assert_eq(pe_lab_run(&lab, 0, &run,
				"%s inject --dev %s -n 20 && %s inject --dev %s -n 30 --dst-ip "
				"2001:2::2 --size 100 --vlan 9",
				pe_rt_bin(), lab.ifname[0], pe_rt_bin(), lab.ifname[0]),
		     0);
	cr_expect_eq(run.status, 0, "%s", run.err);
	pe_run_free(&run);
	cr_expect_eq(pe_lab_bg_wait(&bg, 15000), 0);
	cap = json_object_from_file(out);
	cr_assert(cap != NULL);
	cr_expect_eq(pe_rt_int(cap, "summary.rx_frames"), 30);
	cr_expect_eq(pe_rt_int(cap, "summary.filtered_frames"), 20);
	cr_expect_eq(pe_rt_int(cap, "summary.seq.frames"), 30);
	json_object_put(cap);
}

/* Pushback: a tbf qdisc with a 600-byte queue on the sender's veth drops what does not fit
 * (ENOBUFS to sendmsg, a TX ring slot reset to SEND_REQUEST, -ENOBUFS in a CQE). Every
 * method must resend exactly those frames: N leave the veth and arrive, in order, none
 * twice, and the ring and io_uring runs say they retried. */
static const char *const pushback_methods[] = { "sendmmsg", "ring", "uring" };

ParameterizedTestParameters(raw_io, pushback)
{
	PE_PARAM_INDEXES(sizeof(pushback_methods) / sizeof(pushback_methods[0]));
}

ParameterizedTest(unsigned *pi, raw_io, pushback, .init = setup, .fini = teardown, .timeout = 60)
{
	const char *m = pushback_methods[*pi];
	const unsigned n = 5000;
	struct pe_rt_io r;
	struct pe_run tc;
	char inj[128], cap[64];

	PE_REQUIRE_ROOT();
	cr_assert_eq(pe_lab_run(&lab, 0, &tc,
				"tc qdisc add dev %s root tbf rate 20mbit burst 2kb limit 600",
				lab.ifname[0]),
		     0);
	cr_assert_eq(tc.status, 0, "tc: %s", tc.err);
	pe_run_free(&tc);
	snprintf(inj, sizeof(inj), "-n %u --method %s --burst 256", n, m);
	snprintf(cap, sizeof(cap), "-n %u -t 20", n);
	/* One CPU: tbf sends from its watchdog as well as from the sender, and veth queues each
	 * frame on the backlog of the CPU that sent it, so a sender spread over two CPUs lets
	 * the kernel itself reorder frames between the two backlogs. */
	pe_rt_inject_prefix = "taskset -c 1";
	cr_assert_eq(pe_rt_io(&lab, dir, inj, cap, 25000, &r), 0);
	cr_assert_eq(r.inj_status, 0, "%s: %s", m, r.inj_err);
	cr_expect_eq(pe_rt_int(r.inj, "summary.tx_frames"), n, "%s", m);
	cr_expect_eq(r.tx_delta, n, "%s: tx_packets", m);
	cr_expect_eq(r.rx_delta, n, "%s: peer rx_packets", m);
	cr_expect_eq(pe_rt_int(r.cap, "summary.rx_frames"), n, "%s: %s", m, r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.missing"), 0, "%s", m);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.reordered"), 0, "%s", m);
	if (strcmp(m, "sendmmsg"))
		cr_expect_gt(pe_rt_int(r.inj, "summary.retries"), 0,
			     "%s: the qdisc never pushed back: %s", m, r.inj_out);
	pe_rt_io_free(&r);
	cr_assert_eq(pe_lab_run(&lab, 0, &tc, "tc -s qdisc show dev %s", lab.ifname[0]), 0);
	cr_expect(strstr(tc.out, "dropped 0,") == NULL || !strcmp(m, "sendmmsg"),
		  "%s: tbf dropped nothing: %s", m, tc.out);
	pe_run_free(&tc);
}
