/* SPDX-License-Identifier: BSD-2-Clause */
/* `-` as standard output: `capture --pcap -` streams a pcap that `tshark -r -` reads from the
 * pipe, frame by frame with inject's sequence stamps, while the report goes to stderr. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

TestSuite(raw_stdout, .init = setup, .fini = teardown, .timeout = 60);

Test(raw_stdout, capture_pcap_to_tshark)
{
	char ready[300], path[300], *tsv, *err, want[64];
	struct pe_lab_bg bg;
	struct pe_run r;
	unsigned i;

	if (!pe_is_root())
		cr_skip_test("needs root for the namespace lab");
	if (pe_run(&r, "tshark -v >/dev/null 2>&1") || r.status) {
		pe_run_free(&r);
		cr_skip_test("tshark is not installed (tools/deps.sh test set)");
	}
	pe_run_free(&r);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	snprintf(path, sizeof(path), "%s/tshark.tsv", dir);
	snprintf(want, sizeof(want), "%s/cap.err", dir);
	cr_assert_eq(pe_lab_bg_start(&lab, 1, &bg, NULL, NULL,
				     "%s capture --dev %s --incoming -n 8 --ready-file %s --pcap - "
				     "2>%s | tshark -r - -T fields -e frame.len -e data.data "
				     "> %s 2>/dev/null",
				     pe_rt_bin(), lab.ifname[1], ready, want, path),
		     0);
	cr_assert_eq(pe_lab_wait_file(ready, &bg, 10000), 0);
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s inject --dev %s -n 8 --size 100 --rate 1000",
				pe_rt_bin(), lab.ifname[0]),
		     0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	cr_expect_eq(pe_lab_bg_wait(&bg, 10000), 0);
	tsv = pe_read_file(path, NULL);
	err = pe_read_file(want, NULL);
	cr_assert(tsv && err);
	/* eight 96-byte frames (100 with the FCS the wire adds), each "PEsq" + sequence i */
	for (i = 0; i < 8; i++) {
		char line[64];

		snprintf(line, sizeof(line), "96\t50457371%016x", i);
		cr_expect(strstr(tsv, line), "frame %u missing: %s", i, tsv);
	}
	cr_expect(strstr(err, "captured 8 frames (768 bytes) on veth1"), "%s", err);
	cr_expect(strstr(err, "seq 0..7 missing 0 reordered 0"), "%s", err);
	free(tsv);
	free(err);
	/* nothing was left in the working directory under the name "-" */
	cr_expect_eq(access("-", F_OK), -1);
}
