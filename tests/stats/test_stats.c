/* SPDX-License-Identifier: BSD-2-Clause */
/* The statistics of pkteng_stats against known values: Mann-Whitney U p-values from scipy
 * (tests/stats/mwu_cases.txt, made by mwu_table.py), and the bootstrap interval's known cases. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"
#include "tests/testutil.h"

#define MAXN 64

static size_t parse_values(char *s, double *v)
{
	size_t n = 0;

	for (char *tok = strtok(s, " "); tok && n < MAXN; tok = strtok(NULL, " "))
		v[n++] = strtod(tok, NULL);
	return n;
}

Test(mwu, against_scipy)
{
	char *text = pe_read_file(PE_TEST_SRC "/tests/stats/mwu_cases.txt", NULL), *save = NULL;
	unsigned lines = 0, exact = 0;

	cr_assert(text, "tests/stats/mwu_cases.txt unreadable");
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[5], *p = line;
		double x[MAXN], y[MAXN];
		size_t n1, n2;
		struct pe_mwu r;
		enum pe_mwu_method m;

		if (line[0] == '#')
			continue;
		for (int i = 0; i < 5; i++)
			f[i] = strsep(&p, ";");
		cr_assert(f[4], "line %u: five fields", lines + 1);
		m = !strcmp(f[0], "exact") ? PE_MWU_EXACT : PE_MWU_ASYMPTOTIC;
		n1 = parse_values(f[1], x);
		n2 = parse_values(f[2], y);
		cr_assert_eq(pe_mwu_test(x, n1, y, n2, m, &r), 0);
		cr_expect_eq(r.exact, m == PE_MWU_EXACT);
		cr_expect_eq(r.u1, strtod(f[3], NULL), "case %u: U %g, scipy %s", lines, r.u1,
			     f[3]);
		cr_expect(fabs(r.p - strtod(f[4], NULL)) <= 1e-9 * strtod(f[4], NULL),
			  "case %u (%s, %zu vs %zu): p %.17g, scipy %s", lines, f[0], n1, n2, r.p,
			  f[4]);
		lines++;
		exact += m == PE_MWU_EXACT;
	}
	free(text);
	cr_expect_eq(lines, 24, "%u cases", lines);
	cr_expect_eq(exact, 9, "%u exact cases", exact);
}

Test(mwu, auto_method)
{
	double x[21], y[21];
	struct pe_mwu r;

	for (int i = 0; i < 21; i++) {
		x[i] = i;
		y[i] = 100 + i;
	}
	cr_assert_eq(pe_mwu_test(x, 20, y, 20, PE_MWU_AUTO, &r), 0);
	cr_expect(r.exact && !r.ties, "20 x 20 without ties: exact");
	cr_expect_eq(r.u1, 0);
	cr_assert_eq(pe_mwu_test(x, 21, y, 20, PE_MWU_AUTO, &r), 0);
	cr_expect(!r.exact, "21 x 20 > 400: asymptotic");
	y[0] = 0; /* ties x[0] */
	cr_assert_eq(pe_mwu_test(x, 4, y, 4, PE_MWU_AUTO, &r), 0);
	cr_expect(!r.exact && r.ties, "a tie: asymptotic");
	cr_expect_eq(r.u1, 3.5);
}

Test(mwu, bad_input)
{
	double x[2] = { 1, NAN }, y[2] = { 1, 2 };
	struct pe_mwu r;

	cr_expect_eq(pe_mwu_test(x, 0, y, 2, PE_MWU_AUTO, &r), -EINVAL);
	cr_expect_eq(pe_mwu_test(y, 2, x, 0, PE_MWU_AUTO, &r), -EINVAL);
	cr_expect_eq(pe_mwu_test(x, 2, y, 2, PE_MWU_AUTO, &r), -EINVAL);
	x[1] = INFINITY;
	cr_expect_eq(pe_mwu_test(y, 2, x, 2, PE_MWU_AUTO, &r), -EINVAL);
}

Test(mwu, min_p)
{
	cr_expect_float_eq(pe_mwu_min_p(3, 3), 0.1, 1e-15);
	cr_expect_float_eq(pe_mwu_min_p(3, 4), 2.0 / 35, 1e-15);
	cr_expect_float_eq(pe_mwu_min_p(4, 4), 2.0 / 70, 1e-15);
	cr_expect_float_eq(pe_mwu_min_p(10, 10), 2.0 / 184756, 1e-18);
	cr_expect_eq(pe_mwu_min_p(1, 1), 1);
	cr_expect_eq(pe_mwu_min_p(0, 5), 1);
}

Test(stats, median)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 };

	cr_expect_eq(pe_median(odd, 3), 3);
	cr_expect_eq(pe_median(even, 4), 2.5);
	cr_expect_eq(odd[0], 5, "input left as it was");
	cr_expect(isnan(pe_median(odd, 0)));
}

Test(boot, constant_samples_give_one)
{
	double x[] = { 100, 100, 100, 100, 100 }, lo = 0, hi = 0;

	cr_assert_eq(pe_boot_ratio_ci(x, 5, x, 5, 0.95, 10000, 1, &lo, &hi), 0);
	cr_expect_eq(lo, 1);
	cr_expect_eq(hi, 1);
}

Test(boot, identical_samples_hold_one)
{
	double x[] = { 98, 103, 100, 97, 102, 101, 99, 104 }, lo, hi;

	cr_assert_eq(pe_boot_ratio_ci(x, 8, x, 8, 0.95, 10000, 1, &lo, &hi), 0);
	cr_expect(lo < 1 && hi > 1, "[%g, %g] holds 1", lo, hi);
	cr_expect(lo > 0.96 && hi < 1.04, "[%g, %g] within 4%%", lo, hi);
	/* the same seed gives the same interval; another seed another */
	double lo2, hi2;

	cr_assert_eq(pe_boot_ratio_ci(x, 8, x, 8, 0.95, 10000, 1, &lo2, &hi2), 0);
	cr_expect(lo2 == lo && hi2 == hi, "reproducible");
}

Test(boot, ten_percent_shift_excludes_one)
{
	double x[10], y[10], lo, hi;

	for (int i = 0; i < 10; i++) {
		x[i] = 1000 + (i * 7 % 10) - 5; /* +-0.5% noise */
		y[i] = 900 + (i * 3 % 10) - 5;
	}
	cr_assert_eq(pe_boot_ratio_ci(x, 10, y, 10, 0.95, 10000, 1, &lo, &hi), 0);
	cr_expect(hi < 1 && hi < 0.95, "[%g, %g] excludes 1 and 0.95", lo, hi);
	cr_expect(lo > 0.88 && lo <= 0.9 && hi >= 0.9, "[%g, %g] holds 0.9", lo, hi);
}

Test(boot, errors)
{
	double zero[] = { 0, 0, 0 }, x[] = { 1, 2, 3 }, lo, hi;

	cr_expect_eq(pe_boot_ratio_ci(zero, 3, x, 3, 0.95, 1000, 1, &lo, &hi), -EDOM);
	cr_expect_eq(pe_boot_ratio_ci(x, 0, x, 3, 0.95, 1000, 1, &lo, &hi), -EINVAL);
	cr_expect_eq(pe_boot_ratio_ci(x, 3, x, 3, 1.0, 1000, 1, &lo, &hi), -EINVAL);
	cr_expect_eq(pe_boot_ratio_ci(x, 3, x, 3, 0.95, 1, 1, &lo, &hi), -EINVAL);
}
