/* Control messages: building and checking the JSON objects of the client/server exchange.
 * Transport (length prefix) is engine/framing.h; this file only knows the payloads. */
#include "workload/proto.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[PE_MODE__COUNT] = {
	[PE_MODE_STREAM] = "stream", [PE_MODE_RR] = "rr",     [PE_MODE_CRR] = "crr",
	[PE_MODE_UDP] = "udp",	     [PE_MODE_ECHO] = "echo", [PE_MODE_FILE] = "file",
};

const char *pe_mode_name(enum pe_mode m)
{
	return (unsigned)m < PE_MODE__COUNT ? mode_names[m] : "?";
}

int pe_mode_parse(const char *name, enum pe_mode *out)
{
	int i;

	for (i = 0; i < PE_MODE__COUNT; i++)
		if (name && !strcmp(name, mode_names[i])) {
			*out = (enum pe_mode)i;
			return 0;
		}
	return -EINVAL;
}

void pe_params_default(struct pe_params *p, enum pe_mode m)
{
	memset(p, 0, sizeof(*p));
	p->mode = m;
	p->duration_s = 10;
	p->conns = 1;
	p->len_bytes = m == PE_MODE_STREAM || m == PE_MODE_FILE ? 128 * 1024 : 64;
	p->resp_len_bytes = 64;
}

struct json_object *pe_proto_msg(const char *type)
{
	struct json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, "type", json_object_new_string(type));
	return o;
}

#define ADD_INT(o, k, v)  json_object_object_add(o, k, json_object_new_int64((int64_t)(v)))
#define ADD_BOOL(o, k, v) json_object_object_add(o, k, json_object_new_boolean(v))

struct json_object *pe_proto_hello(const struct pe_params *p)
{
	struct json_object *o = pe_proto_msg(PE_MSG_HELLO), *pp;

	if (!o)
		return NULL;
	ADD_INT(o, "version", PE_PROTO_VERSION);
	json_object_object_add(o, "mode", json_object_new_string(pe_mode_name(p->mode)));
	pp = json_object_new_object();
	json_object_object_add(pp, "duration_s", json_object_new_double(p->duration_s));
	ADD_INT(pp, "bytes_total", p->bytes_total);
	ADD_INT(pp, "len_bytes", p->len_bytes);
	ADD_INT(pp, "resp_len_bytes", p->resp_len_bytes);
	ADD_INT(pp, "conns", p->conns);
	ADD_BOOL(pp, "reverse", p->reverse);
	ADD_BOOL(pp, "bidir", p->bidir);
	ADD_BOOL(pp, "zerocopy", p->zerocopy);
	ADD_BOOL(pp, "skip_rx_copy", p->skip_rx_copy);
	ADD_BOOL(pp, "verify", p->verify);
	ADD_BOOL(pp, "gso", p->gso);
	ADD_BOOL(pp, "gro", p->gro);
	ADD_INT(pp, "rate_bps", p->rate_bps);
	ADD_INT(pp, "rate_pps", p->rate_pps);
	ADD_INT(pp, "file_bytes", p->file_bytes);
	json_object_object_add(pp, "file_sha256", json_object_new_string(p->file_sha256));
	ADD_INT(pp, "spin_us", p->spin_us);
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

int64_t pe_json_i64(struct json_object *o, const char *key, int64_t dflt)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return dflt;
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_boolean))
		return json_object_get_int64(v);
	if (json_object_is_type(v, json_type_double))
		return (int64_t)json_object_get_double(v);
	return dflt;
}

double pe_json_dbl(struct json_object *o, const char *key, double dflt)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return dflt;
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
		return json_object_get_double(v);
	return dflt;
}

const char *pe_json_str(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return dflt;
	return json_object_get_string(v);
}

static bool get_bool(struct json_object *o, const char *key)
{
	return pe_json_i64(o, key, 0) != 0;
}

int pe_proto_parse_hello(struct json_object *msg, struct pe_params *p, char *err, size_t errlen)
{
	struct json_object *pp = NULL;
	int64_t ver = pe_json_i64(msg, "version", -1);
	const char *mode = pe_json_str(msg, "mode", NULL);
	enum pe_mode m;
	int64_t v;

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
	p->duration_s = pe_json_dbl(pp, "duration_s", p->duration_s);
	p->bytes_total = (uint64_t)pe_json_i64(pp, "bytes_total", 0);
	v = pe_json_i64(pp, "len_bytes", p->len_bytes);
	if (v < 1 || v > (64 << 20)) {
		snprintf(err, errlen, "len_bytes %lld out of range 1..64Mi", (long long)v);
		return -EINVAL;
	}
	p->len_bytes = (uint32_t)v;
	v = pe_json_i64(pp, "resp_len_bytes", p->resp_len_bytes);
	if (v < 1 || v > (64 << 20)) {
		snprintf(err, errlen, "resp_len_bytes %lld out of range 1..64Mi", (long long)v);
		return -EINVAL;
	}
	p->resp_len_bytes = (uint32_t)v;
	v = pe_json_i64(pp, "conns", 1);
	if (v < 1 || v > 4096) {
		snprintf(err, errlen, "conns %lld out of range 1..4096", (long long)v);
		return -EINVAL;
	}
	p->conns = (uint32_t)v;
	if (p->duration_s < 0 || p->duration_s > 86400 ||
	    (p->duration_s == 0 && !p->bytes_total && m != PE_MODE_FILE)) {
		snprintf(err, errlen, "duration_s %g out of range (0..86400, 0 needs bytes_total)",
			 p->duration_s);
		return -EINVAL;
	}
	p->reverse = get_bool(pp, "reverse");
	p->bidir = get_bool(pp, "bidir");
	p->zerocopy = get_bool(pp, "zerocopy");
	p->skip_rx_copy = get_bool(pp, "skip_rx_copy");
	p->verify = get_bool(pp, "verify");
	p->gso = get_bool(pp, "gso");
	p->gro = get_bool(pp, "gro");
	p->rate_bps = (uint64_t)pe_json_i64(pp, "rate_bps", 0);
	p->rate_pps = (uint64_t)pe_json_i64(pp, "rate_pps", 0);
	p->file_bytes = (uint64_t)pe_json_i64(pp, "file_bytes", 0);
	snprintf(p->file_sha256, sizeof(p->file_sha256), "%s", pe_json_str(pp, "file_sha256", ""));
	v = pe_json_i64(pp, "spin_us", 0);
	if (v < 0 || v > PE_SPIN_US_MAX) {
		snprintf(err, errlen, "spin_us %lld out of range 0..%d", (long long)v,
			 PE_SPIN_US_MAX);
		return -EINVAL;
	}
	p->spin_us = (uint32_t)v;
	if (p->skip_rx_copy && (m != PE_MODE_STREAM || p->verify)) {
		snprintf(err, errlen, "skip_rx_copy is for stream without verify");
		return -EINVAL;
	}
	if (m == PE_MODE_UDP && p->len_bytes > 65507) {
		snprintf(err, errlen, "len_bytes %u too large for a UDP datagram", p->len_bytes);
		return -EINVAL;
	}
	return 0;
}

void pe_data_hdr_put(uint8_t hdr[PE_DATA_HDR], uint64_t cookie, uint32_t index)
{
	int i;

	memcpy(hdr, "PEd1", 4);
	for (i = 0; i < 8; i++)
		hdr[4 + i] = (uint8_t)(cookie >> (56 - 8 * i));
	hdr[12] = (uint8_t)(index >> 24);
	hdr[13] = (uint8_t)(index >> 16);
	hdr[14] = (uint8_t)(index >> 8);
	hdr[15] = (uint8_t)index;
}

int pe_data_hdr_check(const uint8_t hdr[PE_DATA_HDR], uint64_t cookie, uint32_t *index)
{
	uint64_t c = 0;
	int i;

	if (memcmp(hdr, "PEd1", 4))
		return -EPROTO;
	for (i = 0; i < 8; i++)
		c = c << 8 | hdr[4 + i];
	if (c != cookie)
		return -EPROTO;
	*index = (uint32_t)hdr[12] << 24 | (uint32_t)hdr[13] << 16 | (uint32_t)hdr[14] << 8 |
		 hdr[15];
	return 0;
}
