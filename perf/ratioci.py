# SPDX-License-Identifier: BSD-2-Clause
# The benchmark scripts' interval (peers.sh, inject_vs_trafgen.sh, builds_ab.py): the 95%
# percentile bootstrap interval of a ratio of medians, both sides' runs resampled, the method
# of pkteng compare's interval. The caller's generator carries the fixed seed, so the same
# runs give the same interval.
import statistics


def ratio_ci(num, den, rng, n=4000):
    """(lo, hi) of median(num) / median(den), or None with fewer than 3 runs a side."""
    if len(num) < 3 or len(den) < 3:
        return None
    rs = sorted(statistics.median(rng.choices(num, k=len(num))) /
                statistics.median(rng.choices(den, k=len(den))) for _ in range(n))
    return rs[int(0.025 * n)], rs[int(0.975 * n) - 1]
