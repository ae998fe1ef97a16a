#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Prints tests/stats/mwu_cases.txt: Mann-Whitney U (two-sided) statistics and p-values computed
# by scipy.stats.mannwhitneyu, the reference test_stats checks pkteng_stats against.
# Regenerate: /usr/bin/python3 tests/stats/mwu_table.py > tests/stats/mwu_cases.txt
import random

import scipy
from scipy.stats import mannwhitneyu


def cases():
    rng = random.Random(14)
    yield [1, 2, 3], [4, 5, 6]
    yield [4, 5, 6], [1, 2, 3]
    yield [1, 3, 5, 7], [2, 4, 6, 8]
    yield [1.5, 2.5, 9.5, 3.25, 7], [4, 8.5, 10, 11, 12.75, 6]
    yield [21372, 21500, 20980, 21110, 21650], [19010, 19500, 18800, 20990, 19200]
    for n1, n2 in ((8, 8), (10, 10), (6, 12), (20, 20), (25, 30)):
        x = [round(rng.gauss(100, 10), 3) for _ in range(n1)]
        y = [round(rng.gauss(108, 10), 3) for _ in range(n2)]
        yield x, y


def tied():
    yield [1, 2, 2, 3], [2, 3, 3, 4]
    yield [5, 5, 5, 6, 7], [5, 6, 6, 8, 9, 9]
    yield [0, 0, 0, 0.1, 0], [0.2, 0.1, 0, 0.3, 0.2]
    yield [61600, 61600, 62000, 61800], [61600, 63000, 63000, 64000]
    yield [7, 7, 7], [7, 7, 7]


def line(method, x, y):
    r = mannwhitneyu(x, y, alternative="two-sided", method=method, use_continuity=True)
    fmt = lambda v: " ".join(repr(float(a)) for a in v)
    return f"{method};{fmt(x)};{fmt(y)};{float(r.statistic)!r};{float(r.pvalue)!r}"


print(f"# method;x;y;U of x;two-sided p (scipy {scipy.__version__}, use_continuity=True)")
for x, y in cases():
    if len(x) * len(y) <= 400:
        print(line("exact", x, y))
    print(line("asymptotic", x, y))
for x, y in tied():
    print(line("asymptotic", x, y))
