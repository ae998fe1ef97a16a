/* SPDX-License-Identifier: BSD-2-Clause */
/* getaddrinfo wrappers, sockaddr helpers and socket creation for the engine (see addr.h). */
#include "engine/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int gai_errno(int rc)
{
	switch (rc) {
	case EAI_NONAME:
	case EAI_SERVICE:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
		return -ENOENT;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_FAMILY:
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		return -EAFNOSUPPORT;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return errno ? -errno : -EIO;
	default:
		return -EINVAL;
	}
}

const char *pe_addr_strerror(int err)
{
	switch (err) {
	case -ENOENT:
		return "name or service not known";
	case -EAGAIN:
		return "temporary failure in name resolution";
	case -EAFNOSUPPORT:
		return "no address of the requested family";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

static bool is_wild(const char *host)
{
	return !host || !*host || !strcmp(host, "*");
}

int pe_addr_resolve(const char *host, const char *port, int family, int socktype, bool passive,
		    struct pe_addr *out, int max)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	int rc, n = 0, i;

	if (max <= 0 || (family != AF_UNSPEC && family != AF_INET && family != AF_INET6))
		return -EINVAL;
	if (is_wild(host)) {
		unsigned long p = 0;
		char *end;

		if (port && *port) {
			struct addrinfo *r2;

			p = strtoul(port, &end, 10);
			if (*end || p > 65535) {
				hints.ai_family = AF_INET;
				hints.ai_socktype = socktype;
				hints.ai_flags = AI_PASSIVE;
				rc = getaddrinfo(NULL, port, &hints, &r2);
				if (rc)
					return gai_errno(rc);
				p = ntohs(((struct sockaddr_in *)r2->ai_addr)->sin_port);
				freeaddrinfo(r2);
			}
		}
		rc = pe_addr_any(out, family, (uint16_t)p);
		return rc ? rc : 1;
	}
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	hints.ai_flags = (passive ? AI_PASSIVE : 0) | AI_ADDRCONFIG;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY || rc == EAI_FAMILY) {
		hints.ai_flags &= ~AI_ADDRCONFIG; /* ::1 on a host with only loopback IPv6 */
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc)
		return gai_errno(rc);
	for (ai = res; ai && n < max; ai = ai->ai_next) {
		struct pe_addr a = { 0 };
		bool dup = false;

		if (ai->ai_addrlen > sizeof(a.ss))
			continue;
		memcpy(&a.ss, ai->ai_addr, ai->ai_addrlen);
		a.len = ai->ai_addrlen;
		for (i = 0; i < n; i++)
			dup |= pe_addr_equal(&out[i], &a);
		if (!dup)
			out[n++] = a;
	}
	freeaddrinfo(res);
	return n ? n : -ENOENT;
}

int pe_addr_parse(struct pe_addr *out, const char *host, const char *port, int family, int socktype,
		  bool passive)
{
	int n = pe_addr_resolve(host, port, family, socktype, passive, out, 1);

	return n < 0 ? n : 0;
}

static bool have_ipv6(void)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int pe_addr_any(struct pe_addr *out, int family, uint16_t port)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_UNSPEC)
		family = have_ipv6() ? AF_INET6 : AF_INET;
	if (family == AF_INET6) {
		if (!have_ipv6())
			return -EAFNOSUPPORT;
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_addr = in6addr_any;
		out->in6.sin6_port = htons(port);
		out->len = sizeof(out->in6);
		return 0;
	}
	if (family != AF_INET)
		return -EAFNOSUPPORT;
	out->in.sin_family = AF_INET;
	out->in.sin_addr.s_addr = htonl(INADDR_ANY);
	out->in.sin_port = htons(port);
	out->len = sizeof(out->in);
	return 0;
}

int pe_addr_loopback(struct pe_addr *out, int family, uint16_t port)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET6) {
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_addr = in6addr_loopback;
		out->in6.sin6_port = htons(port);
		out->len = sizeof(out->in6);
		return 0;
	}
	if (family != AF_INET && family != AF_UNSPEC)
		return -EAFNOSUPPORT;
	out->in.sin_family = AF_INET;
	out->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	out->in.sin_port = htons(port);
	out->len = sizeof(out->in);
	return 0;
}

int pe_addr_from_str(struct pe_addr *out, const char *ip, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	char *pct;

	memset(out, 0, sizeof(*out));
	if (!ip)
		return -EINVAL;
	if (inet_pton(AF_INET, ip, &out->in.sin_addr) == 1) {
		out->in.sin_family = AF_INET;
		out->in.sin_port = htons(port);
		out->len = sizeof(out->in);
		return 0;
	}
	if (strlen(ip) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, ip);
	pct = strchr(buf, '%');
	if (pct)
		*pct++ = 0;
	if (inet_pton(AF_INET6, buf, &out->in6.sin6_addr) != 1)
		return -EINVAL;
	if (pct) {
		out->in6.sin6_scope_id = if_nametoindex(pct);
		if (!out->in6.sin6_scope_id)
			return -EINVAL;
	}
	out->in6.sin6_family = AF_INET6;
	out->in6.sin6_port = htons(port);
	out->len = sizeof(out->in6);
	return 0;
}

uint16_t pe_addr_port(const struct pe_addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return ntohs(a->in.sin_port);
	if (a->sa.sa_family == AF_INET6)
		return ntohs(a->in6.sin6_port);
	return 0;
}

void pe_addr_set_port(struct pe_addr *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET)
		a->in.sin_port = htons(port);
	else if (a->sa.sa_family == AF_INET6)
		a->in6.sin6_port = htons(port);
}

bool pe_addr_is_any(const struct pe_addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->in6.sin6_addr);
	return false;
}

bool pe_addr_equal(const struct pe_addr *a, const struct pe_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr &&
		       a->in.sin_port == b->in.sin_port;
	if (a->sa.sa_family == AF_INET6)
		return !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) &&
		       a->in6.sin6_port == b->in6.sin6_port &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id;
	return false;
}

int pe_addr_format_ip(const struct pe_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	int n;

	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in.sin_addr, ip, sizeof(ip));
	} else if (a->sa.sa_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr)) {
			inet_ntop(AF_INET, &a->in6.sin6_addr.s6_addr[12], ip, sizeof(ip));
		} else {
			char ifn[IF_NAMESIZE];

			inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof(ip));
			if (a->in6.sin6_scope_id && if_indextoname(a->in6.sin6_scope_id, ifn))
				snprintf(ip + strlen(ip), sizeof(ip) - strlen(ip), "%%%s", ifn);
		}
	} else {
		snprintf(ip, sizeof(ip), "(family %d)", a->sa.sa_family);
	}
	n = snprintf(buf, len, "%s", ip);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

int pe_addr_format(const struct pe_addr *a, char *buf, size_t len)
{
	char ip[PE_ADDR_STRLEN];
	bool v6 = a->sa.sa_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr);
	int n;

	if (pe_addr_format_ip(a, ip, sizeof(ip)) < 0)
		return -ENOSPC;
	n = snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", ip, pe_addr_port(a));
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

static int sock_name(int fd, struct pe_addr *out, bool peer)
{
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	if ((peer ? getpeername : getsockname)(fd, &out->sa, &out->len))
		return -errno;
	return 0;
}

int pe_sock_local(int fd, struct pe_addr *out)
{
	return sock_name(fd, out, false);
}

int pe_sock_peer(int fd, struct pe_addr *out)
{
	return sock_name(fd, out, true);
}

int pe_sock_error(int fd)
{
	int e = 0;
	socklen_t l = sizeof(e);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l))
		return -errno;
	return -e;
}

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v)) ? -errno : 0;
}

/* socket() + the common options; for a wildcard [::] on a host without IPv6, 0.0.0.0. */
static int sock_make(const struct pe_addr *addr, int type, const struct pe_sock_opts *o,
		     bool listener, struct pe_addr *use)
{
	int fd, err;

	*use = *addr;
	fd = socket(use->sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT && use->sa.sa_family == AF_INET6 &&
	    pe_addr_is_any(use)) {
		pe_addr_any(use, AF_INET, pe_addr_port(addr));
		fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return -errno;
	err = 0;
	if (listener && !(o && o->no_reuseaddr))
		err = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (!err && o && o->reuseport)
		err = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (!err && use->sa.sa_family == AF_INET6)
		err = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, o && o->v6only ? 1 : 0);
	if (!err && o && o->sndbuf_bytes > 0)
		err = set_int(fd, SOL_SOCKET, SO_SNDBUF, o->sndbuf_bytes);
	if (!err && o && o->rcvbuf_bytes > 0)
		err = set_int(fd, SOL_SOCKET, SO_RCVBUF, o->rcvbuf_bytes);
	if (!err && o && o->nodelay && type == SOCK_STREAM)
		err = set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int pe_sock_listen(const struct pe_addr *addr, const struct pe_sock_opts *o)
{
	struct pe_addr use;
	int fd, backlog = o ? o->backlog : 0;

	fd = sock_make(addr, SOCK_STREAM, o, true, &use);
	if (fd < 0)
		return fd;
	if (backlog == 0)
		backlog = SOMAXCONN;
	else if (backlog < 0)
		backlog = 0;
	if (bind(fd, &use.sa, use.len) || listen(fd, backlog)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int pe_sock_udp(const struct pe_addr *addr, const struct pe_sock_opts *o)
{
	struct pe_addr use;
	int fd = sock_make(addr, SOCK_DGRAM, o, false, &use);

	if (fd < 0)
		return fd;
	if (bind(fd, &use.sa, use.len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int pe_sock_connect(const struct pe_addr *addr, const struct pe_sock_opts *o)
{
	struct pe_addr use;
	int fd = sock_make(addr, SOCK_STREAM, o, false, &use);
	int err;

	if (fd < 0)
		return fd;
	if (o && o->bind && bind(fd, &o->bind->sa, o->bind->len))
		goto fail;
	if (connect(fd, &use.sa, use.len) && errno != EINPROGRESS)
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}
