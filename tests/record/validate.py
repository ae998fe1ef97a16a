#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Validates pkteng's result records against docs/results.schema.json.

usage: validate.py SCHEMA json FILE     FILE holds one --json document
       validate.py SCHEMA stream FILE   FILE holds --json-stream lines
       validate.py SCHEMA doc FILE      FILE (docs/results.md) names every key of SCHEMA

A stream must be a start line, interval lines, then one summary line; each line is checked
against the schema's stream line, and the lines put together again must be a valid document
(so --json and --json-stream carry the same record). Prints what is wrong and exits 1, or
prints "ok N" (N: the number of intervals) and exits 0.
"""
import json
import re
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


def keys(node, out):
    """Every property name the schema defines, at any depth."""
    if isinstance(node, dict):
        for k, v in node.get("properties", {}).items():
            out.add(k)
            keys(v, out)
        for k, v in node.items():
            if k != "properties":
                keys(v, out)
    elif isinstance(node, list):
        for v in node:
            keys(v, out)
    return out


def check_doc(schema, text):
    """Each key appears in backquotes, alone or in a dotted path: `seq.missing`."""
    ks = keys(schema, set())
    missing = sorted(k for k in ks if not re.search(
        r"`(?:[a-z0-9_]+\.)*%s(?:\.[a-z0-9_]+)*`" % re.escape(k), text))
    if missing:
        fail("docs/results.md does not name: %s" % ", ".join(missing))
    print("ok %d" % len(ks))


def main():
    if len(sys.argv) == 4 and sys.argv[2] == "doc":
        with open(sys.argv[1]) as f:
            schema = json.load(f)
        with open(sys.argv[3]) as f:
            check_doc(schema, f.read())
        return
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
