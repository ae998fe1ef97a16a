/* SPDX-License-Identifier: BSD-2-Clause */
/* pe_crc32 against zlib's crc32 on every path (table, pclmul, vpclmul, auto): all lengths
 * 0..4096 at unaligned offsets, multi-MiB buffers, chaining, and the Ethernet FCS residue. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "raw/crc32.h"

struct impl_case {
	enum pe_crc32_impl impl;
	char name[16]; /* what pe_crc32_impl_name() must say; "auto": any (arrays, not pointers:
			* Criterion copies parameters into the test's process) */
};

static struct impl_case impls[] = {
	{ PE_CRC32_TABLE, "table" },
	{ PE_CRC32_PCLMUL, "pclmul" },
	{ PE_CRC32_VPCLMUL, "vpclmul" },
	{ PE_CRC32_AUTO, "auto" },
};

static void use_or_skip(const struct impl_case *c)
{
	int rc = pe_crc32_use(c->impl);

	if (rc == -ENOTSUP)
		cr_skip_test("this CPU lacks what the %s path needs", c->name);
	cr_assert_eq(rc, 0, "pe_crc32_use(%d) = %d", c->impl, rc);
	if (strcmp(c->name, "auto"))
		cr_assert_str_eq(pe_crc32_impl_name(), c->name);
}

/* xorshift64: reproducible buffers without depending on rand()'s implementation. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static unsigned char *random_buf(size_t len)
{
	unsigned char *b = malloc(len + 8);

	cr_assert_not_null(b);
	for (size_t i = 0; i < len + 8; i++)
		b[i] = (unsigned char)rng();
	return b;
}

static uint32_t zcrc(uint32_t crc, const unsigned char *b, size_t len)
{
	return (uint32_t)crc32(crc, b, (uInt)len);
}

ParameterizedTestParameters(crc32, check_vector)
{
	return cr_make_param_array(struct impl_case, impls, sizeof(impls) / sizeof(impls[0]));
}

ParameterizedTest(struct impl_case *c, crc32, check_vector)
{
	use_or_skip(c);
	cr_assert_eq(pe_crc32(0, "123456789", 9), 0xCBF43926u);
	cr_assert_eq(pe_crc32(0, NULL, 0), 0u);
	cr_assert_eq(pe_crc32(0xDEADBEEFu, NULL, 0), 0xDEADBEEFu);
	/* 64 bytes of 0xFF: a fixed value computed by zlib and by the bitwise definition. */
	unsigned char ff[64];

	memset(ff, 0xff, sizeof(ff));
	cr_assert_eq(pe_crc32(0, ff, sizeof(ff)), zcrc(0, ff, sizeof(ff)));
}

ParameterizedTestParameters(crc32, every_length_and_offset)
{
	return cr_make_param_array(struct impl_case, impls, sizeof(impls) / sizeof(impls[0]));
}

/* Covers every tail length and every boundary of the 16, 64 and 256-byte steps. */
ParameterizedTest(struct impl_case *c, crc32, every_length_and_offset)
{
	enum { MAX = 4096 };
	unsigned char *b = random_buf(MAX);
	int bad = 0;

	use_or_skip(c);
	for (size_t len = 0; len <= MAX; len++) {
		for (size_t off = 0; off < 8; off++) {
			uint32_t seed = off & 1 ? (uint32_t)(len * 0x9E3779B1u) : 0;
			uint32_t got = pe_crc32(seed, b + off, len);
			uint32_t want = zcrc(seed, b + off, len);

			if (got != want && bad++ < 5)
				cr_log_error("len %zu off %zu seed %08x: %08x, zlib %08x", len, off,
					     seed, got, want);
		}
	}
	free(b);
	cr_assert_eq(bad, 0, "%d of %d lengths x offsets differ from zlib", bad, (MAX + 1) * 8);
}

ParameterizedTestParameters(crc32, large_and_chained)
{
	return cr_make_param_array(struct impl_case, impls, sizeof(impls) / sizeof(impls[0]));
}

/* Random sizes up to 6 MiB, whole and cut at random points into three chained calls. */
ParameterizedTest(struct impl_case *c, crc32, large_and_chained)
{
	enum { MAX = 6 << 20 };
	unsigned char *b = random_buf(MAX);

	use_or_skip(c);
	for (int i = 0; i < 12; i++) {
		size_t len = i == 0 ? MAX : (size_t)(rng() % MAX);
		size_t off = (size_t)(rng() % 8);
		size_t cut1 = len ? (size_t)(rng() % (len + 1)) : 0;
		size_t cut2 = cut1 + (size_t)(rng() % (len - cut1 + 1));
		uint32_t want = zcrc(0, b + off, len);
		uint32_t whole = pe_crc32(0, b + off, len);
		uint32_t part = pe_crc32(0, b + off, cut1);

		part = pe_crc32(part, b + off + cut1, cut2 - cut1);
		part = pe_crc32(part, b + off + cut2, len - cut2);
		cr_expect_eq(whole, want, "len %zu off %zu: %08x, zlib %08x", len, off, whole,
			     want);
		cr_expect_eq(part, want, "len %zu cut at %zu, %zu: %08x, zlib %08x", len, cut1,
			     cut2, part, want);
	}
	free(b);
}

ParameterizedTestParameters(crc32, ethernet_residue)
{
	return cr_make_param_array(struct impl_case, impls, sizeof(impls) / sizeof(impls[0]));
}

/* A receiver runs the CRC over frame + FCS (FCS least significant byte first) and must see
 * the constant residue, for every frame size from the minimum to a jumbo frame. */
ParameterizedTest(struct impl_case *c, crc32, ethernet_residue)
{
	enum { MAX = 9018 };
	unsigned char *f = random_buf(MAX + 4);
	int bad = 0;

	use_or_skip(c);
	for (size_t len = 60; len <= MAX; len += len < 1600 ? 1 : 97) {
		uint32_t fcs = pe_crc32(0, f, len);

		cr_assert_eq(fcs, zcrc(0, f, len), "len %zu", len);
		for (int i = 0; i < 4; i++)
			f[len + i] = (unsigned char)(fcs >> (8 * i));
		uint32_t res = pe_crc32(0, f, len + 4);

		if ((res != 0x2144DF1Cu || zcrc(0, f, len + 4) != 0x2144DF1Cu) && bad++ < 5)
			cr_log_error("len %zu: residue %08x", len, res);
		f[len] ^= 0x01; /* a one-bit error must break the residue */
		if (pe_crc32(0, f, len + 4) == 0x2144DF1Cu && bad++ < 5)
			cr_log_error("len %zu: corrupted FCS still gives the residue", len);
	}
	free(f);
	cr_assert_eq(bad, 0);
}

Test(crc32, use_rejects_unknown)
{
	cr_assert_eq(pe_crc32_use((enum pe_crc32_impl)42), -EINVAL);
	cr_assert_eq(pe_crc32_use(PE_CRC32_TABLE), 0);
	cr_assert_str_eq(pe_crc32_impl_name(), "table");
	cr_assert_eq(pe_crc32_use(PE_CRC32_VPCLMUL + 1), -EINVAL);
	cr_assert_str_eq(pe_crc32_impl_name(), "table", "a failed call must change nothing");
}
