/* SPDX-License-Identifier: BSD-2-Clause */
/* A mode is one descriptor: its name, the parameters it takes with their defaults and ranges,
 * the data connections it needs, its loop options, its figures and how they print, and its
 * operations. Parameters are declared once (PE_PARAMS) and that list makes struct pe_params,
 * the hello message in both directions, the command line's options, range checks and --help,
 * and the JSON "params". A new mode is its own file plus one line in PE_MODES. */
#ifndef PKTENG_WORKLOAD_MODE_H
#define PKTENG_WORKLOAD_MODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pe_loop_opts;
struct pe_figures;
struct pe_work_ops;

/* X(ENUM, symbol): PE_MODE_ENUM, described by `pe_mode_symbol` (defined in the mode's file). */
#define PE_MODES(X)                                                                                \
	X(STREAM, stream)                                                                          \
	X(RR, rr)                                                                                  \
	X(CRR, crr)                                                                                \
	X(UDP, udp)                                                                                \
	X(ECHO, echo)                                                                              \
	X(FILE, file)                                                                              \
	X(UDP_RR, udp_rr)

enum pe_mode {
#define PE_X(e, s) PE_MODE_##e,
	PE_MODES(PE_X)
#undef PE_X
		PE_MODE__COUNT
};

/* How a parameter is typed on the command line and carried in the hello. */
enum pe_param_kind {
	PE_PK_SECONDS, /* double; "0.5" */
	PE_PK_SIZE,    /* integer with binary K/M/G suffixes (K = Ki = 1024), as iperf3 */
	PE_PK_RATE,    /* integer with decimal K/M/G suffixes (G = 10^9), as iperf3 */
	PE_PK_COUNT,   /* plain integer */
	PE_PK_FLAG,    /* bool; an option without argument */
	PE_PK_TEXT, /* string; an option when it has a long option name, else the client fills it */
};

/* Every parameter of every mode, once:
 * X(ID, field, C type, array bound, kind, long option, short option, argument, unit, min, max,
 *   default, help). The field is also the hello's JSON key. No long option: not on the command
 * line. A value equal to the default is always accepted (0 often means "not set"); any other
 * value must lie in [min, max], or in the mode's own range (struct pe_param_limit). */
#define PE_P_SIZE_MAX (double)(1ull << 62)
/* clang-format off */
#define PE_PARAMS(X)                                                                               \
	X(DURATION, duration_s, double, , PE_PK_SECONDS, "time", 't', "SECONDS", "seconds", 0,     \
	  86400, 10, "run time (default 10; with -n and no -t, until the bytes are sent)")         \
	X(BYTES_TOTAL, bytes_total, uint64_t, , PE_PK_SIZE, "bytes", 'n', "BYTES", "bytes", 1,     \
	  PE_P_SIZE_MAX, 0, "bytes per flow and direction (K/M/G = Ki/Mi/Gi: x1024)")                \
	X(LEN, len_bytes, uint32_t, , PE_PK_SIZE, "len", 'l', "BYTES", "bytes", 1, 64 << 20, 64,   \
	  "block, request or datagram size")                                                       \
	X(RESP_LEN, resp_len_bytes, uint32_t, , PE_PK_SIZE, "resp-len", 0, "BYTES", "bytes", 1,    \
	  64 << 20, 64, "response size (default 64)")                                              \
	X(CONNS, conns, uint32_t, , PE_PK_COUNT, "conns", 'P', "N", "", 1, 4096, 1,                \
	  "flows, connections or sockets (default 1)")                                             \
	X(REVERSE, reverse, bool, , PE_PK_FLAG, "reverse", 'R', NULL, "", 0, 1, 0,                 \
	  "the server sends")                                                                      \
	X(BIDIR, bidir, bool, , PE_PK_FLAG, "bidir", 0, NULL, "", 0, 1, 0, "both send")            \
	X(ZEROCOPY, zerocopy, bool, , PE_PK_FLAG, "zerocopy", 'Z', NULL, "", 0, 1, 0,              \
	  "SEND_ZC on io_uring, sendfile from a memfd on epoll")                                   \
	X(SKIP_RX_COPY, skip_rx_copy, bool, , PE_PK_FLAG, "skip-rx-copy", 0, NULL, "", 0, 1, 0,    \
	  "the receiver discards bytes in the kernel (MSG_TRUNC) instead of copying them")        \
	X(VERIFY, verify, bool, , PE_PK_FLAG, "verify", 0, NULL, "", 0, 1, 0,                      \
	  "the receiver checks every byte of the keyed pattern")                                   \
	X(GSO, gso, bool, , PE_PK_FLAG, "gso", 0, NULL, "", 0, 1, 0,                               \
	  "the client sends up to 64 datagrams per send (UDP_SEGMENT; with --gro, the default at " \
	  "-b 0 where the kernel has both)")                                                       \
	X(NO_GSO, no_gso, bool, , PE_PK_FLAG, "no-gso", 0, NULL, "", 0, 1, 0,                      \
	  "one datagram per send and per read, also at -b 0")                                      \
	X(GRO, gro, bool, , PE_PK_FLAG, "gro", 0, NULL, "", 0, 1, 0,                               \
	  "the server takes them in one read (UDP_GRO)")                                           \
	X(RATE_BPS, rate_bps, uint64_t, , PE_PK_RATE, "bitrate", 'b', "BITS_PER_S", "bits/s", 0,   \
	  PE_P_SIZE_MAX, 0, "target rate, K/M/G: x1000 (0: as fast as possible, the default)")     \
	X(RATE_PPS, rate_pps, uint64_t, , PE_PK_RATE, "pps", 0, "N", "datagrams/s", 1, 1e9, 0,     \
	  "target datagrams per second")                                                           \
	X(FILE_BYTES, file_bytes, uint64_t, , PE_PK_COUNT, NULL, 0, NULL, "bytes", 0,              \
	  PE_P_SIZE_MAX, 0, "the size the client announces")                                       \
	X(FILE_SHA256, file_sha256, char, [65], PE_PK_TEXT, NULL, 0, NULL, "", 0, 0, 0,            \
	  "hex digest the client announces")                                                       \
	X(SPIN, spin_us, uint32_t, , PE_PK_COUNT, "spin", 0, "USEC", "microseconds", 0, 1000000,   \
	  0, "both sides poll for events without sleeping for up to USEC microseconds before "     \
	  "they block (default 0): lower latency for a busy CPU on each side")                     \
	X(RR_TIMEOUT, rr_timeout_s, double, , PE_PK_SECONDS, "rr-timeout", 0, "SECONDS",           \
	  "seconds", 0.001, 60, 1, "a request unanswered this long is a timeout and is sent "      \
	  "again (default 1)")                                                                     \
	X(OMIT, omit_s, double, , PE_PK_SECONDS, "omit", 'O', "SECONDS", "seconds", 0, 86400, 0,   \
	  "leave the first SECONDS out of the summary (slow start); their interval lines say "     \
	  "(omitted)")                                                                             \
	X(WINDOW, window_bytes, uint32_t, , PE_PK_SIZE, "window", 'w', "BYTES", "bytes", 1024,     \
	  1 << 30, 0, "socket buffer of every data socket on both sides (SO_SNDBUF and "           \
	  "SO_RCVBUF; default: the system's)")                                                     \
	X(CONGESTION, congestion, char, [16], PE_PK_TEXT, "congestion", 'C', "ALGO", "", 0, 0, 0,  \
	  "TCP congestion control of every data connection on both sides (TCP_CONGESTION: "       \
	  "cubic, bbr, reno...; default: the system's)")
/* clang-format on */

enum pe_param_id {
#define PE_X(id, ...) PE_P_##id,
	PE_PARAMS(PE_X)
#undef PE_X
		PE_P__COUNT
};
#define PE_PBIT(id) (1ull << PE_P_##id)

/* Everything a test needs on both sides; the client fills it from its options. */
struct pe_params {
	enum pe_mode mode;
#define PE_X(id, field, type, bound, ...) type field bound;
	PE_PARAMS(PE_X)
#undef PE_X
};
#define PE_SPIN_US_MAX 1000000
/* The largest UDP payload over IPv4 (65535 - 8 - 20), the bound of every datagram size. */
#define PE_UDP_MAX_BYTES 65507

/* One entry of the parameter table. */
struct pe_param {
	const char *key; /* JSON key and struct field name */
	enum pe_param_kind kind;
	size_t off, size; /* of the field in struct pe_params */
	const char *opt;  /* long option without "--"; NULL: not on the command line */
	char short_opt;	  /* 0: none */
	const char *arg, *unit, *help;
	double min, max, dflt;
};
extern const struct pe_param pe_param_table[PE_P__COUNT];

/* A mode's own default and range for one parameter (the table's apply otherwise). */
struct pe_param_limit {
	enum pe_param_id id;
	double min, max, dflt;
};
#define PE_MODE_LIMITS_MAX 4

/* One mode. Everything the client, server, command line, bench and reports need to know. */
struct pe_mode_desc {
	const char *name;    /* as typed after --mode */
	const char *summary; /* one line for --help */
	/* parameters it takes (PE_PBIT), besides duration, conns, len and spin which all take */
	uint64_t params;
	struct pe_param_limit limits[PE_MODE_LIMITS_MAX]; /* ends at the first min == max == 0 */
	bool tcp_conns;	 /* the client opens --conns TCP data connections the server waits for */
	bool latency;	 /* the client keeps the round-trip histogram */
	bool nodelay;	 /* data connections set TCP_NODELAY */
	bool until_done; /* duration 0 is allowed: it runs until its work is done */
	bool file_arg;	 /* the client names a file (--file PATH) */
	/* Checks that need several parameters; 0 or -EINVAL with a one-line reason in err that
	 * names the options ("-R and --bidir exclude each other"). NULL: nothing to check. */
	int (*check)(const struct pe_params *p, char *err, size_t errlen);
	/* Adjusts the loop's options (receive buffers) for this side. NULL: the defaults. */
	void (*loop_opts)(const struct pe_params *p, bool server, struct pe_loop_opts *lo);
	/* The mode's lines of the text summary, after the common ones. NULL: none. */
	void (*text)(FILE *out, const struct pe_params *p, const struct pe_figures *f);
	/* `pkteng bench`: its row label (NULL: not benched), size and connections. */
	const char *bench_label;
	uint32_t bench_len, bench_conns;
	const struct pe_work_ops *ops;
};

#define PE_X(e, s) extern const struct pe_mode_desc pe_mode_##s;
PE_MODES(PE_X)
#undef PE_X

/* The descriptor of m; NULL when m is not a mode. */
const struct pe_mode_desc *pe_mode_desc(enum pe_mode m);
/* "stream" <-> PE_MODE_STREAM; pe_mode_parse returns -EINVAL for an unknown name. */
const char *pe_mode_name(enum pe_mode m);
int pe_mode_parse(const char *name, enum pe_mode *out);
/* Whether mode m takes parameter id (the common ones: always). */
bool pe_mode_takes(enum pe_mode m, enum pe_param_id id);
/* The range and default of id for mode m. */
void pe_param_range(enum pe_mode m, enum pe_param_id id, double *min, double *max, double *dflt);
/* "1..64Mi bytes": the range of id for m as the command line says it. Returns buf. */
const char *pe_param_range_str(enum pe_mode m, enum pe_param_id id, char *buf, size_t len);
/* A value of id as the command line writes it ("128Ki" for a size). Returns buf. */
const char *pe_param_value_str(enum pe_param_id id, double v, char *buf, size_t len);
/* "--resp-len" or "-l": how the command line names id. */
const char *pe_param_opt_name(enum pe_param_id id, char *buf, size_t len);
/* "rr, crr or udp-rr": the modes that take id. Returns buf. */
const char *pe_param_modes_str(enum pe_param_id id, char *buf, size_t len);

/* Numeric access to a parameter field by id (flags are 0/1; text reads 0). */
double pe_param_get(const struct pe_params *p, enum pe_param_id id);
uint64_t pe_param_get_u64(const struct pe_params *p, enum pe_param_id id);
void pe_param_set(struct pe_params *p, enum pe_param_id id, double v);
void pe_param_set_u64(struct pe_params *p, enum pe_param_id id, uint64_t v);
/* 0 when v is the default or in range for m, -ERANGE otherwise. */
int pe_param_check_value(enum pe_mode m, enum pe_param_id id, double v);

/* Every parameter at the mode's default. */
void pe_params_default(struct pe_params *p, enum pe_mode m);
/* Checks a whole parameter set: every value in its range, then the rules across parameters
 * (the mode's check). 0, or -EINVAL with a one-line reason in err naming the parameter. */
int pe_params_check(const struct pe_params *p, char *err, size_t errlen);

#endif
