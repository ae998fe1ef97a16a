/* SPDX-License-Identifier: BSD-2-Clause */
/* Figures, interval lines, summaries and JSON output for `pkteng client` and `pkteng bench`. */
#include "workload/report.h"

#include <json-c/json.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
}

void pe_cpu_now(struct pe_cpu *c)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	c->wall_ns = pe_now_ns();
	c->user_ns = tv_ns(ru.ru_utime);
	c->sys_ns = tv_ns(ru.ru_stime);
}

void pe_cpu_pct(const struct pe_cpu *a, const struct pe_cpu *b, double *user_pct, double *sys_pct)
{
	double wall = (double)(b->wall_ns - a->wall_ns);

	*user_pct = wall > 0 ? 100.0 * (double)(b->user_ns - a->user_ns) / wall : 0;
	*sys_pct = wall > 0 ? 100.0 * (double)(b->sys_ns - a->sys_ns) / wall : 0;
}

void pe_figures_init(struct pe_figures *f)
{
	memset(f, 0, sizeof(*f));
	f->ok = true;
	f->first_bad_offset = -1;
}

void pe_figures_set_hist(struct pe_figures *f, const struct pe_hist *h)
{
	f->lat_count = h->count;
	f->lat_min_ns = h->count ? h->min : 0;
	f->lat_p50_ns = pe_hist_quantile(h, 0.5);
	f->lat_p90_ns = pe_hist_quantile(h, 0.9);
	f->lat_p99_ns = pe_hist_quantile(h, 0.99);
	f->lat_p999_ns = pe_hist_quantile(h, 0.999);
	f->lat_max_ns = h->max;
	f->lat_mean_ns = pe_hist_mean(h);
}

/* The control protocol's floating-point figures. */
#define DBL_FIELDS(X)                                                                              \
	X(seconds)                                                                                 \
	X(user_pct)                                                                                \
	X(sys_pct)                                                                                 \
	X(lat_mean_ns)                                                                             \
	X(jitter_ns)

struct json_object *pe_figures_to_json(const struct pe_figures *f)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(f->ok));
	if (!f->ok)
		json_object_object_add(o, "error", json_object_new_string(f->error));
#define X(wire, rec, field)                                                                        \
	json_object_object_add(o, #wire, json_object_new_int64((int64_t)f->c.field));
	PE_COUNT_FIELDS(X)
#undef X
#define X(wire, rec, field)                                                                        \
	json_object_object_add(o, #wire, json_object_new_int64((int64_t)f->field));
	PE_FIGURE_FIELDS(X)
#undef X
#define X(field) json_object_object_add(o, #field, json_object_new_double(f->field));
	DBL_FIELDS(X)
#undef X
	json_object_object_add(o, "udp_send_errno", json_object_new_int64(f->udp_send_errno));
	json_object_object_add(o, "first_bad_offset", json_object_new_int64(f->first_bad_offset));
	if (f->sha256[0])
		json_object_object_add(o, "sha256", json_object_new_string(f->sha256));
	return o;
}

void pe_figures_from_json(struct pe_figures *f, struct json_object *o)
{
	pe_figures_init(f);
	f->ok = pe_json_i64(o, "ok", 0) != 0;
	snprintf(f->error, sizeof(f->error), "%s", pe_json_str(o, "error", ""));
#define X(wire, rec, field) f->c.field = (uint64_t)pe_json_i64(o, #wire, 0);
	PE_COUNT_FIELDS(X)
#undef X
#define X(wire, rec, field) f->field = (uint64_t)pe_json_i64(o, #wire, 0);
	PE_FIGURE_FIELDS(X)
#undef X
#define X(field) f->field = pe_json_dbl(o, #field, 0);
	DBL_FIELDS(X)
#undef X
	f->udp_send_errno = pe_json_i64(o, "udp_send_errno", 0);
	f->first_bad_offset = pe_json_i64(o, "first_bad_offset", -1);
	snprintf(f->sha256, sizeof(f->sha256), "%s", pe_json_str(o, "sha256", ""));
}

const char *pe_fmt_bits(char *buf, size_t len, double bps)
{
	if (bps >= 1e9)
		snprintf(buf, len, "%.2f Gbit/s", bps / 1e9);
	else if (bps >= 1e6)
		snprintf(buf, len, "%.2f Mbit/s", bps / 1e6);
	else
		snprintf(buf, len, "%.2f kbit/s", bps / 1e3);
	return buf;
}

int pe_report_init(struct pe_report *r, enum pe_rec_fmt fmt, FILE *out, const struct pe_params *p,
		   const char *host, const char *port, enum pe_backend b)
{
	struct json_object *pp;
	int err;

	memset(r, 0, sizeof(*r));
	r->out = out;
	r->params = p;
	err = pe_rec_open(&r->rec, fmt, out, "client");
	if (err || !r->rec.start)
		return err;
	pe_rec_set_backend(&r->rec, pe_backend_name(b), NULL);
	pp = pe_params_record(p);
	pe_rec_add(pp, "host", json_object_new_string(host));
	pe_rec_add(pp, "port", json_object_new_string(port));
	pe_rec_add(r->rec.start, "params", pp);
	return 0;
}

void pe_report_backend(struct pe_report *r, const char *backend, const char *fallback_reason)
{
	if (!r->rec.begun)
		pe_rec_set_backend(&r->rec, backend, fallback_reason);
}

void pe_report_interval(struct pe_report *r, double t0, double t1, const struct pe_counts *d)
{
	double dt = t1 - t0 > 0 ? t1 - t0 : 1e-9;
	char a[32], b[32];

	if (r->rec.fmt != PE_REC_TEXT) {
		pe_rec_interval(&r->rec, t0, t1, pe_counts_record(d, t1 - t0));
		return;
	}
	if (!r->header_done) {
		fprintf(r->out, "%-15s %16s %16s %12s %12s\n", "interval", "sent", "received",
			"msgs/s out", "trans/s");
		r->header_done = true;
	}
	fprintf(r->out, "%6.2f-%-6.2f s  %16s %16s %12.0f %12.0f\n", t0, t1,
		pe_fmt_bits(a, sizeof(a), (double)d->bytes_tx * 8 / dt),
		pe_fmt_bits(b, sizeof(b), (double)d->bytes_rx * 8 / dt), (double)d->msgs_tx / dt,
		(double)d->transactions / dt);
	fflush(r->out);
}

static void side_text(FILE *out, const char *who, const struct pe_params *p,
		      const struct pe_figures *f)
{
	double s = f->seconds > 0 ? f->seconds : 1e-9;
	char a[32], b[32];

	fprintf(out,
		"%-7s %7.2f s  sent %s (%llu B)  received %s (%llu B)  cpu %.1f%% user %.1f%% "
		"sys\n",
		who, f->seconds, pe_fmt_bits(a, sizeof(a), (double)f->c.bytes_tx * 8 / s),
		(unsigned long long)f->c.bytes_tx,
		pe_fmt_bits(b, sizeof(b), (double)f->c.bytes_rx * 8 / s),
		(unsigned long long)f->c.bytes_rx, f->user_pct, f->sys_pct);
	if (f->c.transactions)
		fprintf(out, "        %llu transactions, %.0f/s\n",
			(unsigned long long)f->c.transactions, (double)f->c.transactions / s);
	if (f->lat_count)
		fprintf(out,
			"        latency us: min %.1f p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f "
			"max %.1f mean %.1f\n",
			f->lat_min_ns / 1e3, f->lat_p50_ns / 1e3, f->lat_p90_ns / 1e3,
			f->lat_p99_ns / 1e3, f->lat_p999_ns / 1e3, f->lat_max_ns / 1e3,
			f->lat_mean_ns / 1e3);
	if (f->udp_send_errors)
		fprintf(out, "        udp: %llu datagrams refused by the kernel (last: %s)\n",
			(unsigned long long)f->udp_send_errors, strerror((int)-f->udp_send_errno));
	if (pe_mode_desc(p->mode)->text)
		pe_mode_desc(p->mode)->text(out, p, f);
	if (!f->ok)
		fprintf(out, "        FAILED: %s\n", f->error);
}

void pe_report_verify_line(FILE *out, const struct pe_figures *f)
{
	fprintf(out, "        verify: %llu mismatched bytes", (unsigned long long)f->verify_errors);
	if (f->verify_errors)
		fprintf(out, ", first at offset %lld", (long long)f->first_bad_offset);
	fputc('\n', out);
}

void pe_report_summary(struct pe_report *r, const struct pe_figures *cli,
		       const struct pe_figures *srv)
{
	if (r->rec.fmt == PE_REC_TEXT) {
		fprintf(r->out, "-- %s summary%s\n", pe_mode_name(r->params->mode),
			r->interrupted ? " (interrupted)" : "");
		side_text(r->out, "client", r->params, cli);
		if (srv)
			side_text(r->out, "server", r->params, srv);
		else
			fprintf(r->out, "server  no figures (the server did not answer)\n");
	} else {
		pe_rec_end(&r->rec, 0, cli->seconds, r->interrupted, pe_result_record(cli, srv));
	}
	pe_rec_close(&r->rec);
	fflush(r->out);
}
