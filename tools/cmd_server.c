/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng server`: serves tests to `pkteng client` until interrupted. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "workload/work.h"
#include "tools/cli.h"
#include "tools/sdnotify.h"

static const char usage[] =
	"Usage: pkteng server [--bind ADDR] [--port 5201] [--backend uring|epoll] [--threads N]\n"
	"Serves every test mode of 'pkteng client' (see its --help) until interrupted.\n"
	"  --bind ADDR      listen on ADDR only (default: every address, IPv4 and IPv6)\n"
	"  -p, --port N     control port (default 5201; 0: any free one, named in the first log\n"
	"                   line); each test gets its own data port\n"
	"  --backend B      uring (default) or epoll, for every test's data connections\n"
	"  --threads N      tests served at once, each on its own thread and loop (default 64)\n"
	"  --max-pending N  connections held before their hello (default 4096, lowered to fit\n"
	"                   the open-file limit); at the bound the oldest is closed\n"
	"  --one-off        serve one test, then exit (its exit status: 0, or 1 if it failed)\n"
	"  --connect-timeout S  seconds from a test's \"ok\" until the client's \"start\" and\n"
	"                   every data connection (default 10)\n"
	"  --idle-timeout S a whole control message must arrive within S seconds of being due\n"
	"                   (default 10; a deadline for the message, not for each read)\n"
	"  -q, --quiet      no log lines on stderr\n"
	"Bounds: a connection takes a test slot only once it has sent a whole, valid hello\n"
	"(at most 16 KiB) within the idle timeout; until then it waits on the acceptor's loop\n"
	"(no thread), and all partial hellos together hold at most 16 MiB (past it the oldest\n"
	"are closed). Clients with a valid hello wait for a slot, at most 1024 of them.\n"
	"Log lines (stderr): one per finished test (who, mode, what this side measured), per\n"
	"failed test and per refused client.\n";

static struct pe_server *running;

static void on_signal(int sig)
{
	if (running)
		pe_server_stop(running);
}

/* Under systemd (Type=notify) the unit is started once the control socket listens. */
static void notify(const char *state)
{
	int r = pe_sd_notify(state);

	if (r < 0)
		fprintf(stderr, "pkteng server: NOTIFY_SOCKET: %s: %s\n", state, strerror(-r));
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "bind", required_argument, 0, 'B' },
		{ "port", required_argument, 0, 'p' },
		{ "backend", required_argument, 0, 'k' },
		{ "threads", required_argument, 0, 'T' },
		{ "max-pending", required_argument, 0, 'P' },
		{ "quiet", no_argument, 0, 'q' },
		{ "one-off", no_argument, 0, '1' },
		{ "connect-timeout", required_argument, 0, 'C' },
		{ "idle-timeout", required_argument, 0, 'I' },
		{ 0 },
	};
	struct pe_server_opts so = { .sz = sizeof(so), .port = 5201, .log = true };
	char addr[PE_ADDR_STRLEN];
	uint64_t v, done = 0, refused = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "hp:q", opts, NULL)) != -1) {
		switch (c) {
		case 'B':
			if (!*optarg)
				return pe_usage(
					"server: --bind '': expected an address (leave --bind out "
					"to listen on every address)");
			so.bind = optarg;
			break;
		case 'p':
			if (pe_parse_u64(optarg, 0, 65535, &v))
				return pe_usage("server: --port '%s': expected 0..65535", optarg);
			so.port = (uint16_t)v;
			break;
		case 'k':
			if (pe_backend_parse(optarg, &so.backend))
				return pe_usage("server: --backend '%s': expected uring or epoll",
						optarg);
			break;
		case 'T':
			if (pe_parse_u64(optarg, 1, 4096, &v))
				return pe_usage("server: --threads '%s': expected 1..4096", optarg);
			so.max_sessions = (unsigned)v;
			break;
		case 'P':
			if (pe_parse_u64(optarg, 1, 1000000, &v))
				return pe_usage("server: --max-pending '%s': expected 1..1000000",
						optarg);
			so.max_pending = (unsigned)v;
			break;
		case 'q':
			so.log = false;
			break;
		case '1':
			so.one_off = true;
			break;
		case 'C':
			if (pe_parse_timeout(optarg, &so.connect_timeout_ms))
				return pe_usage(
					"server: --connect-timeout '%s': expected 0.001..86400 "
					"seconds",
					optarg);
			break;
		case 'I':
			if (pe_parse_timeout(optarg, &so.ctl_timeout_ms))
				return pe_usage(
					"server: --idle-timeout '%s': expected 0.001..86400 "
					"seconds",
					optarg);
			break;
		case 'h':
			return pe_cli_help(usage, false);
		default:
			return pe_cli_help(usage, true);
		}
	}
	if (optind < argc)
		return pe_usage("server: unexpected argument '%s'", argv[optind]);
	pe_cli_raise_nofile();
	running = pe_server_open(&so);
	if (!running)
		return pe_fail("server: listening on %s port %u: %s", so.bind ? so.bind : "[::]",
			       so.port, strerror(errno));
	pe_cli_on_stop(on_signal);
	signal(SIGPIPE, SIG_IGN);
	snprintf(addr, sizeof(addr), "%s", so.bind ? so.bind : "every address");
	if (so.log)
		fprintf(stderr, "pkteng server: listening on %s port %u (%s backend)\n", addr,
			pe_server_port(running), pe_backend_name(so.backend));
	notify("READY=1");
	r = pe_server_run(running);
	notify("STOPPING=1");
	pe_server_counts(running, &done, &refused);
	pe_server_close(running);
	running = NULL;
	if (r)
		return pe_fail("server: %s", strerror(-r));
	/* --one-off: the test's own outcome (a refused hello does not count as the test) */
	return so.one_off && !done && refused ? PE_EXIT_FAIL : PE_EXIT_OK;
}

const struct pe_cmd pe_cmd_server = {
	.name = "server",
	.summary = "serve tests of every mode to 'pkteng client'",
	.run = run,
};
