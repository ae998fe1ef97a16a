/* SPDX-License-Identifier: BSD-2-Clause */
/* pkteng-echobench: end-to-end echo over loopback through engine/loop.h, io_uring against epoll
 * in one run. An echo server loop on one thread, a client loop on another keeping one message
 * in flight per connection; prints round trips per second per backend and connection count,
 * and the io_uring/epoll ratio. Every echoed message is compared with what was sent. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/loop.h"

struct bench_cfg {
	enum pe_backend backend;
	bool plain_sends; /* io_uring: every send posts a completion (pe_loop_opts.plain_sends) */
	bool whole_bufs;  /* io_uring: a whole buffer per receive (pe_loop_opts.whole_bufs) */
	unsigned conns;
	size_t size;
	double seconds, warmup_s;
};

/* ---- server: echo whatever arrives ---- */

struct server {
	struct bench_cfg cfg;
	struct pe_loop *l;
	struct pe_addr addr;
	int err;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool ready;
};

static void srv_data(struct pe_conn *c, const void *d, size_t n)
{
	if (pe_conn_send(c, d, n) != (long)n)
		pe_conn_close(c, -ENOBUFS, true); /* cannot happen with one message in flight */
}

static void *server_main(void *arg)
{
	static const struct pe_conn_cbs cbs = { .on_data = srv_data };
	struct server *s = arg;
	struct pe_loop_opts lo = { .sz = sizeof(lo),
				   .backend = s->cfg.backend,
				   .no_fallback = true,
				   .plain_sends = s->cfg.plain_sends,
				   .whole_bufs = s->cfg.whole_bufs };
	struct pe_conn_opts co = { .sz = sizeof(co), .cbs = &cbs, .nodelay = true };
	struct pe_listen_opts lso = { .sz = sizeof(lso), .conn = &co };
	struct pe_listener *ls;
	struct pe_addr a;

	s->l = pe_loop_open(&lo);
	s->err = s->l ? 0 : -errno;
	if (!s->err) {
		pe_addr_loopback(&a, AF_INET, 0);
		s->err = pe_listen(s->l, &a, &lso, &ls);
		if (!s->err)
			s->err = pe_listener_addr(ls, &s->addr);
	}
	pthread_mutex_lock(&s->mu);
	s->ready = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (!s->err)
		pe_loop_run(s->l);
	pe_loop_close(s->l);
	return NULL;
}

/* ---- client: one message in flight per connection ---- */

struct client {
	struct bench_cfg cfg;
	struct pe_loop *l;
	uint8_t *msg;
	uint64_t msgs, msgs_at_start, bad, open, failed;
	uint64_t t_start, t_end, cpu_start, cpu_end, sys_start, sys_end, pcpu_start, pcpu_end;
	bool timing;
	struct pe_timer phase;
};

struct cconn {
	struct client *cl;
	size_t got;
};

static void cl_send(struct pe_conn *c)
{
	struct cconn *cc = pe_conn_data(c);

	if (pe_conn_send(c, cc->cl->msg, cc->cl->cfg.size) != (long)cc->cl->cfg.size)
		cc->cl->bad++;
}

static void cl_open(struct pe_conn *c)
{
	struct cconn *cc = pe_conn_data(c);

	cc->cl->open++;
	cl_send(c);
}

static void cl_data(struct pe_conn *c, const void *d, size_t n)
{
	struct cconn *cc = pe_conn_data(c);
	struct client *cl = cc->cl;

	/* The echo must be the same bytes: compare the part that arrived at its offset. */
	if (cc->got + n > cl->cfg.size || memcmp(cl->msg + cc->got, d, n)) {
		cl->bad++;
		pe_conn_close(c, -EBADMSG, false);
		return;
	}
	cc->got += n;
	if (cc->got == cl->cfg.size) {
		cc->got = 0;
		cl->msgs++;
		cl_send(c);
	}
}

static void cl_close(struct pe_conn *c, int err)
{
	struct cconn *cc = pe_conn_data(c);

	if (err && err != -ECANCELED)
		cc->cl->failed++;
	free(cc);
}

/* User + system CPU of the whole process: both loops (the threads are the only work). */
static uint64_t process_cpu(void)
{
	uint64_t u = 0, k = 0;

	pe_process_cpu_ns(&u, &k);
	return u + k;
}

static void phase_fire(struct pe_loop *l, struct pe_timer *t)
{
	struct client *cl = t->data;

	if (!cl->timing) {
		cl->timing = true;
		cl->msgs_at_start = cl->msgs;
		cl->t_start = pe_now_ns();
		cl->cpu_start = pe_thread_cpu_ns();
		cl->sys_start = pe_loop_stats(l)->syscalls;
		cl->pcpu_start = process_cpu();
		pe_timer_arm(l, t, (uint64_t)(cl->cfg.seconds * 1e9));
		return;
	}
	cl->t_end = pe_now_ns();
	cl->cpu_end = pe_thread_cpu_ns();
	cl->sys_end = pe_loop_stats(l)->syscalls;
	cl->pcpu_end = process_cpu();
	cl->msgs -= cl->msgs_at_start;
	pe_loop_stop(l);
}

static int run_case(const struct bench_cfg *cfg, double *rate, double *cpu_frac,
		    double *sys_per_msg, double *cpu_ns_per_msg)
{
	static const struct pe_conn_cbs cbs = { .on_open = cl_open,
						.on_data = cl_data,
						.on_close = cl_close };
	struct server s = { .cfg = *cfg };
	struct client cl = { .cfg = *cfg };
	struct pe_loop_opts lo = { .sz = sizeof(lo),
				   .backend = cfg->backend,
				   .no_fallback = true,
				   .plain_sends = cfg->plain_sends,
				   .whole_bufs = cfg->whole_bufs };
	pthread_t th;
	int err = 0;

	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	pthread_create(&th, NULL, server_main, &s);
	pthread_mutex_lock(&s.mu);
	while (!s.ready)
		pthread_cond_wait(&s.cv, &s.mu);
	pthread_mutex_unlock(&s.mu);
	if (s.err) {
		pthread_join(th, NULL);
		return s.err;
	}
	cl.l = pe_loop_open(&lo);
	if (!cl.l) {
		err = -errno;
		goto out;
	}
	cl.msg = malloc(cfg->size);
	for (size_t i = 0; i < cfg->size; i++)
		cl.msg[i] = (uint8_t)(i * 13 + 1);
	for (unsigned i = 0; i < cfg->conns && !err; i++) {
		struct pe_conn_opts co = { .sz = sizeof(co), .cbs = &cbs, .nodelay = true };
		struct cconn *cc = calloc(1, sizeof(*cc));
		struct pe_conn *c;

		cc->cl = &cl;
		co.data = cc;
		err = pe_connect(cl.l, &s.addr, &co, &c);
		if (err)
			free(cc);
	}
	pe_timer_init(&cl.phase, phase_fire, &cl);
	pe_timer_arm(cl.l, &cl.phase, (uint64_t)(cfg->warmup_s * 1e9));
	if (!err)
		err = pe_loop_run(cl.l);
	if (!err && (cl.bad || cl.failed || cl.open != cfg->conns))
		err = -EBADMSG; /* the result check failed: no figure is printed for it */
	*rate = (double)cl.msgs / ((double)(cl.t_end - cl.t_start) / 1e9);
	*cpu_frac = (double)(cl.cpu_end - cl.cpu_start) / (double)(cl.t_end - cl.t_start);
	*sys_per_msg = cl.msgs ? (double)(cl.sys_end - cl.sys_start) / (double)cl.msgs : 0;
	*cpu_ns_per_msg = cl.msgs ? (double)(cl.pcpu_end - cl.pcpu_start) / (double)cl.msgs : 0;
	pe_loop_close(cl.l);
	free(cl.msg);
out:
	pe_loop_stop(s.l);
	pthread_join(th, NULL);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	return err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char usage[] =
	"usage: pkteng-echobench [--conns 1,64,256] [--size BYTES] [--seconds S] [--runs N]\n"
	"                        [--backend uring|epoll|both|all] [--json]\n"
	"Echo round trips per second over loopback: client loop and server loop on two threads,\n"
	"one message in flight per connection. Prints the median of N runs per case (the runs\n"
	"alternate between the backends), CPU per message for both loops, and the ratios.\n"
	"`all` adds io_uring with plain sends (every send posts a completion: uring-plain) and\n"
	"with a whole receive buffer per receive (no incremental buffers: uring-whole).\n";

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "conns", 1, 0, 'c' }, { "size", 1, 0, 's' },	  { "seconds", 1, 0, 't' },
		{ "runs", 1, 0, 'r' },	{ "backend", 1, 0, 'b' }, { "json", 0, 0, 'j' },
		{ "help", 0, 0, 'h' },	{ 0, 0, 0, 0 },
	};
	unsigned conns[16] = { 1, 64, 256 }, nconns = 3, runs = 3;
	struct bench_cfg cfg = { .size = 64, .seconds = 2, .warmup_s = 0.3 };
	/* variants: io_uring, epoll, and with --backend all io_uring with plain sends and with
	 * whole receive buffers */
	enum pe_backend bk[4] = { PE_BACKEND_URING, PE_BACKEND_EPOLL, PE_BACKEND_URING,
				  PE_BACKEND_URING };
	static const char *const bk_name[4] = { "io_uring", "epoll", "uring-plain", "uring-whole" };
	unsigned nbk = 2;
	bool json = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		char *end;

		switch (opt) {
		case 'c': {
			char *tok, *save = NULL;

			nconns = 0;
			for (tok = strtok_r(optarg, ",", &save); tok && nconns < 16;
			     tok = strtok_r(NULL, ",", &save)) {
				unsigned long v = strtoul(tok, &end, 10);

				if (*end || !v || v > 20000) {
					fprintf(stderr,
						"pkteng-echobench: --conns %s: not 1..20000\n",
						tok);
					return 2;
				}
				conns[nconns++] = (unsigned)v;
			}
			break;
		}
		case 's':
			cfg.size = strtoul(optarg, &end, 10);
			if (*end || !cfg.size || cfg.size > (1u << 20)) {
				fprintf(stderr, "pkteng-echobench: --size %s: not 1..1048576\n",
					optarg);
				return 2;
			}
			break;
		case 't':
			cfg.seconds = strtod(optarg, &end);
			if (*end || cfg.seconds <= 0 || cfg.seconds > 600) {
				fprintf(stderr, "pkteng-echobench: --seconds %s: not in (0, 600]\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			runs = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !runs || runs > 99) {
				fprintf(stderr, "pkteng-echobench: --runs %s: not 1..99\n", optarg);
				return 2;
			}
			break;
		case 'b':
			if (!strcmp(optarg, "both")) {
				nbk = 2;
			} else if (!strcmp(optarg, "all")) {
				nbk = 4;
			} else if (!pe_backend_parse(optarg, &bk[0])) {
				nbk = 1;
			} else {
				fprintf(stderr,
					"pkteng-echobench: --backend %s: not uring, epoll, both or "
					"all\n",
					optarg);
				return 2;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (json)
		printf("{\"workload\":\"echo\",\"size\":%zu,\"seconds\":%g,\"runs\":%u,\"results\":"
		       "[",
		       cfg.size, cfg.seconds, runs);
	for (unsigned ci = 0; ci < nconns; ci++) {
		double med[4] = { 0 }, cpu_med[4] = { 0 };
		double rates[4][99], cpu[4][99], sys[4][99], cpm[4][99];

		cfg.conns = conns[ci];
		/* Runs alternate between the backends, so a change in the machine's load during
		 * the case hits both alike. */
		for (unsigned r = 0; r < runs; r++) {
			for (unsigned bi = 0; bi < nbk; bi++) {
				int err;

				cfg.backend = bk[bi];
				cfg.plain_sends = bi == 2;
				cfg.whole_bufs = bi == 3;
				err = run_case(&cfg, &rates[bi][r], &cpu[bi][r], &sys[bi][r],
					       &cpm[bi][r]);
				if (err) {
					fprintf(stderr,
						"pkteng-echobench: %s, %u connections: %s\n",
						nbk == 1 ? pe_backend_name(bk[0]) : bk_name[bi],
						cfg.conns, strerror(-err));
					return 1;
				}
			}
		}
		for (unsigned bi = 0; bi < nbk; bi++) {
			qsort(rates[bi], runs, sizeof(double), cmp_double);
			qsort(cpu[bi], runs, sizeof(double), cmp_double);
			qsort(sys[bi], runs, sizeof(double), cmp_double);
			qsort(cpm[bi], runs, sizeof(double), cmp_double);
			med[bi] = rates[bi][runs / 2];
			cpu_med[bi] = cpm[bi][runs / 2];
			if (json)
				printf("%s{\"backend\":\"%s\",\"conns\":%u,\"msgs_per_s\":%.0f,"
				       "\"min\":%.0f,\"max\":%.0f,\"client_cpu\":%.3f,"
				       "\"client_syscalls_per_msg\":%.3f,\"cpu_ns_per_msg\":%.0f}",
				       ci || bi ? "," : "",
				       nbk == 1 ? pe_backend_name(bk[0]) : bk_name[bi], cfg.conns,
				       med[bi], rates[bi][0], rates[bi][runs - 1],
				       cpu[bi][runs / 2], sys[bi][runs / 2], cpu_med[bi]);
			else
				printf("echo %-11s conns=%-5u size=%zu  %10.0f msgs/s (median of "
				       "%u; "
				       "min %.0f max %.0f) client cpu %.0f%%, %.2f syscalls/msg, "
				       "cpu %.0f ns/msg\n",
				       nbk == 1 ? pe_backend_name(bk[0]) : bk_name[bi], cfg.conns,
				       cfg.size, med[bi], runs, rates[bi][0], rates[bi][runs - 1],
				       cpu[bi][runs / 2] * 100, sys[bi][runs / 2], cpu_med[bi]);
		}
		if (nbk >= 2 && !json)
			printf("echo ratio io_uring/epoll conns=%u: %.2f msgs/s, %.2f cpu per msg "
			       "(epoll/io_uring)\n",
			       conns[ci], med[1] > 0 ? med[0] / med[1] : 0,
			       cpu_med[0] > 0 ? cpu_med[1] / cpu_med[0] : 0);
		for (unsigned bi = 2; bi < nbk && !json; bi++)
			printf("echo ratio io_uring/%s conns=%u: %.2f msgs/s, %.2f cpu per msg "
			       "(%s/io_uring)\n",
			       bk_name[bi], conns[ci], med[bi] > 0 ? med[0] / med[bi] : 0,
			       cpu_med[0] > 0 ? cpu_med[bi] / cpu_med[0] : 0, bk_name[bi]);
		fflush(stdout);
	}
	if (json)
		printf("]}\n");
	return 0;
}
