/* SPDX-License-Identifier: BSD-2-Clause */
/* Frame flags (--src-mac, --vlan, --proto, ...): the one parser of them, for every command
 * that builds frames (`pkteng frame`, `pkteng inject`). */
#include "tools/frameopts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "raw/addr.h"
#include "tools/cli.h"

enum {
	F_SRC_MAC = PE_FRAMEOPT_BASE,
	F_DST_MAC,
	F_VLAN,
	F_QINQ,
	F_SRC_IP,
	F_DST_IP,
	F_PROTO,
	F_SPORT,
	F_DPORT,
	F_TTL,
	F_TOS,
	F_TCP_FLAGS,
	F_ETHERTYPE,
	F_SIZE,
	F_PAYLOAD_HEX,
	F_PAYLOAD,
	F_JUMBO,
	F_FCS,
};

const struct option pe_frameopts_long[] = {
	{ "src-mac", required_argument, 0, F_SRC_MAC },
	{ "dst-mac", required_argument, 0, F_DST_MAC },
	{ "vlan", required_argument, 0, F_VLAN },
	{ "qinq", required_argument, 0, F_QINQ },
	{ "src-ip", required_argument, 0, F_SRC_IP },
	{ "dst-ip", required_argument, 0, F_DST_IP },
	{ "proto", required_argument, 0, F_PROTO },
	{ "sport", required_argument, 0, F_SPORT },
	{ "dport", required_argument, 0, F_DPORT },
	{ "ttl", required_argument, 0, F_TTL },
	{ "tos", required_argument, 0, F_TOS },
	{ "tcp-flags", required_argument, 0, F_TCP_FLAGS },
	{ "ethertype", required_argument, 0, F_ETHERTYPE },
	{ "size", required_argument, 0, F_SIZE },
	{ "payload-hex", required_argument, 0, F_PAYLOAD_HEX },
	{ "payload", required_argument, 0, F_PAYLOAD },
	{ "jumbo", no_argument, 0, F_JUMBO },
	{ "fcs", no_argument, 0, F_FCS },
	{ 0 },
};
_Static_assert(sizeof(pe_frameopts_long) / sizeof(pe_frameopts_long[0]) == PE_FRAMEOPTS_N + 1,
	       "PE_FRAMEOPTS_N counts the frame flags");

const char pe_frameopts_usage[] =
	"Frame flags:\n"
	"  --src-mac M, --dst-mac M   aa:bb:cc:dd:ee:ff (02:00:00:00:00:01 -> 02:00:00:00:00:02)\n"
	"  --vlan ID[:PCP]            an 802.1Q tag (ID 0..4094, PCP 0..7)\n"
	"  --qinq ID[:PCP]            an outer 802.1ad tag (needs --vlan, the inner tag)\n"
	"  --src-ip A, --dst-ip B     IPv4 or IPv6, not mixed (198.18.0.1 -> 198.18.0.2; one IPv6\n"
	"                             address makes the other default 2001:2::1 or 2001:2::2)\n"
	"  --proto udp|tcp|icmp|raw   L4 protocol (udp); icmp is an echo request (ICMPv6 with "
	"IPv6)\n"
	"  --sport P, --dport P       UDP/TCP ports (9 -> 9)\n"
	"  --ttl N, --tos N           TTL/hop limit (64); DSCP << 2 | ECN or traffic class (0)\n"
	"  --tcp-flags F,F...         FIN SYN RST PSH ACK URG ECE CWR (SYN)\n"
	"  --ethertype 0xNNNN         the ethertype of a raw frame (implies --proto raw; 0x88b5)\n"
	"  --size N                   frame size on the wire with FCS, RFC 2544 (64; or the least\n"
	"                             that holds the headers): 64..1518, 9018 with --jumbo, +4 a "
	"tag\n"
	"  --payload-hex HEX          the payload bytes (a short frame is padded to 64)\n"
	"  --payload fill:0xNN|inc|random:SEED   the payload pattern (fill:0x00)\n"
	"  --jumbo                    allow sizes up to 9018\n"
	"  --fcs                      frames end with their FCS (else a frame is size - 4 bytes)\n";

void pe_frameopts_table(struct option *out, const struct option *own, size_t n)
{
	memcpy(out, own, n * sizeof(*own));
	memcpy(out + n, pe_frameopts_long, sizeof(pe_frameopts_long));
}

int pe_frameopts_help(struct pe_frameopts *f, const char *usage, bool is_error)
{
	pe_frameopts_free(f);
	if (is_error)
		return PE_EXIT_USAGE;
	fputs(usage, stdout);
	fputs(pe_frameopts_usage, stdout);
	return PE_EXIT_OK;
}

void pe_frameopts_init(struct pe_frameopts *f)
{
	memset(f, 0, sizeof(*f));
	pe_frame_opts_default(&f->o);
}

void pe_frameopts_free(struct pe_frameopts *f)
{
	free(f->hex_payload);
	f->hex_payload = NULL;
}

static int parse_vlan(const char *flag, const char *s, struct pe_frame_vlan *v)
{
	char id[16];
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	uint64_t x;

	if (n >= sizeof(id) || (memcpy(id, s, n), id[n] = 0, pe_parse_u64(id, 0, 4094, &x)))
		return pe_usage("%s %s: VLAN ID must be 0..4094", flag, s);
	v->id = (uint16_t)x;
	if (colon) {
		if (pe_parse_u64(colon + 1, 0, 7, &x))
			return pe_usage("%s %s: priority (PCP) must be 0..7", flag, s);
		v->pcp = (uint8_t)x;
	}
	return 0;
}

/* Names separated by ',', any case. An empty name (",SYN", "SYN,,ACK") is refused; a
 * trailing ',' is not a name. */
static int parse_tcp_flags(const char *s, uint8_t *flags)
{
	static const char *const names[8] = {
		"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"
	};
	const char *p = s;

	*flags = 0;
	if (!*s)
		return pe_usage("--tcp-flags: expected names like SYN,ACK");
	for (;;) {
		size_t n = strcspn(p, ",");
		int i;

		if (!n)
			return pe_usage("--tcp-flags %s: empty flag name (expected names like "
					"SYN,ACK)",
					s);
		for (i = 0; i < 8 && (strlen(names[i]) != n || strncasecmp(p, names[i], n)); i++)
			;
		if (i == 8)
			return pe_usage(
				"--tcp-flags %s: unknown flag '%.*s' (FIN SYN RST PSH ACK URG "
				"ECE CWR)",
				s, (int)n, p);
		*flags |= (uint8_t)(1 << i);
		if (!p[n] || !p[n + 1])
			return 0;
		p += n + 1;
	}
}

static int parse_payload(const char *s, struct pe_frame_payload *p)
{
	uint64_t x;

	if (!strcmp(s, "inc")) {
		p->kind = PE_FRAME_PAYLOAD_INC;
		return 0;
	}
	if (!strncmp(s, "fill:", 5)) {
		if (pe_parse_u64(s + 5, 0, 255, &x))
			return pe_usage("--payload %s: fill byte must be 0..255 (0xNN)", s);
		p->kind = PE_FRAME_PAYLOAD_FILL;
		p->fill = (uint8_t)x;
		return 0;
	}
	if (!strncmp(s, "random:", 7)) {
		if (pe_parse_u64(s + 7, 0, UINT64_MAX, &x))
			return pe_usage("--payload %s: seed must be a number", s);
		p->kind = PE_FRAME_PAYLOAD_RANDOM;
		p->seed = x;
		return 0;
	}
	return pe_usage("--payload %s: expected fill:0xNN, inc or random:SEED", s);
}

static int unhex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Exactly two hex digits a byte: no 0x, no sign, no spaces. */
static int parse_hex(struct pe_frameopts *f, const char *s)
{
	size_t n = strlen(s);
	uint8_t *b;

	if (n % 2)
		return pe_usage("--payload-hex: odd number of hex digits (%zu)", n);
	b = malloc(n / 2 + 1);
	if (!b)
		return pe_fail("--payload-hex: out of memory");
	for (size_t i = 0; i < n; i += 2) {
		int hi = unhex_digit(s[i]), lo = unhex_digit(s[i + 1]);

		if (hi < 0 || lo < 0) {
			free(b);
			return pe_usage("--payload-hex: '%c%c' at offset %zu is not hex", s[i],
					s[i + 1], i);
		}
		b[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	free(f->hex_payload);
	f->hex_payload = b;
	f->hex_len = n / 2;
	return 0;
}

int pe_frameopts_handle(struct pe_frameopts *f, int c, const char *arg)
{
	uint64_t x;

	switch (c) {
	case F_SRC_MAC:
	case F_DST_MAC:
		if (pe_mac_parse(arg, c == F_SRC_MAC ? f->o.src_mac : f->o.dst_mac))
			return pe_usage("--%s %s: expected a MAC like 02:00:00:00:00:01",
					c == F_SRC_MAC ? "src-mac" : "dst-mac", arg);
		return 0;
	case F_VLAN:
		f->have_vlan = true;
		return parse_vlan("--vlan", arg, &f->inner);
	case F_QINQ:
		f->have_qinq = true;
		return parse_vlan("--qinq", arg, &f->outer);
	case F_SRC_IP:
		f->src_ip = arg;
		return 0;
	case F_DST_IP:
		f->dst_ip = arg;
		return 0;
	case F_PROTO:
		f->proto = arg;
		return 0;
	case F_SPORT:
	case F_DPORT:
		if (pe_parse_u64(arg, 0, 65535, &x))
			return pe_usage("--%s %s: port must be 0..65535",
					c == F_SPORT ? "sport" : "dport", arg);
		*(c == F_SPORT ? &f->o.sport : &f->o.dport) = (uint16_t)x;
		f->have_ports = true;
		return 0;
	case F_TTL:
	case F_TOS:
		if (pe_parse_u64(arg, 0, 255, &x))
			return pe_usage("--%s %s: must be 0..255", c == F_TTL ? "ttl" : "tos", arg);
		*(c == F_TTL ? &f->o.ttl : &f->o.tos) = (uint8_t)x;
		return 0;
	case F_TCP_FLAGS:
		f->have_tcp_flags = true;
		return parse_tcp_flags(arg, &f->o.tcp_flags);
	case F_ETHERTYPE:
		f->ethertype = arg;
		return 0;
	case F_SIZE:
		f->size = arg;
		return 0;
	case F_PAYLOAD_HEX:
		return parse_hex(f, arg);
	case F_PAYLOAD:
		f->have_payload = true;
		return parse_payload(arg, &f->o.payload);
	case F_JUMBO:
		f->o.jumbo = true;
		return 0;
	case F_FCS:
		f->o.fcs = true;
		return 0;
	default:
		return -1;
	}
}

static int resolve(struct pe_frameopts *f)
{
	int fs = 0, fd = 0;
	uint64_t x;

	if (f->have_qinq && !f->have_vlan)
		return pe_usage("--qinq: needs --vlan (the inner tag)");
	if (f->hex_payload && f->size)
		return pe_usage("--payload-hex: choose --size or --payload-hex, not both");
	if (f->hex_payload && f->have_payload)
		return pe_usage("--payload-hex: choose --payload or --payload-hex, not both");
	if (f->src_ip && (fs = pe_ip_parse(f->src_ip, &f->o.src_ip)) < 0)
		return pe_usage("--src-ip %s: not an IPv4 or IPv6 address", f->src_ip);
	if (f->dst_ip && (fd = pe_ip_parse(f->dst_ip, &f->o.dst_ip)) < 0)
		return pe_usage("--dst-ip %s: not an IPv4 or IPv6 address", f->dst_ip);
	if (fs && fd && fs != fd)
		return pe_usage("--dst-ip %s: mixed IPv4 and IPv6 (--src-ip %s)", f->dst_ip,
				f->src_ip);
	/* both of one family; a lone IPv6 address gives the other side the IPv6 default */
	if (fs == AF_INET6 || fd == AF_INET6) {
		f->o.l3 = PE_FRAME_L3_IPV6;
		if (!fs)
			pe_ip_parse("2001:2::1", &f->o.src_ip);
		if (!fd)
			pe_ip_parse("2001:2::2", &f->o.dst_ip);
	}
	if (f->ethertype) {
		if (f->proto && strcmp(f->proto, "raw"))
			return pe_usage("--ethertype %s: needs --proto raw", f->ethertype);
		f->proto = "raw";
		if (pe_parse_u64(f->ethertype, 0x600, 0xffff, &x))
			return pe_usage("--ethertype %s: must be 0x0600..0xffff", f->ethertype);
		f->o.ethertype = (uint16_t)x;
	}
	if (!f->proto || !strcmp(f->proto, "udp"))
		f->o.l4 = PE_FRAME_L4_UDP;
	else if (!strcmp(f->proto, "tcp"))
		f->o.l4 = PE_FRAME_L4_TCP;
	else if (!strcmp(f->proto, "icmp"))
		f->o.l4 = PE_FRAME_L4_ICMP;
	else if (!strcmp(f->proto, "raw"))
		f->o.l3 = PE_FRAME_L3_RAW;
	else
		return pe_usage("--proto %s: expected udp, tcp, icmp or raw", f->proto);
	if (f->o.l3 == PE_FRAME_L3_RAW && !f->ethertype)
		f->o.ethertype = 0x88b5; /* IEEE 802 local experimental */
	if (f->o.l3 == PE_FRAME_L3_RAW && (f->src_ip || f->dst_ip))
		return pe_usage("--%s-ip: a raw frame has no IP header", f->src_ip ? "src" : "dst");
	if (f->have_ports && (f->o.l4 == PE_FRAME_L4_ICMP || f->o.l3 == PE_FRAME_L3_RAW))
		return pe_usage("--sport/--dport: ports need --proto udp or tcp");
	if (f->have_tcp_flags && (f->o.l4 != PE_FRAME_L4_TCP || f->o.l3 == PE_FRAME_L3_RAW))
		return pe_usage("--tcp-flags: needs --proto tcp");
	if (!f->have_tcp_flags)
		f->o.tcp_flags = PE_TCP_SYN;
	if (f->have_qinq) {
		f->o.n_vlans = 2;
		f->o.vlan[0] = f->outer;
		f->o.vlan[1] = f->inner;
	} else if (f->have_vlan) {
		f->o.n_vlans = 1;
		f->o.vlan[0] = f->inner;
	}
	if (f->hex_payload) {
		f->o.payload.kind = PE_FRAME_PAYLOAD_BYTES;
		f->o.payload.bytes = f->hex_payload;
		f->o.payload.len = f->hex_len;
	}
	return 0;
}

int pe_frameopts_build(struct pe_frameopts *f, struct pe_frame_tmpl *t)
{
	struct pe_frame_opts probe;
	uint64_t size = 0;
	int err = resolve(f);

	if (err)
		return err;
	probe = f->o;
	probe.payload.kind = PE_FRAME_PAYLOAD_FILL;
	probe.size_bytes = 0;
	if (pe_frame_build(t, &probe))
		return pe_usage("frame: these options do not make a frame");
	if (f->size && (pe_parse_u64(f->size, 0, UINT32_MAX, &size) || size < t->min_size ||
			size > t->max_size))
		return pe_usage("--size %s: must be %u..%u for these headers%s", f->size,
				t->min_size, t->max_size, f->o.jumbo ? "" : " (--jumbo for more)");
	if (f->hex_payload && t->off_payload + f->hex_len + PE_FRAME_FCS_LEN > t->max_size)
		return pe_usage("--payload-hex: %zu bytes do not fit in a %u-byte frame",
				f->hex_len, t->max_size);
	f->o.size_bytes = size;
	err = pe_frame_build(t, &f->o);
	if (err)
		return pe_usage("frame: cannot build: %s", strerror(-err));
	return 0;
}
