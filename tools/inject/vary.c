/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng inject` frames built from the frame flags: the --vary option's messages and the
 * checks that keep every varied frame within its headers and the device's MTU. */
#include "tools/inject/vary.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli.h"

int pe_inject_vary_parse(struct pe_varier *vr, const char *arg)
{
	char buf[512], *save, *tok;

	if (strlen(arg) >= sizeof(buf))
		return pe_usage("--vary: too long");
	if (!*arg)
		return pe_usage(
			"--vary '': expected FIELD=LO-HI (src-ip, dst-ip, sport, dport, size)");
	if (*arg == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,"))
		return pe_usage("--vary '%s': an empty item between commas", arg);
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

/* " with an 802.1ad outer tag" for the frame's first ethertype, "" when untagged. */
static const char *tag_text(uint16_t tpid)
{
	return tpid == PE_ETH_P_VLAN   ? " with an 802.1Q tag"
	       : tpid == PE_ETH_P_QINQ ? " with an 802.1ad outer tag"
				       : "";
}

void pe_inject_limit_text(char *buf, size_t cap, const char *dev, const struct pe_tx_limit *l)
{
	snprintf(buf, cap, "above what %s accepts: %u bytes (MTU %u + %u-byte header%s%s)", dev,
		 l->max, l->mtu, l->hdr, l->vlan ? " + one 802.1Q tag" : "",
		 l->fcs ? " + 4-byte FCS"
		 : l->tpid == PE_ETH_P_QINQ
			 ? "; the kernel adds a tag's 4 bytes only when the outer tag is 802.1Q"
			 : "");
}

int pe_inject_vary_check_len(const struct pe_varier *vr, const struct pe_frame_tmpl *t, bool fcs,
			     const struct pe_tx *tx, const char *dev)
{
	unsigned max = vr->imix ? 1518 : t->size_bytes, tags = (t->off_l3 - 14) / PE_FRAME_VLAN_LEN;
	struct pe_tx_limit l;
	unsigned bytes;
	char why[256], sent[64];

	for (unsigned i = 0; i < vr->n; i++)
		if (vr->v[i].field == PE_VARY_SIZE && vr->v[i].hi > max)
			max = (unsigned)vr->v[i].hi;
	if (vr->imix)
		max += tags * PE_FRAME_VLAN_LEN;
	/* the bytes handed to the kernel: without the FCS unless it travels in the frame */
	bytes = max - (fcs ? 0 : PE_FRAME_FCS_LEN);
	pe_tx_limit(tx, pe_frame_data(t), t->len, &l);
	if (bytes <= l.max)
		return 0;
	pe_inject_limit_text(why, sizeof(why), dev, &l);
	if (!fcs)
		snprintf(sent, sizeof(sent), "%u bytes without the FCS", bytes);
	else
		snprintf(sent, sizeof(sent), "FCS included, %s",
			 l.fcs ? "through SO_NOFCS" : "sent as data");
	return pe_usage("inject: a %u-byte frame%s (%s) is %s", max, tag_text(l.tpid), sent, why);
}
