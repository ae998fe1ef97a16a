/* SPDX-License-Identifier: BSD-2-Clause */
/* client (every mode, against an in-process server on loopback) and bench: their --json and
 * --json-stream output against docs/results.schema.json, and a few exact figures. */
#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/record/outputs.h"
#include "tests/testutil.h"
#include "workload/work.h"

static struct pe_server *srv;
static char *dir;

static void setup(void)
{
	struct pe_server_opts so = { .sz = sizeof(so), .bind = "127.0.0.1" };

	srv = pe_server_open(&so);
	cr_assert(srv, "server: %s", strerror(errno));
	cr_assert_eq(pe_server_start(srv), 0);
	dir = pe_tmpdir();
	cr_assert(dir);
}

static void teardown(void)
{
	pe_server_close(srv);
	pe_tmpdir_remove(dir);
}

TestSuite(record_client, .init = setup, .fini = teardown, .timeout = 240);

/* Runs a client test in both shapes, each with at least min_iv intervals; returns the --json
 * summary (caller puts). */
static struct json_object *client(const char *mode, const char *extra, unsigned min_iv)
{
	static const char *const fmts[] = { "--json-stream", "--json" };
	struct json_object *sum = NULL;

	for (unsigned i = 0; i < 2; i++) {
		struct pe_run r;

		json_object_put(sum);
		cr_assert_eq(pe_run(&r, "%s client 127.0.0.1 -p %u --mode %s -t 0.3 -i 0.1 %s %s",
				    PE_TEST_BIN, pe_server_port(srv), mode, extra, fmts[i]),
			     0);
		cr_assert_eq(r.status, 0, "%s %s: %s", mode, fmts[i], r.err);
		sum = pe_ro_validate(r.out, i ? "json" : "stream", min_iv);
		cr_expect_eq(pe_ro_bool(sum, "ok"), true, "%s %s", mode, fmts[i]);
		cr_expect_eq(pe_ro_bool(sum, "interrupted"), false);
		pe_run_free(&r);
	}
	return sum;
}

/* The client's lat_hist: present exactly for latency modes, its buckets rising, its counts
 * adding up to lat_count, its last bucket holding lat_max_ns; the server never has one. */
static void check_hist(struct json_object *sum, const char *name, bool latency)
{
	struct json_object *cli = NULL, *sv = NULL, *h = NULL;
	uint64_t total = 0, prev = 0, upper = 0;

	json_object_object_get_ex(sum, "client", &cli);
	json_object_object_get_ex(sum, "server", &sv);
	cr_expect_eq(json_object_object_get_ex(sv, "lat_hist", NULL), false, "%s", name);
	cr_assert_eq(json_object_object_get_ex(cli, "lat_hist", &h), latency, "%s", name);
	if (!latency)
		return;
	cr_assert_gt(json_object_array_length(h), 0, "%s", name);
	for (size_t i = 0; i < json_object_array_length(h); i++) {
		struct json_object *pair = json_object_array_get_idx(h, i);

		cr_assert_eq(json_object_array_length(pair), 2);
		upper = (uint64_t)json_object_get_int64(json_object_array_get_idx(pair, 0));
		cr_expect_gt(upper, prev, "%s: bucket %zu rises", name, i);
		prev = upper;
		total += (uint64_t)json_object_get_int64(json_object_array_get_idx(pair, 1));
	}
	cr_expect_eq(total, pe_ro_u64(sum, "client.lat_count"), "%s", name);
	cr_expect_geq(upper, pe_ro_u64(sum, "client.lat_max_ns"), "%s", name);
	cr_expect_leq(upper - upper / 128, pe_ro_u64(sum, "client.lat_max_ns"), "%s", name);
}

/* Every mode in the table, so a new mode is held to the schema from its first line. */
Test(record_client, every_mode)
{
	char file[300], extra[400];

	snprintf(file, sizeof(file), "%s/payload", dir);
	cr_assert_eq(pe_write_file(file, "0123456789abcdef", 16), 0);
	for (int m = 0; m < PE_MODE__COUNT; m++) {
		const char *name = pe_mode_name((enum pe_mode)m);
		struct json_object *sum;

		snprintf(extra, sizeof(extra), "%s%s",
			 pe_mode_desc((enum pe_mode)m)->file_arg ? "--file " : "",
			 pe_mode_desc((enum pe_mode)m)->file_arg ? file : "");
		/* a 16-byte file is sent before the first interval ends */
		sum = client(name, extra, pe_mode_desc((enum pe_mode)m)->file_arg ? 0 : 1);
		if (!strcmp(name, "stream"))
			cr_expect_eq(pe_ro_u64(sum, "client.tx_bytes"),
				     pe_ro_u64(sum, "server.rx_bytes"),
				     "stream: what was sent arrived");
		if (!strcmp(name, "file")) {
			cr_expect_eq(pe_ro_u64(sum, "server.file_bytes"), 16);
			cr_expect_str_eq(
				pe_ro_str(sum, "server.file_sha256"),
				"9f9f5111f7b27a781f1f1ddde5ebc2dd2b796bfc7365c9c28b548e564176929f");
		}
		if (!strcmp(name, "rr") || !strcmp(name, "udp-rr"))
			cr_expect_eq(pe_ro_u64(sum, "client.transactions"),
				     pe_ro_u64(sum, "client.lat_count"), "%s", name);
		check_hist(sum, name, pe_mode_desc((enum pe_mode)m)->latency);
		json_object_put(sum);
	}
}

/* bench: one interval per test, a summary that counts them. */
Test(record_client, bench)
{
	static const char *const fmts[] = { "--json-stream", "--json" };
	unsigned rows = 0;

	for (int m = 0; m < PE_MODE__COUNT; m++)
		rows += pe_mode_desc((enum pe_mode)m)->bench_label != NULL;
	for (unsigned i = 0; i < 2; i++) {
		struct json_object *sum;
		struct pe_run r;

		cr_assert_eq(pe_run(&r, "%s bench -t 0.1 --backend epoll %s", PE_TEST_BIN, fmts[i]),
			     0);
		cr_assert_eq(r.status, 0, "%s: %s", fmts[i], r.err);
		sum = pe_ro_validate(r.out, i ? "json" : "stream", rows);
		cr_expect_eq(pe_ro_u64(sum, "tests"), rows);
		cr_expect_eq(pe_ro_u64(sum, "failed"), 0);
		json_object_put(sum);
		pe_run_free(&r);
	}
}

/* Ctrl-C ends a client's test early but in order: both sides report what ran, the record is
 * valid and its summary says interrupted. */
Test(record_client, interrupted)
{
	static const char *const fmts[] = { "--json-stream", "--json" };

	for (unsigned i = 0; i < 2; i++) {
		struct json_object *sum;
		struct pe_run r;

		cr_assert_eq(pe_run(&r,
				    "%s client 127.0.0.1 -p %u --mode rr -t 20 -i 0.1 %s & p=$!; "
				    "sleep 0.5; kill -INT $p; wait $p",
				    PE_TEST_BIN, pe_server_port(srv), fmts[i]),
			     0);
		cr_assert_eq(r.status, 0, "%s: %s", fmts[i], r.err);
		sum = pe_ro_validate(r.out, i ? "json" : "stream", 2);
		cr_expect_eq(pe_ro_bool(sum, "interrupted"), true);
		cr_expect_eq(pe_ro_bool(sum, "ok"), true);
		cr_expect_lt(pe_ro_num(sum, "client.duration_s"), 5, "it ended at the signal");
		cr_expect_gt(pe_ro_u64(sum, "server.transactions"), 0);
		json_object_put(sum);
		pe_run_free(&r);
	}
}
