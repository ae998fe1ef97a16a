/* SPDX-License-Identifier: BSD-2-Clause */
/* Address text for frames: MAC "aa:bb:cc:dd:ee:ff" and IPv4/IPv6 through inet_pton(3). */
#ifndef PKTENG_RAW_ADDR_H
#define PKTENG_RAW_ADDR_H

#include <stdint.h>

#include "raw/frame.h"

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

#define PE_MAC_STRLEN 18 /* "aa:bb:cc:dd:ee:ff" + NUL */

/* Parses exactly six ':'-separated pairs of hex digits (either case). Returns 0, or -EINVAL
 * (mac untouched) for anything else: "1:2:3:4:5:6", trailing text, '-' separators. */
int pe_mac_parse(const char *s, uint8_t mac[6]);
/* Formats as lower-case "aa:bb:cc:dd:ee:ff" into buf; returns buf. */
char *pe_mac_format(const uint8_t mac[6], char buf[PE_MAC_STRLEN]);

/* Parses an IPv4 dotted quad or an IPv6 address (inet_pton). Returns AF_INET or AF_INET6,
 * or -EINVAL (a untouched). */
int pe_ip_parse(const char *s, union pe_ip_addr *a);

#pragma GCC visibility pop

#endif
