/* SPDX-License-Identifier: BSD-2-Clause */
/* The sequence stamp: what `pkteng inject` writes at the start of each frame's payload when
 * there is room, and `pkteng capture` reads to count missing and reordered frames. It is the
 * 4-byte magic "PEsq" and then the frame's number in the run (from 0) as 8 bytes big-endian.
 * The #defines below are the single source: tests/raw/check_frames.py reads them from here. */
#ifndef PKTENG_RAW_STAMP_H
#define PKTENG_RAW_STAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

#define PE_STAMP_MAGIC		"PEsq" /* the first bytes of a stamped payload */
#define PE_STAMP_MAGIC_LEN	4
#define PE_STAMP_OFF		0  /* payload offset of the magic */
#define PE_STAMP_SEQ_OFF	4  /* payload offset of the sequence number */
#define PE_STAMP_SEQ_LEN	8  /* bytes of the sequence number */
#define PE_STAMP_SEQ_BIG_ENDIAN 1  /* its byte order: most significant byte first */
#define PE_STAMP_LEN		12 /* payload bytes a stamp needs */

/* The sequence number seq at p (PE_STAMP_SEQ_LEN bytes, big-endian). */
static inline void pe_stamp_put_seq(uint8_t *p, uint64_t seq)
{
	for (int i = PE_STAMP_SEQ_LEN - 1; i >= 0; i--, seq >>= 8)
		p[i] = (uint8_t)seq;
}

/* The whole stamp (magic and seq) at the start of a payload p of PE_STAMP_LEN bytes or more. */
static inline void pe_stamp_put(uint8_t *p, uint64_t seq)
{
	memcpy(p + PE_STAMP_OFF, PE_STAMP_MAGIC, PE_STAMP_MAGIC_LEN);
	pe_stamp_put_seq(p + PE_STAMP_SEQ_OFF, seq);
}

/* Reads the stamp of a payload of len bytes: true with *seq set when it carries one, false
 * (*seq untouched) when it is shorter than PE_STAMP_LEN or does not start with the magic. */
static inline bool pe_stamp_get(const uint8_t *payload, size_t len, uint64_t *seq)
{
	const uint8_t *p = payload + PE_STAMP_SEQ_OFF;
	uint64_t v = 0;

	if (len < PE_STAMP_LEN ||
	    memcmp(payload + PE_STAMP_OFF, PE_STAMP_MAGIC, PE_STAMP_MAGIC_LEN))
		return false;
	for (int i = 0; i < PE_STAMP_SEQ_LEN; i++)
		v = v << 8 | p[i];
	*seq = v;
	return true;
}

struct pe_frame_tmpl;

/* Stamps a frame template with seq through pe_frame_write_payload() (the L4 checksum follows
 * incrementally, the FCS does not): the magic too when magic is set, else only the number
 * (the magic stays in place while the size does not change). Returns 0, or -ERANGE when the
 * payload is shorter than PE_STAMP_LEN (nothing is written). */
int pe_stamp_frame(struct pe_frame_tmpl *t, uint64_t seq, bool magic);

#pragma GCC visibility pop

#endif
