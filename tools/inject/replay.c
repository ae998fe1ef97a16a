/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng inject --replay`: the pcap's frames held in memory, so the send loop only copies
 * them; the file's own timing is kept as each frame's timestamp. */
#include "tools/inject/replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raw/frame.h"
#include "raw/pcapfile.h"
#include "tools/cli.h"
#include "tools/inject/vary.h"

int pe_inject_replay_load(struct pe_inject_replay *r, const char *path)
{
	struct pe_pcap_reader *rd = pe_pcap_open(path);
	struct pe_send_frame *v = NULL;
	size_t n = 0, cap = 0;
	const uint8_t *data;
	size_t cap_len, wire_len;
	uint64_t t_ns;
	uint8_t *copy;
	int err;

	if (!rd)
		return pe_usage("--replay %s: %s", path,
				errno == EBADMSG || errno == EINVAL ? "not a pcap file"
								    : strerror(errno));
	r->fcs = pe_pcap_fcs_len(rd) == 4;
	while ((err = pe_pcap_next(rd, &data, &cap_len, &wire_len, &t_ns)) == 1) {
		if (cap_len < 14 || cap_len > 65535)
			continue;
		if (n == cap) {
			struct pe_send_frame *nv =
				realloc(v, (cap = cap ? cap * 2 : 256) * sizeof(*v));

			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
		}
		copy = malloc(cap_len);
		if (!copy) {
			err = -ENOMEM;
			break;
		}
		memcpy(copy, data, cap_len);
		v[n].data = copy;
		v[n].len = (uint16_t)cap_len;
		v[n].t_ns = t_ns;
		n++;
	}
	pe_pcap_close(rd);
	if (err < 0 || !n) {
		for (size_t i = 0; i < n; i++)
			free((void *)v[i].data);
		free(v);
		return err < 0 ? pe_usage("--replay %s: %s", path,
					  err == -EBADMSG ? "damaged pcap file" : strerror(-err))
			       : pe_usage("--replay %s: no frames in the file", path);
	}
	r->f = v;
	r->n = n;
	return 0;
}

unsigned pe_inject_replay_frame_max(const struct pe_inject_replay *r)
{
	unsigned max = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->f[i].len > max)
			max = r->f[i].len;
	return max;
}

int pe_inject_replay_check_len(const struct pe_inject_replay *r, const char *path,
			       const struct pe_tx *tx, const char *dev)
{
	for (size_t i = 0; i < r->n; i++) {
		struct pe_tx_limit l;
		char why[256];
		const char *tag;

		pe_tx_limit(tx, r->f[i].data, r->f[i].len, &l);
		if (r->f[i].len <= l.max)
			continue;
		tag = l.tpid == PE_ETH_P_VLAN	? " with an 802.1Q tag"
		      : l.tpid == PE_ETH_P_QINQ ? " with an 802.1ad outer tag"
						: "";
		pe_inject_limit_text(why, sizeof(why), dev, &l);
		return pe_usage("--replay %s: frame %zu (%u bytes%s)%s is %s", path, i + 1,
				r->f[i].len, r->fcs ? ", FCS included" : "", tag, why);
	}
	return 0;
}

void pe_inject_replay_free(struct pe_inject_replay *r)
{
	for (size_t i = 0; i < r->n; i++)
		free((void *)r->f[i].data); /* the copies load made */
	free(r->f);
	r->f = NULL;
	r->n = 0;
}
