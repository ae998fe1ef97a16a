#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Writes a small results directory (suite.json + runs.jsonl, the shape `pkteng suite` writes)
for the report's tests.

  mkresults.py synth DIR --variants V --runs N --intervals K --buckets B [--fail F]
      records made up with known sizes: points "rr/x" (latency, B histogram buckets) and
      "stream/x" (no histogram); each run has K intervals; F extra runs per variant fail.
  mkresults.py real DIR --bin PKTENG --runs N
      real client records: `pkteng client --json` against a `pkteng server` it starts on a
      free port of 127.0.0.1, points rr and stream, variants uring and epoll (--backend).
"""
import argparse
import json
import os
import socket
import subprocess
import sys

HOST = {"name": "testhost", "kernel": "6.1.0", "cpu_model": "Test CPU", "cpu_count": 2}


def suite(points, variants, runs):
    return {
        "schema": 1, "kind": "pkteng-suite", "suite_file": None, "suite": {},
        "runs": runs, "warmup_runs": 0, "order": "abba", "seed": 1,
        "variants": [{"name": v, "bin": "/usr/bin/pkteng", "pkteng_version": "0.1.0",
                      "git_commit": "0" * 40, "settings": None} for v in variants],
        "points": [{"id": p, "test": p.split("/")[0], "vars": {}, "command": ["client"]}
                   for p in points],
        "host": HOST, "start_utc": "2026-12-06T20:00:00.000Z",
        "end_utc": "2026-12-06T20:01:00.000Z", "partial": False, "interrupted": False,
        "disturbed_threshold": {"steal_pct": 5, "other_cpu_pct": 20},
    }


def run_line(point, variant, run, seq, metrics, record, ok=True):
    return {"schema": 1, "point": point, "variant": variant, "run": run, "seq": seq,
            "start_utc": "2026-12-06T20:00:00.000Z", "duration_s": 1.0, "ok": ok,
            "error": None if ok else "connection refused",
            "noise": {"steal_pct": 0, "other_cpu_pct": 1, "loadavg_1m": 0.1, "cpu_mhz": None},
            "disturbed": False, "disturbed_why": None,
            "metrics": metrics if ok else {}, "record": record}


def synth(a):
    variants = ["base", "new"][:a.variants] + ["v%d" % i for i in range(2, a.variants)]
    points = ["rr/x", "stream/x"]
    lines, seq = [], 0
    for p in points:
        for vi, v in enumerate(variants):
            for r in range(1, a.runs + 1 + a.fail):
                seq += 1
                ok = r <= a.runs
                rate = 1000 * (vi + 1) + 10 * r
                iv = [{"t0_s": k * 0.1, "t1_s": (k + 1) * 0.1, "transactions_per_s": rate + k,
                       "rx_bits_per_s": 8e6 + k}
                      for k in range(a.intervals)]
                client = {"lat_count": 0}
                if p.startswith("rr"):
                    client["lat_hist"] = [[1000 * (b + 1) + 100 * vi, 1 + b % 3]
                                          for b in range(a.buckets)]
                rec = {"schema": 1, "start": {"command": "client"}, "intervals": iv,
                       "summary": {"client": client, "server": None}}
                m = {"transactions_per_s": rate, "lat_p50_ns": 5000 + r, "cpu_user_pct": 1.5}
                if p.startswith("stream"):
                    m = {"rx_bits_per_s": 8e6 * (vi + 1) + r}
                lines.append(run_line(p, v, r, seq, m, rec, ok))
    write(a.dir, suite(points, variants, a.runs), lines)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def real(a):
    port = free_port()
    srv = subprocess.Popen([a.bin, "server", "--bind", "127.0.0.1", "-p", str(port)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = srv.stdout.readline()
        if "listening" not in line:
            sys.exit("server did not start: " + line)
        real_runs(a, port)
    finally:
        srv.terminate()
        srv.wait()


def real_runs(a, port):
    variants = ["uring", "epoll"]
    modes = {"rr": ["transactions_per_s", "lat_p50_ns", "lat_p99_ns", "cpu_user_pct"],
             "stream": ["tx_bits_per_s", "cpu_user_pct"]}
    points = ["%s/x" % m for m in modes]
    lines, seq = [], 0
    for r in range(1, a.runs + 1):
        for mode in modes:
            for v in variants:
                seq += 1
                out = subprocess.run([a.bin, "client", "127.0.0.1", "-p", str(port),
                                      "--mode", mode, "-t", "0.4", "-i", "0.1",
                                      "--backend", v, "--json"],
                                     capture_output=True, text=True, check=True).stdout
                rec = json.loads(out)
                cli = rec["summary"]["client"]
                lines.append(run_line("%s/x" % mode, v, r, seq,
                                      {k: cli[k] for k in modes[mode]}, rec))
    write(a.dir, suite(points, variants, a.runs), lines)


def write(d, s, lines):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "suite.json"), "w") as f:
        json.dump(s, f)
    with open(os.path.join(d, "runs.jsonl"), "w") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("synth")
    s.add_argument("dir")
    s.add_argument("--variants", type=int, default=2)
    s.add_argument("--runs", type=int, default=5)
    s.add_argument("--intervals", type=int, default=10)
    s.add_argument("--buckets", type=int, default=50)
    s.add_argument("--fail", type=int, default=0)
    r = sub.add_parser("real")
    r.add_argument("dir")
    r.add_argument("--bin", required=True)
    r.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    synth(a) if a.cmd == "synth" else real(a)


if __name__ == "__main__":
    sys.exit(main())
