/* SPDX-License-Identifier: BSD-2-Clause */
/* The median and the percentile bootstrap interval of a ratio of medians. The generator is
 * GSL's mt19937 with a fixed seed, so the same runs always give the same interval. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "stats/stats.h"

static double median_sorted(const double *s, size_t n)
{
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double pe_median(const double *x, size_t n)
{
	double *s, m;

	if (!n)
		return NAN;
	s = malloc(n * sizeof(*s));
	if (!s)
		return NAN;
	memcpy(s, x, n * sizeof(*s));
	gsl_sort(s, 1, n);
	m = median_sorted(s, n);
	free(s);
	return m;
}

static double resampled_median(gsl_rng *r, const double *x, size_t n, double *buf)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = x[gsl_rng_uniform_int(r, n)];
	gsl_sort(buf, 1, n);
	return median_sorted(buf, n);
}

int pe_boot_ratio_ci(const double *x, size_t n1, const double *y, size_t n2, double conf,
		     unsigned resamples, uint64_t seed, double *lo, double *hi)
{
	double *ratios, *buf;
	gsl_rng *r;
	int err = 0;

	if (!n1 || !n2 || resamples < 2 || !(conf > 0 && conf < 1))
		return -EINVAL;
	ratios = malloc(resamples * sizeof(*ratios));
	buf = malloc((n1 > n2 ? n1 : n2) * sizeof(*buf));
	r = gsl_rng_alloc(gsl_rng_mt19937);
	if (!ratios || !buf || !r) {
		err = -ENOMEM;
		goto out;
	}
	gsl_rng_set(r, (unsigned long)seed);
	for (unsigned i = 0; i < resamples; i++) {
		double mx = resampled_median(r, x, n1, buf);
		double my = resampled_median(r, y, n2, buf);

		if (mx == 0 || !isfinite(mx) || !isfinite(my)) {
			err = -EDOM;
			goto out;
		}
		ratios[i] = my / mx;
	}
	gsl_sort(ratios, 1, resamples);
	*lo = gsl_stats_quantile_from_sorted_data(ratios, 1, resamples, (1 - conf) / 2);
	*hi = gsl_stats_quantile_from_sorted_data(ratios, 1, resamples, (1 + conf) / 2);
out:
	gsl_rng_free(r);
	free(buf);
	free(ratios);
	return err;
}
