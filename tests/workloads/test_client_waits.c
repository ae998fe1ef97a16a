/* SPDX-License-Identifier: BSD-2-Clause */
/* A stopped server (SIGSTOP) must not hold a client past its test time plus the stated grace
 * (PE_CLIENT_GRACE_S), and the client must say what it was waiting for. A real server process
 * is stopped in the middle of the test, then continued and killed. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"
#include "workload/work.h"

static const struct {
	const char *args; /* the client's, after --backend */
	const char *want; /* in its one line on stderr */
	bool before;	  /* stopped before the client starts (else 0.5 s into the test) */
} cases[] = {
	{ "--mode stream -t 1", "the server did not finish the test within", false },
	{ "--mode rr -t 1", "the server did not finish the test within", false },
	{ "--mode udp --pps 1000 -t 1", "no result from the server within", false },
	{ "--mode rr -t 1",
	  "pkteng: client: waiting for the server's answer to hello: no message within 10000 ms",
	  true },
};

ParameterizedTestParameters(client_waits, stopped_server)
{
	PE_PARAM_INDEXES(2 * sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(unsigned *pi, client_waits, stopped_server, .timeout = 90)
{
	static const char *const be[] = { "uring", "epoll" };
	unsigned c = *pi / 2;
	const char *b = be[*pi % 2];
	char *dir = pe_tmpdir();
	struct pe_run r;
	int status;
	long ms;

	cr_assert_eq(pe_run(&r,
			    "cd %s; p=$(%s -c 'import socket; s=socket.socket(); "
			    "s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])'); "
			    "%s server -p $p --bind 127.0.0.1 -q --backend %s & s=$!; "
			    "trap 'kill -CONT $s; kill $s; wait $s' EXIT; sleep 0.3; "
			    "%s & "
			    "t0=$(date +%%s%%N); timeout -s KILL 60 %s client 127.0.0.1 -p $p "
			    "--backend %s %s -i 0 2>err >/dev/null; rc=$?; "
			    "echo \"$rc $(( ($(date +%%s%%N) - t0) / 1000000 ))\"",
			    dir, PE_PYTHON, PE_TEST_BIN, b,
			    cases[c].before ? "kill -STOP $s" : "(sleep 0.5; kill -STOP $s)",
			    PE_TEST_BIN, b, cases[c].args),
		     0);
	cr_assert_eq(sscanf(r.out, "%d %ld", &status, &ms), 2, "%s %s", r.out, r.err);
	pe_run_free(&r);
	cr_expect_eq(status, 1, "%s %s: exit %d", b, cases[c].args, status);
	/* 1 s of test, the grace, and a second for the process itself */
	cr_expect_lt(ms, (1 + PE_CLIENT_GRACE_S + 1) * 1000, "%s %s: %ld ms", b, cases[c].args, ms);
	cr_assert_eq(pe_run(&r, "cat %s/err", dir), 0);
	cr_expect(strstr(r.out, cases[c].want), "%s %s: %s", b, cases[c].args, r.out);
	pe_run_free(&r);
	pe_tmpdir_remove(dir);
}
