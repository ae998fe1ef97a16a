/* SPDX-License-Identifier: BSD-2-Clause */
/* The XDP frame counter's loader: loads xdp_count.bpf.c (through its bpftool skeleton), attaches
 * it to an interface with a bpf_link, pins the link and the counters under
 * /sys/fs/bpf/pkteng/IF/ for other processes, reads and sums the per-CPU counters, and removes
 * programs and pins. All functions return 0 (or a count) on success and a negative errno on
 * failure; built without the XDP counter (PKTENG_XDP=OFF, or AUTO without clang/bpftool/libbpf)
 * every function returns -EOPNOTSUPP and pe_xdp_available() is false. */
#ifndef PKTENG_EBPF_LOADER_H
#define PKTENG_EBPF_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/xdp_count.h"

#define PE_XDP_PIN_ROOT "/sys/fs/bpf/pkteng"

enum pe_xdp_mode {
	PE_XDP_MODE_AUTO,    /* native, falling back to generic when the driver has no XDP */
	PE_XDP_MODE_NATIVE,  /* the driver's hook (XDP_FLAGS_DRV_MODE) */
	PE_XDP_MODE_GENERIC, /* the generic skb hook (XDP_FLAGS_SKB_MODE) */
};

struct pe_xdp_opts {
	size_t sz;  /* sizeof(struct pe_xdp_opts), so fields can be added */
	bool drop;  /* return XDP_DROP instead of XDP_PASS: a counting sink */
	bool debug; /* let libbpf's messages (verifier log) through to stderr */
};
#define PE_XDP_OPTS(name, ...)                                                                     \
	struct pe_xdp_opts name = { .sz = sizeof(struct pe_xdp_opts), __VA_ARGS__ }

struct pe_xdp; /* a loaded counter, and its link once attached */

/* Whether this build has the XDP counter. */
bool pe_xdp_available(void);

/* Loads the counter into the kernel, not attached. NULL with errno set on failure (EPERM:
 * needs CAP_BPF; EINVAL: bad opts; EOPNOTSUPP: not built). opts may be NULL. */
struct pe_xdp *pe_xdp_open(const struct pe_xdp_opts *opts);
/* Detaches (unless the link is pinned: then it stays until pe_xdp_detach) and frees. NULL ok. */
void pe_xdp_close(struct pe_xdp *x);

/* Attaches to ifindex through a bpf_link. Returns the mode used (PE_XDP_MODE_NATIVE or
 * PE_XDP_MODE_GENERIC), or -EEXIST when any XDP program is already on the interface (see
 * pe_xdp_query), -ENODEV no such interface, -EOPNOTSUPP the kernel refuses the mode (AUTO
 * only returns it when generic is refused too), -EBUSY already attached, -EPERM not root. */
int pe_xdp_attach(struct pe_xdp *x, int ifindex, enum pe_xdp_mode mode);
/* After AUTO fell back to generic: the error native attach gave (e.g. -EOPNOTSUPP), else 0. */
int pe_xdp_fallback_err(const struct pe_xdp *x);
/* Pins the link and the counter map as PE_XDP_PIN_ROOT/IFNAME/{link,stats}, mounting bpffs on
 * /sys/fs/bpf first when it is not. -EEXIST when that folder already holds pins; -EXDEV when
 * there is no bpffs and this is a private mount namespace (`ip netns exec` remounts /sys per
 * command): pins made there would vanish with it. */
int pe_xdp_pin(struct pe_xdp *x, const char *ifname);

/* Sums the per-CPU counters into *out. */
int pe_xdp_read(struct pe_xdp *x, struct pe_xdp_stats *out);
/* Zeroes the counters on every CPU. */
int pe_xdp_reset(struct pe_xdp *x);
/* Runs the program `repeat` times (>= 1) on a copy of frame (BPF_PROG_TEST_RUN); the counters
 * see every run. Sets the verdict (XDP_PASS, XDP_DROP...) and the kernel's mean time per run.
 * -EINVAL for len < 14 or > 4096: the kernel does not run XDP on less than an Ethernet header
 * (nor do NICs deliver it), so the program's own "shorter than Ethernet" check is unreachable
 * from here. */
int pe_xdp_test_run(struct pe_xdp *x, const void *frame, size_t len, uint32_t repeat,
		    uint32_t *verdict, uint32_t *duration_ns);

/* The pinned counters of IFNAME: returns a map fd (the caller closes it), -ENOENT when nothing
 * is pinned there. */
int pe_xdp_open_pinned(const char *ifname);
/* Sums the per-CPU counters of a map fd from pe_xdp_open_pinned. */
int pe_xdp_read_fd(int map_fd, struct pe_xdp_stats *out);

/* Removes IFNAME's pinned program: detaches the pinned link and removes the pins and their
 * folder. With force it also detaches any XDP link on the interface and any netlink-attached
 * program in every mode, and removes stale pins. Returns how many things were removed (links
 * and programs detached, pins removed), -ENOENT when there was nothing to remove (only without
 * force: force is idempotent and returns 0), -EBUSY when a program is still attached after
 * force. */
int pe_xdp_detach(const char *ifname, bool force);

struct pe_xdp_attached {
	uint32_t prog_id;
	char name[16];	  /* the program's name, "" if it could not be read */
	const char *mode; /* "native", "generic", "offload" or "multi" */
	bool link;	  /* attached through a bpf_link (else netlink) */
};
/* What XDP program is on ifindex: returns 1 and fills *out, 0 when none, or -errno. */
int pe_xdp_query(int ifindex, struct pe_xdp_attached *out);

/* Adds a to *sum, field by field. */
void pe_xdp_stats_add(struct pe_xdp_stats *sum, const struct pe_xdp_stats *a);
/* Frames and bytes over all classes (the sum of l3[]). */
struct pe_xdp_ctr pe_xdp_stats_total(const struct pe_xdp_stats *s);
/* Short names for reports: "ipv4", "ipv6", "arp", "other", "short"; "tcp", "udp", "icmp",
 * "other", "bad". NULL out of range. */
const char *pe_xdp_l3_name(unsigned l3);
const char *pe_xdp_l4_name(unsigned l4);

#endif
