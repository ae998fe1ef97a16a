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

Test(cli, parse_size)
{
	uint64_t v;

	cr_assert_eq(pe_parse_size("64K", 0, UINT64_MAX, &v), 0);
	cr_expect_eq(v, 64000);
	cr_assert_eq(pe_parse_size("1Mi", 0, UINT64_MAX, &v), 0);
	cr_expect_eq(v, 1048576);
	cr_assert_eq(pe_parse_size("3G", 0, UINT64_MAX, &v), 0);
	cr_expect_eq(v, 3000000000ULL);
	cr_assert_eq(pe_parse_size("1234", 0, UINT64_MAX, &v), 0);
	cr_expect_eq(v, 1234);
	cr_expect_eq(pe_parse_size("1X", 0, UINT64_MAX, &v), -EINVAL);
	cr_expect_eq(pe_parse_size("K", 0, UINT64_MAX, &v), -EINVAL);
	cr_expect_eq(pe_parse_size("20000000T", 0, UINT64_MAX, &v), -ERANGE);
	cr_expect_eq(pe_parse_size("2K", 0, 1999, &v), -ERANGE);
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
