/* `pkteng inject --method xdp` (inject_xdp.h). Every BPF_PROG_RUN of more than one frame ends
 * with an RCU grace period, so the frames go in runs of about a second (or an interval, or the
 * time left), each sized from the rate the last one reached. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ebpf/xmit.h"
#include "raw/packet.h"
#include "raw/rate.h"
#include "tools/cli.h"
#include "tools/inject_xdp.h"

#define RUN_S	      1.0	 /* longest run without an interval or an end to meet */
#define FIRST_RUN     4096	 /* frames in the run that measures the rate */
#define COUNT_WAIT_NS 500000000u /* how long the device may take to count what it sent */

static int tx_packets(const char *dev, uint64_t *out)
{
	int err = pe_if_stat(dev, "tx_packets", out);

	return err ? pe_fail("inject: %s: reading tx_packets: %s", dev, strerror(-err)) : 0;
}

/* Waits until dev's tx_packets reaches want or stops moving (for COUNT_WAIT_NS at most: a NIC
 * counts at completion, a veth at once). */
static int settle(const char *dev, uint64_t want, uint64_t *now)
{
	uint64_t t0 = pe_rate_now_ns(), last;
	int rc = tx_packets(dev, now);

	while (!rc && *now < want && pe_rate_now_ns() - t0 < COUNT_WAIT_NS) {
		last = *now;
		pe_wait_until(pe_rate_now_ns() + 10000000, 0);
		rc = tx_packets(dev, now);
		if (!rc && *now == last && pe_rate_now_ns() - t0 > COUNT_WAIT_NS / 5)
			break;
	}
	return rc;
}

static int open_fail(const char *dev, int err)
{
	if (err == EOPNOTSUPP)
		return pe_fail("inject: --method xdp: this pkteng was built without XDP (it needs "
			       "clang, bpftool and libbpf-dev at build time)");
	if (err == EPERM || err == EACCES)
		return pe_fail(
			"inject: --method xdp needs CAP_BPF and CAP_NET_ADMIN (run as root)");
	if (err == EMSGSIZE)
		return pe_usage("inject: --method xdp sends frames of %d..%d bytes", 14,
				PE_XDP_TX_LEN_MAX);
	return pe_fail("inject: %s: loading the XDP transmitter: %s", dev, strerror(err));
}

/* How many frames the next run sends: about `span` seconds at the rate the last run reached,
 * within what is left to send. */
static uint32_t run_size(const struct pe_inject_xdp *a, uint64_t sent, double rate, double span)
{
	double n = rate > 0 ? rate * span : FIRST_RUN;

	if (n < 1)
		n = 1;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	if (a->count && (double)(a->count - sent) < n)
		n = (double)(a->count - sent);
	return (uint32_t)n;
}

/* The frame against the device's MTU, as af_packet checks it: MTU + 14, + 4 for an 802.1Q
 * outer tag (a veth drops a longer XDP frame, counting it as a drop). */
static int check_len(const struct pe_inject_xdp *a, unsigned mtu)
{
	unsigned max = mtu + 14;

	if (a->len >= 14 && a->frame[12] == 0x81 && a->frame[13] == 0x00)
		max += 4;
	if (a->len <= max)
		return 0;
	return pe_usage("inject: a %u-byte frame (%u bytes without the FCS) is above what %s "
			"takes (MTU %u: %u bytes)",
			a->len + 4u, a->len, a->dev, mtu, max);
}

static void add(struct pe_inject_stats *tot, uint64_t frames, uint64_t l2)
{
	tot->frames += frames;
	tot->bytes_l2 += frames * l2;
}

int pe_inject_xdp_run(const struct pe_inject_xdp *a, struct pe_inject_report *rep,
		      struct pe_inject_stats *tot, double *secs)
{
	struct pe_xdp_tx_opts o = {.sz = sizeof(o),
				   .frame = a->frame,
				   .len = a->len,
				   .seq_off = a->seq_off,
				   .csum_off = a->csum_off,
				   .csum_udp = a->csum_udp,
				   .batch = a->burst};
	uint64_t l2 = pe_inject_l2_bytes(a->len, false), c0, c1, t0 = 0, t1 = 0, now, end_ns = 0;
	uint64_t next_report = 0, last_report, handed = 0;
	struct pe_inject_stats last = {0};
	struct pe_xdp_tx *x;
	double rate = 0;
	unsigned mtu;
	int ifindex, rc;
	long r;

	rc = pe_if_lookup(a->dev, &ifindex, &mtu);
	if (rc)
		return pe_fail("inject: %s: %s", a->dev, strerror(-rc));
	rc = check_len(a, mtu);
	if (rc)
		return rc;
	o.ifindex = ifindex;
	x = pe_xdp_tx_open(&o);
	if (!x)
		return open_fail(a->dev, errno);
	rc = tx_packets(a->dev, &c0);
	if (rc)
		goto out;
	t0 = t1 = last_report = pe_rate_now_ns();
	/* One frame first: a device that takes nothing from XDP says so before the run. */
	r = pe_xdp_tx_run(x, 1);
	if (r < 0)
		goto run_failed;
	t1 = pe_rate_now_ns();
	handed += (uint64_t)r;
	add(tot, (uint64_t)r, l2);
	rc = settle(a->dev, c0 + handed, &c1);
	if (rc)
		goto out;
	if (handed && c1 == c0) {
		tot->frames = tot->bytes_l2 = 0;
		rc = pe_fail(
			"inject: %s counted none of the frames sent through XDP: its driver has "
			"no XDP transmit, or it is a veth whose peer has no NAPI (on the peer: "
			"ethtool -K PEER gro on, or an XDP program)",
			a->dev);
		goto out;
	}
	if (a->time_s > 0)
		end_ns = t0 + (uint64_t)(a->time_s * 1e9);
	if (a->interval_s > 0)
		next_report = t0 + (uint64_t)(a->interval_s * 1e9);
	while (!*a->stop && (!a->count || handed < a->count)) {
		double span = RUN_S;

		now = pe_rate_now_ns();
		if (end_ns && now >= end_ns)
			break;
		if (end_ns && (end_ns - now) / 1e9 < span)
			span = (end_ns - now) / 1e9;
		if (next_report && next_report > now && (next_report - now) / 1e9 < span)
			span = (next_report - now) / 1e9;
		r = pe_xdp_tx_run(x, run_size(a, handed, rate, span));
		if (r < 0)
			goto run_failed;
		t1 = pe_rate_now_ns();
		if (r > 0 && t1 > now)
			rate = r * 1e9 / (double)(t1 - now);
		handed += (uint64_t)r;
		add(tot, (uint64_t)r, l2);
		if (next_report && t1 >= next_report) {
			struct pe_inject_stats d = {tot->frames - last.frames,
						    tot->bytes_l2 - last.bytes_l2, 0, 0};

			pe_inject_report_interval(rep, (t1 - t0) / 1e9, (t1 - last_report) / 1e9,
						  &d);
			last = *tot;
			last_report = t1;
			while (next_report <= t1)
				next_report += (uint64_t)(a->interval_s * 1e9);
		}
	}
	/* What left is what the device counted: XDP transmit drops a frame it cannot queue. */
	rc = settle(a->dev, c0 + handed, &c1);
	if (!rc && c1 - c0 < handed) {
		fprintf(stderr,
			"pkteng: inject: %s counted %llu of the %llu frames handed to it through "
			"XDP\n",
			a->dev, (unsigned long long)(c1 - c0), (unsigned long long)handed);
		tot->errors += handed - (c1 - c0);
		tot->frames = c1 - c0;
		tot->bytes_l2 = tot->frames * l2;
	}
	goto out;
run_failed:
	rc = pe_fail("inject: %s: sending through XDP (BPF_PROG_RUN, live frames): %s", a->dev,
		     strerror((int)-r));
out:
	*secs = (t1 - t0) / 1e9;
	pe_xdp_tx_close(x);
	return rc;
}
