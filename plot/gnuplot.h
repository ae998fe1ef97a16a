/* SPDX-License-Identifier: BSD-2-Clause */
/* gnuplot on a pipe: a script (data inline as $NAME << EOD blocks) goes to gnuplot's stdin,
 * the picture comes back from its stdout. pkteng draws no plots itself. */
#ifndef PKTENG_PLOT_GNUPLOT_H
#define PKTENG_PLOT_GNUPLOT_H

#include <stddef.h>

enum pe_plot_fmt {
	PE_PLOT_SVG,
	PE_PLOT_PNG,
};

/* A growing text buffer for scripts and pages. Appending never fails visibly: on ENOMEM the
 * buffer is marked failed (oom) and later appends are dropped; check oom once at the end. */
struct pe_buf {
	char *p;
	size_t len, cap;
	int oom;
};
void pe_buf_add(struct pe_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pe_buf_put(struct pe_buf *b, const char *s, size_t len);
void pe_buf_free(struct pe_buf *b);

/* The terminal line every plot starts with: fixed size in pixels, white background. */
void pe_gnuplot_terminal(struct pe_buf *script, enum pe_plot_fmt fmt, unsigned w_px, unsigned h_px);

/* Runs `gnuplot` (found on PATH, or $PKTENG_GNUPLOT) on script and stores what it wrote in
 * *out (malloc'd, NUL-terminated, caller frees). Returns 0; -ENOENT when gnuplot is missing,
 * -EINVAL when it rejected the script, or another negative errno; err then holds one line
 * saying why (gnuplot's own message for a bad script). */
int pe_gnuplot_run(const char *script, size_t len, struct pe_buf *out, char *err, size_t errlen);

#endif
