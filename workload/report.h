/* SPDX-License-Identifier: BSD-2-Clause */
/* What a test measured and how it is shown: per-side figures, interval lines, the final
 * summary, one JSON document (--json) or one JSON object per line (--json-stream), and the
 * CPU use of the thread that ran the test, from getrusage(2). */
#ifndef PKTENG_WORKLOAD_REPORT_H
#define PKTENG_WORKLOAD_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/hist.h"
#include "engine/loop.h"
#include "record/record.h"
#include "workload/proto.h"

struct json_object;

/* CPU time of the calling thread (getrusage RUSAGE_THREAD): a test runs on one thread on each
 * side, so this is the test's own CPU use even when one server process runs many tests and
 * when `pkteng bench` runs both sides in one process. */
struct pe_cpu {
	uint64_t wall_ns, user_ns, sys_ns;
};
void pe_cpu_now(struct pe_cpu *c);
/* user and sys time as a percentage of one CPU over the wall time between a and b. */
void pe_cpu_pct(const struct pe_cpu *a, const struct pe_cpu *b, double *user_pct, double *sys_pct);

/* Counters one side keeps while a test runs. Plain integers, summed over connections. */
struct pe_counts {
	uint64_t bytes_tx, bytes_rx;
	uint64_t msgs_tx, msgs_rx; /* datagrams, requests or echo blocks */
	uint64_t transactions;	   /* rr/crr/echo round trips completed */
};

/* One flow's totals so far (a stream connection), for the per-flow interval lines: bytes, and
 * when have_tcp the kernel's TCP_INFO of the socket: retransmitted segments in all, and the
 * congestion window now (snd_cwnd x snd_mss). */
struct pe_flow {
	uint64_t bytes_tx, bytes_rx;
	uint64_t retrans;
	uint64_t cwnd_bytes;
	bool have_tcp;
};

/* One side's figures at the end of a test. */
struct pe_figures {
	bool ok;
	char error[256]; /* why it failed, "" when ok */
	double seconds;
	struct pe_counts c;
	double user_pct, sys_pct; /* process CPU over the run */
	/* latency (client side of rr/crr/echo), nanoseconds */
	uint64_t lat_count, lat_min_ns, lat_p50_ns, lat_p90_ns, lat_p99_ns, lat_p999_ns, lat_max_ns;
	double lat_mean_ns;
	/* udp receiver */
	uint64_t udp_received, udp_lost, udp_reordered, udp_duplicates, udp_sent;
	uint64_t
		udp_out_of_window; /* numbers too far behind or ahead to track (workload/seqwin.h) */
	uint64_t udp_send_errors;  /* sender: datagrams the kernel refused (counted in udp_lost) */
	uint64_t udp_rcvbuf_drops; /* receiver: dropped by its full socket buffer (in udp_lost) */
	int64_t udp_send_errno;	   /* the last such error, negative errno */
	double jitter_ns;
	/* udp-rr client: requests unanswered within --rr-timeout, requests sent again after one,
	 * and responses that came after their request was given up (ignored) */
	uint64_t rr_timeouts, rr_retries, rr_late;
	/* stream --verify and echo: mismatches; first bad offset or -1 */
	uint64_t verify_errors;
	int64_t first_bad_offset;
	/* kernel's per-socket view, summed at the end (TCP_INFO) */
	uint64_t tcpi_bytes_acked, tcpi_bytes_received;
	/* file */
	uint64_t file_bytes;
	char sha256[65];
	/* the whole latency histogram for the result record ("lat_hist"), or NULL; borrowed (the
	 * caller keeps it alive while the figures are used) and never sent on the control channel */
	const struct pe_hist *lat_hist;
};

/* The counted figures, named once for both vocabularies: X(control protocol key, result record
 * key, field). The control protocol keeps its names (peers of other versions read them); the
 * record's are docs/results.md's. PE_COUNT_FIELDS are members of struct pe_counts. */
/* clang-format off */
#define PE_COUNT_FIELDS(X)                                                                         \
	X(bytes_tx, tx_bytes, bytes_tx)                                                            \
	X(bytes_rx, rx_bytes, bytes_rx)                                                            \
	X(msgs_tx, tx_msgs, msgs_tx)                                                               \
	X(msgs_rx, rx_msgs, msgs_rx)                                                               \
	X(transactions, transactions, transactions)
#define PE_FIGURE_FIELDS(X)                                                                        \
	X(lat_count, lat_count, lat_count)                                                         \
	X(lat_min_ns, lat_min_ns, lat_min_ns)                                                      \
	X(lat_p50_ns, lat_p50_ns, lat_p50_ns)                                                      \
	X(lat_p90_ns, lat_p90_ns, lat_p90_ns)                                                      \
	X(lat_p99_ns, lat_p99_ns, lat_p99_ns)                                                      \
	X(lat_p999_ns, lat_p999_ns, lat_p999_ns)                                                   \
	X(lat_max_ns, lat_max_ns, lat_max_ns)                                                      \
	X(udp_sent, udp_tx_datagrams, udp_sent)                                                    \
	X(udp_received, udp_rx_datagrams, udp_received)                                            \
	X(udp_lost, udp_lost_datagrams, udp_lost)                                                  \
	X(udp_reordered, udp_reordered_datagrams, udp_reordered)                                   \
	X(udp_duplicates, udp_duplicate_datagrams, udp_duplicates)                                 \
	X(udp_out_of_window, udp_out_of_window_datagrams, udp_out_of_window)                       \
	X(udp_send_errors, udp_send_errors, udp_send_errors)                                       \
	X(udp_rcvbuf_drops, udp_rcvbuf_drops, udp_rcvbuf_drops)                                    \
	X(rr_timeouts, rr_timeouts, rr_timeouts)                                                   \
	X(rr_retries, rr_retries, rr_retries)                                                      \
	X(rr_late, rr_late, rr_late)                                                               \
	X(verify_errors, verify_mismatched_bytes, verify_errors)                                   \
	X(tcpi_bytes_acked, tcpi_bytes_acked, tcpi_bytes_acked)                                    \
	X(tcpi_bytes_received, tcpi_bytes_received, tcpi_bytes_received)                           \
	X(file_bytes, file_bytes, file_bytes)
/* clang-format on */

void pe_figures_init(struct pe_figures *f);
void pe_figures_set_hist(struct pe_figures *f, const struct pe_hist *h);
/* Figures <-> JSON object (what the server sends in "result"). to_json returns a new object. */
struct json_object *pe_figures_to_json(const struct pe_figures *f);
void pe_figures_from_json(struct pe_figures *f, struct json_object *o);

/* The figures in the result record's vocabulary (report_rec.c, docs/results.md): an interval's
 * counts over secs seconds; one side's figures; the test's parameters (with "mode"); the
 * summary of a test, {ok, proto_version, client, server} (srv NULL: server null). Each returns
 * a new object. */
struct json_object *pe_counts_record(const struct pe_counts *d, double secs);
struct json_object *pe_figures_record(const struct pe_figures *f);
struct json_object *pe_params_record(const struct pe_params *p);
struct json_object *pe_result_record(const struct pe_figures *cli, const struct pe_figures *srv);

/* How the client prints: text lines, or the result record (PE_REC_JSON, PE_REC_JSON_STREAM). */
struct pe_report {
	struct pe_rec rec; /* rec.fmt says which */
	FILE *out;
	const struct pe_params *params;
	bool header_done;
	bool interrupted;	   /* set before pe_report_summary: a signal ended the test early */
	struct pe_flow *flow_last; /* per-flow totals at the previous interval */
	unsigned n_flows;
};

/* Starts the report of a test of p against host:port on backend b (the one asked for, until
 * pe_report_backend says which runs). Returns 0 or -ENOMEM. */
int pe_report_init(struct pe_report *r, enum pe_rec_fmt fmt, FILE *out, const struct pe_params *p,
		   const char *host, const char *port, enum pe_backend b);
/* The backend the test's loop runs, and why it is not the one asked for (NULL: it is).
 * Before the first interval. */
void pe_report_backend(struct pe_report *r, const char *backend, const char *fallback_reason);
/* One interval [t0_s, t1_s] of the run with the counts in it (a delta, not a total), and the
 * per-flow totals (flows may be NULL, n 0: the mode does not keep them). Text: one line per
 * flow and a [SUM] line with more than one, in the columns the mode fills (stream: transfer,
 * bitrate, and when the client sends, TCP retransmits and cwnd); intervals before -O's end say
 * "(omitted)". JSON: the counts, "omitted", and "flows" when there are flows. */
void pe_report_interval(struct pe_report *r, double t0_s, double t1_s, const struct pe_counts *d,
			const struct pe_flow *flows, unsigned n);
/* The final summary: the client's and the server's figures (server may be NULL when the
 * server never answered). Frees the record. */
void pe_report_summary(struct pe_report *r, const struct pe_figures *cli,
		       const struct pe_figures *srv);

/* The "verify: N mismatched bytes[, first at offset O]" summary line of the side that checks. */
void pe_report_verify_line(FILE *out, const struct pe_figures *f);

/* "9.41 Gbit/s" style formatting into buf. */
const char *pe_fmt_bits(char *buf, size_t len, double bits_per_s);
/* "1.10 GBytes" style, binary (iperf3's "MBytes" are 2^20 bytes) into buf. */
const char *pe_fmt_bytes(char *buf, size_t len, double bytes);

#endif
