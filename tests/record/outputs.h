/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers for the tests of commands' records: validate output against the schema and read the
 * summary back. */
#ifndef PKTENG_TESTS_RECORD_OUTPUTS_H
#define PKTENG_TESTS_RECORD_OUTPUTS_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/lab/lab.h"

struct json_object;

/* Validates text (kind "json": one --json document; "stream": --json-stream lines) with
 * tests/record/validate.py against docs/results.schema.json, asserts that it is valid and has
 * at least min_intervals intervals, and returns its summary (the caller puts it). */
struct json_object *pe_ro_validate(const char *text, const char *kind, unsigned min_intervals);
/* The same for the contents of a file. */
struct json_object *pe_ro_validate_file(const char *path, const char *kind, unsigned min_intervals);
/* A member of o by a dotted path ("seq.missing"); the test fails when it is missing. */
uint64_t pe_ro_u64(struct json_object *o, const char *path);
double pe_ro_num(struct json_object *o, const char *path);
bool pe_ro_bool(struct json_object *o, const char *path);
const char *pe_ro_str(struct json_object *o, const char *path);
/* A client's --json record as the object the workload tests read: the summary's ok, client
 * and server, and the start's params. Takes doc (puts it; NULL gives NULL) and returns a new
 * object. */
struct json_object *pe_ro_client_view(struct json_object *doc);
/* Waits until the file at path contains text, while bg runs. 0, -ETIMEDOUT or -ECHILD. */
int pe_ro_wait_text(const char *path, const char *text, struct pe_lab_bg *bg, int timeout_ms);

#endif
