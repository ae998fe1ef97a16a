/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng inject --offload`: switch offload features for the run and restore only the ones
 * that changed, so a feature the device fixed or refused is left as it was. */
#include "tools/inject/offload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"

int pe_inject_offload_parse(struct pe_inject_offloads *o, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || (strcmp(eq + 1, "on") && strcmp(eq + 1, "off")))
		return pe_usage("--offload %s: expected NAME=on or NAME=off", arg);
	if (o->n == PE_INJECT_MAX_OFFLOADS)
		return pe_usage("--offload %s: at most %d", arg, PE_INJECT_MAX_OFFLOADS);
	o->ch[o->n].name = strndup(arg, eq - arg);
	o->ch[o->n].on = !strcmp(eq + 1, "on");
	o->n++;
	return 0;
}

int pe_inject_offloads_apply(struct pe_inject_offloads *o, const char *dev)
{
	enum pe_feature_outcome oc[PE_INJECT_MAX_OFFLOADS];
	struct pe_features *saved = &o->saved;
	const char *bad = NULL;
	int err;

	saved->n = 0;
	saved->f = NULL;
	if (!o->n)
		return 0;
	err = pe_features_get(dev, saved);
	if (err)
		return pe_fail("inject: --offload: %s: %s", dev, strerror(-err));
	for (size_t i = 0; i < o->n; i++) {
		unsigned idx[1];

		if (pe_features_expand(saved, o->ch[i].name, idx, 1) < 0) {
			pe_features_free(saved);
			return pe_usage(
				"--offload %s: unknown feature (see 'pkteng ethtool --dev %s "
				"-k')",
				o->ch[i].name, dev);
		}
	}
	err = pe_features_set(dev, o->ch, o->n, oc, &bad);
	if (err < 0) {
		pe_features_free(saved);
		if (err == -EPERM)
			return pe_fail("inject: --offload needs CAP_NET_ADMIN (run as root)");
		return pe_fail("inject: --offload: %s: %s", dev, strerror(-err));
	}
	for (size_t i = 0; i < o->n; i++)
		if (oc[i] != PE_FEATURE_OK)
			fprintf(stderr, "pkteng: inject: %s: %s %s\n", dev, o->ch[i].name,
				oc[i] == PE_FEATURE_FIXED ? "is fixed"
							  : "was not applied by the driver");
	return 0;
}

void pe_inject_offloads_restore(struct pe_inject_offloads *o, const char *dev)
{
	struct pe_features *saved = &o->saved, now;
	struct pe_feature_change *ch;
	size_t n = 0;

	if (!saved->n || pe_features_get(dev, &now))
		goto out;
	ch = calloc(now.n, sizeof(*ch));
	for (unsigned i = 0; ch && i < now.n && i < saved->n; i++)
		if (pe_feature_changeable(&now.f[i]) &&
		    now.f[i].requested != saved->f[i].requested) {
			ch[n].name = saved->f[i].name;
			ch[n++].on = saved->f[i].requested;
		}
	if (n)
		pe_features_set(dev, ch, n, NULL, NULL);
	free(ch);
	pe_features_free(&now);
out:
	pe_features_free(saved);
}

void pe_inject_offloads_free(struct pe_inject_offloads *o)
{
	for (size_t i = 0; i < o->n; i++)
		free((char *)o->ch[i].name);
	o->n = 0;
}
