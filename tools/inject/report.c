/* `pkteng inject` reports: interval lines or JSON objects while sending, the final summary
 * after. Rates are in frames/s and Mbit/s at L2 (frame bytes with FCS) and on the wire (plus
 * the 20 bytes of preamble and inter-frame gap a frame). */
#include "tools/inject/report.h"

#include <json-c/json.h>
#include <stdio.h>

void pe_inject_report_init(struct pe_inject_report *r, bool json)
{
	r->json = json;
	r->intervals = json ? json_object_new_array() : NULL;
}

static void report_line(double t, double dt, const struct pe_send_counts *d)
{
	double pps = dt > 0 ? d->frames / dt : 0;

	printf("[%7.2fs] %10.0f frames/s %10.3f Mbit/s L2 %10.3f Mbit/s wire  retries %llu "
	       "errors %llu\n",
	       t, pps, dt > 0 ? d->bytes_l2 * 8 / dt / 1e6 : 0,
	       dt > 0 ? (d->bytes_l2 + 20.0 * d->frames) * 8 / dt / 1e6 : 0,
	       (unsigned long long)d->retries, (unsigned long long)d->errors);
}

void pe_inject_report_interval(struct pe_inject_report *r, double t_s, double dt_s,
			       const struct pe_send_counts *d)
{
	json_object *o;

	if (!r->intervals) {
		report_line(t_s, dt_s, d);
		fflush(stdout);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "t", json_object_new_double(t_s));
	json_object_object_add(o, "frames", json_object_new_uint64(d->frames));
	json_object_object_add(o, "frames_per_s", json_object_new_double(d->frames / dt_s));
	json_object_object_add(o, "retries", json_object_new_uint64(d->retries));
	json_object_array_add(r->intervals, o);
}

static void print_json(const struct pe_inject_report *r, const char *dev, const char *method,
		       const struct pe_send_counts *s, double secs)
{
	json_object *o = json_object_new_object();
	json_object *iv = r->intervals;

	json_object_object_add(o, "dev", json_object_new_string(dev));
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "frames", json_object_new_uint64(s->frames));
	json_object_object_add(o, "bytes_l2", json_object_new_uint64(s->bytes_l2));
	json_object_object_add(o, "seconds", json_object_new_double(secs));
	json_object_object_add(o, "frames_per_s",
			       json_object_new_double(secs > 0 ? s->frames / secs : 0));
	json_object_object_add(o, "mbit_per_s_l2",
			       json_object_new_double(secs > 0 ? s->bytes_l2 * 8 / secs / 1e6 : 0));
	json_object_object_add(
		o, "mbit_per_s_wire",
		json_object_new_double(secs > 0 ? (s->bytes_l2 + 20.0 * s->frames) * 8 / secs / 1e6
						: 0));
	json_object_object_add(o, "retries", json_object_new_uint64(s->retries));
	json_object_object_add(o, "errors", json_object_new_uint64(s->errors));
	json_object_object_add(o, "intervals", iv ? json_object_get(iv) : json_object_new_array());
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

void pe_inject_report_final(const struct pe_inject_report *r, const char *dev, const char *method,
			    const struct pe_send_counts *s, double secs)
{
	if (r->json) {
		print_json(r, dev, method, s, secs);
		return;
	}
	printf("sent %llu frames (%llu bytes L2) in %.3f s: %.0f frames/s, %.3f Mbit/s L2, "
	       "%.3f Mbit/s wire; retries %llu, errors %llu (%s on %s)\n",
	       (unsigned long long)s->frames, (unsigned long long)s->bytes_l2, secs,
	       secs > 0 ? s->frames / secs : 0, secs > 0 ? s->bytes_l2 * 8 / secs / 1e6 : 0,
	       secs > 0 ? (s->bytes_l2 + 20.0 * s->frames) * 8 / secs / 1e6 : 0,
	       (unsigned long long)s->retries, (unsigned long long)s->errors, method, dev);
}

void pe_inject_report_free(struct pe_inject_report *r)
{
	if (r->intervals)
		json_object_put(r->intervals);
	r->intervals = NULL;
}
