/* SPDX-License-Identifier: BSD-2-Clause */
/* Latency histogram, log-linear like HdrHistogram: exact below 256, then 128 linear
 * sub-buckets per power of two, so any recorded value is reported within 1/256 (< 0.4%). */
#ifndef PKTENG_ENGINE_HIST_H
#define PKTENG_ENGINE_HIST_H

#include <stdint.h>

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

#define PE_HIST_SUB_BITS 7 /* 128 sub-buckets per power of two */
#define PE_HIST_BUCKETS                                                                            \
	((64 - PE_HIST_SUB_BITS) * (1 << PE_HIST_SUB_BITS) + (1 << PE_HIST_SUB_BITS))

struct pe_hist {
	uint64_t count;
	uint64_t min, max; /* exact extremes; min is UINT64_MAX while empty */
	double sum;
	uint64_t n[PE_HIST_BUCKETS];
};

/* Empties h (call before first use; it is a plain struct of ~58 KiB, no allocation). */
void pe_hist_reset(struct pe_hist *h);
/* Adds one value (e.g. nanoseconds). Never fails. */
void pe_hist_add(struct pe_hist *h, uint64_t v);
/* Adds every value of src into dst. */
void pe_hist_merge(struct pe_hist *dst, const struct pe_hist *src);
/* The value at quantile q in [0, 1] (0.5 = median): the midpoint of the bucket holding it,
 * clamped to [min, max]; q <= 0 gives min, q >= 1 gives max. 0 when empty. */
uint64_t pe_hist_quantile(const struct pe_hist *h, double q);
/* Mean of the exact values added, 0 when empty. */
double pe_hist_mean(const struct pe_hist *h);

/* Bucket index of a value, and the [lo, hi] range of values a bucket holds (for tests). */
unsigned pe_hist_index(uint64_t v);
void pe_hist_bucket_range(unsigned idx, uint64_t *lo, uint64_t *hi);

#pragma GCC visibility pop

#endif
