/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz target: the length-prefixed framing (engine/framing.h). The first byte picks the
 * decoder's maximum and style, the second the split of the rest into chunks; the streaming
 * decoder must yield exactly the messages pe_lpm_parse() finds in the whole buffer. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/framing.h"

struct want {
	const uint8_t *buf;
	size_t len;
	const uint8_t *msg[4096];
	size_t msg_len[4096];
	size_t n, got;
};

static int check(void *arg, const void *msg, size_t msg_len)
{
	struct want *w = arg;

	if (w->got >= w->n || msg_len != w->msg_len[w->got] || memcmp(msg, w->msg[w->got], msg_len))
		abort();
	w->got++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct want w;
	struct pe_lpm_dec d;
	uint32_t max_len, rng;
	size_t off = 0;
	long r;
	bool iter, too_big = false, ref_too_big = false;

	if (size < 2)
		return 0;
	max_len = data[0] & 0x40 ? 1u << 20 : (data[0] & 0x3f) + 1u;
	iter = data[0] & 0x80;
	rng = data[1] * 2654435761u + 1;
	w.buf = data + 2;
	w.len = size - 2;
	w.n = w.got = 0;
	/* the reference: whole messages from the start of the buffer */
	while (w.n < 4096) {
		const void *m;
		size_t ml;

		r = pe_lpm_parse(w.buf + off, w.len - off, max_len, &m, &ml);
		if (r == PE_LPM_TOOBIG)
			ref_too_big = true;
		if (r <= 0)
			break;
		if ((size_t)r != PE_LPM_HDR + ml || ml > max_len || off + (size_t)r > w.len)
			abort();
		w.msg[w.n] = m;
		w.msg_len[w.n++] = ml;
		off += (size_t)r;
	}
	if (w.n == 4096)
		return 0;
	if (pe_lpm_dec_init(&d, max_len))
		abort();
	for (off = 0; off < w.len && !too_big;) {
		size_t n;

		rng = rng * 1103515245u + 12345u;
		n = 1 + (rng >> 16) % 19;
		if (n > w.len - off)
			n = w.len - off;
		if (iter) {
			const void *m;
			size_t ml;
			int k;

			pe_lpm_push(&d, w.buf + off, n);
			while ((k = pe_lpm_next(&d, &m, &ml)) == 1)
				check(&w, m, ml);
			if (k == PE_LPM_TOOBIG)
				too_big = true;
			else if (k != PE_LPM_PARTIAL)
				abort();
		} else {
			r = pe_lpm_feed(&d, w.buf + off, n, check, &w);
			if (r == PE_LPM_TOOBIG)
				too_big = true;
			else if (r < 0)
				abort();
		}
		off += n;
	}
	if (too_big != ref_too_big || w.got != w.n || d.msgs != w.n)
		abort();
	pe_lpm_dec_free(&d);
	return 0;
}
