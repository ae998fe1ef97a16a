/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng inject --offload NAME=on|off`: offload features switched for the run and put back
 * after it, as `pkteng ethtool -K` would switch them. */
#ifndef PKTENG_TOOLS_INJECT_OFFLOAD_H
#define PKTENG_TOOLS_INJECT_OFFLOAD_H

#include <stddef.h>

#include "raw/ethtool.h"

#define PE_INJECT_MAX_OFFLOADS 16

struct pe_inject_offloads {
	struct pe_feature_change ch[PE_INJECT_MAX_OFFLOADS]; /* names malloc'd */
	size_t n;
	struct pe_features saved; /* the device's features before the run */
};

/* ethtool's `NAME on|off ...` words, where a word NAME=on|off is one pair too (the syntax of
 * `pkteng ethtool -K` and of `inject --offload`), into ch[0..cap): names malloc'd. Returns how
 * many pairs, or -PE_EXIT_USAGE after the one-line error that starts with `what` (then no
 * name is left allocated). */
int pe_offload_words_parse(char *const *words, int n, struct pe_feature_change *ch, size_t cap,
			   const char *what);
/* Adds one --offload argument to o (zeroed by the caller): "NAME=on|off" or ethtool's words
 * "NAME on|off [NAME on|off...]" in one argument. Returns 0, or PE_EXIT_USAGE after the
 * one-line error (bad value, more than PE_INJECT_MAX_OFFLOADS). */
int pe_inject_offload_parse(struct pe_inject_offloads *o, const char *arg);
/* Switches the features on dev, remembering the old ones; nothing to do without any. Returns
 * 0 (a feature that is fixed or that the driver ignored gets a note on stderr), or
 * PE_EXIT_USAGE (unknown feature) / PE_EXIT_FAIL (no CAP_NET_ADMIN, ethtool failed) after
 * the one-line error, with nothing switched. */
int pe_inject_offloads_apply(struct pe_inject_offloads *o, const char *dev);
/* Puts back what pe_inject_offloads_apply() switched, as far as the device lets it. */
void pe_inject_offloads_restore(struct pe_inject_offloads *o, const char *dev);
/* Frees the names; call once, whether or not anything was applied. */
void pe_inject_offloads_free(struct pe_inject_offloads *o);

#endif
