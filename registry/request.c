/* SPDX-License-Identifier: BSD-2-Clause */
/* The registry server's reading of one request frame, apart from the connection that carried
 * it, so the parser can be tested and fuzzed on bytes alone. */
#include <errno.h>
#include <stdbool.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "registry/registry.h"

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

static bool hex4(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;

	if (len < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		if (hexval(s[i]) < 0)
			return false;
		v = v << 4 | (unsigned)hexval(s[i]);
	}
	*out = v;
	return true;
}

/* The first \u escape of a JSON text that is half a UTF-16 surrogate pair on its own, or NULL.
 * json-c reads one as U+FFFD, so the name would be stored as another than the one sent. */
static const char *lone_surrogate(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		unsigned u, v;

		if (s[i] != '\\')
			continue;
		if (s[i + 1] != 'u' || !hex4(s + i + 2, len - i - 2, &u)) {
			i++; /* \\, \" and the like; a bad escape is the parser's to refuse */
			continue;
		}
		if (u >= 0xdc00 && u <= 0xdfff)
			return s + i;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (i + 12 > len || s[i + 6] != '\\' || s[i + 7] != 'u' ||
			    !hex4(s + i + 8, len - i - 8, &v) || v < 0xdc00 || v > 0xdfff)
				return s + i;
			i += 6;
		}
		i += 5;
	}
	return NULL;
}

int pe_registry_req_parse(struct pe_registry_req *q, const void *msg, size_t len, char *why,
			  size_t whylen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req, *v;
	bool complete;
	int err;

	memset(q, 0, sizeof(*q));
	q->want_list = true;
	req = tok && len <= INT32_MAX ? json_tokener_parse_ex(tok, msg, (int)len) : NULL;
	complete = tok && json_tokener_get_error(tok) == json_tokener_success &&
		   json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	if (!req || !complete || !json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		snprintf(why, whylen, "request is not a JSON object");
		return -EPROTO;
	}
	if (json_object_object_get_ex(req, "list", &v))
		q->want_list = json_object_get_boolean(v);
	if (json_object_object_get_ex(req, "name", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			json_object_put(req);
			snprintf(why, whylen, "\"name\" must be a string");
			return -EBADMSG;
		}
		q->name = json_object_get_string(v);
		q->name_len = (size_t)json_object_get_string_len(v);
		if (lone_surrogate(msg, len)) {
			snprintf(why, whylen, "name has %.6s, a lone UTF-16 surrogate",
				 lone_surrogate(msg, len));
			err = -EINVAL;
		} else {
			err = pe_registry_check_name(q->name, q->name_len, why, whylen);
		}
		if (err) {
			json_object_put(req);
			memset(q, 0, sizeof(*q));
			return err;
		}
	}
	q->obj = req;
	return 0;
}

void pe_registry_req_free(struct pe_registry_req *q)
{
	json_object_put(q->obj);
	memset(q, 0, sizeof(*q));
}
