/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng registry serve|list`: the client registry (names, addresses and ports) over
 * length-prefixed JSON. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "registry/registry.h"
#include "tools/cli.h"
#include "tools/sdnotify.h"

static const char usage[] =
	"Usage: pkteng registry serve [--port 5000] [--bind ADDR] [--backend uring|epoll]\n"
	"                             [--max-names N] [--ttl S] [--max-conns N] [--idle-timeout "
	"S]\n"
	"       pkteng registry list [-n NAME] [--host H] [--port P] [--connect-timeout S]\n"
	"                            [--idle-timeout S]\n"
	"serve: records every client's name, address and port and answers each with the whole\n"
	"       list (until interrupted; default on every address, IPv4 and IPv6).\n"
	"list:  registers NAME (1..255 bytes of UTF-8, no control characters) when given, and\n"
	"       prints the list as JSON.\n"
	"  -p, --port N     registry port (default 5000)\n"
	"  --bind ADDR      serve: listen on ADDR only\n"
	"  --backend B      serve: uring (default) or epoll\n"
	"  --max-names N    serve: names listed at once, 1..32766 (default 10000); past it a\n"
	"                   registration gets \"registry full\" and lists still work\n"
	"  --ttl S          serve: a registration is listed S seconds (default 3600); the same\n"
	"                   name from the same address registered again starts its time again\n"
	"  --max-conns N    serve: connections held (default 16384, lowered to fit the open-file\n"
	"                   limit); at the bound the one idle the longest is closed\n"
	"  -H, --host H     list: the registry's host (default localhost)\n"
	"  -n, --name NAME  list: the name to register\n"
	"  --connect-timeout S  list: seconds for the connection to open (default 5)\n"
	"  --idle-timeout S serve: seconds a request may take to arrive whole (default 30);\n"
	"                   list: seconds to wait for the answer (default 30)\n"
	"Bounds (serve): a request is at most 4096 bytes and must arrive whole within the idle\n"
	"timeout; all unfinished requests together hold at most 32 MiB (past it the oldest are\n"
	"closed); a list answer is at most 64 MiB (--max-names x 2048 bytes).\n";

static struct pe_registry *running;

static void on_signal(int sig)
{
	if (running)
		pe_registry_stop(running);
}

/* Under systemd (Type=notify) the unit is started once the socket listens. */
static void notify(const char *state)
{
	int r = pe_sd_notify(state);

	if (r < 0)
		fprintf(stderr, "pkteng registry: NOTIFY_SOCKET: %s: %s\n", state, strerror(-r));
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "port", required_argument, 0, 'p' },
		{ "bind", required_argument, 0, 'B' },
		{ "host", required_argument, 0, 'H' },
		{ "name", required_argument, 0, 'n' },
		{ "backend", required_argument, 0, 'k' },
		{ "max-names", required_argument, 0, 'N' },
		{ "ttl", required_argument, 0, 't' },
		{ "max-conns", required_argument, 0, 'M' },
		{ "connect-timeout", required_argument, 0, 'C' },
		{ "idle-timeout", required_argument, 0, 'I' },
		{ 0 },
	};
	const char *verb, *bind = NULL, *host = "localhost", *name = NULL;
	uint64_t port = PE_REGISTRY_PORT;
	enum pe_backend backend = PE_BACKEND_URING;
	bool have_backend = false, have_serve_opt = false;
	uint64_t max_names = 0, ttl_s = 0, max_conns = 0;
	int c, connect_ms = 0, idle_ms = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return pe_cli_help(usage, false);
	if (argc < 2)
		return pe_usage(
			"registry: expected 'serve' or 'list' (see 'pkteng registry --help')");
	verb = argv[1];
	if (strcmp(verb, "serve") && strcmp(verb, "list"))
		return pe_usage("registry: '%s' is not 'serve' or 'list'", verb);
	optind = 2;
	while ((c = getopt_long(argc, argv, "hp:H:n:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (pe_parse_u64(optarg, 1, 65535, &port))
				return pe_usage("registry: --port '%s': expected 1..65535", optarg);
			break;
		case 'B':
			if (!*optarg)
				return pe_usage("registry: --bind '': expected an address (leave "
						"--bind out "
						"to listen on every address)");
			bind = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'k':
			if (pe_backend_parse(optarg, &backend))
				return pe_usage("registry: --backend '%s': expected uring or epoll",
						optarg);
			have_backend = true;
			break;
		case 'N':
			if (pe_parse_u64(optarg, 1, PE_REGISTRY_NAMES_MAX, &max_names))
				return pe_usage("registry: --max-names '%s': expected 1..%u",
						optarg, (unsigned)PE_REGISTRY_NAMES_MAX);
			have_serve_opt = true;
			break;
		case 't':
			if (pe_parse_u64(optarg, 1, 31536000, &ttl_s))
				return pe_usage(
					"registry: --ttl '%s': expected 1..31536000 seconds",
					optarg);
			have_serve_opt = true;
			break;
		case 'M':
			if (pe_parse_u64(optarg, 1, 1000000, &max_conns))
				return pe_usage("registry: --max-conns '%s': expected 1..1000000",
						optarg);
			have_serve_opt = true;
			break;
		case 'C':
			if (pe_parse_timeout(optarg, &connect_ms))
				return pe_usage("registry: --connect-timeout '%s': expected "
						"0.001..86400 seconds",
						optarg);
			break;
		case 'I':
			if (pe_parse_timeout(optarg, &idle_ms))
				return pe_usage("registry: --idle-timeout '%s': expected "
						"0.001..86400 seconds",
						optarg);
			break;
		case 'h':
			return pe_cli_help(usage, false);
		default:
			return pe_cli_help(usage, true);
		}
	}
	if (optind < argc)
		return pe_usage("registry: unexpected argument '%s'", argv[optind]);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(verb, "serve")) {
		struct pe_registry_opts o = { .sz = sizeof(o),
					      .bind = bind,
					      .port = (uint16_t)port,
					      .log = true,
					      .backend = backend,
					      .max_names = (unsigned)max_names,
					      .ttl_s = (unsigned)ttl_s,
					      .max_conns = (int)max_conns,
					      .msg_timeout_ms = idle_ms };
		int r;

		if (name)
			return pe_usage("registry serve: -n is for 'list'");
		pe_cli_raise_nofile();
		if (connect_ms)
			return pe_usage("registry serve: --connect-timeout is for 'list'");
		running = pe_registry_open(&o);
		if (!running)
			return pe_fail("registry: listening on %s port %u: %s",
				       bind ? bind : "[::]", (unsigned)port, strerror(errno));
		pe_cli_on_stop(on_signal);
		fprintf(stderr, "pkteng registry: listening on %s port %u\n",
			bind ? bind : "every address", pe_registry_port(running));
		notify("READY=1");
		r = pe_registry_run(running);
		notify("STOPPING=1");
		pe_registry_close(running);
		running = NULL;
		return r ? pe_fail("registry: %s", strerror(-r)) : PE_EXIT_OK;
	} else {
		struct pe_registry_query_opts qo = { .sz = sizeof(qo),
						     .connect_timeout_ms = connect_ms,
						     .idle_timeout_ms = idle_ms };
		struct json_object *reply = NULL;
		char why[300];
		int r;

		if (bind)
			return pe_usage("registry list: --bind is for 'serve'");
		if (have_backend)
			return pe_usage("registry list: --backend is for 'serve'");
		if (have_serve_opt)
			return pe_usage("registry list: --max-names, --ttl and --max-conns are for "
					"'serve'");
		if (name) {
			r = pe_registry_check_name(name, strlen(name), why, sizeof(why));
			if (r)
				return pe_usage("registry: -n: %s", why);
		}
		r = pe_registry_query_opts(host, (uint16_t)port, name, name ? strlen(name) : 0,
					   true, &qo, &reply, why, sizeof(why));
		if (r) {
			json_object_put(reply);
			return pe_fail("registry: %s", why);
		}
		printf("%s\n", json_object_to_json_string_ext(
				       reply, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
		json_object_put(reply);
		return PE_EXIT_OK;
	}
}

const struct pe_cmd pe_cmd_registry = {
	.name = "registry",
	.summary = "the client registry: 'serve' it, or 'list' (and register a name)",
	.run = run,
};
