/* SPDX-License-Identifier: BSD-2-Clause */
/* udp-rr through the real command line on both backends over IPv4 and IPv6 loopback: the books
 * of both sides agree exactly, a server that leaves every Nth request unanswered shows exactly
 * that many timeouts without stalling the run, and bad parameters get one line naming them. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload/work.h"
#include "tests/record/outputs.h"
#include "tests/testutil.h"
#include "tests/workloads/servers.h"

static const char *const backend[2] = { "uring", "epoll" };

TestSuite(udp_rr, .init = pe_wt_start_servers, .fini = pe_wt_stop_servers, .timeout = 120);

static long long num(struct json_object *doc, const char *who, const char *k)
{
	struct json_object *o = NULL;

	cr_assert(json_object_object_get_ex(doc, who, &o) && o, "no \"%s\" in the report", who);
	return (long long)pe_json_i64(o, k, -999);
}

/* Runs the client against server b; returns its parsed --json report (caller puts). */
static struct json_object *client(struct pe_run *r, int b, const char *host, const char *args)
{
	struct json_object *doc;

	cr_assert_eq(pe_run(r, "%s client %s -p %u --backend %s --json --mode udp-rr %s",
			    PE_TEST_BIN, host, pe_server_port(pe_wt_srv[b]), backend[b], args),
		     0);
	cr_assert_eq(r->status, 0, "'%s': status %d\nstdout: %s\nstderr: %s", args, r->status,
		     r->out, r->err);
	doc = pe_ro_client_view(json_tokener_parse(r->out));
	cr_assert(doc, "'%s': the report is not JSON: %s", args, r->out);
	return doc;
}

static const char *const hosts[2] = { "127.0.0.1", "::1" };

/* plain numbers: Criterion may hand the parameters to another copy of the binary */
struct path {
	int b, v6;
};

ParameterizedTestParameters(udp_rr, exact_books)
{
	static struct path cases[] = {
		{ 0, 0 },
		{ 0, 1 },
		{ 1, 0 },
		{ 1, 1 },
	};
	return cr_make_param_array(struct path, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct path *pa, udp_rr, exact_books)
{
	struct pe_run r;
	struct json_object *d = client(&r, pa->b, hosts[pa->v6],
				       "-t 0.3 --conns 2 -l 100 --resp-len 300 --spin 200");
	long long tr = num(d, "client", "transactions"), tmo = num(d, "client", "rr_timeouts");
	long long req = num(d, "client", "tx_msgs"), answered = num(d, "server", "transactions");

	cr_expect_gt(tr, 100, "%s %s: %lld transactions", backend[pa->b], hosts[pa->v6], tr);
	/* every request was answered in time or timed out; the server answered every one it got,
	 * and the client counted each answer it got in time once */
	cr_expect_eq(req, tr + tmo);
	cr_expect_eq(num(d, "server", "rx_msgs"), answered);
	cr_expect_eq(answered, tr + num(d, "client", "rr_late") + (tmo - (req - answered)));
	cr_expect_leq(tmo, 2, "%lld timeouts on loopback", tmo);
	cr_expect_eq(num(d, "client", "rr_retries") + 2 >= tmo, 1);
	cr_expect_eq(num(d, "client", "lat_count"), tr);
	cr_expect_eq(num(d, "client", "tx_bytes"), 100 * req);
	cr_expect_eq(num(d, "client", "rx_bytes"), 300 * tr);
	cr_expect_eq(num(d, "server", "rx_bytes"), 100 * num(d, "server", "rx_msgs"));
	cr_expect_eq(num(d, "server", "tx_bytes"), 300 * answered);
	cr_expect(num(d, "client", "lat_min_ns") > 0 &&
		  num(d, "client", "lat_p50_ns") <= num(d, "client", "lat_p99_ns") &&
		  num(d, "client", "lat_p99_ns") <= num(d, "client", "lat_max_ns"));
	cr_expect_eq(num(d, "params", "len_bytes"), 100);
	cr_expect_eq(num(d, "params", "resp_len_bytes"), 300);
	cr_expect_eq(num(d, "params", "spin_us"), 200);
	cr_expect_eq(pe_json_dbl(json_object_object_get(d, "params"), "rr_timeout_s", -1), 1.0);
	json_object_put(d);
	pe_run_free(&r);
}

ParameterizedTestParameters(udp_rr, lost_requests_time_out_and_are_retried)
{
	static struct path cases[] = {
		{ 0, 1 },
		{ 1, 0 },
	};
	return cr_make_param_array(struct path, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct path *pa, udp_rr, lost_requests_time_out_and_are_retried)
{
	struct pe_run r;
	struct json_object *d;
	long long got, answered, tmo, tr, retries;

	/* the in-process server leaves every 25th request it receives unanswered */
	cr_assert_eq(setenv("PKTENG_TEST_UDP_RR_DROP", "25", 1), 0);
	d = client(&r, pa->b, hosts[pa->v6], "-t 0.5 --conns 2 --rr-timeout 0.02");
	unsetenv("PKTENG_TEST_UDP_RR_DROP");
	got = num(d, "server", "rx_msgs");
	answered = num(d, "server", "transactions");
	tmo = num(d, "client", "rr_timeouts");
	tr = num(d, "client", "transactions");
	retries = num(d, "client", "rr_retries");

	cr_expect_eq(got - answered, got / 25, "%lld received, %lld answered", got, answered);
	/* exactly the unanswered ones timed out: no more, no fewer */
	cr_expect_eq(tmo, got / 25, "%s %s: %lld timeouts for %lld dropped", backend[pa->b],
		     hosts[pa->v6], tmo, got / 25);
	cr_expect_geq(tmo, 5, "only %lld timeouts", tmo);
	cr_expect_eq(tr, answered);
	cr_expect_eq(num(d, "client", "rr_late"), 0);
	cr_expect_eq(num(d, "client", "tx_msgs"), tr + tmo);
	cr_expect_eq(num(d, "client", "lat_count"), tr);
	/* each timeout is retried, except one that runs out at the end on a socket */
	cr_expect(retries <= tmo && retries + 2 >= tmo, "%lld retries, %lld timeouts", retries,
		  tmo);
	/* the run did not stall: traffic went on and it ended soon after its 0.5 s */
	cr_expect_gt(tr, 200);
	cr_expect_lt(pe_json_dbl(json_object_object_get(d, "client"), "duration_s", 99), 1.5);
	json_object_put(d);
	pe_run_free(&r);
}

struct bad {
	const char *args, *want;
};

Test(udp_rr, bad_parameters_name_the_option)
{
	static const struct bad cases[] = {
		{ "--mode udp-rr -l 65508", "client: -l '65508': expected 16..65507 bytes for "
					    "--mode udp-rr" },
		{ "--mode udp-rr -l 15", "client: -l '15': expected 16..65507 bytes for "
					 "--mode udp-rr" },
		{ "--mode udp-rr --resp-len 0", "client: --resp-len '0': expected 16..65507 bytes "
						"for --mode udp-rr" },
		{ "--mode udp-rr --rr-timeout 0", "client: --rr-timeout '0': expected 0.001..60 "
						  "seconds" },
		{ "--mode udp-rr --rr-timeout 61", "client: --rr-timeout '61': expected 0.001..60 "
						   "seconds" },
		{ "--mode udp-rr -P 4097", "client: -P '4097': expected 1..4096" },
		{ "--mode udp -l 65508", "client: -l '65508': expected 24..65507 bytes for "
					 "--mode udp" },
		{ "--mode rr --rr-timeout 1", "client: --rr-timeout is for --mode udp-rr" },
		{ "--mode udp-rr -R", "client: -R is for --mode stream" },
		{ "--mode stream --resp-len 10", "client: --resp-len is for --mode rr, crr or "
						 "udp-rr" },
		{ "--mode stream -R --bidir", "client: -R and --bidir exclude each other" },
		{ "--mode udp -b 1M --pps 10", "client: -b and --pps exclude each other" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_run r;
		char want[200];

		snprintf(want, sizeof(want), "pkteng: %s\n", cases[i].want);
		cr_assert_eq(pe_run(&r, "%s client 127.0.0.1 -p 1 %s", PE_TEST_BIN, cases[i].args),
			     0);
		cr_expect_eq(r.status, 2, "'%s': status %d", cases[i].args, r.status);
		cr_expect_str_eq(r.err, want, "'%s'", cases[i].args);
		cr_expect_eq(r.out_len, 0, "'%s': %s", cases[i].args, r.out);
		pe_run_free(&r);
	}
}

/* --help is made from the tables: every mode and every option is in it, and every bench row */
Test(udp_rr, help_lists_every_mode_and_option)
{
	struct pe_run r;
	int i;

	cr_assert_eq(pe_run(&r, "%s client --help", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 0);
	for (i = 0; i < PE_MODE__COUNT; i++) {
		char line[64];

		snprintf(line, sizeof(line), "\n  %-8s ", pe_mode_name((enum pe_mode)i));
		cr_expect(strstr(r.out, line), "no mode line '%s'", line);
	}
	for (i = 0; i < PE_P__COUNT; i++) {
		char opt[64];

		if (!pe_param_table[i].opt)
			continue;
		snprintf(opt, sizeof(opt), "--%s", pe_param_table[i].opt);
		cr_expect(strstr(r.out, opt), "no option %s", opt);
	}
	pe_run_free(&r);

	/* and bench's rows */
	cr_assert_eq(pe_run(&r, "%s bench --help", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 0);
	for (i = 0; i < PE_MODE__COUNT; i++) {
		const char *label = pe_mode_desc((enum pe_mode)i)->bench_label;

		if (label)
			cr_expect(strstr(r.out, label), "bench --help lacks %s", label);
	}
	cr_expect(strstr(r.out, "udp-rr 64 x1"), "%s", r.out);
	pe_run_free(&r);
}
