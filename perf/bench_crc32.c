/* SPDX-License-Identifier: BSD-2-Clause */
/* CRC32 throughput: pkteng's paths (table, pclmul, vpclmul, auto) against zlib's crc32 and
 * ISA-L's crc32_gzip_refl, at the Ethernet sizes (64, 1514), a jumbo frame and 1 MiB.
 * Every benchmark checks its CRC against zlib before timing. Select with --benchmark_filter=crc32 */
#include <errno.h>
#include <isa-l/crc.h>
#include <stdlib.h>
#include <zlib.h>

#include "perf/microbench.h"
#include "raw/crc32.h"

#define CRC32_SIZES 64, 1514, 9000, 1 << 20

enum peer { PEER_ZLIB, PEER_ISAL };

/* A 64-byte aligned buffer of n pseudo-random bytes (freed by the caller), or NULL. */
static unsigned char *bench_buf(size_t n)
{
	unsigned char *b = aligned_alloc(64, (n + 63) / 64 * 64);
	uint32_t x = 2463534242u;

	if (!b)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (unsigned char)x;
	}
	return b;
}

static void bench_pe(struct pe_bench *b, enum pe_crc32_impl impl)
{
	size_t n = (size_t)pe_bench_arg(b);
	unsigned char *buf = bench_buf(n);
	uint32_t crc;

	if (!buf) {
		pe_bench_fail(b, "out of memory");
		return;
	}
	if (pe_crc32_use(impl) < 0) {
		free(buf);
		pe_bench_fail(b, "this CPU lacks what the path needs");
		return;
	}
	if (pe_crc32(0, buf, n) != (uint32_t)crc32(0, buf, (uInt)n)) {
		free(buf);
		pe_bench_fail(b, "pe_crc32 differs from zlib");
		return;
	}
	pe_bench_label(b, pe_crc32_impl_name());
	while (pe_bench_running(b)) {
		crc = pe_crc32(0, buf, n);
		pe_bench_use(&crc);
	}
	pe_bench_bytes_per_iter(b, (int64_t)n);
	pe_crc32_use(PE_CRC32_AUTO);
	free(buf);
}

static void bench_peer(struct pe_bench *b, enum peer peer)
{
	size_t n = (size_t)pe_bench_arg(b);
	unsigned char *buf = bench_buf(n);
	uint32_t want, crc;

	if (!buf) {
		pe_bench_fail(b, "out of memory");
		return;
	}
	want = (uint32_t)crc32(0, buf, (uInt)n);
	/* ISA-L's crc32_gzip_refl takes and returns the same value as zlib's crc32. */
	if (peer == PEER_ISAL && crc32_gzip_refl(0, buf, n) != want) {
		free(buf);
		pe_bench_fail(b, "crc32_gzip_refl differs from zlib");
		return;
	}
	if (peer == PEER_ZLIB) {
		while (pe_bench_running(b)) {
			crc = (uint32_t)crc32(0, buf, (uInt)n);
			pe_bench_use(&crc);
		}
	} else {
		while (pe_bench_running(b)) {
			crc = crc32_gzip_refl(0, buf, n);
			pe_bench_use(&crc);
		}
	}
	pe_bench_bytes_per_iter(b, (int64_t)n);
	free(buf);
}

static void crc32_pe_table(struct pe_bench *b)
{
	bench_pe(b, PE_CRC32_TABLE);
}
PE_BENCH_ARGS(crc32_pe_table, CRC32_SIZES)

static void crc32_pe_pclmul(struct pe_bench *b)
{
	bench_pe(b, PE_CRC32_PCLMUL);
}
PE_BENCH_ARGS(crc32_pe_pclmul, CRC32_SIZES)

static void crc32_pe_vpclmul(struct pe_bench *b)
{
	bench_pe(b, PE_CRC32_VPCLMUL);
}
PE_BENCH_ARGS(crc32_pe_vpclmul, CRC32_SIZES)

static void crc32_pe_auto(struct pe_bench *b)
{
	bench_pe(b, PE_CRC32_AUTO);
}
PE_BENCH_ARGS(crc32_pe_auto, CRC32_SIZES)

static void crc32_zlib(struct pe_bench *b)
{
	bench_peer(b, PEER_ZLIB);
}
PE_BENCH_ARGS(crc32_zlib, CRC32_SIZES)

static void crc32_isal(struct pe_bench *b)
{
	bench_peer(b, PEER_ISAL);
}
PE_BENCH_ARGS(crc32_isal, CRC32_SIZES)
