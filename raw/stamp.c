/* SPDX-License-Identifier: BSD-2-Clause */
/* The sequence stamp written into a frame template (stamp.h), checksum kept in step. */
#include "raw/stamp.h"

#include <errno.h>

#include "raw/frame.h"

int pe_stamp_frame(struct pe_frame_tmpl *t, uint64_t seq, bool magic)
{
	uint8_t b[PE_STAMP_SEQ_LEN];

	if (t->payload_len < PE_STAMP_LEN)
		return -ERANGE;
	if (magic)
		pe_frame_write_payload(t, PE_STAMP_OFF, PE_STAMP_MAGIC, PE_STAMP_MAGIC_LEN);
	pe_stamp_put_seq(b, seq);
	return pe_frame_write_payload(t, PE_STAMP_SEQ_OFF, b, sizeof(b));
}
