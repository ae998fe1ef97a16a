/* SPDX-License-Identifier: BSD-2-Clause */
/* Which sequence numbers a udp receiver has seen, in bounded memory: a bitmap over a window of
 * PE_SEQWIN_SPAN numbers that slides forward with the highest one seen. Exact for a sender that
 * numbers from 0 upwards: only a datagram more than PE_SEQWIN_SPAN behind the newest, or that
 * far ahead of it, is out of the window, and those are counted, never stored. */
#ifndef PKTENG_WORKLOAD_SEQWIN_H
#define PKTENG_WORKLOAD_SEQWIN_H

#include <stdint.h>

#define PE_SEQWIN_SPAN (1u << 21) /* numbers tracked: a 256 KiB bitmap per receiver */

struct pe_seqwin {
	uint64_t *bits; /* PE_SEQWIN_SPAN bits, number n at bit n % PE_SEQWIN_SPAN */
	uint64_t base;	/* the lowest number in the window, a multiple of 64 */
	uint64_t top;	/* the highest number seen + 1; 0 before the first */
};

enum pe_seq_verdict {
	PE_SEQ_NEW,	      /* first time, the highest so far */
	PE_SEQ_REORDERED,     /* first time, below the highest so far */
	PE_SEQ_DUPLICATE,     /* seen before */
	PE_SEQ_OUT_OF_WINDOW, /* below the window (cannot tell) or PE_SEQWIN_SPAN or more ahead */
};

/* 0, or -ENOMEM. The window starts at 0. */
int pe_seqwin_init(struct pe_seqwin *w);
void pe_seqwin_free(struct pe_seqwin *w);
/* Records seq and says what it was. Never allocates. */
enum pe_seq_verdict pe_seqwin_mark(struct pe_seqwin *w, uint64_t seq);

#endif
