/* SPDX-License-Identifier: BSD-2-Clause */
/* The client registry's name rule and its client: one blocking connection that sends one
 * request frame and reads one answer frame (the protocol is in registry.h). */
#include "registry/registry.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/framing.h"

#define CONNECT_TIMEOUT_MS 5000
#define QUERY_TIMEOUT_MS   30000 /* each wait for the socket */

int pe_registry_check_name(const char *name, size_t len, char *why, size_t whylen)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t i = 0;

	if (!len) {
		if (why)
			snprintf(why, whylen, "name is empty");
		return -EINVAL;
	}
	if (len > PE_REGISTRY_NAME_MAX) {
		if (why)
			snprintf(why, whylen, "name is %zu bytes, longer than %d", len,
				 PE_REGISTRY_NAME_MAX);
		return -ENAMETOOLONG;
	}
	while (i < len) {
		unsigned c = p[i], n, k;
		uint32_t cp;

		if (c < 0x20 || c == 0x7f ||
		    (c == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)) {
			if (why)
				snprintf(why, whylen,
					 "name contains a control character (U+%04X) at byte %zu",
					 c == 0xc2 ? p[i + 1] : c, i);
			return -EINVAL;
		}
		n = c < 0x80		 ? 0
		    : (c & 0xe0) == 0xc0 ? 1
		    : (c & 0xf0) == 0xe0 ? 2
		    : (c & 0xf8) == 0xf0 ? 3
					 : 9;
		if (n == 9 || i + n >= len + (n ? 0 : 1))
			goto bad;
		cp = n ? c & (0x3f >> n) : c;
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			goto bad;
		i += n + 1;
	}
	return 0;
bad:
	if (why)
		snprintf(why, whylen, "name is not valid UTF-8 (byte %zu)", i);
	return -EINVAL;
}

static int send_req(int fd, struct json_object *req, int timeout_ms)
{
	size_t len;
	const char *s = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &len);

	return s ? pe_lpm_send_sock(fd, s, len, timeout_ms) : -ENOMEM;
}

/* Reads one answer frame and parses it into *reply. 0 or -errno with the reason in why. */
static int recv_reply(int fd, int timeout_ms, struct json_object **reply, char *why, size_t whylen)
{
	struct pe_lpm_dec d;
	uint8_t rbuf[4096];
	const void *msg;
	size_t len;
	int r = pe_lpm_dec_init(&d, PE_REGISTRY_MSG_MAX);

	if (!r)
		r = pe_lpm_recv_sock(fd, &d, rbuf, sizeof(rbuf), timeout_ms, &msg, &len, why,
				     whylen);
	if (!r) {
		struct json_tokener *tok = json_tokener_new();
		struct json_object *e;

		*reply = tok ? json_tokener_parse_ex(tok, msg, (int)len) : NULL;
		if (!*reply || json_tokener_get_parse_end(tok) != len) {
			json_object_put(*reply);
			*reply = NULL;
			snprintf(why, whylen, "the registry's answer is not JSON");
			r = -EPROTO;
		} else if (json_object_object_get_ex(*reply, "error", &e)) {
			snprintf(why, whylen, "registry refused: %s",
				 json_object_is_type(e, json_type_string)
					 ? json_object_get_string(e)
					 : "?");
			r = -EPROTO;
		}
		json_tokener_free(tok);
	}
	pe_lpm_dec_free(&d);
	return r;
}

int pe_registry_query(const char *host, uint16_t port, const char *name, size_t name_len,
		      bool want_list, struct json_object **reply, char *why, size_t whylen)
{
	return pe_registry_query_opts(host, port, name, name_len, want_list, NULL, reply, why,
				      whylen);
}

int pe_registry_query_opts(const char *host, uint16_t port, const char *name, size_t name_len,
			   bool want_list, const struct pe_registry_query_opts *o,
			   struct json_object **reply, char *why, size_t whylen)
{
	int connect_ms =
		o && o->connect_timeout_ms > 0 ? o->connect_timeout_ms : CONNECT_TIMEOUT_MS;
	int idle_ms = o && o->idle_timeout_ms > 0 ? o->idle_timeout_ms : QUERY_TIMEOUT_MS;
	struct pe_addr addrs[8];
	struct json_object *req;
	char ps[8];
	int n, i, fd = -ECONNREFUSED, err;

	*reply = NULL;
	if (name && pe_registry_check_name(name, name_len, why, whylen))
		return pe_registry_check_name(name, name_len, NULL, 0);
	snprintf(ps, sizeof(ps), "%u", port);
	n = pe_addr_resolve(host, ps, AF_UNSPEC, SOCK_STREAM, false, addrs, 8);
	if (n < 0) {
		snprintf(why, whylen, "%s: %s", host, pe_addr_strerror(n));
		return n;
	}
	for (i = 0; i < n; i++) {
		struct pollfd p;

		fd = pe_sock_connect(&addrs[i], NULL);
		if (fd < 0)
			continue;
		p = (struct pollfd){ fd, POLLOUT, 0 };
		err = poll(&p, 1, connect_ms) == 1 ? pe_sock_error(fd) : -ETIMEDOUT;
		if (!err)
			break;
		close(fd);
		fd = err;
	}
	if (fd < 0) {
		snprintf(why, whylen, "%s port %u: %s", host, port, strerror(-fd));
		return fd;
	}
	req = json_object_new_object();
	if (name)
		json_object_object_add(req, "name",
				       json_object_new_string_len(name, (int)name_len));
	if (name && !want_list)
		json_object_object_add(req, "list", json_object_new_boolean(0));
	err = send_req(fd, req, idle_ms);
	json_object_put(req);
	if (err)
		snprintf(why, whylen, "sending: %s", strerror(-err));
	else
		err = recv_reply(fd, idle_ms, reply, why, whylen);
	close(fd);
	return err;
}
