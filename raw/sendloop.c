/* SPDX-License-Identifier: BSD-2-Clause */
/* The paced send loop behind sendloop.h. Deadlines are absolute (frame k at t0 + k / rate,
 * or when the bytes so far fill the Mbit/s budget, or at the list's own timestamps), so a
 * late wake-up is made up by the next frames; a run that falls behind catches up in full
 * bursts. Frames are built per burst into one buffer each, then sent with one pe_tx_send(). */
#include "raw/sendloop.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "raw/interval.h"
#include "raw/rate.h"
#include "raw/stamp.h"

struct run {
	struct pe_send_opts o;
	bool resizes;	 /* --imix or a size variation: the payload is rewritten per frame */
	bool magic_done; /* the stamp's magic is in the template */
};

static bool stopped(const struct run *r)
{
	return r->o.stop && *r->o.stop;
}

/* Frame seq of the run into b: the list's next frame, or the template varied and stamped.
 * Returns its length, or the varier's negative errno. */
static int fill_frame(struct run *r, uint64_t seq, uint8_t *b)
{
	struct pe_frame_tmpl *t = r->o.tmpl;

	if (r->o.frames) {
		const struct pe_send_frame *f = &r->o.frames[seq % r->o.n_frames];

		memcpy(b, f->data, f->len);
		return f->len;
	}
	if (r->o.vary) {
		int err = pe_varier_apply(r->o.vary, t, seq);

		if (err)
			return err;
	}
	/* the magic stays put unless the size moves */
	if (r->o.stamp && !pe_stamp_frame(t, seq, !r->magic_done || r->resizes))
		r->magic_done = true;
	pe_frame_finish_fcs(t);
	memcpy(b, pe_frame_data(t), t->len);
	return t->len;
}

static void count_sent(const struct run *r, const uint16_t *lens, unsigned n,
		       struct pe_send_counts *tot, uint64_t *cum_bits)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t l2 = r->o.fcs_in_frame ? lens[i] - PE_FRAME_FCS_LEN : lens[i];

		tot->bytes_l2 += l2;
		tot->bytes_wire += pe_frame_wire_bytes(l2);
		/* --rate-mbps paces frame bytes with FCS, at least 64 (RFC 2544 sizes) */
		*cum_bits += 8 * pe_send_l2_bytes(lens[i], r->o.fcs_in_frame);
	}
	tot->frames += n;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The time from frame k of a list to the next one: the timestamps' difference, none when they
 * step back (a capture spliced from two, a clock set back: the next frame goes at once and the
 * gaps after it are kept), and 1 us from the last frame to the first when the list loops. */
static uint64_t list_gap(const struct pe_send_frame *f, size_t n, uint64_t k)
{
	const struct pe_send_frame *a = &f[k % n], *b = &f[(k + 1) % n];

	if ((k + 1) % n == 0)
		return 1000;
	return b->t_ns > a->t_ns ? b->t_ns - a->t_ns : 0;
}

static bool bad_number(double v)
{
	return !isfinite(v) || v < 0;
}

/* Seconds that fit in 64-bit nanoseconds with room to spare (about 31 years). */
static bool bad_seconds(double v)
{
	return bad_number(v) || v > 1e9;
}

/* The options into r->o, checked. 0 or -EINVAL. */
static int setup(struct run *r, const struct pe_send_opts *opts)
{
	struct pe_send_opts *o = &r->o;

	if (!opts || opts->sz < sizeof(opts->sz))
		return -EINVAL;
	/* a caller built against a later version: what this one does not know must be zero */
	for (size_t i = sizeof(*o); i < opts->sz; i++)
		if (((const uint8_t *)opts)[i])
			return -EINVAL;
	memcpy(o, opts, opts->sz < sizeof(*o) ? opts->sz : sizeof(*o));
	if (!o->tx || !o->tmpl == !o->frames || (o->frames && !o->n_frames) ||
	    (o->vary && !o->tmpl))
		return -EINVAL;
	if (bad_seconds(o->time_s) || bad_number(o->rate_pps) || bad_number(o->rate_mbps) ||
	    bad_seconds(o->interval_s) || (o->rate_pps > 0 && o->rate_mbps > 0) ||
	    (o->interval_s > 0 && !o->on_interval))
		return -EINVAL;
	if (o->vary) {
		r->resizes = o->vary->imix;
		for (unsigned i = 0; i < o->vary->n; i++)
			r->resizes |= o->vary->v[i].field == PE_VARY_SIZE;
	}
	return 0;
}

int pe_send_run(const struct pe_send_opts *opts, struct pe_send_result *res)
{
	struct run r = { 0 };
	struct pe_send_counts *tot = &res->tot, last = { 0 };
	const struct pe_send_frame *rf;
	size_t n_rf;
	unsigned burst_max, burst, maxlen;
	uint8_t *bufs = NULL;
	const uint8_t **ptrs = NULL;
	uint16_t *lens = NULL;
	struct pe_rate rate;
	struct pe_interval iv;
	uint64_t t0, k = 0, cum_bits = 0, list_ns = 0;
	double t0_s, t1_s;
	int rc = 0, r_flush;

	memset(res, 0, sizeof(*res));
	rc = setup(&r, opts);
	if (rc)
		return rc;
	rf = r.o.frames;
	n_rf = r.o.n_frames;
	burst = burst_max = pe_tx_burst(r.o.tx);
	maxlen = r.o.tmpl ? PE_FRAME_BUF_MAX : 65535;
	bufs = malloc((size_t)burst * maxlen);
	ptrs = calloc(burst, sizeof(*ptrs));
	lens = calloc(burst, sizeof(*lens));
	if (!bufs || !ptrs || !lens) {
		rc = -ENOMEM;
		goto out_free;
	}
	/* Paced runs send smaller bursts so frames stay close to their deadlines. */
	if (r.o.rate_pps > 0) {
		double b = r.o.rate_pps / 10000;

		burst = b < 1 ? 1 : b < burst ? (unsigned)b : burst;
	}
	if (r.o.rate_mbps > 0 || (rf && !r.o.rate_pps))
		burst = 1;
	pe_rate_init(&rate, r.o.rate_pps);
	t0 = rate.t0_ns;
	pe_interval_start_at(&iv, t0, r.o.interval_s, r.o.time_s); /* checked by setup() */
	while (!stopped(&r)) {
		unsigned n = burst;
		uint64_t due = t0, now;
		int sent_n;

		if (r.o.count && k >= r.o.count)
			break;
		if (r.o.rate_pps > 0) {
			/* Behind schedule (descheduled, a slow send): catch up in full bursts. */
			uint64_t behind =
				pe_ns_after(0, (pe_rate_now_ns() - t0) * r.o.rate_pps / 1e9);

			if (behind > k + n)
				n = behind - k < burst_max ? (unsigned)(behind - k) : burst_max;
		}
		if (r.o.count && r.o.count - k < n)
			n = (unsigned)(r.o.count - k);
		if (rf && !r.o.count) { /* the list once: a catch-up burst ends at its last frame */
			if (k >= n_rf)
				break;
			if (n_rf - k < n)
				n = (unsigned)(n_rf - k);
		}
		if (r.o.rate_pps > 0)
			due = pe_rate_due(&rate, k);
		else if (r.o.rate_mbps > 0)
			due = pe_ns_after(t0, cum_bits * 1000.0 / r.o.rate_mbps);
		else if (rf) /* the list's own timing: frame k is due list_ns after the first */
			due = t0 + list_ns < t0 ? UINT64_MAX : t0 + list_ns;
		if (iv.end_ns && due >= iv.end_ns)
			break;
		if (due > t0 && pe_wait_until(iv.next_ns && due > iv.next_ns ? iv.next_ns : due,
					      rate.spin_ns, r.o.stop) == -EINTR)
			break; /* a stop while it waited: nothing more is sent */
		now = pe_rate_now_ns();
		if (pe_interval_over(&iv, now))
			break;
		if (due > now && !(iv.next_ns && now >= iv.next_ns))
			continue;
		if (due <= now) {
			for (unsigned i = 0; i < n; i++) {
				uint8_t *b = bufs + (size_t)i * maxlen;
				int len = fill_frame(&r, k + i, b);

				if (len < 0) {
					res->err_frame = true;
					res->err_seq = k + i;
					rc = len;
					goto out;
				}
				lens[i] = (uint16_t)len;
				ptrs[i] = b;
			}
			sent_n = pe_tx_send(r.o.tx, ptrs, lens, n, &tot->retries);
			if (sent_n < 0 || (unsigned)sent_n < n) {
				int e = sent_n < 0 ? sent_n : pe_tx_error(r.o.tx);
				unsigned sent = sent_n > 0 ? (unsigned)sent_n : 0;

				count_sent(&r, lens, sent, tot, &cum_bits);
				k += sent;
				if (e == -EINTR && stopped(&r)) /* a stop while it waited */
					break;
				tot->errors++;
				res->err_frame = true;
				res->err_seq = k;
				res->err_len = lens[sent];
				rc = e < 0 ? e : -EIO;
				goto out;
			}
			count_sent(&r, lens, n, tot, &cum_bits);
			for (unsigned i = 0; rf && i < n; i++)
				list_ns = add_sat(list_ns, list_gap(rf, n_rf, k + i));
			k += n;
			now = pe_rate_now_ns();
		}
		if (pe_interval_due(&iv, now, &t0_s, &t1_s)) {
			struct pe_send_counts d = { tot->frames - last.frames,
						    tot->bytes_l2 - last.bytes_l2,
						    tot->bytes_wire - last.bytes_wire,
						    tot->retries - last.retries,
						    tot->errors - last.errors };

			r.o.on_interval(t0_s, t1_s, &d, r.o.ctx);
			last = *tot;
		}
	}
	r_flush = pe_tx_flush(r.o.tx);
	if (r_flush && !(r_flush == -EINTR && stopped(&r)))
		tot->errors++;
out:
	res->secs = (pe_rate_now_ns() - t0) / 1e9;
out_free:
	free(bufs);
	free(ptrs);
	free(lens);
	return rc;
}
