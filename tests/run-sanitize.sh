#!/bin/sh
# Runs the whole test suite built with AddressSanitizer and
# UndefinedBehaviorSanitizer (make test-sanitize).  The tests call ./qaudit
# from the repository root, so they run from a shadow root in which every
# top-level entry links to the real one and qaudit is the sanitized binary.
# The closing line is "N passed, N failed".
cd "$(dirname "$0")/.." || exit 3
top=$(pwd)
root=build/san/root
rm -rf "$root" && mkdir -p "$root"
for entry in *; do
  [ "$entry" = qaudit ] || [ "$entry" = build ] || ln -s "$top/$entry" "$root/$entry"
done
ln -s "$top/build/san/qaudit" "$root/qaudit"
ln -s "$top/build" "$root/build"
# Leaks inside the libraries' own global state (HDF5, fontconfig) are not ours.
export QAUDIT_DATADIR="$top"
export QAUDIT_SANITIZED=1
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
out=$(mktemp)
(cd "$root" && "$top/build/san/qaudit_tests" "$@") 2>&1 | tee "$out"
line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
asan=$(grep -c -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$out")
rm -f "$out"
[ -n "$line" ] || { echo "0 passed, 1 failed"; exit 1; }
if [ "$asan" -gt 0 ]; then
  echo "sanitizers reported $asan problem(s)"
  echo "${line#unit: }" | awk '{ print $1, "passed,", $3 + 1, "failed" }'
  exit 1
fi
echo "${line#unit: }"
case "$line" in *" 0 failed") exit 0 ;; *) exit 1 ;; esac
