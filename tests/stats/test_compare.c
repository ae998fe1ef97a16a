/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng compare` on small results directories written here: the verdicts and the exit status
 * (1 on a regression, 0 on no change, 2 on bad input), the text and JSON output exactly, the
 * runs left out, the choice of variants, and the metadata differences. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/testutil.h"

static char *tmp;

static void setup(void)
{
	tmp = pe_tmpdir();
	cr_assert(tmp);
}

static void teardown(void)
{
	pe_tmpdir_remove(tmp);
}

TestSuite(compare, .init = setup, .fini = teardown);

struct meta {
	const char *kernel, *commit;
	int cpus;
	const char *variants[2]; /* names; variants[1] may be NULL */
};

static const struct meta same = { "6.1.0-28-amd64", "589e675", 2, { "base", NULL } };

static void write_suite(const char *dir, const struct meta *m)
{
	char path[512], buf[2048], vars[512];

	snprintf(vars, sizeof(vars),
		 "{\"name\":\"%s\",\"bin\":\"/usr/bin/pkteng\",\"pkteng_version\":\"0.1.0\","
		 "\"git_commit\":\"%s\",\"settings\":null}%s%s%s",
		 m->variants[0], m->commit, m->variants[1] ? ",{\"name\":\"" : "",
		 m->variants[1] ? m->variants[1] : "",
		 m->variants[1] ? "\",\"bin\":\"/usr/bin/pkteng\",\"pkteng_version\":\"0.1.0\","
				  "\"git_commit\":\"589e675\",\"settings\":null}"
				: "");
	snprintf(
		buf, sizeof(buf),
		"{\"schema\":1,\"kind\":\"pkteng-suite\",\"suite_file\":null,"
		"\"suite\":{\"rr\":{\"mode\":\"rr\",\"duration\":\"3\"}},\"runs\":8,"
		"\"warmup_runs\":1,\"order\":\"abba\",\"seed\":1234,\"variants\":[%s],"
		"\"points\":[{\"id\":\"rr\",\"test\":\"rr\",\"vars\":{},\"command\":[\"client\"]}],"
		"\"host\":{\"name\":\"lab1\",\"kernel\":\"%s\",\"cpu_model\":\"Xeon\","
		"\"cpu_count\":%d},\"start_utc\":\"2026-12-06T20:00:00Z\",\"end_utc\":null,"
		"\"partial\":false,\"interrupted\":false,"
		"\"disturbed_threshold\":{\"steal_pct\":5,\"other_cpu_pct\":20}}\n",
		vars, m->kernel, m->cpus);
	snprintf(path, sizeof(path), "%s/suite.json", dir);
	cr_assert_eq(pe_write_file(path, buf, strlen(buf)), 0);
}

/* One run line: rate and latency, ok, disturbed, and a record start naming the backend. */
static int run_line(char *buf, size_t len, const char *point, const char *variant, int run, bool ok,
		    bool disturbed, double tps, double lat, const char *backend)
{
	if (!ok)
		return snprintf(buf, len,
				"{\"schema\":1,\"point\":\"%s\",\"variant\":\"%s\",\"run\":%d,"
				"\"ok\":false,\"error\":\"server gone\",\"disturbed\":false,"
				"\"metrics\":{}}\n",
				point, variant, run);
	return snprintf(buf, len,
			"{\"schema\":1,\"point\":\"%s\",\"variant\":\"%s\",\"run\":%d,"
			"\"seq\":%d,\"ok\":true,\"error\":null,\"disturbed\":%s,"
			"\"metrics\":{\"transactions_per_s\":%g,\"lat_p50_ns\":%g,"
			"\"bytes\":1000},\"record\":{\"start\":{\"backend\":\"%s\"}}}\n",
			point, variant, run, run, disturbed ? "true" : "false", tps, lat, backend);
}

static const double tps_base[] = { 20000, 20100, 19900, 20050, 19950, 20200, 19800, 20020 };

/* dir/NAME with n runs of variant at point "rr", rates tps_base * scale, latency / scale. */
static char *make_dir(const char *name, const struct meta *m, const char *variant, int n,
		      double scale, const char *backend)
{
	char *dir, *runs = calloc(1, 16384), path[512];
	size_t off = 0;

	cr_assert(asprintf(&dir, "%s/%s", tmp, name) > 0);
	mkdir(dir, 0755);
	write_suite(dir, m);
	for (int i = 0; i < n; i++)
		off += (size_t)run_line(runs + off, 16384 - off, "rr", variant, i + 1, true, false,
					tps_base[i % 8] * scale, 60000 / scale + i * 10, backend);
	snprintf(path, sizeof(path), "%s/runs.jsonl", dir);
	cr_assert_eq(pe_write_file(path, runs, off), 0);
	free(runs);
	return dir;
}

static void append(const char *dir, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/runs.jsonl", dir);
	f = fopen(path, "a");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
}

static struct json_object *compare_json(struct pe_run *r, int status, const char *args)
{
	struct json_object *o;

	cr_assert_eq(pe_run(r, "cd %s && %s compare --json %s", tmp, PE_TEST_BIN, args), 0);
	cr_assert_eq(r->status, status, "exit %d: %s", r->status, r->err);
	o = json_tokener_parse(r->out);
	cr_assert(o, "not JSON: %s", r->out);
	return o;
}

static const char *row_str(struct json_object *o, int i, const char *key)
{
	struct json_object *rows = json_object_object_get(o, "rows");

	return json_object_get_string(
		json_object_object_get(json_object_array_get_idx(rows, (size_t)i), key));
}

static int row_int(struct json_object *o, int i, const char *key)
{
	return atoi(row_str(o, i, key));
}

Test(compare, regression_text_exactly)
{
	struct pe_run r;

	free(make_dir("A", &same, "base", 8, 1.0, "io_uring"));
	free(make_dir("B", &same, "base", 8, 0.9, "io_uring"));
	cr_assert_eq(pe_run(&r, "cd %s && %s compare A B", tmp, PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_expect_str_eq(r.out, "base: A (variant base)\n"
				"new:  B (variant base)\n"
				"\n"
				"point  metric              n    left out  base   new      ratio "
				"[95% CI]        p         verdict\n"
				"rr     transactions_per_s  8/8       0/0  20010    18009  0.900 "
				"[0.894, 0.906]  0.000155  regression\n"
				"rr     lat_p50_ns          8/8       0/0  60035  66701.7  1.111 "
				"[1.110, 1.112]  0.000155  regression\n"
				"\n"
				"2 regressions (p < 0.05 and the 95% interval beyond 5%).\n");
	cr_expect_str_eq(r.err, "");
	pe_run_free(&r);
}

Test(compare, regression_json_exactly)
{
	struct pe_run r;

	free(make_dir("A", &same, "base", 8, 1.0, "io_uring"));
	free(make_dir("B", &same, "base", 8, 0.9, "io_uring"));
	cr_assert_eq(pe_run(&r, "cd %s && %s compare --json A B", tmp, PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_expect_str_eq(
		r.out,
		"{\"schema\":1,\"kind\":\"pkteng-compare\",\"alpha\":0.05,\"threshold_pct\":5,"
		"\"confidence\":0.95,\"base\":{\"dir\":\"A\",\"variant\":\"base\"},"
		"\"new\":{\"dir\":\"B\",\"variant\":\"base\"},\"metadata_differences\":[],"
		"\"rows\":[{\"point\":\"rr\",\"metric\":\"transactions_per_s\","
		"\"better\":\"higher\",\"n_base\":8,\"n_new\":8,\"left_out_base\":0,"
		"\"left_out_new\":0,\"median_base\":20010,\"median_new\":18009,\"ratio\":0.9,"
		"\"ci_low\":0.894375,\"ci_high\":0.905653,\"p_value\":0.0001554,"
		"\"verdict\":\"regression\"},{\"point\":\"rr\",\"metric\":\"lat_p50_ns\","
		"\"better\":\"lower\",\"n_base\":8,\"n_new\":8,\"left_out_base\":0,"
		"\"left_out_new\":0,\"median_base\":60035,\"median_new\":66701.7,"
		"\"ratio\":1.11105,\"ci_low\":1.11045,\"ci_high\":1.11165,"
		"\"p_value\":0.0001554,\"verdict\":\"regression\"}],\"regressions\":2}\n");
	pe_run_free(&r);
}

Test(compare, no_change_exits_0)
{
	struct pe_run r;
	struct json_object *o;

	free(make_dir("A", &same, "base", 8, 1.0, "io_uring"));
	free(make_dir("B", &same, "base", 8, 1.0, "io_uring"));
	o = compare_json(&r, 0, "A B");
	cr_expect_str_eq(row_str(o, 0, "verdict"), "~");
	cr_expect_str_eq(row_str(o, 0, "ratio"), "1");
	cr_expect_str_eq(row_str(o, 0, "p_value"), "1");
	cr_expect_str_eq(row_str(o, 1, "verdict"), "~");
	cr_expect_str_eq(json_object_get_string(json_object_object_get(o, "regressions")), "0");
	cr_expect_eq(json_object_array_length(json_object_object_get(o, "rows")), 2,
		     "bytes has no direction and is not compared");
	json_object_put(o);
	pe_run_free(&r);
}

/* 3% slower: significant, but the interval does not lie beyond 5%; beyond 2% it does. */
Test(compare, threshold)
{
	struct pe_run r;
	struct json_object *o;

	free(make_dir("A", &same, "base", 8, 1.0, "io_uring"));
	free(make_dir("B", &same, "base", 8, 0.97, "io_uring"));
	o = compare_json(&r, 0, "A B");
	cr_expect_str_eq(row_str(o, 0, "verdict"), "~");
	cr_expect_str_eq(row_str(o, 0, "p_value"), "0.0001554");
	json_object_put(o);
	pe_run_free(&r);
	o = compare_json(&r, 1, "--threshold 2% A B");
	cr_expect_str_eq(row_str(o, 0, "verdict"), "regression");
	cr_expect_str_eq(json_object_get_string(json_object_object_get(o, "threshold_pct")), "2");
	json_object_put(o);
	pe_run_free(&r);
	/* faster is an improvement, and exits 0 */
	free(make_dir("C", &same, "base", 8, 1.2, "io_uring"));
	o = compare_json(&r, 0, "A C");
	cr_expect_str_eq(row_str(o, 0, "verdict"), "improvement");
	cr_expect_str_eq(row_str(o, 1, "verdict"), "improvement");
	json_object_put(o);
	pe_run_free(&r);
}

/* 3 against 3 cannot reach p < 0.05 (the smallest p is 0.1): no guess, however large the gap. */
Test(compare, too_few_runs)
{
	struct pe_run r;
	struct json_object *o;

	free(make_dir("A", &same, "base", 3, 1.0, "io_uring"));
	free(make_dir("B", &same, "base", 3, 0.5, "io_uring"));
	o = compare_json(&r, 0, "A B");
	cr_expect_str_eq(row_str(o, 0, "verdict"), "too few runs");
	cr_expect_str_eq(row_str(o, 0, "p_value"), "0.1");
	cr_expect_str_eq(row_str(o, 0, "ratio"), "0.5");
	json_object_put(o);
	pe_run_free(&r);
	/* 4 against 4 can */
	free(make_dir("C", &same, "base", 4, 1.0, "io_uring"));
	free(make_dir("D", &same, "base", 4, 0.5, "io_uring"));
	o = compare_json(&r, 1, "C D");
	cr_expect_str_eq(row_str(o, 0, "verdict"), "regression");
	cr_expect_str_eq(row_str(o, 0, "p_value"), "0.0285714");
	json_object_put(o);
	pe_run_free(&r);
}

Test(compare, disturbed_and_failed_runs)
{
	struct pe_run r;
	struct json_object *o;
	char *b, line[1024];

	free(make_dir("A", &same, "base", 8, 1.0, "io_uring"));
	b = make_dir("B", &same, "base", 8, 1.0, "io_uring");
	run_line(line, sizeof(line), "rr", "base", 9, true, true, 1000, 900000, "io_uring");
	append(b, line);
	run_line(line, sizeof(line), "rr", "base", 10, true, true, 1100, 800000, "io_uring");
	append(b, line);
	run_line(line, sizeof(line), "rr", "base", 11, false, false, 0, 0, "io_uring");
	append(b, line);
	free(b);
	o = compare_json(&r, 0, "A B");
	cr_expect_eq(row_int(o, 0, "n_new"), 8);
	cr_expect_eq(row_int(o, 0, "left_out_new"), 2);
	cr_expect_eq(row_int(o, 0, "left_out_base"), 0);
	cr_expect_str_eq(row_str(o, 0, "verdict"), "~");
	json_object_put(o);
	pe_run_free(&r);
	o = compare_json(&r, 0, "--keep-disturbed A B");
	cr_expect_eq(row_int(o, 0, "n_new"), 10);
	cr_expect_eq(row_int(o, 0, "left_out_new"), 0);
	json_object_put(o);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "cd %s && %s compare A B", tmp, PE_TEST_BIN), 0);
	cr_expect(strstr(r.out, "  8/8       0/2  "), "%s", r.out);
	cr_expect(strstr(r.out, "\nRuns marked disturbed are left out (the \"left out\" column, "
				"base/new); --keep-disturbed counts them.\n"),
		  "%s", r.out);
	pe_run_free(&r);
}

/* One directory holding two variants: DIR compares the first against the second; DIR:VARIANT
 * picks one; a DIR of two variants where one side is wanted needs the pick. */
Test(compare, variants_of_one_dir)
{
	static const struct meta two = { "6.1.0-28-amd64", "589e675", 2, { "old", "new" } };
	struct pe_run r;
	struct json_object *o;
	char *d = make_dir("D", &two, "old", 8, 1.0, "io_uring"), runs[16384];
	size_t off = 0;

	for (int i = 0; i < 8; i++)
		off += (size_t)run_line(runs + off, sizeof(runs) - off, "rr", "new", i + 1, true,
					false, tps_base[i] * 0.8, 75000, "io_uring");
	append(d, runs);
	o = compare_json(&r, 1, "D");
	cr_expect_str_eq(json_object_get_string(json_object_object_get(
				 json_object_object_get(o, "base"), "variant")),
			 "old");
	cr_expect_str_eq(row_str(o, 0, "ratio"), "0.8");
	json_object_put(o);
	pe_run_free(&r);
	o = compare_json(&r, 0, "D:new D:old");
	cr_expect_str_eq(row_str(o, 0, "ratio"), "1.25");
	cr_expect_str_eq(row_str(o, 0, "verdict"), "improvement");
	json_object_put(o);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "cd %s && %s compare D D:new", tmp, PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "pkteng: D: holds 2 variants (old, new); name one as D:VARIANT\n");
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "cd %s && %s compare D:nope D:new", tmp, PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "pkteng: D: no variant 'nope' (it holds: old, new)\n");
	pe_run_free(&r);
	free(d);
}

Test(compare, metadata_differences)
{
	static const struct meta other = { "6.5.0-1-amd64", "9924ebf", 4, { "base", NULL } };
	struct pe_run r;
	struct json_object *o;

	free(make_dir("A", &same, "base", 8, 1.0, "io_uring"));
	free(make_dir("B", &other, "base", 8, 1.0, "epoll"));
	o = compare_json(&r, 0, "A B");
	cr_expect_str_eq(
		json_object_to_json_string_ext(json_object_object_get(o, "metadata_differences"),
					       JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE),
		"["
		"{\"field\":\"host.kernel\",\"base\":\"6.1.0-28-amd64\",\"new\":\"6.5.0-1-amd64\"},"
		"{\"field\":\"host.cpu_count\",\"base\":\"2\",\"new\":\"4\"},"
		"{\"field\":\"variant.git_commit\",\"base\":\"589e675\",\"new\":\"9924ebf\"},"
		"{\"field\":\"record[rr].start.backend\",\"base\":\"io_uring\",\"new\":\"epoll\"}"
		"]");
	cr_expect_str_eq(
		r.err,
		"pkteng compare: warning: host.kernel differs: base '6.1.0-28-amd64', new "
		"'6.5.0-1-amd64'\n"
		"pkteng compare: warning: host.cpu_count differs: base '2', new '4'\n"
		"pkteng compare: warning: variant.git_commit differs: base '589e675', new "
		"'9924ebf'\n"
		"pkteng compare: warning: record[rr].start.backend differs: base 'io_uring', new "
		"'epoll'\n");
	json_object_put(o);
	pe_run_free(&r);
}

/* A loss of 0% has no ratio: the row says so (nulls, "-") and p alone decides. */
Test(compare, zero_base_median)
{
	struct pe_run r;
	struct json_object *o;
	char *a = make_dir("A", &same, "base", 0, 1.0, "io_uring");
	char *b = make_dir("B", &same, "base", 0, 1.0, "io_uring"), line[256];

	for (int i = 0; i < 6; i++) {
		snprintf(line, sizeof(line),
			 "{\"point\":\"udp\",\"variant\":\"base\",\"ok\":true,"
			 "\"metrics\":{\"udp_loss_pct\":%g}}\n",
			 i == 5 ? 0.1 : 0.0);
		append(a, line);
		snprintf(line, sizeof(line),
			 "{\"point\":\"udp\",\"variant\":\"base\",\"ok\":true,"
			 "\"metrics\":{\"udp_loss_pct\":%g}}\n",
			 0.3 + i * 0.1);
		append(b, line);
	}
	o = compare_json(&r, 1, "A B");
	cr_expect_str_eq(row_str(o, 0, "median_base"), "0");
	cr_expect_eq(
		json_object_object_get(
			json_object_array_get_idx(json_object_object_get(o, "rows"), 0), "ratio"),
		NULL);
	cr_expect_str_eq(row_str(o, 0, "p_value"), "0.00366455" /* scipy: 0.0036645475900385395 */);
	cr_expect_str_eq(row_str(o, 0, "verdict"), "regression");
	json_object_put(o);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "cd %s && %s compare A B", tmp, PE_TEST_BIN), 0);
	cr_expect(strstr(r.out, "  0.55  -  "), "%s", r.out);
	pe_run_free(&r);
	free(a);
	free(b);
}

struct bad_case {
	const char *args;  /* run in the temporary directory holding A and B */
	const char *setup; /* a shell command run there first, or NULL */
	const char *err;
};

static const struct bad_case bad_cases[] = {
	{ "A none", NULL, "pkteng: none: no such directory\n" },
	{ "A B", "rm B/suite.json", "pkteng: B/suite.json: No such file or directory\n" },
	{ "A B", "rm B/runs.jsonl", "pkteng: B/runs.jsonl: No such file or directory\n" },
	{ "A B", "echo '{\"schema\":' > B/suite.json",
	  "pkteng: B/suite.json: not a JSON object\n" },
	{ "A B", "sed -i '3s/.*/{\"point\": oops/' B/runs.jsonl",
	  "pkteng: B/runs.jsonl:3: not a JSON object\n" },
	{ "A B", "sed -i '2s/\"ok\":true/\"ok\":1/' B/runs.jsonl",
	  "pkteng: B/runs.jsonl:2: no \"ok\" boolean\n" },
	{ "A B", "sed -i '5s/\"lat_p50_ns\":[0-9.]*/\"lat_p50_ns\":\"fast\"/' B/runs.jsonl",
	  "pkteng: B/runs.jsonl:5: metric \"lat_p50_ns\" is not a finite number\n" },
	{ "A B", "sed -i 's/\"point\":\"rr\"/\"point\":\"stream\"/' B/runs.jsonl",
	  "pkteng: A and B: no test point with a metric in common\n" },
	{ "A", NULL,
	  "pkteng: A: holds 1 variant; compare of one directory needs exactly two (or give BASE "
	  "and NEW as DIR:VARIANT)\n" },
	{ "", NULL,
	  "pkteng: compare: needs BASE NEW, or one DIR with two variants ('pkteng compare "
	  "--help')\n" },
	{ "A B C", NULL,
	  "pkteng: compare: needs BASE NEW, or one DIR with two variants ('pkteng compare "
	  "--help')\n" },
	{ "--alpha 2 A B", NULL, "pkteng: --alpha 2: a probability in (0, 0.5]\n" },
	{ "--threshold x A B", NULL, "pkteng: --threshold x: a percentage in [0, 99]\n" },
};

ParameterizedTestParameters(compare, bad_input)
{
	PE_PARAM_INDEXES(sizeof(bad_cases) / sizeof(bad_cases[0]));
}

ParameterizedTest(unsigned *i, compare, bad_input)
{
	const struct bad_case *c = &bad_cases[*i];
	struct pe_run r;

	free(make_dir("A", &same, "base", 8, 1.0, "io_uring"));
	free(make_dir("B", &same, "base", 8, 0.5, "io_uring"));
	if (c->setup) {
		cr_assert_eq(pe_run(&r, "cd %s && %s", tmp, c->setup), 0);
		cr_assert_eq(r.status, 0, "%s: %s", c->setup, r.err);
		pe_run_free(&r);
	}
	cr_assert_eq(pe_run(&r, "cd %s && %s compare %s", tmp, PE_TEST_BIN, c->args), 0);
	cr_expect_eq(r.status, 2, "%s: exit %d", c->args, r.status);
	cr_expect_str_eq(r.err, c->err, "%s: %s", c->args, r.err);
	cr_expect_str_eq(r.out, "", "%s", c->args);
	pe_run_free(&r);
}
