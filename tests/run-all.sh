#!/bin/sh
# `make test`: the whole suite twice — as built, then under AddressSanitizer
# and UndefinedBehaviorSanitizer — and one closing line for CI:
# "N passed, N failed" summed over both runs.
cd "$(dirname "$0")/.." || exit 3
plain=$(mktemp)
san=$(mktemp)
echo "== tests (as built)"
sh tests/run.sh | tee "$plain"
echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
sh tests/run-sanitize.sh | tee "$san"
sum=$(tail -n 1 "$plain"; tail -n 1 "$san")
rm -f "$plain" "$san"
echo "$sum" | awk '
  /^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3; n++ }
  END { if (n != 2) f += 1; printf "%d passed, %d failed\n", p, f; exit (f > 0) }'
