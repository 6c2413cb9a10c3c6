#!/bin/sh
# Runs every test: the unit and end-to-end tests linked into one binary.
# The closing line is "N passed, N failed".  Run from the repository root.
cd "$(dirname "$0")/.." || exit 3
out=$(mktemp)
build/qaudit_tests "$@" | tee "$out"
status=$?
line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
rm -f "$out"
[ -n "$line" ] || { echo "0 passed, 1 failed"; exit 1; }
echo "${line#unit: }"
case "$line" in *" 0 failed") exit 0 ;; *) exit 1 ;; esac
