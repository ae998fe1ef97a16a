/* SPDX-License-Identifier: BSD-2-Clause */
/* The XDP counter as one program of libxdp's multi-program dispatcher (xdp-tools), so it runs
 * beside other programs on one interface (xdp-loader's, for one), with libxdp's pins under
 * /sys/fs/bpf/xdp/. Built with libxdp (Debian libxdp-dev) and the XDP counter; otherwise
 * pe_xdp_multi_available() is false and every call returns -EOPNOTSUPP. */
#ifndef PKTENG_EBPF_MULTI_H
#define PKTENG_EBPF_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/loader.h"

bool pe_xdp_multi_available(void);

/* One program on an interface as libxdp sees it: the dispatcher's components in run order,
 * or the single program of a "legacy" attachment. */
struct pe_xdp_multi_prog {
	uint32_t id;
	char name[16];
	unsigned prio;
};

struct pe_xdp_multi_info {
	bool dispatcher;  /* a libxdp dispatcher is the main program */
	uint32_t main_id; /* the dispatcher's (or the single program's) id; 0: none */
	const char *mode; /* "native", "generic", "offload" or "" */
	unsigned n;	  /* components in progs (at most 10, libxdp's limit) */
	struct pe_xdp_multi_prog progs[10];
};

/* What runs on ifindex, through libxdp. 0, or -errno. */
int pe_xdp_multi_query(int ifindex, struct pe_xdp_multi_info *out);

/* Loads the counter (opts as pe_xdp_open) and attaches it through libxdp to ifindex: it joins
 * the dispatcher there, or starts one when the interface is free. Pins the counters as
 * PE_XDP_PIN_ROOT/IFNAME/stats and the program as .../prog. Returns the mode used
 * (PE_XDP_MODE_NATIVE or PE_XDP_MODE_GENERIC), -EEXIST when a program outside a dispatcher is
 * there, -ENOTSUP when libxdp could attach it only without a dispatcher (the kernel refused
 * the dispatcher: nothing is left attached; *why gets libxdp's reason when not NULL),
 * -EOPNOTSUPP without libxdp, or -errno. */
int pe_xdp_multi_attach(const struct pe_xdp_opts *opts, int ifindex, const char *ifname,
			enum pe_xdp_mode mode, char *why, size_t why_len);

/* Removes the program pinned as PE_XDP_PIN_ROOT/IFNAME/prog from the dispatcher on IFNAME,
 * leaving the others running, and removes pkteng's pins. Returns 1 when it detached it, 0
 * when only pins were left (the program was gone), -ENOENT when there is no such pin. */
int pe_xdp_multi_detach(const char *ifname);

#endif
