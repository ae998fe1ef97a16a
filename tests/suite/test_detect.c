/* SPDX-License-Identifier: BSD-2-Clause */
/* perf/detect.sh, which measures a suite's false alarms and detection rates: its usage errors
 * (exit 2, one line naming the option) and one smallest session of each kind end to end. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

TestSuite(detect, .timeout = 120);

static void write_str(const char *path, const char *text)
{
	cr_assert_eq(pe_write_file(path, text, strlen(text)), 0, "%s", path);
}

Test(detect, usage_errors)
{
	static const struct {
		const char *args, *err;
	} bad[] = {
		{ "-k 0", "detect.sh: -k 0: expected a count of sessions, 1 or more\n" },
		{ "--runs x", "detect.sh: --runs x: expected 1 or more\n" },
		{ "--slow 10%", "detect.sh: --slow 10%: expected percentages like 10,5\n" },
		{ "--frobnicate", "detect.sh: --frobnicate: unknown option (see --help)\n" },
		{ "--suite /nonexistent.ini",
		  "detect.sh: --suite /nonexistent.ini: cannot read it\n" },
	};
	struct pe_run r;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(pe_run(&r, "%s/perf/detect.sh --bin %s %s", PE_TEST_SRC, PE_TEST_BIN,
				    bad[i].args),
			     0);
		cr_expect_eq(r.status, 2, "%s", bad[i].args);
		cr_expect_str_eq(r.err, bad[i].err);
		pe_run_free(&r);
	}
}

/* A suite with variants of its own is refused; a tiny one runs one session of each kind and
 * prints a line per kind with its count, and keeps every session's results. */
Test(detect, one_session_of_each_kind)
{
	char *dir = pe_tmpdir(), ini[300], out[300], path[400], want[600];
	struct pe_run r;

	snprintf(ini, sizeof(ini), "%s/s.ini", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	write_str(ini, "[global]\nvariant.x = len=64\n[rr]\nmode = rr\n");
	cr_assert_eq(pe_run(&r, "%s/perf/detect.sh --bin %s --suite %s -k 1 --out %s", PE_TEST_SRC,
			    PE_TEST_BIN, ini, out),
		     0);
	cr_expect_eq(r.status, 2);
	snprintf(want, sizeof(want),
		 "detect.sh: --suite %s: has variant.NAME lines; this script adds its own\n", ini);
	cr_expect_str_eq(r.err, want);
	pe_run_free(&r);

	write_str(ini, "[global]\nruns = 5\nwarmup = 0\n[rr]\nmode = rr\nruns = 4\n");
	cr_assert_eq(pe_run(&r,
			    "%s/perf/detect.sh --bin %s --suite %s -k 1 --runs 1 -t 0.2 "
			    "--slow 50 --out %s",
			    PE_TEST_SRC, PE_TEST_BIN, ini, out),
		     0);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "A/A false alarms         0 of 1 (0%)"), "%s", r.out);
	/* one run a side: too few for a verdict, never a regression */
	cr_expect(strstr(r.out, "A/B 50% detected        0 of 1 (0%)"), "%s", r.out);
	cr_expect(strstr(r.out, "rows with too few runs"), "%s", r.out);
	cr_expect(strstr(r.err, "detect.sh: note: with fewer than 4 runs"), "%s", r.err);
	cr_expect(strstr(r.err, "round  1/1 "), "%s", r.err);
	cr_expect(strstr(r.err, "  aa -  slow50 -\n"), "%s", r.err);
	snprintf(path, sizeof(path), "%s/round-1/runs.jsonl", out);
	{
		char *runs = pe_read_file(path, NULL);
		unsigned lines = 0;

		cr_assert_not_null(runs, "%s", path);
		for (const char *c = runs; *c; c++)
			lines += *c == '\n';
		/* --runs 1 replaced both the [global] and the test's runs: a run per variant
		 * (base, aa, slow50), all in one session */
		cr_expect_eq(lines, 3, "%s", runs);
		free(runs);
	}
	snprintf(path, sizeof(path), "%s/detect.ini", out);
	{
		char *text = pe_read_file(path, NULL);

		cr_assert_not_null(text, "%s", path);
		cr_expect(strstr(text, "variant.base =\nvariant.aa =\n"
				       "variant.slow50 = env.PKTENG_TEST_SLOW_PCT=50\n"),
			  "%s", text);
		free(text);
	}
	pe_run_free(&r);
	pe_tmpdir_remove(dir);
}
