/* SPDX-License-Identifier: BSD-2-Clause */
/* Names whose JSON escapes are not characters: json-c turns a lone UTF-16 surrogate escape
 * ("\ud800") into U+FFFD, so the registry checks the raw escapes and refuses such a name
 * rather than store a different one. Escaped surrogate pairs and escaped backslashes pass. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "registry/registry.h"
#include "tests/testutil.h"

Test(registry_escapes, lone_surrogates_are_refused, .timeout = 60)
{
	static const struct {
		const char *json; /* the request as sent */
		const char *want; /* the error, or "ok" and the names listed */
	} cases[] = {
		{ "{\"name\":\"\\ud800x\"}", "name has \\ud800, a lone UTF-16 surrogate" },
		{ "{\"name\":\"a\\udc00\"}", "name has \\udc00, a lone UTF-16 surrogate" },
		{ "{\"name\":\"\\uD83D\\u0041\"}", "name has \\uD83D, a lone UTF-16 surrogate" },
		{ "{\"name\":\"z\\ud83d\"}", "name has \\ud83d, a lone UTF-16 surrogate" },
		{ "{\"name\":\"\\ud83d\\ude00\"}", "ok \\U0001f600" },
		{ "{\"name\":\"\\\\ud800\"}", "ok \\\\ud800" },
	};
	struct pe_registry_opts o = { .sz = sizeof(o) };
	struct pe_registry *reg = pe_registry_open(&o);
	char *dir = pe_tmpdir(), path[300];

	cr_assert(reg, "%s", strerror(errno));
	cr_assert_eq(pe_registry_start(reg), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_run r;
		char want[200];

		snprintf(path, sizeof(path), "%s/req.json", dir);
		cr_assert_eq(pe_write_file(path, cases[i].json, strlen(cases[i].json)), 0);
		cr_assert_eq(pe_run(&r,
				    "%s -c 'import json,socket,struct\n"
				    "s=socket.create_connection((\"127.0.0.1\",%u))\n"
				    "b=open(\"%s\",\"rb\").read()\n"
				    "s.sendall(struct.pack(\">I\",len(b))+b)\n"
				    "n=struct.unpack(\">I\",s.recv(4,socket.MSG_WAITALL))[0]\n"
				    "a=json.loads(s.recv(n,socket.MSG_WAITALL))\n"
				    "print(a[\"error\"] if \"error\" in a else \"ok \"+"
				    "ascii(a[\"clients\"][-1][\"name\"])[1:-1])'",
				    PE_PYTHON, pe_registry_port(reg), path),
			     0);
		snprintf(want, sizeof(want), "%s\n", cases[i].want);
		cr_expect_str_eq(r.out, want, "case %zu: %s", i, r.err);
		pe_run_free(&r);
	}
	pe_registry_close(reg);
	pe_tmpdir_remove(dir);
}
