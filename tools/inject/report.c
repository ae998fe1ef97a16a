/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng inject` reports: interval lines or record intervals while sending, the final summary
 * after. Rates are in frames/s and Mbit/s at L2 (frame bytes without FCS) and on the wire
 * (padding, FCS, preamble and inter-frame gap: pe_frame_wire_bytes()). */
#include "tools/inject/report.h"

#include <json-c/json.h>
#include <stdio.h>

#include "record/meta.h"
#include "tools/cli.h"

int pe_inject_report_open(struct pe_inject_report *r, enum pe_rec_fmt fmt, const char *dev,
			  const char *method, struct json_object *params, const char *auto_why)
{
	if (pe_rec_open(&r->rec, fmt, stdout, "inject")) {
		json_object_put(params);
		json_object_put(r->sync);
		r->sync = NULL;
		return pe_fail("inject: out of memory");
	}
	if (!r->rec.start) {
		json_object_put(params);
		if (auto_why)
			printf("method %s (auto: %s)\n", method, auto_why);
		json_object_put(r->sync);
		r->sync = NULL;
		return 0;
	}
	if (r->sync)
		pe_rec_add(r->rec.start, "sync", r->sync);
	r->sync = NULL;
	pe_rec_set_backend(&r->rec, method, NULL);
	pe_rec_add(r->rec.start, "params", params ? params : json_object_new_object());
	pe_rec_add(r->rec.start, "dev", pe_dev_json(dev));
	pe_rec_begin(&r->rec);
	return 0;
}

static json_object *figures(const struct pe_send_counts *d, double secs)
{
	json_object *o = json_object_new_object();

	pe_rec_add_frames(o, "tx", d->frames, d->bytes_l2, d->bytes_wire, secs);
	pe_rec_add(o, "retries", pe_rec_u64(d->retries));
	pe_rec_add(o, "errors", pe_rec_u64(d->errors));
	return o;
}

static double mbit(uint64_t bytes, double secs)
{
	return secs > 0 ? (double)bytes * 8 / secs / 1e6 : 0;
}

void pe_inject_report_interval(struct pe_inject_report *r, double t0_s, double t1_s,
			       const struct pe_send_counts *d)
{
	double dt = t1_s - t0_s;

	if (r->rec.fmt != PE_REC_TEXT) {
		pe_rec_interval(&r->rec, t0_s, t1_s, figures(d, dt));
		return;
	}
	printf("[%7.2fs] %10.0f frames/s %10.3f Mbit/s L2 %10.3f Mbit/s wire  retries %llu "
	       "errors %llu\n",
	       t1_s, dt > 0 ? d->frames / dt : 0, mbit(d->bytes_l2, dt), mbit(d->bytes_wire, dt),
	       (unsigned long long)d->retries, (unsigned long long)d->errors);
	fflush(stdout);
}

void pe_inject_report_final(struct pe_inject_report *r, const char *dev, const char *method,
			    const struct pe_send_counts *s, double secs, bool interrupted)
{
	if (r->rec.fmt != PE_REC_TEXT) {
		pe_rec_end(&r->rec, 0, secs, interrupted, figures(s, secs));
		return;
	}
	printf("sent %llu frames (%llu bytes L2) in %.3f s: %.0f frames/s, %.3f Mbit/s L2, "
	       "%.3f Mbit/s wire; retries %llu, errors %llu (%s on %s)\n",
	       (unsigned long long)s->frames, (unsigned long long)s->bytes_l2, secs,
	       secs > 0 ? s->frames / secs : 0, mbit(s->bytes_l2, secs), mbit(s->bytes_wire, secs),
	       (unsigned long long)s->retries, (unsigned long long)s->errors, method, dev);
}

void pe_inject_report_free(struct pe_inject_report *r)
{
	pe_rec_close(&r->rec);
}
