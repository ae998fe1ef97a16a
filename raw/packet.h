/* SPDX-License-Identifier: BSD-2-Clause */
/* AF_PACKET on lab interfaces: a transmitter with three backends (sendmmsg batches, a
 * PACKET_TX_RING, io_uring SQE batches) that never drops or double-counts a frame when the
 * device pushes back, and a TPACKET_V3 receive ring. Sockets live in the caller's namespace. */
#ifndef PKTENG_RAW_PACKET_H
#define PKTENG_RAW_PACKET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

enum pe_tx_method {
	PE_TX_SENDMMSG = 0, /* sendmmsg() of up to `burst` frames per call */
	PE_TX_RING,	    /* PACKET_TX_RING (TPACKET_V2 or V3) flushed with send() */
	PE_TX_URING,	    /* io_uring: one linked SEND SQE per frame, one submit per burst */
};

/* "sendmmsg", "ring", "uring" <-> the enum; parse returns the enum or -EINVAL. */
const char *pe_tx_method_name(enum pe_tx_method m);
int pe_tx_method_parse(const char *s);

struct pe_tx_opts {
	size_t sz;	    /* sizeof(struct pe_tx_opts) */
	const char *ifname; /* required */
	enum pe_tx_method method;
	unsigned burst;	      /* frames per system call; 0: 64. At most 1024. */
	bool qdisc_bypass;    /* PACKET_QDISC_BYPASS */
	bool nofcs;	      /* SO_NOFCS: the frames carry their own FCS (pe_tx_open fails with
				 -EPROTONOSUPPORT when the device cannot take them) */
	int tpacket_version;  /* PE_TX_RING: 2 or 3; 0 means 3 */
	unsigned ring_frames; /* PE_TX_RING slots; 0: 4096 */
	unsigned frame_max;   /* largest frame to be sent, for the ring's slot size; 0: 9018 */
	/* When *stop becomes non-zero (a signal handler's flag), a send or flush that waits for
	 * the device gives up with -EINTR instead of waiting on. NULL: never. */
	const volatile sig_atomic_t *stop;
	/* A send that makes no progress (the device refuses or drops the same frame on every
	 * retry) for this long fails with -ETIMEDOUT instead of retrying on; 0: 3000. */
	unsigned stall_ms;
};

struct pe_tx;

/* Opens a raw packet socket bound to ifname (sends only: protocol 0). NULL with errno set:
 * ENODEV (no such interface), ENETDOWN (it is down), EPERM (no CAP_NET_RAW), EINVAL
 * (bad opts), EPROTONOSUPPORT (nofcs on a device without IFF_SUPP_NOFCS), EOPNOTSUPP (nofcs
 * with PE_TX_RING on a device that has it: the kernel's TX ring ignores SO_NOFCS), or the
 * kernel's. */
struct pe_tx *pe_tx_open(const struct pe_tx_opts *opts);
void pe_tx_close(struct pe_tx *tx);

/* Sends n frames (n <= burst) in order: frames[i] is lens[i] bytes. Waits (poll POLLOUT, or
 * a short pause when the device dropped with ENOBUFS) and retries until the kernel took
 * every frame, so a return of n means n frames handed to the device exactly once. A frame
 * the kernel refuses stops the send: it returns how many frames before it were taken
 * (0..n-1, each exactly once; the refused one and those after it are not sent), and
 * pe_tx_error() says why: -EMSGSIZE (longer than pe_tx_limit() allows, checked before it is
 * handed over, or the kernel's EMSGSIZE), -EINVAL (the kernel's, or a TX ring slot it marked
 * TP_STATUS_WRONG_FORMAT), -ETIMEDOUT (dropped or refused on every retry for stall_ms),
 * -EINTR (opts.stop was set while it waited), -ENETDOWN... Returns -EINVAL for n > burst.
 * *retries (may be NULL) is increased by the number of times the kernel pushed back. */
int pe_tx_send(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens, unsigned n,
	       uint64_t *retries);
/* Why the last pe_tx_send() or pe_tx_flush() stopped short: -errno as above, 0 if it did not. */
int pe_tx_error(const struct pe_tx *tx);
/* Waits until every frame handed over has left the socket (the TX ring's slots are free
 * again). Returns 0 or -errno (-EINTR when opts.stop was set, -ETIMEDOUT after stall_ms). */
int pe_tx_flush(struct pe_tx *tx);

/* The longest frame af_packet takes on the transmitter's device (packet_snd() and
 * tpacket_snd() in the kernel): MTU + the hard header (14 bytes on Ethernet and loopback,
 * else 0), + 4 only when the device is Ethernet and the frame's ethertype (bytes 12-13) is
 * 802.1Q 0x8100 (an 802.1ad 0x88A8 outer tag gets nothing: two tags never fit a full-size
 * frame), + 4 with SO_NOFCS on sendmmsg and uring (the TX ring ignores SO_NOFCS). Lengths
 * are the bytes handed to the kernel, an FCS sent as data included. pe_tx_send() applies it
 * to every frame: the TX ring's virtio_net_hdr makes the kernel skip the check. */
struct pe_tx_limit {
	unsigned max;  /* mtu + hdr + vlan + fcs */
	unsigned mtu;  /* the device's MTU when the transmitter was opened */
	unsigned hdr;  /* 14 or 0 */
	unsigned vlan; /* 0 or 4 */
	unsigned fcs;  /* 0 or 4 */
	uint16_t tpid; /* the ethertype at bytes 12-13 (0 for a shorter frame) */
};
void pe_tx_limit(const struct pe_tx *tx, const uint8_t *frame, unsigned len,
		 struct pe_tx_limit *out);
/* The same limit for ifname without a transmitter open, for a frame sent without SO_NOFCS.
 * 0, or -errno as pe_if_lookup(). */
int pe_if_limit(const char *ifname, const uint8_t *frame, unsigned len, struct pe_tx_limit *out);
/* The MTU and ifindex of the interface the transmitter is bound to. */
unsigned pe_tx_mtu(const struct pe_tx *tx);
/* The most frames one pe_tx_send() takes (opts.burst, or 64). */
unsigned pe_tx_burst(const struct pe_tx *tx);

/* Looks up an interface in the caller's namespace: 0 with its ifindex and MTU, -ENODEV, or
 * -ENETDOWN when it is not up (administratively). */
int pe_if_lookup(const char *ifname, int *ifindex, unsigned *mtu);
/* Reads /sys/class/net/IF/statistics/NAME (e.g. "tx_packets"). 0 or -errno. */
int pe_if_stat(const char *ifname, const char *name, uint64_t *out);

/* --- Capture -------------------------------------------------------------------------- */

struct pe_capfilter;

struct pe_cap_opts {
	size_t sz;	     /* sizeof(struct pe_cap_opts) */
	const char *ifname;  /* required */
	unsigned block_size; /* TPACKET_V3 block bytes (power of two, >= page size); 0: 1 MiB */
	unsigned n_blocks;   /* 0: 16 */
	unsigned timeout_ms; /* block retire timeout; 0: 10 */
	bool incoming_only;  /* PACKET_IGNORE_OUTGOING: skip frames this host sends on IF */
	/* A classic BPF program (raw/capfilter.h) attached before the socket is bound: frames
	 * it rejects are never queued, nor counted by pe_cap_stats(). NULL: every frame. */
	const struct pe_capfilter *filter;
};

struct pe_cap;

/* One received frame. data points into the ring and is valid until the callback returns. A
 * VLAN tag the device stripped on receive is put back, so data[0..len) is the frame as it
 * was on the wire (without FCS unless the device keeps it). */
struct pe_cap_frame {
	const uint8_t *data;
	uint32_t len;	   /* bytes in data */
	uint32_t wire_len; /* tp_len (+4 when a tag was put back) */
	uint64_t t_ns;	   /* kernel receive time, CLOCK_REALTIME */
	bool outgoing;	   /* sent by this host (PACKET_OUTGOING) */
};

/* Returns 0 to go on, non-zero to stop pe_cap_poll() after this frame. */
typedef int (*pe_cap_fn)(const struct pe_cap_frame *f, void *ctx);

/* Opens the ring and binds it to ifname: frames arriving after it returns are captured.
 * NULL with errno set (as pe_tx_open). */
struct pe_cap *pe_cap_open(const struct pe_cap_opts *opts);
/* Waits up to timeout_ms (-1: forever) for frames and calls fn for each. Returns the number
 * of frames delivered, 0 on timeout, or -errno (-EINTR when a signal came). A non-zero return
 * from fn stops early; frames left in the block are delivered by the next call. */
int pe_cap_poll(struct pe_cap *c, int timeout_ms, pe_cap_fn fn, void *ctx);
/* Kernel counters since open (PACKET_STATISTICS, accumulated): frames seen and dropped
 * because the ring was full. 0 or -errno. */
int pe_cap_stats(struct pe_cap *c, uint64_t *packets, uint64_t *drops);
void pe_cap_close(struct pe_cap *c);

/* --- Per-frame variation (vary.c) ------------------------------------------------------- */

struct pe_frame_tmpl;

enum pe_vary_field {
	PE_VARY_SRC_IP = 0, /* IPv4: the whole address; IPv6: the last 32 bits */
	PE_VARY_DST_IP,
	PE_VARY_SPORT,
	PE_VARY_DPORT,
	PE_VARY_SIZE, /* frame size with FCS */
};

struct pe_vary {
	enum pe_vary_field field;
	uint64_t lo, hi;     /* inclusive; addresses as host-order 32-bit numbers */
	uint8_t prefix6[12]; /* IPv6: the fixed first 96 bits */
	bool v6;
};

/* Parses "FIELD=LO-HI" or "FIELD=VALUE" (fields: src-ip dst-ip sport dport size) into v.
 * Returns 0, -ENOENT for an unknown field, -EINVAL for a bad range (LO > HI, IPv6 ranges that
 * differ above the last 32 bits, mixed families). */
int pe_vary_parse(const char *spec, struct pe_vary *v);
const char *pe_vary_field_name(enum pe_vary_field f);

/* A set of variations and the classic IMIX (7:4:1 of 64/570/1518 bytes, interleaved in a
 * cycle of 12) applied to frame number k: incrementing (value = lo + k mod span) or, with
 * random, drawn from a splitmix64 stream seeded by seed. */
struct pe_varier {
	struct pe_vary v[8];
	unsigned n;
	bool imix, random;
	uint64_t rng;
};

/* Applies the variations for frame k to t (checksums follow incrementally; the FCS is not
 * touched). Returns 0, or -EINVAL when a field does not exist in this frame (ports on ICMP,
 * IPv4 range on an IPv6 frame), -EMSGSIZE when a size is out of the template's range. */
int pe_varier_apply(struct pe_varier *vr, struct pe_frame_tmpl *t, uint64_t k);
/* The size of frame k of an IMIX cycle. */
unsigned pe_imix_size(uint64_t k);

#pragma GCC visibility pop

#endif
