/* SPDX-License-Identifier: BSD-2-Clause */
/* The PACKET_TX_RING backend of the AF_PACKET transmitter (TPACKET_V2 or V3): frames are
 * copied into ring slots and the kernel is kicked to walk them; a slot the device dropped is
 * sent again, a slot it refused ends the burst there. */
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "raw/tx_int.h"

int pe__tx_ring_setup(struct pe_tx *tx, const struct pe_tx_opts *o)
{
	unsigned frame_max = o->frame_max ? o->frame_max : 9018;
	unsigned hdr, slot = 64;
	struct tpacket_req3 req = { 0 };
	int ver = o->tpacket_version == 2 ? TPACKET_V2 : TPACKET_V3;

	tx->tpv = ver == TPACKET_V2 ? 2 : 3;
	hdr = tx->tpv == 2 ? TPACKET2_HDRLEN : TPACKET3_HDRLEN;
	tx->data_off = hdr - sizeof(struct sockaddr_ll);
	/* Without a virtio_net_hdr the kernel copies only the Ethernet header out of the slot
	 * and hangs the rest on the skb as pages of the ring; a veth must then copy those into
	 * fresh pages for the peer (skb_copy_ubufs), a page allocation per frame. A header whose
	 * hdr_len is the whole frame makes the kernel copy it into the skb instead. */
	{
		int one = 1;

		if (!setsockopt(tx->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)))
			tx->vnet_len = sizeof(struct virtio_net_hdr);
	}
	while (slot < tx->data_off + tx->vnet_len + frame_max)
		slot <<= 1;
	tx->slot_size = slot;
	tx->n_slots = o->ring_frames ? o->ring_frames : 4096;
	if (setsockopt(tx->fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)))
		return -errno;
	/* One slot per block when slots are large, else a page-multiple block of slots. */
	req.tp_frame_size = slot;
	req.tp_block_size = slot < 65536 ? 65536 : slot;
	req.tp_frame_nr = tx->n_slots;
	while (req.tp_frame_nr % (req.tp_block_size / slot))
		req.tp_frame_nr++;
	req.tp_block_nr = req.tp_frame_nr / (req.tp_block_size / slot);
	tx->n_slots = req.tp_frame_nr;
	if (setsockopt(tx->fd, SOL_PACKET, PACKET_TX_RING, &req,
		       tx->tpv == 2 ? sizeof(struct tpacket_req) : sizeof(req)))
		return -errno;
	tx->ring_len = (size_t)req.tp_block_size * req.tp_block_nr;
	tx->ring = mmap(NULL, tx->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			tx->fd, 0);
	if (tx->ring == MAP_FAILED) {
		tx->ring = NULL;
		return -errno;
	}
	return 0;
}

static volatile uint32_t *slot_status(struct pe_tx *tx, unsigned i)
{
	uint8_t *s = tx->ring + (size_t)i * tx->slot_size;

	return tx->tpv == 2 ? &((struct tpacket2_hdr *)s)->tp_status
			    : &((struct tpacket3_hdr *)s)->tp_status;
}

/* A slot's state without the timestamp bits the kernel may add on completion. */
static uint32_t slot_state(struct pe_tx *tx, unsigned i)
{
	return __atomic_load_n(slot_status(tx, i), __ATOMIC_ACQUIRE) &
	       (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING | TP_STATUS_WRONG_FORMAT);
}

/* Kicks the kernel to walk the ring without waiting; returns 0 or -errno. */
static int ring_kick(struct pe_tx *tx)
{
	return send(tx->fd, NULL, 0, MSG_DONTWAIT) < 0 ? -errno : 0;
}

/* Waits until slot i is free (AVAILABLE). A slot still in SEND_REQUEST after a drop is sent
 * again by the kick; one that never leaves fails with pe__tx_backoff()'s -ETIMEDOUT. */
int pe__tx_ring_wait_slot(struct pe_tx *tx, unsigned i, uint64_t *retries)
{
	for (;;) {
		uint32_t st = slot_state(tx, i);
		int err;

		if (st == TP_STATUS_AVAILABLE) {
			pe__tx_progress(tx);
			return 0;
		}
		if (st & TP_STATUS_WRONG_FORMAT)
			return -EINVAL;
		err = ring_kick(tx);
		if (err && !pe__tx_soft_error(err))
			return err;
		st = slot_state(tx, i);
		if (st == TP_STATUS_AVAILABLE) {
			pe__tx_progress(tx);
			return 0;
		}
		if (st & TP_STATUS_WRONG_FORMAT)
			return err ? err : -EINVAL;
		if (retries)
			(*retries)++;
		err = pe__tx_backoff(tx, err ? err : -EAGAIN);
		if (err)
			return err;
	}
}

/* The burst stopped at an error: the slots from first on that the kernel took (SENDING or
 * done) count; the rest (still SEND_REQUEST, or WRONG_FORMAT) go back to AVAILABLE so no later
 * kick sends them, and the head returns to the first of them, where the kernel's head is. */
static int ring_unwind(struct pe_tx *tx, unsigned first, unsigned written, unsigned n, int err)
{
	unsigned taken = 0, s;

	while (taken < written) {
		uint32_t st = slot_state(tx, (first + taken) % tx->n_slots);

		if (st & (TP_STATUS_SEND_REQUEST | TP_STATUS_WRONG_FORMAT))
			break;
		taken++;
	}
	for (unsigned i = taken; i < written; i++) {
		s = (first + i) % tx->n_slots;
		__atomic_store_n(slot_status(tx, s), TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
	}
	tx->head = (first + taken) % tx->n_slots;
	return pe__tx_stop_at(tx, taken, n, err);
}

int pe__tx_send_ring(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens,
		     unsigned n, uint64_t *retries)
{
	unsigned first = tx->head, written = 0, ok = pe__tx_within_limit(tx, frames, lens, n);
	int err = 0;

	for (unsigned i = 0; i < ok; i++) {
		unsigned s = tx->head;
		uint8_t *slot = tx->ring + (size_t)s * tx->slot_size;
		unsigned len = lens[i] + tx->vnet_len;

		if (len > tx->slot_size - tx->data_off) {
			err = -EMSGSIZE;
			break;
		}
		err = pe__tx_ring_wait_slot(tx, s, retries);
		if (err)
			break;
		if (tx->vnet_len) {
			struct virtio_net_hdr vh = { .gso_type = VIRTIO_NET_HDR_GSO_NONE,
						     .hdr_len = lens[i] };

			memcpy(slot + tx->data_off, &vh, sizeof(vh));
		}
		memcpy(slot + tx->data_off + tx->vnet_len, frames[i], lens[i]);
		if (tx->tpv == 2) {
			struct tpacket2_hdr *h = (struct tpacket2_hdr *)slot;

			h->tp_len = len;
			h->tp_snaplen = len;
		} else {
			struct tpacket3_hdr *h = (struct tpacket3_hdr *)slot;

			h->tp_len = len;
			h->tp_snaplen = len;
			h->tp_next_offset = 0;
		}
		__atomic_store_n(slot_status(tx, s), TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
		tx->head = (s + 1) % tx->n_slots;
		written++;
	}
	if (!err && ok < n)
		err = -EMSGSIZE;
	/* A frame the device dropped goes back to SEND_REQUEST: kick until none of this burst
	 * waits any more, so the frames leave now and each exactly once. A slot the kernel
	 * marks WRONG_FORMAT (it refused the frame) ends the burst there. */
	for (unsigned done = 0;;) {
		unsigned s = (first + done) % tx->n_slots;
		int kerr = ring_kick(tx);

		if (kerr && !pe__tx_soft_error(kerr))
			return ring_unwind(tx, first, written, n, kerr);
		while (done < written &&
		       !(slot_state(tx, s) & (TP_STATUS_SEND_REQUEST | TP_STATUS_WRONG_FORMAT))) {
			done++;
			s = (s + 1) % tx->n_slots;
			pe__tx_progress(tx);
		}
		if (done == written)
			return err ? ring_unwind(tx, first, written, n, err)
				   : pe__tx_stop_at(tx, n, n, 0);
		if (slot_state(tx, s) & TP_STATUS_WRONG_FORMAT)
			return ring_unwind(tx, first, written, n, kerr ? kerr : -EINVAL);
		if (retries)
			(*retries)++;
		kerr = pe__tx_backoff(tx, kerr ? kerr : -EAGAIN);
		if (kerr)
			return ring_unwind(tx, first, written, n, kerr);
	}
}
