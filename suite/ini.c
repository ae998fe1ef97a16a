/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading a suite file: libinih splits it into sections and keys (a reader of our own counts
 * the lines, so every error names one); every key and value is checked here, before anything
 * runs or any directory is made. What depends on the mode is checked per point (plan.c). */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite/suite.h"
#include "suite/suite_int.h"
#include "workload/mode.h"

struct parse {
	struct pe_suite *s;
	const char *text; /* pe_suite_load_string: what is left */
	FILE *f;
	int line;
	int section_line; /* of the last [section] header read */
	int err;
	char *msg;
	size_t msglen;
};

int pe_suite_err(char *err, size_t len, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	n = (size_t)snprintf(err, len, "%s:%d: ", file, line);
	if (n < len) {
		va_start(ap, fmt);
		vsnprintf(err + n, len - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static char *trim(char *p)
{
	char *e;

	while (isspace((unsigned char)*p))
		p++;
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = 0;
	return p;
}

int pe_suite_parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" }, *const no[] = { "0", "no",
										       "false",
										       "off" };

	for (unsigned i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

/* A number with an optional K/M/G suffix when sfx_base is not 0: sizes take base 1024 (K and Ki
 * both x1024, as the command line), rates base 1000. */
int pe_suite_parse_num(const char *v, unsigned sfx_base, bool integer, double *out)
{
	static const char sfx[] = "KMG";
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (end == v || errno || x != x || x < 0 || x > 1e18)
		return -EINVAL;
	if (sfx_base && *end) {
		const char *k = strchr(sfx, toupper((unsigned char)*end));
		double base = end[1] == 'i' ? 1024 : sfx_base;

		if (!k || !*k)
			return -EINVAL;
		for (long i = 0; i <= k - sfx; i++)
			x *= base;
		end += end[1] == 'i' ? 2 : 1;
	}
	/* the suffix can take x past what the cast below is defined for */
	if (*end || x >= 0x1p64 || (integer && x != (double)(uint64_t)x))
		return -EINVAL;
	*out = x;
	return 0;
}

/* The parameter a key names (its long option), or -1. */
int pe_suite_param_id(const char *key)
{
	for (int i = 0; i < PE_P__COUNT; i++)
		if (pe_param_table[i].opt && !strcmp(pe_param_table[i].opt, key))
			return i;
	return -1;
}

enum key_class { K_UNKNOWN, K_GLOBAL, K_TEST, K_PARAM };

static enum key_class classify(const char *key)
{
	static const char *const global[] = {
		"warmup",   "order", "seed", "disturbed_steal_pct", "disturbed_other_cpu_pct",
		"on_error", "grace"
	};
	static const char *const test[] = { "command", "mode",	  "backend",	 "host",
					    "port",    "server",  "runs",	 "clients",
					    "inject",  "capture", "inject_args", "capture_args",
					    "xdp",     "xdp_args" };

	for (unsigned i = 0; i < sizeof(global) / sizeof(global[0]); i++)
		if (!strcmp(key, global[i]))
			return K_GLOBAL;
	for (unsigned i = 0; i < sizeof(test) / sizeof(test[0]); i++)
		if (!strcmp(key, test[i]))
			return K_TEST;
	return pe_suite_param_id(key) >= 0 ? K_PARAM : K_UNKNOWN;
}

/* Checks one alternative of a test or parameter key. 0, or -EINVAL with the reason in why. */
static int check_value(const char *key, const char *v, char *why, size_t len)
{
	int id = pe_suite_param_id(key);
	enum pe_mode m;
	double x;
	bool b;

	if (!strcmp(key, "command")) {
		if (strcmp(v, "client") && strcmp(v, "inject"))
			return snprintf(why, len,
					"'%s': expected client (pkteng client against a server) or "
					"inject (frames from one host, captured on another)",
					v),
			       -EINVAL;
	} else if (!strcmp(key, "inject") || !strcmp(key, "capture") || !strcmp(key, "xdp")) {
		if (!*v || strpbrk(v, " \t/,="))
			return snprintf(why, len, "'%s': expected a host's name", v), -EINVAL;
	} else if (!strcmp(key, "inject_args") || !strcmp(key, "capture_args") ||
		   !strcmp(key, "xdp_args")) {
		if (strpbrk(v, "'\"\\`$;&|<>"))
			return snprintf(
				       why, len,
				       "'%s': expected options separated by spaces, without quotes "
				       "or shell characters",
				       v),
			       -EINVAL;
	} else if (!strcmp(key, "mode")) {
		if (pe_mode_parse(v, &m))
			return snprintf(why, len,
					"'%s': expected stream, rr, crr, udp, echo, file or udp-rr",
					v),
			       -EINVAL;
	} else if (!strcmp(key, "backend")) {
		if (strcmp(v, "uring") && strcmp(v, "epoll"))
			return snprintf(why, len, "'%s': expected uring or epoll", v), -EINVAL;
	} else if (!strcmp(key, "server")) {
		/* local, remote, or a [host NAME] (checked once every section is read) */
		if (!*v || strpbrk(v, " \t/,="))
			return snprintf(why, len, "'%s': expected local, remote or a host's name",
					v),
			       -EINVAL;
	} else if (!strcmp(key, "clients")) {
		if (strpbrk(v, "/=") || !v[strspn(v, ", \t")])
			return snprintf(why, len, "'%s': expected host names (gen1, gen2)", v),
			       -EINVAL;
	} else if (!strcmp(key, "host")) {
		if (!*v || strchr(v, ' '))
			return snprintf(why, len, "'%s': expected a host name or address", v),
			       -EINVAL;
	} else if (!strcmp(key, "port")) {
		if (pe_suite_parse_num(v, 0, true, &x) || x < 1 || x > 65535)
			return snprintf(why, len, "'%s': expected 1..65535", v), -EINVAL;
	} else if (!strcmp(key, "runs")) {
		if (pe_suite_parse_num(v, 0, true, &x) || x < 1 || x > 1000)
			return snprintf(why, len, "'%s': expected 1..1000 runs", v), -EINVAL;
	} else if (id >= 0) {
		const struct pe_param *t = &pe_param_table[id];

		if (t->kind == PE_PK_FLAG) {
			if (pe_suite_parse_bool(v, &b))
				return snprintf(why, len, "'%s': expected yes or no", v), -EINVAL;
		} else if (pe_suite_parse_num(v, pe_suite_sfx_base(t->kind),
					      t->kind != PE_PK_SECONDS, &x)) {
			return snprintf(why, len, "'%s': expected %s", v,
					t->kind == PE_PK_SECONDS ? "a number of seconds"
					: t->kind == PE_PK_SIZE	 ? "a size (64, 128K, 1M)"
					: t->kind == PE_PK_RATE	 ? "a rate (100M, 1G)"
								 : "an integer"),
			       -EINVAL;
		}
	}
	return 0;
}

/* Keys whose value is one list: commas in it do not separate alternatives. */
static bool whole(const char *key)
{
	return !strcmp(key, "clients") || !strcmp(key, "inject_args") ||
	       !strcmp(key, "capture_args") || !strcmp(key, "xdp_args");
}

/* Keys that name one thing and take no alternatives. */
static bool single(const char *key)
{
	return classify(key) == K_GLOBAL || !strcmp(key, "command") || !strcmp(key, "host") ||
	       !strcmp(key, "port") || !strcmp(key, "server") || !strcmp(key, "runs") ||
	       !strcmp(key, "inject") || !strcmp(key, "capture") || !strcmp(key, "xdp") ||
	       whole(key);
}

int pe_suite_kv_add(struct pe_suite_section *sec, const char *file, int line, const char *key,
		    const char *value, char *err, size_t errlen)
{
	struct pe_suite_kv *kv;
	char why[200], *p, *save = NULL;

	for (unsigned i = 0; i < sec->n; i++)
		if (!strcmp(sec->kv[i].key, key))
			return pe_suite_err(err, errlen, file, line,
					    "key '%s': given twice (first on line %d)", key,
					    sec->kv[i].line);
	if (sec->n == PE_SUITE_KEYS_MAX || strlen(key) >= sizeof(kv->key))
		return pe_suite_err(err, errlen, file, line, "key '%s': too many keys", key);
	kv = &sec->kv[sec->n];
	memset(kv, 0, sizeof(*kv));
	snprintf(kv->key, sizeof(kv->key), "%s", key);
	kv->line = line;
	kv->value = strdup(value);
	p = kv->value ? strdup(value) : NULL;
	if (!p) {
		free(kv->value);
		return -ENOMEM;
	}
	sec->n++;
	/* alternatives: the value split at commas; the copy holds them. A list of clients is one
	 * value whose commas separate the hosts. */
	for (char *a = strtok_r(p, whole(key) ? "" : ",", &save); a;
	     a = strtok_r(NULL, whole(key) ? "" : ",", &save)) {
		a = trim(a);
		/* free_section frees alts[0]: it must be p itself even when this returns early
		 * (moving the first one left leaves strtok_r's place, past it, alone) */
		if (!kv->n_alts && a != p)
			a = memmove(p, a, strlen(a) + 1);
		if (kv->n_alts == PE_SUITE_ALTS_MAX)
			return pe_suite_err(err, errlen, file, line,
					    "key '%s': more than %d alternatives", key,
					    PE_SUITE_ALTS_MAX);
		kv->alts[kv->n_alts++] = a;
	}
	if (!kv->n_alts) {
		free(p);
		return pe_suite_err(err, errlen, file, line, "key '%s': no value", key);
	}
	if (kv->n_alts > 1 && single(key))
		return pe_suite_err(err, errlen, file, line,
				    "key '%s': takes one value, not alternatives", key);
	for (unsigned i = 0; i < kv->n_alts; i++) {
		if (!*kv->alts[i])
			return pe_suite_err(err, errlen, file, line,
					    "key '%s': an empty alternative", key);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(kv->alts[i], kv->alts[j]))
				return pe_suite_err(err, errlen, file, line,
						    "key '%s': '%s' listed twice", key,
						    kv->alts[i]);
		if (check_value(key, kv->alts[i], why, sizeof(why)))
			return pe_suite_err(err, errlen, file, line, "key '%s': %s", key, why);
	}
	return 0;
}

/* `variant.NAME = key=value key=value`: a settings variant. */
static int add_setting(struct pe_suite *s, int line, const char *name, const char *value, char *err,
		       size_t errlen)
{
	struct pe_suite_setting *st;
	char *copy, *tok, *save = NULL;
	int rc = 0;

	if (!*name || strlen(name) >= sizeof(st->name) || strpbrk(name, "/+ ,="))
		return pe_suite_err(err, errlen, s->file, line,
				    "key 'variant.%s': expected a name without / + , = or spaces",
				    name);
	for (unsigned i = 0; i < s->n_settings; i++)
		if (!strcmp(s->settings[i].name, name))
			return pe_suite_err(err, errlen, s->file, line,
					    "key 'variant.%s': given twice", name);
	if (s->n_settings == PE_SUITE_SETTINGS_MAX)
		return pe_suite_err(err, errlen, s->file, line,
				    "key 'variant.%s': more than %d variants", name,
				    PE_SUITE_SETTINGS_MAX);
	st = &s->settings[s->n_settings++];
	snprintf(st->name, sizeof(st->name), "%s", name);
	snprintf(st->kv.name, sizeof(st->kv.name), "variant.%s", name);
	st->kv.line = line;
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t", &save); tok && !rc; tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq) {
			rc = pe_suite_err(err, errlen, s->file, line,
					  "key 'variant.%s': '%s': expected key=value", name, tok);
			break;
		}
		*eq = 0;
		if (!strncmp(tok, "env.", 4)) {
			/* the variant's clients run with this in their environment */
			const char *nm = tok + 4;

			if (!*nm || strlen(tok) >= sizeof(st->kv.kv[0].key) ||
			    strspn(nm, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456"
				       "789_") != strlen(nm) ||
			    (*nm >= '0' && *nm <= '9')) {
				rc = pe_suite_err(err, errlen, s->file, line,
						  "key 'variant.%s': '%s': expected "
						  "env.NAME=VALUE with a variable's name",
						  name, tok);
				break;
			}
		} else if (classify(tok) != K_PARAM && strcmp(tok, "backend") &&
			   strcmp(tok, "mode")) {
			rc = pe_suite_err(err, errlen, s->file, line,
					  "key 'variant.%s': '%s': not a test option", name, tok);
			break;
		}
		if (strchr(eq + 1, ',')) {
			rc = pe_suite_err(err, errlen, s->file, line,
					  "key 'variant.%s': '%s': one value, not alternatives",
					  name, tok);
			break;
		}
		rc = pe_suite_kv_add(&st->kv, s->file, line, tok, eq + 1, err, errlen);
	}
	free(copy);
	return rc;
}

static int global_key(struct pe_suite *s, int line, const char *key, const char *v, char *err,
		      size_t errlen)
{
	double x;

	if (!strcmp(key, "warmup")) {
		if (pe_suite_parse_num(v, 0, true, &x) || x > 10)
			return pe_suite_err(err, errlen, s->file, line,
					    "key 'warmup': '%s': expected 0..10 runs", v);
		s->warmup = (unsigned)x;
	} else if (!strcmp(key, "order")) {
		if (strcmp(v, "abba") && strcmp(v, "shuffle"))
			return pe_suite_err(err, errlen, s->file, line,
					    "key 'order': '%s': expected abba or shuffle", v);
		s->order = strcmp(v, "abba") ? PE_SUITE_SHUFFLE : PE_SUITE_ABBA;
	} else if (!strcmp(key, "seed")) {
		if (pe_suite_parse_num(v, 0, true, &x) || x > 9007199254740992.0)
			return pe_suite_err(err, errlen, s->file, line,
					    "key 'seed': '%s': expected an integer 0..2^53", v);
		s->seed = (uint64_t)x;
		s->seed_given = true;
	} else if (!strcmp(key, "on_error")) {
		if (strcmp(v, "continue") && strcmp(v, "stop"))
			return pe_suite_err(err, errlen, s->file, line,
					    "key 'on_error': '%s': expected continue or stop", v);
		s->on_error_stop = !strcmp(v, "stop");
	} else if (!strcmp(key, "grace")) {
		if (pe_suite_parse_num(v, false, false, &x) || x > 3600)
			return pe_suite_err(err, errlen, s->file, line,
					    "key 'grace': '%s': expected 0..3600 seconds", v);
		s->grace_s = x;
	} else {
		if (pe_suite_parse_num(v, 0, false, &x) || x > 10000)
			return pe_suite_err(err, errlen, s->file, line,
					    "key '%s': '%s': expected a percentage", key, v);
		*(strcmp(key, "disturbed_steal_pct") ? &s->other_max_pct : &s->steal_max_pct) = x;
	}
	return 0;
}

/* Characters a host's fields may hold: what an address, a path or an ssh destination needs,
 * and nothing a shell or ssh would read as more than one word or an option. */
static bool plain(const char *v, const char *extra)
{
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-:@/%[]", *p) &&
		    !(extra && strchr(extra, *p)))
			return false;
	return *v && *v != '-';
}

/* A key of a [host NAME] section. */
static int host_key(struct pe_suite *s, struct pe_suite_host *h, int line, const char *key,
		    const char *v, char *err, size_t errlen)
{
	static const struct {
		const char *key, *what, *extra;
		size_t off, len;
	} keys[] = {
		{ "ssh", "an ssh destination (user@host, host, ssh://user@host:port)", NULL,
		  offsetof(struct pe_suite_host, ssh), sizeof(h->ssh) },
		{ "addr", "the address the other hosts reach this one on", NULL,
		  offsetof(struct pe_suite_host, addr), sizeof(h->addr) },
		{ "bin", "the path of pkteng on the host", "+", offsetof(struct pe_suite_host, bin),
		  sizeof(h->bin) },
		{ "cpus", "a CPU list (0-3,6)", ",", offsetof(struct pe_suite_host, cpus),
		  sizeof(h->cpus) },
		{ "ssh_config", "an ssh configuration file", "+",
		  offsetof(struct pe_suite_host, ssh_config), sizeof(h->ssh_config) },
		{ "dev", "an interface name", NULL, offsetof(struct pe_suite_host, dev),
		  sizeof(h->dev) },
	};

	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *f = (char *)h + keys[i].off;

		if (strcmp(key, keys[i].key))
			continue;
		if (*f)
			return pe_suite_err(err, errlen, s->file, line,
					    "key '%s': given twice in [host %s]", key, h->name);
		if (!plain(v, keys[i].extra) || strlen(v) >= keys[i].len ||
		    (!strcmp(key, "cpus") && strspn(v, "0123456789,-") != strlen(v)))
			return pe_suite_err(err, errlen, s->file, line,
					    "key '%s': '%s': expected %s", key, v, keys[i].what);
		snprintf(f, keys[i].len, "%s", v);
		return 0;
	}
	return pe_suite_err(
		err, errlen, s->file, line,
		"key '%s': unknown in [host %s] (ssh, addr, bin, cpus, ssh_config, dev)", key,
		h->name);
}

/* A [host NAME] header (the reader sees it, so a section without keys names a host too). */
static int host_header(struct parse *ps, const char *name)
{
	struct pe_suite *s = ps->s;
	struct pe_suite_host *h;

	{
		for (unsigned i = 0; i < s->n_hosts; i++)
			if (!strcmp(s->hosts[i].name, name))
				return pe_suite_err(ps->msg, ps->msglen, s->file, ps->line,
						    "[host %s]: given twice", name);
		if (!*name || strlen(name) >= sizeof(h->name) || !plain(name, NULL) ||
		    strpbrk(name, "./:@%[]") || !strcmp(name, "local") || !strcmp(name, "remote"))
			return pe_suite_err(ps->msg, ps->msglen, s->file, ps->line,
					    "[host %s]: expected a name of letters, digits, - and "
					    "_ (not local or remote)",
					    name);
		if (s->n_hosts == PE_SUITE_HOSTS_MAX)
			return pe_suite_err(ps->msg, ps->msglen, s->file, ps->line,
					    "[host %s]: more than %d hosts", name,
					    PE_SUITE_HOSTS_MAX);
		h = &s->hosts[s->n_hosts++];
		memset(h, 0, sizeof(*h));
		snprintf(h->name, sizeof(h->name), "%s", name);
		h->line = ps->line;
	}
	return 0;
}

static int host_section(struct parse *ps, const char *section, const char *key, const char *value)
{
	struct pe_suite *s = ps->s;
	const char *name = section + 5;

	while (*name == ' ')
		name++;
	if (!s->n_hosts || strcmp(s->hosts[s->n_hosts - 1].name, name))
		return pe_suite_err(ps->msg, ps->msglen, s->file, ps->line, "[host %s]: bad header",
				    name);
	return host_key(s, &s->hosts[s->n_hosts - 1], ps->line, key, value, ps->msg, ps->msglen);
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse *ps = user;
	struct pe_suite *s = ps->s;
	struct pe_suite_section *sec;
	enum key_class kc;

	if (ps->err)
		return 0;
	if (!key) /* a new section (INI_CALL_HANDLER_ON_NEW_SECTION builds) */
		return 1;
	if (!*section) {
		ps->err = pe_suite_err(ps->msg, ps->msglen, s->file, ps->line,
				       "key '%s': outside a section ([global] or [TEST])", key);
		return 0;
	}
	if (!strncmp(section, "host ", 5)) {
		ps->err = host_section(ps, section, key, value);
		return !ps->err;
	}
	if (!strcmp(section, "global")) {
		sec = &s->global;
	} else {
		if (!s->n_tests || strcmp(s->tests[s->n_tests - 1].name, section)) {
			for (unsigned i = 0; i < s->n_tests; i++)
				if (!strcmp(s->tests[i].name, section)) {
					ps->err =
						pe_suite_err(ps->msg, ps->msglen, s->file, ps->line,
							     "key '%s': section [%s] given "
							     "twice",
							     key, section);
					return 0;
				}
			if (s->n_tests == PE_SUITE_TESTS_MAX || strlen(section) >= 64 ||
			    strpbrk(section, "/, =")) {
				ps->err = pe_suite_err(ps->msg, ps->msglen, s->file, ps->line,
						       "key '%s': [%s]: too many tests or a name "
						       "with / , = or spaces",
						       key, section);
				return 0;
			}
			snprintf(s->tests[s->n_tests].name, 64, "%s", section);
			s->tests[s->n_tests++].line = ps->section_line;
		}
		sec = &s->tests[s->n_tests - 1];
	}
	if (sec == &s->global && !strncmp(key, "variant.", 8)) {
		ps->err = add_setting(s, ps->line, key + 8, value, ps->msg, ps->msglen);
		return !ps->err;
	}
	kc = classify(key);
	if (kc == K_UNKNOWN) {
		ps->err = pe_suite_err(ps->msg, ps->msglen, s->file, ps->line,
				       "key '%s': unknown (see docs/suite.md)", key);
		return 0;
	}
	if (kc == K_GLOBAL && sec != &s->global) {
		ps->err =
			pe_suite_err(ps->msg, ps->msglen, s->file, ps->line,
				     "key '%s': only in [global] (it orders the whole suite)", key);
		return 0;
	}
	ps->err = pe_suite_kv_add(sec, s->file, ps->line, key, value, ps->msg, ps->msglen);
	if (!ps->err && kc == K_GLOBAL)
		ps->err = global_key(s, ps->line, key, sec->kv[sec->n - 1].value, ps->msg,
				     ps->msglen);
	return !ps->err;
}

/* inih reads one line per call: counting the calls gives the line of every key. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	size_t n;

	if (ps->f) {
		if (!fgets(str, num, ps->f))
			return NULL;
	} else {
		const char *nl;

		if (!*ps->text)
			return NULL;
		nl = strchr(ps->text, '\n');
		n = nl ? (size_t)(nl - ps->text) + 1 : strlen(ps->text);
		if (n > (size_t)num - 1)
			n = (size_t)num - 1;
		memcpy(str, ps->text, n);
		str[n] = 0;
		ps->text += n;
	}
	n = strlen(str);
	if (str[strspn(str, " \t")] == '[') {
		const char *h = str + strspn(str, " \t") + 1, *end = strchr(h, ']');

		ps->section_line = ps->line + 1;
		if (end && !strncmp(h, "host ", 5) && !ps->err) {
			char name[128];

			h += 5;
			while (*h == ' ')
				h++;
			snprintf(name, sizeof(name), "%.*s", (int)(end - h), h);
			while (*name && name[strlen(name) - 1] == ' ')
				name[strlen(name) - 1] = 0;
			ps->line++;
			ps->err = host_header(ps, name);
			ps->line--;
			if (ps->err)
				return NULL;
		}
	}
	if (n && str[n - 1] == '\n')
		ps->line++;
	else if (ps->f ? feof(ps->f) : !*ps->text)
		ps->line++; /* the last line, without its newline */
	return str;
}

static int load(struct parse *ps, char *err, size_t errlen)
{
	struct pe_suite *s = ps->s;
	int rc;

	s->steal_max_pct = 5;
	s->other_max_pct = 20;
	s->grace_s = 10;
	s->warmup = 1;
	ps->msg = err;
	ps->msglen = errlen;
	rc = ini_parse_stream(reader, ps, handler, ps);
	if (ps->err)
		return ps->err;
	if (rc > 0)
		return pe_suite_err(err, errlen, s->file, rc,
				    "syntax error (expected [section] or key = value)");
	if (rc < 0)
		return pe_suite_err(err, errlen, s->file, 0, "cannot read the file");
	if (!s->n_tests)
		return pe_suite_err(err, errlen, s->file, ps->line > 0 ? ps->line : 1,
				    "no tests: the suite needs a section per test "
				    "([rr] with mode = rr)");
	return 0;
}

int pe_suite_load(struct pe_suite *s, const char *path, char *err, size_t errlen)
{
	struct parse ps = { .s = s };
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(s->file, sizeof(s->file), "%s", path);
	s->from_file = true;
	ps.f = fopen(path, "re");
	if (!ps.f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	rc = load(&ps, err, errlen);
	fclose(ps.f);
	return rc;
}

int pe_suite_load_string(struct pe_suite *s, const char *name, const char *text, char *err,
			 size_t errlen)
{
	struct parse ps = { .s = s, .text = text };

	memset(s, 0, sizeof(*s));
	snprintf(s->file, sizeof(s->file), "%s", name);
	return load(&ps, err, errlen);
}

static int set_in(struct pe_suite *s, struct pe_suite_section *sec, const char *key,
		  const char *value)
{
	char err[256];

	for (unsigned i = 0; i < sec->n; i++) {
		if (strcmp(sec->kv[i].key, key))
			continue;
		free(sec->kv[i].value);
		free(sec->kv[i].alts[0]);
		memmove(&sec->kv[i], &sec->kv[i + 1], (sec->n - i - 1) * sizeof(sec->kv[0]));
		sec->n--;
		break;
	}
	return pe_suite_kv_add(sec, "(command line)", 0, key, value, err, sizeof(err));
}

int pe_suite_override(struct pe_suite *s, const char *key, const char *value)
{
	int rc = set_in(s, &s->global, key, value);

	for (unsigned i = 0; i < s->n_tests && !rc; i++)
		for (unsigned k = 0; k < s->tests[i].n; k++)
			if (!strcmp(s->tests[i].kv[k].key, key)) {
				rc = set_in(s, &s->tests[i], key, value);
				break;
			}
	return rc;
}

static void free_section(struct pe_suite_section *sec)
{
	for (unsigned i = 0; i < sec->n; i++) {
		free(sec->kv[i].value);
		free(sec->kv[i].alts[0]);
	}
	sec->n = 0;
}

void pe_suite_free(struct pe_suite *s)
{
	free_section(&s->global);
	for (unsigned i = 0; i < s->n_tests; i++)
		free_section(&s->tests[i]);
	for (unsigned i = 0; i < s->n_settings; i++)
		free_section(&s->settings[i].kv);
	free(s->points);
	free(s->steps);
	s->points = NULL;
	s->steps = NULL;
}
