/* SPDX-License-Identifier: BSD-2-Clause */
/* The namespace lab: two network namespaces joined by a veth pair (optionally with VLAN
 * sub-interfaces and a chosen MTU), addressed from 198.18.0.0/15 and 2001:2::/48, with MACs
 * 02:..., built by lab/netlab.h (the code of `pkteng lab`) and owned by the test process:
 * removed again on close, at exit, or, once that process is gone, by the next lab anyone
 * opens. Tests link the static library `pkteng_lab` and run pkteng inside a namespace with
 * pe_lab_run(). */
#ifndef PKTENG_TESTS_LAB_H
#define PKTENG_TESTS_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tests/testutil.h"

struct pe_lab_opts {
	size_t sz;	  /* sizeof(struct pe_lab_opts) */
	unsigned mtu;	  /* 0: the veth default (1500) */
	unsigned vlan_id; /* 1..4094: add IF.VID on both ends, addressed 198.18.1.x */
	bool quiet_ipv6;  /* no IPv6 at all on the veth (no MLD/ND frames bump the counters) */
};

/* Side A is [0], side B is [1]. Names are unique per process and per lab: pe<pid>x<n>a/b. */
struct pe_lab {
	char name[32];	     /* the lab's name (lab/netlab.h): pe<pid>x<n> */
	char ns[2][32];	     /* namespace names */
	char ifname[2][16];  /* veth ends, one in each namespace: "veth0", "veth1" */
	char vlan_if[2][24]; /* "veth0.VID" when opts.vlan_id, else "" */
	char mac[2][18];     /* "02:00:00:00:00:01", "02:00:00:00:00:02" */
	char ip4[2][16];     /* "198.18.0.1", "198.18.0.2" (prefix /24) */
	char ip6[2][40];     /* "2001:2::1", "2001:2::2" (prefix /64, nodad) */
	char vlan_ip4[2][16];
	unsigned mtu, vlan_id;
	bool open;
};

/* Creates the namespaces, the veth pair, addresses, permanent neighbour entries and brings
 * everything up with ARP off (IFF_NOARP: no ARP, ND or MLD frames ever add to the counters;
 * only the lab's addresses are reachable). opts may be NULL. Returns 0,
 * or -errno after removing whatever it had made (-EPERM when not root, -EOPNOTSUPP when the
 * kernel has no 802.1Q VLAN devices and opts asked for vlan_id). */
int pe_lab_open(struct pe_lab *lab, const struct pe_lab_opts *opts);
/* Removes both namespaces (and with them the veth pair). Safe to call twice. Returns 0 or
 * -EIO when `ip netns del` failed. */
int pe_lab_close(struct pe_lab *lab);

/* Runs `ip netns exec NS sh -c CMD` in side's namespace (0 = A, 1 = B) and captures its
 * output like pe_run(). Returns 0 or -errno when the command could not be started. */
int pe_lab_run(const struct pe_lab *lab, int side, struct pe_run *r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A /sys/class/net/IF/statistics counter of side's veth end (or of `ifname` when not NULL),
 * e.g. "tx_packets". Returns 0, or -errno (-ENOENT: no such counter/interface). */
int pe_lab_counter(const struct pe_lab *lab, int side, const char *ifname, const char *stat,
		   uint64_t *out);

/* A background command in side's namespace: stdout and stderr go to the named files (which
 * may be NULL for /dev/null). pe_lab_bg_wait() waits up to timeout_ms, kills it (SIGKILL)
 * when it has not exited by then, and returns its exit status (128 + signal if killed), or
 * -errno. */
struct pe_lab_bg {
	pid_t pid;
};
int pe_lab_bg_start(const struct pe_lab *lab, int side, struct pe_lab_bg *bg, const char *out_path,
		    const char *err_path, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
int pe_lab_bg_wait(struct pe_lab_bg *bg, int timeout_ms);

/* Waits until path exists (e.g. a `pkteng capture --ready-file`), up to timeout_ms, while
 * bg (may be NULL) is still running. Returns 0, -ETIMEDOUT, or -ECHILD when bg exited. */
int pe_lab_wait_file(const char *path, struct pe_lab_bg *bg, int timeout_ms);

#endif
