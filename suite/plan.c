/* SPDX-License-Identifier: BSD-2-Clause */
/* A suite's plan: the points (every test with one alternative of each key, the cross product),
 * the variants (binaries x settings), each point checked as the client would check it, and the
 * order of the runs: warm-ups first, then rounds that each run every (point, variant) once, in
 * ABBA order (reversed every other round) or shuffled from a seed. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "suite/suite.h"
#include "suite/suite_int.h"
#include "workload/mode.h"

#define PE_SUITE_DEFAULT_RUNS 5
#define PE_SUITE_DEFAULT_TIME "3"

static const struct pe_suite_kv *find(const struct pe_suite_section *sec, const char *key)
{
	for (unsigned i = 0; i < sec->n; i++)
		if (!strcmp(sec->kv[i].key, key))
			return &sec->kv[i];
	return NULL;
}

const char *pe_suite_point_get(const struct pe_suite_point *pt, const char *key)
{
	for (unsigned i = 0; i < pt->keys.n; i++)
		if (!strcmp(pt->keys.kv[i].key, key))
			return pt->keys.kv[i].alts[pt->choice[i]];
	return NULL;
}

/* The value of key for point p run as variant v (the variant's setting wins). */
static const char *value_of(const struct pe_suite *s, unsigned p, unsigned v, const char *key)
{
	const struct pe_suite_kv *kv;

	if (v < s->n_variants && s->variants[v].setting_idx >= 0 &&
	    (kv = find(&s->settings[s->variants[v].setting_idx].kv, key)))
		return kv->alts[0];
	return pe_suite_point_get(&s->points[p], key);
}

/* Checks point p's parameters with variant v's settings as the client will: each value in
 * its mode's range, each parameter taken by the mode, then the rules across parameters. */
static int check_point(const struct pe_suite *s, unsigned p, unsigned v, char *err, size_t len)
{
	const struct pe_suite_point *pt = &s->points[p];
	const struct pe_suite_variant *var = &s->variants[v];
	const struct pe_suite_section *st =
		var->setting_idx >= 0 ? &s->settings[var->setting_idx].kv : NULL;
	const struct pe_suite_section *secs[2] = { &pt->keys, st };
	struct pe_params prm;
	enum pe_mode m;
	char why[256], buf[64];

	pe_mode_parse(value_of(s, p, v, "mode"), &m);
	pe_params_default(&prm, m);
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; secs[k] && i < secs[k]->n; i++) {
			const struct pe_suite_kv *kv = &secs[k]->kv[i];
			int id = pe_suite_param_id(kv->key);
			const char *val;
			double x;
			bool b;

			if (id < 0)
				continue;
			val = value_of(s, p, v, kv->key);
			if (!pe_mode_takes(m, (enum pe_param_id)id))
				return pe_suite_err(
					err, len, s->file, kv->line,
					"key '%s': mode %s does not take it (%s)", kv->key,
					pe_mode_name(m),
					pe_param_modes_str((enum pe_param_id)id, buf, sizeof(buf)));
			if (pe_param_table[id].kind == PE_PK_FLAG) {
				pe_suite_parse_bool(val, &b);
				x = b;
			} else {
				pe_suite_parse_num(val, pe_suite_sfx_base(pe_param_table[id].kind),
						   false, &x);
			}
			if (pe_param_check_value(m, (enum pe_param_id)id, x))
				return pe_suite_err(err, len, s->file, kv->line,
						    "key '%s': '%s': expected %s", kv->key, val,
						    pe_param_range_str(m, (enum pe_param_id)id, buf,
								       sizeof(buf)));
			pe_param_set(&prm, (enum pe_param_id)id, x);
		}
	}
	if (!find(&pt->keys, "time") && !(st && find(st, "time")))
		pe_param_set(&prm, PE_P_DURATION, atof(PE_SUITE_DEFAULT_TIME));
	if (pe_params_check(&prm, why, sizeof(why)))
		return pe_suite_err(err, len, s->file, s->tests[pt->test].line, "[%s]: %s",
				    s->tests[pt->test].name, why);
	return 0;
}

/* The keys of a test with command = inject. */
static bool lab_key(const char *key)
{
	static const char *const keys[] = { "command",	   "inject",	   "capture",
					    "inject_args", "capture_args", "xdp",
					    "xdp_args",	   "time",	   "runs" };

	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

/* The test's keys: its own, then the [global] defaults it does not set. */
static int merge(const struct pe_suite *s, unsigned t, struct pe_suite_section *out, char *err,
		 size_t len)
{
	const struct pe_suite_section *sec = &s->tests[t];
	const struct pe_suite_kv *cmd = find(sec, "command");
	bool lab;

	if (!cmd)
		cmd = find(&s->global, "command");
	lab = cmd && !strcmp(cmd->alts[0], "inject");
	*out = *sec;
	for (unsigned i = 0; i < s->global.n; i++) {
		const struct pe_suite_kv *kv = &s->global.kv[i];

		if (lab && !lab_key(kv->key))
			continue; /* the client's defaults are not an inject's */
		if (find(sec, kv->key) || !strcmp(kv->key, "warmup") || !strcmp(kv->key, "order") ||
		    !strcmp(kv->key, "seed") || !strncmp(kv->key, "disturbed_", 10) ||
		    !strcmp(kv->key, "on_error") || !strcmp(kv->key, "grace"))
			continue;
		if (out->n == PE_SUITE_KEYS_MAX)
			return pe_suite_err(err, len, s->file, sec->line, "[%s]: too many keys",
					    sec->name);
		out->kv[out->n++] = *kv;
	}
	if (lab)
		return 0;
	if (!find(out, "mode"))
		return pe_suite_err(err, len, s->file, sec->line,
				    "key 'mode': missing in [%s] (stream, rr, crr, udp, echo, file "
				    "or udp-rr)",
				    sec->name);
	if (find(out, "clients") ||
	    (find(out, "server") && strcmp(find(out, "server")->alts[0], "remote") &&
	     strcmp(find(out, "server")->alts[0], "local")))
		return 0; /* a multi-host point: hosts() checks it */
	if (find(out, "server") && !strcmp(find(out, "server")->alts[0], "remote") &&
	    !find(out, "host"))
		return pe_suite_err(err, len, s->file, find(out, "server")->line,
				    "key 'server': remote needs a host = ADDRESS");
	if (find(out, "host") && find(out, "server") &&
	    !strcmp(find(out, "server")->alts[0], "local"))
		return pe_suite_err(err, len, s->file, find(out, "host")->line,
				    "key 'host': the local server listens on 127.0.0.1 (drop "
				    "server = local to test another host)");
	return 0;
}

static int host_idx(const struct pe_suite *s, const char *name)
{
	for (unsigned i = 0; i < s->n_hosts; i++)
		if (!strcmp(s->hosts[i].name, name))
			return (int)i;
	return -1;
}

static int host_idx(const struct pe_suite *s, const char *name);

/* command = inject: inject = HOST (and capture = HOST), each with its dev. */
static int lab_hosts(const struct pe_suite *s, struct pe_suite_point *pt, char *err, size_t len)
{
	const struct pe_suite_kv *in = find(&pt->keys, "inject"), *cap = find(&pt->keys, "capture"),
				 *xdp = find(&pt->keys, "xdp");

	for (unsigned i = 0; i < pt->keys.n; i++)
		if (!lab_key(pt->keys.kv[i].key))
			return pe_suite_err(err, len, s->file, pt->keys.kv[i].line,
					    "key '%s': not for command = inject (inject_args and "
					    "capture_args take their options)",
					    pt->keys.kv[i].key);
	if (!in)
		return pe_suite_err(err, len, s->file, s->tests[pt->test].line,
				    "[%s]: command = inject needs inject = HOST",
				    s->tests[pt->test].name);
	pt->lab = true;
	pt->inject_host = host_idx(s, in->alts[0]);
	pt->capture_host = cap ? host_idx(s, cap->alts[0]) : -1;
	pt->xdp_host = xdp ? host_idx(s, xdp->alts[0]) : -1;
	if (pt->inject_host < 0)
		return pe_suite_err(err, len, s->file, in->line,
				    "key 'inject': '%s': no [host %s] section", in->alts[0],
				    in->alts[0]);
	if (cap && pt->capture_host < 0)
		return pe_suite_err(err, len, s->file, cap->line,
				    "key 'capture': '%s': no [host %s] section", cap->alts[0],
				    cap->alts[0]);
	if (xdp && pt->xdp_host < 0)
		return pe_suite_err(err, len, s->file, xdp->line,
				    "key 'xdp': '%s': no [host %s] section", xdp->alts[0],
				    xdp->alts[0]);
	if (pt->xdp_host == pt->inject_host)
		return pe_suite_err(err, len, s->file, xdp->line,
				    "key 'xdp': '%s' is the inject host too (count on the "
				    "receiving host)",
				    xdp->alts[0]);
	if (pt->capture_host == pt->inject_host)
		return pe_suite_err(err, len, s->file, cap->line,
				    "key 'capture': '%s' is the inject host too (capture on "
				    "another host)",
				    cap->alts[0]);
	for (int k = 0; k < 3; k++) {
		int h = k == 2 ? pt->xdp_host : k ? pt->capture_host : pt->inject_host;

		if (h >= 0 && !s->hosts[h].dev[0])
			return pe_suite_err(err, len, s->file, s->hosts[h].line,
					    "[host %s]: needs dev = IF (the interface to %s on)",
					    s->hosts[h].name,
					    k == 2 ? "count with XDP"
					    : k	   ? "capture"
						   : "inject");
	}
	return 0;
}

/* A multi-host point: server = HOST and clients = HOST, HOST... naming [host] sections. */
static int hosts(const struct pe_suite *s, struct pe_suite_point *pt, char *err, size_t len)
{
	const struct pe_suite_kv *sv = find(&pt->keys, "server"), *cl = find(&pt->keys, "clients");
	char *copy, *tok, *save = NULL;
	bool server_local_only = false;
	int rc = 0;

	pt->server_host = -1;
	pt->inject_host = pt->capture_host = pt->xdp_host = -1;
	if (find(&pt->keys, "command") && !strcmp(find(&pt->keys, "command")->alts[0], "inject"))
		return lab_hosts(s, pt, err, len);
	for (unsigned i = 0; i < pt->keys.n; i++)
		if (lab_key(pt->keys.kv[i].key) && strcmp(pt->keys.kv[i].key, "time") &&
		    strcmp(pt->keys.kv[i].key, "runs") && strcmp(pt->keys.kv[i].key, "command"))
			return pe_suite_err(err, len, s->file, pt->keys.kv[i].line,
					    "key '%s': needs command = inject", pt->keys.kv[i].key);
	if (!cl && (!sv || !strcmp(sv->alts[0], "local") || !strcmp(sv->alts[0], "remote")))
		return 0;
	if (!sv || !strcmp(sv->alts[0], "local") || !strcmp(sv->alts[0], "remote"))
		return pe_suite_err(err, len, s->file, cl->line,
				    "key 'clients': needs server = HOST, a [host NAME] section");
	if ((pt->server_host = host_idx(s, sv->alts[0])) < 0)
		return pe_suite_err(err, len, s->file, sv->line,
				    "key 'server': '%s': no [host %s] section (nor local or "
				    "remote)",
				    sv->alts[0], sv->alts[0]);
	if (!cl)
		return pe_suite_err(
			err, len, s->file, sv->line,
			"key 'server': a host's server needs clients = HOST[, HOST...]");
	{
		const struct pe_suite_host *h = &s->hosts[pt->server_host];

		if (!h->addr[0] && h->ssh[0] && strcmp(h->ssh, "localhost"))
			return pe_suite_err(err, len, s->file, h->line,
					    "[host %s]: needs addr = ADDRESS (its server's address "
					    "for the clients)",
					    h->name);
	}
	{
		const struct pe_suite_host *h = &s->hosts[pt->server_host];

		if (!h->addr[0]) /* a local server on 127.0.0.1: only local clients reach it */
			server_local_only = true;
	}
	if (find(&pt->keys, "host"))
		return pe_suite_err(err, len, s->file, find(&pt->keys, "host")->line,
				    "key 'host': not with server = %s (the server's addr is used)",
				    sv->alts[0]);
	copy = strdup(cl->alts[0]);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ", \t", &save); tok && !rc; tok = strtok_r(NULL, ", \t", &save)) {
		int h = host_idx(s, tok);

		if (h < 0)
			rc = pe_suite_err(err, len, s->file, cl->line,
					  "key 'clients': '%s': no [host %s] section", tok, tok);
		for (unsigned i = 0; !rc && i < pt->n_clients; i++)
			if (pt->client_hosts[i] == h)
				rc = pe_suite_err(err, len, s->file, cl->line,
						  "key 'clients': '%s' listed twice", tok);
		if (!rc && server_local_only && s->hosts[h].ssh[0] &&
		    strcmp(s->hosts[h].ssh, "localhost"))
			rc = pe_suite_err(
				err, len, s->file, cl->line,
				"key 'clients': '%s' is reached over ssh and cannot reach "
				"[host %s] on 127.0.0.1 (give it addr = ADDRESS)",
				tok, s->hosts[pt->server_host].name);
		if (!rc)
			pt->client_hosts[pt->n_clients++] = h;
	}
	free(copy);
	return rc;
}

static int add_points(struct pe_suite *s, unsigned t, char *err, size_t len)
{
	struct pe_suite_point pt = { .test = t };
	const struct pe_suite_kv *kv;
	int rc = merge(s, t, &pt.keys, err, len);

	if (rc || (rc = hosts(s, &pt, err, len)))
		return rc;
	kv = find(&pt.keys, "runs");
	pt.runs = kv ? (unsigned)atoi(kv->alts[0]) : PE_SUITE_DEFAULT_RUNS;
	kv = find(&pt.keys, "time");
	pt.local_server = !find(&pt.keys, "host") && !pt.n_clients && !pt.lab;
	for (;;) {
		char id[sizeof(pt.id)];
		size_t n = (size_t)snprintf(id, sizeof(id), "%s", s->tests[t].name);
		bool first = true;
		unsigned i;

		for (i = 0; i < pt.keys.n; i++) {
			if (pt.keys.kv[i].n_alts < 2)
				continue;
			if (n < sizeof(id))
				n += (size_t)snprintf(id + n, sizeof(id) - n, "%s%s=%s",
						      first ? "/" : ",", pt.keys.kv[i].key,
						      pt.keys.kv[i].alts[pt.choice[i]]);
			first = false;
		}
		memcpy(pt.id, id, sizeof(id));
		if (n >= sizeof(pt.id) || s->n_points == PE_SUITE_POINTS_MAX)
			return pe_suite_err(err, len, s->file, s->tests[t].line,
					    "[%s]: too many points or a point name too long",
					    s->tests[t].name);
		s->points[s->n_points++] = pt;
		/* the next combination: an odometer over the keys, the last key turning fastest */
		for (i = pt.keys.n; i > 0; i--) {
			if (++pt.choice[i - 1] < pt.keys.kv[i - 1].n_alts)
				break;
			pt.choice[i - 1] = 0;
		}
		if (!i)
			return 0;
	}
}

/* splitmix64: a small generator whose sequence a seed fixes. */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int order_steps(struct pe_suite *s)
{
	unsigned pairs = s->n_points * s->n_variants, max_runs = 0, n = 0;
	struct pe_suite_step *round;
	uint64_t rng = s->seed;
	size_t total;

	for (unsigned p = 0; p < s->n_points; p++)
		max_runs = s->points[p].runs > max_runs ? s->points[p].runs : max_runs;
	total = (size_t)pairs * (s->warmup + max_runs);
	s->steps = calloc(total ? total : 1, sizeof(*s->steps));
	round = calloc(pairs ? pairs : 1, sizeof(*round));
	if (!s->steps || !round) {
		free(round);
		return -ENOMEM;
	}
	for (unsigned k = 0; k < s->warmup + max_runs; k++) {
		unsigned m = 0, run = k < s->warmup ? 0 : k - s->warmup + 1;

		for (unsigned p = 0; p < s->n_points; p++)
			for (unsigned v = 0; v < s->n_variants; v++)
				if (!run || s->points[p].runs >= run)
					round[m++] = (struct pe_suite_step){ p, v, run };
		if (s->order == PE_SUITE_SHUFFLE) {
			for (unsigned i = m; i > 1; i--) {
				unsigned j = (unsigned)(next_rand(&rng) % i);
				struct pe_suite_step x = round[i - 1];

				round[i - 1] = round[j];
				round[j] = x;
			}
		}
		for (unsigned i = 0; i < m; i++)
			/* ABBA: the measured rounds alternate direction, the first one forward */
			s->steps[n++] =
				round[s->order == PE_SUITE_ABBA && run && !(run & 1) ? m - 1 - i
										     : i];
		if (!run)
			s->n_warmup_steps = n;
	}
	s->n_steps = n;
	free(round);
	return 0;
}

static int add_variants(struct pe_suite *s, const struct pe_suite_bin *bins, unsigned n_bins,
			const char *self_exe, char *err, size_t len)
{
	static const char *const dflt[] = { "base", "new" };
	unsigned nb = n_bins ? n_bins : 1, ns = s->n_settings ? s->n_settings : 1;
	char names[PE_SUITE_BINS_MAX][48];

	for (unsigned b = 0; b < nb; b++) {
		char bname[48], path[PATH_MAX], version[32] = "", commit[48] = "";
		const char *bin = n_bins ? bins[b].path : self_exe;

		if (n_bins && bins[b].name[0])
			snprintf(bname, sizeof(bname), "%s", bins[b].name);
		else if (b < 2)
			snprintf(bname, sizeof(bname), "%s", dflt[b]);
		else
			snprintf(bname, sizeof(bname), "bin%u", b + 1);
		if (!realpath(bin, path) || access(path, X_OK)) {
			snprintf(err, len, "--bin %s: %s", bin,
				 errno ? strerror(errno) : "not executable");
			return -EINVAL;
		}
		if (pe_suite_bin_version(path, version, sizeof(version), commit, sizeof(commit))) {
			snprintf(err, len,
				 "--bin %s: not a pkteng binary (--version says no version)", bin);
			return -EINVAL;
		}
		for (unsigned k = 0; k < b; k++)
			if (!strcmp(bname, names[k])) {
				snprintf(err, len, "--bin %s: the name '%s' is taken", bin, bname);
				return -EINVAL;
			}
		snprintf(names[b], sizeof(names[b]), "%s", bname);
		for (unsigned t = 0; t < ns; t++) {
			struct pe_suite_variant *v = &s->variants[s->n_variants++];

			v->bin_idx = (int)b;
			v->setting_idx = s->n_settings ? (int)t : -1;
			snprintf(v->bin, sizeof(v->bin), "%s", path);
			snprintf(v->version, sizeof(v->version), "%s", version);
			snprintf(v->commit, sizeof(v->commit), "%s", commit);
			if (!s->n_settings)
				snprintf(v->name, sizeof(v->name), "%s", bname);
			else if (nb == 1)
				snprintf(v->name, sizeof(v->name), "%s", s->settings[t].name);
			else
				snprintf(v->name, sizeof(v->name), "%s+%s", bname,
					 s->settings[t].name);
		}
	}
	return 0;
}

int pe_suite_plan(struct pe_suite *s, const struct pe_suite_bin *bins, unsigned n_bins,
		  const char *self_exe, char *err, size_t len)
{
	int rc;

	if (n_bins > PE_SUITE_BINS_MAX) {
		snprintf(err, len, "--bin: at most %d binaries", PE_SUITE_BINS_MAX);
		return -EINVAL;
	}
	s->points = calloc(PE_SUITE_POINTS_MAX, sizeof(*s->points));
	if (!s->points)
		return -ENOMEM;
	for (unsigned t = 0; t < s->n_tests; t++)
		if ((rc = add_points(s, t, err, len)))
			return rc;
	if ((rc = add_variants(s, bins, n_bins, self_exe, err, len)))
		return rc;
	for (unsigned p = 0; p < s->n_points; p++)
		for (unsigned v = 0; v < s->n_variants && !s->points[p].lab; v++)
			if ((rc = check_point(s, p, v, err, len)))
				return rc;
	if (s->order == PE_SUITE_SHUFFLE && !s->seed_given)
		s->seed = ((uint64_t)time(NULL) << 16 ^ (uint64_t)getpid()) & ((1ull << 53) - 1);
	return order_steps(s);
}

int pe_suite_argv(const struct pe_suite *s, unsigned p, unsigned v, const char *port, bool json,
		  char **argv, int max)
{
	const struct pe_suite_point *pt = &s->points[p];
	const struct pe_suite_section *st = v < s->n_variants && s->variants[v].setting_idx >= 0
						    ? &s->settings[s->variants[v].setting_idx].kv
						    : NULL;
	const struct pe_suite_section *secs[2] = { &pt->keys, st };
	const char *host = pe_suite_point_get(pt, "host");
	int n = 0;

	if (pt->lab)
		return -EINVAL; /* its commands are the inject's and the capture's (multi.c) */
#define ARG(x)                                                                                     \
	do {                                                                                       \
		if (n >= max - 1)                                                                  \
			return -E2BIG;                                                             \
		argv[n++] = (char *)(x);                                                           \
	} while (0)
	ARG("client");
	ARG(host ? host : "127.0.0.1");
	if (port) {
		ARG("-p");
		ARG(port);
	}
	ARG("--mode");
	ARG(value_of(s, p, v, "mode"));
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; secs[k] && i < secs[k]->n; i++) {
			const char *key = secs[k]->kv[i].key, *val = value_of(s, p, v, key);
			int id = pe_suite_param_id(key);
			bool b;

			if (k == 1 && find(&pt->keys, key))
				continue; /* the point's key already took the setting's value */
			if (!strcmp(key, "backend")) {
				ARG("--backend");
				ARG(val);
			} else if (id >= 0 && pe_param_table[id].kind == PE_PK_FLAG) {
				pe_suite_parse_bool(val, &b);
				if (b) {
					static char flags[PE_P__COUNT][40];

					snprintf(flags[id], sizeof(flags[id]), "--%s", key);
					ARG(flags[id]);
				}
			} else if (id >= 0) {
				static char opts[PE_P__COUNT][40];

				snprintf(opts[id], sizeof(opts[id]), "--%s", key);
				ARG(opts[id]);
				ARG(val);
			}
		}
	}
	if (!find(&pt->keys, "time") && !(st && find(st, "time"))) {
		ARG("--time");
		ARG(PE_SUITE_DEFAULT_TIME);
	}
	if (json)
		ARG("--json");
#undef ARG
	argv[n] = NULL;
	return n;
}
