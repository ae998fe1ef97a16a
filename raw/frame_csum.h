/* SPDX-License-Identifier: BSD-2-Clause */
/* Internet checksum pieces shared by the frame builder and parser (private to raw/frame_*.c):
 * one's-complement sums over big-endian 16-bit words and the RFC 1624 incremental update. */
#ifndef PKTENG_RAW_FRAME_CSUM_H
#define PKTENG_RAW_FRAME_CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

static inline uint16_t pe__get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void pe__put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline uint32_t pe__get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void pe__put32(uint8_t *p, uint32_t v)
{
	pe__put16(p, v >> 16);
	pe__put16(p + 2, v & 0xffff);
}

/* End-around-carry fold to 16 bits, branch-free (a data-dependent loop mispredicts on the
 * random values a generator feeds it). */
static inline uint16_t pe__fold(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32); /* < 2^33 */
	s = (s & 0xffff) + (s >> 16);	   /* < 2^17 + 2^16 */
	s = (s & 0xffff) + (s >> 16);	   /* <= 0x10001 */
	s = (s & 0xffff) + (s >> 16);	   /* <= 0xffff */
	return (uint16_t)s;
}

/* One's-complement sum of p[0..len) read as big-endian 16-bit words starting at an even
 * position (odd = false) or in the low half of a word (odd = true, e.g. an odd offset from
 * the start of the checksummed area). Sums native little-endian 32-bit chunks and swaps once:
 * the one's-complement sum commutes with byte order. */
static inline uint16_t pe__csum_sum(const void *buf, size_t len, bool odd)
{
	const uint8_t *p = buf;
	uint64_t s = 0;
	uint16_t r;

	for (; len >= 4; len -= 4, p += 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		s += w;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		s += w;
		p += 2;
		len -= 2;
	}
	if (len)
		s += *p; /* the high byte of a big-endian word = the low byte of a native one */
	r = pe__fold(s);
	r = (uint16_t)(r << 8 | r >> 8); /* native little-endian -> big-endian */
	if (odd)
		r = (uint16_t)(r << 8 | r >> 8);
	return r;
}

/* Adds two one's-complement 16-bit sums. */
static inline uint16_t pe__csum_add(uint16_t a, uint16_t b)
{
	return pe__fold((uint32_t)a + b);
}

/* The checksum field for a total sum s; UDP sends a computed 0 as 0xFFFF (RFC 768/8200). */
static inline uint16_t pe__csum_final(uint16_t s, bool udp)
{
	uint16_t c = (uint16_t)~s;

	return udp && c == 0 ? 0xffff : c;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), where m and m' are the sums of the old and new
 * data. The end-around-carry sum is 0 only when all three terms are, so the result matches a
 * full recomputation whose data sum is never zero (every pseudo-header has a non-zero protocol
 * and IPv4 a non-zero version). */
static inline void pe__csum_fix(uint8_t *field, uint16_t m_old, uint16_t m_new, bool udp)
{
	uint16_t s = pe__fold((uint32_t)(uint16_t)~pe__get16(field) + (uint16_t)~m_old + m_new);

	pe__put16(field, pe__csum_final(s, udp));
}

#pragma GCC visibility pop

#endif
