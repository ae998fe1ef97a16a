/* SPDX-License-Identifier: BSD-2-Clause */
/* The event loop: one API over two backends (io_uring, epoll) driving TCP connections, TCP
 * listeners, UDP sockets and timers. One loop per thread; nothing here is thread-safe except
 * pe_loop_stop(). Errors are negative errno values. Sockets come from engine/addr.h. */
#ifndef PKTENG_ENGINE_LOOP_H
#define PKTENG_ENGINE_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/addr.h"

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

struct pe_loop;
struct pe_conn;
struct pe_listener;
struct pe_udp;

enum pe_backend {
	PE_BACKEND_URING = 0, /* default */
	PE_BACKEND_EPOLL = 1,
};

/* "io_uring" / "epoll" (NULL for an unknown value). */
const char *pe_backend_name(enum pe_backend b);
/* Accepts "uring", "io_uring", "epoll". Returns 0 or -EINVAL. */
int pe_backend_parse(const char *s, enum pe_backend *out);

/* ---- the loop ---------------------------------------------------------------------------- */

struct pe_loop_opts {
	size_t sz;		 /* sizeof(struct pe_loop_opts) */
	enum pe_backend backend; /* PE_BACKEND_URING unless set */
	/* io_uring refused (ENOSYS, EPERM: io_uring_disabled / seccomp, a missing opcode, or the
	 * environment variable PKTENG_URING_DISABLE=1): by default the loop falls back to epoll and
	 * prints ONE line on stderr per process:
	 *   "pkteng: io_uring unavailable (REASON); falling back to epoll"
	 * With no_fallback, pe_loop_open() fails with that errno instead. */
	bool no_fallback;
	unsigned sq_entries; /* io_uring SQ size; 0 = 1024 */
	unsigned buf_count;  /* io_uring provided receive buffers (power of two); 0 = 1024 */
	unsigned buf_bytes;  /* size of each receive buffer (both backends); 0 = 16 KiB */
	/* pe_conn_send_ref() of at least this many bytes uses IORING_OP_SEND_ZC on io_uring;
	 * 0 = 64 KiB; SIZE_MAX = never. Ignored by epoll. The loop stops using SEND_ZC once the
	 * kernel has reported its first 64 as copied anyway (loopback does). */
	size_t zc_min_bytes;
	unsigned max_events; /* epoll_wait batch; 0 = 256 */
	/* io_uring: small copy sends normally post no completion when they send everything
	 * (IOSQE_CQE_SKIP_SUCCESS, settled after the submitting enter). true = every send posts
	 * one (for comparisons). Ignored by epoll. */
	bool plain_sends;
	/* Before blocking, poll for events without sleeping for up to this many microseconds
	 * (0: never; at most the time to the next timer). A loop that spins keeps its CPU busy
	 * but sees an event without the wake-up of a sleeping thread, which on a VM can cost
	 * more than the work it waits for. */
	unsigned busy_poll_us;
	/* io_uring: TCP receives normally fill the provided buffers incrementally (kernel 6.12+,
	 * IOU_PBUF_RING_INC): small messages share a buffer. true = each receive takes a whole
	 * buffer (as on older kernels; for comparisons). Ignored by epoll. */
	bool whole_bufs;
};

/* Opens a loop. Open, run and close it on one thread (io_uring SINGLE_ISSUER: the ring takes
 * submissions only from the thread that made it); ignores SIGPIPE if it had the default action
 * (sendfile/splice to a reset peer then give -EPIPE). Returns NULL with errno set (ENOMEM,
 * EMFILE, EINVAL for a buf_count that is not a power of two up to 32768, or the io_uring errno
 * when no_fallback). The backend actually in use: pe_loop_backend(). */
struct pe_loop *pe_loop_open(const struct pe_loop_opts *opts);
/* Closes every connection (on_close(c, -ECANCELED), owned sends' done(-ECANCELED) first),
 * listener and UDP socket, then frees the loop. Must not be called from inside a callback. */
void pe_loop_close(struct pe_loop *l);

/* Runs until pe_loop_stop(). Returns 0 after a stop, or -errno on a fatal backend error.
 * Everything queued during one iteration is submitted together (one io_uring_enter per
 * iteration; epoll flushes writes once per iteration). A stop before run makes run return at
 * once; the stop flag is cleared on return, so run can be called again. */
int pe_loop_run(struct pe_loop *l);
/* One iteration: waits at most timeout_ns for events (0 = poll, UINT64_MAX = until something
 * happens), dispatches them and the due timers. Returns the number of events handled (>= 0),
 * or -errno. */
int pe_loop_run_once(struct pe_loop *l, uint64_t timeout_ns);
/* Makes pe_loop_run() return soon. Async-signal-safe and callable from any thread (sets a flag
 * and writes the loop's eventfd). */
void pe_loop_stop(struct pe_loop *l);

enum pe_backend pe_loop_backend(const struct pe_loop *l);
const char *pe_loop_backend_str(const struct pe_loop *l); /* "io_uring" or "epoll" */
/* Why io_uring was not used ("PKTENG_URING_DISABLE is set", "ENOSYS: the kernel has no
 * io_uring", "no IORING_OP_SPLICE", ...), or NULL when the requested backend is the one
 * running. Valid for the loop's lifetime. */
const char *pe_loop_fallback_reason(const struct pe_loop *l);
void pe_loop_set_data(struct pe_loop *l, void *data);
void *pe_loop_data(const struct pe_loop *l);
/* CLOCK_MONOTONIC, cached at the start of the iteration (cheap; timers use it). */
uint64_t pe_loop_now_ns(const struct pe_loop *l);

/* Per-loop counters, plain (no atomics), one cache line apart from other loops'. Written only
 * by the loop's own thread; a reader on another thread sees values that may lag slightly
 * (aligned 64-bit loads do not tear on the supported targets). Sum with pe_loop_stats_add(). */
struct pe_loop_stats {
	uint64_t iterations;		/* loop iterations */
	uint64_t syscalls;		/* io_uring_enter / epoll_wait / read / write / ... made */
	uint64_t accepted;		/* connections accepted */
	uint64_t connected;		/* outgoing connects that succeeded */
	uint64_t connect_failed;	/* outgoing connects that failed or timed out */
	uint64_t closed;		/* connections closed for any reason */
	uint64_t resets;		/* closes with -ECONNRESET / -EPIPE from the peer */
	uint64_t idle_timeouts;		/* closes with -ETIMEDOUT from the idle timer */
	uint64_t proto_errors;		/* pe_conn_close() with -EPROTO or -EMSGSIZE */
	uint64_t bytes_in, bytes_out;	/* TCP payload */
	uint64_t dgrams_in, dgrams_out; /* UDP datagrams */
	uint64_t dgram_bytes_in, dgram_bytes_out;
	uint64_t dgram_errors; /* failed UDP sends (reported to on_error) */
	uint64_t zc_sends;     /* SEND_ZC operations completed */
	uint64_t zc_copied;    /* ... of which the kernel reported it copied anyway */
	uint64_t enobufs;      /* io_uring multishot receive re-armed after ENOBUFS */
	uint64_t timers_fired;
	uint64_t zc_ops; /* SEND_ZC operations submitted (zc_sends counts their notifications) */
	uint64_t file_errors;  /* pe_conn_send_file() items that failed (-ENODATA, read errors) */
	uint64_t silent_sends; /* io_uring sends that went out whole without a completion */
	uint64_t silent_short; /* ... that fell short or found the socket full (then resent) */
	uint64_t recv_shared;  /* io_uring TCP receives into a buffer that earlier ones used too */
} __attribute__((aligned(64)));

const struct pe_loop_stats *pe_loop_stats(const struct pe_loop *l);
/* sum += s, field by field. */
void pe_loop_stats_add(struct pe_loop_stats *sum, const struct pe_loop_stats *s);

/* Clocks: CLOCK_MONOTONIC now; the calling thread's CPU time; the process's user and system
 * CPU time (getrusage). pe_process_cpu_ns returns 0 or -errno. */
uint64_t pe_now_ns(void);
uint64_t pe_thread_cpu_ns(void);
int pe_process_cpu_ns(uint64_t *user_ns, uint64_t *sys_ns);

/* ---- timers ------------------------------------------------------------------------------- */

/* A timer is caller-owned memory (embed it in your own struct); the loop keeps a pointer while
 * it is armed. Timers due at the same iteration fire in deadline order, ties in arming order.
 * The callback may re-arm (periodic timers re-arm themselves) or disarm any timer. */
struct pe_timer;
typedef void (*pe_timer_fn)(struct pe_loop *l, struct pe_timer *t);
struct pe_timer {
	pe_timer_fn fn;
	void *data;	 /* for the caller */
	uint64_t due_ns; /* private from here on */
	uint64_t seq;
	uint32_t heap_idx; /* 0 = not armed */
};

/* Sets fn and data; the timer is not armed. */
void pe_timer_init(struct pe_timer *t, pe_timer_fn fn, void *data);
/* (Re-)arms t to fire once, delay_ns from now (CLOCK_MONOTONIC). Returns 0 or -ENOMEM. */
int pe_timer_arm(struct pe_loop *l, struct pe_timer *t, uint64_t delay_ns);
/* Disarms t if armed (no-op otherwise). After this the caller may free t. */
void pe_timer_disarm(struct pe_loop *l, struct pe_timer *t);
static inline bool pe_timer_armed(const struct pe_timer *t)
{
	return t->heap_idx != 0;
}

/* ---- TCP connections ------------------------------------------------------------------------ */

/* Callbacks of a connection; any may be NULL. The struct must outlive the connections using
 * it (usually a static const). Callbacks run on the loop's thread. */
struct pe_conn_cbs {
	/* Connected (outgoing) or accepted. Not called for a failed connect: on_close is. */
	void (*on_open)(struct pe_conn *c);
	/* Bytes arrived. data is the engine's buffer, valid only during the call. */
	void (*on_data)(struct pe_conn *c, const void *data, size_t len);
	/* The peer shut down its sending side (EOF). NULL means "pe_conn_shutdown(c)": finish
	 * sending what is queued, then close. */
	void (*on_eof)(struct pe_conn *c);
	/* The send queue drained to the low mark after a send was refused (short count or -EAGAIN)
	 * or after pe_conn_want_writable(): send more now. */
	void (*on_writable)(struct pe_conn *c);
	/* The last callback; c is freed when it returns. err: 0 orderly (both sides done, or
	 * pe_conn_close(c, 0)); -ECONNRESET peer reset; -ETIMEDOUT connect or idle timeout;
	 * -ECONNREFUSED; -ECANCELED loop closed; or the err given to pe_conn_close(). */
	void (*on_close)(struct pe_conn *c, int err);
};

/* Options for pe_connect() and for the connections a listener accepts. */
struct pe_conn_opts {
	size_t sz;
	const struct pe_conn_cbs *cbs; /* required */
	void *data;		       /* initial pe_conn_data() (for accepted conns too) */
	/* Backpressure: bytes queued (sent by the caller, not yet taken by the kernel) are bounded
	 * by sndq_max_bytes (0 = 4 MiB); on_writable fires when they fall to sndq_low_bytes
	 * (0 = half of the max). */
	size_t sndq_max_bytes;
	size_t sndq_low_bytes;
	uint64_t idle_timeout_ms;	/* close with -ETIMEDOUT after this long without bytes in or
					* out; 0 = never */
	uint64_t connect_timeout_ms;	/* pe_connect(): 0 = the kernel's (minutes) */
	bool nodelay;			/* TCP_NODELAY */
	int sndbuf_bytes, rcvbuf_bytes; /* SO_SNDBUF / SO_RCVBUF when > 0 */
	const struct pe_addr *bind;	/* pe_connect(): local address, or NULL */
};

/* Starts a connection to `to`. Returns 0 with *out set (the conn exists now: on_open follows on
 * success, on_close(c, -errno) on failure, never both missing), or -errno when nothing was
 * started (-EINVAL no cbs, or an sz too small to hold them; -ENOMEM, -EMFILE,
 * -EAFNOSUPPORT). */
int pe_connect(struct pe_loop *l, const struct pe_addr *to, const struct pe_conn_opts *o,
	       struct pe_conn **out);

/* Copies up to len bytes into the send queue. Returns the bytes accepted: len, fewer when the
 * queue reaches its bound (on_writable follows), -EAGAIN when the queue is already full
 * (nothing taken), -ENOTCONN before on_open, -EPIPE after pe_conn_shutdown()/close or a send
 * error. len 0 returns 0. The caller keeps ownership of buf (it is copied). */
long pe_conn_send(struct pe_conn *c, const void *buf, size_t len);

/* Queues buf without copying; the caller lends it: it must stay valid and unchanged until
 * done(c, arg, err) runs (exactly once; err 0 = every byte taken by the kernel AND, for
 * SEND_ZC, the kernel's notification said it no longer references the buffer; -ECANCELED or
 * the send error if the connection closed first, always before on_close). The same buffer may
 * be queued many times at once. Returns 0 (queued whole, even past the bound), -EAGAIN when the
 * queue is already at its bound (not queued, done not called; on_writable follows), -ENOTCONN,
 * -EPIPE as pe_conn_send(). done may be NULL. */
typedef void (*pe_send_done_fn)(struct pe_conn *c, void *arg, int err);
int pe_conn_send_ref(struct pe_conn *c, const void *buf, size_t len, pe_send_done_fn done,
		     void *arg);

/* Sends len bytes of file fd from offset off without copying through user space (epoll:
 * sendfile(2); io_uring: splice file -> pipe -> socket), in order after what is queued. fd is
 * borrowed until done runs. done(c, arg, 0) when all len bytes went out; if the file ends
 * before off + len (it shrank or was truncated mid-send) done gets -ENODATA, or another -errno
 * on a read error, and the connection is then reset (RST, so the peer cannot take the short
 * stream for a complete one) and closed with that error (counted in file_errors). Not counted
 * against the queue bound. Returns 0, or -ENOTCONN/-EPIPE as above, -EINVAL for a bad fd or
 * len 0. */
int pe_conn_send_file(struct pe_conn *c, int fd, uint64_t off, uint64_t len, pe_send_done_fn done,
		      void *arg);

/* Asks for on_writable as soon as the queue is at or below the low mark (on the next
 * iteration if it is already): the "fill" pattern for bulk senders. */
void pe_conn_want_writable(struct pe_conn *c);
size_t pe_conn_queued(const struct pe_conn *c); /* bytes queued, not yet taken by the kernel */

/* Stops (pause true) or resumes delivering on_data. Bytes the backend already received while
 * paused are held and delivered after resume. Returns 0 or -ENOTCONN. */
int pe_conn_pause_recv(struct pe_conn *c, bool pause);

/* Graceful close: refuses further sends (-EPIPE), sends what is queued, then shutdown(SHUT_WR);
 * keeps delivering on_data until the peer closes, then on_close(c, 0). Returns 0 or -ENOTCONN.
 * Combine with an idle timeout against a peer that never closes. */
int pe_conn_shutdown(struct pe_conn *c);
/* Immediate close: queued bytes are dropped, owned sends get done(-ECANCELED). on_close(c, err)
 * runs later from the loop (never inside this call). err -EPROTO/-EMSGSIZE count as protocol
 * errors. With reset true the socket sends a RST (SO_LINGER 0). Safe to call twice. */
void pe_conn_close(struct pe_conn *c, int err, bool reset);

/* Hands the socket over to the caller: returns a new descriptor of it (O_CLOEXEC, -errno on
 * failure: -ENOTCONN unless open) and closes c as pe_conn_close(c, 0, false) without touching
 * the socket itself (no shutdown, no reset). The loop may still have a receive in flight until
 * on_close(c, 0) runs: use the descriptor only after that. Bytes received and not yet delivered
 * are dropped. For handing a connection that proved itself on a shared loop to a thread. */
int pe_conn_release(struct pe_conn *c);

/* Changes the callbacks (e.g. after a handshake). */
void pe_conn_set_cbs(struct pe_conn *c, const struct pe_conn_cbs *cbs);
void pe_conn_set_data(struct pe_conn *c, void *data);
void *pe_conn_data(const struct pe_conn *c);
struct pe_loop *pe_conn_loop(const struct pe_conn *c);
/* The listener that accepted c, or NULL for outgoing connections. */
struct pe_listener *pe_conn_listener(const struct pe_conn *c);
int pe_conn_fd(const struct pe_conn *c); /* for getsockopt and the like; do not close it */
int pe_conn_peer(const struct pe_conn *c, struct pe_addr *out); /* 0 or -errno */
/* Resets the idle timer's period (0 = off). Returns 0. */
int pe_conn_set_idle_timeout(struct pe_conn *c, uint64_t idle_timeout_ms);

/* Per-connection counters, updated by the loop. */
struct pe_conn_stats {
	uint64_t bytes_in, bytes_out; /* payload received / taken by the kernel */
	uint64_t recvs, sends;	      /* receive completions/reads, send completions/writes */
	uint64_t t_open_ns;	      /* pe_now_ns() at on_open */
	uint64_t t_last_ns;	      /* last byte in or out (loop time) */
};
const struct pe_conn_stats *pe_conn_stats(const struct pe_conn *c);

/* ---- TCP listeners --------------------------------------------------------------------------- */

struct pe_listen_opts {
	size_t sz;
	const struct pe_conn_opts *conn; /* required: options of every accepted connection */
	int backlog;			 /* 0 = SOMAXCONN; -1 = listen(fd, 0) */
	bool reuseport; /* SO_REUSEPORT: one listener per worker on the same port */
	bool v6only;	/* IPV6_V6ONLY=1 on [::]; default dual stack */
	void *data;	/* pe_listener_data() */
	/* Takes each accepted socket instead of opening a connection on the loop: the callee owns
	 * fd (SOCK_CLOEXEC; non-blocking or not by backend) and no byte of it has been read. For
	 * handing sockets to threads that serve them their own way. conn may then be NULL. */
	void (*on_accept)(struct pe_listener *ls, int fd);
};

/* Listens on addr (pe_addr_any() for every address; port 0 picks one: see
 * pe_listener_addr()) and accepts into connections that get on_open (or hands the sockets to
 * on_accept). Returns 0 with *out set, or -errno (-EADDRINUSE, -EACCES, -EINVAL no on_accept
 * and no conn opts or cbs, or a conn sz too small to hold cbs; -ENOMEM). */
int pe_listen(struct pe_loop *l, const struct pe_addr *addr, const struct pe_listen_opts *o,
	      struct pe_listener **out);
/* Same with an existing listening socket, which the loop then owns (closes). */
int pe_listen_fd(struct pe_loop *l, int fd, const struct pe_listen_opts *o,
		 struct pe_listener **out);
/* Stops accepting and closes the socket; accepted connections stay open. */
void pe_listener_close(struct pe_listener *ls);
int pe_listener_addr(const struct pe_listener *ls, struct pe_addr *out); /* 0 or -errno */
int pe_listener_fd(const struct pe_listener *ls);
void *pe_listener_data(const struct pe_listener *ls);

/* ---- UDP ------------------------------------------------------------------------------------- */

/* A datagram in or out. Received: data and peer valid only during on_recv. Sent: copied. */
struct pe_dgram {
	const void *data;
	size_t len;
	const struct pe_addr *peer; /* send: NULL = the connected peer */
};

struct pe_udp_cbs {
	/* A batch of n >= 1 datagrams (recvmmsg / multishot recvmsg). A datagram longer than
	 * the loop's buf_bytes arrives cut to buf_bytes (both backends). */
	void (*on_recv)(struct pe_udp *u, const struct pe_dgram *d, unsigned n);
	/* The send queue drained after pe_udp_send() refused datagrams. */
	void (*on_writable)(struct pe_udp *u);
	/* A send failed (-ECONNREFUSED on a connected socket, -ENOBUFS...). The socket stays open. */
	void (*on_error)(struct pe_udp *u, int err);
};

struct pe_udp_opts {
	size_t sz;
	const struct pe_udp_cbs *cbs; /* required */
	void *data;
	const struct pe_addr *peer; /* connect(2) to this peer; NULL = unconnected */
	bool reuseport, v6only;
	int sndbuf_bytes, rcvbuf_bytes;
	unsigned sendq_max; /* datagrams queued at most; 0 = 1024 */
};

/* A UDP socket bound to local (NULL: an ephemeral port of peer's family, or [::]). Returns 0
 * with *out set or -errno (-EINVAL: no cbs, or an sz too small to hold them). */
int pe_udp_open(struct pe_loop *l, const struct pe_addr *local, const struct pe_udp_opts *o,
		struct pe_udp **out);
/* Queues copies of n datagrams; they go out in batches (sendmmsg / io_uring SENDMSG) at the
 * end of the iteration. Returns how many were queued (1..n; on_writable follows a short count),
 * -EAGAIN when the queue is full, -EMSGSIZE when d[0] exceeds 65507 bytes (IPv4) / 65527 (IPv6),
 * -EDESTADDRREQ when peer is NULL on an unconnected socket. */
int pe_udp_send(struct pe_udp *u, const struct pe_dgram *d, unsigned n);
/* Closes now; queued datagrams are dropped. Safe inside callbacks (no further callbacks for u;
 * its memory goes when the current callback returns). */
void pe_udp_close(struct pe_udp *u);
int pe_udp_fd(const struct pe_udp *u);
int pe_udp_local(const struct pe_udp *u, struct pe_addr *out);
void pe_udp_set_data(struct pe_udp *u, void *data);
void *pe_udp_data(const struct pe_udp *u);

#pragma GCC visibility pop

#endif
