// SPDX-License-Identifier: BSD-2-Clause
// Hands the benchmarks registered from C (perf/microbench.h) to Google Benchmark, so
// `pkteng-microbench` takes Google Benchmark's own flags (--benchmark_filter, --benchmark_format).
#include <benchmark/benchmark.h>

#include "perf/microbench.h"

struct pe_bench {
	benchmark::State *st;
	int64_t bytes_per_iter;
	int64_t items_per_iter;
};

static pe_bench_def *defs;

extern "C" void pe_bench_register(pe_bench_def *def)
{
	def->next = defs;
	defs = def;
}

extern "C" bool pe_bench_running(pe_bench *b)
{
	return b->st->KeepRunning();
}

extern "C" int64_t pe_bench_arg(pe_bench *b)
{
	return b->st->range(0);
}

extern "C" void pe_bench_bytes_per_iter(pe_bench *b, int64_t n)
{
	b->bytes_per_iter = n;
}

extern "C" void pe_bench_items_per_iter(pe_bench *b, int64_t n)
{
	b->items_per_iter = n;
}

extern "C" void pe_bench_counter(pe_bench *b, const char *name, double value)
{
	b->st->counters[name] = value;
}

extern "C" void pe_bench_label(pe_bench *b, const char *label)
{
	b->st->SetLabel(label);
}

extern "C" void pe_bench_fail(pe_bench *b, const char *why)
{
	b->st->SkipWithError(why);
}

extern "C" void pe_bench_use(const void *p)
{
	benchmark::DoNotOptimize(p);
}

static void run_one(benchmark::State &st, pe_bench_fn fn)
{
	pe_bench b = { &st, 0, 0 };

	fn(&b);
	if (b.bytes_per_iter)
		st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * b.bytes_per_iter);
	if (b.items_per_iter)
		st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * b.items_per_iter);
}

int main(int argc, char **argv)
{
	// Registration order is reversed by the list; restore the source order.
	pe_bench_def *rev = nullptr;
	while (defs) {
		pe_bench_def *d = defs;
		defs = d->next;
		d->next = rev;
		rev = d;
	}
	for (pe_bench_def *d = rev; d; d = d->next) {
		auto *bm = benchmark::RegisterBenchmark(d->name, run_one, d->fn);
		for (int i = 0; i < d->nargs; i++)
			bm->Arg(d->args[i]);
	}
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
