#!/bin/sh
# `make bench`: speed and memory of the representation analysis.
#  1. N=5000, D=768, baseline + 4 variants: qaudit vs an equivalent
#     NumPy/SciPy/scikit-learn script, and vs the bare-GEMM floor.
#  2. N=50,000, D=1024, baseline + 5 variants: time and peak memory.
#  3. Eigen-decomposition: GSL vs LAPACK at D=768 and D=4096.
# Data go to ${QAUDIT_BENCH_DIR:-/tmp/qaudit-bench}; set BENCH_LARGE=0 to
# skip the large run.
set -e
cd "$(dirname "$0")/.."
dir=${QAUDIT_BENCH_DIR:-/tmp/qaudit-bench}
threads=$(nproc)
py=/usr/bin/python3
mkdir -p "$dir"

echo "== 1. N=5000 D=768, 1 baseline + 4 variants ($threads threads)"
[ -f "$dir/small/config.json" ] || $py bench/make_data.py "$dir/small" 5000 768 4
build/bench_repr "$dir/small/config.json" "$threads" > "$dir/small.c.txt"
$py bench/repr_numpy.py "$dir/small/config.json" > "$dir/small.py.txt"
grep '^variant' "$dir/small.c.txt" | head -2
grep '^{' "$dir/small.py.txt" | head -2
c=$(awk '/^repr_s/ {print $2}' "$dir/small.c.txt")
load=$(awk '/^load_s/ {print $2}' "$dir/small.c.txt")
floor=$(awk '/^gemm_floor_s/ {print $2}' "$dir/small.c.txt")
cpeak=$(awk '/^peak_mb/ {print $2}' "$dir/small.c.txt")
p=$(awk '/^python_wall_s/ {print $2}' "$dir/small.py.txt")
ppeak=$(awk '/^python_wall_s/ {print $4}' "$dir/small.py.txt")
awk -v c="$c" -v l="$load" -v p="$p" -v f="$floor" -v cp="$cpeak" -v pp="$ppeak" 'BEGIN {
  printf "qaudit representation: %.2f s (+ %.2f s loading), peak %d MB\n", c, l, cp
  printf "python (numpy/scipy/sklearn, incl. loading): %.2f s, peak %d MB\n", p, pp
  printf "speed-up over python: %.1fx (target >= 3x)\n", p / (c + l)
  printf "bare GEMM floor: %.2f s; qaudit / floor = %.2f (target <= 2)\n", f, c / f
}'

if [ "${BENCH_LARGE:-1}" != 0 ]; then
  echo "== 2. N=50000 D=1024, 1 baseline + 5 variants"
  [ -f "$dir/large/config.json" ] || $py bench/make_data.py "$dir/large" 50000 1024 5
  BENCH_ONCE=1 build/bench_repr "$dir/large/config.json" "$threads" > "$dir/large.c.txt"
  awk '/^(load_s|repr_s|gemm_floor_s|peak_mb|states_mb)/' "$dir/large.c.txt"
  awk '/^peak_mb/ {p=$2} /^states_mb/ {s=$2} END {
    printf "peak memory / loaded states = %.2f (target < 2)\n", p / s }' "$dir/large.c.txt"
fi

echo "== 3. eigen-decomposition, GSL vs LAPACK"
build/eigen_bench --no-gsl-pca 768 4096
# GSL eigenvectors too at D=768 only: at D=4096 they take many minutes.
build/eigen_bench 768
