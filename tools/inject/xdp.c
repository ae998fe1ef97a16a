/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng inject --method xdp` (xdp.h). Every BPF_PROG_RUN of more than one frame ends
 * with an RCU grace period (the kernel's page pool waits for frames in flight), so the frames
 * go in as few runs as possible: a worker thread sends everything in one run (or runs of 2^32
 * - 1 frames) while this thread prints the intervals from the program's own counter and ends
 * the run at -t or on SIGINT/SIGTERM with a signal, which the kernel sees between batches. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ebpf/xmit.h"
#include "raw/packet.h"
#include "raw/rate.h"
#include "raw/interval.h"
#include "tools/cli.h"
#include "tools/inject/xdp.h"

#define KICK_MS	      10	 /* how often a stop is signalled again until the run has ended */
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
		pe_wait_until(pe_rate_now_ns() + 10000000, 0, NULL);
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

struct worker {
	struct pe_xdp_tx *x;
	uint64_t want;	  /* frames to send; 0: until stopped */
	atomic_bool stop; /* set before the thread is signalled */
	long err;	  /* a run's -errno, 0 */
	int efd;	  /* written when the thread ends */
	pthread_t thread;
};

static void on_kick(int sig)
{
	(void)sig; /* only there to cut the run short (EINTR) */
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t sent = 0, one = 1;

	while (!atomic_load(&w->stop) && (!w->want || sent < w->want)) {
		uint64_t left = w->want ? w->want - sent : UINT32_MAX;
		long r = pe_xdp_tx_run(w->x, left < UINT32_MAX ? (uint32_t)left : UINT32_MAX);

		if (r < 0) {
			w->err = r;
			break;
		}
		sent += (uint64_t)r;
	}
	if (write(w->efd, &one, sizeof(one)) < 0)
		w->err = w->err ? w->err : -errno;
	return NULL;
}

/* Starts the worker with SIGINT and SIGTERM blocked (they stay this thread's) and a handler
 * for SIGUSR1, the signal that ends its run. The worker stays on the CPU this thread is on:
 * the frames it sends wake a veth peer's NAPI on its own CPU, which then runs between its
 * batches; moved to another CPU while that NAPI still runs on the first, it fills the peer's
 * ring faster than the peer empties it, and the veth drops frames. 0 or -errno. */
static int start(struct worker *w)
{
	struct sigaction sa = { .sa_handler = on_kick }; /* no SA_RESTART: the run returns */
	int err, cpu = sched_getcpu();
	pthread_attr_t attr;
	sigset_t block, old;
	cpu_set_t set;

	w->efd = eventfd(0, EFD_CLOEXEC);
	if (w->efd < 0)
		return -errno;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_attr_init(&attr);
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(&w->thread, &attr, work, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (err) {
		close(w->efd);
		return -err;
	}
	return 0;
}

/* A veth drops a longer XDP frame, counting it as a drop: refuse it before anything is sent. */
int pe_inject_xdp_check_len(const struct pe_inject_xdp *a)
{
	struct pe_tx_limit l;
	int err = pe_if_limit(a->dev, a->frame, a->len, &l);

	if (err)
		return pe_fail("inject: %s: %s", a->dev, strerror(-err));
	if (a->len <= l.max)
		return 0;
	return pe_usage("inject: a %u-byte frame (%u bytes without the FCS) is above what %s "
			"takes (MTU %u: %u bytes)",
			a->len + 4u, a->len, a->dev, l.mtu, l.max);
}

/* frames of len bytes (no FCS: --method xdp refuses --fcs) into d's frames and bytes; the
 * rest of d stays. */
static void counts(struct pe_send_counts *d, uint64_t frames, uint16_t len)
{
	d->frames = frames;
	d->bytes_l2 = frames * len;
	d->bytes_wire = frames * pe_frame_wire_bytes(len);
}

/* Frames 1.. (frame 0 went alone): the worker sends, this thread waits for the worker's end,
 * the next interval or the end of the run, and on a stop (or at end_ns) signals the worker
 * every KICK_MS until its run returns. *t1 is when it did. Returns 0 or an exit code. */
static int send_rest(const struct pe_inject_xdp *a, struct pe_xdp_tx *x, struct pe_interval *iv,
		     struct pe_inject_report *rep, uint64_t *t1)
{
	struct worker w = { .x = x, .want = a->count ? a->count - 1 : 0 };
	uint64_t last_frames = pe_xdp_tx_count(x);
	bool stopping = false;
	double t0_s, t1_s;
	int err = start(&w);

	if (err)
		return pe_fail("inject: starting the XDP sender thread: %s", strerror(-err));
	for (;;) {
		struct pollfd p = { .fd = w.efd, .events = POLLIN };
		uint64_t now = pe_mono_ns();
		int wait_ms = 1000;

		if (!stopping && (*a->stop || pe_interval_over(iv, now))) {
			stopping = true;
			atomic_store(&w.stop, true);
		}
		if (stopping) {
			pthread_kill(w.thread, SIGUSR1);
			wait_ms = KICK_MS;
		} else {
			wait_ms = pe_interval_wait_ms(iv, now, wait_ms);
		}
		if (poll(&p, 1, wait_ms) > 0)
			break; /* the worker has ended (a signal here: EINTR, look again) */
		if (a->interval_s > 0 && pe_interval_due(iv, pe_mono_ns(), &t0_s, &t1_s)) {
			struct pe_send_counts d = { 0 };

			counts(&d, pe_xdp_tx_count(x) - last_frames, a->len);
			pe_inject_report_interval(rep, t0_s, t1_s, &d);
			last_frames += d.frames;
		}
	}
	*t1 = pe_mono_ns();
	pthread_join(w.thread, NULL);
	close(w.efd);
	signal(SIGUSR1, SIG_DFL);
	if (w.err)
		return pe_fail("inject: %s: sending through XDP (BPF_PROG_RUN, live frames): %s",
			       a->dev, strerror((int)-w.err));
	return 0;
}

int pe_inject_xdp_run(const struct pe_inject_xdp *a, struct pe_inject_report *rep,
		      struct pe_send_counts *tot, double *secs)
{
	struct pe_xdp_tx_opts o = { .sz = sizeof(o),
				    .frame = a->frame,
				    .len = a->len,
				    .seq_off = a->seq_off,
				    .csum_off = a->csum_off,
				    .csum_udp = a->csum_udp,
				    .batch = a->burst };
	uint64_t c0, c1, t0 = 0, t1 = 0, handed = 0;
	struct pe_interval iv;
	struct pe_xdp_tx *x;
	unsigned mtu;
	int ifindex, rc, err;
	long r;

	rc = pe_if_lookup(a->dev, &ifindex, &mtu);
	if (rc)
		return pe_fail("inject: %s: %s", a->dev, strerror(-rc));
	o.ifindex = ifindex;
	x = pe_xdp_tx_open(&o);
	if (!x && a->fallback) {
		snprintf(a->why, a->why_len,
			 PE_INJECT_XDP_NONE_WHY "the XDP transmitter did not load (%s)",
			 strerror(errno));
		return PE_INJECT_XDP_NONE;
	}
	if (!x)
		return open_fail(a->dev, errno);
	rc = tx_packets(a->dev, &c0);
	if (rc)
		goto out;
	t0 = t1 = pe_mono_ns();
	/* One frame first: a device that takes nothing from XDP says so before the run. */
	r = pe_xdp_tx_run(x, 1);
	if (r < 0)
		goto run_failed;
	t1 = pe_mono_ns();
	handed += (uint64_t)r;
	rc = settle(a->dev, c0 + handed, &c1);
	if (rc)
		goto out;
	if (handed && c1 == c0 && a->fallback) {
		snprintf(a->why, a->why_len,
			 PE_INJECT_XDP_NONE_WHY "%s counted no frame sent through XDP (no XDP "
						"transmit, or a veth whose peer has no NAPI)",
			 a->dev);
		rc = PE_INJECT_XDP_NONE;
		goto out;
	}
	if (handed && c1 == c0) {
		counts(tot, 0, a->len);
		rc = pe_fail(
			"inject: %s counted none of the frames sent through XDP: its driver has "
			"no XDP transmit, or it is a veth whose peer has no NAPI (on the peer: "
			"ethtool -K PEER gro on, or an XDP program)",
			a->dev);
		goto out;
	}
	if (a->ready) {
		rc = a->ready(a->ctx);
		if (rc)
			goto out;
	}
	pe_interval_start_at(&iv, t0, a->interval_s, a->time_s);
	if ((!a->count || a->count > 1) && !*a->stop)
		rc = send_rest(a, x, &iv, rep, &t1);
	/* What left is what the device counted: XDP transmit drops a frame it cannot queue. */
	handed = pe_xdp_tx_count(x);
	err = settle(a->dev, c0 + handed, &c1);
	if (err) {
		rc = rc ? rc : err;
		goto out;
	}
	if (c1 - c0 < handed) {
		fprintf(stderr,
			"pkteng: inject: %s counted %llu of the %llu frames handed to it through "
			"XDP\n",
			a->dev, (unsigned long long)(c1 - c0), (unsigned long long)handed);
		tot->errors += handed - (c1 - c0);
	}
	counts(tot, c1 - c0 < handed ? c1 - c0 : handed, a->len);
	goto out;
run_failed:
	if (a->fallback && !handed) {
		snprintf(a->why, a->why_len,
			 PE_INJECT_XDP_NONE_WHY "BPF_PROG_RUN live frames refused (%s)",
			 strerror((int)-r));
		rc = PE_INJECT_XDP_NONE;
		goto out;
	}
	rc = pe_fail("inject: %s: sending through XDP (BPF_PROG_RUN, live frames): %s", a->dev,
		     strerror((int)-r));
out:
	*secs = (t1 - t0) / 1e9;
	pe_xdp_tx_close(x);
	return rc;
}
