/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng inject --offload`: switch offload features for the run and restore only the ones
 * that changed, so a feature the device fixed or refused is left as it was. */
#include "tools/inject/offload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"

int pe_offload_words_parse(char *const *words, int n, struct pe_feature_change *ch, size_t cap,
			   const char *what)
{
	size_t k = 0;
	int rc = 0;

	for (int i = 0; i < n && !rc; i++) {
		const char *w = words[i], *eq = strchr(w, '='), *v;
		size_t len = eq ? (size_t)(eq - w) : strlen(w);

		if (eq)
			v = eq + 1;
		else if (i + 1 < n)
			v = words[++i];
		else {
			rc = pe_usage("%s %s: needs on or off after it", what, w);
			break;
		}
		if (!len || (strcmp(v, "on") && strcmp(v, "off")))
			rc = eq ? pe_usage("%s %s: the value must be on or off", what, w)
				: pe_usage("%s %s %s: the value must be on or off", what, w, v);
		else if (k == cap)
			rc = pe_usage("%s %s: at most %zu features", what, w, cap);
		else if (!(ch[k].name = strndup(w, len)))
			rc = pe_fail("out of memory");
		else
			ch[k++].on = !strcmp(v, "on");
	}
	if (!rc)
		return (int)k;
	while (k)
		free((char *)ch[--k].name);
	return -rc;
}

int pe_inject_offload_parse(struct pe_inject_offloads *o, const char *arg)
{
	char *copy = strdup(arg), *words[2 * PE_INJECT_MAX_OFFLOADS + 1], *save = NULL, *w;
	int n = 0, k, rc = 0;

	if (!copy)
		return pe_fail("out of memory");
	for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == 2 * PE_INJECT_MAX_OFFLOADS + 1) {
			rc = pe_usage("--offload %s: at most %d features", arg,
				      PE_INJECT_MAX_OFFLOADS);
			goto out;
		}
		words[n++] = w;
	}
	if (!n) {
		rc = pe_usage("--offload: expected NAME=on|off or 'NAME on|off'");
		goto out;
	}
	k = pe_offload_words_parse(words, n, o->ch + o->n, PE_INJECT_MAX_OFFLOADS - o->n,
				   "--offload");
	if (k < 0)
		rc = -k;
	else
		o->n += (size_t)k;
out:
	free(copy);
	return rc;
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
