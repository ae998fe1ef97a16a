/* `pkteng inject` frames built from the frame flags: the --vary option's messages and the
 * checks that keep every varied frame within its headers and the device's MTU. */
#include "tools/inject_vary.h"

#include <errno.h>
#include <string.h>

#include "tools/cli.h"

int pe_inject_vary_parse(struct pe_varier *vr, const char *arg)
{
	char buf[512], *save, *tok;

	if (strlen(arg) >= sizeof(buf))
		return pe_usage("--vary: too long");
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct pe_vary v;
		int err = pe_vary_parse(tok, &v);

		if (err == -ENOENT)
			return pe_usage(
				"--vary %s: unknown field (src-ip, dst-ip, sport, dport, size)",
				tok);
		if (err)
			return pe_usage("--vary %s: expected FIELD=LO-HI with LO <= HI", tok);
		if (vr->n == sizeof(vr->v) / sizeof(vr->v[0]))
			return pe_usage("--vary %s: too many fields", tok);
		vr->v[vr->n++] = v;
	}
	return 0;
}

bool pe_inject_vary_resizes(const struct pe_varier *vr)
{
	bool resizes = vr->imix;

	for (unsigned i = 0; i < vr->n; i++)
		resizes |= vr->v[i].field == PE_VARY_SIZE;
	return resizes;
}

int pe_inject_vary_check(const struct pe_varier *vr, const struct pe_frame_tmpl *t)
{
	static struct pe_frame_tmpl copy;
	struct pe_varier v = *vr;

	for (unsigned i = 0; i < vr->n; i++)
		if (vr->v[i].field == PE_VARY_SIZE &&
		    (vr->v[i].lo < t->min_size || vr->v[i].hi > t->max_size))
			return pe_usage(
				"--vary size=%llu-%llu: must be within %u..%u for these headers",
				(unsigned long long)vr->v[i].lo, (unsigned long long)vr->v[i].hi,
				t->min_size, t->max_size);
	copy = *t;
	if (pe_varier_apply(&v, &copy, 0) == -EINVAL)
		return pe_usage("--vary: a field these frames do not have");
	if (vr->imix && t->max_size < 1518 + (t->off_l3 - 14))
		return pe_usage("--imix: 1518-byte frames do not fit these headers");
	return 0;
}

unsigned pe_inject_vary_frame_max(const struct pe_varier *vr, const struct pe_frame_tmpl *t)
{
	unsigned max = vr->imix ? 1518 + 8 : t->len;

	for (unsigned i = 0; i < vr->n; i++)
		if (vr->v[i].field == PE_VARY_SIZE && vr->v[i].hi > max)
			max = (unsigned)vr->v[i].hi;
	return max;
}

/* VLAN tags after the MAC addresses (two at most: QinQ). */
static unsigned tags_of(const uint8_t *f, unsigned len)
{
	unsigned n = 0, off = 12;

	while (len >= off + 4 && n < 2 &&
	       ((f[off] << 8 | f[off + 1]) == PE_ETH_P_VLAN ||
		(f[off] << 8 | f[off + 1]) == PE_ETH_P_QINQ)) {
		n++;
		off += 4;
	}
	return n;
}

int pe_inject_vary_check_mtu(const struct pe_varier *vr, const struct pe_frame_tmpl *t, bool fcs,
			     bool nofcs, const char *dev, unsigned mtu)
{
	size_t max = vr->imix ? 1518 : t->size_bytes;
	unsigned tags = tags_of(pe_frame_data(t), t->len), len, worst;

	for (unsigned i = 0; i < vr->n; i++)
		if (vr->v[i].field == PE_VARY_SIZE && vr->v[i].hi > max)
			max = vr->v[i].hi;
	if (vr->imix)
		max += tags * PE_FRAME_VLAN_LEN;
	len = (unsigned)max - (fcs ? 0 : PE_FRAME_FCS_LEN);
	worst = len - 14 - tags * PE_FRAME_VLAN_LEN - (nofcs ? 4 : 0);
	if (worst > mtu)
		return pe_usage("inject: a %zu-byte frame is above the MTU of %s (%u)", max, dev,
				mtu);
	return 0;
}
