/* SPDX-License-Identifier: BSD-2-Clause */
/* CRC-32 by carry-less multiplication on 512-bit registers (AVX-512 + VPCLMULQDQ): four
 * registers of four 16-byte blocks folded in parallel, 256 bytes a step. Constants and the
 * 128-bit ending: raw/crc32_x86.h. */
#include "raw/crc32.h"

#if defined(__x86_64__)
#include "raw/crc32_x86.h"

#define PE_CRC_AVX512                                                                              \
	__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,vpclmulqdq,sse4.1,ssse3,"        \
			      "pclmul")))

#define K4(hi, lo) _mm512_broadcast_i32x4(_mm_set_epi64x(hi, lo))

PE_CRC_AVX512 static inline __m512i fold512(__m512i z, __m512i k, __m512i data)
{
	/* 0x96: a ^ b ^ c */
	return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(z, k, 0x00),
					 _mm512_clmulepi64_epi128(z, k, 0x11), data, 0x96);
}

PE_CRC_AVX512 uint32_t pe_crc32_vpclmul(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (len < 64)
		return pe_crc32_pclmul(crc, buf, len);
	__m512i z0 = _mm512_xor_si512(_mm512_loadu_si512(p),
				      _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)~crc)));

	if (len >= 256) {
		__m512i z1 = _mm512_loadu_si512(p + 64);
		__m512i z2 = _mm512_loadu_si512(p + 128);
		__m512i z3 = _mm512_loadu_si512(p + 192);
		const __m512i k2048 = K4(PE_CRC_K2048_HI, PE_CRC_K2048_LO);

		for (p += 256, len -= 256; len >= 256; p += 256, len -= 256) {
			z0 = fold512(z0, k2048, _mm512_loadu_si512(p));
			z1 = fold512(z1, k2048, _mm512_loadu_si512(p + 64));
			z2 = fold512(z2, k2048, _mm512_loadu_si512(p + 128));
			z3 = fold512(z3, k2048, _mm512_loadu_si512(p + 192));
		}
		z0 = fold512(z0, K4(PE_CRC_K1536_HI, PE_CRC_K1536_LO), z3);
		z1 = fold512(z1, K4(PE_CRC_K1024_HI, PE_CRC_K1024_LO), z0);
		z0 = fold512(z2, K4(PE_CRC_K512_HI, PE_CRC_K512_LO), z1);
	} else {
		p += 64;
		len -= 64;
	}
	const __m512i k512 = K4(PE_CRC_K512_HI, PE_CRC_K512_LO);

	for (; len >= 64; p += 64, len -= 64)
		z0 = fold512(z0, k512, _mm512_loadu_si512(p));

	/* The four lanes fold onto the last by 384, 256 and 128 bits, then add up. */
	const __m512i kl = _mm512_set_epi64(0, 0, PE_CRC_K128_HI, PE_CRC_K128_LO, PE_CRC_K256_HI,
					    PE_CRC_K256_LO, PE_CRC_K384_HI, PE_CRC_K384_LO);
	__m512i t = _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(z0, kl, 0x00),
					      _mm512_clmulepi64_epi128(z0, kl, 0x11),
					      _mm512_maskz_mov_epi64(0xc0, z0), 0x96);
	__m256i h = _mm256_xor_si256(_mm512_castsi512_si256(t), _mm512_extracti64x4_epi64(t, 1));
	__m128i x = _mm_xor_si128(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));

	return ~pe_crc_finish(x, p, len);
}
#else
uint32_t pe_crc32_vpclmul(uint32_t crc, const void *buf, size_t len)
{
	return pe_crc32_table(crc, buf, len);
}
#endif
