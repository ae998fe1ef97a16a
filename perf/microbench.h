/* SPDX-License-Identifier: BSD-2-Clause */
/* Micro-benchmarks written in C, run by Google Benchmark through a small C++ shim
 * (microbench_main.cc). A benchmark checks its result before it times anything. */
#ifndef PKTENG_PERF_MICROBENCH_H
#define PKTENG_PERF_MICROBENCH_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pe_bench; /* one run of one benchmark (Google Benchmark's State) */
typedef void (*pe_bench_fn)(struct pe_bench *b);

struct pe_bench_def {
	const char *name;
	pe_bench_fn fn;
	const int64_t *args; /* one benchmark instance per argument; NULL for none */
	int nargs;
	struct pe_bench_def *next;
};

void pe_bench_register(struct pe_bench_def *def);

/* The timed loop: while (pe_bench_running(b)) { ...work... } */
bool pe_bench_running(struct pe_bench *b);
int64_t pe_bench_arg(struct pe_bench *b);
/* Throughput: bytes or items done per iteration (reported as bytes/s, items/s). */
void pe_bench_bytes_per_iter(struct pe_bench *b, int64_t n);
void pe_bench_items_per_iter(struct pe_bench *b, int64_t n);
void pe_bench_counter(struct pe_bench *b, const char *name, double value);
void pe_bench_label(struct pe_bench *b, const char *label);
/* Marks the run failed (e.g. the result check did not pass); the caller returns at once. */
void pe_bench_fail(struct pe_bench *b, const char *why);
/* A value the compiler must assume is used, so the work is not optimised away. */
void pe_bench_use(const void *p);

#define PE__BENCH_REG(fn, argv, n)                                                                 \
	static struct pe_bench_def fn##_def = { #fn, fn, argv, n, 0 };                             \
	__attribute__((constructor)) static void fn##_register(void)                               \
	{                                                                                          \
		pe_bench_register(&fn##_def);                                                      \
	}

/* PE_BENCH(fn): one instance. PE_BENCH_ARGS(fn, 64, 1514): one instance per argument. */
#define PE_BENCH(fn) PE__BENCH_REG(fn, 0, 0)
#define PE_BENCH_ARGS(fn, ...)                                                                     \
	static const int64_t fn##_args[] = { __VA_ARGS__ };                                        \
	PE__BENCH_REG(fn, fn##_args, (int)(sizeof(fn##_args) / sizeof(fn##_args[0])))

#ifdef __cplusplus
}
#endif
#endif
