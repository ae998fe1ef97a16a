/* `pkteng frame`: builds one Ethernet frame from the command line and prints it as a hexdump
 * or writes it to a pcap file (marking the FCS so Wireshark checks it). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "raw/addr.h"
#include "raw/frame.h"
#include "raw/pcapfile.h"
#include "tools/cli.h"

static const char usage[] =
	"Usage: pkteng frame [OPTIONS]\n"
	"Builds one Ethernet frame and prints it as a hexdump (default) or writes it to a pcap.\n"
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
	"  --fcs                      append the FCS (else the frame is size - 4 bytes)\n"
	"  --hex                      print offset and 16 bytes a line (the default)\n"
	"  --pcap FILE                write a pcap instead (with --fcs, its link type says so)\n";

enum {
	O_SRC_MAC = 256,
	O_DST_MAC,
	O_VLAN,
	O_QINQ,
	O_SRC_IP,
	O_DST_IP,
	O_PROTO,
	O_SPORT,
	O_DPORT,
	O_TTL,
	O_TOS,
	O_TCP_FLAGS,
	O_ETHERTYPE,
	O_SIZE,
	O_PAYLOAD_HEX,
	O_PAYLOAD,
	O_JUMBO,
	O_FCS,
	O_HEX,
	O_PCAP,
};

static int parse_vlan(const char *flag, const char *s, struct pe_frame_vlan *v)
{
	char id[16];
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	uint64_t x;

	if (n >= sizeof(id))
		return pe_usage("%s %s: VLAN ID must be 0..4094", flag, s);
	memcpy(id, s, n);
	id[n] = 0;
	if (pe_parse_u64(id, 0, 4094, &x))
		return pe_usage("%s %s: VLAN ID must be 0..4094", flag, s);
	v->id = (uint16_t)x;
	if (colon) {
		if (pe_parse_u64(colon + 1, 0, 7, &x))
			return pe_usage("%s %s: priority (PCP) must be 0..7", flag, s);
		v->pcp = (uint8_t)x;
	}
	return 0;
}

static int parse_tcp_flags(const char *s, uint8_t *flags)
{
	static const char *const names[8] = {"FIN", "SYN", "RST", "PSH",
					     "ACK", "URG", "ECE", "CWR"};
	char buf[128], *tok, *save;

	if (strlen(s) >= sizeof(buf) || !*s)
		return pe_usage("--tcp-flags %s: expected names like SYN,ACK", s);
	strcpy(buf, s);
	*flags = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < 8 && strcasecmp(tok, names[i]); i++)
			;
		if (i == 8)
			return pe_usage(
				"--tcp-flags %s: unknown flag '%s' (FIN SYN RST PSH ACK URG "
				"ECE CWR)",
				s, tok);
		*flags |= (uint8_t)(1 << i);
	}
	return 0;
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

/* HEX into a malloc'd buffer; returns the byte count or a usage exit code via *rc. */
static int parse_hex(const char *s, uint8_t **out, size_t *len)
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
	*out = b;
	*len = n / 2;
	return 0;
}

static void hexdump(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i += 16) {
		printf("%04zx ", i);
		for (size_t k = i; k < n && k < i + 16; k++)
			printf(" %02x", b[k]);
		putchar('\n');
	}
}

static int write_pcap(const char *path, const struct pe_frame_tmpl *t, bool fcs)
{
	struct pe_pcap_opts po = {.sz = sizeof(po), .fcs = fcs};
	struct pe_pcap_writer *w = pe_pcap_create(path, &po);
	int err;

	if (!w)
		return pe_fail("--pcap %s: %s", path, strerror(errno));
	err = pe_pcap_write(w, pe_frame_data(t), t->len, 0);
	if (err) {
		pe_pcap_abort(w);
		return pe_fail("--pcap %s: %s", path, strerror(-err));
	}
	err = pe_pcap_commit(w);
	if (err)
		return pe_fail("--pcap %s: %s", path, strerror(-err));
	return PE_EXIT_OK;
}

struct args {
	struct pe_frame_opts o;
	const char *src_ip, *dst_ip, *proto, *size, *pcap, *ethertype;
	bool have_vlan, have_qinq, have_ports, have_tcp_flags, have_payload, hex;
	uint8_t *hex_payload;
	size_t hex_len;
};

/* Addresses: both of one family; a lone IPv6 address gives the other side the IPv6 default. */
static int resolve_ips(struct args *a)
{
	int fs = 0, fd = 0;

	if (a->src_ip && (fs = pe_ip_parse(a->src_ip, &a->o.src_ip)) < 0)
		return pe_usage("--src-ip %s: not an IPv4 or IPv6 address", a->src_ip);
	if (a->dst_ip && (fd = pe_ip_parse(a->dst_ip, &a->o.dst_ip)) < 0)
		return pe_usage("--dst-ip %s: not an IPv4 or IPv6 address", a->dst_ip);
	if (fs && fd && fs != fd)
		return pe_usage("--dst-ip %s: mixed IPv4 and IPv6 (--src-ip %s)", a->dst_ip,
				a->src_ip);
	if (fs == AF_INET6 || fd == AF_INET6) {
		a->o.l3 = PE_FRAME_L3_IPV6;
		if (!fs)
			pe_ip_parse("2001:2::1", &a->o.src_ip);
		if (!fd)
			pe_ip_parse("2001:2::2", &a->o.dst_ip);
	}
	return 0;
}

static int resolve_proto(struct args *a)
{
	uint64_t x;

	if (a->ethertype) {
		if (a->proto && strcmp(a->proto, "raw"))
			return pe_usage("--ethertype %s: needs --proto raw", a->ethertype);
		a->proto = "raw";
		if (pe_parse_u64(a->ethertype, 0x600, 0xffff, &x))
			return pe_usage("--ethertype %s: must be 0x0600..0xffff", a->ethertype);
		a->o.ethertype = (uint16_t)x;
	}
	if (!a->proto || !strcmp(a->proto, "udp"))
		a->o.l4 = PE_FRAME_L4_UDP;
	else if (!strcmp(a->proto, "tcp"))
		a->o.l4 = PE_FRAME_L4_TCP;
	else if (!strcmp(a->proto, "icmp"))
		a->o.l4 = PE_FRAME_L4_ICMP;
	else if (!strcmp(a->proto, "raw"))
		a->o.l3 = PE_FRAME_L3_RAW;
	else
		return pe_usage("--proto %s: expected udp, tcp, icmp or raw", a->proto);
	if (a->o.l3 == PE_FRAME_L3_RAW && !a->ethertype)
		a->o.ethertype = 0x88b5; /* IEEE 802 local experimental */
	if (a->o.l3 == PE_FRAME_L3_RAW && (a->src_ip || a->dst_ip))
		return pe_usage("--%s-ip: a raw frame has no IP header", a->src_ip ? "src" : "dst");
	if (a->have_ports && a->o.l4 == PE_FRAME_L4_ICMP)
		return pe_usage("--%s: ports need --proto udp or tcp", "sport/--dport");
	if (a->have_ports && a->o.l3 == PE_FRAME_L3_RAW)
		return pe_usage("--%s: ports need --proto udp or tcp", "sport/--dport");
	if (a->have_tcp_flags && (a->o.l4 != PE_FRAME_L4_TCP || a->o.l3 == PE_FRAME_L3_RAW))
		return pe_usage("--tcp-flags: needs --proto tcp");
	if (!a->have_tcp_flags)
		a->o.tcp_flags = PE_TCP_SYN;
	return 0;
}

/* Builds the frame; turns size errors into a line that gives the accepted range. */
static int build(struct args *a, struct pe_frame_tmpl *t)
{
	struct pe_frame_opts probe = a->o;
	uint64_t size = 0;
	int err;

	probe.payload.kind = PE_FRAME_PAYLOAD_FILL;
	probe.size_bytes = 0;
	if (pe_frame_build(t, &probe))
		return pe_usage("frame: these options do not make a frame");
	if (a->size && (pe_parse_u64(a->size, 0, UINT32_MAX, &size) || size < t->min_size ||
			size > t->max_size))
		return pe_usage("--size %s: must be %u..%u for these headers%s", a->size,
				t->min_size, t->max_size, a->o.jumbo ? "" : " (--jumbo for more)");
	if (a->hex_payload && t->off_payload + a->hex_len + PE_FRAME_FCS_LEN > t->max_size)
		return pe_usage("--payload-hex: %zu bytes do not fit in a %u-byte frame",
				a->hex_len, t->max_size);
	a->o.size_bytes = size;
	err = pe_frame_build(t, &a->o);
	if (err)
		return pe_usage("frame: cannot build: %s", strerror(-err));
	return 0;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, 0, 'h'},
		{"src-mac", required_argument, 0, O_SRC_MAC},
		{"dst-mac", required_argument, 0, O_DST_MAC},
		{"vlan", required_argument, 0, O_VLAN},
		{"qinq", required_argument, 0, O_QINQ},
		{"src-ip", required_argument, 0, O_SRC_IP},
		{"dst-ip", required_argument, 0, O_DST_IP},
		{"proto", required_argument, 0, O_PROTO},
		{"sport", required_argument, 0, O_SPORT},
		{"dport", required_argument, 0, O_DPORT},
		{"ttl", required_argument, 0, O_TTL},
		{"tos", required_argument, 0, O_TOS},
		{"tcp-flags", required_argument, 0, O_TCP_FLAGS},
		{"ethertype", required_argument, 0, O_ETHERTYPE},
		{"size", required_argument, 0, O_SIZE},
		{"payload-hex", required_argument, 0, O_PAYLOAD_HEX},
		{"payload", required_argument, 0, O_PAYLOAD},
		{"jumbo", no_argument, 0, O_JUMBO},
		{"fcs", no_argument, 0, O_FCS},
		{"hex", no_argument, 0, O_HEX},
		{"pcap", required_argument, 0, O_PCAP},
		{0},
	};
	static struct pe_frame_tmpl t;
	struct pe_frame_vlan inner = {0}, outer = {0};
	struct args a = {0};
	uint64_t x;
	int c, rc = 0;

	pe_frame_opts_default(&a.o);
	while (!rc && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_SRC_MAC:
		case O_DST_MAC:
			if (pe_mac_parse(optarg, c == O_SRC_MAC ? a.o.src_mac : a.o.dst_mac))
				rc = pe_usage("--%s %s: expected a MAC like 02:00:00:00:00:01",
					      c == O_SRC_MAC ? "src-mac" : "dst-mac", optarg);
			break;
		case O_VLAN:
			rc = parse_vlan("--vlan", optarg, &inner);
			a.have_vlan = true;
			break;
		case O_QINQ:
			rc = parse_vlan("--qinq", optarg, &outer);
			a.have_qinq = true;
			break;
		case O_SRC_IP:
			a.src_ip = optarg;
			break;
		case O_DST_IP:
			a.dst_ip = optarg;
			break;
		case O_PROTO:
			a.proto = optarg;
			break;
		case O_SPORT:
		case O_DPORT:
			if (pe_parse_u64(optarg, 0, 65535, &x)) {
				rc = pe_usage("--%s %s: port must be 0..65535",
					      c == O_SPORT ? "sport" : "dport", optarg);
				break;
			}
			*(c == O_SPORT ? &a.o.sport : &a.o.dport) = (uint16_t)x;
			a.have_ports = true;
			break;
		case O_TTL:
		case O_TOS:
			if (pe_parse_u64(optarg, 0, 255, &x)) {
				rc = pe_usage("--%s %s: must be 0..255", c == O_TTL ? "ttl" : "tos",
					      optarg);
				break;
			}
			*(c == O_TTL ? &a.o.ttl : &a.o.tos) = (uint8_t)x;
			break;
		case O_TCP_FLAGS:
			rc = parse_tcp_flags(optarg, &a.o.tcp_flags);
			a.have_tcp_flags = true;
			break;
		case O_ETHERTYPE:
			a.ethertype = optarg;
			break;
		case O_SIZE:
			a.size = optarg;
			break;
		case O_PAYLOAD_HEX:
			free(a.hex_payload);
			a.hex_payload = NULL;
			rc = parse_hex(optarg, &a.hex_payload, &a.hex_len);
			break;
		case O_PAYLOAD:
			rc = parse_payload(optarg, &a.o.payload);
			a.have_payload = true;
			break;
		case O_JUMBO:
			a.o.jumbo = true;
			break;
		case O_FCS:
			a.o.fcs = true;
			break;
		case O_HEX:
			a.hex = true;
			break;
		case O_PCAP:
			a.pcap = optarg;
			break;
		case 'h':
			return pe_cli_help(usage, false);
		default:
			free(a.hex_payload);
			return pe_cli_help(usage, true);
		}
	}
	if (!rc && optind < argc)
		rc = pe_usage("frame: unexpected argument '%s'", argv[optind]);
	if (!rc && a.have_qinq && !a.have_vlan)
		rc = pe_usage("--qinq: needs --vlan (the inner tag)");
	if (!rc && a.hex && a.pcap)
		rc = pe_usage("--pcap %s: choose --hex or --pcap, not both", a.pcap);
	if (!rc && a.hex_payload && a.size)
		rc = pe_usage("--payload-hex: choose --size or --payload-hex, not both");
	if (!rc && a.hex_payload && a.have_payload)
		rc = pe_usage("--payload-hex: choose --payload or --payload-hex, not both");
	if (!rc && a.pcap && !*a.pcap)
		rc = pe_usage("--pcap: empty file name");
	if (!rc)
		rc = resolve_ips(&a);
	if (!rc)
		rc = resolve_proto(&a);
	if (!rc) {
		if (a.have_qinq) {
			a.o.n_vlans = 2;
			a.o.vlan[0] = outer;
			a.o.vlan[1] = inner;
		} else if (a.have_vlan) {
			a.o.n_vlans = 1;
			a.o.vlan[0] = inner;
		}
		if (a.hex_payload) {
			a.o.payload.kind = PE_FRAME_PAYLOAD_BYTES;
			a.o.payload.bytes = a.hex_payload;
			a.o.payload.len = a.hex_len;
		}
		rc = build(&a, &t);
	}
	free(a.hex_payload);
	if (rc)
		return rc;
	if (a.pcap)
		return write_pcap(a.pcap, &t, a.o.fcs);
	hexdump(pe_frame_data(&t), t.len);
	return fflush(stdout) ? pe_fail("frame: stdout: %s", strerror(errno)) : PE_EXIT_OK;
}

const struct pe_cmd pe_cmd_frame = {
	.name = "frame",
	.summary = "build an Ethernet frame: hexdump or pcap",
	.run = run,
};
