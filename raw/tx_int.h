/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside the AF_PACKET transmitter: struct pe_tx and what its backends share. inject.c opens
 * it and sends with sendmmsg; inject_ring.c is the PACKET_TX_RING, inject_uring.c io_uring.
 * Not part of the API: only raw/inject*.c include it. */
#ifndef PKTENG_RAW_TX_INT_H
#define PKTENG_RAW_TX_INT_H

#include <errno.h>
#include <liburing.h>
#include <sys/socket.h>

#include "raw/packet.h"

#ifndef SO_NOFCS
#define SO_NOFCS 43
#endif

#define PE_TX_BURST_MAX 1024

struct pe_tx {
	int fd, ifindex;
	unsigned mtu, burst, hdr_len;
	bool ether, nofcs;
	enum pe_tx_method method;
	const volatile sig_atomic_t *stop;
	uint64_t stall_ns, stall_since; /* stall_since: first refusal since the last progress */
	int err;			/* why the last send stopped short */
	struct mmsghdr *msgs;
	struct iovec *iov;
	/* TX ring */
	int tpv;
	uint8_t *ring;
	size_t ring_len;
	unsigned slot_size, n_slots, head, data_off;
	unsigned vnet_len; /* a virtio_net_hdr precedes each frame in its slot */
	/* io_uring */
	struct io_uring uring;
	bool uring_ok;
};

/* The kernel took a frame: the stall clock starts again at the next refusal. */
static inline void pe__tx_progress(struct pe_tx *tx)
{
	tx->stall_since = 0;
}

static inline bool pe__tx_soft_error(int err)
{
	return err == -EAGAIN || err == -ENOBUFS || err == -EINTR;
}

/* Returns done; when done < n, tx->err holds why. */
static inline int pe__tx_stop_at(struct pe_tx *tx, unsigned done, unsigned n, int err)
{
	tx->err = done < n ? (err ? err : -EIO) : 0;
	return (int)done;
}

/* How many of the n frames, from the first, are within what the kernel takes. */
unsigned pe__tx_within_limit(const struct pe_tx *tx, const uint8_t *const *frames,
			     const uint16_t *lens, unsigned n);
/* The device pushed back: waits a little. 0 to retry, -EINTR (stop), -ETIMEDOUT (stalled). */
int pe__tx_backoff(struct pe_tx *tx, int err);

/* PACKET_TX_RING (inject_ring.c): the ring's setup at open, a burst, and waiting for a slot
 * (retries may be NULL). */
int pe__tx_ring_setup(struct pe_tx *tx, const struct pe_tx_opts *o);
int pe__tx_send_ring(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens,
		     unsigned n, uint64_t *retries);
int pe__tx_ring_wait_slot(struct pe_tx *tx, unsigned i, uint64_t *retries);

/* io_uring (inject_uring.c): one burst of linked SEND SQEs. */
int pe__tx_send_uring(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens,
		      unsigned n, uint64_t *retries);

#endif
