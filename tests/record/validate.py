#!/usr/bin/python3
"""Validates pkteng's result records against docs/results.schema.json.

usage: validate.py SCHEMA json FILE     FILE holds one --json document
       validate.py SCHEMA stream FILE   FILE holds --json-stream lines

A stream must be a start line, interval lines, then one summary line; each line is checked
against the schema's stream line, and the lines put together again must be a valid document
(so --json and --json-stream carry the same record). Prints what is wrong and exits 1, or
prints "ok N" (N: the number of intervals) and exits 0.
"""
import json
import sys

import jsonschema


def fail(msg):
    print("invalid: " + msg)
    sys.exit(1)


def check(validator, inst, where):
    errs = sorted(validator.iter_errors(inst), key=lambda e: list(e.absolute_path))
    if errs:
        e = errs[0]
        path = "/".join(str(p) for p in e.absolute_path)
        fail("%s: at /%s: %s (%d error(s))" % (where, path, e.message[:300], len(errs)))


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("json", "stream"):
        print(__doc__)
        sys.exit(2)
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    with open(sys.argv[3]) as f:
        text = f.read()
    doc_v = jsonschema.Draft202012Validator(schema)
    if sys.argv[2] == "json":
        lines = [l for l in text.split("\n") if l.strip()]
        if len(lines) != 1:
            fail("--json printed %d lines, not one" % len(lines))
        doc = json.loads(lines[0])
        check(doc_v, doc, "document")
        print("ok %d" % len(doc["intervals"]))
        return
    line_v = jsonschema.Draft202012Validator(
        {"$defs": schema["$defs"], "$ref": "#/$defs/stream_line"})
    events = []
    doc = {"intervals": []}
    for n, raw in enumerate(text.split("\n")):
        if not raw.strip():
            continue
        line = json.loads(raw)
        check(line_v, line, "line %d" % (n + 1))
        ev = line.pop("event")
        events.append(ev)
        doc["schema"] = line.pop("schema")
        if ev == "start":
            doc["start"] = line
        elif ev == "interval":
            doc["intervals"].append(line)
        else:
            doc["summary"] = line
    if not events or events[0] != "start" or events[-1] != "summary" or \
            events.count("start") != 1 or events.count("summary") != 1:
        fail("the events are %s: one start first, one summary last" % events)
    check(doc_v, doc, "the lines as a document")
    print("ok %d" % len(doc["intervals"]))


main()
