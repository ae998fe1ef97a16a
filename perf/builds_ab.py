#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Two pkteng builds side by side, for a change that also changes the result record (which
# `pkteng suite --bin` cannot read across): rr and echo transactions/s on both backends, the
# two builds' runs of a test next to each other, their order swapped every round, servers
# pinned to CPU 0 and clients to CPU 1. Prints medians, new/old and the range of per-round
# ratios. Reads either record shape (before and after schema 1).
#
# new/old comes with its 95% interval (a bootstrap of both builds' rounds).
#
#   perf/builds_ab.py OLD_PKTENG NEW_PKTENG [ROUNDS [SECONDS [TEST,TEST,...]]]
#
# TESTS: any of rr64_epoll rr64_uring echo256_uring echo256_epoll rr64_spin_uring
# rr64_spin_epoll udprr64_uring udprr64_epoll crr64_uring crr64_epoll crr64_spin_uring
# crr64_spin_epoll (default: the first four).
import json, os, random, subprocess, sys, statistics, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ratioci import ratio_ci
if len(sys.argv) < 3:
    sys.exit("usage: builds_ab.py OLD_PKTENG NEW_PKTENG [ROUNDS [SECONDS [TEST,...]]]")
OLD, NEW = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 10
T = sys.argv[4] if len(sys.argv) > 4 else "3"
tests = {
 "rr64_epoll": ["--mode", "rr", "-l", "64", "--resp-len", "64", "--backend", "epoll"],
 "rr64_uring": ["--mode", "rr", "-l", "64", "--resp-len", "64"],
 "echo256_uring": ["--mode", "echo", "--conns", "256", "-l", "64"],
 "echo256_epoll": ["--mode", "echo", "--conns", "256", "-l", "64", "--backend", "epoll"],
 "rr64_spin_uring": ["--mode", "rr", "-l", "64", "--resp-len", "64", "--spin", "1000"],
 "rr64_spin_epoll": ["--mode", "rr", "-l", "64", "--resp-len", "64", "--spin", "1000", "--backend", "epoll"],
 "udprr64_uring": ["--mode", "udp-rr", "-l", "64", "--resp-len", "64"],
 "udprr64_epoll": ["--mode", "udp-rr", "-l", "64", "--resp-len", "64", "--backend", "epoll"],
 "crr64_uring": ["--mode", "crr", "-l", "64", "--resp-len", "64"],
 "crr64_epoll": ["--mode", "crr", "-l", "64", "--resp-len", "64", "--backend", "epoll"],
 "crr64_spin_uring": ["--mode", "crr", "-l", "64", "--resp-len", "64", "--spin", "1000"],
 "crr64_spin_epoll": ["--mode", "crr", "-l", "64", "--resp-len", "64", "--spin", "1000", "--backend", "epoll"],
}
pick = sys.argv[5].split(",") if len(sys.argv) > 5 else list(tests)[:4]
for t in pick:
    if t not in tests:
        sys.exit(f"builds_ab.py: {t}: no such test (one of {' '.join(tests)})")
tests = {t: tests[t] for t in pick}
srv = {}
for name, b, port in (("old", OLD, 24101), ("new", NEW, 24102)):
    for be, off in (("uring", 0), ("epoll", 10)):
        srv[(name, be)] = (port + off, subprocess.Popen(["taskset", "-c", "0", b, "server", "--bind", "127.0.0.1", "-p", str(port + off), "--backend", be, "-q"]))
time.sleep(1)
def run(name, t):
    b = OLD if name == "old" else NEW
    be = "epoll" if "epoll" in t else "uring"
    port = srv[(name, be)][0]
    out = subprocess.run(["timeout", "30", "taskset", "-c", "1", b, "client", "127.0.0.1", "-p", str(port), "-t", T, "-i", "0", "--json"] + tests[t], capture_output=True, text=True).stdout
    d = json.loads(out)
    c = d["client"] if "client" in d else d["summary"]["client"]
    secs = c.get("seconds") or c.get("duration_s")
    return c["transactions"] / secs
res = {t: {"old": [], "new": []} for t in tests}
for t in tests:  # warm-up
    run("old", t); run("new", t)
for r in range(ROUNDS):
    order = ["old", "new"] if r % 2 == 0 else ["new", "old"]
    for t in tests:
        for n in order:
            res[t][n].append(run(n, t))
for p in srv.values():
    p[1].terminate()
rng = random.Random(20261207)
print(f"{'test':16} {'old tps':>10} {'new tps':>10} {'new/old':>8}  {'95% interval':>14}  per-round range")
for t in tests:
    o, n = res[t]["old"], res[t]["new"]
    rr = [b / a for a, b in zip(o, n)]
    lo, hi = ratio_ci(n, o, rng) or (float("nan"), float("nan"))
    print(f"{t:16} {statistics.median(o):10.0f} {statistics.median(n):10.0f} {statistics.median(n)/statistics.median(o):8.3f}  {f'[{lo:.3f}, {hi:.3f}]':>14}  {min(rr):.2f}-{max(rr):.2f}")
