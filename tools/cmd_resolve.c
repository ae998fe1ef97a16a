/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng resolve HOST [SERVICE]`: what getaddrinfo returns, one line per address. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tools/cli.h"

static const char usage[] =
	"Usage: pkteng resolve [-4|-6] [--passive] HOST [SERVICE]\n"
	"Prints every address getaddrinfo(3) returns for HOST and SERVICE (a port number or a\n"
	"name from /etc/services): family, socket type, protocol, address and port.\n"
	"  -4, -6       only IPv4 or only IPv6\n"
	"  --passive    addresses to bind to (AI_PASSIVE): HOST may be '' for the wildcard\n";

static const char *family_name(int f)
{
	return f == AF_INET ? "inet" : f == AF_INET6 ? "inet6" : "other";
}

static const char *socktype_name(int t)
{
	switch (t) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_RAW:
		return "raw";
	default:
		return "other";
	}
}

static const char *proto_name(int p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	case 0:
		return "ip";
	default:
		return "other";
	}
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "passive", no_argument, 0, 'p' },
		{ 0 },
	};
	struct addrinfo hints = { .ai_flags = AI_CANONNAME }, *res, *ai;
	const char *host, *service = NULL;
	int c, err;

	while ((c = getopt_long(argc, argv, "46h", opts, NULL)) != -1) {
		switch (c) {
		case '4':
			hints.ai_family = AF_INET;
			break;
		case '6':
			hints.ai_family = AF_INET6;
			break;
		case 'p':
			hints.ai_flags |= AI_PASSIVE;
			break;
		case 'h':
			return pe_cli_help(usage, false);
		default:
			return pe_cli_help(usage, true);
		}
	}
	if (optind >= argc)
		return pe_usage("resolve: missing HOST (see 'pkteng resolve --help')");
	if (argc - optind > 2)
		return pe_usage("resolve: unexpected argument '%s'", argv[optind + 2]);
	host = argv[optind];
	if (argc - optind == 2)
		service = argv[optind + 1];
	if (!*host) {
		if (!(hints.ai_flags & AI_PASSIVE))
			return pe_usage("resolve: empty HOST needs --passive");
		host = NULL;
		/* no name to make canonical: glibc refuses AI_CANONNAME with a NULL node */
		hints.ai_flags &= ~AI_CANONNAME;
	}
	err = getaddrinfo(host, service, &hints, &res);
	if (err)
		return pe_fail("resolve: %s%s%s: %s", host ? host : "''", service ? " " : "",
			       service ? service : "", gai_strerror(err));
	if (res->ai_canonname && host && strcmp(res->ai_canonname, host))
		printf("canonical name: %s\n", res->ai_canonname);
	for (ai = res; ai; ai = ai->ai_next) {
		char addr[INET6_ADDRSTRLEN] = "?";
		unsigned port = 0;

		if (ai->ai_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;

			inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
			port = ntohs(sin->sin_port);
		} else if (ai->ai_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ai->ai_addr;

			inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
			port = ntohs(sin6->sin6_port);
		}
		printf("%-5s %-6s %-5s %s port %u\n", family_name(ai->ai_family),
		       socktype_name(ai->ai_socktype), proto_name(ai->ai_protocol), addr, port);
	}
	freeaddrinfo(res);
	return PE_EXIT_OK;
}

const struct pe_cmd pe_cmd_resolve = {
	.name = "resolve",
	.summary = "print what getaddrinfo returns for a host and service",
	.run = run,
};
