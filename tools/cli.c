/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared command-line helpers: one-line errors and strict number parsing. */
#include "tools/cli.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static void vmsg(const char *fmt, va_list ap)
{
	fputs("pkteng: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int pe_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	return PE_EXIT_USAGE;
}

int pe_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	return PE_EXIT_FAIL;
}

int pe_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* A number with an optional unit suffix from units (n entries, longest first). */
struct unit {
	const char *sfx;
	uint64_t mul;
};

static int parse_units(const char *s, const struct unit *units, size_t n, uint64_t min,
		       uint64_t max, uint64_t *out)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *end;

	if (!s || !*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end) {
		size_t i;

		for (i = 0; i < n; i++)
			if (!strcmp(end, units[i].sfx))
				break;
		if (i == n)
			return -EINVAL;
		mul = units[i].mul;
	}
	if (v && mul > UINT64_MAX / v)
		return -ERANGE;
	v *= mul;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int pe_parse_unix_ns(const char *s, uint64_t *out)
{
	uint64_t sec, frac = 0, scale = 1000000000ull;
	const char *dot = strchr(s, '.');
	char whole[24];

	if (!dot)
		dot = s + strlen(s);
	if (dot == s || (size_t)(dot - s) >= sizeof(whole))
		return -EINVAL;
	snprintf(whole, sizeof(whole), "%.*s", (int)(dot - s), s);
	if (whole[0] == '0' || pe_parse_u64(whole, 1000000000ull, 9000000000ull, &sec))
		return -EINVAL;
	if (*dot) {
		const char *p = dot + 1;

		if (!*p || strlen(p) > 9 || strspn(p, "0123456789") != strlen(p))
			return -EINVAL;
		for (; *p; p++) {
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	}
	*out = sec * 1000000000ull + frac;
	return 0;
}

/* Sizes are binary, as iperf3 has them: K = Ki = 1024. */
int pe_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	static const struct unit units[] = {
		{ "Ki", 1ULL << 10 }, { "Mi", 1ULL << 20 }, { "Gi", 1ULL << 30 },
		{ "Ti", 1ULL << 40 }, { "K", 1ULL << 10 },  { "M", 1ULL << 20 },
		{ "G", 1ULL << 30 },  { "T", 1ULL << 40 },  { "k", 1ULL << 10 },
		{ "m", 1ULL << 20 },  { "g", 1ULL << 30 },  { "t", 1ULL << 40 },
	};

	return parse_units(s, units, sizeof(units) / sizeof(units[0]), min, max, out);
}

/* Rates are decimal, as iperf3 has them: -b 1G is 10^9 bit/s. */
int pe_parse_rate(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	static const struct unit units[] = {
		{ "K", 1000ULL },	   { "M", 1000000ULL },	      { "G", 1000000000ULL },
		{ "T", 1000000000000ULL }, { "k", 1000ULL },	      { "m", 1000000ULL },
		{ "g", 1000000000ULL },	   { "t", 1000000000000ULL },
	};

	return parse_units(s, units, sizeof(units) / sizeof(units[0]), min, max, out);
}

int pe_parse_seconds(const char *s, double min_s, double max_s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return -EINVAL;
	if (v < min_s || v > max_s)
		return -ERANGE;
	*out = v;
	return 0;
}

void pe_cli_raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < (1u << 20) ? rl.rlim_max : (1u << 20);
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int pe_parse_timeout(const char *s, int *out_ms)
{
	double v;
	int r = pe_parse_seconds(s, 0.001, 86400, &v);

	if (!r)
		*out_ms = (int)(v * 1000 + 0.5);
	return r;
}

int pe_out_check(const char *path)
{
	char dir[4096];
	const char *slash;
	struct stat st;

	if (pe_out_is_stdout(path))
		return 0;
	if (!path || !*path)
		return -ENOENT;
	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		return -EISDIR;
	slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (access(dir, W_OK | X_OK))
		return -errno;
	return 0;
}

FILE *pe_out_open(const char *path)
{
	return pe_out_is_stdout(path) ? stdout : fopen(path, "we");
}

int pe_out_close(FILE *f)
{
	if (f == stdout)
		return fflush(f) ? -errno : 0;
	return fclose(f) ? -errno : 0;
}

void pe_cli_on_stop(void (*handler)(int))
{
	struct sigaction sa = { .sa_handler = handler };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int pe_cli_help(const char *usage, bool is_error)
{
	if (is_error)
		return PE_EXIT_USAGE;
	fputs(usage, stdout);
	return PE_EXIT_OK;
}
