/* SPDX-License-Identifier: BSD-2-Clause */
/* Regression suites (docs/suite.md): a suite file in INI form read with libinih, its plan (the
 * cross product of every key's alternatives, the variants, an interleaved order of runs), the
 * runs themselves (the variant's pkteng binary spawned with the point's arguments and --json),
 * the noise each run saw, and the results directory (suite.json and runs.jsonl). */
#ifndef PKTENG_SUITE_SUITE_H
#define PKTENG_SUITE_SUITE_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

#define PE_SUITE_KEYS_MAX     40 /* keys per section */
#define PE_SUITE_ALTS_MAX     16 /* alternatives per key */
#define PE_SUITE_TESTS_MAX    64 /* test sections */
#define PE_SUITE_SETTINGS_MAX 8	 /* variant.NAME settings */
#define PE_SUITE_BINS_MAX     8	 /* --bin */
#define PE_SUITE_POINTS_MAX   512
#define PE_SUITE_ARGS_MAX     64 /* arguments of one run's command */
#define PE_SUITE_HOSTS_MAX    16 /* [host NAME] sections */
#define PE_SUITE_SIDE_VERSION 1	 /* the `suite --side` exchange (multi.c, side.c) */

/* One `key = value` as written: the value split at commas into its alternatives. */
struct pe_suite_kv {
	char key[48];
	char *value; /* malloc'd, trimmed */
	char *alts[PE_SUITE_ALTS_MAX];
	unsigned n_alts;
	int line;
};

struct pe_suite_section {
	char name[64];
	int line;
	struct pe_suite_kv kv[PE_SUITE_KEYS_MAX];
	unsigned n;
};

/* A settings variant: `variant.NAME = key=value key=value` in [global]. */
struct pe_suite_setting {
	char name[40];
	struct pe_suite_section kv; /* its pairs, as a section of their own */
};

struct pe_suite_variant {
	char name[96];
	char bin[PATH_MAX];
	int bin_idx, setting_idx; /* setting_idx -1: none */
	char version[32], commit[48];
};

/* A host of a multi-host suite: `[host NAME]` (docs/suite.md). */
struct pe_suite_host {
	char name[40];
	char ssh[256];	      /* the ssh destination; "" or "localhost": run here, without ssh */
	char addr[128];	      /* the data-plane address the other hosts reach it on */
	char bin[PATH_MAX];   /* pkteng on that host (default "pkteng"; here: the variant's) */
	char cpus[64];	      /* "" or a CPU list the side is pinned to */
	char ssh_config[256]; /* "" or ssh -F FILE */
	char dev[16];	      /* the interface inject and capture use there */
	int line;
};

/* One point: a test with one alternative of every key chosen. */
struct pe_suite_point {
	char id[256];
	unsigned test;
	unsigned runs;
	double time_s;
	bool local_server;
	int server_host;			 /* -1, or the host the server runs on */
	int client_hosts[PE_SUITE_HOSTS_MAX];	 /* one client on each */
	unsigned n_clients;			 /* 0: not a multi-host point */
	bool lab;				 /* command = inject */
	int inject_host, capture_host, xdp_host; /* lab: the hosts (capture, xdp: -1, none) */
	unsigned choice[PE_SUITE_KEYS_MAX];	 /* alternative chosen per key of `keys` */
	struct pe_suite_section keys;		 /* the test's keys after the [global] defaults */
};

/* One entry of the plan: which point with which variant, its run number (0: the warm-up). */
struct pe_suite_step {
	unsigned point, variant, run;
};

enum pe_suite_order { PE_SUITE_ABBA, PE_SUITE_SHUFFLE };

struct pe_suite {
	char file[PATH_MAX]; /* as given; "(built-in)" for a suite from a string */
	bool from_file;
	struct pe_suite_section global;
	struct pe_suite_section tests[PE_SUITE_TESTS_MAX];
	unsigned n_tests;
	struct pe_suite_setting settings[PE_SUITE_SETTINGS_MAX];
	unsigned n_settings;
	/* [global] only */
	unsigned warmup;
	enum pe_suite_order order;
	uint64_t seed;
	bool seed_given;
	double steal_max_pct, other_max_pct;
	bool on_error_stop; /* on_error = stop: a failed run ends the suite */
	double grace_s;	    /* a multi-host side is stopped after time + grace_s */
	struct pe_suite_host hosts[PE_SUITE_HOSTS_MAX];
	unsigned n_hosts;
	/* the plan (pe_suite_plan) */
	struct pe_suite_variant variants[PE_SUITE_BINS_MAX * (PE_SUITE_SETTINGS_MAX + 1)];
	unsigned n_variants;
	struct pe_suite_point *points;
	unsigned n_points;
	struct pe_suite_step *steps; /* warm-ups first, then every measured run */
	unsigned n_steps, n_warmup_steps;
};

/* A binary to compare (--bin [NAME=]PATH). */
struct pe_suite_bin {
	char name[48];
	char path[PATH_MAX];
};

/* Reads a suite file (or, with pe_suite_load_string, a suite held in memory named `name`) and
 * checks every key and value. 0, or -EINVAL with one line in err:
 * "FILE:LINE: key 'x': reason". The suite is zeroed first; free it with pe_suite_free. */
int pe_suite_load(struct pe_suite *s, const char *path, char *err, size_t errlen);
int pe_suite_load_string(struct pe_suite *s, const char *name, const char *text, char *err,
			 size_t errlen);
/* Sets key = value in [global] and in every test section that sets key: the command line's
 * overrides (bench -t, -r, --backend). 0 or -EINVAL (a bad value) / -ENOMEM. Call before
 * pe_suite_plan. */
int pe_suite_override(struct pe_suite *s, const char *key, const char *value);
/* Builds the points, the variants (bins x settings; no bins: self_exe) and the order of the
 * runs, and checks each point's parameters as the client would. 0 or -EINVAL with one line in
 * err naming file, line and key; -ENOMEM. */
int pe_suite_plan(struct pe_suite *s, const struct pe_suite_bin *bins, unsigned n_bins,
		  const char *self_exe, char *err, size_t errlen);
void pe_suite_free(struct pe_suite *s);

/* The arguments of one run of point p with variant v after argv[0] (the binary): "client",
 * the host, -p port (port NULL: none), the options, and --json when json is true. Pointers into
 * the suite or static strings, NULL-terminated; returns the count or -E2BIG. v = UINT_MAX:
 * without any variant's settings. */
int pe_suite_argv(const struct pe_suite *s, unsigned p, unsigned v, const char *port, bool json,
		  char **argv, int max);
/* The value of key in point p (its chosen alternative), or NULL. */
const char *pe_suite_point_get(const struct pe_suite_point *pt, const char *key);

/* The suite as run, for suite.json: {"global": {...}, "tests": {"name": {...}}, "variants":
 * {...}}; and the points: [{"id", "test", "vars", "command"}]. NULL on allocation failure. */
struct json_object *pe_suite_json(const struct pe_suite *s);
struct json_object *pe_suite_points_json(const struct pe_suite *s);

/* ---- running ------------------------------------------------------------------------------ */

struct pe_suite_run_opts {
	size_t sz;
	const char *out_dir; /* the results directory; NULL: write none */
	bool progress;	     /* run i of N on stderr */
	/* set by a signal handler: 1 stops after the current run, 2 stops the current run too */
	volatile sig_atomic_t *stop;
};

/* What the runs gave: per (point, variant) the metrics of every measured run (arrays of JSON
 * objects) and the counts. */
struct pe_suite_result {
	struct json_object **metrics; /* [point * n_variants + variant]: array */
	unsigned done, failed, disturbed, planned;
	bool interrupted;
	bool stopped; /* on_error = stop ended the suite after a failed run */
};

/* Runs the plan. The results directory must not exist or be empty; it is created first.
 * Returns 0 (even when runs failed: see res->failed), or a negative errno with one line in
 * err when the suite could not run at all (a server that did not start, an unwritable
 * directory). Free res with pe_suite_result_free. */
int pe_suite_run(struct pe_suite *s, const struct pe_suite_run_opts *o, struct pe_suite_result *res,
		 char *err, size_t errlen);
void pe_suite_result_free(const struct pe_suite *s, struct pe_suite_result *res);
/* A table of the medians per point and variant: rate, latency p50/p99, both sides' CPU. */
void pe_suite_print_table(FILE *out, const struct pe_suite *s, const struct pe_suite_result *res);

/* ---- hosts (multi.c, side.c) ---------------------------------------------------------------- */

/* One run of a multi-host point (its server on one host, a client on each of the others) as
 * variant v: every side started over ssh (or here for a local host) as `pkteng suite --side`,
 * its hello checked (the control protocol must match), the clock offsets sampled, the server
 * started, the clients told one start time, their records collected. Fills line with what
 * runs.jsonl says of the run (ok, error naming the host, hosts, start_spread_ns, metrics,
 * record, records); on any failure every side is stopped first. stop: as in the run options. */
void pe_suite_run_multi(const struct pe_suite *s, unsigned p, unsigned v,
			volatile sig_atomic_t *stop, struct json_object *line);
/* `pkteng suite --side [--listen ADDR:PORT] [--cpus LIST] [--dev-of ADDR] -- ARGS`: the far
 * end of that exchange (side.c). argv[0] is "--side". Returns the exit status. */
int pe_suite_side_main(int argc, char **argv);
/* The metrics of a multi-host run from its clients' metrics: `_per_s` and the clients' CPU
 * summed, latencies, the server's CPU and UDP loss the largest, and each as NAME.metric. */
struct json_object *pe_suite_metrics_merge(struct json_object *const *metrics,
					   const char *const *names, unsigned n);

/* ---- noise --------------------------------------------------------------------------------- */

/* The counters a run's noise is computed from, read at its start and its end. */
struct pe_noise_snap {
	double t_s;	      /* monotonic */
	uint64_t steal_ticks; /* /proc/stat "cpu" line */
	/* utime + stime + cutime + cstime of every user process but this one and the run's
	 * own (the servers), from /proc/PID/stat */
	uint64_t other_ticks;
	double mhz; /* mean over the CPUs; < 0 when unreadable */
};
struct pe_noise {
	double steal_pct, other_cpu_pct, loadavg_1m, cpu_mhz; /* cpu_mhz < 0: unknown */
};
/* Reads the counters; pids: other processes of the run to count as its own (the servers).
 * The runs themselves are this process's children and so its own. */
void pe_noise_sample(struct pe_noise_snap *n, const int *pids, unsigned n_pids);
/* The noise between two samples: other_cpu_pct in % of one CPU, at most every CPU. */
void pe_noise_between(const struct pe_noise_snap *a, const struct pe_noise_snap *b,
		      struct pe_noise *out);
/* Whether the noise is beyond the suite's thresholds; why gets the reason. */
bool pe_noise_disturbed(const struct pe_suite *s, const struct pe_noise *n, char *why, size_t len);

/* The flat metrics of a client record (its summary): name -> number (docs/suite.md). */
struct json_object *pe_suite_metrics(struct json_object *record);

#endif
