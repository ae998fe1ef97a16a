/* SPDX-License-Identifier: BSD-2-Clause */
/* Ctrl-C keeps the results: a client of every mode on both backends, stopped by SIGINT after
 * 1.5 s of a 10 s test, prints the summary of what ran (valid against the schema, marked
 * interrupted, with the server's figures) in --json, --json-stream and text. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/record/outputs.h"
#include "tests/testutil.h"
#include "tests/workloads/servers.h"

static char *dir;
static char file[300];

static void setup(void)
{
	static char block[1 << 20];
	FILE *f;

	pe_wt_start_servers();
	dir = pe_tmpdir();
	cr_assert(dir);
	/* file mode: 64 MiB through a 1 KiB socket buffer (-w 1K) lasts seconds here, and hashing
	 * it first takes a tenth or two */
	snprintf(file, sizeof(file), "%s/big", dir);
	f = fopen(file, "we");
	cr_assert(f);
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (char)(i * 7);
	for (int i = 0; i < 64; i++)
		cr_assert_eq(fwrite(block, 1, sizeof(block), f), sizeof(block));
	cr_assert_eq(fclose(f), 0);
}

static void teardown(void)
{
	pe_wt_stop_servers();
	pe_tmpdir_remove(dir);
}

TestSuite(interrupt, .init = setup, .fini = teardown, .timeout = 240);

static const char *const backend[] = { "uring", "epoll" };

/* Starts the client in the background, sends sig after 1.5 s and waits: r holds the client's
 * exit status, its stdout is in dir/out. */
static void run_stopped(struct pe_run *r, int b, const char *mode, const char *fmt, const char *sig)
{
	char extra[400] = "";

	if (!strcmp(mode, "file"))
		snprintf(extra, sizeof(extra), "--file %s -w 1K", file);
	cr_assert_eq(pe_run(r,
			    "%s client 127.0.0.1 -p %u --backend %s --mode %s -t 10 %s %s > %s/out "
			    "& p=$!; sleep 1.5; kill -%s $p; wait $p",
			    PE_TEST_BIN, pe_server_port(pe_wt_srv[b]), backend[b], mode, extra, fmt,
			    dir, sig),
		     0);
}

Test(interrupt, every_mode_both_backends_json)
{
	static const char *const fmts[] = { "--json", "--json-stream" };
	char path[320];

	snprintf(path, sizeof(path), "%s/out", dir);
	for (int b = 0; b < 2; b++)
		for (int m = 0; m < PE_MODE__COUNT; m++)
			for (int k = 0; k < 2; k++) {
				const char *mode = pe_mode_name((enum pe_mode)m);
				/* a file cut short is an incomplete transfer: the server says so
				 * and the run fails, with both sides' figures */
				bool is_file = m == PE_MODE_FILE;
				struct json_object *sum;
				struct pe_run r;
				double t1;

				run_stopped(&r, b, mode, fmts[k], "INT");
				cr_expect_eq(r.status, is_file, "%s %s %s: status %d: %s",
					     backend[b], mode, fmts[k], r.status, r.err);
				if (is_file)
					cr_expect(strstr(r.err,
							 "pkteng: client: server side: transfer "
							 "incomplete: received "),
						  "%s", r.err);
				sum = pe_ro_validate_file(path, k ? "stream" : "json", 1);
				t1 = pe_ro_num(sum, "t1_s");
				cr_expect_eq(pe_ro_bool(sum, "interrupted"), true, "%s %s %s",
					     backend[b], mode, fmts[k]);
				cr_expect_eq(pe_ro_bool(sum, "ok"), !is_file, "%s %s", backend[b],
					     mode);
				/* the signal comes 1.5 s after the start of the process, which
				 * connects first (and in file mode hashes the file) */
				cr_expect(t1 > (is_file ? 0.8 : 1.0) && t1 < 2.0,
					  "%s %s %s: ran %.3f s", backend[b], mode, fmts[k], t1);
				cr_expect_gt(pe_ro_u64(sum, "client.tx_bytes"), 0, "%s %s",
					     backend[b], mode);
				/* the server answered: its side of the same test */
				cr_expect_gt(pe_ro_u64(sum, "server.rx_bytes"), 0, "%s %s",
					     backend[b], mode);
				cr_expect(pe_ro_num(sum, "server.duration_s") >
						  (is_file ? 0.7 : 0.9),
					  "%s %s", backend[b], mode);
				if (pe_mode_desc((enum pe_mode)m)->latency)
					cr_expect_gt(pe_ro_u64(sum, "client.transactions"), 0,
						     "%s %s", backend[b], mode);
				json_object_put(sum);
				pe_run_free(&r);
			}
}

Test(interrupt, text_summary_and_sigterm)
{
	for (int b = 0; b < 2; b++) {
		char path[320], *out;
		struct pe_run r;

		snprintf(path, sizeof(path), "%s/out", dir);
		run_stopped(&r, b, "stream", "", b ? "TERM" : "INT");
		cr_expect_eq(r.status, 0, "%s: %s", backend[b], r.err);
		out = pe_read_file(path, NULL);
		cr_assert(out);
		cr_expect(strstr(out, "\n-- stream summary (interrupted)\nclient "), "%s", out);
		cr_expect(strstr(out, "\nserver  "), "the server's figures: %s", out);
		cr_expect_null(strstr(out, "no figures"), "%s", out);
		free(out);
		pe_run_free(&r);
	}
}

/* bench --json: the tests that ran, the one cut short among them, in a valid record. */
Test(interrupt, bench_json)
{
	char path[320];
	struct json_object *sum;
	struct pe_run r;

	snprintf(path, sizeof(path), "%s/bench.json", dir);
	cr_assert_eq(pe_run(&r,
			    "%s bench --json -t 3 --backend epoll > %s & p=$!; sleep 1.5; "
			    "kill -INT $p; wait $p",
			    PE_TEST_BIN, path),
		     0);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect_str_eq(r.err, "pkteng: bench: interrupted after 1 test(s)\n");
	sum = pe_ro_validate_file(path, "json", 1);
	cr_expect_eq(pe_ro_bool(sum, "interrupted"), true);
	cr_expect_eq(pe_ro_u64(sum, "tests"), 1);
	cr_expect_eq(pe_ro_u64(sum, "failed"), 0);
	cr_expect(pe_ro_num(sum, "t1_s") > 1.0 && pe_ro_num(sum, "t1_s") < 2.0, "%.3f",
		  pe_ro_num(sum, "t1_s"));
	json_object_put(sum);
	pe_run_free(&r);
}
