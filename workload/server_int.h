/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to the test server (work_server.c, work_lobby.c): the server, a session, and a
 * connection in the lobby before its hello. */
#ifndef PKTENG_WORKLOAD_SERVER_INT_H
#define PKTENG_WORKLOAD_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "workload/work.h"

struct pe_workers;

/* Clients that sent a valid hello while every session slot is taken wait for one, at most
 * this many; beyond that a client is told the server is busy. */
#define SRV_READY_MAX 1024
/* Descriptors kept aside from the open-file limit for each session (control socket and its
 * duplicate, the loop, the data listener and connections) and for the process. */
#define SRV_FDS_PER_SESSION 8
#define SRV_LOG_PER_S	    20 /* log lines a second at most */
#define SRV_FDS_BASE	    32

struct session;
struct lobby;

struct pe_server {
	struct pe_server_opts o;
	int lfd; /* until the acceptor's loop owns it */
	uint16_t port;
	_Atomic(struct pe_workers *) acceptor;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned sessions;
	struct session *active;			 /* sessions running now */
	struct session *ready_head, *ready_tail; /* proven clients waiting for a slot (FIFO) */
	unsigned ready_n, reserved;		 /* queued; handed over but not yet queued */
	uint64_t done, refused;
	volatile int stopping;
	/* the acceptor loop's own (its thread only): connections before their hello */
	struct lobby *lob_head, *lob_tail; /* oldest first */
	unsigned lob_n, lob_max;
	size_t lob_bytes;	       /* their partial hellos' buffers */
	_Atomic(uint64_t) lob_dropped; /* closed for the cap, the memory bound or the deadline */
	uint64_t log_sec;	       /* pe__srv_log's rate bound (under mu) */
	unsigned log_n, log_skipped;
};

struct session {
	struct pe_server *s;
	int fd;
	struct pe_params p; /* from the client's hello */
	char peer[PE_ADDR_STRLEN];
	/* The acceptor's own descriptor of the control socket (fd is a dup that the session
	 * closes): pe_server_close shuts it down to wake a session blocked on the peer, and it
	 * stays valid until the session has left the active list. */
	int own_fd;
	struct session *next, *prev;
};

/* A control connection before its hello, on the acceptor's loop. */
struct lobby {
	struct pe_server *s;
	struct pe_conn *c;
	struct pe_lpm_dec dec;
	struct pe_timer deadline; /* the whole hello must arrive before it fires */
	struct lobby *prev, *next;
	bool listed;	    /* on the server's lobby list (counted against the cap) */
	bool closing;	    /* answered (an error) or dropped */
	size_t counted;	    /* bytes of s->lob_bytes that are this connection's */
	struct session *se; /* the hello was valid: handed to a session once the loop let go */
};

void pe__srv_log(struct pe_server *s, const char *peer, const char *what, const char *msg);
void pe__srv_count(struct pe_server *s, bool ok); /* a test done (ok) or refused */
/* A client that proved itself: a free slot starts a thread for it, else it waits in the FIFO
 * (its place was reserved when its hello was accepted). On the acceptor's thread. */
void pe__srv_admit(struct pe_server *s, struct session *se);
extern const struct pe_conn_cbs pe__srv_lobby_cbs;
/* The pre-hello cap that fits the open-file limit beside o->max_sessions sessions. */
unsigned pe__srv_lobby_cap(const struct pe_server_opts *o);

#endif
