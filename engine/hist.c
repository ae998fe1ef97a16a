/* SPDX-License-Identifier: BSD-2-Clause */
/* Log-linear histogram: value v >= 256 with top bit e is kept to its 8 leading bits, so the
 * bucket width is 2^(e-7) and a midpoint is off by at most 2^(e-8) / 2^e = 1/256. */
#include "engine/hist.h"

#include <string.h>

#define SUB (1u << PE_HIST_SUB_BITS)

void pe_hist_reset(struct pe_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned pe_hist_index(uint64_t v)
{
	unsigned e, shift;

	if (v < 2 * SUB)
		return (unsigned)v;
	e = 63 - __builtin_clzll(v);
	shift = e - PE_HIST_SUB_BITS;
	return (shift + 1) * SUB + (unsigned)((v >> shift) - SUB);
}

void pe_hist_bucket_range(unsigned idx, uint64_t *lo, uint64_t *hi)
{
	unsigned shift;

	if (idx < 2 * SUB) {
		*lo = *hi = idx;
		return;
	}
	shift = idx / SUB - 1;
	*lo = ((uint64_t)(idx % SUB) + SUB) << shift;
	*hi = *lo + ((1ULL << shift) - 1);
}

void pe_hist_add(struct pe_hist *h, uint64_t v)
{
	h->n[pe_hist_index(v)]++;
	h->count++;
	h->sum += (double)v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void pe_hist_merge(struct pe_hist *dst, const struct pe_hist *src)
{
	unsigned i;

	if (!src->count)
		return;
	for (i = 0; i < PE_HIST_BUCKETS; i++)
		dst->n[i] += src->n[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t pe_hist_quantile(const struct pe_hist *h, double q)
{
	uint64_t rank, seen = 0, lo, hi, mid;
	unsigned i;

	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	/* the smallest value with at least ceil(q * count) values at or below it */
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (!rank)
		rank = 1;
	for (i = 0; i < PE_HIST_BUCKETS; i++) {
		seen += h->n[i];
		if (seen >= rank)
			break;
	}
	if (i == PE_HIST_BUCKETS)
		return h->max;
	pe_hist_bucket_range(i, &lo, &hi);
	mid = lo + (hi - lo) / 2;
	if (mid < h->min)
		mid = h->min;
	if (mid > h->max)
		mid = h->max;
	return mid;
}

double pe_hist_mean(const struct pe_hist *h)
{
	return h->count ? h->sum / (double)h->count : 0;
}
