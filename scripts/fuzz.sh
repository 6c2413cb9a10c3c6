#!/bin/sh
# Fuzzes the two parsers of untrusted input and the representation analysis
# of degenerate hidden states with libFuzzer (make fuzz):
#   fuzz_config  src/input/config.c (cJSON)                    inputs <= 8 KB
#   fuzz_cache   src/input/cache.c, h5read.c, cache_inspect.c  inputs <= 64 KB
#   fuzz_repr    src/analysis/representation.c, repr.c          inputs <= 4 KB
# Builds them into build/fuzz/ with clang (ASan + UBSan + libFuzzer), runs
# each for FUZZ_SECONDS (default 60) on a working copy of the seeds
# (build/fuzz/corpus-NAME), and writes what crashed, leaked, timed out or
# ran out of memory to build/fuzz/artifacts/NAME-*.  Fuzzing goes on after
# a finding (-fork=1 -ignore_crashes=1), so the whole time is spent.
#
#   FUZZ_SECONDS=1200 sh scripts/fuzz.sh     all three, 20 minutes each
#   sh scripts/fuzz.sh cache                 one harness (config, cache or repr)
#   sh scripts/fuzz.sh replay                re-run tests/fuzz/crashes/*, one
#                                            line per saved case
#   FUZZ_PARALLEL=0 sh scripts/fuzz.sh       one harness after the other
#   FUZZ_FRESH=1 sh scripts/fuzz.sh          restart from the seeds
#   FUZZ_CC=clang sh scripts/fuzz.sh         another compiler
#
# Prints executions, coverage and the new findings of each harness.  Exit 0
# when nothing was found, 1 when something was (replay: when a qaudit-* case
# still fails), 3 when the build failed.  See tests/fuzz/README.md.
cd "$(dirname "$0")/.." || exit 3
set -u

seconds=${FUZZ_SECONDS:-60}
case "$seconds" in
  ''|*[!0-9]*) echo "fuzz.sh: FUZZ_SECONDS must be a whole number of seconds" >&2; exit 3 ;;
esac
mode=fuzz
names=${*:-config cache repr}
[ "$names" = replay ] && { mode=replay; names="config cache repr"; }
out=build/fuzz
arts=$out/artifacts
mkdir -p "$out" "$arts" || exit 3

# ---- build -----------------------------------------------------------------
cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
  for c in clang-14 clang; do
    command -v "$c" >/dev/null 2>&1 && { cc=$c; break; }
  done
fi
[ -n "$cc" ] || { echo "fuzz.sh: clang not found (libFuzzer needs clang)" >&2; exit 3; }

# The recipe of the normal build, with sanitizers and libFuzzer.
cflags="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -fno-omit-frame-pointer
  -Wall -Wextra -Isrc $(pkg-config --cflags hdf5 libcjson nettle)
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
libs="$(pkg-config --libs hdf5 cairo freetype2 libcjson nettle) -lgsl
  $(pkg-config --libs openblas) -lhpdf -lpthread -lm"
# Every input module but study.c (which needs the analysis), and the utilities.
srcs="$(ls src/input/*.c | grep -v '/study\.c$') $(ls src/util/*.c)"
# fuzz_repr runs the analysis itself: every analysis, input and util module.
srcs_repr="$(ls src/analysis/*.c src/input/*.c src/util/*.c)"

for name in $names; do
  case "$name" in
    config|cache) s=$srcs ;;
    repr) s=$srcs_repr ;;
    *) echo "fuzz.sh: unknown harness '$name' (config, cache, repr or replay)" >&2; exit 3 ;;
  esac
  echo "fuzz.sh: building $out/fuzz_$name with $cc"
  # shellcheck disable=SC2086
  $cc $cflags -o "$out/fuzz_$name" "tests/fuzz/fuzz_$name.c" $s $libs || exit 3
done

# Longest input of each harness.
max_len_of() {
  case "$1" in config) echo 8192 ;; repr) echo 4096 ;; *) echo 65536 ;; esac
}

# Input files left by fuzz_cache processes that crashed (pid in the name).
clean_inputs() {
  for f in /dev/shm/qaudit-fuzz-*.h5 /tmp/qaudit-fuzz-*.h5; do
    [ -f "$f" ] || continue
    pid=${f##*-}; pid=${pid%.h5}
    kill -0 "$pid" 2>/dev/null || rm -f "$f"
  done
}

asan_common="dedup_token_length=3:handle_abort=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:dedup_token_length=3"

# ---- replay the saved cases ------------------------------------------------
# Each file of tests/fuzz/crashes/ runs alone with full stacks and no leak
# suppression; qaudit-* cases are qaudit bugs (they must pass once fixed),
# hdf5-* cases fail inside the system's libhdf5 1.10.8.
if [ "$mode" = replay ]; then
  status=0
  for f in tests/fuzz/crashes/*; do
    [ -f "$f" ] || continue
    base=$(basename "$f")
    case "$base" in config-*) h=config ;; repr-*) h=repr ;; *) h=cache ;; esac
    log=$out/replay-$base.log
    ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=30:$asan_common" \
      "$out/fuzz_$h" -timeout=10 -rss_limit_mb=2048 "$f" > "$log" 2>&1
    rc=$?
    verdict=$(grep -m 1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [A-Za-z-]+|runtime error: .*|fuzz_cache: .* left open|fuzz_repr: .*' "$log")
    if [ "$rc" -eq 0 ]; then
      echo "passes     $base"
    else
      case "$base" in *-qaudit-*) status=1 ;; esac
      echo "fails      $base: ${verdict:-exit $rc} (log: $log)"
    fi
  done
  clean_inputs
  exit "$status"
fi

# ---- dictionaries ----------------------------------------------------------
# Keys and words the parsers look for, so that mutations find them.
{
  for w in title subtitle author disclosure task model metric baseline calibration \
           test_set strata layer models name params variants file bits_per_weight \
           vram_gb analysis alpha power knn_k tost_margin_pp tost_margin_pct pairs_max \
           key_metrics tiers max_drop_pp max_drop_pct deploy vram_tiers_gb usd_per_hour \
           vram_overhead critical_errors label predicted max claims id text kind \
           variant tier margin min_drop value tier_at_most equivalent \
           worse_than_baseline metric_at_least metric_at_most critical_errors_at_most \
           benchmark generation accuracy cosine_mean sqnr_db spearman_rho knn_accuracy \
           neighbor_overlap cka_linear effective_rank top1_agreement kl_mean unacceptable \
           true false null; do
    printf '"\\"%s\\""\n' "$w"
  done
  printf '"%s"\n' "{" "}" "[" "]" ":" "," "1e308" "-0" "0.5" "9e15" "\\\\u0000" "\\\\ud800"
} > "$out/config.dict"
{
  # HDF5 signatures (superblock, object headers, B-trees, heaps, indexes).
  printf '"\\x89HDF\\x0d\\x0a\\x1a\\x0a"\n'
  for w in OHDR OCHK TREE HEAP GCOL FRHP FHDB FHIB BTHD BTIN BTLF SNOD FSHD FSSE \
           SMTB SMLI FAHD FADB EAHD EAIB EASB EADB; do
    printf '"%s"\n' "$w"
  done
  for w in samples hidden final outputs logits prediction eval correct score id label \
           label_names perf decode_tok_s ttft_ms model variant bits_per_weight params \
           vram_gb quant_scheme calibration backend hardware; do
    printf '"%s"\n' "$w"
  done
  printf '"\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff"\n"\\x00\\x00\\x00\\x00"\n'
} > "$out/cache.dict"
# fuzz_repr reads control bytes and raw doubles: finite extremes as seeds.
{
  printf '"\\x00\\x00\\x00\\x00\\x00\\x00\\xf0\\x3f"\n'   # 1.0
  printf '"\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00"\n'   # 2^-1074
  printf '"\\xff\\xff\\xff\\xff\\xff\\xff\\xef\\x7f"\n'   # DBL_MAX
  printf '"\\x00\\x00\\x00\\x00\\x00\\x00\\x10\\x00"\n'   # DBL_MIN
  printf '"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80"\n'   # -0
} > "$out/repr.dict"

# ---- leak suppressions ----------------------------------------------------
# libhdf5 (a system library, built without frame pointers) leaks on some of
# its own error paths.  While fuzzing, stacks are unwound fast and stop in
# libhdf5, so every leak allocated inside libhdf5 is set aside; leaks of
# memory qaudit allocates itself are still caught.  After fuzzing, the cache
# corpus runs again with full stacks and only the libhdf5-internal site
# H5C_protect suppressed (see tests/fuzz/README.md, finding H7).
printf 'leak:libhdf5_serial.so\nleak:libhdf5.so\n' > "$out/lsan-fast.supp"
printf 'leak:H5C_protect\n' > "$out/lsan-full.supp"

# ---- run -------------------------------------------------------------------
run_one() {
  name=$1 max_len=$(max_len_of "$1")
  corpus=$out/corpus-$name
  [ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$corpus"
  mkdir -p "$corpus" && cp tests/fuzz/corpus/"$name"/* "$corpus"/ || return 3
  ASAN_OPTIONS="detect_leaks=1:$asan_common" \
  LSAN_OPTIONS="suppressions=$out/lsan-fast.supp:print_suppressions=0" \
    "$out/fuzz_$name" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
      -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
      -dict="$out/$name.dict" -artifact_prefix="$arts/$name-" "$corpus" \
      > "$out/$name.log" 2>&1
}

# Runs every input of the cache corpus once with full stacks; each input
# that leaks (or fails otherwise) is saved as
# build/fuzz/artifacts/cache-corpus-KIND-SHA1, set aside, and the run goes
# on with the rest.
leak_pass() {
  check=$out/leakcheck-cache
  rm -rf "$check" && mkdir -p "$check" && cp "$out/corpus-cache"/* "$check"/ || return 3
  : > "$out/cache-leaks.log"
  rounds=0
  while [ "$rounds" -lt 50 ]; do
    rounds=$((rounds + 1))
    ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=30:$asan_common" \
    LSAN_OPTIONS="suppressions=$out/lsan-full.supp:print_suppressions=0" \
      "$out/fuzz_cache" -runs=0 -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$arts/cache-corpus-" "$check" >> "$out/cache-leaks.log" 2>&1 \
      && break
    newest=$(ls -t "$arts"/cache-corpus-* 2>/dev/null | head -n 1)
    sha=${newest##*-}
    [ -n "$newest" ] && [ "$newest" -nt "$out/.start" ] || break
    removed=0
    for f in "$check"/*; do
      if [ "$(sha1sum < "$f" | cut -c1-40)" = "$sha" ]; then rm -f "$f"; removed=1; fi
    done
    [ "$removed" = 1 ] || break
  done
}

report() {
  name=$1
  log=$out/$name.log
  # Fork mode prints "#EXECS: cov: N ft: N corp: N exec/s: N oom/timeout/crash: a/b/c".
  last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1)
  execs=$(printf '%s\n' "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
  cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corp=$(printf '%s\n' "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
  otc=$(printf '%s\n' "$last" | sed -n 's/.*oom\/timeout\/crash: \([0-9/]*\).*/\1/p')
  echo "fuzz_$name: ${execs:-?} executions in ${seconds}s, coverage ${cov:-?} edges," \
       "${ft:-?} features, corpus ${corp:-?} inputs, oom/timeout/crash ${otc:-0/0/0}" \
       "(log: $log)"
  found=$(find "$arts" -name "$name-*" -newer "$out/.start" -type f 2>/dev/null | sort)
  n=0
  for kind in crash leak timeout oom corpus-leak corpus-crash corpus-timeout corpus-oom; do
    k=$(printf '%s\n' $found | grep -c "/$name-$kind-")
    [ "$k" -gt 0 ] || continue
    n=$((n + k))
    echo "  $k new $kind artifact(s), e.g. $(printf '%s\n' $found | grep "/$name-$kind-" | head -n 1)"
  done
  # One line per distinct verdict (addresses removed), from the children's logs.
  grep -hoE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [A-Za-z-]+( on unknown address)?|runtime error: .*|fuzz_cache: .* left open .*|fuzz_repr: .*' \
    "$log" $( [ "$name" = cache ] && [ -f "$out/cache-leaks.log" ] && echo "$out/cache-leaks.log") \
    | sort | uniq -c | sort -rn | head -n 12 | sed 's/^/  /'
  [ "$n" -eq 0 ]
}

touch "$out/.start"
if [ "${FUZZ_PARALLEL:-1}" = 1 ] && [ "$(nproc 2>/dev/null || echo 1)" -ge 2 ]; then
  pids=
  for name in $names; do
    run_one "$name" &
    pids="$pids $!"
  done
  for p in $pids; do wait "$p"; done
else
  for name in $names; do
    run_one "$name"
  done
fi
case " $names " in *" cache "*) leak_pass ;; esac
clean_inputs
status=0
for name in $names; do
  report "$name" || status=1
done
if [ "$status" -eq 0 ]; then
  echo "fuzz.sh: no crash, leak, timeout or out-of-memory found"
else
  echo "fuzz.sh: findings above; artifacts in $arts/, known ones in tests/fuzz/README.md;" \
       "replay one with: $out/fuzz_NAME FILE"
fi
exit "$status"
