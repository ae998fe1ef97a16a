#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Installs what the tests need, builds pkteng in build/ (or $PE_BUILD_DIR), runs every test
# through CTest and ends with one summary line. Extra arguments go to ctest (e.g. -L unit).
set -uo pipefail
PE_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$PE_TOP/tools/deps.sh"
dir=${PE_BUILD_DIR:-$PE_TOP/build}
pe_deps test || exit 1
pe_build "$dir" ${PE_CMAKE_ARGS:-} || { echo "tests: build failed"; exit 1; }
rm -f "$dir"/test-reports/*.json
ctest --test-dir "$dir" --output-on-failure --timeout 900 "$@"
rc=$?
# Criterion's JSON reports count test cases (CTest only counts binaries).
/usr/bin/python3 - "$dir/test-reports" <<'PY'
import json, os, sys
d = sys.argv[1]
p = f = s = 0
for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
    if not name.endswith(".json"):
        continue
    try:
        r = json.load(open(os.path.join(d, name)))
    except ValueError:
        f += 1
        print(f"tests: {name}: unreadable report (binary crashed?)")
        continue
    p += r.get("passed", 0)
    f += r.get("failed", 0) + r.get("errored", 0)
    s += r.get("skipped", 0)
print(f"tests: {p} passed, {f} failed, {s} skipped")
PY
exit $rc
