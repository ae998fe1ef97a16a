/* SPDX-License-Identifier: BSD-2-Clause */
/* Length-prefixed messages (pe_lpm_*; raw/frame.h's pe_frame_* are Ethernet frames): a 4-byte
 * big-endian length, then that many bytes. The decoder takes bytes in any split (one byte at a
 * time or many messages per read) and yields whole messages; a length above the decoder's
 * maximum is a protocol error that poisons the decoder. */
#ifndef PKTENG_ENGINE_FRAMING_H
#define PKTENG_ENGINE_FRAMING_H

#include <stddef.h>
#include <stdint.h>

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

#define PE_LPM_HDR 4u /* bytes of length prefix */

/* picohttpparser-style codes from pe_lpm_parse() and pe_lpm_next(). */
enum {
	PE_LPM_PARTIAL = -2, /* need more bytes */
	PE_LPM_TOOBIG = -1,  /* the length prefix exceeds the maximum: close the connection */
};

/* Parses one message at the start of a contiguous buffer. Returns the bytes it occupies
 * (PE_LPM_HDR + length, > 0) and points *msg and *msg_len at its payload inside buf;
 * PE_LPM_PARTIAL when buf holds less than a whole message; PE_LPM_TOOBIG when the prefix
 * exceeds max_len. A zero-length message is valid (returns 4, *msg_len 0). */
long pe_lpm_parse(const void *buf, size_t len, uint32_t max_len, const void **msg, size_t *msg_len);

/* Writes the 4-byte big-endian prefix for a message of len bytes. */
static inline void pe_lpm_put_hdr(uint8_t hdr[PE_LPM_HDR], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}
static inline uint32_t pe_lpm_get_hdr(const uint8_t hdr[PE_LPM_HDR])
{
	return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
}

/* Streaming decoder. Whole messages that sit inside one fed chunk are handed out in place
 * (no copy); only a message split across feeds is assembled in the decoder's own buffer, which
 * grows up to max_len. Not thread-safe; one per connection. */
struct pe_lpm_dec {
	uint32_t max_len;
	uint8_t hdr[PE_LPM_HDR];
	uint32_t hdr_have; /* prefix bytes held (0..4) while a prefix is split */
	uint32_t need;	   /* payload length of the message being assembled */
	uint8_t *buf;	   /* assembly buffer (malloc'd) */
	size_t have, cap;  /* payload bytes held, buf size */
	int err;	   /* 0, or PE_LPM_TOOBIG once poisoned */
	uint64_t msgs;	   /* whole messages yielded */
	uint64_t too_big;  /* prefixes above max_len seen (0 or 1: the decoder stops there) */
	/* pe_lpm_next() state: the chunk being iterated */
	const uint8_t *in;
	size_t in_len;
};

/* max_len: the largest payload accepted (e.g. 16 MiB). Returns 0 or -EINVAL (max_len 0). */
int pe_lpm_dec_init(struct pe_lpm_dec *d, uint32_t max_len);
/* Frees the assembly buffer; the struct may be re-initialised afterwards. */
void pe_lpm_dec_free(struct pe_lpm_dec *d);

/* Callback style. Calls fn(arg, msg, msg_len) for every whole message completed by these bytes;
 * msg is valid only during the call. fn returns 0 to continue or non-zero to stop (the remaining
 * bytes of this chunk are dropped; the decoder must not be fed again). Returns the number of
 * messages delivered (>= 0), PE_LPM_TOOBIG when a prefix exceeded max_len (messages before it
 * were delivered; the decoder stays poisoned and every later feed returns PE_LPM_TOOBIG), or
 * -ENOMEM. */
typedef int (*pe_lpm_fn)(void *arg, const void *msg, size_t msg_len);
long pe_lpm_feed(struct pe_lpm_dec *d, const void *data, size_t len, pe_lpm_fn fn, void *arg);

/* Iterator style: pe_lpm_push(d, data, len) sets the chunk (the caller keeps it alive), then
 * call pe_lpm_next() until it does not return 1:
 *   1                 a message: *msg and *msg_len valid until the next call to pe_lpm_next/push
 *   PE_LPM_PARTIAL  the chunk is used up (its tail, if any, is buffered): push the next one
 *   PE_LPM_TOOBIG   protocol error (poisoned)
 *   -ENOMEM           the assembly buffer could not grow */
void pe_lpm_push(struct pe_lpm_dec *d, const void *data, size_t len);
int pe_lpm_next(struct pe_lpm_dec *d, const void **msg, size_t *msg_len);

/* Blocking I/O of whole messages on a socket (blocking or not). A send waits for the socket at
 * most timeout_ms each time; a receive takes at most timeout_ms for the whole message, however
 * the peer splits it. Sends prefix and payload in one send: 0, or -EMSGSIZE (len above UINT32_MAX),
 * -ENOMEM, -ETIMEDOUT, -EPIPE, ... */
int pe_lpm_send_sock(int fd, const void *payload, size_t len, int timeout_ms);
/* Receives one message through d, reading into rbuf: 0 with *msg and *msg_len (valid until the
 * next call), or -errno with the reason in err: -ETIMEDOUT "no message within N ms",
 * -ECONNRESET "connection closed" or "truncated message (connection closed mid-message)",
 * -EPROTO "message length prefix larger than MAX", -ENOMEM, or recv's error. */
int pe_lpm_recv_sock(int fd, struct pe_lpm_dec *d, uint8_t *rbuf, size_t rbuf_len, int timeout_ms,
		     const void **msg, size_t *msg_len, char *err, size_t errlen);

#pragma GCC visibility pop

#endif
