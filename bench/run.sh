#!/bin/sh
# `make bench`: speed and memory of the representation analysis.
#  1. N=5000, D=768, baseline + 4 variants: qaudit vs an equivalent
#     NumPy/SciPy/scikit-learn script, and vs the bare-GEMM floor.
#  2. N=50,000, D=1024, baseline + 5 variants: time and peak memory.
#  3. Eigen-decomposition: GSL vs LAPACK at D=768 and D=4096.
#  4. Token-level outputs: T=100,000 x V=32,000 and T=20,000 x V=152,000
#     float16 logits, baseline + 3 variants (4 x 6.4 GB and 4 x 6.1 GB):
#     qaudit vs NumPy/SciPy (speed and every number) and vs the floor
#     (read every logit once + one double exp per logit).
#  5. Scaling with N: N=1,000 ... 50,000, D=768, baseline + 1 variant
#     (synthetic, in memory): time against the GEMM floor, table and plot.
# Data go to ${QAUDIT_BENCH_DIR:-/tmp/qaudit-bench}; set BENCH_LARGE=0 to
# skip the large run, BENCH_TOKENS=0 to skip section 4, BENCH_KEEP=1 to
# keep section 4's caches (each size is deleted after its run otherwise;
# it needs ~26 GB of disk), BENCH_TOKENS_SIZES="TxV ..." for other sizes,
# BENCH_SCALING=0 to skip section 5, BENCH_SCALING_DOC=1 to write its plot
# to docs/img/scaling.png (else into the data folder).
set -e
cd "$(dirname "$0")/.."
dir=${QAUDIT_BENCH_DIR:-/tmp/qaudit-bench}
threads=$(nproc)
py=/usr/bin/python3
mkdir -p "$dir"

# Seconds of the best of three `qaudit report` runs on $dir/NAME; the last
# run's /usr/bin/time -v output stays in $dir/NAME.time.txt.
best_report() {
  best=1000000
  for i in 1 2 3; do
    /usr/bin/time -v ./qaudit report "$dir/$1/config.json" -o "$dir/$1.out" --quiet \
      --threads "$threads" 2> "$dir/$1.time.txt"
    best=$(awk -v r="$best" '/Elapsed \(wall clock\)/ { n = split($NF, a, ":"); s = 0
      for (i = 1; i <= n; i++) s = s * 60 + a[i]; print (s < r ? s : r) }' "$dir/$1.time.txt")
  done
  echo "$best"
}

echo "== 1. N=5000 D=768, 1 baseline + 4 variants ($threads threads)"
[ -f "$dir/small/config.json" ] || $py bench/make_data.py "$dir/small" 5000 768 4
echo "OpenBLAS: $(./qaudit --version | sed -n 's/.*; core /core /p')"
build/bench_repr "$dir/small/config.json" "$threads" > "$dir/small.c.txt"
$py bench/repr_numpy.py "$dir/small/config.json" > "$dir/small.py.txt"
grep '^variant' "$dir/small.c.txt" | head -2
grep '^{' "$dir/small.py.txt" | head -2
# The whole report (loading, every analysis, figures, PDF), best of three.
rep=$(best_report small)
rpeak=$(awk '/Maximum resident set size/ { printf "%d", $NF / 1024 }' "$dir/small.time.txt")
c=$(awk '/^repr_s/ {print $2}' "$dir/small.c.txt")
load=$(awk '/^load_s/ {print $2}' "$dir/small.c.txt")
floor=$(awk '/^gemm_floor_s/ {print $2}' "$dir/small.c.txt")
floor32=$(awk '/^gemm_floor_f32_s/ {print $2}' "$dir/small.c.txt")
cpeak=$(awk '/^peak_mb/ {print $2}' "$dir/small.c.txt")
states=$(awk '/^states_mb/ {print $2}' "$dir/small.c.txt")
p=$(awk '/^python_wall_s/ {print $2}' "$dir/small.py.txt")
ppeak=$(awk '/^python_wall_s/ {print $4}' "$dir/small.py.txt")
awk -v c="$c" -v l="$load" -v p="$p" -v f="$floor" -v f32="$floor32" -v cp="$cpeak" -v pp="$ppeak" \
    -v r="$rep" -v rp="$rpeak" -v st="$states" 'BEGIN {
  printf "qaudit representation: %.2f s (+ %.2f s loading), peak %d MB\n", c, l, cp
  printf "bare GEMM floor: %.2f s (kNN Gram in double), %.2f s (in float32)\n", f, f32
  printf "representation / floor = %.2f (target <= 1.5); / float32 floor = %.2f\n", c / f, c / f32
  printf "whole qaudit report: %.2f s, peak %d MB = %.2f x the states (%d MB; target < 2)\n", r, rp, rp / st, st
  printf "python (numpy/scipy/sklearn, the numbers only, incl. loading): %.2f s, peak %d MB\n", p, pp
  printf "whole report vs python: %.1fx faster (target >= 5x)\n", p / r
}'

echo "== 1b. the same size with 4 more layers and 5 benchmark strata: the whole report against the GEMM floor of all its work"
[ -f "$dir/layers/config.json" ] || $py bench/make_data.py "$dir/layers" 5000 768 4 --layers 4 --strata 5
build/bench_repr "$dir/layers/config.json" "$threads" > "$dir/layers.c.txt"
rep=$(best_report layers)
awk -v r="$rep" '/^gemm_floor_s/ {f=$2} /^gemm_floor_f32_s/ {f32=$2} /^depth_floor_s/ {d=$2}
  /^load_s/ {l=$2} END {
  printf "whole report: %.2f s; GEMM floor of its work: %.2f s representation + coverage + %.2f s depth (%.2f s with float32 Gram products)\n", r, f, d, f32 + d
  printf "whole report / floor = %.2f (target <= 1.5); / float32 floor = %.2f\n", r / (f + d), r / (f32 + d) }' \
  "$dir/layers.c.txt"

if [ "${BENCH_LARGE:-1}" != 0 ]; then
  echo "== 2. N=50000 D=1024, 1 baseline + 5 variants"
  [ -f "$dir/large/config.json" ] || $py bench/make_data.py "$dir/large" 50000 1024 5
  BENCH_ONCE=1 build/bench_repr "$dir/large/config.json" "$threads" > "$dir/large.c.txt"
  awk '/^(load_s|repr_s|gemm_floor_s|gemm_floor_f32_s|peak_mb|states_mb)/' "$dir/large.c.txt"
  /usr/bin/time -v ./qaudit report "$dir/large/config.json" -o "$dir/large.out" --quiet \
    --threads "$threads" 2> "$dir/large.time.txt"
  awk '/Elapsed \(wall clock\)/ { n = split($NF, a, ":"); s = 0
         for (i = 1; i <= n; i++) s = s * 60 + a[i]; print "report_s " s }
       /Maximum resident set size/ { printf "report_peak_mb %d\n", $NF / 1024 }' \
    "$dir/large.time.txt" >> "$dir/large.c.txt"
  awk '/^repr_s/ {c=$2} /^gemm_floor_s/ {f=$2} /^peak_mb/ {p=$2} /^states_mb/ {s=$2}
       /^report_s/ {r=$2} /^report_peak_mb/ {rp=$2} END {
    printf "representation / floor = %.2f\n", c / f
    printf "whole report: %.1f s = %.2f x the GEMM floor (target <= 1.3)\n", r, r / f
    printf "peak memory: analysis %.2f, whole report %.2f x the loaded states (target < 1.3)\n", p / s, rp / s }' \
    "$dir/large.c.txt"
fi

echo "== 3. eigen-decomposition, GSL vs LAPACK"
build/eigen_bench --no-gsl-pca 768 4096
# GSL eigenvectors too at D=768 only: at D=4096 they take many minutes.
build/eigen_bench 768

echo "== 3b. BLAS kernels qaudit uses, by OpenBLAS core (1 thread, CPU seconds)"
for core in Prescott Haswell SkylakeX; do
  echo "-- OPENBLAS_CORETYPE=$core"
  OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=$core build/blas_kernels || true
done

# Seconds of /usr/bin/time -v's "Elapsed (wall clock)" and MB of its
# "Maximum resident set size" (qaudit's largest process: the parent or the
# isolated child that streams the logits).
time_s() { awk '/Elapsed \(wall clock\)/ { n = split($NF, a, ":"); s = 0
  for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s }' "$1"; }
time_mb() { awk '/Maximum resident set size/ { printf "%d", $NF / 1024 }' "$1"; }
cached() {   # percentage of the files' pages in the page cache
  command -v fincore >/dev/null 2>&1 || { echo "?"; return; }
  fincore -b -n -o RES,SIZE "$@" | awk '{ r += $1; s += $2 } END { printf "%.0f", s ? 100 * r / s : 0 }'
}

tokbench() {   # T V
  t=$1; v=$2; d="$dir/tokens-${t}x$v"; o=$d
  echo "-- T=$t V=$v, baseline + 3 variants, float16 logits ($threads threads)"
  if [ ! -f "$d/config.json" ]; then
    need=$(awk -v t="$t" -v v="$v" 'BEGIN { printf "%d", t * v * 2 * 4 / 1024 * 1.02 + 1048576 }')
    free=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
    if [ "$free" -lt "$need" ]; then
      echo "skipped: needs $((need / 1048576)) GB of disk in $dir, $((free / 1048576)) GB free"
      return 0
    fi
    build/gen_tokens "$d" "$t" "$v" 3
  fi
  files="$d/base.h5 $d/v1.h5 $d/v2.h5 $d/v3.h5"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($threads cores)"
  c1=$(cached $files)
  # shellcheck disable=SC2086
  if /usr/bin/time -v ./qaudit report "$d/config.json" -o "$o.out" --quiet --threads "$threads" \
       2> "$o.time.txt"; then qok=1; else qok=0; echo "qaudit report failed:"; tail -3 "$o.time.txt"; fi
  c2=$(cached $files)
  $py bench/tokens_numpy.py "$d/config.json" > "$o.py.txt"
  c3=$(cached $files)
  # shellcheck disable=SC2086
  build/tokens_floor $files > "$o.floor.txt"
  awk '/^(page_cache_pct|read_s|read_mb_s|exp_path|exp_s_1t|exp_s_2t|floor_s|sha_s|sha_mb_s|floor_digest_s|peak_mb) /' "$o.floor.txt" |
    sed 's/^/floor: /'
  awk '/^conv_/' "$o.floor.txt" | sed 's/^/float16 (warm page cache): /'
  p=$(awk '/^python_wall_s/ { print $2 }' "$o.py.txt")
  ppeak=$(awk '/^python_wall_s/ { print $4 }' "$o.py.txt")
  floor=$(awk '/^floor_s/ { print $2 }' "$o.floor.txt")
  rd=$(awk '/^read_s/ { print $2 }' "$o.floor.txt")
  fd=$(awk '/^floor_digest_s/ { print $2 }' "$o.floor.txt")
  echo "page cache before qaudit / numpy / floor: $c1% / $c2% / $c3% of the $(awk '/^logits_gb/ { print $2 }' "$o.floor.txt") GB"
  if [ "$qok" = 1 ]; then
    q=$(time_s "$o.time.txt"); qpeak=$(time_mb "$o.time.txt")
    awk -v q="$q" -v qp="$qpeak" -v p="$p" -v pp="$ppeak" -v f="$floor" -v r="$rd" -v fd="$fd" 'BEGIN {
      printf "qaudit report: %.2f s, peak %d MB (target < 1024 MB)\n", q, qp
      printf "python (numpy/scipy/h5py, incl. reading): %.2f s, peak %d MB\n", p, pp
      printf "speed-up over python: %.1fx (target >= 5x)\n", p / q
      printf "floor (read %.2f s + exp): %.2f s; qaudit / floor = %.2f (target <= 1.5)\n", r, f, q / f
      printf "floor with every file'"'"'s SHA-256 (the provenance qaudit records): %.2f s; qaudit / that = %.2f\n", fd, q / fd
    }'
    $py bench/tokens_compare.py "$o.out/report.json" "$o.py.txt" | sed 's/^/qaudit vs numpy: /'
  else
    echo "python (numpy/scipy/h5py, incl. reading): $p s, peak $ppeak MB; floor $floor s"
  fi
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "${BENCH_KEEP:-0}" != 1 ]; then rm -rf "$d"; fi
}

if [ "${BENCH_TOKENS:-1}" != 0 ]; then
  echo "== 4. token-level outputs"
  for size in ${BENCH_TOKENS_SIZES:-100000x32000 20000x152000}; do
    tokbench "${size%x*}" "${size#*x}"
  done
fi

if [ "${BENCH_SCALING:-1}" != 0 ]; then
  echo "== 5. scaling with N: N=1000..50000, D=768, baseline + 1 variant ($threads threads)"
  if [ "${BENCH_SCALING_DOC:-0}" = 1 ]; then png=docs/img/scaling.png; else png="$dir/scaling.png"; fi
  mkdir -p "$(dirname "$png")"
  build/bench_scaling "$png"
fi
