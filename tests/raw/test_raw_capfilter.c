/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng capture EXPRESSION` against tcpdump: the same BPF program (`tcpdump -d`), the same
 * frames kept from a file (-r), and live in the lab the kernel drops what the filter rejects
 * before it reaches the ring, so the counts are exact. */
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

/* The 20 frames of mixed_frames.py, kept by each expression (from a file / live, where the
 * kernel has taken the 802.1Q tag out of the frame before a socket filter runs). */
struct expr {
	const char *expr;
	int n_file, n_live;
};

static const struct expr exprs[] = {
	{ "udp port 9", 8, 10 },
	{ "udp and src port 53", 3, 3 },
	{ "tcp dst port 80", 4, 4 },
	{ "icmp", 2, 2 },
	{ "ip6", 3, 3 },
	{ "arp", 1, 1 },
	{ "not ip", 6, 4 },
	{ "ether dst ff:ff:ff:ff:ff:ff", 1, 1 },
	{ "vlan 42 and udp", 2, 0 },
	{ "ip host 198.18.0.2 and (tcp or icmp)", 6, 6 },
};

#define N_EXPRS (sizeof(exprs) / sizeof(exprs[0]))

/* Writes the mixed frames to DIR/mixed.pcap. */
static void mixed(char *path, size_t cap)
{
	struct pe_run r;

	snprintf(path, cap, "%s/mixed.pcap", dir ? dir : "/tmp");
	cr_assert_eq(pe_run(&r, PE_PYTHON " %s/tests/raw/mixed_frames.py %s", PE_TEST_SRC, path),
		     0);
	cr_assert_eq(r.status, 0, "mixed_frames.py: %s", r.err);
	pe_run_free(&r);
}

TestSuite(raw_capfilter, .init = setup, .fini = teardown, .timeout = 90);

ParameterizedTestParameters(raw_capfilter, program_and_frames_as_tcpdump)
{
	PE_PARAM_INDEXES(N_EXPRS);
}

ParameterizedTest(unsigned *pi, raw_capfilter, program_and_frames_as_tcpdump)
{
	const struct expr *e = &exprs[*pi];
	char in[512];
	struct pe_run r, t;
	json_object *j;

	PE_REQUIRE_ROOT();
	mixed(in, sizeof(in));
	/* The compiled program, instruction by instruction. */
	cr_assert_eq(pe_run(&r, "%s capture --print-filter '%s'", pe_rt_bin(), e->expr), 0);
	cr_assert_eq(pe_run(&t, "tcpdump -r %s -d '%s'", in, e->expr), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(t.status, 0, "%s", t.err);
	cr_expect_gt(strlen(r.out), 20);
	cr_expect_str_eq(r.out, t.out, "'%s'", e->expr);
	pe_run_free(&r);
	pe_run_free(&t);
	/* The frames it keeps from the file: same bytes, same order, same timestamps. */
	cr_assert_eq(pe_run(&r, "%s capture -r %s --json -w %s/pe.pcap '%s'", pe_rt_bin(), in, dir,
			    e->expr),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	j = json_tokener_parse(r.out);
	cr_assert(j, "%s", r.out);
	cr_expect_eq(pe_rt_int(j, "summary.rx_frames"), e->n_file, "'%s'", e->expr);
	cr_expect_eq(pe_rt_int(j, "summary.bad_frames"), 0);
	json_object_put(j);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r,
			    "tcpdump -r %s -w %s/td.pcap '%s' 2>/dev/null && "
			    "tcpdump -n -xx -r %s/td.pcap 2>/dev/null | md5sum; "
			    "tcpdump -n -xx -r %s/pe.pcap 2>/dev/null | md5sum; "
			    "tcpdump -n -r %s/pe.pcap 2>/dev/null | wc -l",
			    in, dir, e->expr, dir, dir, dir),
		     0);
	{
		char a[64] = "", b[64] = "";
		int n = -1;

		cr_assert_eq(sscanf(r.out, "%63s -\n%63s -\n%d", a, b, &n), 3, "%s", r.out);
		cr_expect_str_eq(a, b, "'%s': the kept frames differ from tcpdump's", e->expr);
		cr_expect_eq(n, e->n_file);
	}
	pe_run_free(&r);
}

/* The -r record is a valid result record (docs/results.schema.json), as a document and as a
 * stream with intervals by the frames' timestamps (10 ms apart: 0.05 s intervals hold 5). */
Test(raw_capfilter, file_record_valid)
{
	char in[512];
	struct pe_run r;

	PE_REQUIRE_ROOT();
	mixed(in, sizeof(in));
	cr_assert_eq(pe_run(&r,
			    "%s capture -r %s --json udp >%s/r.json && %s capture -r %s -i 0.05 "
			    "--json-stream udp >%s/r.jsonl",
			    pe_rt_bin(), in, dir, pe_rt_bin(), in, dir),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r,
			    PE_PYTHON
			    " %s/tests/record/validate.py %s/docs/results.schema.json json "
			    "%s/r.json && " PE_PYTHON " %s/tests/record/validate.py "
			    "%s/docs/results.schema.json stream %s/r.jsonl",
			    PE_TEST_SRC, PE_TEST_SRC, dir, PE_TEST_SRC, PE_TEST_SRC, dir),
		     0);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect_str_eq(r.out, "ok 0\nok 3\n");
	pe_run_free(&r);
}

/* Live: inject the 20 frames from A; B's ring sees only what the filter keeps, and the
 * kernel's own count (PACKET_STATISTICS) says the rest never got to the socket. */
ParameterizedTestParameters(raw_capfilter, live_filter_in_the_kernel)
{
	PE_PARAM_INDEXES(N_EXPRS);
}

ParameterizedTest(unsigned *pi, raw_capfilter, live_filter_in_the_kernel)
{
	const struct expr *e = &exprs[*pi];
	char in[512], inj[640], cap[256];
	struct pe_rt_io io;

	PE_REQUIRE_ROOT();
	mixed(in, sizeof(in));
	snprintf(inj, sizeof(inj), "--replay %s --rate 1000", in);
	snprintf(cap, sizeof(cap), "-t 1.5 '%s'", e->expr);
	cr_assert_eq(pe_rt_io(&lab, dir, inj, cap, 10000, &io), 0, "%s", io.cap_err);
	cr_assert_eq(io.inj_status, 0, "%s", io.inj_err);
	cr_assert_eq(io.cap_status, 0, "%s", io.cap_err);
	cr_expect_eq(io.rx_delta, 20, "the veth received %llu", (unsigned long long)io.rx_delta);
	cr_expect_eq(pe_rt_int(io.cap, "summary.rx_frames"), e->n_live, "'%s'", e->expr);
	cr_expect_eq(pe_rt_int(io.cap, "summary.kernel_rx_packets"), e->n_live, "'%s'", e->expr);
	cr_expect_str_eq(
		json_object_get_string(json_object_object_get(
			json_object_object_get(json_object_object_get(io.cap, "start"), "params"),
			"filter")),
		e->expr);
	pe_rt_io_free(&io);
}

struct bad {
	const char *args, *err;
};

static const struct bad bads[] = {
	{ "--dev lo udp prt 9",
	  "pkteng: capture: filter 'udp prt 9': can't parse filter expression: syntax error\n" },
	{ "-i veth1 udp", "pkteng: -i veth1: -i is the interval in pkteng; the interface is --dev "
			  "veth1\n" },
	{ "--print-filter", "pkteng: capture: --print-filter needs an EXPRESSION\n" },
	{ "-r /nonexistent/x.pcap udp", "pkteng: --read /nonexistent/x.pcap: No such file or "
					"directory\n" },
	{ "-r x.pcap --dev lo", "pkteng: capture: -r x.pcap and --dev lo do not go together\n" },
	{ "-r /etc/hostname", "pkteng: --read /etc/hostname: not a pcap or pcapng file\n" },
	{ "udp", "pkteng: capture: missing --dev IF or -r FILE (see 'pkteng capture --help')\n" },
};

ParameterizedTestParameters(raw_capfilter, bad_input)
{
	PE_PARAM_INDEXES(sizeof(bads) / sizeof(bads[0]));
}

ParameterizedTest(unsigned *pi, raw_capfilter, bad_input)
{
	struct pe_run r;

	cr_assert_eq(pe_run(&r, "%s capture %s", pe_rt_bin(), bads[*pi].args), 0);
	cr_expect_str_eq(r.err, bads[*pi].err);
	cr_expect_eq(r.status, strstr(bads[*pi].args, "-r /") ? 1 : 2);
	cr_expect_str_eq(r.out, "");
	pe_run_free(&r);
}
