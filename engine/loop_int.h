/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to the loop: the structures behind loop.h and the backend operations table.
 * Layers, each calling only the ones below it: loop.c (open, run, stop, close) -> loop_conn_io.c
 * (data path, deferred work) -> loop_conn.c (connection life cycle) -> loop_sock.c (listeners,
 * UDP) -> loop_timer.c (clocks, timers). The objects drive a backend (loop_uring*.c,
 * loop_epoll.c) through pe_backend_ops; a backend reports back only through the pe__conn_*,
 * pe__listener_* and pe__udp_* event entry points below, never into loop.c. */
#ifndef PKTENG_ENGINE_LOOP_INT_H
#define PKTENG_ENGINE_LOOP_INT_H

#include <sys/socket.h>
#include <sys/uio.h>

#include "engine/loop.h"

#include <stddef.h>

/* True when a caller's sz-versioned options struct *o is big enough to hold member m (an older
 * or zeroed sz leaves later members at their defaults; a required one must be there). */
#define PE_OPTS_HAS(o, type, m) ((o)->sz >= offsetof(type, m) + sizeof(((type *)0)->m))

/* A tagged pointer target: what a CQE's user_data or an epoll_event's data.ptr refers to. */
enum pe_src_kind {
	PE_SRC_NONE = 0,
	PE_SRC_WAKE, /* the stop eventfd */
	PE_SRC_LISTEN,
	PE_SRC_CONN, /* epoll: the socket; uring: unused */
	PE_SRC_RECV, /* uring ops on a connection */
	PE_SRC_SEND,
	PE_SRC_CONNECT,
	PE_SRC_SPLICE_IN,
	PE_SRC_SPLICE_OUT,
	PE_SRC_ZC,	 /* uring SEND_ZC op (malloc'd struct pe_zc) */
	PE_SRC_UDP,	 /* epoll: the socket; uring: multishot recvmsg */
	PE_SRC_UDP_SEND, /* uring: one queued datagram */
	PE_SRC_IGNORE,	 /* uring cancel requests */
	PE_SRC_TIMEOUT,	 /* uring: a kernel timeout standing in for a timed wait */
};

struct pe_src {
	uint8_t kind;
	void *owner;
};

#define PE_COPY_CHUNK 16384 /* copy sends coalesce into chunks this big (one kept spare) */

enum pe_sq_kind { PE_SQ_COPY, PE_SQ_REF, PE_SQ_FILE };

/* One send-queue entry. COPY items own their bytes (data[] follows); REF items borrow the
 * caller's; FILE items name a borrowed fd range. */
struct pe_sq_item {
	struct pe_sq_item *next;
	uint8_t kind;
	int err;
	const uint8_t *ptr; /* COPY/REF: bytes [off, len) still to send */
	size_t len, off, cap;
	pe_send_done_fn done;
	void *arg;
	int file_fd; /* FILE: sends file [file_off + off, file_off + len) */
	uint64_t file_off;
	unsigned zc_pending; /* SEND_ZC notifications outstanding for this item */
	uint8_t data[];
};

enum pe_conn_state { PE_CONN_CONNECTING, PE_CONN_OPEN, PE_CONN_CLOSING, PE_CONN_DEAD };

/* A per-connection list link (intrusive) for the loop's work lists. */
struct pe_link {
	struct pe_conn *next;
	bool on;
};

struct pe_conn {
	struct pe_loop *loop;
	int fd;
	uint8_t state;
	bool shut_req; /* pe_conn_shutdown(): SHUT_WR once the queue is empty */
	bool shut_done;
	bool eof;	  /* peer sent FIN */
	bool eof_pending; /* FIN seen while paused or holding bytes: delivered after them */
	bool paused;
	bool want_writable;
	bool do_reset;
	int close_err;
	const struct pe_conn_cbs *cbs;
	void *data;
	struct pe_listener *ls;
	struct pe_conn *prev_all, *next_all; /* the loop's list of every connection */
	struct pe_link dirty, writable, dead;
	/* send queue */
	struct pe_sq_item *sq_head, *sq_tail;
	struct pe_sq_item *zc_wait; /* fully sent REF items waiting for SEND_ZC notifications */
	struct pe_sq_item *spare;   /* a free COPY chunk kept for the next send */
	size_t queued, sndq_max, sndq_low;
	/* receive bytes held while paused */
	uint8_t *held;
	size_t held_len, held_cap;
	uint64_t idle_ns;
	struct pe_timer idle_timer, connect_timer;
	struct pe_conn_stats st;
	struct pe_addr peer;
	bool fd_closed; /* the backend closed fd (it does before pe__conn_dead()) */
	bool released;	/* pe_conn_release(): a duplicate of fd lives on, so the backend must
			 * unhook the socket itself (epoll keeps a description while any fd does) */
	/* The backend's own fields follow: struct ur_conn / struct ep_conn embed this one. */
};

struct pe_listener {
	struct pe_loop *loop;
	int fd;
	bool closing;
	struct pe_conn_opts conn;
	void *data;
	void (*on_accept)(struct pe_listener *ls, int fd); /* NULL: accept into connections */
	struct pe_src src;
	struct pe_listener *next, *prev;
	unsigned refs; /* 1 while open + 1 per accepted connection + backend holds */
};

/* One queued outgoing datagram. */
struct pe_udp_slot {
	struct pe_addr peer;
	bool has_peer;
	uint8_t *buf;
	size_t len, cap;
	struct iovec iov;
};

struct pe_udp {
	struct pe_loop *loop;
	int fd;
	bool closing, connected, want_writable;
	int family;
	const struct pe_udp_cbs *cbs;
	void *data;
	struct pe_src src;
	/* send ring of slots: [head, head + count) queued */
	struct pe_udp_slot *slots;
	unsigned nslots, head, count;
	struct pe_udp *next_dirty, *prev, *next_all;
	bool dirty, dead;
	/* The backend's own fields follow: struct ur_udp / struct ep_udp embed this one. */
};

/* A backend keeps its own fields in its own structs, each embedding the shared one as its first
 * member (struct ur_conn { struct pe_conn c; ... }): the shared layers allocate the size given
 * here, and the backend reaches its part with a cast, no pointer to follow. */
struct pe_backend_ops {
	const char *name;
	size_t loop_size, conn_size, udp_size;
	int (*open)(struct pe_loop *l, const char **why); /* 0 or -errno with *why set */
	void (*close)(struct pe_loop *l);
	/* Submit what is queued, wait up to timeout_ns, dispatch. Events handled or -errno. */
	int (*wait)(struct pe_loop *l, uint64_t timeout_ns);
	void (*conn_init)(struct pe_conn *c); /* a new, zeroed c: set up the backend's part */
	int (*conn_start)(struct pe_conn *c); /* accepted or connected: start receiving */
	int (*conn_connect)(struct pe_conn *c, const struct pe_addr *to);
	void (*conn_flush)(struct pe_conn *c); /* the queue has new items */
	void (*conn_close)(struct pe_conn *c); /* tear down; later pe__conn_dead() */
	void (*conn_pause)(struct pe_conn *c, bool pause);
	int (*listen_start)(struct pe_listener *ls);
	void (*listen_close)(struct pe_listener *ls); /* frees ls when safe */
	int (*udp_start)(struct pe_udp *u);
	void (*udp_flush)(struct pe_udp *u);
	void (*udp_close)(struct pe_udp *u); /* then pe__udp_dead() when safe */
	void (*udp_free)(struct pe_udp *u); /* frees what udp_start allocated (also if it failed) */
};

extern const struct pe_backend_ops pe_backend_uring;
extern const struct pe_backend_ops pe_backend_epoll;

struct pe_loop {
	struct pe_loop_stats st; /* first: its own cache line */
	const struct pe_backend_ops *ops;
	enum pe_backend backend;
	struct pe_loop_opts o;
	const char *fallback_why;
	char why_buf[96];
	volatile int stop;
	int wake_fd;
	uint64_t now_ns;
	void *data;
	/* timers: 1-based binary heap */
	struct pe_timer **heap;
	uint32_t heap_len, heap_cap;
	uint64_t timer_seq;
	/* connections */
	struct pe_conn *all;
	struct pe_conn *dirty_head, *writable_head, *dead_head;
	struct pe_listener *listeners;
	struct pe_udp *udps, *udp_dirty;
	unsigned nconns;
	/* The backend's own fields follow: struct ur / struct ep embed this one (loop_size). */
};

/* loop_timer.c: fires the timers due by l->now_ns; returns how many. */
unsigned pe__timers_fire(struct pe_loop *l);

/* loop_sock.c */
void pe__listener_ref(struct pe_listener *ls);
void pe__listener_unref(struct pe_listener *ls); /* frees at zero */
void pe__udp_recv(struct pe_udp *u, const struct pe_dgram *d, unsigned n);
void pe__udp_sent(struct pe_udp *u, unsigned n, int err); /* n slots from head done */
/* Points mm[0..n) at the first n queued datagrams (n = min(queued, max)) for sendmmsg(2); their
 * peers when they have one. Returns n. */
unsigned pe__udp_mmsg(struct pe_udp *u, struct mmsghdr *mm, unsigned max);
void pe__udp_dead(struct pe_udp *u);	 /* backend done with u: free it soon */
void pe__udp_process(struct pe_loop *l); /* frees dead sockets, flushes those with sends */

/* loop_conn.c */
struct pe_conn *pe__conn_accepted(struct pe_listener *ls, int fd);
void pe__conn_opened(struct pe_conn *c, int err); /* connect finished */
/* A send failed (or a file item failed): closes the connection with err. */
void pe__conn_error(struct pe_conn *c, int err);
/* The FILE item at the head failed (-ENODATA: file shorter than promised): done(err), then the
 * connection closes with err. */
void pe__conn_file_failed(struct pe_conn *c, int err);
void pe__conn_dead(struct pe_conn *c);	   /* backend done with c: finalize */
void pe__conn_finalize(struct pe_conn *c); /* on_close, then free (from the dead list) */
void pe__item_free(struct pe_conn *c, struct pe_sq_item *it, int err); /* done(err) + free */

/* loop_conn_io.c */
void pe__conn_recv(struct pe_conn *c, const void *data, size_t len); /* bytes arrived */
void pe__conn_eof(struct pe_conn *c);
/* n bytes were taken by the kernel from the head of the queue. */
void pe__conn_consumed(struct pe_conn *c, size_t n);
void pe__item_zc_done(struct pe_conn *c, struct pe_sq_item *it); /* one notification */
/* Held data, writable callbacks, finished closes, then the flush of connections with sends. */
void pe__conn_process(struct pe_loop *l);

/* Puts c on a loop work list (once). */
static inline void pe__list_push(struct pe_conn **head, struct pe_link *lk, struct pe_conn *c)
{
	if (lk->on)
		return;
	lk->on = true;
	lk->next = *head;
	*head = c;
}

#define pe__container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

static inline bool pe__conn_live(const struct pe_conn *c)
{
	return c->state == PE_CONN_OPEN || c->state == PE_CONN_CONNECTING;
}

#endif
