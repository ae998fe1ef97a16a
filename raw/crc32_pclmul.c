/* SPDX-License-Identifier: BSD-2-Clause */
/* CRC-32 by carry-less multiplication on 128-bit registers (SSE4.1 + PCLMULQDQ): four blocks
 * of 16 bytes folded in parallel, 64 bytes a step. Constants: raw/crc32_x86.h. */
#include "raw/crc32.h"

#if defined(__x86_64__)
#include "raw/crc32_x86.h"

__attribute__((target("sse4.1,ssse3,pclmul"))) uint32_t pe_crc32_pclmul(uint32_t crc,
									const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (len < 16)
		return pe_crc32_table(crc, buf, len);
	__m128i x0 = _mm_xor_si128(_mm_loadu_si128((const void *)p), _mm_cvtsi32_si128((int)~crc));

	if (len < 64)
		return ~pe_crc_finish(x0, p + 16, len - 16);

	__m128i x1 = _mm_loadu_si128((const void *)(p + 16));
	__m128i x2 = _mm_loadu_si128((const void *)(p + 32));
	__m128i x3 = _mm_loadu_si128((const void *)(p + 48));
	const __m128i k512 = _mm_set_epi64x(PE_CRC_K512_HI, PE_CRC_K512_LO);

	for (p += 64, len -= 64; len >= 64; p += 64, len -= 64) {
		x0 = _mm_xor_si128(pe_crc_fold(x0, k512), _mm_loadu_si128((const void *)p));
		x1 = _mm_xor_si128(pe_crc_fold(x1, k512), _mm_loadu_si128((const void *)(p + 16)));
		x2 = _mm_xor_si128(pe_crc_fold(x2, k512), _mm_loadu_si128((const void *)(p + 32)));
		x3 = _mm_xor_si128(pe_crc_fold(x3, k512), _mm_loadu_si128((const void *)(p + 48)));
	}
	/* Each block folds straight onto the last one, in parallel rather than in a chain. */
	x0 = pe_crc_fold(x0, _mm_set_epi64x(PE_CRC_K384_HI, PE_CRC_K384_LO));
	x1 = pe_crc_fold(x1, _mm_set_epi64x(PE_CRC_K256_HI, PE_CRC_K256_LO));
	x2 = pe_crc_fold(x2, _mm_set_epi64x(PE_CRC_K128_HI, PE_CRC_K128_LO));
	x3 = _mm_xor_si128(_mm_xor_si128(x0, x1), _mm_xor_si128(x2, x3));
	return ~pe_crc_finish(x3, p, len);
}
#else
uint32_t pe_crc32_pclmul(uint32_t crc, const void *buf, size_t len)
{
	return pe_crc32_table(crc, buf, len);
}
#endif
