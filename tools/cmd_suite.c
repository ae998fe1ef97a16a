/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng suite FILE`: runs a suite file's tests (docs/suite.md) in interleaved repeated runs,
 * one or more pkteng binaries and settings side by side, into a results directory that
 * `pkteng compare` and `pkteng report` read. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "suite/suite.h"
#include "tools/cli.h"
#include "tools/suite_cli.h"

static const char usage[] =
	"Usage: pkteng suite FILE [--out DIR] [--bin [NAME=]PATH]... [--plan]\n"
	"Runs every test point of the suite FILE (docs/suite.md) in interleaved repeated runs and\n"
	"writes the results directory DIR: suite.json and one line per run in runs.jsonl.\n"
	"  --out DIR     the results directory (new, or empty; default ./pkteng-suite-DATE-TIME)\n"
	"  --bin PATH    a pkteng binary to run; twice or more to compare binaries in one session\n"
	"                (named base, new, bin3...; NAME=PATH names it). Default: this pkteng\n"
	"  --plan        print the order of the runs and exit\n"
	"A test may span hosts: [host NAME] sections, server = HOST and clients = HOST, HOST\n"
	"(reached with ssh in batch mode; docs/suite.md). FILE without a folder that is not\n"
	"here: the shipped suite of that name (quick, regress, loopback), installed beside\n"
	"pkteng in share/pkteng/suites. Progress goes to stderr when it is a terminal. Ctrl-C\n"
	"stops after the current run and leaves DIR marked partial (a second Ctrl-C ends the\n"
	"current run too). Exit status: 0 every run succeeded, 1 a run failed or the suite was\n"
	"interrupted or stopped (on_error = stop), 2 bad usage or a bad suite file.\n";

static volatile sig_atomic_t stop;

/* A suite FILE named without a folder that is not in the current one: the shipped suite of
 * that name (NAME or NAME.ini) beside this installed pkteng, in BINDIR/PE_SUITES_REL
 * (share/pkteng/suites). Returns path, or file itself when there is none. */
static const char *shipped_suite(const char *file, const char *self, char *path, size_t len)
{
	const char *slash = strrchr(self, '/');
	static const char *const ext[] = { "", ".ini" };

	if (strchr(file, '/') || !access(file, F_OK) || !slash)
		return file;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		int n = snprintf(path, len, "%.*s/%s/%s%s", (int)(slash - self), self,
				 PE_SUITES_REL, file, ext[i]);

		if (n > 0 && (size_t)n < len && !access(path, R_OK))
			return path;
	}
	return file;
}

/* "pkteng suite: " + message on stderr (or "pkteng bench: " for bench); returns rc. */
static int say(int rc, const char *who, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int say(int rc, const char *who, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pkteng %s: ", who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return rc;
}

static void on_stop(int sig)
{
	(void)sig;
	stop = stop < 2 ? stop + 1 : 2;
}

int pe_suite_cli_bin(const char *arg, struct pe_suite_bin *bins, unsigned *n)
{
	const char *eq = strchr(arg, '=');
	struct pe_suite_bin *b;

	if (*n == PE_SUITE_BINS_MAX)
		return say(PE_EXIT_USAGE, "suite", "--bin: at most %d binaries", PE_SUITE_BINS_MAX);
	b = &bins[(*n)++];
	memset(b, 0, sizeof(*b));
	if (eq && (size_t)(eq - arg) < sizeof(b->name) && eq > arg &&
	    !memchr(arg, '/', (size_t)(eq - arg))) {
		snprintf(b->name, sizeof(b->name), "%.*s", (int)(eq - arg), arg);
		arg = eq + 1;
	}
	snprintf(b->path, sizeof(b->path), "%s", arg);
	return 0;
}

static void print_plan(const struct pe_suite *s)
{
	for (unsigned i = 0; i < s->n_steps; i++) {
		const struct pe_suite_step *st = &s->steps[i];

		if (st->run)
			printf("%u %s %s %u\n", i - s->n_warmup_steps + 1, s->points[st->point].id,
			       s->variants[st->variant].name, st->run);
		else
			printf("warmup %s %s\n", s->points[st->point].id,
			       s->variants[st->variant].name);
	}
}

int pe_suite_cli_run(struct pe_suite *s, const char *out_dir, const char *who)
{
	struct pe_suite_run_opts o = {
		.sz = sizeof(o), .out_dir = out_dir, .progress = isatty(2), .stop = &stop
	};
	struct pe_suite_result res;
	char err[600];
	int rc;

	signal(SIGPIPE, SIG_IGN);
	pe_cli_on_stop(on_stop);
	rc = pe_suite_run(s, &o, &res, err, sizeof(err));
	if (rc) {
		pe_suite_result_free(s, &res);
		return say(rc == -EEXIST || rc == -ENOTDIR ? PE_EXIT_USAGE : PE_EXIT_FAIL, who,
			   "%s", err);
	}
	pe_suite_print_table(stdout, s, &res);
	if (out_dir)
		printf("\n%u of %u runs (%u failed, %u disturbed)%s: %s\n", res.done, res.planned,
		       res.failed, res.disturbed, res.interrupted ? ", interrupted" : "", out_dir);
	fflush(stdout);
	if (res.interrupted)
		rc = say(PE_EXIT_FAIL, who, "interrupted after %u of %u runs (partial results%s%s)",
			 res.done, res.planned, out_dir ? " in " : "", out_dir ? out_dir : "");
	else if (res.stopped)
		rc = say(PE_EXIT_FAIL, who,
			 "stopped after a failed run (on_error = stop; runs.jsonl says why)");
	else if (res.failed)
		rc = say(PE_EXIT_FAIL, who, "%u of %u runs failed (runs.jsonl says why)",
			 res.failed, res.done);
	pe_suite_result_free(s, &res);
	return rc;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "out", required_argument, 0, 'o' },
		{ "bin", required_argument, 0, 'b' },
		{ "plan", no_argument, 0, 'p' },
		{ 0 },
	};
	struct pe_suite_bin bins[PE_SUITE_BINS_MAX];
	struct pe_suite *s;
	unsigned n_bins = 0;
	const char *out_dir = NULL;
	char err[600], self[PATH_MAX], path[PATH_MAX + 64], dflt[64];
	bool plan_only = false;
	int c, rc;

	if (argc > 1 && !strcmp(argv[1], "--side")) /* one side of a multi-host run */
		return pe_suite_side_main(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out_dir = optarg;
			break;
		case 'b':
			if ((rc = pe_suite_cli_bin(optarg, bins, &n_bins)))
				return rc;
			break;
		case 'p':
			plan_only = true;
			break;
		case 'h':
			return pe_cli_help(usage, false);
		default:
			return pe_cli_help(usage, true);
		}
	}
	if (optind >= argc)
		return say(PE_EXIT_USAGE, "suite", "a suite FILE is needed (suites/loopback.ini)");
	if (optind + 1 < argc)
		return say(PE_EXIT_USAGE, "suite", "unexpected argument '%s'", argv[optind + 1]);
	if (out_dir && !strcmp(out_dir, "-"))
		return say(PE_EXIT_USAGE, "suite",
			   "--out -: a results directory cannot be standard output");
	if (!realpath("/proc/self/exe", self))
		return say(PE_EXIT_FAIL, "suite", "cannot find this pkteng: %s", strerror(errno));
	s = calloc(1, sizeof(*s));
	if (!s)
		return say(PE_EXIT_FAIL, "suite", "out of memory");
	rc = pe_suite_load(s, shipped_suite(argv[optind], self, path, sizeof(path)), err,
			   sizeof(err));
	if (!rc)
		rc = pe_suite_plan(s, bins, n_bins, self, err, sizeof(err));
	if (rc) {
		rc = rc == -ENOMEM ? say(PE_EXIT_FAIL, "suite", "out of memory")
				   : say(PE_EXIT_USAGE, "suite", "%s", err);
	} else if (plan_only) {
		print_plan(s);
	} else {
		if (!out_dir) {
			time_t now = time(NULL);
			struct tm tm;

			strftime(dflt, sizeof(dflt), "pkteng-suite-%Y%m%d-%H%M%S",
				 localtime_r(&now, &tm));
			out_dir = dflt;
		}
		rc = pe_suite_cli_run(s, out_dir, "suite");
	}
	pe_suite_free(s);
	free(s);
	return rc;
}

const struct pe_cmd pe_cmd_suite = {
	.name = "suite",
	.summary = "a suite file's tests in interleaved repeated runs into a results directory",
	.run = run,
};
