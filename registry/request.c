/* The registry server's reading of one request frame, apart from the connection that carried
 * it, so the parser can be tested and fuzzed on bytes alone. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "registry/registry.h"

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
		err = pe_registry_check_name(q->name, q->name_len, why, whylen);
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
