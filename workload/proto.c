/* SPDX-License-Identifier: BSD-2-Clause */
/* Control messages: building and checking the JSON objects of the client/server exchange.
 * Transport (length prefix) is engine/framing.h; this file only knows the payloads. */
#include "workload/proto.h"

#include <errno.h>
#include <math.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct json_object *pe_proto_msg(const char *type)
{
	struct json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, "type", json_object_new_string(type));
	return o;
}

struct json_object *pe_proto_hello(const struct pe_params *p)
{
	struct json_object *o = pe_proto_msg(PE_MSG_HELLO), *pp;
	int i;

	if (!o)
		return NULL;
	json_object_object_add(o, "version", json_object_new_int(PE_PROTO_VERSION));
	json_object_object_add(o, "mode", json_object_new_string(pe_mode_name(p->mode)));
	pp = json_object_new_object();
	for (i = 0; i < PE_P__COUNT; i++) {
		const struct pe_param *t = &pe_param_table[i];
		enum pe_param_id id = (enum pe_param_id)i;
		struct json_object *v;

		switch (t->kind) {
		case PE_PK_SECONDS:
			v = json_object_new_double(pe_param_get(p, id));
			break;
		case PE_PK_FLAG:
			v = json_object_new_boolean(pe_param_get_u64(p, id) != 0);
			break;
		case PE_PK_TEXT:
			v = json_object_new_string((const char *)p + t->off);
			break;
		default:
			v = json_object_new_int64((int64_t)pe_param_get_u64(p, id));
			break;
		}
		json_object_object_add(pp, t->key, v);
	}
	json_object_object_add(o, "params", pp);
	return o;
}

char *pe_proto_dump(struct json_object *obj, size_t *len)
{
	size_t n;
	const char *s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &n);
	char *out;

	if (!s)
		return NULL;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	memcpy(out, s, n + 1);
	if (len)
		*len = n;
	return out;
}

struct json_object *pe_proto_parse(const void *buf, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;

	if (len > PE_PROTO_MAX_MSG) {
		snprintf(err, errlen, "message of %zu bytes is larger than %u", len,
			 PE_PROTO_MAX_MSG);
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (o && (jerr != json_tokener_success || json_tokener_get_parse_end(tok) != len)) {
		json_object_put(o);
		o = NULL;
		if (jerr == json_tokener_success)
			jerr = json_tokener_error_parse_unexpected;
	}
	if (!o) {
		snprintf(err, errlen, "malformed JSON: %s",
			 jerr == json_tokener_continue ? "truncated"
						       : json_tokener_error_desc(jerr));
	} else if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "message is not a JSON object");
		json_object_put(o);
		o = NULL;
	} else if (!*pe_proto_type(o)) {
		snprintf(err, errlen, "message has no \"type\" string");
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

const char *pe_proto_type(struct json_object *msg)
{
	return pe_json_str(msg, "type", "");
}

/* Doubles in [-2^63, 2^63) convert to int64_t; anything else (NaN, infinities, 1e300) would be
 * undefined behaviour in the cast. */
static bool fits_i64(double d)
{
	return d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

int64_t pe_json_i64(struct json_object *o, const char *key, int64_t dflt)
{
	struct json_object *v;
	double d;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return dflt;
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_boolean))
		return json_object_get_int64(v);
	if (!json_object_is_type(v, json_type_double))
		return dflt;
	d = json_object_get_double(v);
	return fits_i64(d) ? (int64_t)d : dflt;
}

double pe_json_dbl(struct json_object *o, const char *key, double dflt)
{
	double d;

	return pe_json_num(o, key, &d) ? dflt : d;
}

int pe_json_num(struct json_object *o, const char *key, double *out)
{
	struct json_object *v;
	double d;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return -ENOENT;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return -EINVAL;
	d = json_object_get_double(v);
	if (!isfinite(d))
		return -EDOM;
	*out = d;
	return 0;
}

const char *pe_json_str(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return dflt;
	return json_object_get_string(v);
}

int pe_proto_parse_hello(struct json_object *msg, struct pe_params *p, char *err, size_t errlen)
{
	struct json_object *pp = NULL;
	int64_t ver = pe_json_i64(msg, "version", -1);
	const char *mode = pe_json_str(msg, "mode", NULL);
	enum pe_mode m;
	int i;

	if (strcmp(pe_proto_type(msg), PE_MSG_HELLO)) {
		snprintf(err, errlen, "expected a \"hello\" message, got \"%s\"",
			 pe_proto_type(msg));
		return -EPROTO;
	}
	if (ver != PE_PROTO_VERSION) {
		snprintf(err, errlen, "protocol version %lld not supported (this server speaks %d)",
			 (long long)ver, PE_PROTO_VERSION);
		return -EPROTO;
	}
	if (!mode || pe_mode_parse(mode, &m)) {
		snprintf(err, errlen, "unknown mode '%.64s'", mode ? mode : "(none)");
		return -EINVAL;
	}
	if (!json_object_object_get_ex(msg, "params", &pp) ||
	    !json_object_is_type(pp, json_type_object)) {
		snprintf(err, errlen, "hello has no \"params\" object");
		return -EPROTO;
	}
	pe_params_default(p, m);
	for (i = 0; i < PE_P__COUNT; i++) {
		const struct pe_param *t = &pe_param_table[i];
		enum pe_param_id id = (enum pe_param_id)i;
		struct json_object *jv;
		double v;
		int num;

		if (t->kind == PE_PK_TEXT) {
			snprintf((char *)p + t->off, t->size, "%s", pe_json_str(pp, t->key, ""));
			continue;
		}
		v = pe_param_get(p, id);
		num = pe_json_num(pp, t->key, &v);
		if (t->kind == PE_PK_FLAG && num == -EINVAL &&
		    json_object_object_get_ex(pp, t->key, &jv) &&
		    json_object_is_type(jv, json_type_boolean))
			num = 0;
		if (num == -EINVAL || num == -EDOM) {
			snprintf(err, errlen, "%s: not a %snumber", t->key,
				 num == -EDOM ? "finite " : "");
			return -EINVAL;
		}
		if (t->kind == PE_PK_FLAG) {
			pe_param_set_u64(p, id, pe_json_i64(pp, t->key, 0) != 0);
			continue;
		}
		if (pe_param_check_value(m, id, v)) {
			char range[64];

			snprintf(err, errlen, "%s %.15g out of range %s", t->key, v,
				 pe_param_range_str(m, id, range, sizeof(range)));
			return -EINVAL;
		}
		if (t->kind == PE_PK_SECONDS)
			pe_param_set(p, id, v);
		else
			pe_param_set_u64(p, id,
					 (uint64_t)pe_json_i64(pp, t->key,
							       (int64_t)pe_param_get_u64(p, id)));
	}
	return pe_params_check(p, err, errlen);
}

void pe_data_hdr_put(uint8_t hdr[PE_DATA_HDR], uint64_t cookie, uint32_t index)
{
	memcpy(hdr, "PEd1", 4);
	pe_put_be64(hdr + 4, cookie);
	hdr[12] = (uint8_t)(index >> 24);
	hdr[13] = (uint8_t)(index >> 16);
	hdr[14] = (uint8_t)(index >> 8);
	hdr[15] = (uint8_t)index;
}

int pe_data_hdr_check(const uint8_t hdr[PE_DATA_HDR], uint64_t cookie, uint32_t *index)
{
	if (memcmp(hdr, "PEd1", 4) || pe_get_be64(hdr + 4) != cookie)
		return -EPROTO;
	*index = (uint32_t)hdr[12] << 24 | (uint32_t)hdr[13] << 16 | (uint32_t)hdr[14] << 8 |
		 hdr[15];
	return 0;
}
