/* SPDX-License-Identifier: BSD-2-Clause */
/* A test's figures in the result record's vocabulary (docs/results.md, client and bench): units
 * in the key names, tx_/rx_ for direction, payload bytes at the socket. The control protocol
 * keeps its own names (pe_figures_to_json), so peers of other versions still understand it. */
#include "workload/report.h"

#include <json-c/json.h>

#include "record/record.h"

static double rate(double n, double secs)
{
	return secs > 0 ? n / secs : 0;
}

static void add_counts(struct json_object *o, const struct pe_counts *d, double secs)
{
#define X(wire, rec, field) pe_rec_add(o, #rec, pe_rec_u64(d->field));
	PE_COUNT_FIELDS(X)
#undef X
	pe_rec_add(o, "tx_bits_per_s", pe_rec_num(rate((double)d->bytes_tx * 8, secs)));
	pe_rec_add(o, "rx_bits_per_s", pe_rec_num(rate((double)d->bytes_rx * 8, secs)));
	pe_rec_add(o, "transactions_per_s", pe_rec_num(rate((double)d->transactions, secs)));
}

struct json_object *pe_counts_record(const struct pe_counts *d, double secs)
{
	struct json_object *o = json_object_new_object();

	add_counts(o, d, secs);
	return o;
}

/* The histogram's non-empty buckets as [[upper_ns, count], ...] in rising order: sparse, so a
 * run of a few hundred distinct latencies costs a few hundred pairs, and exact, so records of
 * many runs can be merged bucket by bucket (upper_ns is the bucket's highest value). */
static struct json_object *hist_record(const struct pe_hist *h)
{
	struct json_object *a = json_object_new_array();
	uint64_t lo, hi;
	unsigned i;

	for (i = 0; i < PE_HIST_BUCKETS; i++) {
		struct json_object *pair;

		if (!h->n[i])
			continue;
		pe_hist_bucket_range(i, &lo, &hi);
		pair = json_object_new_array_ext(2);
		json_object_array_add(pair, pe_rec_u64(hi));
		json_object_array_add(pair, pe_rec_u64(h->n[i]));
		json_object_array_add(a, pair);
	}
	return a;
}

struct json_object *pe_figures_record(const struct pe_figures *f)
{
	struct json_object *o = json_object_new_object();

	pe_rec_add(o, "ok", json_object_new_boolean(f->ok));
	if (!f->ok)
		pe_rec_add(o, "error", json_object_new_string(f->error));
	pe_rec_add(o, "duration_s", pe_rec_secs(f->seconds));
	add_counts(o, &f->c, f->seconds);
	pe_rec_add(o, "cpu_user_pct", pe_rec_num(f->user_pct));
	pe_rec_add(o, "cpu_sys_pct", pe_rec_num(f->sys_pct));
#define X(wire, rec, field) pe_rec_add(o, #rec, pe_rec_u64(f->field));
	PE_FIGURE_FIELDS(X)
#undef X
	pe_rec_add(o, "lat_mean_ns", pe_rec_num(f->lat_mean_ns));
	pe_rec_add(o, "udp_send_errno", json_object_new_int64(f->udp_send_errno));
	pe_rec_add(o, "udp_loss_pct",
		   pe_rec_num(f->udp_sent ? 100.0 * (double)f->udp_lost / (double)f->udp_sent : 0));
	pe_rec_add(o, "udp_jitter_ns", pe_rec_num(f->jitter_ns));
	pe_rec_add(o, "first_bad_offset_bytes",
		   f->first_bad_offset >= 0 ? json_object_new_int64(f->first_bad_offset) : NULL);
	if (f->sha256[0])
		pe_rec_add(o, "file_sha256", json_object_new_string(f->sha256));
	if (f->lat_hist)
		pe_rec_add(o, "lat_hist", hist_record(f->lat_hist));
	return o;
}

struct json_object *pe_params_record(const struct pe_params *p)
{
	struct json_object *hello = pe_proto_hello(p), *pp = NULL, *o = json_object_new_object();

	pe_rec_add(o, "mode", json_object_new_string(pe_mode_name(p->mode)));
	if (json_object_object_get_ex(hello, "params", &pp)) {
		json_object_object_foreach(pp, key, val) pe_rec_add(o, key, json_object_get(val));
	}
	json_object_put(hello);
	pe_rec_round(o);
	return o;
}

struct json_object *pe_result_record(const struct pe_figures *cli, const struct pe_figures *srv)
{
	struct json_object *o = json_object_new_object();

	pe_rec_add(o, "ok", json_object_new_boolean(cli->ok && srv && srv->ok));
	pe_rec_add(o, "proto_version", json_object_new_int(PE_PROTO_VERSION));
	pe_rec_add(o, "client", pe_figures_record(cli));
	pe_rec_add(o, "server", srv ? pe_figures_record(srv) : NULL);
	return o;
}
