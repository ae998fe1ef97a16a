/* SPDX-License-Identifier: BSD-2-Clause */
/* The client registry: a client sends its name, the server records name, address and port and
 * answers with the whole list as JSON. Every message is one length-prefixed frame
 * (engine/framing.h) holding a JSON object; the protocol is in README.md ("## Protocols"). */
#ifndef PKTENG_REGISTRY_REGISTRY_H
#define PKTENG_REGISTRY_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/loop.h"

struct json_object;

#define PE_REGISTRY_PORT     5000
#define PE_REGISTRY_NAME_MAX 255	 /* bytes of UTF-8 */
#define PE_REGISTRY_MSG_MAX  (64u << 20) /* largest answer a client accepts */
#define PE_REGISTRY_REQ_MAX  4096	 /* largest request the registry accepts */
/* An entry of the list answer is at most this many bytes of JSON (a 255-byte name escaped
 * six bytes a byte, the longest address, the port): max_names entries always fit in
 * PE_REGISTRY_MSG_MAX, so no number of registrations can make the list unreadable. */
#define PE_REGISTRY_ENTRY_JSON_MAX  2048
#define PE_REGISTRY_NAMES_DEFAULT   10000
#define PE_REGISTRY_NAMES_MAX	    ((PE_REGISTRY_MSG_MAX - 4096) / PE_REGISTRY_ENTRY_JSON_MAX)
#define PE_REGISTRY_TTL_DEFAULT	    3600 /* seconds a registration is listed */
#define PE_REGISTRY_CONNS_DEFAULT   16384
#define PE_REGISTRY_PENDING_DEFAULT (32u << 20)

struct pe_registry_opts {
	size_t sz;
	const char *bind; /* NULL: every address, IPv4 and IPv6 */
	uint16_t port;	  /* 0: an ephemeral port (see pe_registry_port) */
	/* Connections held at once; 0 = PE_REGISTRY_CONNS_DEFAULT. Either way lowered to what
	 * the open-file limit allows. At the bound the connection idle the longest (the oldest
	 * since its last whole request) is closed to make room: a flood cannot keep a newcomer
	 * out. */
	int max_conns;
	bool log; /* one line on stderr per refused request */
	enum pe_backend backend;
	bool no_fallback;   /* as in pe_loop_opts: fail instead of falling back to epoll */
	int msg_timeout_ms; /* each whole request must arrive within this after the connection
			     * opened or the previous answer; 0 = 30000 */
	/* Memory all connections together may hold for requests not yet complete (each at most
	 * PE_REGISTRY_REQ_MAX bytes, reserved when its prefix arrives, plus what a paused
	 * connection holds); past it the connections holding the oldest such requests get
	 * {"error": "registry busy: ..."} and are closed. 0 = PE_REGISTRY_PENDING_DEFAULT. */
	size_t pending_max_bytes;
	/* Names listed at once, 1..PE_REGISTRY_NAMES_MAX; 0 = PE_REGISTRY_NAMES_DEFAULT. A
	 * registration past it gets {"error": "registry full: ..."}; lists still work. */
	unsigned max_names;
	/* A registration is listed for this many seconds, then dropped; the same name from the
	 * same address registered again replaces it (and starts its time again). 0 =
	 * PE_REGISTRY_TTL_DEFAULT. */
	unsigned ttl_s;
};

struct pe_registry;

/* Binds and listens. Returns the registry or NULL with errno set (EADDRINUSE, EINVAL for a
 * max_names above PE_REGISTRY_NAMES_MAX, ...). */
struct pe_registry *pe_registry_open(const struct pe_registry_opts *o);
uint16_t pe_registry_port(const struct pe_registry *r);
/* Serves on one engine loop in a background thread (every connection on that loop). Returns 0,
 * -EALREADY when already serving, or the loop's -errno. */
int pe_registry_start(struct pe_registry *r);
/* Serves until pe_registry_stop() (from a signal handler too) and returns 0 or -errno. */
int pe_registry_run(struct pe_registry *r);
void pe_registry_stop(struct pe_registry *r);
/* Stops, closes every connection, frees. */
void pe_registry_close(struct pe_registry *r);
/* How many names are listed now (expired ones excluded). */
size_t pe_registry_count(struct pe_registry *r);
/* How many connections are open now, and the bound on them as pe_registry_open settled it. */
unsigned pe_registry_conns(struct pe_registry *r);
unsigned pe_registry_max_conns(struct pe_registry *r);

/* Checks a name: 0, -EINVAL (empty, not UTF-8, a control character: U+0000..U+001F, U+007F,
 * U+0080..U+009F) or -ENAMETOOLONG, with the reason in why (may be NULL). */
int pe_registry_check_name(const char *name, size_t len, char *why, size_t whylen);

/* One request as the server reads it: {"name": "..."} registers a name (and asks for the list
 * unless "list" is false); {} asks for the list. */
struct pe_registry_req {
	struct json_object *obj; /* the parsed request: name points into it */
	const char *name;	 /* NULL when the request has none */
	size_t name_len;
	bool want_list;
};
/* Parses one request frame of len bytes (not NUL-terminated) into q. 0 (free q with
 * pe_registry_req_free), or an error with the reason in why and nothing to free: -EPROTO (not
 * exactly one JSON object: close the connection), -EBADMSG ("name" is not a string), or
 * pe_registry_check_name's -EINVAL / -ENAMETOOLONG. */
int pe_registry_req_parse(struct pe_registry_req *q, const void *msg, size_t len, char *why,
			  size_t whylen);
void pe_registry_req_free(struct pe_registry_req *q);

/* Client side: connects to host:port, registers name (NULL: only asks for the list) and
 * returns the server's reply object in *reply (caller puts it): the whole list, or only
 * {"count": N} when want_list is false and a name is given. 0, or -errno with a one-line
 * reason in why: -ECONNREFUSED, -EPROTO (the server's "error" message is copied). */
int pe_registry_query(const char *host, uint16_t port, const char *name, size_t name_len,
		      bool want_list, struct json_object **reply, char *why, size_t whylen);
/* The same with timeouts (o may be NULL: the defaults). */
struct pe_registry_query_opts {
	size_t sz;
	int connect_timeout_ms; /* for the connection to open; 0 = 5000 */
	int idle_timeout_ms;	/* for each wait for the request to go or the answer to come;
				 * 0 = 30000 */
};
int pe_registry_query_opts(const char *host, uint16_t port, const char *name, size_t name_len,
			   bool want_list, const struct pe_registry_query_opts *o,
			   struct json_object **reply, char *why, size_t whylen);

#endif
