/* SPDX-License-Identifier: BSD-2-Clause */
/* The table of modes and the table of parameters, and what is derived from them: defaults,
 * ranges, their command-line spelling and the checks a parameter set must pass. */
#include "workload/mode.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const struct pe_mode_desc *const modes[PE_MODE__COUNT] = {
#define PE_X(e, s) [PE_MODE_##e] = &pe_mode_##s,
	PE_MODES(PE_X)
#undef PE_X
};

const struct pe_param pe_param_table[PE_P__COUNT] = {
#define PE_X(id, field, type, bound, kind_, opt_, short_, arg_, unit_, min_, max_, dflt_, help_)   \
	[PE_P_##id] = { .key = #field,                                                             \
			.kind = kind_,                                                             \
			.off = offsetof(struct pe_params, field),                                  \
			.size = sizeof(((struct pe_params *)0)->field),                            \
			.opt = opt_,                                                               \
			.short_opt = short_,                                                       \
			.arg = arg_,                                                               \
			.unit = unit_,                                                             \
			.help = help_,                                                             \
			.min = min_,                                                               \
			.max = max_,                                                               \
			.dflt = dflt_ },
	PE_PARAMS(PE_X)
#undef PE_X
};

/* what every mode takes */
#define COMMON                                                                                     \
	(PE_PBIT(DURATION) | PE_PBIT(CONNS) | PE_PBIT(LEN) | PE_PBIT(SPIN) | PE_PBIT(OMIT) |       \
	 PE_PBIT(WINDOW))

const struct pe_mode_desc *pe_mode_desc(enum pe_mode m)
{
	return (unsigned)m < PE_MODE__COUNT ? modes[m] : NULL;
}

const char *pe_mode_name(enum pe_mode m)
{
	return (unsigned)m < PE_MODE__COUNT ? modes[m]->name : "?";
}

int pe_mode_parse(const char *name, enum pe_mode *out)
{
	int i;

	for (i = 0; i < PE_MODE__COUNT; i++)
		if (name && !strcmp(name, modes[i]->name)) {
			*out = (enum pe_mode)i;
			return 0;
		}
	return -EINVAL;
}

bool pe_mode_takes(enum pe_mode m, enum pe_param_id id)
{
	const struct pe_mode_desc *d = pe_mode_desc(m);

	return d && (unsigned)id < PE_P__COUNT && ((COMMON | d->params) >> id & 1);
}

void pe_param_range(enum pe_mode m, enum pe_param_id id, double *min, double *max, double *dflt)
{
	const struct pe_mode_desc *d = pe_mode_desc(m);
	const struct pe_param *t = &pe_param_table[id];
	int i;

	*min = t->min;
	*max = t->max;
	*dflt = t->dflt;
	for (i = 0; d && i < PE_MODE_LIMITS_MAX; i++) {
		const struct pe_param_limit *l = &d->limits[i];

		if (!l->min && !l->max)
			break;
		if (l->id == id) {
			*min = l->min;
			*max = l->max;
			*dflt = l->dflt;
		}
	}
}

static const char *num_str(char *buf, size_t len, double v)
{
	static const char *const sfx[] = { "Gi", "Mi", "Ki" };
	int i;

	for (i = 0; i < 3; i++) {
		double unit = (double)(1ull << (30 - 10 * i));

		if (v >= unit && v == (double)(uint64_t)(v / unit) * unit && v < 1e15) {
			snprintf(buf, len, "%.0f%s", v / unit, sfx[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%.15g", v);
	return buf;
}

const char *pe_param_range_str(enum pe_mode m, enum pe_param_id id, char *buf, size_t len)
{
	const struct pe_param *t = &pe_param_table[id];
	double min, max, dflt;
	char a[32], b[32];

	pe_param_range(m, id, &min, &max, &dflt);
	if (max >= PE_P_SIZE_MAX) {
		snprintf(buf, len, "%.15g or more%s%s", min, *t->unit ? " " : "", t->unit);
		return buf;
	}
	if (t->kind == PE_PK_SIZE) {
		num_str(a, sizeof(a), min);
		num_str(b, sizeof(b), max);
	} else {
		snprintf(a, sizeof(a), "%.15g", min);
		snprintf(b, sizeof(b), "%.15g", max);
	}
	snprintf(buf, len, "%s..%s%s%s", a, b, *t->unit ? " " : "", t->unit);
	return buf;
}

const char *pe_param_value_str(enum pe_param_id id, double v, char *buf, size_t len)
{
	if (pe_param_table[id].kind == PE_PK_SIZE)
		return num_str(buf, len, v);
	snprintf(buf, len, "%.15g", v);
	return buf;
}

const char *pe_param_opt_name(enum pe_param_id id, char *buf, size_t len)
{
	const struct pe_param *t = &pe_param_table[id];

	if (t->short_opt)
		snprintf(buf, len, "-%c", t->short_opt);
	else
		snprintf(buf, len, "--%s", t->opt ? t->opt : t->key);
	return buf;
}

const char *pe_param_modes_str(enum pe_param_id id, char *buf, size_t len)
{
	unsigned n = 0, k = 0, i;
	size_t used = 0;

	for (i = 0; i < PE_MODE__COUNT; i++)
		n += pe_mode_takes((enum pe_mode)i, id);
	buf[0] = 0;
	for (i = 0; i < PE_MODE__COUNT && used < len; i++) {
		if (!pe_mode_takes((enum pe_mode)i, id))
			continue;
		k++;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 k == 1	 ? ""
					 : k < n ? ", "
						 : " or ",
					 modes[i]->name);
	}
	return buf;
}

double pe_param_get(const struct pe_params *p, enum pe_param_id id)
{
	const struct pe_param *t = &pe_param_table[id];
	const void *f = (const uint8_t *)p + t->off;

	switch (t->kind) {
	case PE_PK_SECONDS:
		return *(const double *)f;
	case PE_PK_FLAG:
		return *(const bool *)f;
	case PE_PK_TEXT:
		return 0;
	default:
		return (double)pe_param_get_u64(p, id);
	}
}

uint64_t pe_param_get_u64(const struct pe_params *p, enum pe_param_id id)
{
	const struct pe_param *t = &pe_param_table[id];
	const void *f = (const uint8_t *)p + t->off;

	switch (t->kind) {
	case PE_PK_SECONDS:
		return (uint64_t) * (const double *)f;
	case PE_PK_FLAG:
		return *(const bool *)f;
	case PE_PK_TEXT:
		return 0;
	default:
		return t->size == sizeof(uint32_t) ? *(const uint32_t *)f : *(const uint64_t *)f;
	}
}

void pe_param_set_u64(struct pe_params *p, enum pe_param_id id, uint64_t v)
{
	const struct pe_param *t = &pe_param_table[id];
	void *f = (uint8_t *)p + t->off;

	switch (t->kind) {
	case PE_PK_SECONDS:
		*(double *)f = (double)v;
		break;
	case PE_PK_FLAG:
		*(bool *)f = v != 0;
		break;
	case PE_PK_TEXT:
		break;
	default:
		if (t->size == sizeof(uint32_t))
			*(uint32_t *)f = (uint32_t)v;
		else
			*(uint64_t *)f = v;
	}
}

void pe_param_set(struct pe_params *p, enum pe_param_id id, double v)
{
	const struct pe_param *t = &pe_param_table[id];

	if (t->kind == PE_PK_SECONDS)
		*(double *)((uint8_t *)p + t->off) = v;
	else
		pe_param_set_u64(p, id, v > 0 ? (uint64_t)v : 0);
}

int pe_param_check_value(enum pe_mode m, enum pe_param_id id, double v)
{
	double min, max, dflt;

	pe_param_range(m, id, &min, &max, &dflt);
	return v == dflt || (v >= min && v <= max) ? 0 : -ERANGE;
}

void pe_params_default(struct pe_params *p, enum pe_mode m)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->mode = m;
	for (i = 0; i < PE_P__COUNT; i++) {
		double min, max, dflt;

		pe_param_range(m, (enum pe_param_id)i, &min, &max, &dflt);
		pe_param_set(p, (enum pe_param_id)i, dflt);
	}
}

int pe_params_check(const struct pe_params *p, char *err, size_t errlen)
{
	const struct pe_mode_desc *d = pe_mode_desc(p->mode);
	char range[64];
	int i;

	if (!d) {
		snprintf(err, errlen, "unknown mode %d", (int)p->mode);
		return -EINVAL;
	}
	for (i = 0; i < PE_P__COUNT; i++) {
		enum pe_param_id id = (enum pe_param_id)i;
		double v = pe_param_get(p, id);

		if (pe_param_table[i].kind == PE_PK_TEXT || !pe_param_check_value(p->mode, id, v))
			continue;
		snprintf(err, errlen, "%s %.15g out of range %s for %s", pe_param_table[i].key, v,
			 pe_param_range_str(p->mode, id, range, sizeof(range)), d->name);
		return -EINVAL;
	}
	if (p->duration_s == 0 && !p->bytes_total && !d->until_done) {
		snprintf(err, errlen, "duration_s 0 (-t 0) needs bytes_total (-n) for %s", d->name);
		return -EINVAL;
	}
	return d->check ? d->check(p, err, errlen) : 0;
}
