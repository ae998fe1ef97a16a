/* SPDX-License-Identifier: BSD-2-Clause */
/* TPACKET_V3 receive ring behind packet.h: blocks of frames handed over by the kernel, walked
 * in place; a VLAN tag the device stripped is put back so callers see the frame as sent. */
#include "raw/packet.h"
#include "raw/capfilter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

struct pe_cap {
	int fd;
	uint8_t *map;
	size_t map_len;
	unsigned block_size, n_blocks, cur;
	/* position inside the current block, so a callback can stop mid-block */
	unsigned left;
	struct tpacket3_hdr *next;
	uint64_t packets, drops;
	uint8_t vlan_buf[65536 + 8];
};

static struct tpacket_block_desc *block(struct pe_cap *c, unsigned i)
{
	return (struct tpacket_block_desc *)(c->map + (size_t)i * c->block_size);
}

struct pe_cap *pe_cap_open(const struct pe_cap_opts *opts)
{
	struct pe_cap_opts o = { 0 };
	struct tpacket_req3 req = { 0 };
	struct sockaddr_ll sll = { 0 };
	int ver = TPACKET_V3, one = 1, ifindex, err;
	unsigned mtu;
	struct pe_cap *c;

	if (!opts || !opts->ifname) {
		errno = EINVAL;
		return NULL;
	}
	memcpy(&o, opts, opts->sz && opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	err = pe_if_lookup(o.ifname, &ifindex, &mtu);
	if (err && err != -ENETDOWN) {
		errno = -err;
		return NULL;
	}
	if (!o.block_size)
		o.block_size = 1 << 20;
	if (!o.n_blocks)
		o.n_blocks = 16;
	if (!o.timeout_ms)
		o.timeout_ms = 10;
	if (o.block_size & (o.block_size - 1) || o.block_size < (unsigned)getpagesize()) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = -1;
	c->map = MAP_FAILED;
	/* Protocol 0 until the ring is ready: nothing is queued before bind() below. */
	c->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		goto fail;
	if (setsockopt(c->fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)))
		goto fail;
	if (o.incoming_only &&
	    setsockopt(c->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)))
		goto fail;
	if (o.filter) {
		err = pe_capfilter_attach(o.filter, c->fd);
		if (err) {
			errno = -err;
			goto fail;
		}
	}
	req.tp_block_size = o.block_size;
	req.tp_block_nr = o.n_blocks;
	req.tp_frame_size = 2048; /* V3 packs frames; this only has to divide the block */
	req.tp_frame_nr = (o.block_size / req.tp_frame_size) * o.n_blocks;
	req.tp_retire_blk_tov = o.timeout_ms;
	if (setsockopt(c->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
		goto fail;
	c->block_size = o.block_size;
	c->n_blocks = o.n_blocks;
	c->map_len = (size_t)o.block_size * o.n_blocks;
	c->map =
		mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, c->fd, 0);
	if (c->map == MAP_FAILED)
		goto fail;
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(c->fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto fail;
	return c;
fail:
	err = errno;
	pe_cap_close(c);
	errno = err;
	return NULL;
}

void pe_cap_close(struct pe_cap *c)
{
	if (!c)
		return;
	if (c->map != MAP_FAILED)
		munmap(c->map, c->map_len);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void deliver_prepare(struct pe_cap *c, const struct tpacket3_hdr *h, struct pe_cap_frame *f)
{
	const uint8_t *p = (const uint8_t *)h + h->tp_mac;
	const struct sockaddr_ll *sll =
		(const struct sockaddr_ll *)((const uint8_t *)h + TPACKET_ALIGN(sizeof(*h)));

	f->data = p;
	f->len = h->tp_snaplen;
	f->wire_len = h->tp_len;
	f->t_ns = (uint64_t)h->tp_sec * 1000000000ULL + h->tp_nsec;
	f->outgoing = sll->sll_pkttype == PACKET_OUTGOING;
	if ((h->tp_status & TP_STATUS_VLAN_VALID) && f->len >= 12) {
		uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid
									   : ETH_P_8021Q;
		uint16_t be_tpid = htons(tpid), be_tci = htons(h->hv1.tp_vlan_tci);
		size_t n = f->len < sizeof(c->vlan_buf) - 4 ? f->len : sizeof(c->vlan_buf) - 4;

		memcpy(c->vlan_buf, p, 12);
		memcpy(c->vlan_buf + 12, &be_tpid, 2);
		memcpy(c->vlan_buf + 14, &be_tci, 2);
		memcpy(c->vlan_buf + 16, p + 12, n - 12);
		f->data = c->vlan_buf;
		f->len = n + 4;
		f->wire_len += 4;
	}
}

int pe_cap_poll(struct pe_cap *c, int timeout_ms, pe_cap_fn fn, void *ctx)
{
	int delivered = 0, stop = 0;

	for (;;) {
		struct tpacket_block_desc *b = block(c, c->cur);

		if (!c->next) {
			if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
			      TP_STATUS_USER)) {
				struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLERR };
				int n;

				if (delivered)
					return delivered;
				n = poll(&p, 1, timeout_ms);
				if (n < 0)
					return -errno;
				if (n == 0)
					return 0;
				if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
				      TP_STATUS_USER))
					continue;
			}
			c->left = b->hdr.bh1.num_pkts;
			c->next = (struct tpacket3_hdr *)((uint8_t *)b +
							  b->hdr.bh1.offset_to_first_pkt);
		}
		while (c->left) {
			struct tpacket3_hdr *h = c->next;
			struct pe_cap_frame f;

			c->left--;
			c->next = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
			deliver_prepare(c, h, &f);
			delivered++;
			stop = fn(&f, ctx);
			if (stop && c->left)
				return delivered;
			if (stop)
				break;
		}
		c->next = NULL;
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		c->cur = (c->cur + 1) % c->n_blocks;
		if (stop)
			return delivered;
	}
}

int pe_cap_stats(struct pe_cap *c, uint64_t *packets, uint64_t *drops)
{
	struct tpacket_stats_v3 st = { 0 };
	socklen_t len = sizeof(st);

	/* The kernel resets its counters on every read: keep the running sums. */
	if (getsockopt(c->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
		return -errno;
	c->packets += st.tp_packets;
	c->drops += st.tp_drops;
	if (packets)
		*packets = c->packets;
	if (drops)
		*drops = c->drops;
	return 0;
}
