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
#include <net/if_arp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

static const char *const method_names[] = { "sendmmsg", "ring", "uring" };

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
	struct ifreq ifr = { 0 };
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

int pe_tx_error(const struct pe_tx *tx)
{
	return tx->err;
}

/* The device type: Ethernet (the only one af_packet grants an 802.1Q tag's 4 bytes) and the
 * hard header length af_packet adds to the MTU (ETH_HLEN for Ethernet and loopback). */
static int if_hwtype(const char *ifname, bool *ether, unsigned *hdr_len)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	*ether = ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER;
	*hdr_len = *ether || ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK ? ETH_HLEN : 0;
	return 0;
}

/* The limit for a device of this mtu, hard header and type; fcs: 4 bytes more (SO_NOFCS on
 * packet_snd(), whose extra_len tpacket_snd() has none of). */
static void limit(unsigned mtu, unsigned hdr, bool ether, bool fcs, const uint8_t *frame,
		  unsigned len, struct pe_tx_limit *out)
{
	memset(out, 0, sizeof(*out));
	out->mtu = mtu;
	out->hdr = hdr;
	out->tpid = len >= 14 ? (uint16_t)(frame[12] << 8 | frame[13]) : 0;
	/* packet_extra_vlan_len_allowed(): Ethernet devices, h_proto == ETH_P_8021Q */
	out->vlan = ether && out->tpid == ETH_P_8021Q ? 4 : 0;
	out->fcs = fcs ? 4 : 0;
	out->max = out->mtu + out->hdr + out->vlan + out->fcs;
}

void pe_tx_limit(const struct pe_tx *tx, const uint8_t *frame, unsigned len,
		 struct pe_tx_limit *out)
{
	limit(tx->mtu, tx->hdr_len, tx->ether, tx->nofcs && tx->method != PE_TX_RING, frame, len,
	      out);
}

int pe_if_limit(const char *ifname, const uint8_t *frame, unsigned len, struct pe_tx_limit *out)
{
	unsigned mtu, hdr;
	bool ether;
	int err = pe_if_lookup(ifname, NULL, &mtu);

	if (!err)
		err = if_hwtype(ifname, &ether, &hdr);
	if (!err)
		limit(mtu, hdr, ether, false, frame, len, out);
	return err;
}

/* How many of the n frames, from the first, are within what the kernel takes. */
static unsigned within_limit(const struct pe_tx *tx, const uint8_t *const *frames,
			     const uint16_t *lens, unsigned n)
{
	unsigned base = tx->mtu + tx->hdr_len + (tx->nofcs && tx->method != PE_TX_RING ? 4 : 0);

	for (unsigned i = 0; i < n; i++) {
		struct pe_tx_limit l;

		if (lens[i] <= base)
			continue;
		pe_tx_limit(tx, frames[i], lens[i], &l);
		if (lens[i] > l.max)
			return i;
	}
	return n;
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

struct pe_tx *pe_tx_open(const struct pe_tx_opts *opts)
{
	struct pe_tx_opts o = { 0 };
	struct sockaddr_ll sll = { 0 };
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
	tx->stop = o.stop;
	tx->stall_ns = (uint64_t)(o.stall_ms ? o.stall_ms : 3000) * 1000000;
	err = pe_if_lookup(o.ifname, &tx->ifindex, &tx->mtu);
	if (err)
		goto fail;
	err = if_hwtype(o.ifname, &tx->ether, &tx->hdr_len);
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
		/* tpacket_snd() never sets skb->no_fcs: the device would append a second FCS. */
		if (o.method == PE_TX_RING) {
			err = -EOPNOTSUPP;
			goto fail;
		}
		tx->nofcs = true;
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

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool stopped(const struct pe_tx *tx)
{
	return tx->stop && *tx->stop;
}

/* The kernel took a frame: the stall clock starts again at the next refusal. */
static void progress(struct pe_tx *tx)
{
	tx->stall_since = 0;
}

/* The device pushed back: wait for room (POLLOUT) or, after a drop (ENOBUFS, where POLLOUT is
 * already set), give the receive side a moment to drain its backlog. Returns 0 to retry,
 * -EINTR when asked to stop, or -ETIMEDOUT when nothing went out for stall_ns: a device that
 * drops the same frame every time (a veth whose peer's MTU is too small for it) would
 * otherwise be retried forever. */
static int backoff(struct pe_tx *tx, int err)
{
	struct pollfd p = { .fd = tx->fd, .events = POLLOUT };
	uint64_t now = mono_ns();

	if (stopped(tx))
		return -EINTR;
	if (!tx->stall_since)
		tx->stall_since = now;
	else if (now - tx->stall_since >= tx->stall_ns)
		return -ETIMEDOUT;
	if (!(err == -EAGAIN && poll(&p, 1, 10) > 0)) {
		sched_yield();
		usleep(20);
	}
	return stopped(tx) ? -EINTR : 0;
}

static bool soft_error(int err)
{
	return err == -EAGAIN || err == -ENOBUFS || err == -EINTR;
}

/* Returns done; when done < n, tx->err holds why. */
static int stop_at(struct pe_tx *tx, unsigned done, unsigned n, int err)
{
	tx->err = done < n ? (err ? err : -EIO) : 0;
	return (int)done;
}

static int send_mmsg(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens,
		     unsigned n, uint64_t *retries)
{
	unsigned done = 0, ok = within_limit(tx, frames, lens, n);
	int err = ok < n ? -EMSGSIZE : 0;

	for (unsigned i = 0; i < ok; i++) {
		tx->iov[i].iov_base = (void *)frames[i];
		tx->iov[i].iov_len = lens[i];
		memset(&tx->msgs[i], 0, sizeof(tx->msgs[i]));
		tx->msgs[i].msg_hdr.msg_iov = &tx->iov[i];
		tx->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < ok) {
		int r = sendmmsg(tx->fd, tx->msgs + done, ok - done, 0);

		if (r > 0) {
			done += r;
			progress(tx);
			continue;
		}
		r = r < 0 ? -errno : -EAGAIN;
		/* the kernel's refusal (EMSGSIZE, EINVAL...) of frame `done`: stop there */
		if (!soft_error(r))
			return stop_at(tx, done, n, r);
		if (retries)
			(*retries)++;
		r = backoff(tx, r);
		if (r)
			return stop_at(tx, done, n, r);
	}
	return stop_at(tx, done, n, err);
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
 * again by the kick; one that never leaves fails with backoff()'s -ETIMEDOUT. */
static int ring_wait_slot(struct pe_tx *tx, unsigned i, uint64_t *retries)
{
	for (;;) {
		uint32_t st = slot_state(tx, i);
		int err;

		if (st == TP_STATUS_AVAILABLE) {
			progress(tx);
			return 0;
		}
		if (st & TP_STATUS_WRONG_FORMAT)
			return -EINVAL;
		err = ring_kick(tx);
		if (err && !soft_error(err))
			return err;
		st = slot_state(tx, i);
		if (st == TP_STATUS_AVAILABLE) {
			progress(tx);
			return 0;
		}
		if (st & TP_STATUS_WRONG_FORMAT)
			return err ? err : -EINVAL;
		if (retries)
			(*retries)++;
		err = backoff(tx, err ? err : -EAGAIN);
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
	return stop_at(tx, taken, n, err);
}

static int send_ring(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens,
		     unsigned n, uint64_t *retries)
{
	unsigned first = tx->head, written = 0, ok = within_limit(tx, frames, lens, n);
	int err = 0;

	for (unsigned i = 0; i < ok; i++) {
		unsigned s = tx->head;
		uint8_t *slot = tx->ring + (size_t)s * tx->slot_size;
		unsigned len = lens[i] + tx->vnet_len;

		if (len > tx->slot_size - tx->data_off) {
			err = -EMSGSIZE;
			break;
		}
		err = ring_wait_slot(tx, s, retries);
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

		if (kerr && !soft_error(kerr))
			return ring_unwind(tx, first, written, n, kerr);
		while (done < written &&
		       !(slot_state(tx, s) & (TP_STATUS_SEND_REQUEST | TP_STATUS_WRONG_FORMAT))) {
			done++;
			s = (s + 1) % tx->n_slots;
			progress(tx);
		}
		if (done == written)
			return err ? ring_unwind(tx, first, written, n, err) : stop_at(tx, n, n, 0);
		if (slot_state(tx, s) & TP_STATUS_WRONG_FORMAT)
			return ring_unwind(tx, first, written, n, kerr ? kerr : -EINVAL);
		if (retries)
			(*retries)++;
		kerr = backoff(tx, kerr ? kerr : -EAGAIN);
		if (kerr)
			return ring_unwind(tx, first, written, n, kerr);
	}
}

static int send_uring(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens,
		      unsigned n, uint64_t *retries)
{
	unsigned done = 0, ok = within_limit(tx, frames, lens, n);

	while (done < ok) {
		unsigned todo = ok - done, fail_at = ok;
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
			return stop_at(tx, done, n, ret);
		/* every SQE submitted completes (sent, failed or cancelled): reap them all */
		for (unsigned got = 0; got < todo;) {
			struct io_uring_cqe *cqe;
			unsigned idx;

			ret = io_uring_wait_cqe(&tx->uring, &cqe);
			if (ret == -EINTR)
				continue;
			if (ret < 0)
				return stop_at(tx, done, n, ret);
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
		if (fail_at > done)
			progress(tx);
		done = fail_at;
		if (done == ok)
			break;
		if (hard)
			return stop_at(tx, done, n, hard);
		if (retries)
			(*retries)++;
		ret = backoff(tx, soft ? soft : -EAGAIN);
		if (ret)
			return stop_at(tx, done, n, ret);
	}
	return stop_at(tx, done, n, ok < n ? -EMSGSIZE : 0);
}

int pe_tx_send(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens, unsigned n,
	       uint64_t *retries)
{
	if (n > tx->burst)
		return -EINVAL;
	tx->err = 0;
	progress(tx);
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
	tx->err = 0;
	progress(tx);
	if (tx->method != PE_TX_RING)
		return 0;
	for (unsigned i = 0; i < tx->n_slots; i++) {
		int err = ring_wait_slot(tx, i, NULL);

		if (err)
			return tx->err = err;
	}
	return 0;
}
