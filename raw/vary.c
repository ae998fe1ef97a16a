/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-frame variation for injection: ranges of addresses, ports and sizes, walked in order or
 * at random, applied with the template's incremental-checksum setters. */
#include "raw/packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "raw/addr.h"
#include "raw/frame.h"

static const char *const names[] = { "src-ip", "dst-ip", "sport", "dport", "size" };

const char *pe_vary_field_name(enum pe_vary_field f)
{
	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_ip(struct pe_vary *v, const char *s, uint64_t *out, int *fam)
{
	union pe_ip_addr a;
	int f = pe_ip_parse(s, &a);
	uint32_t low;

	if (f < 0)
		return -EINVAL;
	if (*fam && *fam != f)
		return -EINVAL;
	if (f == AF_INET6) {
		if (*fam && memcmp(v->prefix6, a.b, 12))
			return -EINVAL; /* differs above the last 32 bits */
		memcpy(v->prefix6, a.b, 12);
		memcpy(&low, a.b + 12, 4);
	} else {
		memcpy(&low, a.b, 4);
	}
	*fam = f;
	*out = ntohl(low);
	return 0;
}

int pe_vary_parse(const char *spec, struct pe_vary *v)
{
	const char *eq = strchr(spec, '='), *val;
	char lo[64], *dash;
	size_t k;
	int fam = 0, err;

	memset(v, 0, sizeof(*v));
	if (!eq)
		return -EINVAL;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strlen(names[k]) == (size_t)(eq - spec) && !strncmp(spec, names[k], eq - spec))
			break;
	if (k == sizeof(names) / sizeof(names[0]))
		return -ENOENT;
	v->field = (enum pe_vary_field)k;
	val = eq + 1;
	if (strlen(val) >= sizeof(lo))
		return -EINVAL;
	strcpy(lo, val);
	/* IPv6 addresses have no '-', so the first '-' always splits the range. */
	dash = strchr(lo, '-');
	if (dash)
		*dash++ = 0;
	if (v->field == PE_VARY_SRC_IP || v->field == PE_VARY_DST_IP) {
		err = parse_ip(v, lo, &v->lo, &fam);
		if (!err)
			err = dash ? parse_ip(v, dash, &v->hi, &fam) : (v->hi = v->lo, 0);
		v->v6 = fam == AF_INET6;
	} else {
		uint64_t max = v->field == PE_VARY_SIZE ? PE_FRAME_BUF_MAX : 65535;

		err = parse_num(lo, max, &v->lo);
		if (!err)
			err = dash ? parse_num(dash, max, &v->hi) : (v->hi = v->lo, 0);
	}
	if (err || v->lo > v->hi)
		return -EINVAL;
	return 0;
}

unsigned pe_imix_size(uint64_t k)
{
	/* 7 x 64, 4 x 570, 1 x 1518, spread so that short runs are close to the mix */
	static const unsigned cycle[12] = { 64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 64, 570 };

	return cycle[k % 12];
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int pe_varier_apply(struct pe_varier *vr, struct pe_frame_tmpl *t, uint64_t k)
{
	uint16_t sport = 0, dport = 0;
	bool ports = false;
	int err = 0;

	if (vr->imix) {
		/* IMIX sizes are untagged; tags add 4 bytes each so the IP packet stays the same. */
		unsigned tags = (t->off_l3 - 14) / PE_FRAME_VLAN_LEN;

		err = pe_frame_set_size(t, pe_imix_size(k) + tags * PE_FRAME_VLAN_LEN);
		if (err)
			return err;
	}
	for (unsigned i = 0; i < vr->n && !err; i++) {
		const struct pe_vary *v = &vr->v[i];
		uint64_t span = v->hi - v->lo + 1;
		uint64_t x = v->lo + (vr->random ? splitmix64(&vr->rng) : k) % span;

		switch (v->field) {
		case PE_VARY_SRC_IP:
		case PE_VARY_DST_IP: {
			uint32_t be = htonl((uint32_t)x);

			if (v->v6) {
				struct in6_addr a;

				memcpy(a.s6_addr, v->prefix6, 12);
				memcpy(a.s6_addr + 12, &be, 4);
				err = v->field == PE_VARY_SRC_IP ? pe_frame_set_ipv6_src(t, &a)
								 : pe_frame_set_ipv6_dst(t, &a);
			} else {
				struct in_addr a = { .s_addr = be };

				err = v->field == PE_VARY_SRC_IP ? pe_frame_set_ipv4_src(t, a)
								 : pe_frame_set_ipv4_dst(t, a);
			}
			break;
		}
		case PE_VARY_SPORT:
			sport = (uint16_t)x;
			ports = true;
			break;
		case PE_VARY_DPORT:
			dport = (uint16_t)x;
			ports = true;
			break;
		case PE_VARY_SIZE:
			err = pe_frame_set_size(t, x);
			break;
		}
	}
	if (!err && ports) {
		/* Ports not varied keep their template value. */
		const uint8_t *l4 = t->buf + t->off_l4;
		bool vs = false, vd = false;

		for (unsigned i = 0; i < vr->n; i++) {
			vs |= vr->v[i].field == PE_VARY_SPORT;
			vd |= vr->v[i].field == PE_VARY_DPORT;
		}
		if (t->l4 != PE_FRAME_L4_UDP && t->l4 != PE_FRAME_L4_TCP)
			return -EINVAL;
		if (!vs)
			sport = (uint16_t)(l4[0] << 8 | l4[1]);
		if (!vd)
			dport = (uint16_t)(l4[2] << 8 | l4[3]);
		err = pe_frame_set_ports(t, sport, dport);
	}
	return err;
}
