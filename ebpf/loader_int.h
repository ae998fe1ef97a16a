/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by loader.c and loader_pin.c, not part of the loader's contract. */
#ifndef PKTENG_EBPF_LOADER_INT_H
#define PKTENG_EBPF_LOADER_INT_H

#define PE_XDP_PATH_MAX 96

/* PE_XDP_PIN_ROOT/IFNAME and the link and map pins in it (each buffer PE_XDP_PATH_MAX bytes).
 * -EINVAL for a name that is not a possible interface name (empty, too long, '/', "." or ".."). */
int pe_xdp_pin_paths(const char *ifname, char *dir, char *link, char *map);
/* Mounts bpffs on /sys/fs/bpf when something else (or nothing) is there, then creates dir and
 * its parent. */
int pe_xdp_pin_mkdir(const char *dir);

#endif
