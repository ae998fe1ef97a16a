/* SPDX-License-Identifier: BSD-2-Clause */
/* MAC and IP address text: strict parsing (a typo is an error, never a silent zero). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "raw/addr.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pe_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t m[6];

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, 6);
	return 0;
}

char *pe_mac_format(const uint8_t mac[6], char buf[PE_MAC_STRLEN])
{
	snprintf(buf, PE_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	return buf;
}

int pe_ip_parse(const char *s, union pe_ip_addr *a)
{
	union pe_ip_addr t;

	if (!s)
		return -EINVAL;
	memset(&t, 0, sizeof(t));
	if (inet_pton(AF_INET, s, &t.v4) == 1) {
		*a = t;
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &t.v6) == 1) {
		*a = t;
		return AF_INET6;
	}
	return -EINVAL;
}
