/* SPDX-License-Identifier: BSD-2-Clause */
/* CRC-32 for the Ethernet FCS: the portable slicing-by-16 path, and the run-time choice between
 * it and the x86-64 folding paths (raw/crc32_pclmul.c, raw/crc32_vpclmul.c). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include "raw/crc32.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#define PE_CRC32_POLY_REFL 0xEDB88320u /* 0x04C11DB7 bit-reversed */

typedef uint32_t (*pe_crc32_fn)(uint32_t crc, const void *buf, size_t len);

/* tab[0] is the byte-at-a-time table; tab[k][b] is the CRC of byte b followed by k zero bytes,
 * so sixteen bytes are folded with sixteen independent look-ups. 16 KiB of tables; about 1.5x
 * the throughput of slicing-by-8 here, whose eight look-ups a step are latency-bound. */
static uint32_t tab[16][256];
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;

static void tab_init(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t c = b;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (PE_CRC32_POLY_REFL & -(c & 1));
		tab[0][b] = c;
	}
	for (uint32_t b = 0; b < 256; b++)
		for (int k = 1; k < 16; k++)
			tab[k][b] = (tab[k - 1][b] >> 8) ^ tab[0][tab[k - 1][b] & 0xff];
}

static inline uint32_t load_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t pe_crc32_table(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	pthread_once(&tab_once, tab_init);
	crc = ~crc;
	for (; len >= 16; len -= 16, p += 16) {
		uint32_t a = crc ^ load_le32(p), b = load_le32(p + 4);
		uint32_t c = load_le32(p + 8), d = load_le32(p + 12);

		crc = tab[15][a & 0xff] ^ tab[14][(a >> 8) & 0xff] ^ tab[13][(a >> 16) & 0xff] ^
		      tab[12][a >> 24] ^ tab[11][b & 0xff] ^ tab[10][(b >> 8) & 0xff] ^
		      tab[9][(b >> 16) & 0xff] ^ tab[8][b >> 24] ^ tab[7][c & 0xff] ^
		      tab[6][(c >> 8) & 0xff] ^ tab[5][(c >> 16) & 0xff] ^ tab[4][c >> 24] ^
		      tab[3][d & 0xff] ^ tab[2][(d >> 8) & 0xff] ^ tab[1][(d >> 16) & 0xff] ^
		      tab[0][d >> 24];
	}
	while (len--)
		crc = (crc >> 8) ^ tab[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

static bool have_pclmul, have_vpclmul;

#if defined(__x86_64__)
static void detect_cpu(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return;
	have_pclmul = (c & bit_SSSE3) && (c & bit_SSE4_1) && (c & bit_PCLMUL);
	if (!have_pclmul || !(c & bit_OSXSAVE))
		return;
	/* The CPU may have AVX-512 while the OS does not save its state: XCR0 must enable
	 * SSE, AVX, the opmask registers and both halves of the ZMM file (bits 1, 2, 5, 6, 7). */
	unsigned int xcr0_lo, xcr0_hi;

	__asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
	if ((xcr0_lo & 0xe6) != 0xe6 || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return;
	have_vpclmul = (b & bit_AVX512F) && (b & bit_AVX512DQ) && (b & bit_AVX512BW) &&
		       (b & bit_AVX512VL) && (c & bit_VPCLMULQDQ);
}
#else
static void detect_cpu(void)
{
}
#endif

static uint32_t crc32_first(uint32_t crc, const void *buf, size_t len);

/* Relaxed atomics: a plain load on x86, but no data race when a test switches paths. */
static pe_crc32_fn crc32_fn = crc32_first;
static pthread_once_t select_once = PTHREAD_ONCE_INIT;

static pe_crc32_fn best(void)
{
	return have_vpclmul ? pe_crc32_vpclmul : have_pclmul ? pe_crc32_pclmul : pe_crc32_table;
}

static void select_init(void)
{
	detect_cpu();
	pthread_once(&tab_once, tab_init);
	__atomic_store_n(&crc32_fn, best(), __ATOMIC_RELAXED);
}

static uint32_t crc32_first(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&select_once, select_init);
	return __atomic_load_n(&crc32_fn, __ATOMIC_RELAXED)(crc, buf, len);
}

uint32_t pe_crc32(uint32_t crc, const void *buf, size_t len)
{
	return __atomic_load_n(&crc32_fn, __ATOMIC_RELAXED)(crc, buf, len);
}

int pe_crc32_use(enum pe_crc32_impl impl)
{
	pe_crc32_fn fn;

	pthread_once(&select_once, select_init);
	switch (impl) {
	case PE_CRC32_AUTO:
		fn = best();
		break;
	case PE_CRC32_TABLE:
		fn = pe_crc32_table;
		break;
	case PE_CRC32_PCLMUL:
		if (!have_pclmul)
			return -ENOTSUP;
		fn = pe_crc32_pclmul;
		break;
	case PE_CRC32_VPCLMUL:
		if (!have_vpclmul)
			return -ENOTSUP;
		fn = pe_crc32_vpclmul;
		break;
	default:
		return -EINVAL;
	}
	__atomic_store_n(&crc32_fn, fn, __ATOMIC_RELAXED);
	return 0;
}

const char *pe_crc32_impl_name(void)
{
	pthread_once(&select_once, select_init);
	pe_crc32_fn fn = __atomic_load_n(&crc32_fn, __ATOMIC_RELAXED);

	return fn == pe_crc32_vpclmul ? "vpclmul" : fn == pe_crc32_pclmul ? "pclmul" : "table";
}
