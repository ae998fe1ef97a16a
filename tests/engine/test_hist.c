/* SPDX-License-Identifier: BSD-2-Clause */
/* The latency histogram: every value comes back within 1% (the bound the reports promise),
 * quantiles agree with a sorted array, merging adds up. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "engine/hist.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

Test(hist, bucket_bounds_within_one_percent)
{
	static const uint64_t edges[] = {
		0,	   1,	  255,	 256,	  257,	     511,	 512,
		1000,	   65535, 65536, 1000000, 123456789, 1ull << 40, (1ull << 63) + 12345,
		UINT64_MAX
	};
	uint64_t x = 88172645463325252ull;
	unsigned i;

	for (i = 0; i < sizeof(edges) / sizeof(edges[0]) + 200000; i++) {
		uint64_t v, lo, hi, mid;
		unsigned idx;

		if (i < sizeof(edges) / sizeof(edges[0])) {
			v = edges[i];
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v = x >> (x % 64);
		}
		idx = pe_hist_index(v);
		cr_assert_lt(idx, PE_HIST_BUCKETS, "value %llu", (unsigned long long)v);
		pe_hist_bucket_range(idx, &lo, &hi);
		cr_assert(lo <= v && v <= hi, "value %llu outside its bucket [%llu, %llu]",
			  (unsigned long long)v, (unsigned long long)lo, (unsigned long long)hi);
		mid = lo + (hi - lo) / 2;
		cr_assert_leq((double)(mid > v ? mid - v : v - mid), (double)v * 0.01,
			      "value %llu reported as %llu", (unsigned long long)v,
			      (unsigned long long)mid);
	}
	/* exact below 256 */
	for (i = 0; i < 256; i++) {
		uint64_t lo, hi;

		pe_hist_bucket_range(pe_hist_index(i), &lo, &hi);
		cr_assert(lo == i && hi == i);
	}
}

Test(hist, quantiles_match_sorted_values)
{
	static struct pe_hist h, h2;
	enum { N = 100000 };
	uint64_t *v = malloc(N * sizeof(*v)), x = 12345;
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	unsigned i;

	cr_assert(v);
	pe_hist_reset(&h);
	pe_hist_reset(&h2);
	for (i = 0; i < N; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		v[i] = 1000 + (x >> 33) % 2000000; /* 1 us .. 2 ms in ns */
		pe_hist_add(i % 2 ? &h : &h2, v[i]);
	}
	pe_hist_merge(&h, &h2);
	cr_assert_eq(h.count, N);
	qsort(v, N, sizeof(*v), cmp_u64);
	cr_assert_eq(pe_hist_quantile(&h, 0), v[0]);
	cr_assert_eq(pe_hist_quantile(&h, 1), v[N - 1]);
	cr_assert_eq(h.min, v[0]);
	cr_assert_eq(h.max, v[N - 1]);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		uint64_t want = v[(size_t)(qs[i] * N + 0.999999) - 1];
		uint64_t got = pe_hist_quantile(&h, qs[i]);
		double rel = (double)(got > want ? got - want : want - got) / (double)want;

		cr_expect_leq(rel, 0.01, "q%.3f: %llu vs exact %llu", qs[i],
			      (unsigned long long)got, (unsigned long long)want);
	}
	free(v);
}

Test(hist, empty_is_zero)
{
	static struct pe_hist h;

	pe_hist_reset(&h);
	cr_expect_eq(pe_hist_quantile(&h, 0.5), 0);
	cr_expect_eq(pe_hist_mean(&h), 0);
	pe_hist_add(&h, 7);
	cr_expect_eq(pe_hist_quantile(&h, 0.5), 7);
	cr_expect_eq(pe_hist_quantile(&h, 0.999), 7);
}
