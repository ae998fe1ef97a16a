/* SPDX-License-Identifier: BSD-2-Clause */
/* The Mann-Whitney U test, two-sided. The exact null distribution is the coefficient list of the
 * Gaussian binomial [n1 + n2 choose n1]_q, built one factor at a time; beyond it the normal
 * approximation with the tie-corrected variance and a continuity correction of 1/2. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>

#include "stats/stats.h"

struct pe_val {
	double v;
	int from_x;
};

static int cmp_val(const void *a, const void *b)
{
	double x = ((const struct pe_val *)a)->v, y = ((const struct pe_val *)b)->v;

	return (x > y) - (x < y);
}

/* P(U >= u) under the null for sizes n1, n2, by counting the arrangements with each U: after
 * step i, c holds the coefficients of [n2 + i choose i]_q, which are all whole numbers. */
static int exact_sf(size_t n1, size_t n2, double u, double *p)
{
	size_t deg = n1 * n2, i, j, k;
	double *c = calloc(deg + 1, sizeof(*c));
	double total = 0, tail = 0;

	if (!c)
		return -ENOMEM;
	c[0] = 1;
	for (i = 1; i <= n1; i++) {
		/* multiply by (1 - q^(n2 + i)), then divide by (1 - q^i) */
		k = n2 + i;
		for (j = deg; j >= k; j--)
			c[j] -= c[j - k];
		for (j = i; j <= deg; j++)
			c[j] += c[j - i];
	}
	for (j = 0; j <= deg; j++) {
		total += c[j];
		if ((double)j >= u)
			tail += c[j];
	}
	free(c);
	*p = tail / total;
	return 0;
}

int pe_mwu_test(const double *x, size_t n1, const double *y, size_t n2, enum pe_mwu_method m,
		struct pe_mwu *res)
{
	size_t n = n1 + n2, i, j;
	struct pe_val *a;
	double r1 = 0, tie_sum = 0, u2, umax, mu, s, z;
	int err = 0;

	if (!n1 || !n2)
		return -EINVAL;
	a = malloc(n * sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		a[i].v = i < n1 ? x[i] : y[i - n1];
		a[i].from_x = i < n1;
		if (!isfinite(a[i].v)) {
			free(a);
			return -EINVAL;
		}
	}
	qsort(a, n, sizeof(*a), cmp_val);
	/* average ranks over each run of equal values */
	for (i = 0; i < n; i = j) {
		double t, rank;

		for (j = i + 1; j < n && a[j].v == a[i].v; j++)
			;
		t = (double)(j - i);
		rank = (double)(i + 1 + j) / 2;
		for (size_t k = i; k < j; k++)
			if (a[k].from_x)
				r1 += rank;
		tie_sum += t * t * t - t;
	}
	free(a);
	res->u1 = r1 - (double)n1 * (double)(n1 + 1) / 2;
	res->ties = tie_sum > 0;
	u2 = (double)n1 * (double)n2 - res->u1;
	umax = res->u1 > u2 ? res->u1 : u2;
	if (m == PE_MWU_AUTO)
		m = !res->ties && n1 * n2 <= PE_MWU_EXACT_MAX ? PE_MWU_EXACT : PE_MWU_ASYMPTOTIC;
	res->exact = m == PE_MWU_EXACT;
	if (res->exact) {
		err = exact_sf(n1, n2, umax, &res->p);
		if (err)
			return err;
		res->p *= 2;
	} else {
		mu = (double)n1 * (double)n2 / 2;
		s = sqrt((double)n1 * (double)n2 / 12 *
			 ((double)(n + 1) - tie_sum / ((double)n * (double)(n - 1))));
		if (s == 0) {
			res->p = 1; /* every value equal: nothing to tell the samples apart */
			return 0;
		}
		z = (umax - mu - 0.5) / s;
		res->p = 2 * gsl_cdf_ugaussian_Q(z);
	}
	if (res->p > 1)
		res->p = 1;
	return 0;
}

double pe_mwu_min_p(size_t n1, size_t n2)
{
	double p;

	if (!n1 || !n2)
		return 1;
	p = 2 / gsl_sf_choose((unsigned)(n1 + n2), (unsigned)n1);
	return p > 1 ? 1 : p;
}
