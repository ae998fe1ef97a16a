/* SPDX-License-Identifier: BSD-2-Clause */
/* Ethernet frames, byte for byte: a template built once from options (Ethernet II, up to two
 * VLAN tags, IPv4/IPv6, UDP/TCP/ICMP echo or a raw ethertype) and then varied per frame cheaply
 * with incremental checksums (RFC 1624), and a parser/validator for the same headers. */
#ifndef PKTENG_RAW_FRAME_H
#define PKTENG_RAW_FRAME_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

/* Sizes follow RFC 2544: the frame length on the wire including the 4-byte FCS. */
#define PE_FRAME_FCS_LEN   4
#define PE_FRAME_VLAN_LEN  4
#define PE_FRAME_MIN_SIZE  64	/* 60 bytes of frame + FCS; shorter frames are padded */
#define PE_FRAME_MAX_SIZE  1518 /* + 4 per VLAN tag */
#define PE_FRAME_MAX_JUMBO 9018 /* + 4 per VLAN tag */
#define PE_FRAME_BUF_MAX   (PE_FRAME_MAX_JUMBO + 2 * PE_FRAME_VLAN_LEN)
/* What a frame takes on an Ethernet wire besides its bytes without FCS: the FCS (4), preamble
 * and start delimiter (8) and the inter-frame gap (12). */
#define PE_FRAME_WIRE_OVERHEAD 24

/* The bytes on the wire of a frame of l2_len bytes without FCS: padded to the 60-byte
 * minimum, plus PE_FRAME_WIRE_OVERHEAD. 64-byte frames (60 without FCS) take 84. */
static inline uint64_t pe_frame_wire_bytes(uint64_t l2_len)
{
	uint64_t min = PE_FRAME_MIN_SIZE - PE_FRAME_FCS_LEN;

	return (l2_len < min ? min : l2_len) + PE_FRAME_WIRE_OVERHEAD;
}

#define PE_ETH_P_IPV4 0x0800
#define PE_ETH_P_IPV6 0x86DD
#define PE_ETH_P_VLAN 0x8100 /* 802.1Q */
#define PE_ETH_P_QINQ 0x88A8 /* 802.1ad service tag (outer) */

enum pe_frame_l3 {
	PE_FRAME_L3_RAW = 0, /* ethertype + payload, no IP */
	PE_FRAME_L3_IPV4,
	PE_FRAME_L3_IPV6,
};

enum pe_frame_l4 {
	PE_FRAME_L4_NONE = 0, /* raw frames; or an IP protocol the parser does not know */
	PE_FRAME_L4_UDP,
	PE_FRAME_L4_TCP,
	PE_FRAME_L4_ICMP, /* ICMP echo request with IPv4, ICMPv6 echo request with IPv6 */
};

/* TCP flag bits as in the header's 13th byte. */
enum {
	PE_TCP_FIN = 0x01,
	PE_TCP_SYN = 0x02,
	PE_TCP_RST = 0x04,
	PE_TCP_PSH = 0x08,
	PE_TCP_ACK = 0x10,
	PE_TCP_URG = 0x20,
	PE_TCP_ECE = 0x40,
	PE_TCP_CWR = 0x80,
};

enum pe_frame_payload_kind {
	PE_FRAME_PAYLOAD_FILL = 0, /* every byte is `fill` */
	PE_FRAME_PAYLOAD_INC,	   /* byte i of the payload is i & 0xff */
	PE_FRAME_PAYLOAD_RANDOM, /* splitmix64(seed) outputs, each 8 bytes least significant first */
	PE_FRAME_PAYLOAD_BYTES,	 /* `bytes[0..len)`, then zeros */
};

struct pe_frame_payload {
	enum pe_frame_payload_kind kind;
	uint8_t fill;
	uint64_t seed;
	const uint8_t *bytes; /* copied at build time; the caller keeps ownership */
	size_t len;
};

union pe_ip_addr {
	struct in_addr v4;
	struct in6_addr v6;
	uint8_t b[16];
};

struct pe_frame_vlan {
	uint16_t id; /* 0..4094 */
	uint8_t pcp; /* 0..7 */
	bool dei;
};

/* Options: start from pe_frame_opts_default() (fields are then taken literally; TTL 0 means 0).
 * sz is sizeof(struct pe_frame_opts) as the caller knows it, so fields can be added later. */
struct pe_frame_opts {
	size_t sz;
	uint8_t src_mac[6], dst_mac[6];
	/* 0, 1 or 2 tags; vlan[0] is the outermost. With two tags the outer TPID is 0x88A8
	 * (802.1ad) and the inner 0x8100; with one tag it is 0x8100. */
	int n_vlans;
	struct pe_frame_vlan vlan[2];
	enum pe_frame_l3 l3;
	enum pe_frame_l4 l4;		 /* ignored for PE_FRAME_L3_RAW */
	uint16_t ethertype;		 /* PE_FRAME_L3_RAW only */
	union pe_ip_addr src_ip, dst_ip; /* .v4 for IPv4, .v6 for IPv6 */
	uint8_t ttl;			 /* IPv4 TTL or IPv6 hop limit */
	uint8_t tos;			 /* IPv4 DSCP << 2 | ECN, or the IPv6 traffic class */
	uint32_t flow_label;		 /* IPv6, 20 bits */
	uint16_t ip_id;			 /* IPv4 */
	bool df;			 /* IPv4 don't-fragment */
	uint16_t sport, dport;		 /* UDP/TCP, host order */
	uint8_t tcp_flags;		 /* PE_TCP_* */
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_window;
	uint16_t icmp_id, icmp_seq;
	struct pe_frame_payload payload;
	/* Frame size on the wire with FCS. 0: 64, or the smallest size that holds the headers and
	 * a BYTES payload when that is larger. Non-zero: exactly this size (error if the headers
	 * or a BYTES payload do not fit, or it exceeds the maximum). */
	size_t size_bytes;
	bool jumbo; /* allow up to PE_FRAME_MAX_JUMBO (+4 per tag) instead of 1518 */
	bool fcs;   /* append the FCS (least significant byte first); else the NIC adds it */
};

/* A built frame and where each field is. Read buf[0..len); the other members are for the
 * setters and for callers that need offsets. Bytes past the frame hold the payload pattern so
 * pe_frame_set_size() can grow the frame without regenerating it. Plain data: copy it freely. */
struct pe_frame_tmpl {
	uint16_t len;		     /* bytes to send: size_bytes - 4, or size_bytes with the FCS */
	uint16_t size_bytes;	     /* on the wire, FCS included */
	uint16_t min_size, max_size; /* what pe_frame_set_size() accepts */
	uint16_t off_l3, off_l4, off_payload; /* off_l4 == off_payload for raw frames */
	uint16_t payload_len; /* real payload (IP/UDP lengths count this); padding follows */
	uint16_t ethertype;   /* innermost */
	uint8_t l3, l4;	      /* enum pe_frame_l3 / pe_frame_l4 */
	bool fcs;
	bool pinned_payload;  /* BYTES payload: padding is zeros */
	uint8_t under_fcs[4]; /* the pattern bytes the FCS covers up */
	uint8_t buf[PE_FRAME_BUF_MAX + 64] __attribute__((aligned(64)));
};

/* Fills o with the defaults: sz, 02:00:00:00:00:01 -> 02:00:00:00:00:02, IPv4 198.18.0.1 ->
 * 198.18.0.2, UDP 9 -> 9, TTL 64, TCP window 65535, ICMP id 1 seq 1, fill 0x00, 64 bytes. */
void pe_frame_opts_default(struct pe_frame_opts *o);

/* Builds the frame into t (IPv4/L4 checksums and the FCS included). Returns 0, or -EINVAL for
 * bad options (VLAN id > 4094, pcp > 7, flow label > 20 bits, n_vlans > 2, unknown l3/l4, sz
 * too small), -EMSGSIZE when the size is out of range or the headers/BYTES payload do not
 * fit. t is unchanged on error. */
int pe_frame_build(struct pe_frame_tmpl *t, const struct pe_frame_opts *opts);

static inline const uint8_t *pe_frame_data(const struct pe_frame_tmpl *t)
{
	return t->buf;
}

/* Setters: patch the field and update the IPv4 header and L4 checksums incrementally (RFC
 * 1624: no pass over the payload). They do NOT touch the FCS: call pe_frame_finish_fcs() after the last change. Each
 * returns 0, or -EINVAL when the template has no such field (e.g. ports on an ICMP frame,
 * an IPv6 address on an IPv4 frame). Addresses are in network order, numbers in host order. */
int pe_frame_set_ipv4_src(struct pe_frame_tmpl *t, struct in_addr a);
int pe_frame_set_ipv4_dst(struct pe_frame_tmpl *t, struct in_addr a);
int pe_frame_set_ipv6_src(struct pe_frame_tmpl *t, const struct in6_addr *a);
int pe_frame_set_ipv6_dst(struct pe_frame_tmpl *t, const struct in6_addr *a);
int pe_frame_set_ports(struct pe_frame_tmpl *t, uint16_t sport, uint16_t dport); /* UDP, TCP */
int pe_frame_set_ip_id(struct pe_frame_tmpl *t, uint16_t id);			 /* IPv4 */
int pe_frame_set_ttl(struct pe_frame_tmpl *t, uint8_t ttl);			 /* IPv4/6 */
int pe_frame_set_tcp_seq(struct pe_frame_tmpl *t, uint32_t seq);		 /* TCP */
int pe_frame_set_icmp_seq(struct pe_frame_tmpl *t, uint16_t seq);		 /* ICMP */

/* Writes len bytes at payload offset off (any alignment) and updates the L4 checksum.
 * Returns 0, or -ERANGE when off + len exceeds the current payload. */
int pe_frame_write_payload(struct pe_frame_tmpl *t, size_t off, const void *data, size_t len);
/* Stamps seq as 8 bytes big-endian at payload offset off: pe_frame_write_payload(). */
int pe_frame_stamp_seq(struct pe_frame_tmpl *t, size_t off, uint64_t seq);

/* Changes the frame size (FCS included, RFC 2544): the payload grows or shrinks, the IP/UDP
 * lengths and the checksums follow incrementally. A BYTES payload's zeros become payload.
 * Returns 0, or -EMSGSIZE outside [t->min_size, t->max_size]. The FCS is not updated. */
int pe_frame_set_size(struct pe_frame_tmpl *t, size_t size_bytes);

/* Rewrites the whole payload from p at the current size and recomputes the L4 checksum in
 * full: for occasional use, not per frame. The payload fills the frame (a short BYTES payload
 * is followed by zero payload bytes, not padding). Returns 0, -EINVAL for a bad p, or
 * -EMSGSIZE when a BYTES payload does not fit. The FCS is updated. */
int pe_frame_set_payload_pattern(struct pe_frame_tmpl *t, const struct pe_frame_payload *p);

/* Recomputes the IPv4 header and L4 checksums in full (after patching t->buf directly). */
void pe_frame_update_csums(struct pe_frame_tmpl *t);
/* The offset of the UDP/TCP/ICMP/ICMPv6 checksum field in the frame, 0 when it has none. */
uint16_t pe_frame_l4_csum_off(const struct pe_frame_tmpl *t);

/* Writes the FCS over buf[0..len-4) at buf[len-4] when the template has one (no-op otherwise). */
void pe_frame_finish_fcs(struct pe_frame_tmpl *t);

/* --- Parser/validator -------------------------------------------------------------------- */

enum pe_frame_status {
	PE_FRAME_OK = 0,
	PE_FRAME_TRUNCATED,	 /* fewer bytes than the headers or the IP length need */
	PE_FRAME_BAD_FCS,	 /* PE_FRAME_PARSE_FCS and the last 4 bytes do not match */
	PE_FRAME_BAD_IP_VERSION, /* ethertype says IPv4/IPv6 but the version nibble does not */
	PE_FRAME_BAD_IP_HDR_LEN, /* IPv4 IHL < 5 */
	PE_FRAME_BAD_IP_CSUM,	 /* IPv4 header checksum */
	PE_FRAME_BAD_IP_LEN,	 /* IPv4 total length < header length */
	PE_FRAME_BAD_L4_LEN,	 /* UDP length disagrees with the IP payload, TCP offset < 5 */
	PE_FRAME_BAD_L4_CSUM,	 /* UDP/TCP/ICMP/ICMPv6 checksum */
	PE_FRAME_UNSUPPORTED,	 /* IPv6 extension headers, IPv4 fragments: L4 not checked */
	PE_FRAME__STATUS_COUNT,
};

/* "OK", "TRUNCATED", "BAD_FCS", ... (the enum name without PE_FRAME_); "?" when unknown. */
const char *pe_frame_status_name(int status);

enum {
	PE_FRAME_PARSE_FCS = 1 << 0, /* the last 4 bytes are the FCS: check and exclude them */
};

struct pe_frame_info {
	uint16_t n_vlans;
	uint16_t vlan_tpid[2], vlan_id[2]; /* outermost first */
	uint8_t vlan_pcp[2];
	uint16_t ethertype; /* innermost */
	uint8_t l3, l4;	    /* enum pe_frame_l3 / pe_frame_l4 */
	uint8_t ip_proto;   /* IPv4 protocol / IPv6 next header */
	uint8_t ttl, tos;   /* TTL or hop limit; DSCP/ECN or traffic class */
	uint32_t flow_label;
	uint16_t ip_id;
	union pe_ip_addr src_ip, dst_ip;
	uint16_t sport, dport; /* UDP/TCP, host order */
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;
	uint16_t off_l3, off_l4, off_payload, payload_len; /* payload_len excludes padding */
	uint16_t pad_len; /* bytes after the IP packet (before the FCS) */
	uint32_t fcs;	  /* as found, when PE_FRAME_PARSE_FCS */
};

/* Walks Ethernet, up to two VLAN tags (0x8100/0x88A8), IPv4/IPv6 (no extension headers) and
 * UDP/TCP/ICMP/ICMPv6, checking lengths and checksums (and the FCS with PE_FRAME_PARSE_FCS).
 * Returns the first failed check as an enum pe_frame_status (PE_FRAME_OK = 0 when all pass),
 * or -EINVAL for a NULL argument. info is zeroed then filled as far as the walk got. Unknown
 * ethertypes are PE_FRAME_L3_RAW with the payload right after the tags: OK. */
int pe_frame_validate(const void *buf, size_t len, unsigned flags, struct pe_frame_info *info);

#pragma GCC visibility pop

#endif
