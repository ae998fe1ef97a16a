/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng frame` against independent oracles: byte-exact scapy vectors (stored, and
 * regenerated live when scapy is installed) and tshark's checksum and FCS verdicts. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/frame/frame_testutil.h"
#include "tests/testutil.h"

#define N_VECTORS 27 /* tests/data/frame_vectors.txt; changes only with make_vectors.py */

static uint8_t buf[16384];

/* Every vector's args must make pkteng print exactly the vector's bytes. */
static void check_vectors(struct pe_vec *v, int n)
{
	for (int i = 0; i < n; i++) {
		int status = -1;
		long got = pe_frame_cli_hex(v[i].args, buf, sizeof(buf), &status);

		cr_expect_eq(got, (long)v[i].len, "%s: %ld bytes (status %d), scapy has %zu",
			     v[i].name, got, status, v[i].len);
		if (got != (long)v[i].len)
			continue;
		for (size_t k = 0; k < v[i].len; k++)
			if (buf[k] != v[i].bytes[k]) {
				cr_expect_fail("%s: byte %zu is %02x, scapy has %02x", v[i].name, k,
					       buf[k], v[i].bytes[k]);
				break;
			}
	}
}

Test(frame_vectors, stored_scapy_vectors)
{
	struct pe_vec *v;
	int n = pe_vec_load(PE_FRAME_VECTORS, &v);

	cr_assert_eq(n, N_VECTORS, "%s: %d vectors", PE_FRAME_VECTORS, n);
	check_vectors(v, n);
	pe_vec_free(v, n);
}

/* Regenerates the vectors with scapy (the live oracle) and compares with the stored ones and
 * with pkteng. */
Test(frame_vectors, live_scapy)
{
	struct pe_vec *stored, *live;
	char *dir, path[512];
	struct pe_run r;
	int n, m;

	cr_assert_eq(pe_run(&r, PE_PYTHON " -c 'import scapy.all'"), 0);
	if (r.status) {
		pe_run_free(&r);
		cr_skip_test("scapy is not installed for " PE_PYTHON
			     " (apt-get install python3-scapy)");
	}
	pe_run_free(&r);
	dir = pe_tmpdir();
	cr_assert(dir);
	snprintf(path, sizeof(path), "%s/vectors.txt", dir);
	cr_assert_eq(
		pe_run(&r, PE_PYTHON " %s/tests/frame/make_vectors.py > %s", PE_TEST_SRC, path), 0);
	cr_assert_eq(r.status, 0, "make_vectors.py: %s", r.err);
	pe_run_free(&r);
	n = pe_vec_load(path, &live);
	m = pe_vec_load(PE_FRAME_VECTORS, &stored);
	cr_assert_eq(n, N_VECTORS);
	cr_assert_eq(m, N_VECTORS);
	for (int i = 0; i < n; i++) {
		cr_expect_str_eq(live[i].name, stored[i].name);
		cr_expect_str_eq(live[i].args, stored[i].args);
		cr_expect(live[i].len == stored[i].len &&
				  !memcmp(live[i].bytes, stored[i].bytes, live[i].len),
			  "%s: scapy now builds different bytes than stored", live[i].name);
	}
	check_vectors(live, n);
	pe_vec_free(live, n);
	pe_vec_free(stored, m);
	pe_tmpdir_remove(dir);
}

#define TSHARK_ARGS                                                                                \
	"-o eth.check_fcs:TRUE -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE "              \
	"-o tcp.check_checksum:TRUE -T fields -E separator=, -e frame.len -e eth.fcs.status "      \
	"-e ip.checksum.status -e udp.checksum.status -e tcp.checksum.status "                     \
	"-e icmp.checksum.status -e icmpv6.checksum.status"

static bool have_tshark(void)
{
	struct pe_run r;
	bool ok = !pe_run(&r, "tshark -v") && r.status == 0;

	pe_run_free(&r);
	return ok;
}

/* tshark's verdict line for the pcap: "len,fcs,ip,udp,tcp,icmp,icmpv6" (1 = Good, 0 = Bad). */
static void tshark_fields(const char *pcap, char *out, size_t cap)
{
	struct pe_run r;

	cr_assert_eq(pe_run(&r, "tshark -r %s " TSHARK_ARGS, pcap), 0);
	cr_assert_eq(r.status, 0, "tshark: %s", r.err);
	snprintf(out, cap, "%s", r.out);
	out[strcspn(out, "\n")] = 0;
	pe_run_free(&r);
}

Test(frame_vectors, tshark_checksums_and_fcs)
{
	struct pe_vec *v;
	char *dir, pcap[512], want[128], got[256];
	struct pe_run r;
	int n;

	if (!have_tshark())
		cr_skip_test("tshark is not installed (apt-get install tshark)");
	n = pe_vec_load(PE_FRAME_VECTORS, &v);
	cr_assert_eq(n, N_VECTORS);
	dir = pe_tmpdir();
	cr_assert(dir);
	for (int i = 0; i < n; i++) {
		const char *nm = v[i].name;
		bool fcs = strstr(nm, "_fcs"), v4 = strstr(nm, "ipv4"), v6 = strstr(nm, "ipv6");
		bool raw = strstr(nm, "raw");

		snprintf(pcap, sizeof(pcap), "%s/%s.pcap", dir, nm);
		cr_assert_eq(pe_run(&r, "%s frame %s --pcap %s", PE_TEST_BIN, v[i].args, pcap), 0);
		cr_expect_eq(r.status, 0, "%s: %s", nm, r.err);
		cr_expect_eq(r.out_len + r.err_len, 0, "%s: printed '%s%s'", nm, r.out, r.err);
		pe_run_free(&r);
		/* a frame without FCS is 4 bytes shorter on the wire: tshark sees len - 4 */
		snprintf(want, sizeof(want), "%zu,%s,%s,%s,%s,%s,%s", v[i].len, fcs ? "1" : "",
			 v4 ? "1" : "", !raw && strstr(nm, "udp") ? "1" : "",
			 !raw && strstr(nm, "tcp") ? "1" : "", v4 && strstr(nm, "icmp") ? "1" : "",
			 v6 && strstr(nm, "icmp") ? "1" : "");
		tshark_fields(pcap, got, sizeof(got));
		cr_expect_str_eq(got, want, "%s: tshark says %s, expected %s", nm, got, want);
	}
	pe_vec_free(v, n);
	pe_tmpdir_remove(dir);
}

/* The oracle can fail: a flipped UDP payload byte and a flipped FCS byte are reported bad,
 * and without the link type's FCS bits tshark sees no FCS on a raw frame. */
Test(frame_vectors, tshark_sees_corruption)
{
	char *dir, pcap[512], got[256];
	uint8_t *b;
	size_t len;
	struct pe_run r;

	if (!have_tshark())
		cr_skip_test("tshark is not installed (apt-get install tshark)");
	dir = pe_tmpdir();
	cr_assert(dir);
	snprintf(pcap, sizeof(pcap), "%s/x.pcap", dir);
	cr_assert_eq(pe_run(&r, "%s frame --fcs --size 100 --pcap %s", PE_TEST_BIN, pcap), 0);
	cr_assert_eq(r.status, 0);
	pe_run_free(&r);
	b = (uint8_t *)pe_read_file(pcap, &len);
	cr_assert_eq(len, 24 + 16 + 100);
	tshark_fields(pcap, got, sizeof(got));
	cr_expect_str_eq(got, "100,1,1,1,,,");
	b[24 + 16 + 60] ^= 1; /* a payload byte: UDP checksum and FCS go bad, IP stays good */
	cr_assert_eq(pe_write_file(pcap, b, len), 0);
	tshark_fields(pcap, got, sizeof(got));
	cr_expect_str_eq(got, "100,0,1,0,,,");
	free(b);

	cr_assert_eq(pe_run(&r, "%s frame --fcs --proto raw --pcap %s", PE_TEST_BIN, pcap), 0);
	pe_run_free(&r);
	b = (uint8_t *)pe_read_file(pcap, &len);
	cr_assert_eq(len, 24 + 16 + 64);
	cr_expect_eq(b[20] | b[21] << 8 | b[22] << 16 | (uint32_t)b[23] << 24, 0x24000001u,
		     "link type with FCS bits, host (little-endian) order");
	tshark_fields(pcap, got, sizeof(got));
	cr_expect_str_eq(got, "64,1,,,,,");
	b[23] = 0; /* drop the FCS bits: the 4 bytes are just data to tshark */
	cr_assert_eq(pe_write_file(pcap, b, len), 0);
	tshark_fields(pcap, got, sizeof(got));
	cr_expect_str_eq(got, "64,,,,,,");
	free(b);
	pe_tmpdir_remove(dir);
}
