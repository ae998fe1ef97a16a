/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz target: the capture side's checks of a received frame (raw/frame.h, raw/stamp.h), as
 * `pkteng capture` runs them: the parser and validator with and without the FCS, then the
 * sequence stamp at the payload the parser found, whatever the frame's status. */
#include <stdint.h>
#include <stdlib.h>

#include "raw/frame.h"
#include "raw/stamp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (unsigned flags = 0; flags <= PE_FRAME_PARSE_FCS; flags++) {
		struct pe_frame_info info;
		uint64_t seq;
		int st = pe_frame_validate(data, size, flags, &info);

		if (st < 0 || st >= PE_FRAME__STATUS_COUNT || !pe_frame_status_name(st))
			abort();
		if ((size_t)info.off_payload + info.payload_len > size)
			abort();
		(void)pe_stamp_get(data + info.off_payload, info.payload_len, &seq);
	}
	return 0;
}
