#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Fails, naming each file, when a tracked C/C++ source differs from what clang-format makes of
# it. Usage: check_format.sh [clang-format binary]; run from the top of the tree.
set -uo pipefail
cf=${1:-clang-format}
bad=0
while IFS= read -r -d '' f; do
	if ! "$cf" --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run: $cf -i $f)"
		bad=$((bad + 1))
	fi
done < <(git ls-files -z -- '*.c' '*.h' '*.cc')
n=$(git ls-files -- '*.c' '*.h' '*.cc' | wc -l)
if [ "$n" -eq 0 ]; then
	echo "check_format: no sources found (not a git checkout?)"
	exit 1
fi
echo "check_format: $n files, $bad not formatted"
[ "$bad" -eq 0 ]
