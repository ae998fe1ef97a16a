/* SPDX-License-Identifier: BSD-2-Clause */
/* inject --payload-hex sends the payload as given: the sequence stamp is opt-in (--stamp)
 * when the payload is explicit, and then overwrites its first 12 bytes as documented. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "raw/pcapfile.h"
#include "tests/raw/rawtest.h"

static struct pe_lab lab;
static char *dir;

static void setup(void)
{
	pe_rt_init(&lab, &dir, NULL);
}

static void teardown(void)
{
	pe_rt_fini(&lab, &dir);
}

#define HEX "00112233445566778899aabbccddeeff"

static const struct {
	const char *args;
	const char *want; /* the first 16 payload bytes of each frame, hex; %u: none */
	bool seq;	  /* the frames carry PEsq and their number instead */
} cases[] = {
	{ "--method sendmmsg", HEX, false },
	{ "--method ring", HEX, false },
	{ "--method sendmmsg --stamp", NULL, true },
};

ParameterizedTestParameters(raw_payload, hex_payload_as_given)
{
	PE_PARAM_INDEXES(sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(unsigned *pi, raw_payload, hex_payload_as_given, .init = setup, .fini = teardown,
		  .timeout = 60)
{
	char inj[256];
	struct pe_rt_io r;
	struct pe_pcap_reader *rd;
	const uint8_t *data;
	size_t cap_len;
	unsigned n = 0;

	PE_REQUIRE_ROOT();
	snprintf(inj, sizeof(inj), "-n 3 --proto udp --payload-hex " HEX " %s", cases[*pi].args);
	cr_assert_eq(pe_rt_io(&lab, dir, inj, "-n 3 -t 10", 15000, &r), 0);
	cr_assert_eq(r.inj_status, 0, "%s", r.inj_err);
	cr_assert_eq(r.cap_status, 0, "%s", r.cap_err);
	rd = pe_pcap_open(r.pcap);
	cr_assert(rd);
	while (pe_pcap_next(rd, &data, &cap_len, NULL, NULL) == 1) {
		const uint8_t *p = data + 14 + 20 + 8; /* Ethernet, IPv4, UDP */
		uint8_t want[16];

		cr_assert_geq(cap_len, 14 + 20 + 8 + 16);
		if (cases[*pi].seq) {
			cr_expect_eq(memcmp(p, "PEsq", 4), 0, "frame %u", n);
			cr_expect_eq(p[11], n, "frame %u: seq %u", n, p[11]);
			cr_expect_eq(memcmp(p + 12, "\xcc\xdd\xee\xff", 4), 0, "frame %u", n);
		} else {
			cr_assert_eq(pe_unhex(cases[*pi].want, want, sizeof(want)), 16);
			cr_expect_eq(memcmp(p, want, 16), 0,
				     "frame %u: %02x%02x%02x%02x... sent instead of " HEX, n, p[0],
				     p[1], p[2], p[3]);
		}
		n++;
	}
	pe_pcap_close(rd);
	cr_expect_eq(n, 3);
	pe_rt_io_free(&r);
}
