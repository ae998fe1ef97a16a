/* SPDX-License-Identifier: BSD-2-Clause */
/* AF_PACKET transmit behind packet.h: interface look-ups and limits, opening the socket, the
 * sendmmsg backend and the retry rules every backend shares (inject_ring.c: PACKET_TX_RING,
 * inject_uring.c: io_uring). A frame the device pushed back (EAGAIN, ENOBUFS) is retried
 * instead of dropped, and counted once, when the kernel took it. */
#include "raw/packet.h"
#include "raw/tx_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
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

unsigned pe_tx_burst(const struct pe_tx *tx)
{
	return tx->burst;
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
unsigned pe__tx_within_limit(const struct pe_tx *tx, const uint8_t *const *frames,
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
		err = pe__tx_ring_setup(tx, &o);
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

/* The device pushed back: wait for room (POLLOUT) or, after a drop (ENOBUFS, where POLLOUT is
 * already set), give the receive side a moment to drain its backlog. Returns 0 to retry,
 * -EINTR when asked to stop, or -ETIMEDOUT when nothing went out for stall_ns: a device that
 * drops the same frame every time (a veth whose peer's MTU is too small for it) would
 * otherwise be retried forever. */
int pe__tx_backoff(struct pe_tx *tx, int err)
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

static int send_mmsg(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens,
		     unsigned n, uint64_t *retries)
{
	unsigned done = 0, ok = pe__tx_within_limit(tx, frames, lens, n);
	int err = ok < n ? -EMSGSIZE : 0;

	for (unsigned i = 0; i < ok; i++) {
		tx->iov[i].iov_base = (void *)frames[i];
		tx->iov[i].iov_len = lens[i];
		memset(&tx->msgs[i], 0, sizeof(tx->msgs[i]));
		tx->msgs[i].msg_hdr.msg_iov = &tx->iov[i];
		tx->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* sendmmsg returns the count sent when a later frame fails and drops that frame's error:
	 * frame `done` was pushed back (a drop on egress, ENOBUFS) unless it turns out to be a
	 * refusal on the next call, where the error shows */
	bool short_call = false;

	while (done < ok) {
		int r = sendmmsg(tx->fd, tx->msgs + done, ok - done, 0);

		if (r > 0) {
			if (short_call && retries)
				(*retries)++;
			done += r;
			short_call = done < ok;
			pe__tx_progress(tx);
			continue;
		}
		r = r < 0 ? -errno : -EAGAIN;
		/* the kernel's refusal (EMSGSIZE, EINVAL...) of frame `done`: stop there */
		if (!pe__tx_soft_error(r))
			return pe__tx_stop_at(tx, done, n, r);
		if (retries)
			*retries += short_call ? 2 : 1;
		short_call = false;
		r = pe__tx_backoff(tx, r);
		if (r)
			return pe__tx_stop_at(tx, done, n, r);
	}
	return pe__tx_stop_at(tx, done, n, err);
}

int pe_tx_send(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens, unsigned n,
	       uint64_t *retries)
{
	if (n > tx->burst)
		return -EINVAL;
	tx->err = 0;
	pe__tx_progress(tx);
	if (!n)
		return 0;
	switch (tx->method) {
	case PE_TX_RING:
		return pe__tx_send_ring(tx, frames, lens, n, retries);
	case PE_TX_URING:
		return pe__tx_send_uring(tx, frames, lens, n, retries);
	default:
		return send_mmsg(tx, frames, lens, n, retries);
	}
}

int pe_tx_flush(struct pe_tx *tx)
{
	tx->err = 0;
	pe__tx_progress(tx);
	if (tx->method != PE_TX_RING)
		return 0;
	for (unsigned i = 0; i < tx->n_slots; i++) {
		int err = pe__tx_ring_wait_slot(tx, i, NULL);

		if (err)
			return tx->err = err;
	}
	return 0;
}
