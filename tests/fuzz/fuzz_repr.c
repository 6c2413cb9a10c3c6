/*
** libFuzzer harness for the representation analysis on degenerate hidden
** states (src/analysis/representation.c and repr.c, the real functions).
**
** The input bytes choose a small study held in memory, as the study loader
** would leave it (finite values, rows aligned): N = 1..8 samples, D = 1..16
** dimensions, knn_k = 1..9 (often >= N), pairs_max (subsampling), labels or
** none, a baseline and one or two variants.  Each value comes from a
** control byte: 0, the row above (duplicate rows), the baseline's own value
** (identical variants), a subnormal k * 2^-1074, +-m * 1e300, +-m * 1e-300,
** a small fraction, or any 8 bytes that make a finite double.  Then the
** eigenproblem check and qa_analysis_representation run, and every number
** that comes out is checked: finite and in its range, or NaN (null in
** report.json) only where docs/reliability.md says it does not exist.  A
** violation aborts, so libFuzzer saves the input; the sanitizers catch
** memory errors, undefined behaviour and leaks.
**
** Built and run by scripts/fuzz.sh (harness `repr`); see tests/fuzz/README.md.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/repr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_N = 8, MAX_D = 16, MAX_VARIANTS = 3 };

typedef struct byte_reader {
  const uint8_t *p;
  size_t left;
} byte_reader;

static uint8_t next_byte(byte_reader *r) {
  if (!r->left) return 0;
  r->left--;
  return *r->p++;
}

static void fail(const char *what, size_t variant, double value) {
  fprintf(stderr, "fuzz_repr: variant %zu: %s (%.17g)\n", variant, what, value);
  abort();
}

/* One value of variant v at row i, column j (base: the baseline's array,
** NULL while the baseline itself is built). */
static double next_value(byte_reader *r, const double *self, const double *base, size_t i,
                         size_t j, size_t d) {
  uint8_t op = next_byte(r), arg = next_byte(r);
  double sign = (arg & 0x80) ? -1.0 : 1.0, m = (double)(arg & 0x7f) + 1.0;
  switch (op % 9) {
    case 0: return 0.0;
    case 1: return i ? self[(i - 1) * d + j] : 0.0;                 /* duplicate row */
    case 2: return base ? base[i * d + j] : sign * m / 8;           /* identical value */
    case 3: return sign * ldexp(m, -1074);                          /* subnormal */
    case 4: return sign * m * 1e300 / 128;                          /* huge, finite */
    case 5: return sign * m * 1e-300;                               /* tiny, normal */
    case 6: return sign * m / 16;
    case 7: {
      uint64_t u = arg;
      for (int b = 1; b < 8; b++) u |= (uint64_t)next_byte(r) << (8 * b);
      double x;
      memcpy(&x, &u, sizeof x);
      return isfinite(x) ? x : 0.0;                                 /* the reader refuses those */
    }
    default: return (base ? base[i * d + j] : 1.0) + sign * ldexp(m, -40);   /* near */
  }
}

/* NaN is allowed only where `may_be_null`; a number must be finite and
** within [lo, hi]. */
static void check(double x, int may_be_null, double lo, double hi, const char *what,
                  size_t v) {
  if (isnan(x)) {
    if (!may_be_null) fail(what, v, x);
    return;
  }
  if (!isfinite(x) || x < lo || x > hi) fail(what, v, x);
}

/* Does any element of X differ from Y's?  (SQNR is null only when not.) */
static int differs(const double *X, const double *Y, size_t count) {
  for (size_t i = 0; i < count; i++)
    if (X[i] != Y[i]) return 1;
  return 0;
}

static double max_abs(const double *X, size_t count) {
  double m = 0;
  for (size_t i = 0; i < count; i++) m = fmax(m, fabs(X[i]));
  return m;
}

static void check_variant(const qa_repr_result *r, const qa_cache *b, const qa_cache *c,
                          size_t k, int is_base, size_t v) {
  size_t n = c->n_samples, d = c->dim, rank = n < d ? n : d;
  const double eps = 1e-9;
  if (!r->present) fail("no representation result", v, 0);
  check(r->cos_mean, 0, -1, 1, "cosine mean", v);
  check(r->cos_median, 0, -1, 1, "cosine median", v);
  check(r->cos_p05, 0, -1, 1, "cosine p05", v);
  check(r->cos_min, 0, -1, 1, "cosine min", v);
  /* SQNR: null for the baseline, when the error energy is 0 (identical
  ** states) and when the baseline's energy is 0 (-inf dB); repr.c keeps
  ** every other case finite, however far apart the magnitudes are. */
  if (is_base) {
    if (!isnan(r->sqnr_db)) fail("baseline SQNR should be null", v, r->sqnr_db);
  } else {
    check(r->sqnr_db, !differs(b->hidden, c->hidden, n * d) || max_abs(b->hidden, n * d) == 0,
          -1e5, 1e5, "SQNR", v);
  }
  check(r->spearman_rho, 1, -1 - eps, 1 + eps, "Spearman", v);
  if (n < 3 && !isnan(r->spearman_rho)) fail("Spearman with fewer than 2 pairs", v, 0);
  check(r->cka_linear, 1, 0, 1 + eps, "CKA", v);
  if (n < 2 && !isnan(r->cka_linear)) fail("CKA with one sample", v, r->cka_linear);
  /* kNN exists when 1 <= k < N (and accuracy needs labels). */
  int knn = k + 1 <= n;
  if ((size_t)r->knn_k != (knn ? k : 0)) fail("knn_k", v, (double)r->knn_k);
  check(r->knn_accuracy, !knn || !c->labels, 0, 1, "kNN accuracy", v);
  check(r->neighbor_overlap, !knn, 0, 1, "neighbour overlap", v);
  check(r->knn_delta_pp, !knn || !c->labels, -100, 100, "kNN delta", v);
  /* Effective rank and participation ratio: null without a nonzero
  ** eigenvalue; else between 1 and the rank bound min(N, D). */
  check(r->effective_rank, 1, 1 - eps, (double)rank + eps, "effective rank", v);
  check(r->participation_ratio, 1, 0, (double)rank * (1 + eps), "participation ratio", v);
  if (n < 2 && !isnan(r->effective_rank)) fail("effective rank with one sample", v, 0);
  if (r->spectrum)
    for (size_t j = 0; j < d; j++)
      if (!isfinite(r->spectrum[j])) fail("spectrum value", v, r->spectrum[j]);
  if (r->pca_xy)
    for (size_t i = 0; i < 2 * n; i++)
      if (!isfinite(r->pca_xy[i])) fail("PCA projection", v, r->pca_xy[i]);
  for (size_t k = 0; r->per_class && k < r->n_classes; k++) {
    check(r->per_class[k].cosine_mean, r->per_class[k].n == 0, -1, 1, "class cosine", v);
    check(r->per_class[k].knn_accuracy, 1, 0, 1, "class kNN", v);
  }
}

static void free_repr(qa_repr_result *r) {
  free(r->per_class);
  free(r->cosine);
  free(r->spectrum);
  free(r->pca_xy);
  free(r->neighbors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  byte_reader rd = {data, size};
  uint8_t shape = next_byte(&rd), opts = next_byte(&rd), kb = next_byte(&rd);
  size_t n = 1 + shape % MAX_N, d = 1 + (shape / MAX_N) % MAX_D;
  size_t n_variants = 2 + (opts & 1);            /* baseline + 1 or 2 */
  int with_labels = (opts >> 1) & 1;
  static double hidden[MAX_VARIANTS][MAX_N * MAX_D];
  static int32_t labels[MAX_VARIANTS][MAX_N];
  static qa_cache caches[MAX_VARIANTS];
  static qa_variant variants[MAX_VARIANTS];
  char *paths[MAX_VARIANTS] = {"base.h5", "var1.h5", "var2.h5"};
  qa_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.layer = "final";
  cfg.knn_k = 1 + kb % 9;
  cfg.pairs_max = (opts >> 2) & 1 ? 1 + (opts >> 3) % 16 : 5000000;

  for (size_t v = 0; v < n_variants; v++) {
    const double *base = v ? hidden[0] : NULL;
    int same_as_base = v && next_byte(&rd) % 5 == 0;   /* an identical variant */
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < d; j++)
        hidden[v][i * d + j] = same_as_base ? base[i * d + j]
                                            : next_value(&rd, hidden[v], base, i, j, d);
    for (size_t i = 0; i < n; i++) labels[v][i] = (int32_t)(i % 3 == 2 ? 1 : i % 2);
    memset(&caches[v], 0, sizeof caches[v]);
    caches[v].path = paths[v];
    caches[v].layer = "final";
    caches[v].n_samples = n;
    caches[v].dim = d;
    caches[v].hidden = hidden[v];
    caches[v].labels = with_labels ? labels[v] : NULL;
    memset(&variants[v], 0, sizeof variants[v]);
    variants[v].name = paths[v];
    variants[v].cache = &caches[v];
    variants[v].is_baseline = v == 0;
  }
  if (getenv("FUZZ_REPR_DUMP")) {   /* replaying one input: show the study */
    fprintf(stderr, "N %zu, D %zu, knn_k %d, pairs_max %lld, labels %d\n", n, d, cfg.knn_k,
            cfg.pairs_max, with_labels);
    for (size_t v = 0; v < n_variants; v++)
      for (size_t i = 0; i < n; i++) {
        fprintf(stderr, "v%zu row %zu:", v, i);
        for (size_t j = 0; j < d; j++) fprintf(stderr, " %.17g", hidden[v][i * d + j]);
        fputc('\n', stderr);
      }
  }
  /* Labels take the values 0 and 1 (above): C = 2 when present. */
  qa_model model = {"m", n_variants, variants, 0, with_labels ? 2 : 0};
  qa_study study = {&cfg, 1, &model};
  qa_variant_result res[MAX_VARIANTS];
  memset(res, 0, sizeof res);
  qa_error err = {0};

  if (qa_analysis_representation_check(&study, UINT64_MAX, "available", &err)) {
    fprintf(stderr, "fuzz_repr: a tiny study was refused: %s\n", err.msg);
    abort();
  }
  if (qa_analysis_representation(&study, 0, res, 1, NULL, &err)) {
    /* The only failures allowed are out of memory (none at these sizes). */
    fprintf(stderr, "fuzz_repr: the analysis failed: %s\n", err.msg);
    abort();
  }
  for (size_t v = 0; v < n_variants; v++) {
    check_variant(&res[v].repr, &caches[0], &caches[v], (size_t)cfg.knn_k, v == 0, v);
    if (res[v].repr.neighbors) fail("neighbour lists left allocated", v, 0);
    free_repr(&res[v].repr);
  }
  return 0;
}
