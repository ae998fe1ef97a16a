#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# What a regression suite catches and how often it cries wolf, measured: K rounds, each one
# session of the suite with the variants `base` and `aa` (no settings: nothing changed) and
# `slow10`, `slow5` (env.PKTENG_TEST_SLOW_PCT=10 and =5: the client busy-waits that share of
# each round trip, docs/client-server.md), all interleaved, then `pkteng compare` of base
# against each. Prints the false-alarm rate (A/A compares that call a regression) and the
# detection rates (A/B compares that do), with their counts and the time it took; under each,
# how many compares called it on a rate (transactions_per_s: the hook's busy-wait also shows
# as client CPU, which is easier to see than the rate it costs) and the rows called most.
#
#   perf/detect.sh [-k K] [--suite FILE] [--runs N] [-t SECONDS] [--slow PCT,PCT]
#                  [--bin PKTENG] [--out DIR] [--threshold PCT] [--keep-disturbed]
#   perf/detect.sh --summarize --out DIR [-k K] [--slow PCT,PCT]   (the figures of a past run)
#
# Every compare of a round takes the same base runs, and every variant of a round ran
# interleaved with the others on one local server per backend, so the machine's drift falls
# on every kind alike and only the change differs. Every round's results directory and
# compare output stay under --out.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
k=20
suite=$here/suites/regress.ini
runs=""
time_s=""
slow="10,5"
bin=""
out=""
cmp_opts=()
summarize=0

usage() {
	sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}
die() {
	echo "detect.sh: $*" >&2
	exit 2
}

while (($#)); do
	case $1 in
	-k) k=${2:?}; shift 2 ;;
	--suite) suite=${2:?}; shift 2 ;;
	--runs) runs=${2:?}; shift 2 ;;
	-t) time_s=${2:?}; shift 2 ;;
	--slow) slow=${2:?}; shift 2 ;;
	--bin) bin=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--threshold) cmp_opts+=(--threshold "${2:?}"); shift 2 ;;
	--keep-disturbed) cmp_opts+=(--keep-disturbed); shift ;;
	--summarize) summarize=1; shift ;;
	-h | --help) usage ;;
	*) die "$1: unknown option (see --help)" ;;
	esac
done

[[ $k =~ ^[1-9][0-9]*$ ]] || die "-k $k: expected a count of sessions, 1 or more"
[[ -z $runs || $runs =~ ^[1-9][0-9]*$ ]] || die "--runs $runs: expected 1 or more"
[[ -z $time_s || $time_s =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "-t $time_s: expected seconds"
[[ $slow =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--slow $slow: expected percentages like 10,5"
[[ -r $suite ]] || die "--suite $suite: cannot read it"
[[ -n $runs && $runs -lt 4 ]] &&
	echo "detect.sh: note: with fewer than 4 runs a side no compare can call a regression" \
		"(the smallest two-sided Mann-Whitney p of 3 against 3 is 0.1)" >&2
grep -qE '^[[:space:]]*variant\.' "$suite" &&
	die "--suite $suite: has variant.NAME lines; this script adds its own"
if [[ -z $bin ]]; then
	bin=$here/build/pkteng
	[[ -x $bin ]] || bin=$(command -v pkteng || true)
fi
[[ -n $bin && -x $bin ]] || die "--bin: no pkteng binary (build it, or give its path)"
bin=$(realpath "$bin")
if ((summarize)); then
	[[ -n $out && -d $out ]] || die "--summarize: needs --out DIR of a past run"
else
	out=${out:-./detect-$(date -u +%Y%m%d-%H%M%S)}
	[[ -e $out && -n $(ls -A "$out" 2>/dev/null) ]] && die "--out $out: exists and is not empty"
	mkdir -p "$out"
fi
out=$(realpath "$out")

# The suite as run: our [global] block first, then the file with its runs/time lines dropped
# when the command line sets them (a test section's own value would win otherwise).
IFS=, read -r -a pcts <<<"$slow"
kinds=(aa)
for p in "${pcts[@]}"; do kinds+=("slow$p"); done
make_suite() { # $1: file
	{
		echo "[global]"
		echo "variant.base ="
		echo "variant.aa ="
		for p in "${pcts[@]}"; do echo "variant.slow$p = env.PKTENG_TEST_SLOW_PCT=$p"; done
		[[ -n $runs ]] && echo "runs = $runs"
		[[ -n $time_s ]] && echo "time = $time_s"
		awk -v r="$runs" -v t="$time_s" '
			r != "" && /^[[:space:]]*runs[[:space:]]*=/ { next }
			t != "" && /^[[:space:]]*time[[:space:]]*=/ { next }
			{ print }' "$suite"
	} >"$1"
}
declare -A fails
for kd in "${kinds[@]}"; do fails[$kd]=0; done
if ((!summarize)); then
	make_suite "$out/detect.ini"
	"$bin" suite "$out/detect.ini" --plan >/dev/null || die "the suite does not plan (above)"
fi

t0=$(date +%s)
for ((i = 1; i <= k && !summarize; i++)); do
	dir=$out/round-$i
	s0=$(date +%s)
	ok=1
	"$bin" suite "$out/detect.ini" --out "$dir" >"$dir.suite.txt" 2>&1 || ok=0
	line=""
	for kd in "${kinds[@]}"; do
		((ok)) || fails[$kd]=$((fails[$kd] + 1))
		rc=0
		"$bin" compare "${cmp_opts[@]}" --json "$dir:base" "$dir:$kd" \
			>"$out/$kd-$i.compare.json" 2>"$out/$kd-$i.compare.err" || rc=$?
		case $rc in
		0) verdict="-" ;;
		1) verdict="REGRESSION" ;;
		*) verdict="failed($rc): $(tail -1 "$out/$kd-$i.compare.err")" ;;
		esac
		line+=$(printf '  %s %s' "$kd" "$verdict")
	done
	printf 'round %2d/%d  %3ds %s\n' "$i" "$k" $(($(date +%s) - s0)) "$line" >&2
done
t1=$(date +%s)

# Per kind, from the compares' JSON: the count, the rate, which rows were called.
echo
printf 'detect.sh: %s, %s sessions of each kind, %s\n' "$(basename "$suite")" "$k" \
	"$("$bin" --version | head -1)"
for kd in "${kinds[@]}"; do
	if [[ $kd == aa ]]; then
		label="A/A false alarms        "
	else
		label=$(printf 'A/B %-3s detected       ' "${kd#slow}%")
	fi
	printf '%s' "$label"
	python3 - "$out" "$kd" "$k" "${fails[$kd]}" <<'EOF'
import json, sys, collections
out, kind, k, fails = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rows, few, left, rate, called, total = collections.Counter(), 0, 0, 0, 0, 0
docs = []
for i in range(1, k + 1):
    try:
        docs.append(json.load(open(f"{out}/{kind}-{i}.compare.json")))
    except (OSError, ValueError):
        pass
for d in docs:
    total += 1
    called += (d.get("regressions") or 0) > 0
print(f" {called} of {total} ({100 * called / total if total else 0:.0f}%)"
      + (f", {k - total} compares failed" if total < k else "")
      + (f", {fails} sessions with failed runs" if fails else ""))
for d in docs:
    rate += any(r.get("verdict") == "regression" and r["metric"] == "transactions_per_s"
                for r in d.get("rows", []))
    for r in d.get("rows", []):
        if r.get("verdict") == "regression":
            rows[f'{r["point"]} {r["metric"]}'] += 1
        elif r.get("verdict") == "too few runs":
            few += 1
# the busy-wait hook also shows as client CPU; the rate alone is the change's real cost
print(f"    {rate} of {k} on a transactions_per_s row")
for name, n in rows.most_common(6):
    print(f"    {n:3d}x {name}")
if few:
    print(f"    {few} rows with too few runs")
runs = 0
for i in range(1, k + 1):
    try:
        for line in open(f"{out}/round-{i}/runs.jsonl"):
            r = json.loads(line)
            if r.get("variant") != kind:
                continue
            runs += 1
            left += bool(r.get("disturbed"))
    except (OSError, ValueError):
        pass
if left:
    print(f"    {left} of {runs} runs marked disturbed (left out)")
EOF
done
((summarize)) || printf 'total time %d s (%.1f min); ' $((t1 - t0)) \
	"$(echo "($t1 - $t0) / 60" | bc -l)"
echo "results in $out"
