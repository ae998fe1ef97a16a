/* SPDX-License-Identifier: BSD-2-Clause */
/* The command line's contract: number parsing, exit codes and one-line errors. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "tests/testutil.h"
#include "tools/cli.h"

struct u64_case {
	const char *in;
	uint64_t min, max;
	int ret;
	uint64_t val;
};

Test(cli, parse_u64)
{
	static const struct u64_case cases[] = {
		{ "0", 0, 10, 0, 0 },
		{ "10", 0, 10, 0, 10 },
		{ "11", 0, 10, -ERANGE, 0 },
		{ "0x10", 0, 100, 0, 16 },
		{ "", 0, 10, -EINVAL, 0 },
		{ "-1", 0, 10, -EINVAL, 0 },
		{ "5x", 0, 10, -EINVAL, 0 },
		{ " 5", 0, 10, -EINVAL, 0 },
		{ "65536", 0, 65535, -ERANGE, 0 },
		{ "99999999999999999999", 0, UINT64_MAX, -ERANGE, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		int ret = pe_parse_u64(cases[i].in, cases[i].min, cases[i].max, &v);

		cr_expect_eq(ret, cases[i].ret, "'%s': ret %d", cases[i].in, ret);
		if (!ret)
			cr_expect_eq(v, cases[i].val, "'%s': %llu", cases[i].in,
				     (unsigned long long)v);
		else
			cr_expect_eq(v, 12345, "'%s': output written on error", cases[i].in);
	}
}

/* Sizes are binary (iperf3: -l 128K is 131072), with or without the i; rates are decimal. */
struct unit_case {
	const char *in;
	uint64_t max;
	int ret;
	uint64_t val;
};

static const struct unit_case size_cases[] = {
	{ "128K", UINT64_MAX, 0, 131072 },
	{ "128Ki", UINT64_MAX, 0, 131072 },
	{ "128k", UINT64_MAX, 0, 131072 },
	{ "64K", UINT64_MAX, 0, 65536 },
	{ "1M", UINT64_MAX, 0, 1048576 },
	{ "1Mi", UINT64_MAX, 0, 1048576 },
	{ "3G", UINT64_MAX, 0, 3221225472ULL },
	{ "2Gi", UINT64_MAX, 0, 2147483648ULL },
	{ "1T", UINT64_MAX, 0, 1099511627776ULL },
	{ "1234", UINT64_MAX, 0, 1234 },
	{ "0", UINT64_MAX, 0, 0 },
	{ "1X", UINT64_MAX, -EINVAL, 0 },
	{ "K", UINT64_MAX, -EINVAL, 0 },
	{ "1KB", UINT64_MAX, -EINVAL, 0 },
	{ "-1K", UINT64_MAX, -EINVAL, 0 },
	{ "1.5K", UINT64_MAX, -EINVAL, 0 },
	{ "20000000T", UINT64_MAX, -ERANGE, 0 },
	{ "2K", 2047, -ERANGE, 0 },
	{ "2K", 2048, 0, 2048 },
};

static const struct unit_case rate_cases[] = {
	{ "1G", UINT64_MAX, 0, 1000000000ULL },
	{ "1g", UINT64_MAX, 0, 1000000000ULL },
	{ "100M", UINT64_MAX, 0, 100000000ULL },
	{ "64K", UINT64_MAX, 0, 64000 },
	{ "2T", UINT64_MAX, 0, 2000000000000ULL },
	{ "5000", UINT64_MAX, 0, 5000 },
	{ "1Gi", UINT64_MAX, -EINVAL, 0 },
	{ "1X", UINT64_MAX, -EINVAL, 0 },
	{ "M", UINT64_MAX, -EINVAL, 0 },
	{ "20000000T", UINT64_MAX, -ERANGE, 0 },
	{ "2K", 1999, -ERANGE, 0 },
};

static void check_units(int (*parse)(const char *, uint64_t, uint64_t, uint64_t *),
			const struct unit_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 12345;
		int ret = parse(c[i].in, 0, c[i].max, &v);

		cr_expect_eq(ret, c[i].ret, "'%s': returned %d, expected %d", c[i].in, ret,
			     c[i].ret);
		if (!c[i].ret)
			cr_expect_eq(v, c[i].val, "'%s': %llu, expected %llu", c[i].in,
				     (unsigned long long)v, (unsigned long long)c[i].val);
		else
			cr_expect_eq(v, 12345, "'%s': output written on error", c[i].in);
	}
}

Test(cli, parse_size)
{
	check_units(pe_parse_size, size_cases, sizeof(size_cases) / sizeof(size_cases[0]));
}

Test(cli, parse_rate)
{
	check_units(pe_parse_rate, rate_cases, sizeof(rate_cases) / sizeof(rate_cases[0]));
}

Test(cli, parse_seconds)
{
	double v;

	cr_assert_eq(pe_parse_seconds("0.5", 0, 10, &v), 0);
	cr_expect_float_eq(v, 0.5, 1e-12);
	cr_expect_eq(pe_parse_seconds("-1", 0, 10, &v), -EINVAL);
	cr_expect_eq(pe_parse_seconds("11", 0, 10, &v), -ERANGE);
	cr_expect_eq(pe_parse_seconds("nan", 0, 10, &v), -EINVAL);
	cr_expect_eq(pe_parse_seconds("1s", 0, 10, &v), -EINVAL);
}

Test(cli, version_and_help)
{
	struct pe_run r;

	cr_assert_eq(pe_run(&r, "%s --version", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 0);
	cr_expect(!strncmp(r.out, "pkteng ", 7), "version: %s", r.out);
	/* probed at run time: this kernel (6.0+) has multishot recv and SEND_ZC */
	cr_expect(strstr(r.out, "\n           multishot recv yes\n") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, " +send_zc ") != NULL, "%s", r.out);
#ifdef PKTENG_HAVE_XDP
	cr_expect(strstr(r.out, "\nxdp:       built (counter and sender), libbpf 1.") != NULL, "%s",
		  r.out);
#endif
	pe_run_free(&r);

	cr_assert_eq(pe_run(&r, "%s --help", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "Commands:") != NULL);
	pe_run_free(&r);
}

Test(cli, unknown_command_is_one_line_exit_2)
{
	struct pe_run r;

	cr_assert_eq(pe_run(&r, "%s frobnicate", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err,
			 "pkteng: 'frobnicate' is not a command; 'pkteng --help' lists them\n");
	cr_expect_eq(r.out_len, 0);
	pe_run_free(&r);

	cr_assert_eq(pe_run(&r, "%s", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 2);
	pe_run_free(&r);
}

/* Empty arguments that used to mean something silently ("" as "every address"): one line,
 * exit 2, before anything starts. */
Test(cli, empty_arguments_are_refused)
{
	static const struct {
		const char *args, *err;
	} cases[] = {
		{ "server --bind '' -p 42301", "pkteng: server: --bind '': expected an address "
					       "(leave --bind out to listen on every "
					       "address)\n" },
		{ "registry serve --bind '' -p 42302",
		  "pkteng: registry: --bind '': expected an address (leave --bind out to listen on "
		  "every address)\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_run r;

		cr_assert_eq(pe_run(&r, "timeout 5 %s %s", PE_TEST_BIN, cases[i].args), 0);
		cr_expect_eq(r.status, 2, "%s: status %d", cases[i].args, r.status);
		cr_expect_str_eq(r.err, cases[i].err, "%s", cases[i].args);
		cr_expect_eq(r.out_len, 0, "%s: %s", cases[i].args, r.out);
		pe_run_free(&r);
	}
}

/* --passive with an empty HOST asks for the wildcard addresses (getaddrinfo's NULL node). */
Test(cli, resolve_passive_wildcard)
{
	struct pe_run r;

	cr_assert_eq(pe_run(&r, "%s resolve --passive '' 42310", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_empty(r.err);
	cr_expect(strstr(r.out, "inet  stream tcp   0.0.0.0 port 42310\n"), "%s", r.out);
	cr_expect(strstr(r.out, "inet6 stream tcp   :: port 42310\n"), "%s", r.out);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "%s resolve '' 42310", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "pkteng: resolve: empty HOST needs --passive\n");
	pe_run_free(&r);
}
