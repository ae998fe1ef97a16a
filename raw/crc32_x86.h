/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to raw/crc32_pclmul.c and raw/crc32_vpclmul.c: the folding constants and the
 * 128-bit steps both x86-64 paths end with (16-byte folds, the tail, Barrett reduction). */
#ifndef PKTENG_RAW_CRC32_X86_H
#define PKTENG_RAW_CRC32_X86_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Derivation. Registers hold message bits reflected, as the wire sends them: in a 128-bit
 * block, bit t (t = 0 is bit 0 of the first byte) is the coefficient of x^(127-t); a 64-bit
 * half L stands for L(x) = sum L_t x^(63-t). A block B followed by D more message bits
 * contributes B(x) x^D, and B = Lo x^64 + Hi, so it can be replaced by
 *	Lo (x^(D+64) mod P) + Hi (x^D mod P),
 * a 96-bit value that is XORed into the block D bits later ("folding by D").
 * PCLMULQDQ on reflected operands yields the product divided by x (bit i+j of the result
 * stands for x^(126-i-j) in a 128-bit register), so each constant is stored as
 *	K(n) = bitreverse32(x^(n-32) mod P) << 1	(33 bits; bit j stands for x^(64-j)),
 * i.e. x^n mod P times x^-32 ... times x^32 again through the placement: lo half takes
 * K(D+64) = rev(x^(D+32) mod P) << 1, hi half takes K(D) = rev(x^(D-32) mod P) << 1.
 * The final 128 bits R give crc = R x^32 mod P: fold the low half by x^96 (to 96 bits), the
 * low 32 of those by x^64 (to 64 bits), then Barrett: q = floor(W_hi mu / x^32) with
 * mu = floor(x^64 / P), crc = low 32 bits of W + q P; mu and P are stored bit-reversed in
 * 33 bits (bit j stands for x^(32-j)).
 * Computed by this generator (Python), not copied from any table:
 *	P = 0x104C11DB7
 *	def xmod(n):            # x^n mod P
 *		r = 1
 *		for _ in range(n):
 *			r <<= 1
 *			if r >> 32: r ^= P
 *		return r
 *	rev = lambda v, w: int(format(v, '0%db' % w)[::-1], 2)
 *	fold = lambda D: (rev(xmod(D + 32), 32) << 1, rev(xmod(D - 32), 32) << 1)  # (lo, hi)
 *	mu: long division of x^64 by P; emit rev(mu, 33), rev(P, 33), rev(xmod(64), 32) << 1.
 */
#define PE_CRC_K128_LO	0x1751997d0ull /* fold by 128 bits (one 16-byte block) */
#define PE_CRC_K128_HI	0x0ccaa009eull /* also x^96: the first final step */
#define PE_CRC_K256_LO	0x0f1da05aaull
#define PE_CRC_K256_HI	0x15a546366ull
#define PE_CRC_K384_LO	0x03db1ecdcull
#define PE_CRC_K384_HI	0x174359406ull
#define PE_CRC_K512_LO	0x154442bd4ull /* fold by 512 bits (64 bytes) */
#define PE_CRC_K512_HI	0x1c6e41596ull
#define PE_CRC_K1024_LO 0x1e88ef372ull
#define PE_CRC_K1024_HI 0x14a7fe880ull
#define PE_CRC_K1536_LO 0x1821d8bc0ull
#define PE_CRC_K1536_HI 0x12e958ac4ull
#define PE_CRC_K2048_LO 0x11542778aull /* fold by 2048 bits (256 bytes) */
#define PE_CRC_K2048_HI 0x1322d1430ull
#define PE_CRC_K64	0x163cd6124ull /* rev(x^64 mod P) << 1: 64 bits to 32 */
#define PE_CRC_MU	0x1f7011641ull /* rev(floor(x^64 / P), 33) */
#define PE_CRC_P	0x1db710641ull /* rev(P, 33) */

#define PE_CRC_SSE	__attribute__((target("sse4.1,ssse3,pclmul"), always_inline)) static inline

/* pshufb masks: 16 + r selects "shift right by r bytes", r selects "the last r bytes moved to
 * the top"; a set high bit yields zero. */
/* clang-format off */
static const uint8_t pe_crc_shuf[48] = {
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	0,    1,    2,    3,    4,    5,    6,    7,    8,    9,    10,   11,   12,   13,   14,   15,
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
};
/* clang-format on */

PE_CRC_SSE __m128i pe_crc_fold(__m128i x, __m128i k)
{
	return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

/* Continues from x (the folded state of at least 16 bytes that end at p) over p[0..len) and
 * returns the CRC register (before the final inversion). */
PE_CRC_SSE uint32_t pe_crc_finish(__m128i x, const uint8_t *p, size_t len)
{
	const __m128i k128 = _mm_set_epi64x(PE_CRC_K128_HI, PE_CRC_K128_LO);

	for (; len >= 16; len -= 16, p += 16)
		x = _mm_xor_si128(pe_crc_fold(x, k128), _mm_loadu_si128((const void *)p));
	if (len) {
		/* The message is x then len more bytes: the first len bytes of x become a block
		 * of their own (zeros before them do not change a CRC), folded into the block made
		 * of the rest of x and the new bytes, which is read as the last 16 bytes. */
		__m128i m_head = _mm_loadu_si128((const void *)(pe_crc_shuf + len));
		__m128i m_rest = _mm_loadu_si128((const void *)(pe_crc_shuf + 16 + len));
		__m128i last = _mm_loadu_si128((const void *)(p + len - 16));
		__m128i head = _mm_shuffle_epi8(x, m_head);
		__m128i rest = _mm_blendv_epi8(last, _mm_shuffle_epi8(x, m_rest), m_head);

		x = _mm_xor_si128(pe_crc_fold(head, k128), rest);
	}
	const __m128i k96 = _mm_set_epi64x(PE_CRC_K64, PE_CRC_K128_HI);
	const __m128i kb = _mm_set_epi64x(PE_CRC_P, PE_CRC_MU);
	const __m128i lo32 = _mm_set_epi32(0, 0, 0, -1);
	__m128i s, w, t;

	s = _mm_xor_si128(_mm_clmulepi64_si128(x, k96, 0x00), _mm_srli_si128(x, 8));
	w = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(s, lo32), k96, 0x10),
			  _mm_srli_si128(s, 4));
	t = _mm_clmulepi64_si128(_mm_and_si128(w, lo32), kb, 0x00);
	t = _mm_clmulepi64_si128(_mm_and_si128(t, lo32), kb, 0x10);
	return (uint32_t)_mm_extract_epi32(_mm_xor_si128(w, t), 1);
}

#endif
