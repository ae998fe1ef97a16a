/* The versioned control exchange between `pkteng client` and `pkteng server`: JSON objects,
 * each sent as one length-prefixed frame (engine/framing.h). The wire format is in
 * docs/protocols.md. A mode is a name plus parameters (workload/mode.h); adding one needs no new
 * message. */
#ifndef PKTENG_WORKLOAD_PROTO_H
#define PKTENG_WORKLOAD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workload/mode.h"

struct json_object;

#define PE_PROTO_VERSION 1
#define PE_PROTO_MAX_MSG (1u << 20) /* control messages larger than this are refused */
#define PE_COOKIE_LEN	 16	    /* hex characters */

/* Message types; the "type" member of every message. */
#define PE_MSG_HELLO  "hello"  /* c->s: version, mode, params */
#define PE_MSG_OK     "ok"     /* s->c: cookie, udp_port */
#define PE_MSG_ERROR  "error"  /* s->c: message; the server closes the connection */
#define PE_MSG_DATA   "data"   /* c->s on a data connection: cookie, index */
#define PE_MSG_START  "start"  /* c->s: data connections are open */
#define PE_MSG_GO     "go"     /* s->c: all data connections arrived, the clock starts */
#define PE_MSG_END    "end"    /* c->s: the client's side finished; its sender figures */
#define PE_MSG_RESULT "result" /* s->c: the server's figures */

/* Builds {"type":"hello","version":..,"mode":..,"params":{..}} with every parameter of the
 * table (PE_PARAMS); caller owns the object. */
struct json_object *pe_proto_hello(const struct pe_params *p);
/* Builds {"type":TYPE}; the caller adds members. */
struct json_object *pe_proto_msg(const char *type);
/* Serialises obj (compact) into a malloc'd string; *len without the NUL. NULL on ENOMEM. */
char *pe_proto_dump(struct json_object *obj, size_t *len);

/* Parses one message payload. Returns the object (caller puts it) or NULL with a one-line
 * reason in err ("malformed JSON", "no \"type\" member", ...). Never reads past len. */
struct json_object *pe_proto_parse(const void *buf, size_t len, char *err, size_t errlen);
/* The "type" string of a parsed message, "" when missing. */
const char *pe_proto_type(struct json_object *msg);
/* Checks a hello: version, known mode, every parameter in its range (a missing one takes the
 * mode's default), then pe_params_check. 0 and *p filled, or -EPROTO/-EINVAL with the reason in
 * err ("version 7 not supported (this server speaks 1)", "unknown mode 'x'"). */
int pe_proto_parse_hello(struct json_object *msg, struct pe_params *p, char *err, size_t errlen);

/* json-c helpers that give a default when a member is missing or has the wrong type.
 * pe_json_i64 saturates a double beyond int64 (1e300 gives INT64_MAX) and gives the default
 * for NaN. */
int64_t pe_json_i64(struct json_object *o, const char *key, int64_t dflt);
double pe_json_dbl(struct json_object *o, const char *key, double dflt);
const char *pe_json_str(struct json_object *o, const char *key, const char *dflt);

/* Big-endian 64-bit numbers, as the data header and the UDP modes' datagrams carry them. */
static inline void pe_put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint64_t pe_get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The 16-byte header a data connection starts with: "PEd1", 8 cookie bytes, index (BE). */
#define PE_DATA_HDR 16
void pe_data_hdr_put(uint8_t hdr[PE_DATA_HDR], uint64_t cookie, uint32_t index);
/* 0 and *index when the magic and cookie match, -EPROTO otherwise. */
int pe_data_hdr_check(const uint8_t hdr[PE_DATA_HDR], uint64_t cookie, uint32_t *index);

#endif
