/* SPDX-License-Identifier: BSD-2-Clause */
/* The namespace lab: two network namespaces NAMEa and NAMEb joined by a veth pair (veth0 in A,
 * veth1 in B), addressed from 198.18.0.0/15 (and 2001:2::/48), MACs 02:00:00:00:00:01/02,
 * ARP off with permanent neighbour entries so the kernel sends nothing of its own, optionally
 * a VLAN sub-interface on both ends and GRO on B's veth (native XDP on a veth needs it). Each
 * lab has an owner process, recorded in PE_NETLAB_RUN_DIR/NAME; a lab whose owner is gone is
 * stale and the next up, down or reap removes it. `pkteng lab` and the tests share this code. */
#ifndef PKTENG_LAB_NETLAB_H
#define PKTENG_LAB_NETLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PE_NETLAB_RUN_DIR  "/run/pkteng/lab"
#define PE_NETLAB_NAME_MAX 24 /* letters, digits, '-' and '_', at most this many */

struct pe_netlab_opts {
	size_t sz;	  /* sizeof(struct pe_netlab_opts) */
	unsigned mtu;	  /* 0: the veth default (1500); else 68..65535 */
	unsigned vlan_id; /* 1..4094: IF.VID on both ends, addressed 198.18.1.1/2 */
	bool v6;	  /* IPv6 addresses 2001:2::1/2 (else IPv6 is off on the veths) */
	bool gro;	  /* rx-gro on B's veth */
	pid_t owner;	  /* the process the lab belongs to; 0: the caller */
};

/* Side A is [0], side B is [1]. */
struct pe_netlab {
	char name[PE_NETLAB_NAME_MAX + 1];
	char ns[2][PE_NETLAB_NAME_MAX + 2];
	char ifname[2][16];  /* "veth0", "veth1" */
	char vlan_if[2][24]; /* "veth0.VID" with a VLAN, else "" */
	char mac[2][18];     /* "02:00:00:00:00:01", "02:00:00:00:00:02" */
	char ip4[2][16];     /* "198.18.0.1", "198.18.0.2" (/24) */
	char ip6[2][40];     /* "2001:2::1", "2001:2::2" (/64, nodad; configured only with v6) */
	char vlan_ip4[2][16];
	unsigned mtu, vlan_id;
	bool v6, gro;
	pid_t owner;
};

/* Whether name is a valid lab name (see PE_NETLAB_NAME_MAX). */
bool pe_netlab_name_ok(const char *name);
/* Fills lab with the names and addresses of lab `name` under opts, without making anything.
 * -EINVAL for a bad name or opts. */
int pe_netlab_describe(const char *name, const struct pe_netlab_opts *opts, struct pe_netlab *lab);
/* Removes stale labs first, then builds lab `name` (opts may be NULL) and records its owner.
 * Returns 0, -EEXIST when a lab of that name has a live owner (or its namespaces exist
 * without a record), -EINVAL, -EPERM (not root), -EOPNOTSUPP (no 802.1Q VLAN support), or
 * -EIO after removing whatever it had made. */
int pe_netlab_up(const char *name, const struct pe_netlab_opts *opts, struct pe_netlab *lab);
/* Removes lab `name`: its namespaces (the veth pair goes with them) and its record. Returns
 * 0, -ENOENT when there was no such lab, -EINVAL, -EIO when `ip netns del` failed. */
int pe_netlab_down(const char *name);
/* Removes every stale lab: a record whose owner is gone (or whose namespaces are). Returns
 * how many were removed. */
int pe_netlab_reap(void);
/* The owner recorded for `name`: 1 and *owner when it is alive, 0 when stale, -ENOENT. */
int pe_netlab_owner(const char *name, pid_t *owner);

#endif
