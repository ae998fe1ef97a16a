/* SPDX-License-Identifier: BSD-2-Clause */
/* Workloads: one side (client or server) of one test, driven on one engine loop. The client
 * and server drivers (work_client.c, work_server.c) run the control exchange (proto.h) around
 * it; each mode (work_stream.c, work_rr.c, work_crr.c, work_udp.c, work_echo.c, work_file.c,
 * work_udp_rr.c) is one descriptor (mode.h) whose operations are below. A new mode is its own
 * file and one line in PE_MODES, nothing else. */
#ifndef PKTENG_WORKLOAD_WORK_H
#define PKTENG_WORKLOAD_WORK_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/addr.h"
#include "engine/hist.h"
#include "engine/loop.h"
#include "raw/interval.h"
#include "workload/ctl.h"
#include "workload/proto.h"
#include "workload/report.h"

struct pe_work;
struct json_object;

/* What a mode does. Client ops run on the client, server ops on the server; NULL = nothing. */
struct pe_work_ops {
	/* Client: open the data connections/sockets to w->data_addr. Each TCP connection must
	 * send its pe_data_hdr first (pe_work_conn_hello does) and call pe_work_conn_ready once. */
	int (*client_open)(struct pe_work *w);
	/* Both sides: the server said "go": start the traffic (the duration timer is armed). */
	void (*go)(struct pe_work *w);
	/* Both sides: the duration or byte count is done: stop starting new work and close
	 * gracefully; call pe_work_finish(w) once nothing is left in flight. */
	void (*stop)(struct pe_work *w);
	/* Server: a data connection identified itself; take it over (set callbacks). The bytes
	 * that followed the header in the same read are handed to on_data by the caller. */
	const struct pe_conn_cbs *server_cbs;
	/* Server: open extra sockets (the UDP receiver) on local, the data port. */
	int (*server_open)(struct pe_work *w, const struct pe_addr *local);
	/* Server: the client's "end" message arrived (its figures: e.g. datagrams sent). */
	void (*peer_end)(struct pe_work *w, const struct pe_figures *peer);
	/* Called by the driver after every loop iteration while w->busy is set (so a sender that
	 * must not refill from inside the engine's flush still runs every iteration). */
	void (*poll)(struct pe_work *w);
	/* Both sides: fill mode-specific figures at the end. */
	void (*figures)(struct pe_work *w, struct pe_figures *f);
	/* Client: the totals of each flow so far, at most max of them; returns how many. NULL:
	 * the mode keeps no per-flow figures. */
	unsigned (*flows)(struct pe_work *w, struct pe_flow *out, unsigned max);
	/* Free mode state. */
	void (*free)(struct pe_work *w);
};

/* Bulk modes' receive buffers: PE_BULK_BUF_BYTES each (both backends), and on io_uring
 * pe_work_bulk_bufs(p) of them: 8 for up to two flows, 4 per flow beyond, at most 64 (a power
 * of two). Few buffers stay in cache: the kernel copies into memory the CPU just used. A bulk
 * mode's loop_opts is pe_work_bulk_loop_opts. */
#define PE_BULK_BUF_BYTES (256 * 1024)
unsigned pe_work_bulk_bufs(const struct pe_params *p);
void pe_work_bulk_loop_opts(const struct pe_params *p, bool server, struct pe_loop_opts *lo);

/* The loop options of one side of a test on backend b: the common ones (zero copy, --spin)
 * plus the mode's loop_opts. */
void pe_work_loop_opts(const struct pe_params *p, enum pe_backend b, bool server,
		       struct pe_loop_opts *lo);
/* TCP data connections the client opens and the server waits for before "go". */
unsigned pe_work_tcp_conns(const struct pe_params *p);

/* One side of one test. Owned by the driver; modes keep their state in w->mode. */
struct pe_work {
	struct pe_loop *loop;
	struct pe_params p;
	const struct pe_work_ops *ops;
	bool is_client;
	uint64_t cookie;
	struct pe_addr data_addr; /* client: where data goes; server: the data port */
	const char *file_path;	  /* client, file mode */
	void *mode;

	struct pe_counts cnt;  /* live counters, this side */
	struct pe_counts last; /* at the previous interval line */
	struct pe_hist *hist;  /* latency (allocated for rr/crr/echo clients) */
	struct pe_figures fig; /* mode figures filled as it goes (udp, verify, tcp_info) */

	unsigned conns_ready; /* data connections open and identified */
	unsigned conns_closed;
	bool going, stopping, finished, failed;
	bool busy; /* the driver turns the loop without waiting and calls ops->poll */
	char error[200];

	uint64_t t_go_ns, t_end_ns;
	struct pe_timer t_stop, t_interval;
	double interval_s;
	struct pe_interval iv; /* the interval boundaries, from t_go_ns */
	void (*on_interval)(struct pe_work *w, double t0_s, double t1_s, const struct pe_counts *d);
	void *arg; /* for on_interval */
	struct pe_cpu cpu_go;
	/* -O: the counts and the time the summary starts from (t_go_ns and zero without -O) */
	struct pe_counts omit_base;
	uint64_t t_fig_ns;
	struct pe_timer t_omit;
	int connect_timeout_ms; /* client: data connections; 0 = 5000 */
	uint16_t cport;		/* client: --cport, the first data socket's local port; 0: any */
	int64_t slow_pct;	/* PKTENG_TEST_SLOW_PCT (latency modes' client); <= 0: off */
	uint64_t slow_last_ns;	/* when the previous slow wait ended */
};

/* Sets up w for params on loop (allocates the histogram when the mode needs one). 0/-ENOMEM. */
int pe_work_init(struct pe_work *w, struct pe_loop *l, const struct pe_params *p, bool is_client);
void pe_work_free(struct pe_work *w);
/* Starts the traffic: arms the stop timer (duration_s > 0) and the interval timer, calls go. */
void pe_work_go(struct pe_work *w);
/* Begins the end (ops->stop) once; idempotent. */
void pe_work_stop(struct pe_work *w);
/* The mode is done: records the end time and stops the loop. Idempotent. */
void pe_work_finish(struct pe_work *w);
/* Marks the test failed with a reason (first one wins), then finishes. */
void pe_work_fail(struct pe_work *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The figures of this side (seconds, counts, cpu, latency, mode figures). */
void pe_work_figures(struct pe_work *w, struct pe_figures *f);

/* Client helpers: sends the 16-byte data header on a fresh connection (index idx) and counts
 * it ready. Returns what pe_conn_send returned. */
long pe_work_conn_hello(struct pe_work *w, struct pe_conn *c, uint32_t idx);
/* Fills f's TCP_INFO figures (retransmits, cwnd) from the connection's socket. */
void pe_work_flow_tcp(struct pe_conn *c, struct pe_flow *f);
/* Adds the socket's TCP_INFO byte counters to w->fig (call once per connection, at EOF). */
void pe_work_tcp_info(struct pe_work *w, struct pe_conn *c);

/* The head of a per-connection state that starts with it (rr, echo), set as the connection's
 * data. pe_work_conn_on_eof records TCP_INFO and shuts down; pe_work_conn_on_close counts the
 * close, fails the test on an error, frees a server side's state (malloc'd, h first) and
 * finishes the test once every connection has closed. */
struct pe_work_conn {
	struct pe_work *w;
	struct pe_conn *c;
	uint32_t idx;
};
void pe_work_conn_on_eof(struct pe_conn *c);
void pe_work_conn_on_close(struct pe_conn *c, int err);
/* Client: the options of TCP data connection idx (cbs and data are left to the caller): the
 * connect timeout, -w and --cport, whose address goes in *local (it must live until pe_connect
 * returns). */
void pe_work_conn_opts(struct pe_work *w, uint32_t idx, struct pe_conn_opts *o,
		       struct pe_addr *local);
/* Client: the local address of data socket idx: NULL (any) or *local with --cport + idx. */
const struct pe_addr *pe_work_local_addr(struct pe_work *w, uint32_t idx, struct pe_addr *local);
/* Both sides: -C on a data connection (TCP_CONGESTION). 0 or -errno (ENOENT: the kernel has no
 * such algorithm, EPERM: not allowed for this user). */
int pe_work_conn_cc(struct pe_work *w, struct pe_conn *c);
/* Client: connects w->p.conns connections to w->data_addr with cbs (TCP_NODELAY, 5 s connect
 * timeout). conns is an array of that many elements of elem_bytes each, every one starting with
 * a struct pe_work_conn, which is filled in and set as its connection's data. Returns 0 or the
 * first pe_connect() error. */
int pe_work_conn_connect_all(struct pe_work *w, void *conns, size_t elem_bytes,
			     const struct pe_conn_cbs *cbs);

/* Server: the callbacks of a freshly accepted data connection, which read the header and
 * then hand over to ops->server_cbs. conn data must be w. */
extern const struct pe_conn_cbs pe_work_accept_cbs;

/* The byte pattern of a stream: byte at offset o of flow `key` is pattern[o % PE_PATTERN_PERIOD],
 * and the buffer holds two periods so any window up to a period is contiguous. */
#define PE_PATTERN_PERIOD (1024 * 1024 + 13)
uint8_t *pe_pattern_new(uint64_t key); /* malloc'd 2 periods; NULL on ENOMEM */
/* Test hooks read from the environment once: PKTENG_TEST_CORRUPT_OFFSET (stream/echo sender
 * flips the byte at that offset of flow 0), PKTENG_TEST_UDP_SKIP (udp sender skips every Nth
 * sequence number), PKTENG_TEST_FILE_STOP_AT (file sender stops after that many bytes),
 * PKTENG_TEST_UDP_RR_DROP (udp-rr server leaves every Nth request unanswered),
 * PKTENG_TEST_SLOW_PCT (below).
 * -1 / 0 when unset. Documented in docs/client-server.md as test hooks. */
int64_t pe_test_hook(const char *name);
/* PKTENG_TEST_SLOW_PCT=N, read by pe_work_init on the client of a latency mode (rr, crr,
 * echo, udp-rr): a change of known cost for measuring a regression check. After each
 * response, before the next request, the client busy-waits N% of the time since its previous
 * wait ended (with one connection: N% of the round trip), so transactions/s drop by
 * N/(100+N) and the latency of each round trip stays. Capped at PE_WORK_SLOW_PCT_MAX.
 * pe_work_slow_wait returns now_ns when the hook is off, else the clock after the wait. */
#define PE_WORK_SLOW_PCT_MAX 1000
uint64_t pe_work_slow_wait(struct pe_work *w, uint64_t now_ns);
/* SHA-256 of a file (OpenSSL's libcrypto) as 64 hex characters, and its size. 0 or -errno. */
int pe_sha256_file(const char *path, char out_hex[65], uint64_t *size);

/* ---- drivers: the control exchange around a workload ---- */

/* `pkteng server`: holds each control connection on one loop until it has sent a whole, valid
 * "hello" within ctl_timeout_ms (one deadline for the whole message), then runs its test in a
 * thread of its own with its own loop, so many clients and tests run at once and a bad or
 * silent client harms only itself. Connections before their hello are capped (max_pending,
 * the oldest dropped first) and so is the memory of their partial hellos (each at most
 * PE_PROTO_HELLO_MAX bytes, all together hello_max_total_bytes, the oldest dropped first). */
#define PE_SERVER_PENDING_DEFAULT     4096
#define PE_SERVER_HELLO_TOTAL_DEFAULT (16u << 20)
struct pe_server_opts {
	size_t sz;
	const char *bind; /* NULL: every address, IPv4 and IPv6 */
	uint16_t port;	  /* 0: ephemeral (pe_server_port) */
	enum pe_backend backend;
	unsigned max_sessions; /* tests served at once; 0 = 64 */
	bool log;	       /* one line on stderr per refused client or failed test */
	int ctl_timeout_ms;    /* a whole control message must arrive within this; 0 = 10000 */
	/* connections held before their hello; 0 = PE_SERVER_PENDING_DEFAULT, lowered to what
	 * the open-file limit leaves beside max_sessions sessions */
	unsigned max_pending;
	size_t hello_max_total_bytes; /* 0 = PE_SERVER_HELLO_TOTAL_DEFAULT */
	int connect_timeout_ms; /* from "ok" until "start" and every data connection; 0 = 10000 */
	bool one_off;		/* stop serving once one test (a valid hello) has ended */
};
struct pe_server;
/* NULL with errno set (EADDRINUSE, ...). */
struct pe_server *pe_server_open(const struct pe_server_opts *o);
uint16_t pe_server_port(const struct pe_server *s);
/* The cap on connections before their hello, as pe_server_open settled it. */
unsigned pe_server_pending_max(const struct pe_server *s);
int pe_server_start(struct pe_server *s);  /* serves from a background thread; 0 or -errno */
int pe_server_run(struct pe_server *s);	   /* serves in this thread until pe_server_stop */
void pe_server_stop(struct pe_server *s);  /* async-signal-safe */
void pe_server_close(struct pe_server *s); /* stops, waits for running tests, frees */
/* Tests completed and refused since open (for tests and logs). */
void pe_server_counts(struct pe_server *s, uint64_t *done, uint64_t *refused);
/* Connections closed before their hello: at the cap, over the memory bound, or silent past
 * the deadline. */
uint64_t pe_server_dropped(struct pe_server *s);

/* A timed client (duration_s > 0) ends at most this long after its test time, whatever the
 * server does (stopped, overloaded): the time the data has to drain and the result to come. */
#define PE_CLIENT_GRACE_S 10

struct pe_client_opts {
	size_t sz;
	const char *host, *port; /* port: number or service name */
	int family;		 /* AF_UNSPEC, AF_INET, AF_INET6 */
	enum pe_backend backend;
	struct pe_params p;
	const char *file_path; /* file mode */
	double interval_s;     /* 0: no interval lines */
	void (*on_interval)(struct pe_work *w, double t0_s, double t1_s, const struct pe_counts *d);
	void *arg;
	int ctl_timeout_ms;	/* idle: waiting for a control message; 0 = 10000 */
	int connect_timeout_ms; /* the control and data connections opening; 0 = 10000 */
	uint16_t cport;		/* the first data connection's local port (then +1, ...); 0: any */
	/* Called once the test's loop is open: the backend it runs ("io_uring", "epoll") and why
	 * that is not the one asked for (NULL when it is), with arg. May be NULL. */
	void (*on_backend)(void *arg, const char *backend, const char *fallback_reason);
	/* A stop flag (raw/interval.h's, set by SIGINT/SIGTERM): when it is set the test ends
	 * early but in order, both sides reporting what ran. NULL: never. */
	const volatile sig_atomic_t *stop;
	/* Not NULL: receives the client's latency histogram when the mode measures latency (it is
	 * left empty otherwise), for the result record's lat_hist. */
	struct pe_hist *lat_hist;
};
/* Runs one test. Returns 0 when both sides report success, -errno otherwise, with a one-line
 * reason in err. *cli is always filled; *srv only when *have_srv (the server answered). */
int pe_client_run(const struct pe_client_opts *o, struct pe_figures *cli, struct pe_figures *srv,
		  bool *have_srv, char *err, size_t errlen);

#endif
