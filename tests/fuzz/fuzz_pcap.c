/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz target: the pcap reader behind `pkteng inject --replay` (raw/pcapfile.h) on bytes in
 * memory, every record read and its bytes touched as the replay copies them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raw/pcapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t copy[65536];
	struct pe_pcap_reader *r;
	const uint8_t *frame;
	size_t cap_len, wire_len;
	uint64_t t_ns;
	int n = 0, rc;
	FILE *f;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		abort();
	r = pe_pcap_fopen(f);
	if (!r)
		return 0;
	(void)pe_pcap_linktype(r);
	if (pe_pcap_fcs_len(r) < 0)
		abort();
	while (n++ < 100000 && (rc = pe_pcap_next(r, &frame, &cap_len, &wire_len, &t_ns)) == 1)
		if (cap_len >= 14 && cap_len <= sizeof(copy))
			memcpy(copy, frame, cap_len);
	pe_pcap_close(r);
	return 0;
}
