/* SPDX-License-Identifier: BSD-2-Clause */
/* Addresses and sockets: numeric parsing and formatting, getaddrinfo results, the dual-stack
 * [::] listener (an IPv4 client reaches it), SO_REUSEPORT, and the backlog. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "engine/addr.h"

Test(addr, format_parse)
{
	static const struct {
		const char *ip;
		uint16_t port;
		const char *text;
	} cases[] = {
		{ "198.18.0.1", 5201, "198.18.0.1:5201" },
		{ "2001:2::1", 80, "[2001:2::1]:80" },
		{ "::ffff:198.18.0.9", 1, "198.18.0.9:1" }, /* v4-mapped printed as v4 */
		{ "::", 0, "[::]:0" },
		{ "0.0.0.0", 65535, "0.0.0.0:65535" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_addr a;
		char buf[PE_ADDR_STRLEN];

		cr_assert_eq(pe_addr_from_str(&a, cases[i].ip, cases[i].port), 0, "%s",
			     cases[i].ip);
		cr_expect_eq(pe_addr_port(&a), cases[i].port);
		cr_expect_eq(pe_addr_format(&a, buf, sizeof(buf)), (int)strlen(cases[i].text));
		cr_expect_str_eq(buf, cases[i].text);
	}
	{
		struct pe_addr a;
		char small[8];

		cr_expect_eq(pe_addr_from_str(&a, "198.18.0.256", 1), -EINVAL);
		cr_expect_eq(pe_addr_from_str(&a, "fe80::1%nosuchif0", 1), -EINVAL);
		cr_expect_eq(pe_addr_from_str(&a, "host.example", 1), -EINVAL);
		cr_assert_eq(pe_addr_from_str(&a, "198.18.0.1", 5201), 0);
		cr_expect_eq(pe_addr_format(&a, small, sizeof(small)), -ENOSPC);
		cr_expect(!pe_addr_is_any(&a));
		pe_addr_set_port(&a, 7);
		cr_expect_eq(pe_addr_port(&a), 7);
	}
}

Test(addr, resolve)
{
	struct pe_addr a[8];
	int n;

	n = pe_addr_resolve("127.0.0.1", "5201", AF_UNSPEC, SOCK_STREAM, false, a, 8);
	cr_assert_eq(n, 1);
	cr_expect_eq(a[0].sa.sa_family, AF_INET);
	cr_expect_eq(a[0].in.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	cr_expect_eq(pe_addr_port(&a[0]), 5201);
	n = pe_addr_resolve("::1", "http", AF_UNSPEC, SOCK_STREAM, false, a, 8);
	cr_assert_eq(n, 1);
	cr_expect_eq(a[0].sa.sa_family, AF_INET6);
	cr_expect_eq(pe_addr_port(&a[0]), 80, "service names resolve");
	cr_expect_eq(
		pe_addr_resolve("127.0.0.1", "nosuchservice", AF_UNSPEC, SOCK_STREAM, false, a, 8),
		-ENOENT);
	cr_expect_eq(pe_addr_resolve("no-such-host.invalid", "1", AF_UNSPEC, SOCK_STREAM, false, a,
				     8) < 0,
		     1);
	cr_expect_eq(pe_addr_resolve("127.0.0.1", "1", AF_INET6, SOCK_STREAM, false, a, 8) < 0, 1);
	cr_expect_str_eq(pe_addr_strerror(-ENOENT), "name or service not known");
	/* Wildcard: one dual-stack [::] (this host has IPv6), port kept. */
	n = pe_addr_resolve(NULL, "5201", AF_UNSPEC, SOCK_STREAM, true, a, 8);
	cr_assert_eq(n, 1);
	cr_expect_eq(a[0].sa.sa_family, AF_INET6);
	cr_expect(pe_addr_is_any(&a[0]));
	cr_expect_eq(pe_addr_port(&a[0]), 5201);
	n = pe_addr_resolve("*", "5201", AF_INET, SOCK_STREAM, true, a, 8);
	cr_assert_eq(n, 1);
	cr_expect_eq(a[0].sa.sa_family, AF_INET);
}

Test(addr, dual_stack_listener)
{
	struct pe_addr any, bound, v4;
	int lfd, cfd, afd, v6only = -1;
	socklen_t ol = sizeof(v6only);

	cr_assert_eq(pe_addr_any(&any, AF_UNSPEC, 0), 0);
	cr_assert_eq(any.sa.sa_family, AF_INET6);
	lfd = pe_sock_listen(&any, NULL);
	cr_assert_geq(lfd, 0);
	cr_assert_eq(getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &ol), 0);
	cr_expect_eq(v6only, 0);
	cr_assert_eq(pe_sock_local(lfd, &bound), 0);
	/* An IPv4 client reaches the [::] listener. */
	cr_assert_eq(pe_addr_loopback(&v4, AF_INET, pe_addr_port(&bound)), 0);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(cfd, &v4.sa, v4.len), 0);
	usleep(10000);
	afd = accept(lfd, NULL, NULL);
	cr_assert_geq(afd, 0);
	close(afd);
	close(cfd);
	close(lfd);
}

Test(addr, reuseport_and_reuseaddr)
{
	struct pe_sock_opts rp = { .sz = sizeof(rp), .reuseport = true };
	struct pe_addr a;
	int l1, l2, l3, on = 0;
	socklen_t ol = sizeof(on);

	cr_assert_eq(pe_addr_loopback(&a, AF_INET, 0), 0);
	l1 = pe_sock_listen(&a, &rp);
	cr_assert_geq(l1, 0);
	cr_assert_eq(getsockopt(l1, SOL_SOCKET, SO_REUSEADDR, &on, &ol), 0);
	cr_expect_eq(on, 1);
	cr_assert_eq(pe_sock_local(l1, &a), 0);
	l2 = pe_sock_listen(&a, &rp);
	cr_expect_geq(l2, 0, "second SO_REUSEPORT listener refused: %d", l2);
	l3 = pe_sock_listen(&a, NULL);
	cr_expect_eq(l3, -EADDRINUSE);
	close(l1);
	if (l2 >= 0)
		close(l2);
}
