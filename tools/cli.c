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

int pe_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	static const struct {
		const char *sfx;
		uint64_t mul;
	} units[] = {
		{ "Ki", 1ULL << 10 },	{ "Mi", 1ULL << 20 },	   { "Gi", 1ULL << 30 },
		{ "Ti", 1ULL << 40 },	{ "K", 1000ULL },	   { "M", 1000000ULL },
		{ "G", 1000000000ULL }, { "T", 1000000000000ULL }, { "k", 1000ULL },
	};
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

		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcmp(end, units[i].sfx))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
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
