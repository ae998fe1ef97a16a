/* SPDX-License-Identifier: BSD-2-Clause */
/* pcap files through libpcap: a writer that only ever leaves a complete file (it writes to a
 * temporary name and renames on commit) and can mark a trailing FCS in the link type, and a
 * reader that reports that mark. */
#ifndef PKTENG_RAW_PCAPFILE_H
#define PKTENG_RAW_PCAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

struct pe_pcap_opts {
	size_t sz;	  /* sizeof(struct pe_pcap_opts) */
	int linktype;	  /* DLT_*; 0 means DLT_EN10MB */
	uint32_t snaplen; /* 0 means 262144 */
	bool nanosec;	  /* nanosecond timestamps (magic 0xa1b23c4d) */
	/* Frames end with a 4-byte FCS: the header's link type gets 0x04000000 | (2 << 28)
	 * ("FCS present, 2 x 16 bits"), which Wireshark/tshark honour to check the FCS. */
	bool fcs;
};

struct pe_pcap_writer;

/* Creates "PATH.tmp.XXXXXX" next to path. Returns the writer, or NULL with errno set (EINVAL
 * for bad opts, or the open error). Nothing exists at path until pe_pcap_commit(). Path "-" is
 * standard output (a pipe: `| tshark -r -`): the header goes out at once and each frame as it
 * is written; commit flushes, abort leaves what went out. */
struct pe_pcap_writer *pe_pcap_create(const char *path, const struct pe_pcap_opts *opts);
/* Appends one record: len bytes (cut to snaplen), timestamp t_ns since the epoch (0: now).
 * Returns 0 or -errno. */
int pe_pcap_write(struct pe_pcap_writer *w, const void *frame, size_t len, uint64_t t_ns);
/* Flushes, closes and renames the file to its final path; frees w. 0 or -errno (then the
 * temporary file is removed and path untouched). */
int pe_pcap_commit(struct pe_pcap_writer *w);
/* Closes and removes the temporary file; frees w. NULL is fine. */
void pe_pcap_abort(struct pe_pcap_writer *w);

struct pe_pcap_reader;

/* Opens a pcap (or pcapng, through libpcap) for reading. NULL with errno set on failure. */
struct pe_pcap_reader *pe_pcap_open(const char *path);
/* The same on a stream open for reading (a file, or fmemopen() bytes): the reader owns f and
 * closes it, also when it fails (NULL with errno set). */
struct pe_pcap_reader *pe_pcap_fopen(FILE *f);
/* The next record: *data valid until the next call. Returns 1, 0 at the end, or -errno
 * (-EBADMSG for a damaged file). wire_len is the original length. */
int pe_pcap_next(struct pe_pcap_reader *r, const uint8_t **data, size_t *cap_len, size_t *wire_len,
		 uint64_t *t_ns);
/* DLT_* of the file, and the FCS length in bytes the file's link type announces (0 or 4...). */
int pe_pcap_linktype(const struct pe_pcap_reader *r);
int pe_pcap_fcs_len(const struct pe_pcap_reader *r);
void pe_pcap_close(struct pe_pcap_reader *r);

#pragma GCC visibility pop

#endif
