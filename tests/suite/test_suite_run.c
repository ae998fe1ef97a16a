/* SPDX-License-Identifier: BSD-2-Clause */
/* Real suites on loopback: the results directory holds exactly the runs planned, in the
 * interleaved order, each with its record and the metrics taken from it; two binaries side by
 * side; Ctrl-C leaves a valid directory marked partial. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "tests/testutil.h"

static void write_str(const char *path, const char *text)
{
	cr_assert_eq(pe_write_file(path, text, strlen(text)), 0, "%s", path);
}

static struct json_object *get(struct json_object *o, const char *path)
{
	char key[64];

	while (o && *path) {
		size_t n = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (path[n] == '.');
	}
	return o;
}

static const char *str(struct json_object *o, const char *path)
{
	return json_object_get_string(get(o, path));
}

/* The lines of runs.jsonl, parsed; *n their count. */
static struct json_object **read_runs(const char *dir, unsigned *n)
{
	char path[300], *text, *line, *save = NULL;
	struct json_object **lines = calloc(64, sizeof(*lines));

	snprintf(path, sizeof(path), "%s/runs.jsonl", dir);
	text = pe_read_file(path, NULL);
	cr_assert_not_null(text, "%s", path);
	*n = 0;
	for (line = strtok_r(text, "\n", &save); line && *n < 64;
	     line = strtok_r(NULL, "\n", &save)) {
		lines[*n] = json_tokener_parse(line);
		cr_assert_not_null(lines[*n], "line %u is JSON", *n + 1);
		(*n)++;
	}
	free(text);
	return lines;
}

static struct json_object *read_suite(const char *dir)
{
	char path[300];
	struct json_object *o;

	snprintf(path, sizeof(path), "%s/suite.json", dir);
	o = json_object_from_file(path);
	cr_assert_not_null(o, "%s", path);
	return o;
}

/* 2 points x 2 settings variants x 2 runs: 8 lines in ABBA order, each with its record. */
Test(suite_run, loopback)
{
	static const char *const want[][3] = {
		{ "rr/backend=uring", "small", "1" }, { "rr/backend=uring", "big", "1" },
		{ "rr/backend=epoll", "small", "1" }, { "rr/backend=epoll", "big", "1" },
		{ "rr/backend=epoll", "big", "2" },   { "rr/backend=epoll", "small", "2" },
		{ "rr/backend=uring", "big", "2" },   { "rr/backend=uring", "small", "2" },
	};
	char *dir = pe_tmpdir(), ini[300], out[300];
	struct json_object **runs, *suite;
	struct utsname u;
	struct pe_run r;
	unsigned n;

	snprintf(ini, sizeof(ini), "%s/s.ini", dir);
	snprintf(out, sizeof(out), "%s/results", dir);
	write_str(ini, "[global]\nruns = 2\ntime = 0.5\nvariant.small = len=64\n"
		       "variant.big = len=1000\n\n[rr]\nmode = rr\nbackend = uring, epoll\n");
	cr_assert_eq(pe_run(&r, "%s suite %s --out %s", PE_TEST_BIN, ini, out), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_str_empty(r.err, "no progress when stderr is not a terminal");
	cr_expect_not_null(strstr(r.out, "8 of 8 runs (0 failed"), "%s", r.out);
	runs = read_runs(out, &n);
	cr_assert_eq(n, 8);
	for (unsigned i = 0; i < n; i++) {
		struct json_object *l = runs[i], *m = get(l, "metrics");

		cr_expect_str_eq(str(l, "point"), want[i][0], "line %u", i + 1);
		cr_expect_str_eq(str(l, "variant"), want[i][1], "line %u", i + 1);
		cr_expect_str_eq(str(l, "run"), want[i][2], "line %u", i + 1);
		cr_expect_eq(json_object_get_int(get(l, "seq")), (int)i + 1);
		cr_expect_eq(json_object_get_int(get(l, "schema")), 1);
		cr_expect(json_object_get_boolean(get(l, "ok")), "line %u: %s", i + 1,
			  str(l, "error"));
		cr_expect_null(get(l, "error"));
		cr_expect_not_null(get(l, "noise.steal_pct"));
		cr_expect_not_null(get(l, "noise.other_cpu_pct"));
		cr_expect_eq(json_object_get_boolean(get(l, "disturbed")),
			     get(l, "disturbed_why") != NULL);
		/* the record is the client's own, of this point and variant */
		cr_expect_str_eq(str(l, "record.start.command"), "client");
		cr_expect_str_eq(str(l, "record.start.params.mode"), "rr");
		cr_expect_eq(json_object_get_int(get(l, "record.start.params.len_bytes")),
			     strcmp(want[i][1], "big") ? 64 : 1000);
		cr_expect_str_eq(str(l, "record.start.backend"),
				 strstr(want[i][0], "uring") ? "io_uring" : "epoll");
		cr_expect_eq(json_object_get_double(get(l, "record.start.params.duration_s")), 0.5);
		/* the metrics are the record's figures */
		cr_expect_gt(json_object_get_double(get(m, "transactions_per_s")), 0);
		cr_expect_eq(
			json_object_get_double(get(m, "transactions_per_s")),
			json_object_get_double(get(l, "record.summary.client.transactions_per_s")));
		cr_expect_eq(json_object_get_double(get(m, "lat_p50_ns")),
			     json_object_get_double(get(l, "record.summary.client.lat_p50_ns")));
		cr_expect_eq(json_object_get_double(get(m, "lat_p99_ns")),
			     json_object_get_double(get(l, "record.summary.client.lat_p99_ns")));
		cr_expect_eq(json_object_get_double(get(m, "server_cpu_sys_pct")),
			     json_object_get_double(get(l, "record.summary.server.cpu_sys_pct")));
		json_object_put(l);
	}
	free(runs);
	suite = read_suite(out);
	cr_expect_str_eq(str(suite, "kind"), "pkteng-suite");
	cr_expect_eq(json_object_get_boolean(get(suite, "partial")), false);
	cr_expect_eq(json_object_get_boolean(get(suite, "interrupted")), false);
	cr_expect_not_null(get(suite, "end_utc"));
	cr_expect_eq(json_object_get_int(get(suite, "runs")), 2);
	cr_expect_eq(json_object_get_int(get(suite, "warmup_runs")), 1);
	cr_expect_str_eq(str(suite, "order"), "abba");
	cr_expect_eq(json_object_array_length(get(suite, "points")), 2);
	cr_expect_eq(json_object_array_length(get(suite, "variants")), 2);
	cr_expect_str_eq(str(json_object_array_get_idx(get(suite, "points"), 1), "id"),
			 "rr/backend=epoll");
	cr_expect_str_eq(str(json_object_array_get_idx(get(suite, "variants"), 1), "settings.len"),
			 "1000");
	uname(&u);
	cr_expect_str_eq(str(suite, "host.kernel"), u.release);
	cr_expect_not_null(get(suite, "host.cpu_count"));
	json_object_put(suite);
	/* every record is valid against the schema */
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r,
			    "cd %s && python3 -c 'import json,sys\n"
			    "for i,l in enumerate(open(\"results/runs.jsonl\")):\n"
			    "  json.dump(json.loads(l)[\"record\"], open(\"r%%d.json\" %% i, "
			    "\"w\"))' && "
			    "for f in r*.json; do %s %s/tests/record/validate.py "
			    "%s/docs/results.schema.json json $f || exit 1; done",
			    dir, PE_PYTHON, PE_TEST_SRC, PE_TEST_SRC),
		     0);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	pe_run_free(&r);
	pe_tmpdir_remove(dir);
}

/* --bin twice (the same binary) compares two named binaries in one session. */
Test(suite_run, two_bins)
{
	char *dir = pe_tmpdir(), ini[300], out[300];
	struct json_object **runs, *suite;
	struct pe_run r;
	unsigned n;

	snprintf(ini, sizeof(ini), "%s/s.ini", dir);
	snprintf(out, sizeof(out), "%s/results", dir);
	write_str(ini, "[global]\nruns = 1\ntime = 0.3\n[udp-rr]\nmode = udp-rr\n");
	cr_assert_eq(pe_run(&r, "%s suite %s --out %s --bin %s --bin next=%s", PE_TEST_BIN, ini,
			    out, PE_TEST_BIN, PE_TEST_BIN),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	runs = read_runs(out, &n);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(str(runs[0], "variant"), "base");
	cr_expect_str_eq(str(runs[1], "variant"), "next");
	cr_expect_str_eq(str(runs[0], "point"), "udp-rr");
	for (unsigned i = 0; i < n; i++) {
		cr_expect(json_object_get_boolean(get(runs[i], "ok")), "%s", str(runs[i], "error"));
		cr_expect_eq(json_object_get_double(get(runs[i], "metrics.transactions_per_s")),
			     json_object_get_double(
				     get(runs[i], "record.summary.client.transactions_per_s")));
		json_object_put(runs[i]);
	}
	free(runs);
	suite = read_suite(out);
	cr_expect_str_eq(str(json_object_array_get_idx(get(suite, "variants"), 1), "name"), "next");
	cr_expect_str_eq(str(json_object_array_get_idx(get(suite, "variants"), 1), "git_commit"),
			 str(json_object_array_get_idx(get(suite, "variants"), 0), "git_commit"));
	cr_expect_null(get(json_object_array_get_idx(get(suite, "variants"), 0), "settings"));
	json_object_put(suite);
	pe_run_free(&r);
	pe_tmpdir_remove(dir);
}

/* A settings variant's env.NAME=VALUE reaches its clients only: the udp sender's skip hook
 * drops exactly every 7th sequence number in the variant that sets it and none in the other. */
Test(suite_run, variant_env)
{
	char *dir = pe_tmpdir(), ini[300], out[300];
	struct json_object **runs, *suite;
	struct pe_run r;
	unsigned n;

	snprintf(ini, sizeof(ini), "%s/s.ini", dir);
	snprintf(out, sizeof(out), "%s/results", dir);
	write_str(ini, "[global]\nruns = 1\nwarmup = 0\ntime = 0.3\nvariant.plain =\n"
		       "variant.skip = env.PKTENG_TEST_UDP_SKIP=7\n"
		       "[udp]\nmode = udp\npps = 20000\nlen = 64\n");
	cr_assert_eq(pe_run(&r, "%s suite %s --out %s", PE_TEST_BIN, ini, out), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	runs = read_runs(out, &n);
	cr_assert_eq(n, 2);
	for (unsigned i = 0; i < n; i++) {
		bool skip = !strcmp(str(runs[i], "variant"), "skip");
		long long sent = json_object_get_int64(
				  get(runs[i], "record.summary.client.udp_tx_datagrams")),
			  tx = json_object_get_int64(get(runs[i], "record.summary.client.tx_msgs"));

		cr_expect(json_object_get_boolean(get(runs[i], "ok")), "%s", str(runs[i], "error"));
		cr_expect_gt(sent, 1000, "%s: %lld sent", str(runs[i], "variant"), sent);
		cr_expect_eq(tx, skip ? sent - sent / 7 : sent, "%s: %lld of %lld",
			     str(runs[i], "variant"), tx, sent);
		json_object_put(runs[i]);
	}
	free(runs);
	suite = read_suite(out);
	{
		struct json_object *set = get(json_object_array_get_idx(get(suite, "variants"), 1),
					      "settings"),
				   *v;

		cr_assert(set && json_object_object_get_ex(set, "env.PKTENG_TEST_UDP_SKIP", &v),
			  "%s", json_object_to_json_string(set));
		cr_expect_str_eq(json_object_get_string(v), "7");
	}
	json_object_put(suite);
	pe_run_free(&r);
	pe_tmpdir_remove(dir);
}

/* Ctrl-C during a run: that run ends, no other starts; suite.json says partial and
 * interrupted, runs.jsonl holds only whole lines. */
Test(suite_run, interrupted)
{
	char *dir = pe_tmpdir(), ini[300], out[300];
	struct json_object **runs, *suite;
	struct pe_run r;
	unsigned n;

	snprintf(ini, sizeof(ini), "%s/s.ini", dir);
	snprintf(out, sizeof(out), "%s/results", dir);
	write_str(ini, "[global]\nruns = 10\ntime = 1\n[rr]\nmode = rr\n");
	cr_assert_eq(pe_run(&r, "%s suite %s --out %s & p=$!; sleep 2.5; kill -INT $p; wait $p",
			    PE_TEST_BIN, ini, out),
		     0);
	cr_expect_eq(r.status, 1);
	cr_expect_not_null(strstr(r.err, "pkteng suite: interrupted after "), "%s", r.err);
	runs = read_runs(out, &n);
	cr_expect_geq(n, 1);
	cr_expect_leq(n, 2, "it stopped after the run it was in");
	for (unsigned i = 0; i < n; i++) {
		cr_expect(json_object_get_boolean(get(runs[i], "ok")), "%s", str(runs[i], "error"));
		cr_expect_eq(json_object_get_int(get(runs[i], "run")), (int)i + 1);
		cr_expect_eq(json_object_get_boolean(get(runs[i], "record.summary.interrupted")),
			     false, "the run itself was not cut short");
		json_object_put(runs[i]);
	}
	free(runs);
	suite = read_suite(out);
	cr_expect_eq(json_object_get_boolean(get(suite, "partial")), true);
	cr_expect_eq(json_object_get_boolean(get(suite, "interrupted")), true);
	cr_expect_not_null(get(suite, "end_utc"));
	json_object_put(suite);
	pe_run_free(&r);
	pe_tmpdir_remove(dir);
}

/* bench is the loopback suite: --print-suite is suites/loopback.ini, --out writes the
 * results directory. */
Test(suite_run, bench)
{
	char *dir = pe_tmpdir(), out[300], path[300], *shipped;
	struct json_object **runs, *suite;
	struct pe_run r;
	unsigned n;

	cr_assert_eq(pe_run(&r, "%s bench --print-suite", PE_TEST_BIN), 0);
	snprintf(path, sizeof(path), "%s/suites/loopback.ini", PE_TEST_SRC);
	shipped = pe_read_file(path, NULL);
	cr_assert_not_null(shipped);
	cr_expect_str_eq(r.out, shipped, "suites/loopback.ini is what bench runs");
	free(shipped);
	pe_run_free(&r);
	snprintf(out, sizeof(out), "%s/results", dir);
	cr_assert_eq(pe_run(&r, "%s bench -t 0.2 --backend epoll -r 2 --out %s", PE_TEST_BIN, out),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_not_null(strstr(r.out, "udp-rr "), "%s", r.out);
	runs = read_runs(out, &n);
	cr_expect_eq(n, 10, "5 rows x 2 runs");
	for (unsigned i = 0; i < n; i++)
		json_object_put(runs[i]);
	free(runs);
	suite = read_suite(out);
	cr_expect_null(get(suite, "suite_file"));
	cr_expect_eq(json_object_array_length(get(suite, "points")), 5);
	cr_expect_str_eq(str(json_object_array_get_idx(get(suite, "points"), 3), "id"), "echo64");
	json_object_put(suite);
	pe_run_free(&r);
	pe_tmpdir_remove(dir);
}

static double num(struct json_object *o, const char *path)
{
	struct json_object *x = get(o, path);

	cr_assert_not_null(x, "%s", path);
	return json_object_get_double(x);
}

/* A metric by its whole name (per-host names hold a dot). */
static double metric(struct json_object *run, const char *name)
{
	struct json_object *x = NULL;

	cr_assert(json_object_object_get_ex(get(run, "metrics"), name, &x), "metric %s", name);
	return json_object_get_double(x);
}

/* Hosts without ssh: the server on one, a client on each of two others, all here. The run's
 * metrics are the clients' sums (and each as NAME.metric), every host has its offset and
 * metadata, the clients started together and their records are kept. */
Test(suite_run, hosts_local)
{
	char *dir = pe_tmpdir(), ini[300], out[300];
	struct json_object **runs;
	struct pe_run r;
	unsigned n;

	snprintf(ini, sizeof(ini), "%s/h.ini", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	write_str(ini, "[global]\nruns = 1\nwarmup = 0\ntime = 0.5\n\n"
		       "[host dut]\naddr = 127.0.0.1\ncpus = 0\n[host g1]\nssh = localhost\n"
		       "[host g2]\n\n[rr]\nmode = rr\nserver = dut\nclients = g1, g2\n");
	cr_assert_eq(pe_run(&r, "%s suite %s --out %s", PE_TEST_BIN, ini, out), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	runs = read_runs(out, &n);
	cr_assert_eq(n, 1);
	cr_expect(json_object_get_boolean(get(runs[0], "ok")), "%s", str(runs[0], "error"));
	cr_expect_float_eq(metric(runs[0], "transactions_per_s"),
			   metric(runs[0], "g1.transactions_per_s") +
				   metric(runs[0], "g2.transactions_per_s"),
			   1e-3 * metric(runs[0], "transactions_per_s"));
	cr_expect_gt(metric(runs[0], "g2.transactions_per_s"), 100);
	cr_expect_eq(metric(runs[0], "lat_p99_ns"),
		     metric(runs[0], "g1.lat_p99_ns") > metric(runs[0], "g2.lat_p99_ns")
			     ? metric(runs[0], "g1.lat_p99_ns")
			     : metric(runs[0], "g2.lat_p99_ns"));
	cr_expect_lt(num(runs[0], "start_spread_ns"), 50e6);
	cr_expect_str_eq(str(runs[0], "hosts.dut.role"), "server");
	cr_expect_str_eq(str(runs[0], "hosts.g1.role"), "client");
	cr_expect_str_eq(str(runs[0], "hosts.dut.dev.name"), "lo");
	/* one clock: the true offset, 0, is within half the sample's round trip */
	cr_expect_leq(fabs(num(runs[0], "hosts.g2.clock_offset_ns")),
		      num(runs[0], "hosts.g2.clock_rtt_ns") / 2 + 1000);
	cr_expect_gt(num(runs[0], "records.g1.summary.client.transactions"), 0);
	cr_expect_eq(num(runs[0], "records.g2.start.sync.started_ns"),
		     num(runs[0], "hosts.g2.started_ns"));
	json_object_put(runs[0]);
	free(runs);
	pe_tmpdir_remove(dir);
}

/* --start-at: the client waits for the time and its record says when it was asked to start
 * and when it did; a time that is not one is refused. */
Test(suite_run, client_start_at)
{
	struct json_object *rec;
	struct timespec ts;
	struct pe_run r;
	long at_s;

	cr_assert_eq(pe_run(&r, "%s client 127.0.0.1 --mode rr --start-at 12", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "pkteng: client: --start-at '12': expected seconds since 1970 "
				"(1765000000.25)\n");
	pe_run_free(&r);
	clock_gettime(CLOCK_REALTIME, &ts);
	at_s = (long)ts.tv_sec + 2;
	cr_assert_eq(pe_run(&r,
			    "%s server --bind 127.0.0.1 -p 42611 -q & s=$!; sleep 0.3; "
			    "%s client 127.0.0.1 -p 42611 --mode rr -t 0.2 --json "
			    "--start-at %ld.25; rc=$?; kill $s; exit $rc",
			    PE_TEST_BIN, PE_TEST_BIN, at_s),
		     0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	rec = json_tokener_parse(r.out);
	cr_assert_not_null(rec);
	cr_expect_eq(json_object_get_int64(get(rec, "start.sync.start_at_ns")),
		     (int64_t)at_s * 1000000000 + 250000000);
	cr_expect_geq(num(rec, "start.sync.started_ns"), num(rec, "start.sync.start_at_ns"));
	cr_expect_lt(num(rec, "start.sync.started_ns") - num(rec, "start.sync.start_at_ns"), 50e6);
	json_object_put(rec);
	/* and the record with its sync is valid against the schema */
	{
		char *dir = pe_tmpdir(), path[300];
		struct pe_run v;

		snprintf(path, sizeof(path), "%s/rec.json", dir);
		write_str(path, r.out);
		cr_assert_eq(pe_run(&v,
				    "%s %s/tests/record/validate.py %s/docs/results.schema.json "
				    "json %s",
				    PE_PYTHON, PE_TEST_SRC, PE_TEST_SRC, path),
			     0);
		cr_expect_eq(v.status, 0, "%s%s", v.out, v.err);
		pe_run_free(&v);
		pe_tmpdir_remove(dir);
	}
	pe_run_free(&r);
}
