/* SPDX-License-Identifier: BSD-2-Clause */
/* Addresses and sockets for the engine: getaddrinfo wrappers, IPv4/IPv6 sockaddr helpers, and
 * socket creation (listeners with SO_REUSEADDR/SO_REUSEPORT/backlog, the dual-stack [::] default,
 * UDP binds, non-blocking connects). Every socket made here is non-blocking and close-on-exec. */
#ifndef PKTENG_ENGINE_ADDR_H
#define PKTENG_ENGINE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

/* A socket address of either family with its length. Plain value: copy it freely. */
struct pe_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
	};
	socklen_t len;
};

/* Longest text pe_addr_format() writes, with the NUL: "[v6%scope]:65535". */
#define PE_ADDR_STRLEN (INET6_ADDRSTRLEN + 16 + 10)

/* Resolves HOST and PORT (a number or a service name) with getaddrinfo(3). family is AF_UNSPEC,
 * AF_INET or AF_INET6; socktype SOCK_STREAM or SOCK_DGRAM; passive asks for bind addresses.
 * Fills up to max results in getaddrinfo's order (duplicates removed) and returns how many (>= 1),
 * or -ENOENT (no such name/service), -EAGAIN (temporary DNS failure), -EAFNOSUPPORT (no address
 * of that family), -EINVAL (bad arguments), -ENOMEM. pe_addr_strerror() says which in words.
 * host NULL, "" or "*" means every local address: see pe_addr_any(). */
int pe_addr_resolve(const char *host, const char *port, int family, int socktype, bool passive,
		    struct pe_addr *out, int max);
/* The first result of pe_addr_resolve(): 0 or its negative errno. */
int pe_addr_parse(struct pe_addr *out, const char *host, const char *port, int family, int socktype,
		  bool passive);
/* Words for an error from pe_addr_resolve(): "name or service not known", or strerror. */
const char *pe_addr_strerror(int err);

/* "Every address" for a listener: [::] (to be bound dual-stack, IPV6_V6ONLY=0) when this host
 * has IPv6, else 0.0.0.0. family AF_INET / AF_INET6 forces one; AF_UNSPEC picks. Returns 0 or
 * -EAFNOSUPPORT when the forced family is unavailable. */
int pe_addr_any(struct pe_addr *out, int family, uint16_t port);
/* Loopback of the family (127.0.0.1 or ::1) and port. Returns 0 or -EAFNOSUPPORT. */
int pe_addr_loopback(struct pe_addr *out, int family, uint16_t port);
/* Builds an address from a numeric literal ("198.18.0.1", "2001:2::1", "fe80::1%veth0"),
 * no DNS. Returns 0 or -EINVAL. */
int pe_addr_from_str(struct pe_addr *out, const char *ip, uint16_t port);

uint16_t pe_addr_port(const struct pe_addr *a); /* host byte order; 0 for other families */
void pe_addr_set_port(struct pe_addr *a, uint16_t port);
bool pe_addr_is_any(const struct pe_addr *a);			      /* 0.0.0.0 or :: */
bool pe_addr_equal(const struct pe_addr *a, const struct pe_addr *b); /* family, address, port */
/* "198.18.0.1:5201" or "[2001:2::1]:5201" (v4-mapped v6 printed as v4). Returns the length
 * written (without NUL) or -ENOSPC when buf is too small (buf then holds a truncated string). */
int pe_addr_format(const struct pe_addr *a, char *buf, size_t len);
/* Same, address only, no port and no brackets. */
int pe_addr_format_ip(const struct pe_addr *a, char *buf, size_t len);
/* Local or peer address of a socket: 0 or -errno. */
int pe_sock_local(int fd, struct pe_addr *out);
int pe_sock_peer(int fd, struct pe_addr *out);

/* Socket options applied at creation. Zero/false fields mean "leave the kernel default" except
 * where noted. Initialise as `struct pe_sock_opts o = { .sz = sizeof(o), ... }`. */
struct pe_sock_opts {
	size_t sz;
	int backlog;	   /* listen(2) backlog; 0 = SOMAXCONN (4096 on this kernel); -1 = 0 */
	bool reuseport;	   /* SO_REUSEPORT (one listener per worker) */
	bool no_reuseaddr; /* SO_REUSEADDR is on by default for listeners; this turns it off */
	bool v6only;	   /* IPV6_V6ONLY=1 for an IPv6 socket; default 0 = dual stack on [::] */
	bool nodelay;	   /* TCP_NODELAY (set on connect sockets; listeners pass it to accepted) */
	int sndbuf_bytes;  /* SO_SNDBUF when > 0 */
	int rcvbuf_bytes;  /* SO_RCVBUF when > 0 */
	const struct pe_addr *bind; /* pe_sock_connect(): local address to bind first, or NULL */
};

/* A TCP listener on addr. A wildcard [::] is bound dual-stack (IPV6_V6ONLY=0 unless
 * o->v6only); if the host has no IPv6 (socket() fails with EAFNOSUPPORT) a [::] request falls
 * back to 0.0.0.0 and *addr is NOT changed (call pe_sock_local() for the real address).
 * Returns the fd (>= 0) or -errno (-EADDRINUSE, -EACCES, ...). o may be NULL. */
int pe_sock_listen(const struct pe_addr *addr, const struct pe_sock_opts *o);
/* A UDP socket bound to addr (same wildcard rules; reuseport/buffers from o). fd or -errno. */
int pe_sock_udp(const struct pe_addr *addr, const struct pe_sock_opts *o);
/* A TCP socket with a non-blocking connect(2) to addr started. Returns the fd (the connect
 * completes or fails later: wait for writability and read SO_ERROR) or -errno for errors that
 * are immediate (-ECONNREFUSED on loopback can be either). */
int pe_sock_connect(const struct pe_addr *addr, const struct pe_sock_opts *o);
/* Pending socket error (SO_ERROR) as -errno, or 0. */
int pe_sock_error(int fd);

#pragma GCC visibility pop

#endif
