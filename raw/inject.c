/* AF_PACKET transmit behind packet.h: sendmmsg batches, a PACKET_TX_RING (TPACKET_V2/V3)
 * and io_uring SEND batches. Every backend retries a frame the device pushed back (EAGAIN,
 * ENOBUFS) instead of dropping it, and counts a frame once, when the kernel took it. */
#include "raw/packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_NOFCS
#define SO_NOFCS 43
#endif

#define PE_TX_BURST_MAX 1024

struct pe_tx {
	int fd, ifindex;
	unsigned mtu, burst;
	enum pe_tx_method method;
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

static const char *const method_names[] = {"sendmmsg", "ring", "uring"};

const char *pe_tx_method_name(enum pe_tx_method m)
{
	return (unsigned)m < 3 ? method_names[m] : "?";
}

int pe_tx_method_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, method_names[i]))
			return i;
	return -EINVAL;
}

int pe_if_lookup(const char *ifname, int *ifindex, unsigned *mtu)
{
	struct ifreq ifr = {0};
	int fd, idx, err = 0;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ)
		return -ENODEV;
	idx = if_nametoindex(ifname);
	if (!idx)
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		err = -errno;
	else if (mtu)
		*mtu = ifr.ifr_mtu;
	if (!err && ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	close(fd);
	if (ifindex)
		*ifindex = idx;
	if (!err && !(ifr.ifr_flags & IFF_UP))
		err = -ENETDOWN;
	return err;
}

int pe_if_stat(const char *ifname, const char *name, uint64_t *out)
{
	char path[128], buf[32];
	unsigned long long v;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	if (sscanf(buf, "%llu", &v) != 1)
		return -EIO;
	*out = v;
	return 0;
}

unsigned pe_tx_mtu(const struct pe_tx *tx)
{
	return tx->mtu;
}

/* A probe the kernel rejects before anything is sent: above the MTU it answers EMSGSIZE when
 * the device takes SO_NOFCS frames, and EPROTONOSUPPORT first when it does not. */
static int probe_nofcs(struct pe_tx *tx)
{
	size_t len = tx->mtu + 14 + 4 + 4 + 64;
	uint8_t *buf = calloc(1, len);
	int err;

	if (!buf)
		return -ENOMEM;
	err = send(tx->fd, buf, len, MSG_DONTWAIT) < 0 ? -errno : 0;
	free(buf);
	return err == -EPROTONOSUPPORT ? err : 0;
}

static int ring_setup(struct pe_tx *tx, const struct pe_tx_opts *o)
{
	unsigned frame_max = o->frame_max ? o->frame_max : 9018;
	unsigned hdr, slot = 64;
	struct tpacket_req3 req = {0};
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

struct pe_tx *pe_tx_open(const struct pe_tx_opts *opts)
{
	struct pe_tx_opts o = {0};
	struct sockaddr_ll sll = {0};
	struct pe_tx *tx;
	int err, one = 1, sndbuf = 4 << 20;

	if (!opts || !opts->ifname) {
		errno = EINVAL;
		return NULL;
	}
	memcpy(&o, opts, opts->sz && opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	if (!o.burst)
		o.burst = 64;
	if (o.burst > PE_TX_BURST_MAX || (unsigned)o.method > PE_TX_URING ||
	    (o.tpacket_version && o.tpacket_version != 2 && o.tpacket_version != 3)) {
		errno = EINVAL;
		return NULL;
	}
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return NULL;
	tx->fd = -1;
	tx->burst = o.burst;
	tx->method = o.method;
	err = pe_if_lookup(o.ifname, &tx->ifindex, &tx->mtu);
	if (err)
		goto fail;
	tx->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (tx->fd < 0) {
		err = -errno;
		goto fail;
	}
	setsockopt(tx->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
	if (o.qdisc_bypass &&
	    setsockopt(tx->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one))) {
		err = -errno;
		goto fail;
	}
	/* Protocol 0: this socket only sends, the kernel queues nothing received to it. */
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = tx->ifindex;
	if (bind(tx->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		goto fail;
	}
	if (o.nofcs) {
		if (setsockopt(tx->fd, SOL_SOCKET, SO_NOFCS, &one, sizeof(one))) {
			err = -errno;
			goto fail;
		}
		err = probe_nofcs(tx);
		if (err)
			goto fail;
	}
	tx->msgs = calloc(o.burst, sizeof(*tx->msgs));
	tx->iov = calloc(o.burst, sizeof(*tx->iov));
	if (!tx->msgs || !tx->iov) {
		err = -ENOMEM;
		goto fail;
	}
	if (o.method == PE_TX_RING) {
		err = ring_setup(tx, &o);
		if (err)
			goto fail;
	} else if (o.method == PE_TX_URING) {
		/* One thread submits and reaps: completions need no task work interrupting it. */
		err = io_uring_queue_init(o.burst * 2, &tx->uring,
					  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
		if (err == -EINVAL)
			err = io_uring_queue_init(o.burst * 2, &tx->uring, 0);
		if (err)
			goto fail;
		tx->uring_ok = true;
	}
	return tx;
fail:
	pe_tx_close(tx);
	errno = -err;
	return NULL;
}

void pe_tx_close(struct pe_tx *tx)
{
	if (!tx)
		return;
	if (tx->uring_ok)
		io_uring_queue_exit(&tx->uring);
	if (tx->ring)
		munmap(tx->ring, tx->ring_len);
	if (tx->fd >= 0)
		close(tx->fd);
	free(tx->msgs);
	free(tx->iov);
	free(tx);
}

/* The device pushed back: wait for room (POLLOUT) or, after a drop (ENOBUFS, where POLLOUT is
 * already set), give the receive side a moment to drain its backlog. */
static void backoff(struct pe_tx *tx, int err)
{
	struct pollfd p = {.fd = tx->fd, .events = POLLOUT};

	if (err == -EAGAIN && poll(&p, 1, 10) > 0)
		return;
	sched_yield();
	usleep(20);
}

static bool soft_error(int err)
{
	return err == -EAGAIN || err == -ENOBUFS || err == -EINTR;
}

static int send_mmsg(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens,
		     unsigned n, uint64_t *retries)
{
	unsigned done = 0;

	for (unsigned i = 0; i < n; i++) {
		tx->iov[i].iov_base = (void *)frames[i];
		tx->iov[i].iov_len = lens[i];
		memset(&tx->msgs[i], 0, sizeof(tx->msgs[i]));
		tx->msgs[i].msg_hdr.msg_iov = &tx->iov[i];
		tx->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < n) {
		int r = sendmmsg(tx->fd, tx->msgs + done, n - done, 0);

		if (r > 0) {
			done += r;
			continue;
		}
		r = r < 0 ? -errno : -EAGAIN;
		if (!soft_error(r))
			return done ? (int)done : r;
		if (retries)
			(*retries)++;
		backoff(tx, r);
	}
	return n;
}

static volatile uint32_t *slot_status(struct pe_tx *tx, unsigned i)
{
	uint8_t *s = tx->ring + (size_t)i * tx->slot_size;

	return tx->tpv == 2 ? &((struct tpacket2_hdr *)s)->tp_status
			    : &((struct tpacket3_hdr *)s)->tp_status;
}

/* Kicks the kernel to walk the ring without waiting; returns 0 or -errno. */
static int ring_kick(struct pe_tx *tx)
{
	return send(tx->fd, NULL, 0, MSG_DONTWAIT) < 0 ? -errno : 0;
}

static int ring_wait_slot(struct pe_tx *tx, unsigned i, uint64_t *retries)
{
	for (;;) {
		uint32_t st = __atomic_load_n(slot_status(tx, i), __ATOMIC_ACQUIRE);
		int err;

		if (st == TP_STATUS_AVAILABLE)
			return 0;
		if (st & TP_STATUS_WRONG_FORMAT)
			return -EINVAL;
		err = ring_kick(tx);
		if (err && !soft_error(err))
			return err;
		if (__atomic_load_n(slot_status(tx, i), __ATOMIC_ACQUIRE) == TP_STATUS_AVAILABLE)
			return 0;
		if (retries)
			(*retries)++;
		backoff(tx, err ? err : -EAGAIN);
	}
}

static int send_ring(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens,
		     unsigned n, uint64_t *retries)
{
	unsigned first = tx->head;
	int err;

	for (unsigned i = 0; i < n; i++) {
		unsigned s = tx->head;
		uint8_t *slot = tx->ring + (size_t)s * tx->slot_size;

		unsigned len = lens[i] + tx->vnet_len;

		if (len > tx->slot_size - tx->data_off)
			return -EMSGSIZE;
		err = ring_wait_slot(tx, s, retries);
		if (err)
			return err;
		if (tx->vnet_len) {
			struct virtio_net_hdr vh = {.gso_type = VIRTIO_NET_HDR_GSO_NONE,
						    .hdr_len = lens[i]};

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
	}
	/* A frame the device dropped goes back to SEND_REQUEST: kick until none of this burst
	 * waits any more, so the frames leave now and each exactly once. */
	for (;;) {
		bool pending = false;

		err = ring_kick(tx);
		if (err && !soft_error(err))
			return err;
		for (unsigned i = 0, s = first; i < n; i++, s = (s + 1) % tx->n_slots) {
			uint32_t st = __atomic_load_n(slot_status(tx, s), __ATOMIC_ACQUIRE);

			if (st & TP_STATUS_WRONG_FORMAT)
				return -EINVAL;
			if (st == TP_STATUS_SEND_REQUEST) {
				pending = true;
				break;
			}
		}
		if (!pending)
			return n;
		if (retries)
			(*retries)++;
		backoff(tx, err ? err : -EAGAIN);
	}
}

static int send_uring(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens,
		      unsigned n, uint64_t *retries)
{
	unsigned done = 0;

	while (done < n) {
		unsigned todo = n - done, fail_at = n;
		int hard = 0, soft = 0, ret;

		for (unsigned i = 0; i < todo; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&tx->uring);

			io_uring_prep_send(sqe, tx->fd, frames[done + i], lens[done + i], 0);
			/* Linked: a failed frame cancels the rest, so order is kept and the
			 * resubmission starts exactly at the first frame not sent. */
			if (i + 1 < todo)
				sqe->flags |= IOSQE_IO_LINK;
			io_uring_sqe_set_data64(sqe, done + i);
		}
		ret = io_uring_submit_and_wait(&tx->uring, todo);
		if (ret < 0 && ret != -EINTR)
			return done ? (int)done : ret;
		for (unsigned got = 0; got < todo;) {
			struct io_uring_cqe *cqe;
			unsigned idx;

			ret = io_uring_wait_cqe(&tx->uring, &cqe);
			if (ret == -EINTR)
				continue;
			if (ret < 0)
				return done ? (int)done : ret;
			idx = (unsigned)io_uring_cqe_get_data64(cqe);
			if (cqe->res < 0 && idx < fail_at) {
				fail_at = idx;
				if (cqe->res != -ECANCELED) {
					if (soft_error(cqe->res))
						soft = cqe->res;
					else
						hard = cqe->res;
				}
			}
			io_uring_cqe_seen(&tx->uring, cqe);
			got++;
		}
		if (fail_at == n) {
			done = n;
			break;
		}
		done = fail_at;
		if (hard)
			return done ? (int)done : hard;
		if (retries)
			(*retries)++;
		backoff(tx, soft ? soft : -EAGAIN);
	}
	return n;
}

int pe_tx_send(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens, unsigned n,
	       uint64_t *retries)
{
	if (n > tx->burst)
		return -EINVAL;
	if (!n)
		return 0;
	switch (tx->method) {
	case PE_TX_RING:
		return send_ring(tx, frames, lens, n, retries);
	case PE_TX_URING:
		return send_uring(tx, frames, lens, n, retries);
	default:
		return send_mmsg(tx, frames, lens, n, retries);
	}
}

int pe_tx_flush(struct pe_tx *tx)
{
	if (tx->method != PE_TX_RING)
		return 0;
	for (unsigned i = 0; i < tx->n_slots; i++) {
		int err = ring_wait_slot(tx, i, NULL);

		if (err)
			return err;
	}
	return 0;
}
