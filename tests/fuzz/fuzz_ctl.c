/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz target: the control messages between `pkteng client` and `pkteng server`
 * (workload/proto.h), read as the server reads a hello and an end and the client an ok and a
 * result; and the 16-byte header a data connection opens with. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workload/proto.h"
#include "workload/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *msg, *f = NULL;
	struct pe_figures fig;
	struct pe_params p;
	char err[256] = "";
	const char *type;
	uint32_t index;

	if (size >= PE_DATA_HDR)
		pe_data_hdr_check(data, pe_get_be64(data + 4), &index);
	msg = pe_proto_parse(data, size, err, sizeof(err));
	if (!msg) {
		if (!err[0]) /* a refusal always says why */
			abort();
		return 0;
	}
	type = pe_proto_type(msg);
	if (!type[0])
		abort();
	if (!strcmp(type, PE_MSG_HELLO)) {
		err[0] = '\0';
		if (pe_proto_parse_hello(msg, &p, err, sizeof(err)) && !err[0])
			abort();
	} else if (!strcmp(type, PE_MSG_END) || !strcmp(type, PE_MSG_RESULT)) {
		json_object_object_get_ex(msg, "figures", &f);
		pe_figures_from_json(&fig, f);
	} else {
		/* the client's reading of an ok or an error */
		(void)strtoull(pe_json_str(msg, "cookie", "0"), NULL, 16);
		(void)(uint16_t)pe_json_i64(msg, "data_port", 0);
		(void)strlen(pe_json_str(msg, "message", ""));
	}
	json_object_put(msg);
	return 0;
}
