/* SPDX-License-Identifier: BSD-2-Clause */
/* Capture filters in tcpdump's language: an expression compiled by libpcap's pcap_compile for
 * Ethernet (DLT_EN10MB) into classic BPF, attached to a packet socket with SO_ATTACH_FILTER so
 * frames it rejects never reach user space, or run over frames from a file in user space. */
#ifndef PKTENG_RAW_CAPFILTER_H
#define PKTENG_RAW_CAPFILTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

struct pe_capfilter {
	unsigned len;	  /* instructions */
	void *insns;	  /* struct sock_filter[len] (the same layout as libpcap's bpf_insn) */
	uint32_t snaplen; /* what the program returns for an accepted frame: 262144 */
};

/* Compiles expr (optimised, netmask unknown, snaplen 262144: what tcpdump -r does on an
 * Ethernet file, less the netmask that only "ip broadcast" needs). Returns 0, -EINVAL with
 * libpcap's message in err (err may be NULL), or -ENOMEM. An empty expression accepts all. */
int pe_capfilter_compile(const char *expr, struct pe_capfilter *f, char *err, size_t err_len);
/* Joins argv[0..argc) with spaces, as tcpdump does with its positional arguments. Returns a
 * malloc'd string (the caller frees it), or NULL with errno ENOMEM. */
char *pe_capfilter_join(int argc, char *const *argv);
/* Runs the program over one frame: non-zero when it is accepted. */
int pe_capfilter_match(const struct pe_capfilter *f, const uint8_t *data, uint32_t cap_len,
		       uint32_t wire_len);
/* Prints the program like `tcpdump -d EXPR` (libpcap's bpf_image, one line an instruction). */
void pe_capfilter_dump(const struct pe_capfilter *f, FILE *out);
/* Attaches the program to a socket (SO_ATTACH_FILTER). 0 or -errno. */
int pe_capfilter_attach(const struct pe_capfilter *f, int fd);
void pe_capfilter_free(struct pe_capfilter *f);

#pragma GCC visibility pop

#endif
