/* SPDX-License-Identifier: BSD-2-Clause */
/* The sequence stamp (raw/stamp.h): its layout, exact bytes for numbers that cross every byte,
 * the round trip through pe_stamp_get(), payloads it must not take for a stamp, the stamp
 * written into frame templates with a checksum that stays right, and the Python helper
 * tests/raw/check_frames.py reading the same layout from the header. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "raw/frame.h"
#include "raw/stamp.h"
#include "tests/testutil.h"

static const uint64_t seqs[] = {
	0, 1, 0xff, 0x100, 0xffffffff, 0x100000000, 0x0123456789abcdefull, UINT64_MAX
};
#define N_SEQS (sizeof(seqs) / sizeof(seqs[0]))

Test(raw_stamp, layout)
{
	cr_expect_eq(strlen(PE_STAMP_MAGIC), PE_STAMP_MAGIC_LEN);
	cr_expect_eq(PE_STAMP_OFF, 0);
	cr_expect_eq(PE_STAMP_SEQ_OFF, PE_STAMP_OFF + PE_STAMP_MAGIC_LEN);
	cr_expect_eq(PE_STAMP_SEQ_LEN, 8);
	cr_expect_eq(PE_STAMP_LEN, PE_STAMP_SEQ_OFF + PE_STAMP_SEQ_LEN);
	cr_expect_eq(PE_STAMP_LEN, 12);
	cr_expect_eq(PE_STAMP_SEQ_BIG_ENDIAN, 1);
}

Test(raw_stamp, exact_bytes_and_round_trip)
{
	static const uint8_t want[PE_STAMP_LEN] = { 'P',  'E',	's',  'q',  0x01, 0x23,
						    0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	uint8_t b[PE_STAMP_LEN + 4];
	uint64_t got;

	memset(b, 0xee, sizeof(b));
	pe_stamp_put(b, 0x0123456789abcdefull);
	cr_assert_arr_eq(b, want, PE_STAMP_LEN);
	for (size_t i = PE_STAMP_LEN; i < sizeof(b); i++)
		cr_expect_eq(b[i], 0xee, "byte %zu past the stamp written", i);
	for (size_t i = 0; i < N_SEQS; i++) {
		pe_stamp_put(b, seqs[i]);
		for (int j = 0; j < PE_STAMP_SEQ_LEN; j++)
			cr_expect_eq(b[PE_STAMP_SEQ_OFF + j], (uint8_t)(seqs[i] >> (56 - 8 * j)),
				     "seq %#llx byte %d", (unsigned long long)seqs[i], j);
		got = ~seqs[i];
		cr_expect(pe_stamp_get(b, PE_STAMP_LEN, &got));
		cr_expect_eq(got, seqs[i]);
	}
	pe_stamp_put(b, 7);
	pe_stamp_put_seq(b + PE_STAMP_SEQ_OFF, 0x0102030405060708ull);
	cr_expect(pe_stamp_get(b, sizeof(b), &got));
	cr_expect_eq(got, 0x0102030405060708ull);
}

Test(raw_stamp, not_a_stamp)
{
	uint8_t b[PE_STAMP_LEN];
	uint64_t got = 42;

	pe_stamp_put(b, 9);
	cr_expect_not(pe_stamp_get(b, PE_STAMP_LEN - 1, &got), "one byte short");
	for (int i = 0; i < PE_STAMP_MAGIC_LEN; i++) {
		b[PE_STAMP_OFF + i] ^= 0x20;
		cr_expect_not(pe_stamp_get(b, PE_STAMP_LEN, &got), "magic byte %d changed", i);
		b[PE_STAMP_OFF + i] ^= 0x20;
	}
	cr_expect_eq(got, 42, "*seq is left alone when there is no stamp");
	cr_expect(pe_stamp_get(b, PE_STAMP_LEN, &got));
	cr_expect_eq(got, 9);
}

static void build(struct pe_frame_tmpl *t, enum pe_frame_l4 l4, unsigned size)
{
	struct pe_frame_opts o;

	pe_frame_opts_default(&o);
	o.l4 = l4;
	o.size_bytes = size;
	cr_assert_eq(pe_frame_build(t, &o), 0);
}

/* Into a template: the payload starts with the stamp, the checksums are what a full
 * recomputation gives, and only the number changes when the magic is not asked for. */
Test(raw_stamp, frame_template)
{
	static const enum pe_frame_l4 l4s[] = { PE_FRAME_L4_UDP, PE_FRAME_L4_TCP,
						PE_FRAME_L4_ICMP };
	static struct pe_frame_tmpl t, full;
	uint8_t want[PE_STAMP_LEN];
	uint64_t got;

	for (size_t i = 0; i < sizeof(l4s) / sizeof(l4s[0]); i++) {
		build(&t, l4s[i], 128);
		cr_assert_eq(pe_stamp_frame(&t, 0, true), 0);
		for (size_t j = 0; j < N_SEQS; j++) {
			struct pe_frame_info info;

			cr_assert_eq(pe_stamp_frame(&t, seqs[j], false), 0);
			pe_frame_finish_fcs(&t);
			pe_stamp_put(want, seqs[j]);
			cr_expect_arr_eq(pe_frame_data(&t) + t.off_payload, want, PE_STAMP_LEN,
					 "l4 %d seq %#llx", l4s[i], (unsigned long long)seqs[j]);
			full = t;
			pe_frame_update_csums(&full);
			cr_expect_arr_eq(pe_frame_data(&t), pe_frame_data(&full), t.len,
					 "l4 %d seq %#llx: incremental checksum", l4s[i],
					 (unsigned long long)seqs[j]);
			cr_expect_eq(pe_frame_validate(pe_frame_data(&t), t.len, 0, &info),
				     PE_FRAME_OK);
			cr_expect(pe_stamp_get(pe_frame_data(&t) + info.off_payload,
					       info.payload_len, &got));
			cr_expect_eq(got, seqs[j]);
		}
	}
	/* 64 bytes of IPv4/TCP leave 6 payload bytes: no room, nothing written */
	build(&t, PE_FRAME_L4_TCP, 64);
	cr_assert_lt(t.payload_len, PE_STAMP_LEN);
	full = t;
	cr_expect_eq(pe_stamp_frame(&t, 5, true), -ERANGE);
	cr_expect_arr_eq(t.buf, full.buf, sizeof(t.buf));
}

/* The Python helper builds its expected stamps from the header's #defines. */
Test(raw_stamp, python_helper_reads_the_header)
{
	struct pe_run r;
	char hex[2 * PE_STAMP_LEN + 2];
	uint8_t b[PE_STAMP_LEN];

	cr_assert_eq(pe_run(&r, PE_PYTHON " -c 'import scapy.all'"), 0);
	if (r.status) {
		pe_run_free(&r);
		cr_skip_test("scapy is not installed for " PE_PYTHON);
	}
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, PE_PYTHON " %s/tests/raw/check_frames.py stamp 81985529216486895",
			    PE_TEST_SRC),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_stamp_put(b, 81985529216486895ull); /* 0x0123456789abcdef */
	for (int i = 0; i < PE_STAMP_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	strcat(hex, "\n");
	cr_expect_str_eq(r.out, hex);
	pe_run_free(&r);
}
