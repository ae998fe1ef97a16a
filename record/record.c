/* SPDX-License-Identifier: BSD-2-Clause */
/* The record writer: the start object with the common header, intervals and the summary, as
 * one JSON document or as JSON lines; and the number formats every record uses. */
#include "record/record.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <string.h>

#include "record/meta.h"

void pe_rec_add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

struct json_object *pe_rec_num(double v)
{
	char buf[32];

	if (!isfinite(v))
		v = 0;
	if (v == 0)
		v = 0; /* no "-0" */
	snprintf(buf, sizeof(buf), "%.6g", v);
	return json_object_new_double_s(v, buf);
}

struct json_object *pe_rec_secs(double v_s)
{
	char buf[48];
	size_t n;

	if (!isfinite(v_s) || fabs(v_s) < 5e-7)
		v_s = 0;
	n = (size_t)snprintf(buf, sizeof(buf), "%.6f", v_s);
	if (n >= sizeof(buf)) /* beyond any run: fall back to the general rule */
		return pe_rec_num(v_s);
	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 1 && buf[n - 1] == '.')
		buf[--n] = '\0';
	return json_object_new_double_s(v_s, buf);
}

void pe_rec_round(struct json_object *o)
{
	size_t i;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++) {
			struct json_object *v = json_object_array_get_idx(o, i);

			if (json_object_is_type(v, json_type_double))
				json_object_array_put_idx(o, i,
							  pe_rec_num(json_object_get_double(v)));
			else
				pe_rec_round(v);
		}
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val)
	{
		if (json_object_is_type(val, json_type_double))
			json_object_object_add(o, key, pe_rec_num(json_object_get_double(val)));
		else
			pe_rec_round(val);
	}
}

struct json_object *pe_rec_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

void pe_rec_add_frames(struct json_object *o, const char *dir, uint64_t frames, uint64_t bytes_l2,
		       uint64_t bytes_wire, double secs)
{
	char k[40];

#define KEY(name) (snprintf(k, sizeof(k), "%s_%s", dir, name), k)
	pe_rec_add(o, KEY("frames"), pe_rec_u64(frames));
	pe_rec_add(o, KEY("bytes_l2"), pe_rec_u64(bytes_l2));
	pe_rec_add(o, KEY("bytes_wire"), pe_rec_u64(bytes_wire));
	if (secs > 0) {
		pe_rec_add(o, KEY("frames_per_s"), pe_rec_num((double)frames / secs));
		pe_rec_add(o, KEY("bits_per_s_l2"), pe_rec_num((double)bytes_l2 * 8 / secs));
		pe_rec_add(o, KEY("bits_per_s_wire"), pe_rec_num((double)bytes_wire * 8 / secs));
	}
#undef KEY
}

int pe_rec_open(struct pe_rec *r, enum pe_rec_fmt fmt, FILE *out, const char *command)
{
	struct json_object *host;
	char now[40];

	memset(r, 0, sizeof(*r));
	r->fmt = fmt;
	r->out = out;
	if (fmt == PE_REC_TEXT)
		return 0;
	r->start = json_object_new_object();
	host = pe_host_json();
	if (fmt == PE_REC_JSON)
		r->intervals = json_object_new_array();
	if (!r->start || !host || (fmt == PE_REC_JSON && !r->intervals)) {
		json_object_put(host);
		pe_rec_close(r);
		r->fmt = fmt;
		return -ENOMEM;
	}
	pe_utc_now(now, sizeof(now));
	pe_rec_add(r->start, "command", json_object_new_string(command));
	pe_rec_add(r->start, "pkteng_version", json_object_new_string(pe_version()));
	pe_rec_add(r->start, "git_commit", json_object_new_string(pe_git_commit()));
	pe_rec_add(r->start, "time_utc", json_object_new_string(now));
	pe_rec_add(r->start, "host", host);
	return 0;
}

void pe_rec_set_backend(struct pe_rec *r, const char *backend, const char *fallback_reason)
{
	if (!r->start)
		return;
	pe_rec_add(r->start, "backend", json_object_new_string(backend));
	pe_rec_add(r->start, "backend_fallback",
		   fallback_reason ? json_object_new_string(fallback_reason) : NULL);
}

static void print_line(struct pe_rec *r, const char *event, struct json_object *body)
{
	struct json_object *o = json_object_new_object();

	/* schema and event first, then the body's keys in their order */
	pe_rec_add(o, "schema", json_object_new_int(PE_RECORD_SCHEMA));
	pe_rec_add(o, "event", json_object_new_string(event));
	json_object_object_foreach(body, key, val) pe_rec_add(o, key, json_object_get(val));
	fprintf(r->out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fflush(r->out);
	json_object_put(o);
}

void pe_rec_begin(struct pe_rec *r)
{
	if (r->fmt == PE_REC_TEXT || r->begun)
		return;
	r->begun = true;
	if (r->fmt == PE_REC_JSON_STREAM)
		print_line(r, "start", r->start);
}

static struct json_object *span(struct json_object *figs, double t0_s, double t1_s)
{
	struct json_object *o = json_object_new_object();

	/* the span first, so a line reads in time order */
	if (t1_s >= 0) {
		pe_rec_add(o, "t0_s", pe_rec_secs(t0_s));
		pe_rec_add(o, "t1_s", pe_rec_secs(t1_s));
	}
	if (figs) {
		json_object_object_foreach(figs, key, val) pe_rec_add(o, key, json_object_get(val));
		json_object_put(figs);
	}
	return o;
}

void pe_rec_interval(struct pe_rec *r, double t0_s, double t1_s, struct json_object *figs)
{
	struct json_object *o;

	if (r->fmt == PE_REC_TEXT || r->ended) {
		json_object_put(figs);
		return;
	}
	pe_rec_begin(r);
	o = span(figs, t0_s, t1_s);
	if (r->fmt == PE_REC_JSON_STREAM) {
		print_line(r, "interval", o);
		json_object_put(o);
	} else {
		json_object_array_add(r->intervals, o);
	}
}

void pe_rec_end(struct pe_rec *r, double t0_s, double t1_s, bool interrupted,
		struct json_object *figs)
{
	struct json_object *o, *doc;

	if (r->fmt == PE_REC_TEXT || r->ended) {
		json_object_put(figs);
		return;
	}
	pe_rec_begin(r);
	r->ended = true;
	o = span(figs, t0_s, t1_s);
	pe_rec_add(o, "interrupted", json_object_new_boolean(interrupted));
	if (r->fmt == PE_REC_JSON_STREAM) {
		print_line(r, "summary", o);
		json_object_put(o);
		return;
	}
	doc = json_object_new_object();
	pe_rec_add(doc, "schema", json_object_new_int(PE_RECORD_SCHEMA));
	pe_rec_add(doc, "start", json_object_get(r->start));
	pe_rec_add(doc, "intervals", json_object_get(r->intervals));
	pe_rec_add(doc, "summary", o);
	fprintf(r->out, "%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
	fflush(r->out);
	json_object_put(doc);
}

void pe_rec_close(struct pe_rec *r)
{
	json_object_put(r->start);
	json_object_put(r->intervals);
	r->start = NULL;
	r->intervals = NULL;
}

struct json_object *pe_rec_sync_wait(uint64_t at_ns, const volatile sig_atomic_t *stop)
{
	struct timespec at = { .tv_sec = (time_t)(at_ns / 1000000000ull),
			       .tv_nsec = (long)(at_ns % 1000000000ull) },
			now;
	struct json_object *sync = json_object_new_object();

	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, NULL) == EINTR && !*stop)
		;
	clock_gettime(CLOCK_REALTIME, &now);
	pe_rec_add(sync, "start_at_ns", pe_rec_u64(at_ns));
	pe_rec_add(sync, "started_ns",
		   pe_rec_u64((uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec));
	return sync;
}
