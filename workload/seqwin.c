/* SPDX-License-Identifier: BSD-2-Clause */
/* The sliding sequence-number window behind seqwin.h. */
#include "workload/seqwin.h"

#include <errno.h>
#include <stdlib.h>

#define WORDS (PE_SEQWIN_SPAN / 64)

int pe_seqwin_init(struct pe_seqwin *w)
{
	w->bits = calloc(WORDS, sizeof(*w->bits));
	w->base = 0;
	w->top = 0;
	return w->bits ? 0 : -ENOMEM;
}

void pe_seqwin_free(struct pe_seqwin *w)
{
	free(w->bits);
	w->bits = NULL;
}

/* Moves the window up so that it ends just past seq, forgetting the numbers it leaves. */
static void slide(struct pe_seqwin *w, uint64_t seq)
{
	uint64_t nb = (seq - PE_SEQWIN_SPAN + 1 + 63) & ~63ull, n = (nb - w->base) / 64;

	if (n >= WORDS) {
		for (uint64_t i = 0; i < WORDS; i++)
			w->bits[i] = 0;
	} else {
		for (uint64_t i = 0; i < n; i++)
			w->bits[(w->base / 64 + i) % WORDS] = 0;
	}
	w->base = nb;
}

enum pe_seq_verdict pe_seqwin_mark(struct pe_seqwin *w, uint64_t seq)
{
	uint64_t *word, bit;

	if (seq < w->base || (seq >= w->top && seq - w->top >= PE_SEQWIN_SPAN))
		return PE_SEQ_OUT_OF_WINDOW;
	if (seq - w->base >= PE_SEQWIN_SPAN)
		slide(w, seq);
	word = &w->bits[(seq / 64) % WORDS];
	bit = 1ull << (seq % 64);
	if (*word & bit)
		return PE_SEQ_DUPLICATE;
	*word |= bit;
	if (seq < w->top)
		return PE_SEQ_REORDERED;
	w->top = seq + 1;
	return PE_SEQ_NEW;
}
