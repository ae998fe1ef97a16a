/* SPDX-License-Identifier: BSD-2-Clause */
/* CRC-32 (IEEE 802.3, reflected, polynomial 0x04C11DB7): the Ethernet FCS. Same semantics as
 * zlib's crc32(): pass 0 to start, pass the previous result to continue. */
#ifndef PKTENG_RAW_CRC32_H
#define PKTENG_RAW_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

/* The CRC of buf[0..len) continued from crc. pe_crc32(0, "123456789", 9) == 0xCBF43926.
 * buf may be NULL when len is 0. Never fails. */
uint32_t pe_crc32(uint32_t crc, const void *buf, size_t len);

enum pe_crc32_impl {
	PE_CRC32_AUTO = 0, /* the fastest this CPU supports (chosen once, from cpuid) */
	PE_CRC32_TABLE,	   /* portable slicing-by-16 tables */
	PE_CRC32_PCLMUL,   /* x86-64 SSE4.1 + PCLMULQDQ folding */
	PE_CRC32_VPCLMUL,  /* x86-64 AVX-512 + VPCLMULQDQ folding */
};

/* Chooses the implementation pe_crc32() uses (for tests and benchmarks). Returns 0, or
 * -ENOTSUP when this CPU lacks what impl needs (nothing changes then), -EINVAL for an
 * unknown impl. Not thread-safe against concurrent pe_crc32() calls. */
int pe_crc32_use(enum pe_crc32_impl impl);
/* The implementation in use: "table", "pclmul" or "vpclmul". */
const char *pe_crc32_impl_name(void);

/* The paths behind pe_crc32(), with its semantics, for callers that pin one. The SIMD ones
 * may only be called when pe_crc32_use() accepts them (they fault on other CPUs, and return
 * the table result when built for another architecture). */
uint32_t pe_crc32_table(uint32_t crc, const void *buf, size_t len);
uint32_t pe_crc32_pclmul(uint32_t crc, const void *buf, size_t len);
uint32_t pe_crc32_vpclmul(uint32_t crc, const void *buf, size_t len);

#pragma GCC visibility pop

#endif
