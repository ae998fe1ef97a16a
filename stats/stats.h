/* SPDX-License-Identifier: BSD-2-Clause */
/* The statistics behind `pkteng compare`: the Mann-Whitney U test (two-sided, exact for small
 * samples without ties, normal approximation with tie and continuity correction otherwise, as
 * scipy.stats.mannwhitneyu computes them) and a percentile bootstrap interval of a ratio of
 * medians. Distributions and random numbers come from GSL. */
#ifndef PKTENG_STATS_STATS_H
#define PKTENG_STATS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The exact null distribution is counted while n1 * n2 is at most this (and nothing ties). */
#define PE_MWU_EXACT_MAX 400

enum pe_mwu_method {
	PE_MWU_AUTO = 0,   /* exact when no ties and n1 * n2 <= PE_MWU_EXACT_MAX */
	PE_MWU_EXACT,	   /* exact null distribution (ties are ranked but not corrected for) */
	PE_MWU_ASYMPTOTIC, /* normal approximation, tie correction, continuity correction */
};

struct pe_mwu {
	double u1;  /* U of x: rank sum of x minus n1 (n1 + 1) / 2 */
	double p;   /* two-sided p-value, at most 1 */
	bool exact; /* which method gave p */
	bool ties;  /* some values were equal */
};

/* Two-sided Mann-Whitney U test of x against y. Returns 0, -EINVAL when a sample is empty or
 * a value is not finite, -ENOMEM. */
int pe_mwu_test(const double *x, size_t n1, const double *y, size_t n2, enum pe_mwu_method m,
		struct pe_mwu *res);

/* The smallest two-sided p-value the test can give for these sizes, 2 / C(n1 + n2, n1) (1 if a
 * sample is empty): when it is not below alpha, no data can make a difference significant. */
double pe_mwu_min_p(size_t n1, size_t n2);

/* The median of n values (the mean of the middle two for even n); x is left as it is. NaN for
 * n == 0. */
double pe_median(const double *x, size_t n);

/* A percentile bootstrap interval of median(y) / median(x) at confidence conf (0.95): each of
 * `resamples` rounds draws n1 values of x and n2 of y with replacement (GSL mt19937 seeded with
 * seed, so the result is reproducible) and takes the ratio of their medians; the interval is
 * the (1 - conf) / 2 and (1 + conf) / 2 quantiles of those ratios. Returns 0, -EINVAL (empty
 * sample, resamples < 2, conf outside (0, 1)), -EDOM when a resampled median of x is 0 (the
 * ratio is undefined), -ENOMEM. */
int pe_boot_ratio_ci(const double *x, size_t n1, const double *y, size_t n2, double conf,
		     unsigned resamples, uint64_t seed, double *lo, double *hi);

#endif
