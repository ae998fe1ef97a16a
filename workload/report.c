/* SPDX-License-Identifier: BSD-2-Clause */
/* Figures, interval lines, summaries and JSON output for `pkteng client` and `pkteng bench`. */
#include "workload/report.h"

#include <json-c/json.h>
#include <stdlib.h>
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

const char *pe_fmt_bytes(char *buf, size_t len, double bytes)
{
	if (bytes >= 1024.0 * 1024 * 1024)
		snprintf(buf, len, "%.2f GBytes", bytes / (1024.0 * 1024 * 1024));
	else if (bytes >= 1024.0 * 1024)
		snprintf(buf, len, "%.2f MBytes", bytes / (1024.0 * 1024));
	else
		snprintf(buf, len, "%.2f KBytes", bytes / 1024.0);
	return buf;
}

/* The interval columns a mode fills on the client; a column always zero is left out. */
enum {
	COL_TX = 1,	/* the client sends: transfer and bitrate */
	COL_RX = 2,	/* the client receives */
	COL_TCP = 4,	/* per-flow TCP_INFO of the sender: retransmits and cwnd */
	COL_MSGS = 8,	/* datagrams/s sent */
	COL_TRANS = 16, /* transactions/s */
};

static unsigned columns(const struct pe_params *p)
{
	switch (p->mode) {
	case PE_MODE_STREAM:
		return (!p->reverse || p->bidir ? COL_TX | COL_TCP : 0) |
		       (p->reverse || p->bidir ? COL_RX : 0);
	case PE_MODE_UDP:
		return COL_TX | COL_MSGS;
	case PE_MODE_FILE:
		return COL_TX;
	default: /* the request/response modes */
		return COL_TX | COL_RX | COL_TRANS;
	}
}

static void header(struct pe_report *r, unsigned cols)
{
	bool both = (cols & (COL_TX | COL_RX)) == (COL_TX | COL_RX);

	fprintf(r->out, "[ ID] Interval         ");
	if (cols & COL_TX)
		fprintf(r->out, " %12s %14s", both ? "Sent" : "Transfer", "Bitrate");
	if (cols & COL_RX)
		fprintf(r->out, " %12s %14s", both ? "Received" : "Transfer", "Bitrate");
	if (cols & COL_TCP)
		fprintf(r->out, " %6s %12s", "Retr", "Cwnd");
	if (cols & COL_MSGS)
		fprintf(r->out, " %12s", "Datagrams/s");
	if (cols & COL_TRANS)
		fprintf(r->out, " %12s", "Trans/s");
	fputc('\n', r->out);
}

/* One line: label ("[  1]", "[SUM]"), the span, the columns; f is the flow's TCP_INFO (NULL:
 * the retransmits in retr and no cwnd, for [SUM]). */
static void line(struct pe_report *r, unsigned cols, const char *label, double t0, double t1,
		 const struct pe_counts *d, uint64_t retr, const struct pe_flow *f, bool omitted)
{
	double dt = t1 - t0 > 0 ? t1 - t0 : 1e-9;
	char a[32], b[32];

	fprintf(r->out, "%s %6.2f-%-6.2f sec", label, t0, t1);
	if (cols & COL_TX)
		fprintf(r->out, " %12s %14s", pe_fmt_bytes(a, sizeof(a), (double)d->bytes_tx),
			pe_fmt_bits(b, sizeof(b), (double)d->bytes_tx * 8 / dt));
	if (cols & COL_RX)
		fprintf(r->out, " %12s %14s", pe_fmt_bytes(a, sizeof(a), (double)d->bytes_rx),
			pe_fmt_bits(b, sizeof(b), (double)d->bytes_rx * 8 / dt));
	if (cols & COL_TCP) {
		fprintf(r->out, " %6llu", (unsigned long long)retr);
		if (f && f->have_tcp)
			fprintf(r->out, " %12s", pe_fmt_bytes(a, sizeof(a), (double)f->cwnd_bytes));
		else
			fprintf(r->out, " %12s", "");
	}
	if (cols & COL_MSGS)
		fprintf(r->out, " %12.0f", (double)d->msgs_tx / dt);
	if (cols & COL_TRANS)
		fprintf(r->out, " %12.0f", (double)d->transactions / dt);
	fprintf(r->out, "%s\n", omitted ? "  (omitted)" : "");
}

void pe_report_interval(struct pe_report *r, double t0, double t1, const struct pe_counts *d,
			const struct pe_flow *flows, unsigned n)
{
	unsigned cols = columns(r->params), i;
	bool omitted = r->params->omit_s > 0 && t0 < r->params->omit_s - 1e-6;
	struct json_object *o = NULL, *fa = NULL;
	uint64_t retr_sum = 0;
	char label[16];

	if (n && r->n_flows != n) {
		struct pe_flow *nl = calloc(n, sizeof(*nl));

		if (!nl) {
			n = 0;
		} else {
			if (r->flow_last)
				memcpy(nl, r->flow_last,
				       (r->n_flows < n ? r->n_flows : n) * sizeof(*nl));
			free(r->flow_last);
			r->flow_last = nl;
			r->n_flows = n;
		}
	}
	if (r->rec.fmt != PE_REC_TEXT) {
		o = pe_counts_record(d, t1 - t0);
		if (r->params->omit_s > 0)
			pe_rec_add(o, "omitted", json_object_new_boolean(omitted));
		if (n)
			fa = json_object_new_array();
	} else if (!r->header_done) {
		header(r, cols);
		r->header_done = true;
	}
	for (i = 0; i < n; i++) {
		struct pe_flow *last = &r->flow_last[i];
		struct pe_counts fd = { .bytes_tx = flows[i].bytes_tx - last->bytes_tx,
					.bytes_rx = flows[i].bytes_rx - last->bytes_rx };
		/* a closed socket has no TCP_INFO: its retransmits stay where they were */
		uint64_t cur = flows[i].have_tcp ? flows[i].retrans : last->retrans;
		uint64_t retr = cur - last->retrans;

		retr_sum += retr;
		if (o) {
			struct json_object *fo = json_object_new_object();
			double dt = t1 - t0 > 0 ? t1 - t0 : 1e-9;

			pe_rec_add(fo, "id", json_object_new_int((int)i + 1));
			pe_rec_add(fo, "tx_bytes", pe_rec_u64(fd.bytes_tx));
			pe_rec_add(fo, "rx_bytes", pe_rec_u64(fd.bytes_rx));
			pe_rec_add(fo, "tx_bits_per_s", pe_rec_num((double)fd.bytes_tx * 8 / dt));
			pe_rec_add(fo, "rx_bits_per_s", pe_rec_num((double)fd.bytes_rx * 8 / dt));
			if (cols & COL_TCP) {
				pe_rec_add(fo, "tcp_retransmits", pe_rec_u64(retr));
				pe_rec_add(fo, "tcp_cwnd_bytes",
					   flows[i].have_tcp ? pe_rec_u64(flows[i].cwnd_bytes)
							     : NULL);
			}
			json_object_array_add(fa, fo);
		} else {
			snprintf(label, sizeof(label), "[%3u]", i + 1);
			line(r, cols, label, t0, t1, &fd, retr, &flows[i], omitted);
		}
		last->bytes_tx = flows[i].bytes_tx;
		last->bytes_rx = flows[i].bytes_rx;
		last->retrans = cur;
	}
	if (o) {
		if (n && (cols & COL_TCP))
			pe_rec_add(o, "tcp_retransmits", pe_rec_u64(retr_sum));
		if (fa)
			pe_rec_add(o, "flows", fa);
		pe_rec_interval(&r->rec, t0, t1, o);
		return;
	}
	/* the sum, with more than one flow or when the mode keeps no flows */
	if (n != 1)
		line(r, cols & (n ? ~0u : ~(unsigned)COL_TCP),
		     n || r->params->conns > 1 ? "[SUM]" : "[  1]", t0, t1, d, retr_sum, NULL,
		     omitted);
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
		char omit[64] = "";

		if (r->params->omit_s > 0)
			snprintf(omit, sizeof(omit), " (the first %g s omitted)",
				 r->params->omit_s);
		fprintf(r->out, "-- %s summary%s%s\n", pe_mode_name(r->params->mode), omit,
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
	free(r->flow_last);
	r->flow_last = NULL;
	r->n_flows = 0;
	fflush(r->out);
}
